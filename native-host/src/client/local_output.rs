//! The client's standard output and error: a channel's data written to a local descriptor on a
//! thread of its own.
//!
//! Why not tokio's `stdout()`: it hands every write to the blocking pool (two thread switches
//! per packet) and goes through std's line-buffered `Stdout` (a newline scan of every byte); a
//! profile of a bulk download showed those, not the cipher, as most of the client's time. Here
//! one thread per stream writes straight to a duplicate of the descriptor and takes everything
//! queued at once (`write_vectored`), so a slow pipe or terminal gets fewer, larger writes.
//! While nothing waits for it, what the descriptor takes at once (a keystroke's echo to a
//! terminal, what fits in a pipe's free room, anything to a file) is written on the connection's
//! thread instead: a hand-off per packet cost a download a third of its CPU in thread switches.
//!
//! Flow control: while at most [`QUEUE_LIMIT`] bytes wait, data is acknowledged to the engine
//! (the window given back) as it is queued, so a fast consumer costs no message per packet.
//! Past the limit the bytes are owed: the writer acknowledges them with [`AppMsg::Written`]
//! once it has brought the queue down to half the limit. Memory stays bounded by the limit plus
//! the channel's window, and a consumer that stops reading stops the sender.

use crate::app_msg::AppMsg;
use sshgate::channel::ChannelId;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IoSlice, IsTerminal, Write};
use std::os::fd::AsFd;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use tokio::sync::mpsc;

/// Bytes that may wait for the local descriptor before the sender is held back.
pub const QUEUE_LIMIT: usize = 2 * 1024 * 1024;

/// At most this many chunks go into one `write_vectored` (the kernel's IOV_MAX is 1024).
const MAX_IOVECS: usize = 64;

/// Queued bytes that wake the writer without waiting for [`LocalOutput::wake`].
const WAKE_AT: usize = 256 * 1024;

/// Output up to this size, for a terminal, with nothing queued, is written on the caller's
/// thread (see [`LocalOutput::push`]).
const INLINE_LIMIT: usize = 4096;

/// Room a pipe must have beyond a write before it is made on the caller's thread: the kernel
/// keeps a pipe in page-sized slots, so its free bytes can overstate what fits without waiting.
const PIPE_SLACK: usize = 2 * 4096;

/// The descriptor again, for writes on the caller's thread that cannot wait (see
/// [`LocalOutput::push`]), by what it is.
enum Direct {
    /// A terminal: small writes (keystroke echoes).
    Terminal(File),
    /// A pipe of this capacity: writes that fit in its free room.
    Pipe(File, usize),
    /// A regular file or a device like /dev/null: any write.
    Plain(File),
}

impl Direct {
    fn of(file: &File) -> io::Result<Option<Direct>> {
        use rustix::fs::FileType;
        let kind = FileType::from_raw_mode(rustix::fs::fstat(file)?.st_mode);
        Ok(if file.is_terminal() {
            Some(Direct::Terminal(file.try_clone()?))
        } else if kind == FileType::Fifo {
            match rustix::pipe::fcntl_getpipe_size(file) {
                Ok(cap) => Some(Direct::Pipe(file.try_clone()?, cap)),
                Err(_) => None,
            }
        } else if matches!(kind, FileType::RegularFile | FileType::CharacterDevice) {
            Some(Direct::Plain(file.try_clone()?))
        } else {
            None
        })
    }

    /// The file, if `n` bytes can be written to it now without waiting for a reader.
    fn ready_for(&self, n: usize) -> Option<&File> {
        match self {
            Direct::Terminal(f) if n <= INLINE_LIMIT => Some(f),
            Direct::Terminal(_) => None,
            Direct::Pipe(f, cap) => {
                let unread = rustix::io::ioctl_fionread(f).ok()?;
                let unread = usize::try_from(unread).ok()?;
                (unread + n + PIPE_SLACK <= *cap).then_some(f)
            }
            Direct::Plain(f) => Some(f),
        }
    }
}

/// The queue between the connection task and the writer thread.
#[derive(Default)]
struct State {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes in `chunks`.
    queued: usize,
    /// Bytes queued past the limit and not yet acknowledged to the engine.
    owed: usize,
    /// The writer is waiting for data (so a push must wake it).
    idle: bool,
    /// No more data will come: write what is left and end.
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One local stream (stdout or stderr) fed by one channel.
pub struct LocalOutput {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The descriptor again, for writes on the caller's thread.
    direct: Option<Direct>,
}

impl LocalOutput {
    /// Starts the writer for `target` (duplicated, so closing ours leaves the process's stream
    /// open); owed acknowledgements go to `app` as `Written` for `channel`.
    pub fn spawn(
        target: impl AsFd,
        channel: ChannelId,
        app: mpsc::Sender<AppMsg>,
    ) -> io::Result<Self> {
        let file = File::from(target.as_fd().try_clone_to_owned()?);
        let direct = Direct::of(&file)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ssh-output".into())
            .spawn(move || write_loop(&theirs, file, channel, &app))?;
        Ok(LocalOutput {
            shared,
            thread: Some(thread),
            direct,
        })
    }

    /// Queues `data`; returns how many bytes the engine may consume now (all of them, or none
    /// when the queue is past its limit: the writer acknowledges those later). The writer
    /// starts on it at the next [`LocalOutput::wake`] (or once [`WAKE_AT`] bytes wait).
    pub fn push(&self, data: Vec<u8>) -> usize {
        let n = data.len();
        if n == 0 {
            return 0;
        }
        let s = self.shared.lock();
        // With nothing queued or being written, handing data to the writer costs a thread
        // wake-up per packet (on every key's echo, and a download's worth of switches). Data the
        // descriptor takes at once is written here instead, as OpenSSH's single loop writes:
        // a keystroke to a terminal (in raw mode its flow control is off), what fits in a
        // pipe's free room, anything to a file or /dev/null. The lock is held, so the writer
        // cannot start on later data meanwhile; `queued` counts what it is still writing.
        let mut data = data;
        if s.queued == 0
            && let Some(mut t) = self.direct.as_ref().and_then(|d| d.ready_for(n))
        {
            match t.write(&data) {
                Ok(w) if w == n => return n,
                // The rest (a descriptor someone made non-blocking, a full terminal) goes to
                // the writer as usual.
                Ok(w) => {
                    data.drain(..w);
                    return w + self.queue(s, data);
                }
                Err(_) => {}
            }
        }
        self.queue(s, data)
    }

    fn queue(&self, mut s: std::sync::MutexGuard<'_, State>, data: Vec<u8>) -> usize {
        let n = data.len();
        s.queued += n;
        s.chunks.push_back(data);
        let now = if s.queued <= QUEUE_LIMIT && s.owed == 0 {
            n
        } else {
            s.owed += n;
            0
        };
        if s.queued >= WAKE_AT {
            Self::wake_writer(&mut s, &self.shared.ready);
        }
        now
    }

    /// Sets the writer going on what is queued. Called once per batch of engine events, not per
    /// packet: a download wakes the thread once per socket read rather than once per packet.
    pub fn wake(&self) {
        let mut s = self.shared.lock();
        if !s.chunks.is_empty() {
            Self::wake_writer(&mut s, &self.shared.ready);
        }
    }

    fn wake_writer(s: &mut State, ready: &Condvar) {
        if s.idle {
            s.idle = false;
            ready.notify_one();
        }
    }

    /// No more data: the writer writes what is queued and ends. Waits for it off the async
    /// threads, so no output is lost at exit.
    pub async fn finish(mut self) {
        self.close();
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    fn close(&self) {
        let mut s = self.shared.lock();
        s.closed = true;
        self.shared.ready.notify_one();
    }
}

impl Drop for LocalOutput {
    fn drop(&mut self) {
        // Not finished (an early return): let the thread end on its own after the queue.
        self.close();
    }
}

fn write_loop(shared: &Shared, mut out: File, channel: ChannelId, app: &mpsc::Sender<AppMsg>) {
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut broken = false;
    loop {
        {
            let mut s = shared.lock();
            while s.chunks.is_empty() && !s.closed {
                s.idle = true;
                s = shared.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
            if s.chunks.is_empty() {
                return;
            }
            let take = s.chunks.len().min(MAX_IOVECS);
            batch.extend(s.chunks.drain(..take));
        }
        let n: usize = batch.iter().map(Vec::len).sum();
        // A reader that went away (EPIPE): the rest is dropped, as OpenSSH does, but still
        // acknowledged so the connection is not held up by a window that never reopens.
        if !broken && write_all_vectored(&mut out, &batch).is_err() {
            broken = true;
        }
        batch.clear();
        let owed = {
            let mut s = shared.lock();
            s.queued -= n;
            if s.owed > 0 && s.queued <= QUEUE_LIMIT / 2 {
                std::mem::take(&mut s.owed)
            } else {
                0
            }
        };
        if owed > 0 {
            // The connection may have ended (receiver gone): nothing to acknowledge then.
            let _ = app.blocking_send(AppMsg::Written { channel, n: owed });
        }
    }
}

/// Writes every byte of `chunks`, as few system calls as the descriptor allows.
fn write_all_vectored(out: &mut File, chunks: &[Vec<u8>]) -> io::Result<()> {
    let mut chunk = 0;
    let mut offset = 0;
    while chunk < chunks.len() {
        let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&chunks[chunk][offset..]))
            .chain(chunks[chunk + 1..].iter().map(|c| IoSlice::new(c)))
            .collect();
        let mut n = match out.write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A descriptor someone made non-blocking: wait a little rather than spin.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            }
            Err(e) => return Err(e),
        };
        // Advance past what was written.
        while n > 0 {
            let left = chunks[chunk].len() - offset;
            if n >= left {
                n -= left;
                chunk += 1;
                offset = 0;
            } else {
                offset += n;
                n = 0;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn channel() -> ChannelId {
        ChannelId(0)
    }

    /// Reads `reader` to its end on a thread of its own; the join gives the bytes.
    fn read_to_end_aside(
        mut reader: impl Read + Send + 'static,
    ) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut got = Vec::new();
            reader.read_to_end(&mut got).unwrap();
            got
        })
    }

    #[tokio::test]
    async fn everything_queued_reaches_the_descriptor_in_order() {
        let (reader, writer) = std::io::pipe().unwrap();
        let (app, _rx) = mpsc::channel(4);
        let out = LocalOutput::spawn(&writer, channel(), app).unwrap();
        drop(writer);
        let mut expected = Vec::new();
        for i in 0..200u32 {
            let chunk: Vec<u8> = (0..(i * 37 % 5000)).map(|j| (i + j) as u8).collect();
            expected.extend_from_slice(&chunk);
            out.push(chunk);
        }
        out.wake();
        let reading = read_to_end_aside(reader);
        out.finish().await;
        assert_eq!(reading.join().unwrap(), expected);
    }

    #[tokio::test]
    async fn a_pipe_nobody_reads_never_blocks_the_caller() {
        // What fits in the pipe is written on the caller's thread; the rest must queue rather
        // than wait for a reader (the test would hang here otherwise).
        let (reader, writer) = std::io::pipe().unwrap();
        let (app, _rx) = mpsc::channel(4);
        let out = LocalOutput::spawn(&writer, channel(), app).unwrap();
        drop(writer);
        let mut expected = Vec::new();
        for i in 0..64u32 {
            let chunk = vec![i as u8; 32 * 1024];
            expected.extend_from_slice(&chunk);
            out.push(chunk);
        }
        out.wake();
        let reading = read_to_end_aside(reader);
        out.finish().await;
        assert!(
            reading.join().unwrap() == expected,
            "bytes lost or out of order"
        );
    }

    #[tokio::test]
    async fn a_regular_file_gets_everything_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let file = File::create(&path).unwrap();
        let (app, _rx) = mpsc::channel(4);
        let out = LocalOutput::spawn(&file, channel(), app).unwrap();
        let mut expected = Vec::new();
        for i in 0..100u32 {
            let chunk: Vec<u8> = (0..(i * 911 % 40_000)).map(|j| (i ^ j) as u8).collect();
            expected.extend_from_slice(&chunk);
            assert_eq!(
                out.push(chunk.clone()),
                chunk.len(),
                "a file takes everything at once"
            );
        }
        out.wake();
        out.finish().await;
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[tokio::test]
    async fn past_the_limit_bytes_are_owed_until_the_writer_catches_up() {
        let (reader, writer) = std::io::pipe().unwrap();
        let (app, mut rx) = mpsc::channel(4);
        let out = LocalOutput::spawn(&writer, channel(), app).unwrap();
        drop(writer);
        // Nobody reads yet: the pipe fills, then the queue.
        let chunk = vec![7u8; 64 * 1024];
        let mut now = 0;
        let mut owed = 0;
        for _ in 0..(2 * QUEUE_LIMIT / chunk.len()) {
            let n = out.push(chunk.clone());
            now += n;
            owed += chunk.len() - n;
        }
        out.wake();
        assert!(owed > 0, "a stalled reader must leave bytes owed");
        assert!(
            now <= QUEUE_LIMIT + 64 * 1024 + chunk.len(),
            "acknowledged {now} with nothing read"
        );
        let reading = read_to_end_aside(reader);
        let mut acked = 0;
        while acked < owed {
            match rx.recv().await {
                Some(AppMsg::Written { n, .. }) => acked += n,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(acked, owed);
        out.finish().await;
        assert_eq!(reading.join().unwrap().len(), now + owed);
    }
}
