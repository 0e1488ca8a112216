//! A WebSocket as a byte stream ([`AsyncRead`] + [`AsyncWrite`]), so the engine driver serves a
//! browser exactly as it serves a TCP client. Binary messages carry the SSH bytes; pings are
//! answered by tungstenite itself and pongs ignored; a text message is a protocol error (the
//! read fails with `InvalidData`); a close message is the end of the stream.
//!
//! Each write becomes one binary message; the driver writes whole batches of packets at once.

use super::limits::SessionSlot;
use axum::extract::ws::{Message, WebSocket};
use bytes::{Buf, Bytes};
use futures_util::{Sink, Stream};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The adapter.
pub struct WsIo {
    ws: WebSocket,
    /// The rest of the last binary message.
    pending: Bytes,
    eof: bool,
    /// The session's place under the listener's limits, given back with the stream.
    _slot: Option<SessionSlot>,
}

impl WsIo {
    /// Wraps `ws`, holding `slot` for as long as the stream lives.
    #[must_use]
    pub fn new(ws: WebSocket, slot: Option<SessionSlot>) -> Self {
        WsIo {
            ws,
            pending: Bytes::new(),
            eof: false,
            _slot: slot,
        }
    }
}

fn to_io(e: axum::Error) -> io::Error {
    io::Error::other(e)
}

impl AsyncRead for WsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(b))) => this.pending = b,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "text message on an SSH WebSocket (SSH bytes go in binary messages)",
                    )));
                }
                Some(Ok(Message::Close(_))) | None => this.eof = true,
                Some(Err(e)) => return Poll::Ready(Err(to_io(e))),
            }
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.ws).poll_ready(cx)).map_err(to_io)?;
        Pin::new(&mut this.ws)
            .start_send(Message::Binary(Bytes::copy_from_slice(buf)))
            .map_err(to_io)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().ws)
            .poll_flush(cx)
            .map_err(to_io)
    }

    /// Sends a close message (the WebSocket counterpart of a FIN).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().ws)
            .poll_close(cx)
            .map_err(to_io)
    }
}
