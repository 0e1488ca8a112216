//! One channel's state: where it is in its life, and both flow-control windows.
//!
//! Windows (RFC 4254 §5.2): `send_window` is what the peer lets us send, grown by its
//! WINDOW_ADJUST; `recv_window` is what we let the peer send. We give window back only for bytes
//! the application has *consumed*, so a slow reader holds the peer back instead of growing our
//! memory; and we give it back in halves of the window, as OpenSSH does, to keep adjust
//! messages rare.

use super::events::ChannelKind;
use std::collections::VecDeque;

/// Where a channel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// We sent CHANNEL_OPEN and wait for the peer's answer.
    Opening,
    /// The peer sent CHANNEL_OPEN; the application has not answered yet.
    AwaitingAccept,
    /// Open in both directions (until EOFs and CLOSEs).
    Open,
}

#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) kind: ChannelKind,
    pub(crate) stage: Stage,
    /// The peer's number for this channel (valid once `Open`, or `AwaitingAccept`).
    pub(crate) remote_id: u32,

    /// Bytes we may still send.
    pub(crate) send_window: u32,
    /// Largest data payload the peer accepts in one message.
    pub(crate) send_max_packet: u32,
    /// A send was cut short by the window: tell the application when it opens.
    pub(crate) writer_blocked: bool,

    /// Bytes the peer may still send us.
    pub(crate) recv_window: u32,
    /// The window we advertise when fully given back.
    pub(crate) recv_window_size: u32,
    /// Delivered to the application and not yet consumed.
    pub(crate) unconsumed: u32,
    /// Consumed and not yet given back with WINDOW_ADJUST.
    pub(crate) consumed: u32,

    pub(crate) eof_sent: bool,
    pub(crate) eof_received: bool,
    pub(crate) close_sent: bool,
    /// The application closed a channel we are still opening: CLOSE goes out on confirmation.
    pub(crate) close_on_open: bool,

    /// Answers owed to the peer's requests, in order: `None` while the application decides.
    pub(crate) replies_owed: VecDeque<Option<bool>>,
    /// Our requests that wait for an answer.
    pub(crate) replies_awaited: u32,
}

impl Channel {
    pub(crate) fn new(kind: ChannelKind, stage: Stage, window: u32) -> Self {
        Channel {
            kind,
            stage,
            remote_id: 0,
            send_window: 0,
            send_max_packet: 0,
            writer_blocked: false,
            recv_window: window,
            recv_window_size: window,
            unconsumed: 0,
            consumed: 0,
            eof_sent: false,
            eof_received: false,
            close_sent: false,
            close_on_open: false,
            replies_owed: VecDeque::new(),
            replies_awaited: 0,
        }
    }

    /// Records `n` consumed bytes; returns the WINDOW_ADJUST amount to send now, if any.
    pub(crate) fn consume(&mut self, n: u32) -> Option<u32> {
        self.unconsumed -= n;
        self.consumed += n;
        let worth_it = self.consumed >= self.recv_window_size / 2 || self.recv_window == 0;
        if self.consumed == 0 || !worth_it || self.eof_received || self.close_sent {
            return None;
        }
        let give = self.consumed;
        self.recv_window += give;
        self.consumed = 0;
        Some(give)
    }

    /// Whether the application may still send data.
    pub(crate) fn can_send(&self) -> bool {
        self.stage == Stage::Open && !self.eof_sent && !self.close_sent
    }
}
