//! Moving bytes between an open forwarding channel and its TCP connection, under the engine's
//! flow control both ways: the socket's bytes go to the client through
//! [`crate::channel_io::reader`] (at most `IN_FLIGHT` chunks ahead of the client's window),
//! and the client's bytes are written to the socket by a task that acknowledges each write
//! with [`AppMsg::Written`] — only then is the client's window given back, so a slow TCP peer
//! stops the SSH peer instead of growing a buffer here.

use super::FwdMsg;
use crate::app_msg::AppMsg;
use crate::channel_io::reader;
use crate::channel_io::stoppable::Stoppable;
use sshgate::channel::ChannelId;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};

/// What the writer task gets.
enum Input {
    Data(Vec<u8>),
    Eof,
}

/// The connection side of a running relay. Dropping it stops the reader (its socket half
/// reads as EOF) and lets the writer finish what it was given, then close its half.
pub struct Relay {
    input: mpsc::UnboundedSender<Input>,
    _stop: oneshot::Sender<()>,
}

impl Relay {
    /// Starts the two tasks for `channel` over `stream`.
    pub fn start(stream: TcpStream, channel: ChannelId, app: &mpsc::Sender<AppMsg>) -> Self {
        let _ = stream.set_nodelay(true);
        let (rd, wr) = stream.into_split();
        let (stop_tx, stop_rx) = oneshot::channel();
        reader::spawn(
            Stoppable {
                inner: rd,
                stop: stop_rx,
            },
            channel,
            None,
            app.clone(),
        );
        // Unbounded in messages, bounded in bytes: the engine refuses data past the window
        // it gave, and the window comes back only through this task's acknowledgements.
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_task(wr, rx, channel, app.clone()));
        Relay {
            input: tx,
            _stop: stop_tx,
        }
    }

    /// The client's bytes, for the socket.
    pub fn data(&self, data: Vec<u8>) {
        let _ = self.input.send(Input::Data(data));
    }

    /// The client sent EOF: the socket's write half is shut down after what came before.
    pub fn eof(&self) {
        let _ = self.input.send(Input::Eof);
    }
}

/// Writes the client's bytes, acknowledging each chunk; after a write error the rest is
/// acknowledged unwritten (the window keeps moving until the channel closes).
async fn write_task(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Input>,
    channel: ChannelId,
    tx: mpsc::Sender<AppMsg>,
) {
    let mut failed = false;
    while let Some(input) = rx.recv().await {
        match input {
            Input::Data(d) => {
                if !failed && wr.write_all(&d).await.is_err() {
                    failed = true;
                    let _ = tx
                        .send(AppMsg::Forward(Box::new(FwdMsg::WriteFailed { channel })))
                        .await;
                }
                let n = d.len();
                if tx.send(AppMsg::Written { channel, n }).await.is_err() {
                    return;
                }
            }
            Input::Eof => {
                if !failed {
                    let _ = wr.shutdown().await;
                }
                failed = true;
            }
        }
    }
}
