//! `SSHGATE_LOG=syslog` (or `syslog:/path/to/socket`): log lines as syslog datagrams to the local
//! syslog socket (`/dev/log`), for hosts without systemd's journal. Each line is one RFC 3164
//! datagram `<PRI>sshgate-host[PID]: target: message fields` in the facility sshd uses by
//! default (`SyslogFacility AUTH`), the severity from the event's level; the syslog daemon adds
//! the time and host. A datagram the socket refuses (no daemon, or its queue is full: sending
//! never waits) goes to stderr instead, so no line is lost.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// LOG_AUTH.
const FACILITY_AUTH: u8 = 4;
/// Where `SSHGATE_LOG=syslog` sends.
const DEFAULT_SOCKET: &str = "/dev/log";
/// Longer lines are cut (RFC 3164 §4.1 says 1024 bytes; today's daemons take more).
const MAX_DATAGRAM: usize = 8192;

/// The syslog destination `SSHGATE_LOG` names, if it names one.
#[must_use]
pub fn from_env() -> Option<PathBuf> {
    let v = std::env::var("SSHGATE_LOG").ok()?;
    match v.strip_prefix("syslog") {
        Some("") => Some(PathBuf::from(DEFAULT_SOCKET)),
        Some(rest) => rest.strip_prefix(':').map(PathBuf::from),
        None => None,
    }
}

/// Makes one [`Line`] per event.
pub struct Syslog {
    socket: Arc<UnixDatagram>,
    path: PathBuf,
    tag: String,
}

impl Syslog {
    /// A writer to the socket at `path`.
    pub fn new(path: PathBuf) -> std::io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        // A slow or stuck daemon must never hold up a connection: a full queue sends the line
        // to stderr instead.
        socket.set_nonblocking(true)?;
        Ok(Syslog {
            socket: Arc::new(socket),
            path,
            tag: format!("sshgate-host[{}]: ", std::process::id()),
        })
    }
}

fn severity(level: Level) -> u8 {
    crate::journal_log::priority(level)
}

/// One event's text, sent as one datagram when dropped.
pub struct Line<'a> {
    owner: &'a Syslog,
    buf: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        while self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        self.buf.truncate(MAX_DATAGRAM);
        if self
            .owner
            .socket
            .send_to(&self.buf, &self.owner.path)
            .is_err()
        {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&self.buf);
            let _ = err.write_all(b"\n");
        }
    }
}

impl Syslog {
    fn line(&self, level: Level) -> Line<'_> {
        let pri = FACILITY_AUTH * 8 + severity(level);
        let mut buf = format!("<{pri}>").into_bytes();
        buf.extend_from_slice(self.tag.as_bytes());
        Line { owner: self, buf }
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        self.line(Level::INFO)
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line<'a> {
        self.line(*meta.level())
    }
}
