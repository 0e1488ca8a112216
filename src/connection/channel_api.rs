//! Connection protocol calls on [`Connection`] (RFC 4254). They work once user authentication
//! has succeeded. A call that does not fit (unknown channel, wrong state, wrong role) returns an
//! `Err` and leaves the connection as it was.

use super::Connection;
use crate::Error;
use crate::channel::{ChannelId, ChannelKind, ChannelRequest, Channels, GlobalRequest};
use crate::layer::Ctx;
use crate::msg::Phase;

impl Connection {
    /// Connection-protocol calls need an open, authenticated connection.
    fn channels_usable(&self) -> Result<(), Error> {
        if self.transport.is_closed() {
            return Err(Error::misuse("the connection is closed"));
        }
        if self.transport.upper_phase != Phase::Connection {
            return Err(Error::misuse("user authentication has not succeeded yet"));
        }
        Ok(())
    }

    /// Runs a connection-protocol call against the channel layer.
    fn with_channels<R>(
        &mut self,
        f: impl FnOnce(&mut Channels, &mut Ctx<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.channels_usable()?;
        let channels = &mut self.channels;
        self.transport.run_layer(|ctx| f(channels, ctx))
    }

    /// Data or extended data: the channel layer takes window for it, and the transport seals
    /// the application's bytes straight into packets (the bulk path: one copy, no allocation).
    /// While a key exchange holds output nothing is taken (what a packet started would be held
    /// in memory, as much as the window allows): the writer waits for `Writable`, which comes
    /// once our NEWKEYS is out.
    fn send_bytes(
        &mut self,
        channel: ChannelId,
        code: Option<u32>,
        data: &[u8],
    ) -> Result<usize, Error> {
        self.channels_usable()?;
        let plan = self.channels.take_window(channel, code, data.len())?;
        let mut sent = 0;
        for ((header, n), piece) in plan.messages(data) {
            // Checked for every packet: one of them may reach a re-key limit.
            if self.transport.holds_output() {
                break;
            }
            self.transport.send_parts(&[&header[..n], piece]);
            sent += piece.len();
        }
        if sent < plan.take {
            self.channels.untake_window(channel, plan.take - sent);
        }
        Ok(sent)
    }

    /// Opens a `session` channel.
    pub fn open_session(&mut self) -> Result<ChannelId, Error> {
        self.open_channel(ChannelKind::Session)
    }

    /// Opens a channel of any kind (`direct-tcpip` from a client, `forwarded-tcpip` from a
    /// server). [`crate::channel::ChannelEvent::Opened`] or `OpenFailed` follows.
    pub fn open_channel(&mut self, kind: ChannelKind) -> Result<ChannelId, Error> {
        self.with_channels(|c, ctx| c.open(ctx, kind))
    }

    /// Accepts [`crate::channel::ChannelEvent::OpenRequest`] `channel`.
    pub fn accept_channel(&mut self, channel: ChannelId) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.accept(ctx, channel))
    }

    /// Refuses [`crate::channel::ChannelEvent::OpenRequest`] `channel` with a
    /// [`crate::channel::open_failure`] code.
    pub fn reject_channel(
        &mut self,
        channel: ChannelId,
        reason: u32,
        description: &str,
    ) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.reject(ctx, channel, reason, description))
    }

    /// Sends a channel request (`pty-req`, `shell`, `exec`, ... from a client; `exit-status`,
    /// `exit-signal` from a server).
    pub fn channel_request(
        &mut self,
        channel: ChannelId,
        request: &ChannelRequest,
        want_reply: bool,
    ) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.request(ctx, channel, request, want_reply))
    }

    /// Answers the oldest unanswered [`crate::channel::ChannelEvent::Request`] on `channel`
    /// that wanted a reply.
    pub fn answer_channel_request(
        &mut self,
        channel: ChannelId,
        success: bool,
    ) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.answer_request(ctx, channel, success))
    }

    /// Sends data on `channel`, as much as the peer's window takes now (nothing while a key
    /// exchange runs); returns how much. If less than all, wait for
    /// [`crate::channel::ChannelEvent::Writable`].
    pub fn send_data(&mut self, channel: ChannelId, data: &[u8]) -> Result<usize, Error> {
        self.send_bytes(channel, None, data)
    }

    /// Sends extended data (code 1: stderr) on `channel`; like [`Connection::send_data`].
    pub fn send_extended_data(
        &mut self,
        channel: ChannelId,
        code: u32,
        data: &[u8],
    ) -> Result<usize, Error> {
        self.send_bytes(channel, Some(code), data)
    }

    /// Bytes the peer lets us send on `channel` right now (`None` if it cannot take data).
    #[must_use]
    pub fn send_window(&self, channel: ChannelId) -> Option<u32> {
        self.channels.send_window(channel)
    }

    /// Tells the engine that `n` bytes received on `channel` have been dealt with, so the
    /// peer may send more (flow control: a reader that never consumes stops the peer).
    pub fn consume(&mut self, channel: ChannelId, n: usize) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.consume(ctx, channel, n))
    }

    /// Sends EOF on `channel`.
    pub fn send_eof(&mut self, channel: ChannelId) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.eof(ctx, channel))
    }

    /// Closes `channel`; [`crate::channel::ChannelEvent::Closed`] follows.
    pub fn close_channel(&mut self, channel: ChannelId) -> Result<(), Error> {
        self.with_channels(|c, ctx| c.close(ctx, channel))
    }

    /// Channels in use.
    #[must_use]
    pub fn channel_count(&self) -> usize {
        self.channels.count()
    }

    /// Sends a global request (`tcpip-forward`, `cancel-tcpip-forward`); the answer comes as
    /// [`crate::channel::ChannelEvent::GlobalAnswered`].
    pub fn global_request(&mut self, request: &GlobalRequest) -> Result<(), Error> {
        self.with_channels(|c, ctx| {
            crate::channel::send_global(c, ctx, request);
            Ok(())
        })
    }

    /// Answers the oldest unanswered [`crate::channel::ChannelEvent::GlobalRequest`] that
    /// wanted a reply; `bound_port` for a `tcpip-forward` to port 0.
    pub fn answer_global_request(
        &mut self,
        success: bool,
        bound_port: Option<u32>,
    ) -> Result<(), Error> {
        self.with_channels(|c, ctx| crate::channel::answer_global(c, ctx, success, bound_port))
    }

    /// Sends `keepalive@openssh.com` (any answer proves the peer alive; it comes as
    /// [`crate::channel::ChannelEvent::GlobalAnswered`]).
    pub fn send_keepalive(&mut self) -> Result<(), Error> {
        self.with_channels(|c, ctx| {
            crate::channel::send_bare_global(c, ctx, crate::channel::KEEPALIVE, true);
            Ok(())
        })
    }

    /// Client: sends `no-more-sessions@openssh.com`; the server refuses later session opens.
    pub fn send_no_more_sessions(&mut self) -> Result<(), Error> {
        self.with_channels(|c, ctx| {
            crate::channel::send_bare_global(c, ctx, crate::channel::NO_MORE_SESSIONS, false);
            Ok(())
        })
    }
}
