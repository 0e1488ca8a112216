//! Reading peer output: whole files, tails, and incremental polling of logs other processes append to.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// How long to poll a peer's log for lines describing a connection that already ended.
pub const LOG_SETTLE_TIMEOUT: Duration = Duration::from_secs(5);
/// ... but stop waiting once the log has been quiet this long.
pub const LOG_QUIET: Duration = Duration::from_millis(750);

pub fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = String::new();
    if start > 0 {
        let _ = writeln!(out, "[... {start} earlier lines ...]");
    }
    for l in &lines[start..] {
        let _ = writeln!(out, "{l}");
    }
    out
}

/// Incremental reader of a log file another process appends to.
pub struct LogFile {
    pub path: PathBuf,
}

impl LogFile {
    pub fn new(path: PathBuf) -> LogFile {
        LogFile { path }
    }
    /// Current length: pass to [`LogFile::since`] / [`LogFile::wait_since`] later.
    pub fn mark(&self) -> u64 {
        fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
    /// Everything appended after `mark`.
    pub fn since(&self, mark: u64) -> String {
        let mut buf = Vec::new();
        if let Ok(mut f) = File::open(&self.path)
            && f.seek(SeekFrom::Start(mark)).is_ok()
        {
            let _ = f.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
    /// Polls until `done(appended text)`, or the file has not grown for [`LOG_QUIET`] (the peer
    /// has finished writing about a connection that already ended), or `timeout`; returns the
    /// appended text either way.
    pub fn wait_since(&self, mark: u64, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        let (mut last_len, mut last_change) = (usize::MAX, Instant::now());
        loop {
            let text = self.since(mark);
            if text.len() != last_len {
                (last_len, last_change) = (text.len(), Instant::now());
            }
            if done(&text) || last_change.elapsed() >= LOG_QUIET || Instant::now() >= deadline {
                return text;
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
    pub fn all(&self) -> String {
        read_lossy(&self.path)
    }
}
