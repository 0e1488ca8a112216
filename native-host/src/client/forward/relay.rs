//! The two tasks of a forwarded connection's relay: the channel's data written to the local
//! socket ([`spawn_writer`], acknowledged only once written); the reader's stop switch is
//! [`crate::channel_io::stoppable::Stoppable`].

use super::ForwardMsg;
use crate::app_msg::AppMsg;
use sshgate::channel::ChannelId;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

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
