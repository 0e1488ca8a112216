//! The SFTP worker's replies on their way to the connection task: written into recycled 64 KiB
//! chunks ([`crate::channel_io::pool`]), each sent as an [`AppMsg::Output`] with a permit, so
//! the worker is never more than [`IN_FLIGHT`] chunks ahead of the client's window.
//!
//! A READ's file bytes are read straight into the chunks after the DATA header (one copy in
//! serve: the engine's seal), and packets may straddle chunks: the channel is a byte stream.

use crate::app_msg::AppMsg;
use crate::channel_io::pool;
use sshgate::channel::ChannelId;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::sync::{Semaphore, mpsc};

/// Chunks handed to the connection task and not yet taken by the engine: 1 MiB, four
/// 255 KiB READs answered ahead of the window.
const IN_FLIGHT: usize = 16;

/// Where replies go.
pub struct Output {
    cur: Vec<u8>,
    credit: Arc<Semaphore>,
    tx: mpsc::Sender<AppMsg>,
    channel: ChannelId,
    rt: Handle,
    /// The connection task is gone: nothing more can be sent.
    pub closed: bool,
}

impl Output {
    /// Replies for `channel`, sent on `tx`; `rt` is the connection's runtime (permits are
    /// awaited on it from the worker's thread).
    pub fn new(channel: ChannelId, tx: mpsc::Sender<AppMsg>, rt: Handle) -> Self {
        Output {
            cur: Vec::new(),
            credit: Arc::new(Semaphore::new(IN_FLIGHT)),
            tx,
            channel,
            rt,
            closed: false,
        }
    }

    fn room(&mut self) -> usize {
        if self.cur.capacity() == 0 {
            self.cur = pool::take();
        }
        self.cur.capacity() - self.cur.len()
    }

    /// Appends bytes, sending each chunk that fills.
    pub fn put(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = self.room();
            if room == 0 {
                self.ship_current();
                continue;
            }
            let n = room.min(bytes.len());
            self.cur.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
    }

    /// A DATA reply of up to `len` bytes of `file` from `offset`, read into the chunks behind
    /// its header; `Ok(0)` (nothing queued) at end of file.
    pub fn data(
        &mut self,
        id: u32,
        file: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> std::io::Result<usize> {
        // The header is patched once the count is known: keep it inside one chunk.
        if self.room() < 13 + 1 {
            self.ship_current();
        }
        self.room();
        let header_at = self.cur.len();
        self.cur.extend_from_slice(&[0; 13]);
        // Chunks filled by this reply, held until the header is right.
        let mut held: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        let mut failure = None;
        while total < len {
            if self.room() == 0 {
                held.push(std::mem::replace(&mut self.cur, pool::take()));
            }
            let start = self.cur.len();
            let want = (self.cur.capacity() - start).min(len - total);
            self.cur.resize(start + want, 0);
            match file.read_at(&mut self.cur[start..], offset + total as u64) {
                Ok(0) => {
                    self.cur.truncate(start);
                    break;
                }
                Ok(n) => {
                    self.cur.truncate(start + n);
                    total += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    self.cur.truncate(start);
                }
                Err(e) => {
                    self.cur.truncate(start);
                    failure = Some(e);
                    break;
                }
            }
        }
        let header = sshgate::sftp::data_header(id, total);
        if total == 0 {
            // Nothing read: no DATA at all (the caller answers EOF or the error).
            debug_assert!(held.is_empty());
            self.cur.truncate(header_at);
            return failure.map_or(Ok(0), Err);
        }
        match held.first_mut() {
            Some(first) => first[header_at..header_at + 13].copy_from_slice(&header),
            None => self.cur[header_at..header_at + 13].copy_from_slice(&header),
        }
        for chunk in held {
            self.ship(chunk);
        }
        Ok(total)
    }

    /// Sends what is queued (the worker has nothing more to answer right now).
    pub fn flush(&mut self) {
        if !self.cur.is_empty() {
            self.ship_current();
        }
    }

    fn ship_current(&mut self) {
        let chunk = std::mem::take(&mut self.cur);
        if chunk.is_empty() {
            pool::give(chunk);
            return;
        }
        self.ship(chunk);
    }

    fn ship(&mut self, data: Vec<u8>) {
        if self.closed {
            pool::give(data);
            return;
        }
        // Waits while IN_FLIGHT chunks are ahead of the client's window.
        let Ok(permit) = self.rt.block_on(self.credit.clone().acquire_owned()) else {
            self.closed = true;
            return;
        };
        let msg = AppMsg::Output {
            channel: self.channel,
            ext: None,
            data,
            permit,
        };
        if self.tx.blocking_send(msg).is_err() {
            self.closed = true;
        }
    }

    /// Tells the connection task that `n` bytes of input were handled (the window goes back).
    pub fn written(&mut self, n: usize) {
        if n == 0 || self.closed {
            return;
        }
        if self
            .tx
            .blocking_send(AppMsg::Written {
                channel: self.channel,
                n,
            })
            .is_err()
        {
            self.closed = true;
        }
    }

    /// The session ended: the connection task closes the channel.
    pub fn exited(&mut self, code: u32) {
        self.flush();
        if !self.closed {
            let _ = self.tx.blocking_send(AppMsg::Exited {
                channel: self.channel,
                exit: crate::app_msg::Exit::Code(code),
            });
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        pool::give(std::mem::take(&mut self.cur));
    }
}
