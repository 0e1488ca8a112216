//! The two tasks of a forwarded connection's relay: the channel's data written to the local
//! socket ([`spawn_writer`], acknowledged only once written), and a stop switch for the reader
//! ([`Stoppable`]) so a closed channel's socket goes away without waiting for its peer.

use super::ForwardMsg;
use crate::app_msg::AppMsg;
use sshgate::channel::ChannelId;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{mpsc, oneshot};

/// A reader that reports end of input once its stop sender is dropped (the channel closed), so
/// the reader task and its socket half go away without waiting for the local peer.
pub struct Stoppable<R> {
    /// The socket half.
    pub inner: R,
    /// Dropping the sender ends the input.
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

/// A task writing a channel's data to its local socket, `preface` first; each chunk is
/// acknowledged ([`AppMsg::Written`]) once written, so the window moves only as fast as the
/// socket takes it. When the sender is dropped (the peer's EOF) the socket's write side is
/// shut after the last chunk.
pub fn spawn_writer<W>(
    mut out: W,
    channel: ChannelId,
    preface: Vec<u8>,
    app: mpsc::Sender<AppMsg>,
) -> mpsc::UnboundedSender<Vec<u8>>
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    // Unbounded only in type: the engine delivers no more than the window we advertise.
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        let mut failed = !preface.is_empty() && out.write_all(&preface).await.is_err();
        while let Some(d) = rx.recv().await {
            if !failed && out.write_all(&d).await.is_err() {
                failed = true;
                let _ = app
                    .send(AppMsg::ClientForward(ForwardMsg::WriteFailed { channel }))
                    .await;
            }
            if app
                .send(AppMsg::Written {
                    channel,
                    n: d.len(),
                })
                .await
                .is_err()
            {
                break;
            }
        }
        let _ = out.shutdown().await;
    });
    tx
}
