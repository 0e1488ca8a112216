//! A task that reads a program's output (or a terminal) and sends it to the connection task,
//! never more than [`IN_FLIGHT`] chunks ahead of what the engine has taken.
//!
//! Each chunk is read straight into the `Vec` that travels to the engine (no copy; the outbox
//! gives it back to [`super::pool`] once sent), and a quiet stream waits for readiness before
//! it takes one (see [`super::idle`]), so an idle session holds no read buffer.

use super::idle::{QUIET_READ, readable};
use super::pool;
use crate::app_msg::AppMsg;
use sshgate::channel::ChannelId;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{Semaphore, mpsc};

/// Bytes per read: a full pipe (Linux's default 64 KiB), two channel packets. Half the reads,
/// messages and wake-ups of packet-sized reads for the same bytes.
pub const CHUNK: usize = 64 * 1024;
/// Chunks read ahead of the engine per stream (memory bound: `IN_FLIGHT * CHUNK`).
pub const IN_FLIGHT: usize = 4;

/// Spawns the reader; it ends with [`AppMsg::OutputEnd`] at EOF or on an error (a PTY whose
/// program exited reports EIO: that is its EOF).
pub fn spawn<R>(mut src: R, channel: ChannelId, ext: Option<u32>, tx: mpsc::Sender<AppMsg>)
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let credit = Arc::new(Semaphore::new(IN_FLIGHT));
    tokio::spawn(async move {
        let mut quiet = true;
        loop {
            let Ok(permit) = credit.clone().acquire_owned().await else {
                break;
            };
            if quiet && readable(&mut src).await.is_err() {
                break;
            }
            let mut data = pool::take();
            match src.read_buf(&mut data).await {
                Ok(0) | Err(_) => {
                    pool::give(data);
                    break;
                }
                Ok(n) => {
                    quiet = n <= QUIET_READ;
                    if quiet {
                        // A few bytes should not pin a whole chunk while they wait for window.
                        let small = data[..n].to_vec();
                        pool::give(std::mem::replace(&mut data, small));
                    }
                    let msg = AppMsg::Output {
                        channel,
                        ext,
                        data,
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
