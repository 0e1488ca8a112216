//! A task that reads a program's output (or a terminal) and sends it to the connection task,
//! never more than [`IN_FLIGHT`] chunks ahead of what the engine has taken.

use crate::app_msg::AppMsg;
use sshgate::channel::ChannelId;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{Semaphore, mpsc};

/// Bytes per read: a channel packet's worth.
pub const CHUNK: usize = 32 * 1024;
/// Chunks read ahead of the engine per stream (memory bound: `IN_FLIGHT * CHUNK`).
pub const IN_FLIGHT: usize = 8;

/// Spawns the reader; it ends with [`AppMsg::OutputEnd`] at EOF or on an error (a PTY whose
/// program exited reports EIO: that is its EOF).
pub fn spawn<R>(mut src: R, channel: ChannelId, ext: Option<u32>, tx: mpsc::Sender<AppMsg>)
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let credit = Arc::new(Semaphore::new(IN_FLIGHT));
    tokio::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let Ok(permit) = credit.clone().acquire_owned().await else {
                break;
            };
            match src.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let msg = AppMsg::Output {
                        channel,
                        ext,
                        data: buf[..n].to_vec(),
                        permit,
                    };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(AppMsg::OutputEnd { channel, ext }).await;
    });
}
