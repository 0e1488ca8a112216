//! A reader with a stop switch, for relays between a channel and a socket.

use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::oneshot;

/// A reader that reports end of input once its stop sender is sent on or dropped (the channel
/// closed), so the reader task and its socket half go away without waiting for the peer of a
/// quiet socket.
pub struct Stoppable<R> {
    /// The socket half.
    pub inner: R,
    /// Sent or dropped: the input ends.
    pub stop: oneshot::Receiver<()>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Stoppable<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if Pin::new(&mut self.stop).poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
