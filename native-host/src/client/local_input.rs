//! The client's standard input, read on a thread of its own and sent to the connection task.
//!
//! Why not tokio's `stdin()`: every read is a trip to the blocking pool and back (two thread
//! switches per chunk), which a profile of an upload (`ssh host 'cat > f' < file`) showed as
//! most of the client's time. Here one thread reads the descriptor (a duplicate of it) with
//! plain blocking reads, [`CHUNK`] at a time (a file gives whole chunks, a pipe what it holds),
//! and stays at most [`IN_FLIGHT`] chunks ahead of the engine, as the channel readers do.

use crate::app_msg::AppMsg;
use crate::channel_io::idle::QUIET_READ;
use sshgate::channel::ChannelId;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

/// Bytes per read: four channel packets, so a file is read in a quarter of the calls of a
/// pipe-sized read.
pub const CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the engine (memory bound: `IN_FLIGHT * CHUNK`).
pub const IN_FLIGHT: usize = 4;

/// Starts reading `source` (duplicated) for `channel`; ends with [`AppMsg::OutputEnd`] at EOF
/// or on an error. The thread is not joined: a read blocked on a terminal ends with the process.
pub fn spawn(source: impl AsFd, channel: ChannelId, tx: mpsc::Sender<AppMsg>) -> io::Result<()> {
    let mut file = File::from(source.as_fd().try_clone_to_owned()?);
    let runtime = tokio::runtime::Handle::current();
    let credit = Arc::new(Semaphore::new(IN_FLIGHT));
    std::thread::Builder::new()
        .name("ssh-input".into())
        .spawn(move || {
            loop {
                let Ok(permit) = runtime.block_on(credit.clone().acquire_owned()) else {
                    break;
                };
                let mut data = vec![0u8; CHUNK];
                let n = match file.read(&mut data) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // A descriptor someone made non-blocking: wait a little rather than spin.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        continue;
                    }
                    Err(_) => break,
                };
                if n <= QUIET_READ {
                    // Keystrokes should not pin a whole chunk while they wait for window.
                    data = data[..n].to_vec();
                } else {
                    data.truncate(n);
                }
                let msg = AppMsg::Output {
                    channel,
                    ext: None,
                    data,
                    permit,
                };
                if tx.blocking_send(msg).is_err() {
                    return;
                }
            }
            let _ = tx.blocking_send(AppMsg::OutputEnd { channel, ext: None });
        })?;
    Ok(())
}
