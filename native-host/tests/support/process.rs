//! Child processes that cannot outlive or hang a test: [`ProcessGuard`] for servers,
//! [`run_with_timeout`] for clients, and free loopback ports with a bounded start-up retry.

use std::fmt::Write as _;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::logs::{read_lossy, tail};
use super::tempdir::TempDir;

/// Kill any single client run (ssh / sshgate-host ssh / python client) after this long.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to start listening (sshgate generates an RSA-3072 key on first start).
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);

/// A loopback port that was free a moment ago (bind 127.0.0.1:0 and release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// One TCP connection attempt to `addr` (200 ms connect timeout).
pub fn port_open(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// True once something accepts TCP connections on `addr`, false after `timeout`.
pub fn wait_for_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if port_open(addr) {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Starts a server: `attempt(n, port)` for n = 0.., each on a fresh [`free_port`], until one
/// returns the server. An `Err` says why that attempt failed (typically the port was taken
/// between [`free_port`] and the server's bind) and triggers the next attempt; after `attempts`
/// failures this panics with the last one. `what` names the server in that message.
pub fn start_with_retries<T>(
    what: &str,
    attempts: u32,
    mut attempt: impl FnMut(u32, u16) -> Result<T, String>,
) -> T {
    let mut last_failure = String::new();
    for n in 0..attempts {
        match attempt(n, free_port()) {
            Ok(server) => return server,
            Err(failure) => last_failure = failure,
        }
    }
    panic!("could not start {what} ({attempts} attempts); last failure:\n{last_failure}");
}

/// A running child process, killed (SIGKILL) and reaped on drop.
pub struct ProcessGuard {
    pub name: String,
    child: Child,
}

impl ProcessGuard {
    pub fn spawn(name: impl Into<String>, cmd: &mut Command) -> ProcessGuard {
        let name = name.into();
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name} ({cmd:?}): {e}"));
        ProcessGuard { name, child }
    }
    /// `Some(status)` if the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
    pub fn id(&self) -> u32 {
        self.child.id()
    }
    /// Polls a just-spawned server every `poll` until `ready(self)` holds (`Ok`). If the process
    /// exits first, returns `Err(exited(status))` (for [`start_with_retries`] to try again);
    /// after [`SERVER_START_TIMEOUT`] panics with `timed_out()`.
    ///
    /// `ready` is asked before the exit status, so a readiness probe that another process could
    /// satisfy (a TCP connect to a port that may have been taken) must check
    /// [`ProcessGuard::exited`] itself first.
    pub fn await_startup(
        &mut self,
        poll: Duration,
        mut ready: impl FnMut(&mut ProcessGuard) -> bool,
        exited: impl FnOnce(ExitStatus) -> String,
        timed_out: impl FnOnce() -> String,
    ) -> Result<(), String> {
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if ready(self) {
                return Ok(());
            }
            if let Some(status) = self.exited() {
                return Err(exited(status));
            }
            if Instant::now() >= deadline {
                panic!("{}", timed_out());
            }
            thread::sleep(poll);
        }
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Output of a client run.
pub struct RunOutput {
    pub label: String,
    pub command: String,
    /// `None` if killed at the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl RunOutput {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }
    pub fn status_text(&self) -> String {
        match self.status {
            Some(s) => s.to_string(),
            None => format!("KILLED after {:?} (timeout)", RUN_TIMEOUT),
        }
    }
    /// Command, status, and the tails of stdout/stderr, for failure messages.
    pub fn report(&self, lines: usize) -> String {
        let mut s = format!(
            "command: {}\nstatus: {} ({:.2?})\n",
            self.command,
            self.status_text(),
            self.elapsed
        );
        if !self.stdout.trim().is_empty() {
            let _ = write!(
                s,
                "--- {} stdout (tail) ---\n{}",
                self.label,
                tail(&self.stdout, lines)
            );
        }
        let _ = write!(
            s,
            "--- {} stderr (tail) ---\n{}",
            self.label,
            tail(&self.stderr, lines)
        );
        s
    }
}

/// Runs `cmd` to completion with stdin closed and stdout/stderr captured in files under `dir`
/// (named after `label`), killing it after `timeout`.
pub fn run_with_timeout(
    cmd: &mut Command,
    dir: &TempDir,
    label: &str,
    timeout: Duration,
) -> RunOutput {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let safe: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let out_path = dir.join(format!("run{n:03}-{safe}.stdout"));
    let err_path = dir.join(format!("run{n:03}-{safe}.stderr"));
    let command = format!("{cmd:?}");
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("create stdout file"))
        .stderr(File::create(&err_path).expect("create stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command}: {e}"));
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("wait for {command}: {e}"),
        }
    };
    RunOutput {
        label: label.to_string(),
        command,
        status,
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
        elapsed: start.elapsed(),
    }
}

/// `VmHWM` (peak resident set) of `pid`, in kB.
pub fn peak_kb(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// Watches a writer that a reader does not drain: polls `pid`'s peak memory every 200 ms until
/// the writer stops moving for 3 s (`written` unchanged), finishes (`done`), serve grows past
/// `max_growth_kb` over `base_kb`, or two minutes pass. Returns the growth seen then (kB).
pub fn growth_until_stalled(
    pid: u32,
    base_kb: u64,
    max_growth_kb: u64,
    written: &std::sync::atomic::AtomicUsize,
    done: &std::sync::atomic::AtomicBool,
) -> u64 {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let (mut last, mut still_since) = (0, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let growth = peak_kb(pid).saturating_sub(base_kb);
        let now = written.load(Ordering::Relaxed);
        if now != last {
            (last, still_since) = (now, Instant::now());
        }
        if growth > max_growth_kb
            || done.load(Ordering::Relaxed)
            || still_since.elapsed() > Duration::from_secs(3)
            || Instant::now() > deadline
        {
            return growth;
        }
    }
}
