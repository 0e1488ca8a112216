//! The SCP server (IOS `ip scp server enable`): an `exec` of `scp -t PATH` (the client uploads)
//! or `scp -f PATH...` (it downloads), run in serve itself on a blocking thread — not the
//! system's `scp`, whose paths nothing would keep under the user's root. Every path goes
//! through [`FileRoot`]. The protocol's records are the engine's ([`sshgate::scp`]); the two
//! directions are [`super::scp_sink`] and [`super::scp_source`]. Errors reach the client in
//! OpenSSH's words (`\1scp: NAME: No such file or directory`), and the exit status is
//! OpenSSH's: 1 if anything failed. `debug ip scp` is the `sshgate::debug_ip_scp` log target.

use super::FileRoot;
use super::config::FilesSection;
use crate::app_msg::AppMsg;
use crate::server::process::{self, ProcessHandle};
use sshgate::channel::ChannelId;
use sshgate::scp::{Command, Decoder, Direction, Record, ScpError};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// The log target of IOS `debug ip scp`: one line per file (direction, name, size, result).
pub const DEBUG_TARGET: &str = "sshgate::debug_ip_scp";

/// Bytes moved per read or write (a full pipe).
pub(super) const CHUNK: usize = 64 * 1024;

/// Directory levels a transfer may go down (a symlink to a parent would otherwise loop).
pub(super) const MAX_DEPTH: usize = 64;

/// Who asks, for [`start`].
pub struct Start<'a> {
    /// `[files]`.
    pub files: &'a FilesSection,
    /// The authenticated user.
    pub user: &'a str,
    /// Their IOS privilege level.
    pub privilege: u8,
    /// The client's address (logs).
    pub peer: SocketAddr,
    /// The session channel.
    pub channel: ChannelId,
    /// Where the transfer reports, as a program would.
    pub app: &'a mpsc::Sender<AppMsg>,
}

/// Starts the transfer `cmd` asks for; an error refuses the `exec` (a command scp's remote
/// side would not take, a user below `[files] privilege`, a root that cannot be opened).
pub fn start(s: &Start<'_>, cmd: Result<Command, ScpError>) -> anyhow::Result<ProcessHandle> {
    let cmd = cmd?;
    let root = FileRoot::open(s.files, s.user, s.privilege)?;
    let who = format!("{} {}", s.peer, sshgate::text::for_log(s.user, 64));
    process::spawn_in_process(s.channel, s.app, move |input, output| {
        Transfer::new(root, cmd, input, output, who).run()
    })
}

/// Why a transfer stops before its end (status 1).
#[derive(Debug)]
pub(super) enum Stop {
    /// The client's side ended mid-record or mid-file.
    Eof,
    /// The client sent `\2`.
    Fatal,
    /// A record that is not allowed here (told to the client as OpenSSH's "protocol error").
    Protocol(String),
    /// The channel's pipes failed.
    Io,
}

impl From<ScpError> for Stop {
    fn from(e: ScpError) -> Self {
        Stop::Protocol(e.to_string())
    }
}

pub(super) type Step<T> = Result<T, Stop>;

/// One transfer: the root, the command, the channel's two directions.
pub(super) struct Transfer<R: Read, W: Write> {
    pub(super) root: FileRoot,
    pub(super) cmd: Command,
    input: BufReader<R>,
    output: BufWriter<W>,
    decoder: Decoder,
    who: String,
    /// Files and directories this transfer created (`[files] max_files`).
    created: u64,
    /// Something failed; the exit status is 1.
    failed: bool,
}

impl<R: Read, W: Write> Transfer<R, W> {
    fn new(root: FileRoot, cmd: Command, input: R, output: W, who: String) -> Self {
        Transfer {
            root,
            cmd,
            input: BufReader::with_capacity(CHUNK, input),
            output: BufWriter::with_capacity(CHUNK, output),
            decoder: Decoder::new(),
            who,
            created: 0,
            failed: false,
        }
    }

    /// Runs to the end; the exit status.
    pub(super) fn run(mut self) -> u32 {
        let result = match self.cmd.direction {
            Direction::Sink => self.sink_main(),
            Direction::Source => self.source_main(),
        };
        let ok = match result {
            Ok(()) => !self.failed,
            Err(Stop::Protocol(why)) => {
                // OpenSSH's SCREWUP: the reason, then the end.
                let _ = self.warn(&format!("protocol error: {why}"));
                false
            }
            Err(_) => false,
        };
        tracing::debug!(target: DEBUG_TARGET, who = %self.who, ok, created = self.created,
            "SCP: transfer ended");
        u32::from(!ok)
    }

    /// The next record from the client; `None` at its EOF between records.
    pub(super) fn read_record(&mut self) -> Step<Option<Record>> {
        loop {
            let buf = self.input.fill_buf().map_err(|_| Stop::Io)?;
            if buf.is_empty() {
                return if self.decoder.pending() == 0 {
                    Ok(None)
                } else {
                    Err(Stop::Eof)
                };
            }
            let (n, record) = self.decoder.push(buf);
            self.input.consume(n);
            if let Some(r) = record {
                return Ok(Some(r?));
            }
        }
    }

    /// Sends a record at once.
    pub(super) fn send(&mut self, r: &Record) -> Step<()> {
        let bytes = r.encode()?;
        self.output.write_all(&bytes).map_err(|_| Stop::Io)?;
        self.output.flush().map_err(|_| Stop::Io)
    }

    /// `\1scp: MESSAGE\n`: this one failed, the transfer goes on (OpenSSH's run_err).
    pub(super) fn warn(&mut self, message: &str) -> Step<()> {
        self.failed = true;
        tracing::debug!(target: DEBUG_TARGET, who = %self.who,
            "SCP: error: {}", sshgate::text::for_log(message, 512));
        self.send(&Record::Warning(format!("scp: {message}")))
    }

    /// Marks the transfer failed without telling the client (it told us).
    pub(super) fn note_failure(&mut self) {
        self.failed = true;
    }

    /// Waits for the client's answer to what we sent: true for `\0`, false for `\1` (that one
    /// failed on its side, go on); `\2`, EOF or anything else stops.
    pub(super) fn ack(&mut self) -> Step<bool> {
        match self.read_record()? {
            Some(Record::Ok) => Ok(true),
            Some(Record::Warning(_)) => {
                self.failed = true;
                Ok(false)
            }
            Some(Record::Fatal(_)) => Err(Stop::Fatal),
            None => Err(Stop::Eof),
            Some(_) => Err(Stop::Protocol("expected an acknowledgement".into())),
        }
    }

    /// File bytes to the client (buffered; [`Transfer::send`] flushes).
    pub(super) fn write_data(&mut self, bytes: &[u8]) -> Step<()> {
        self.output.write_all(bytes).map_err(|_| Stop::Io)
    }

    /// Up to `max` bytes of the client's file data (EOF mid-file stops).
    pub(super) fn data(&mut self, max: usize) -> Step<&[u8]> {
        let buf = self.input.fill_buf().map_err(|_| Stop::Io)?;
        if buf.is_empty() {
            return Err(Stop::Eof);
        }
        Ok(&buf[..buf.len().min(max)])
    }

    /// Marks `n` bytes of [`Transfer::data`] as taken.
    pub(super) fn consume(&mut self, n: usize) {
        self.input.consume(n);
    }

    /// Counts a file or directory about to be created; false once `[files] max_files` are.
    pub(super) fn may_create(&mut self) -> bool {
        let limits: super::Limits = self.root.limits();
        if self.created >= limits.max_files {
            return false;
        }
        self.created += 1;
        true
    }

    /// `debug ip scp`: one line per file.
    pub(super) fn log(&self, direction: &str, name: &str, size: u64, result: &str) {
        // The name is the client's: escaped before it reaches the log.
        let name = sshgate::text::for_log(name, 256);
        tracing::debug!(target: DEBUG_TARGET, who = %self.who,
            "SCP: {direction} {name} ({size} bytes): {result}");
    }
}

/// An error as OpenSSH's `strerror` words it ("No such file or directory"). A path the
/// beneath-the-root lookup refused (cap-std's own error, or the kernel's EXDEV from
/// `RESOLVE_BENEATH`) is "Permission denied", as a chroot's wall would look from inside.
pub(super) fn reason(e: &io::Error) -> String {
    const EXDEV: i32 = 18;
    match e.raw_os_error() {
        Some(EXDEV) | None if e.kind() != io::ErrorKind::NotFound => "Permission denied".into(),
        None => "No such file or directory".into(),
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

/// How a client's path is written in messages: as given, or `.` for an empty one.
pub(super) fn shown(path: &str) -> String {
    if path.is_empty() {
        ".".into()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::files::Limits;

    fn root(dir: &std::path::Path, read_only: bool) -> FileRoot {
        FileRoot::at(
            dir,
            Limits {
                max_file_bytes: 1000,
                max_files: 3,
                read_only,
            },
        )
        .unwrap()
    }

    /// Runs a transfer on scripted client bytes; its output and status.
    fn transfer(root: FileRoot, line: &str, client: &[u8]) -> (Vec<u8>, u32) {
        let cmd = Command::parse(line).unwrap().unwrap();
        let mut out = Vec::new();
        let status = Transfer::new(root, cmd, client, &mut out, "test".into()).run();
        (out, status)
    }

    #[test]
    fn errors_in_openssh_words() {
        assert_eq!(
            reason(&io::Error::from_raw_os_error(2)),
            "No such file or directory"
        );
        assert_eq!(
            reason(&io::Error::from_raw_os_error(18)),
            "Permission denied"
        );
        assert_eq!(
            reason(&io::Error::other("a path led outside of the filesystem")),
            "Permission denied"
        );
    }

    #[test]
    fn a_scripted_upload_lands_whole_and_a_cut_one_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let (out, status) = transfer(
            root(tmp.path(), false),
            "scp -t /",
            b"C0644 5 a.txt\nhello\0",
        );
        assert_eq!(out, b"\0\0\0");
        assert_eq!(status, 0);
        assert_eq!(std::fs::read(tmp.path().join("a.txt")).unwrap(), b"hello");

        // Cut mid-file: no file, no temporary.
        let (_, status) = transfer(root(tmp.path(), false), "scp -t /", b"C0644 5 b.txt\nhel");
        assert_eq!(status, 1);
        // Cut before the client's final acknowledgement: the file is not kept either.
        let (_, status) = transfer(root(tmp.path(), false), "scp -t /", b"C0644 5 c.txt\nhello");
        assert_eq!(status, 1);
        let mut names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a.txt"]);
    }

    #[test]
    fn refusals_reach_the_client_as_warnings() {
        let tmp = tempfile::tempdir().unwrap();
        // Too big for max_file_bytes: refused before any byte, the client goes on.
        let (out, status) = transfer(root(tmp.path(), false), "scp -t /", b"C0644 5000 big\n");
        assert_eq!(out, b"\0\x01scp: /big: File too large\n");
        assert_eq!(status, 1);
        // Above the root.
        let (out, _) = transfer(root(tmp.path(), false), "scp -t ../x", b"");
        assert_eq!(out, b"\x01scp: ../x: Permission denied\n");
        // Read-only.
        let (out, _) = transfer(root(tmp.path(), true), "scp -t /", b"");
        assert_eq!(out, b"\x01scp: /: Read-only file system\n");
        // A directory without -r is a protocol error.
        let (out, status) = transfer(root(tmp.path(), false), "scp -t /", b"D0755 0 d\n");
        assert_eq!(
            out,
            b"\0\x01scp: protocol error: received directory without -r\n"
        );
        assert_eq!(status, 1);
        // A bad name.
        let (out, _) = transfer(root(tmp.path(), false), "scp -t /", b"C0644 1 ../x\n");
        assert_eq!(out, b"\0\x01scp: protocol error: unexpected filename\n");
        // max_files (3): the fourth is refused.
        let (out, _) = transfer(
            root(tmp.path(), false),
            "scp -t /",
            b"C0644 0 f1\n\0C0644 0 f2\n\0C0644 0 f3\n\0C0644 0 f4\n",
        );
        assert!(
            out.ends_with(b"\x01scp: /f4: Disk quota exceeded\n"),
            "{out:?}"
        );
        assert!(!tmp.path().join("f4").exists());
    }

    #[test]
    fn a_scripted_download() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), b"abc").unwrap();
        let (out, status) = transfer(root(tmp.path(), true), "scp -f /f missing", b"\0\0\0");
        let mode = std::fs::metadata(tmp.path().join("f")).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777;
        let mut want = format!("C{mode:04o} 3 f\nabc\0").into_bytes();
        want.extend_from_slice(b"\x01scp: missing: No such file or directory\n");
        assert_eq!(out, want);
        assert_eq!(status, 1);
    }
}
