//! Application calls on channels. A call that does not fit the channel's state (unknown id,
//! not open, already closed, a request this role may not send) is a misuse: it returns an
//! error and changes nothing, and the connection goes on.

use super::events::{ChannelId, ChannelKind};
use super::messages;
use super::request::ChannelRequest;
use super::state::{Channel, Stage};
use super::{Channels, MAX_SEND_CHUNK};
use crate::Error;
use crate::layer::Ctx;
use crate::msg::{CHANNEL_CLOSE, CHANNEL_EOF};

/// Data the window has room for: `take` bytes, in messages of at most `chunk` bytes, to the
/// peer's channel `recipient`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataSend {
    pub(crate) recipient: u32,
    pub(crate) code: Option<u32>,
    pub(crate) take: usize,
    pub(crate) chunk: usize,
}

impl DataSend {
    /// Each message: its header (and the header's length) and its bytes of `data`.
    pub(crate) fn messages<'d>(
        &self,
        data: &'d [u8],
    ) -> impl Iterator<Item = (([u8; messages::DATA_HEADER_MAX], usize), &'d [u8])> {
        let (recipient, code) = (self.recipient, self.code);
        data[..self.take].chunks(self.chunk).map(move |piece| {
            // A piece is at most `chunk` (≤ MAX_SEND_CHUNK) bytes.
            let len = u32::try_from(piece.len()).unwrap_or(u32::MAX);
            (messages::data_header(recipient, code, len), piece)
        })
    }
}

impl Channels {
    fn usable(&mut self, id: ChannelId) -> Result<&mut Channel, Error> {
        match self.get_mut(id.0) {
            Some(ch) if ch.stage == Stage::Open && !ch.close_sent => Ok(ch),
            Some(ch) if ch.stage != Stage::Open => {
                Err(Error::misuse("the channel is not open yet"))
            }
            Some(_) => Err(Error::misuse("the channel is closing")),
            None => Err(Error::misuse("no such channel")),
        }
    }

    /// Opens a channel of `kind`; [`super::ChannelEvent::Opened`] or `OpenFailed` follows.
    pub(crate) fn open(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: ChannelKind,
    ) -> Result<ChannelId, Error> {
        let window = self.cfg.window;
        let max_packet = self.cfg.max_packet;
        let ch = Channel::new(kind.clone(), Stage::Opening, window);
        let id = self
            .allocate(ch)
            .ok_or_else(|| Error::misuse("too many channels open"))?;
        ctx.send(messages::open(&kind, id.0, window, max_packet));
        Ok(id)
    }

    /// Accepts the peer's open request `id`.
    pub(crate) fn accept(&mut self, ctx: &mut Ctx<'_>, id: ChannelId) -> Result<(), Error> {
        let max_packet = self.cfg.max_packet;
        match self.get_mut(id.0) {
            Some(ch) if ch.stage == Stage::AwaitingAccept => {
                ch.stage = Stage::Open;
                ctx.send(messages::open_confirmation(
                    ch.remote_id,
                    id.0,
                    ch.recv_window,
                    max_packet,
                ));
                Ok(())
            }
            _ => Err(Error::misuse(
                "no open request with that id waits for an answer",
            )),
        }
    }

    /// Refuses the peer's open request `id` with an [`super::open_failure`] code.
    pub(crate) fn reject(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: ChannelId,
        reason: u32,
        description: &str,
    ) -> Result<(), Error> {
        match self.get(id.0) {
            Some(ch) if ch.stage == Stage::AwaitingAccept => {
                ctx.send(messages::open_failure(ch.remote_id, reason, description));
                self.forget(id.0);
                Ok(())
            }
            _ => Err(Error::misuse(
                "no open request with that id waits for an answer",
            )),
        }
    }

    /// Sends a channel request; with `want_reply`, [`super::ChannelEvent::RequestAnswered`]
    /// follows.
    pub(crate) fn request(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: ChannelId,
        request: &ChannelRequest,
        want_reply: bool,
    ) -> Result<(), Error> {
        let role = self.role;
        let ch = self.usable(id)?;
        if request.sender() != role {
            return Err(Error::misuse("this side may not send that request"));
        }
        if ch.kind != ChannelKind::Session {
            return Err(Error::misuse("requests go on session channels"));
        }
        ctx.send(messages::request(ch.remote_id, request, want_reply));
        if want_reply {
            ch.replies_awaited += 1;
        }
        Ok(())
    }

    /// Answers the oldest undecided request on `id`.
    pub(crate) fn answer_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: ChannelId,
        success: bool,
    ) -> Result<(), Error> {
        let ch = self.usable(id)?;
        let Some(slot) = ch.replies_owed.iter_mut().find(|s| s.is_none()) else {
            return Err(Error::misuse(
                "no request on that channel waits for an answer",
            ));
        };
        *slot = Some(success);
        Channels::flush_replies(ctx, ch);
        Ok(())
    }

    /// Takes as much of `len` bytes of data as the peer's window allows, out of the window, and
    /// says how to packetize them; the caller hands the bytes to the transport, which seals
    /// them straight from the application's buffer (see [`DataSend`]). When less than all,
    /// [`super::ChannelEvent::Writable`] comes once the window opens.
    pub(crate) fn take_window(
        &mut self,
        id: ChannelId,
        code: Option<u32>,
        len: usize,
    ) -> Result<DataSend, Error> {
        let ch = self.usable(id)?;
        if ch.eof_sent {
            return Err(Error::misuse("EOF was sent on that channel"));
        }
        let take = len.min(ch.send_window as usize);
        let chunk = ch.send_max_packet.min(MAX_SEND_CHUNK) as usize;
        // `take` fits in u32: it is at most the window.
        ch.send_window -= u32::try_from(take).unwrap_or(ch.send_window);
        if take < len {
            ch.writer_blocked = true;
        }
        Ok(DataSend {
            recipient: ch.remote_id,
            code,
            take,
            chunk,
        })
    }

    /// Gives back `n` bytes of window that [`Channels::take_window`] took but the transport did
    /// not send (a key exchange began holding output); the writer waits for `Writable`.
    pub(crate) fn untake_window(&mut self, id: ChannelId, n: usize) {
        if let Some(ch) = self.get_mut(id.0) {
            // `n` is at most what was taken from the window, so it fits.
            ch.send_window = ch
                .send_window
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            ch.writer_blocked = true;
        }
    }

    /// Bytes the peer lets us send on `id` now.
    pub(crate) fn send_window(&self, id: ChannelId) -> Option<u32> {
        self.get(id.0)
            .filter(|ch| ch.can_send())
            .map(|ch| ch.send_window)
    }

    /// The application has dealt with `n` bytes of data from `id`: give them back to the peer.
    pub(crate) fn consume(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: ChannelId,
        n: usize,
    ) -> Result<(), Error> {
        let Some(ch) = self.get_mut(id.0) else {
            // The channel closed meanwhile: nothing to give back.
            return Ok(());
        };
        let n = u32::try_from(n).map_err(|_| Error::misuse("consumed more than was received"))?;
        if n > ch.unconsumed {
            return Err(Error::misuse("consumed more than was received"));
        }
        if let Some(adjust) = ch.consume(n) {
            ctx.send(messages::window_adjust(ch.remote_id, adjust));
        }
        Ok(())
    }

    /// Sends EOF on `id`: we will send no more data.
    pub(crate) fn eof(&mut self, ctx: &mut Ctx<'_>, id: ChannelId) -> Result<(), Error> {
        let ch = self.usable(id)?;
        if !ch.eof_sent {
            ch.eof_sent = true;
            ctx.send(messages::bare(CHANNEL_EOF, ch.remote_id));
        }
        Ok(())
    }

    /// Closes `id`. [`super::ChannelEvent::Closed`] follows when the peer's CLOSE arrives.
    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>, id: ChannelId) -> Result<(), Error> {
        let Some(ch) = self.get_mut(id.0) else {
            return Err(Error::misuse("no such channel"));
        };
        match ch.stage {
            Stage::AwaitingAccept => Err(Error::misuse("answer the open request instead")),
            Stage::Opening => {
                ch.close_on_open = true;
                Ok(())
            }
            Stage::Open => {
                if !ch.close_sent {
                    ch.close_sent = true;
                    ctx.send(messages::bare(CHANNEL_CLOSE, ch.remote_id));
                }
                Ok(())
            }
        }
    }
}
