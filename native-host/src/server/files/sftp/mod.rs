//! The SFTP subsystem (OpenSSH `internal-sftp`): a session channel's `subsystem sftp` served
//! from the user's [`FileRoot`], with the engine's sans-IO codec (`sshgate::sftp`).
//!
//! Each SFTP session runs on a thread of its own, as OpenSSH runs one sftp-server process per
//! session: file I/O blocks, and it must not block the connection task that drives the engine.
//! The thread gets the channel's data as the engine delivers it and answers requests in order
//! (OpenSSH's client keeps up to 64 READs or WRITEs outstanding; answering them in order is
//! what it expects). Flow control both ways goes through the engine's windows: input is
//! acknowledged ([`AppMsg::Written`], the window given back) only after the requests in it were
//! handled, so a fast uploader waits on its window instead of filling a queue; replies travel
//! in pooled chunks with permits ([`output`]), so a slow downloader stops the reads.
//!
//! Uploads (`put`, OpenSSH 9's `scp`: OPEN with CREAT|TRUNC) are written to a hidden temporary
//! name beside the target and renamed over it at CLOSE, so a dropped connection or a refused
//! size never leaves a file that looks complete under the target's name; OpenSSH's sftp-server
//! writes in place and leaves the partial file. Opens without TRUNC (resume, append) write in
//! place as OpenSSH does.

mod attrs;
mod handles;
mod ops;
mod output;

use super::FileRoot;
use crate::app_msg::AppMsg;
use crate::channel_io::outbox::Item;
use sshgate::channel::{ChannelId, ChannelRequest};
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// What the connection task hands the session's thread.
enum Input {
    Data(Vec<u8>),
}

/// The connection task's side of a running SFTP session. Dropping it (the channel closed)
/// ends the session: the thread finishes the request at hand and cleans up.
pub struct SftpHandle {
    input: mpsc::UnboundedSender<Input>,
}

impl SftpHandle {
    /// Data from the client (acknowledged with [`AppMsg::Written`] once handled). The queue
    /// is bounded by the channel's window: the client cannot send more than it allows.
    pub fn write(&self, data: Vec<u8>) {
        let _ = self.input.send(Input::Data(data));
    }
}

/// Who the session is for (logs).
#[derive(Debug, Clone)]
pub struct Who {
    /// The client's address.
    pub peer: SocketAddr,
    /// The user.
    pub user: String,
}

/// Starts an SFTP session on `channel` over `root`; replies and the end go to `app`.
pub fn start(
    root: FileRoot,
    channel: ChannelId,
    app: &mpsc::Sender<AppMsg>,
    who: Who,
) -> anyhow::Result<SftpHandle> {
    let (tx, rx) = mpsc::unbounded_channel();
    let out = output::Output::new(channel, app.clone(), tokio::runtime::Handle::current());
    std::thread::Builder::new()
        .name("sftp".into())
        .spawn(move || run(root, rx, out, who))?;
    Ok(SftpHandle { input: tx })
}

/// `subsystem sftp` for `user`: refused unless `[sftp] enable`, a `[files]` root and the
/// user's privilege at least `[files] privilege`; otherwise the session starts on `channel`.
pub fn subsystem(
    files: Option<&super::FilesSection>,
    enabled: bool,
    privilege: u8,
    channel: ChannelId,
    app: &mpsc::Sender<AppMsg>,
    who: Who,
) -> anyhow::Result<SftpHandle> {
    anyhow::ensure!(enabled, "the sftp subsystem is disabled ([sftp] enable)");
    let files = files.ok_or_else(|| anyhow::anyhow!("no [files] root"))?;
    let root = FileRoot::open(files, &who.user, privilege)?;
    start(root, channel, app, who)
}

/// What the connection task sends when the session ended: EOF, exit-status, CLOSE (as sshd
/// after its sftp-server exits).
#[must_use]
pub fn closing(code: u32) -> Vec<Item> {
    vec![
        Item::Eof,
        Item::Request(ChannelRequest::ExitStatus { code }),
        Item::Close,
    ]
}

/// Input acknowledged in batches of at least this much while requests keep coming.
const ACK_BATCH: usize = 128 * 1024;
/// Input left unacknowledged when the queue runs dry, at most. The engine gives window back
/// only in halves of its 2 MiB, so acknowledging a few small requests would be a message
/// between threads per round trip for nothing; the client always keeps more than this of
/// its window, so it is never stopped by what waits here.
const IDLE_ACK: usize = 32 * 1024;

fn run(root: FileRoot, mut rx: mpsc::UnboundedReceiver<Input>, out: output::Output, who: Who) {
    tracing::info!(peer = %who.peer, user = %who.user, root = %root.host_path().display(),
        "sftp session started");
    let mut s = ops::Session::new(root, out, who.clone());
    let mut framer = sshgate::sftp::Framer::new(sshgate::sftp::MAX_PACKET);
    let mut unacked = 0usize;
    let mut code = 0;
    'session: loop {
        let msg = match rx.try_recv() {
            Ok(m) => m,
            Err(mpsc::error::TryRecvError::Empty) => {
                // Nothing more to answer right now: the replies leave first (the client waits
                // for them), then the input is acknowledged if enough of it waits to matter.
                s.out.flush();
                if unacked >= IDLE_ACK {
                    s.out.written(std::mem::take(&mut unacked));
                }
                match rx.blocking_recv() {
                    Some(m) => m,
                    None => break,
                }
            }
            Err(mpsc::error::TryRecvError::Disconnected) => break,
        };
        let Input::Data(data) = msg;
        framer.push(&data);
        unacked += data.len();
        loop {
            match framer.next_packet() {
                Ok(Some(packet)) => {
                    if let Err(e) = s.handle(packet) {
                        tracing::warn!(peer = %who.peer, user = %who.user, error = %e,
                            "sftp session ended: bad packet");
                        code = 1;
                        break 'session;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(peer = %who.peer, user = %who.user, error = %e,
                        "sftp session ended: bad packet");
                    code = 1;
                    break 'session;
                }
            }
        }
        if unacked >= ACK_BATCH {
            s.out.written(std::mem::take(&mut unacked));
        }
        if s.out.closed {
            break;
        }
    }
    let stats = s.finish();
    tracing::info!(peer = %who.peer, user = %who.user, bytes_read = stats.bytes_read,
        bytes_written = stats.bytes_written, created = stats.created, "sftp session ended");
    s.out.exited(code);
}
