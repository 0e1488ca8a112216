//! The connection protocol (RFC 4254), both roles, sans-IO: channels, their requests and flow
//! control, and global requests.
//!
//! Layout: [`events`] (what the application sees), [`request`] and [`modes`] (channel requests
//! and terminal modes), `messages` (wire form of 80..=100), `state` (one channel and its
//! windows), `incoming` (peer messages, checked against each channel's state before anything
//! else), `outgoing` (application calls), `global` (global requests both ways).
//!
//! The engine decides what the protocol decides (windows, ordering of replies, what a role may
//! receive) and asks the application about everything that is policy (which channels to accept,
//! which requests to honour), through events answered by channel id and in order.

pub mod events;
mod global;
mod incoming;
mod messages;
pub mod modes;
mod outgoing;
pub mod request;
mod state;

pub use events::{ChannelEvent, ChannelId, ChannelKind, GlobalRequest, open_failure};
pub use modes::TerminalModes;
pub use request::{ChannelRequest, PtyRequest, WindowSize, X11Request};

use crate::Error;
use crate::Role;
use crate::event::Event;
use crate::layer::Ctx;
use crate::time::Instant;
use state::Channel;
use std::collections::{BTreeMap, VecDeque};

pub(crate) use global::{
    KEEPALIVE, NO_MORE_SESSIONS, answer as answer_global, send as send_global,
    send_bare as send_bare_global,
};

/// Settings for channels.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// The window we advertise for each channel (bytes the peer may send before we give more).
    /// OpenSSH uses 2 MiB for sessions.
    pub window: u32,
    /// Largest data payload we accept in one message (OpenSSH: 32 KiB).
    pub max_packet: u32,
    /// Most channels open at once; further opens from the peer get RESOURCE_SHORTAGE.
    pub max_channels: usize,
    /// Pass `x11-req` and `x11` channels to the application; refused by the engine otherwise.
    pub allow_x11: bool,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            window: 2 * 1024 * 1024,
            max_packet: 32 * 1024,
            max_channels: 1024,
            allow_x11: false,
        }
    }
}

/// Largest data payload we put in one message, whatever the peer allows: bigger packets gain
/// nothing in throughput and cost the peer memory.
const MAX_SEND_CHUNK: u32 = 32 * 1024;

/// The channels and global requests of one connection.
pub(crate) struct Channels {
    role: Role,
    cfg: ChannelConfig,
    /// Channels by our id. An id stays here until both CLOSEs have been exchanged (RFC 4254
    /// §5.3), so a message still in flight for a closing channel finds it and is dropped.
    slots: BTreeMap<u32, Channel>,
    /// The next id to give out. Ids are not reused at once (quinn-proto's stream ids never are):
    /// each channel takes the next number, wrapping after 2^32 opens and skipping ids in use, so
    /// a message naming a channel that has fully closed — from the peer, or from the
    /// application's stale handle — can never reach a newer channel that took its number; it
    /// names no channel at all.
    next_id: u32,
    /// Answers owed to the peer's global requests, in order: `None` while the application decides.
    global_owed: VecDeque<Option<(bool, Option<u32>)>>,
    /// Our global requests that wait for an answer: name, and whether it asked for port 0.
    global_awaited: VecDeque<(String, bool)>,
    /// Server: the client sent `no-more-sessions@openssh.com`.
    no_more_sessions: bool,
}

impl Channels {
    pub(crate) fn new(role: Role, cfg: &ChannelConfig) -> Self {
        let mut cfg = cfg.clone();
        // A zero window or packet size would stall every channel; one byte is the floor.
        cfg.window = cfg.window.max(1);
        cfg.max_packet = cfg.max_packet.max(1);
        Channels {
            role,
            cfg,
            slots: BTreeMap::new(),
            next_id: 0,
            global_owed: VecDeque::new(),
            global_awaited: VecDeque::new(),
            no_more_sessions: false,
        }
    }

    /// Handles a message numbered 80..=100 (admitted only once authenticated).
    pub(crate) fn handle(&mut self, ctx: &mut Ctx<'_>, payload: Vec<u8>) -> Result<(), Error> {
        incoming::handle(self, ctx, payload)
    }

    /// The next instant this layer needs `handle_timeout`: none (keepalives are the driver's).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Fires due timers (none yet).
    pub(crate) fn handle_timeout(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), Error> {
        Ok(())
    }

    /// Channels in use (any stage).
    pub(crate) fn count(&self) -> usize {
        self.slots.len()
    }

    fn get(&self, id: u32) -> Option<&Channel> {
        self.slots.get(&id)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Channel> {
        self.slots.get_mut(&id)
    }

    /// Takes the next free id for `ch`, or `None` at the channel limit.
    fn allocate(&mut self, ch: Channel) -> Option<ChannelId> {
        if self.count() >= self.cfg.max_channels {
            return None;
        }
        // Fewer than 2^32 ids are in use, so this finds one.
        let mut id = self.next_id;
        while self.slots.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        self.slots.insert(id, ch);
        Some(ChannelId(id))
    }

    /// Forgets `id` (an open that failed or was refused: the peer never had it, or has let go).
    fn forget(&mut self, id: u32) {
        self.slots.remove(&id);
    }

    /// Frees `id` once both CLOSEs are exchanged and tells the application the channel is gone.
    fn release(&mut self, ctx: &mut Ctx<'_>, id: u32) {
        self.slots.remove(&id);
        ctx.emit(Event::Channel(ChannelEvent::Closed {
            channel: ChannelId(id),
        }));
    }

    /// After a key exchange held output back: channels whose writers were paused and that have
    /// window are writable again.
    pub(crate) fn wake_writers(&mut self, ctx: &mut Ctx<'_>) {
        for (&id, ch) in &mut self.slots {
            if ch.writer_blocked && ch.can_send() && ch.send_window > 0 {
                ch.writer_blocked = false;
                ctx.emit(Event::Channel(ChannelEvent::Writable {
                    channel: ChannelId(id),
                }));
            }
        }
    }

    /// Sends the answers at the front of `id`'s queue that are decided.
    fn flush_replies(ctx: &mut Ctx<'_>, ch: &mut Channel) {
        while let Some(Some(ok)) = ch.replies_owed.front().copied() {
            ch.replies_owed.pop_front();
            let msg = if ok {
                crate::msg::CHANNEL_SUCCESS
            } else {
                crate::msg::CHANNEL_FAILURE
            };
            ctx.send(messages::bare(msg, ch.remote_id));
        }
    }
}
