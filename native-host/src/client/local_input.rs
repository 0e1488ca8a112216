//! The client's standard input, read on a thread of its own and sent to the connection task.
//!
//! Why not tokio's `stdin()`: every read is a trip to the blocking pool and back (two thread
//! switches per chunk), which a profile of an upload (`ssh host 'cat > f' < file`) showed as
//! most of the client's time. Here one thread reads the descriptor (a duplicate of it) with
//! plain blocking reads, [`CHUNK`] at a time (a file gives whole chunks, a pipe what it holds),
//! and stays at most [`IN_FLIGHT`] chunks ahead of the engine, as the channel readers do.
//!
//! A terminal is the exception: its keystrokes are read on the connection's own thread when
//! epoll says they are there, as OpenSSH's single loop does, because a hand-off from another
//! thread costs a wake-up on every key's way out.

use crate::app_msg::AppMsg;
use crate::channel_io::idle::QUIET_READ;
use sshgate::channel::ChannelId;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;
use std::sync::Arc;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Bytes per read: four channel packets, so a file is read in a quarter of the calls of a
/// pipe-sized read.
pub const CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the engine (memory bound: `IN_FLIGHT * CHUNK`).
pub const IN_FLIGHT: usize = 4;

/// Bytes per read from a terminal: more than its input queue holds (4095 on Linux).
const TERMINAL_CHUNK: usize = 4096;

/// Starts reading `source` (duplicated) for `channel`; ends with [`AppMsg::OutputEnd`] at EOF
/// or on an error. The thread is not joined: a read blocked on a terminal ends with the process.
pub fn spawn(source: impl AsFd, channel: ChannelId, tx: mpsc::Sender<AppMsg>) -> io::Result<()> {
    let mut file = File::from(source.as_fd().try_clone_to_owned()?);
    let credit = Arc::new(Semaphore::new(IN_FLIGHT));
    if file.is_terminal()
        && let Ok(terminal) = watch(file.try_clone()?)
    {
        tokio::spawn(read_terminal(terminal, channel, tx, credit));
        return Ok(());
    }
    let runtime = tokio::runtime::Handle::current();
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
                if tx.blocking_send(chunk(channel, data, permit)).is_err() {
                    return;
                }
            }
            let _ = tx.blocking_send(AppMsg::OutputEnd { channel, ext: None });
        })?;
    Ok(())
}

/// One chunk of stdin for `channel`, holding its reader permit until the engine has sent it.
fn chunk(channel: ChannelId, data: Vec<u8>, permit: OwnedSemaphorePermit) -> AppMsg {
    AppMsg::Output {
        channel,
        ext: None,
        data,
        permit,
    }
}

/// `file` registered with the runtime's epoll for input.
#[allow(unsafe_code)] // the registration's contract, which an owned `File` keeps by itself
fn watch(file: File) -> io::Result<AsyncFd<File>> {
    // SAFETY: `register` needs the descriptor to stay open and the same while the `AsyncFd`
    // owns it; a `File` owns its descriptor, closes it only when dropped and never changes it.
    unsafe { AsyncFd::register_with_interest(file, Interest::READABLE) }.map_err(io::Error::from)
}

/// The terminal's reader: waits for epoll to report input, then one read takes all of it. The
/// descriptor stays blocking (it is shared with the shell that started us), so a read happens
/// only on a readiness that tokio has not seen consumed; a terminal has no other reader here.
async fn read_terminal(
    terminal: AsyncFd<File>,
    channel: ChannelId,
    tx: mpsc::Sender<AppMsg>,
    credit: Arc<Semaphore>,
) {
    loop {
        let Ok(permit) = credit.clone().acquire_owned().await else {
            break;
        };
        let Ok(mut ready) = terminal.readable().await else {
            break;
        };
        let mut data = vec![0u8; TERMINAL_CHUNK];
        let read = ready.get_inner().read(&mut data);
        // Cleared only if no new input was reported since the wait returned (tokio compares
        // the readiness tick), so a key typed meanwhile is not missed.
        ready.clear_ready();
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        data.truncate(n);
        if tx.send(chunk(channel, data, permit)).await.is_err() {
            return;
        }
    }
    let _ = tx.send(AppMsg::OutputEnd { channel, ext: None }).await;
}
