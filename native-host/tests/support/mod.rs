//! Shared harness for the interop tests against real peers (OpenSSH `ssh`/`sshd`, Python asyncssh).
//!
//! Principles:
//! - A missing peer is a FAILURE, never a skip: [`require_tool`], [`require_openssh_client`],
//!   [`require_sshd`] and [`require_asyncssh`] panic with an install hint.
//! - Everything a test creates lives in its own [`TempDir`] (kept, and its path printed, when the
//!   test panics, so the peer logs can be read afterwards; also kept if `SSHGATE_INTEROP_KEEP=1`).
//! - Every child process is owned by a [`ProcessGuard`] (killed on drop) or run through
//!   [`run_with_timeout`] (killed after [`RUN_TIMEOUT`]), so a hang fails instead of blocking CI.
//! - Ports come from [`free_port`]; servers are restarted on a fresh port if the bind races.
//!
//! The log formats asserted on were read off OpenSSH 9.2p1 (Debian 12) — `ssh -vv` on stderr and
//! `sshd -D -e` with `LogLevel DEBUG3` on stderr — and are identical on both sides except that
//! sshd's pre-auth child appends ` [preauth]`:
//!
//! ```text
//! debug1: kex: algorithm: diffie-hellman-group14-sha1 [preauth]
//! debug1: kex: host key algorithm: ssh-rsa [preauth]
//! debug1: kex: client->server cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
//! debug1: kex: server->client cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
//! debug1: KEX done [preauth]
//! debug3: receive packet: type 5 [preauth]       (SERVICE_REQUEST)
//! debug3: send packet: type 6 [preauth]          (SERVICE_ACCEPT)
//! ```
//!
//! (`ssh` prints `server->client` before `client->server`; sshd the other way round. For AEAD
//! ciphers both print `MAC: <implicit>`.) The `ssh` client additionally prints
//! `debug1: SSH2_MSG_SERVICE_ACCEPT received`. `sshgate-host ssh -v` promises the same lines.
#![allow(dead_code)] // each test crate uses a different subset

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ------------------------------------------------------------------------------------------------
// Peers and paths
// ------------------------------------------------------------------------------------------------

pub const SSHD: &str = "/usr/sbin/sshd";
pub const SSH: &str = "/usr/bin/ssh";
pub const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

/// Kill any single client run (ssh / sshgate-host ssh / python client) after this long.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to start listening (sshgate generates an RSA-3072 key on first start).
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to poll a peer's log for lines describing a connection that already ended.
pub const LOG_SETTLE_TIMEOUT: Duration = Duration::from_secs(5);
/// ... but stop waiting once the log has been quiet this long.
pub const LOG_QUIET: Duration = Duration::from_millis(750);

const OPENSSH_HINT: &str = "install OpenSSH (Debian/Ubuntu: `apt-get install openssh-client \
     openssh-server`; Fedora: `dnf install openssh-clients openssh-server`)";

/// Our binary under test.
pub fn sshgate_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sshgate-host"))
}

/// The Python asyncssh peer script, `tests/interop/asyncssh_peer.py` at the workspace root.
pub fn asyncssh_peer_script() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/asyncssh_peer.py");
    p.canonicalize()
        .unwrap_or_else(|e| panic!("asyncssh peer script {} missing: {e}", p.display()))
}

/// The Python interpreter (`SSHGATE_PYTHON` overrides `python3` from PATH).
pub fn python() -> String {
    std::env::var("SSHGATE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Panics (never skips) if `path` is not an executable file.
pub fn require_tool(path: &str, install_hint: &str) {
    use std::os::unix::fs::PermissionsExt;
    match fs::metadata(path) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
        Ok(_) => panic!(
            "interop peer `{path}` exists but is not an executable file; {install_hint}. \
             These tests never skip: a test that cannot find its peer fails."
        ),
        Err(e) => panic!(
            "interop peer `{path}` not found ({e}); {install_hint}. \
             These tests never skip: a test that cannot find its peer fails."
        ),
    }
}

pub fn require_openssh_client() {
    require_tool(SSH, OPENSSH_HINT);
}

pub fn require_ssh_keygen() {
    require_tool(SSH_KEYGEN, OPENSSH_HINT);
}

/// sshd plus its runtime needs: an absolute path, and the privilege-separation directory.
pub fn require_sshd() {
    require_tool(SSHD, OPENSSH_HINT);
    require_ssh_keygen();
    let privsep = Path::new("/run/sshd");
    if !privsep.is_dir() {
        if let Err(e) = fs::create_dir_all(privsep) {
            panic!(
                "sshd needs its privilege-separation directory /run/sshd and it could not be \
                 created ({e}); run the interop tests as root or `mkdir -p -m 0755 /run/sshd`"
            );
        }
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(privsep, fs::Permissions::from_mode(0o755));
    }
}

/// Panics unless `python3` can import asyncssh with ML-KEM available.
pub fn require_asyncssh() {
    let out = Command::new(python())
        .args([
            "-c",
            "import asyncssh, sys\n\
             from asyncssh.crypto import mlkem_available\n\
             print(asyncssh.__version__)\n\
             sys.exit(0 if mlkem_available else 4)",
        ])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => panic!(
            "cannot run `{}` ({e}): the asyncssh interop tests need Python 3 with asyncssh \
             (`pip install asyncssh`); set SSHGATE_PYTHON to pick an interpreter",
            python()
        ),
        Ok(o) if o.status.code() == Some(4) => panic!(
            "asyncssh {} is installed but reports no ML-KEM support: it needs `cryptography` >= 44 \
             (`pip install -U asyncssh cryptography`)",
            String::from_utf8_lossy(&o.stdout).trim()
        ),
        Ok(o) if !o.status.success() => panic!(
            "`{} -c 'import asyncssh'` failed ({}): install it with `pip install asyncssh` \
             (needs `cryptography` >= 44 for ML-KEM). stderr:\n{}",
            python(),
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
}

// ------------------------------------------------------------------------------------------------
// Algorithms
// ------------------------------------------------------------------------------------------------

/// Every key exchange the engine implements, in its preference order.
pub const OUR_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1",
];
/// Every host key (signature) algorithm the engine implements.
pub const OUR_HOSTKEY: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
];
/// Every cipher the engine implements.
pub const OUR_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "3des-cbc",
];
/// Every MAC the engine implements.
pub const OUR_MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
    "hmac-sha1-96",
];
/// Ours that OpenSSH 9.2 does not have (it gained ML-KEM in 9.9). Everything else of ours must be
/// in the installed OpenSSH, or the test fails rather than silently testing less.
pub const OPENSSH_MAY_LACK: &[&str] = &["mlkem768x25519-sha256"];

/// The non-AEAD cipher used when testing MACs.
pub const MAC_TEST_CIPHER: &str = "aes128-ctr";

pub fn is_aead(cipher: &str) -> bool {
    matches!(
        cipher,
        "chacha20-poly1305@openssh.com" | "aes128-gcm@openssh.com" | "aes256-gcm@openssh.com"
    )
}

/// The four negotiated categories, with their OpenSSH option name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Kex,
    HostKey,
    Cipher,
    Mac,
}

impl Category {
    pub fn ours(self) -> &'static [&'static str] {
        match self {
            Category::Kex => OUR_KEX,
            Category::HostKey => OUR_HOSTKEY,
            Category::Cipher => OUR_CIPHERS,
            Category::Mac => OUR_MACS,
        }
    }
    /// `ssh -Q` query name.
    fn query(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "HostKeyAlgorithms",
            Category::Cipher => "cipher",
            Category::Mac => "mac",
        }
    }
    /// ssh / sshd config keyword.
    pub fn option(self) -> &'static str {
        match self {
            Category::Kex => "KexAlgorithms",
            Category::HostKey => "HostKeyAlgorithms",
            Category::Cipher => "Ciphers",
            Category::Mac => "MACs",
        }
    }
    /// For file and directory names.
    pub fn label(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "hostkey",
            Category::Cipher => "cipher",
            Category::Mac => "mac",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "host key",
            Category::Cipher => "cipher",
            Category::Mac => "MAC",
        }
    }
    /// Client options selecting `alg` in this category (MACs are tested under a non-AEAD cipher).
    pub fn client_options(self, alg: &str) -> Vec<String> {
        let mut v = vec!["-o".to_string(), format!("{}={alg}", self.option())];
        if self == Category::Mac {
            v.extend(["-o".to_string(), format!("Ciphers={MAC_TEST_CIPHER}")]);
        }
        v
    }
    /// What must be seen negotiated when `alg` is selected in this category.
    /// `peer_is_openssh`: OpenSSH prints `MAC: <implicit>` for AEAD ciphers (verified); our own
    /// text for that case is not part of the contract, so it is not checked.
    pub fn expect(self, alg: &str, peer_is_openssh: bool) -> Expect {
        let mut e = Expect::default();
        match self {
            Category::Kex => e.kex = Some(alg.to_string()),
            Category::HostKey => e.hostkey = Some(alg.to_string()),
            Category::Cipher => {
                e.cipher = Some(alg.to_string());
                if is_aead(alg) && peer_is_openssh {
                    e.mac = Some("<implicit>".to_string());
                }
            }
            Category::Mac => {
                e.cipher = Some(MAC_TEST_CIPHER.to_string());
                e.mac = Some(alg.to_string());
            }
        }
        e
    }
}

/// `ssh -Q <what>` of the installed OpenSSH.
pub fn openssh_supported(cat: Category) -> BTreeSet<String> {
    let out = Command::new(SSH)
        .args(["-Q", cat.query()])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("`{SSH} -Q {}` failed to run: {e}", cat.query()));
    assert!(
        out.status.success(),
        "`{SSH} -Q {}` failed: {}",
        cat.query(),
        out.status
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

/// Our algorithms in `cat` that the installed OpenSSH also has: the interop matrix for OpenSSH.
/// Panics if OpenSSH lacks anything it is expected to have (see [`OPENSSH_MAY_LACK`]).
pub fn openssh_matrix(cat: Category) -> Vec<&'static str> {
    let v = openssh_matrix_quiet(cat);
    for &alg in cat.ours() {
        if !v.contains(&alg) {
            eprintln!(
                "note: the installed OpenSSH lacks {alg}; it is covered by the asyncssh tests"
            );
        }
    }
    v
}

fn openssh_matrix_quiet(cat: Category) -> Vec<&'static str> {
    let theirs = openssh_supported(cat);
    let mut v = Vec::new();
    let mut missing = Vec::new();
    for &alg in cat.ours() {
        if theirs.contains(alg) {
            v.push(alg);
        } else if !OPENSSH_MAY_LACK.contains(&alg) {
            missing.push(alg);
        }
    }
    assert!(
        missing.is_empty(),
        "the installed OpenSSH ({SSH}) lacks {} algorithm(s) {missing:?} that the interop matrix \
         requires; use a full OpenSSH build (>= 8.x, e.g. Debian 12's 9.2p1)",
        cat.name()
    );
    v
}

// ------------------------------------------------------------------------------------------------
// Parsing negotiated algorithms from OpenSSH-style debug output
// ------------------------------------------------------------------------------------------------

/// What a side must report as negotiated. `None` = not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub kex: Option<String>,
    pub hostkey: Option<String>,
    pub cipher: Option<String>,
    /// Checked in both directions (only where a cipher line exists).
    pub mac: Option<String>,
}

/// First whitespace-delimited token after `marker`, for every line containing it.
pub fn values_after(text: &str, marker: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find(marker).map(|i| &l[i + marker.len()..]))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// `(cipher, mac)` from every `debug1: kex: <dir> cipher: C MAC: M compression: ...` line.
pub fn cipher_lines(text: &str, dir: &str) -> Vec<(String, String)> {
    let marker = format!("debug1: kex: {dir} cipher: ");
    text.lines()
        .filter_map(|l| l.find(&marker).map(|i| &l[i + marker.len()..]))
        .map(|rest| {
            let cipher = rest.split_whitespace().next().unwrap_or("").to_string();
            let mac = values_after(rest, " MAC: ").pop().unwrap_or_default();
            (cipher, mac)
        })
        .collect()
}

pub const KEX_MARKER: &str = "debug1: kex: algorithm: ";
pub const HOSTKEY_MARKER: &str = "debug1: kex: host key algorithm: ";
pub const SERVICE_ACCEPT_MARKER: &str = "debug1: SSH2_MSG_SERVICE_ACCEPT received";

/// Everything wrong with `text` (OpenSSH-style debug output of one connection) w.r.t. `e`.
pub fn negotiation_problems(text: &str, e: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    let mut one = |what: &str, marker: &str, want: &Option<String>| {
        if let Some(want) = want {
            let got = values_after(text, marker);
            if got.is_empty() {
                problems.push(format!("no `{marker}{want}` line"));
            } else if got.iter().any(|g| g != want) {
                problems.push(format!("{what}: expected {want}, log shows {got:?}"));
            }
        }
    };
    one("kex", KEX_MARKER, &e.kex);
    one("host key", HOSTKEY_MARKER, &e.hostkey);
    if e.cipher.is_some() || e.mac.is_some() {
        for dir in ["client->server", "server->client"] {
            let lines = cipher_lines(text, dir);
            if lines.is_empty() {
                problems.push(format!("no `debug1: kex: {dir} cipher: ... MAC: ...` line"));
                continue;
            }
            for (cipher, mac) in lines {
                if let Some(want) = &e.cipher
                    && &cipher != want
                {
                    problems.push(format!("{dir} cipher: expected {want}, log shows {cipher}"));
                }
                if let Some(want) = &e.mac
                    && &mac != want
                {
                    problems.push(format!("{dir} MAC: expected {want}, log shows {mac}"));
                }
            }
        }
    }
    problems
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

/// Collects per-algorithm failures of one category and panics once with all of them.
pub struct Failures {
    what: String,
    total: usize,
    items: Vec<String>,
}

impl Failures {
    pub fn new(what: impl Into<String>, total: usize) -> Self {
        Failures {
            what: what.into(),
            total,
            items: Vec::new(),
        }
    }
    pub fn add(&mut self, alg: &str, report: String) {
        eprintln!("FAIL [{}] {alg}", self.what);
        self.items
            .push(format!("=== [{}] {alg} ===\n{report}", self.what));
    }
    pub fn pass(&self, alg: &str) {
        eprintln!("ok   [{}] {alg}", self.what);
    }
    pub fn finish(self) {
        if !self.items.is_empty() {
            panic!(
                "{}: {} of {} failed\n\n{}",
                self.what,
                self.items.len(),
                self.total,
                self.items.join("\n")
            );
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Temp dirs, ports, processes
// ------------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop — unless the test is panicking
/// (kept for post-mortem; the path is printed) or `SSHGATE_INTEROP_KEEP` is set.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "sshgate-interop-{label}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() || std::env::var_os("SSHGATE_INTEROP_KEEP").is_some() {
            eprintln!("interop: keeping {} for inspection", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A loopback port that was free a moment ago (bind 127.0.0.1:0 and release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// True once something accepts TCP connections on `addr`, false after `timeout`.
pub fn wait_for_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
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

pub fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
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

/// `ssh-keygen -q -t TYPE [-b BITS] -N '' -f PATH`.
pub fn ssh_keygen(key_type: &str, bits: Option<u32>, path: &Path) {
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-t", key_type]);
    if let Some(b) = bits {
        cmd.args(["-b", &b.to_string()]);
    }
    cmd.args(["-N", "", "-C", "sshgate-interop", "-f"])
        .arg(path)
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {SSH_KEYGEN}: {e}"));
    assert!(
        out.status.success(),
        "ssh-keygen -t {key_type} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn toml_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn toml_list<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<String> = items.iter().map(|s| toml_str(s.as_ref())).collect();
    format!("[{}]", v.join(", "))
}

// ------------------------------------------------------------------------------------------------
// sshgate-host serve
// ------------------------------------------------------------------------------------------------

/// `[algorithms]` of a sshgate server config; an empty list leaves that key out (engine default).
#[derive(Debug, Clone, Default)]
pub struct Algorithms {
    pub kex: Vec<String>,
    pub hostkey: Vec<String>,
    pub cipher: Vec<String>,
    pub mac: Vec<String>,
}

impl Algorithms {
    /// Everything the engine implements, legacy included.
    pub fn everything() -> Algorithms {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Algorithms {
            kex: own(OUR_KEX),
            hostkey: own(OUR_HOSTKEY),
            cipher: own(OUR_CIPHERS),
            mac: own(OUR_MACS),
        }
    }
}

/// A running `sshgate-host serve`.
pub struct SshgateServer {
    pub port: u16,
    pub config: PathBuf,
    pub stdout: LogFile,
    pub stderr: LogFile,
    _proc: ProcessGuard,
}

impl SshgateServer {
    /// Tail of the server's own output, for failure messages.
    pub fn report(&self, lines: usize) -> String {
        format!(
            "--- sshgate-host serve stdout (tail) ---\n{}--- sshgate-host serve stderr (tail) ---\n{}",
            tail(&self.stdout.all(), lines),
            tail(&self.stderr.all(), lines)
        )
    }
}

/// Starts `sshgate-host serve --config DIR/sshgate.toml` on a free loopback port.
///
/// Host keys: `ssh_host_{ed25519,ecdsa,rsa}_key` are left for the server to generate (exercising
/// the generate-if-absent path); with `extra_ecdsa`, P-384 and P-521 keys are made by ssh-keygen
/// (the server loads existing OpenSSH-format files of any type).
pub fn start_sshgate_server(dir: &TempDir, algs: &Algorithms, extra_ecdsa: bool) -> SshgateServer {
    let keydir = dir.join("hostkeys");
    fs::create_dir_all(&keydir).expect("create hostkeys dir");
    let mut keys = vec![
        keydir.join("ssh_host_ed25519_key"),
        keydir.join("ssh_host_ecdsa_key"),
        keydir.join("ssh_host_rsa_key"),
    ];
    if extra_ecdsa {
        require_ssh_keygen();
        for bits in [384, 521] {
            let p = keydir.join(format!("ssh_host_ecdsa{bits}_key"));
            if !p.exists() {
                ssh_keygen("ecdsa", Some(bits), &p);
            }
            keys.push(p);
        }
    }
    let keys: Vec<String> = keys.iter().map(|p| p.display().to_string()).collect();

    static INSTANCE: AtomicU32 = AtomicU32::new(0);
    let inst = INSTANCE.fetch_add(1, Ordering::Relaxed);
    let mut last_failure = String::new();
    for attempt in 0..3 {
        let port = free_port();
        let mut cfg = String::new();
        let _ = writeln!(cfg, "[server]");
        let _ = writeln!(
            cfg,
            "listen = {}",
            toml_list(&[format!("127.0.0.1:{port}")])
        );
        let _ = writeln!(cfg, "hostname = \"interop-test\"");
        let _ = writeln!(cfg, "host_keys = {}", toml_list(&keys));
        let lists = [
            ("kex", &algs.kex),
            ("hostkey", &algs.hostkey),
            ("cipher", &algs.cipher),
            ("mac", &algs.mac),
        ];
        if lists.iter().any(|(_, v)| !v.is_empty()) {
            let _ = writeln!(cfg, "\n[algorithms]");
        }
        for (k, v) in lists {
            if !v.is_empty() {
                let _ = writeln!(cfg, "{k} = {}", toml_list(v));
            }
        }
        let config = dir.join(format!("sshgate-{inst}.toml"));
        fs::write(&config, &cfg).expect("write sshgate config");
        let out = dir.join(format!("sshgate-serve-{inst}-{attempt}.stdout"));
        let err = dir.join(format!("sshgate-serve-{inst}-{attempt}.stderr"));
        let mut cmd = Command::new(sshgate_bin());
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("create serve stdout"))
            .stderr(File::create(&err).expect("create serve stderr"));
        let mut proc = ProcessGuard::spawn("sshgate-host serve", &mut cmd);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if let Some(status) = proc.exited() {
                last_failure = format!(
                    "sshgate-host serve exited during startup ({status}) on port {port}\nconfig:\n{cfg}\n\
                     --- stdout ---\n{}--- stderr ---\n{}",
                    tail(&read_lossy(&out), 40),
                    tail(&read_lossy(&err), 40)
                );
                break; // maybe the port was taken meanwhile: retry on another
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return SshgateServer {
                    port,
                    config,
                    stdout: LogFile::new(out),
                    stderr: LogFile::new(err),
                    _proc: proc,
                };
            }
            if Instant::now() >= deadline {
                panic!(
                    "sshgate-host serve did not listen on {addr} within {SERVER_START_TIMEOUT:?}\n\
                     config:\n{cfg}\n--- stdout ---\n{}--- stderr ---\n{}",
                    tail(&read_lossy(&out), 40),
                    tail(&read_lossy(&err), 40)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("could not start sshgate-host serve (3 attempts); last failure:\n{last_failure}");
}

// ------------------------------------------------------------------------------------------------
// sshgate-host ssh
// ------------------------------------------------------------------------------------------------

/// `sshgate-host ssh -v -o StrictHostKeyChecking=no -o UserKnownHostsFile=<fresh file> -p PORT
/// <extra> test@127.0.0.1`, with HOME pointed at `dir` so nothing of the real user is touched.
pub fn run_sshgate_client(dir: &TempDir, port: u16, extra: &[String], label: &str) -> RunOutput {
    static N: AtomicU32 = AtomicU32::new(0);
    let known_hosts = dir.join(format!("known_hosts.{}", N.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = Command::new(sshgate_bin());
    cmd.arg("ssh")
        .arg("-v")
        .args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-p", &port.to_string()])
        .args(extra)
        .arg("test@127.0.0.1")
        .current_dir(dir.path())
        .env("HOME", dir.path());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

// ------------------------------------------------------------------------------------------------
// OpenSSH ssh
// ------------------------------------------------------------------------------------------------

/// `ssh -vv -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
/// -o BatchMode=yes -o ConnectTimeout=5 -p PORT <extra> test@127.0.0.1 true`.
pub fn run_openssh_client(dir: &TempDir, port: u16, extra: &[String], label: &str) -> RunOutput {
    let mut cmd = Command::new(SSH);
    cmd.args(["-vv", "-F", "/dev/null"])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
        ])
        .args([
            "-o",
            "ConnectTimeout=5",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
        ])
        .args(["-p", &port.to_string()])
        .args(extra)
        .args(["test@127.0.0.1", "true"])
        .current_dir(dir.path());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

// ------------------------------------------------------------------------------------------------
// OpenSSH sshd
// ------------------------------------------------------------------------------------------------

/// A running `sshd -D -e` whose stderr (LogLevel DEBUG3) goes to `log`.
pub struct Sshd {
    pub port: u16,
    pub config: PathBuf,
    pub log: LogFile,
    _proc: ProcessGuard,
}

/// The sshd lines that show it completed kex and answered the SERVICE_REQUEST with SERVICE_ACCEPT.
pub const SSHD_KEX_DONE: &str = "debug1: KEX done [preauth]";
pub const SSHD_SERVICE_ACCEPT_SENT: &str = "debug3: send packet: type 6 [preauth]";

/// Starts sshd on a free loopback port, offering every algorithm of ours it has (legacy
/// included), with ed25519, ECDSA P-256/384/521 and RSA-3072 host keys made by ssh-keygen.
pub fn start_sshd(dir: &TempDir) -> Sshd {
    start_sshd_with(dir, &[])
}

/// [`start_sshd`] with some algorithm lists replaced, e.g. `&[(Category::Kex, "diffie-hellman-group14-sha1")]`.
/// Host keys already in `dir` are reused.
pub fn start_sshd_with(dir: &TempDir, overrides: &[(Category, &str)]) -> Sshd {
    require_sshd();
    let keydir = dir.join("sshd-keys");
    fs::create_dir_all(&keydir).expect("create sshd key dir");
    let mut host_keys = Vec::new();
    for (t, bits, name) in [
        ("ed25519", None, "ed25519"),
        ("ecdsa", Some(256), "ecdsa256"),
        ("ecdsa", Some(384), "ecdsa384"),
        ("ecdsa", Some(521), "ecdsa521"),
        ("rsa", Some(3072), "rsa"),
    ] {
        let p = keydir.join(format!("ssh_host_{name}_key"));
        if !p.exists() {
            ssh_keygen(t, bits, &p);
        }
        host_keys.push(p);
    }
    let list = |c: Category| match overrides.iter().find(|(oc, _)| *oc == c) {
        Some((_, v)) => v.to_string(),
        None => openssh_matrix_quiet(c).join(","),
    };
    let (kex, hk, ciphers, macs) = (
        list(Category::Kex),
        list(Category::HostKey),
        list(Category::Cipher),
        list(Category::Mac),
    );

    static INSTANCE: AtomicU32 = AtomicU32::new(0);
    let inst = INSTANCE.fetch_add(1, Ordering::Relaxed);
    let mut last_failure = String::new();
    for attempt in 0..5 {
        let port = free_port();
        let mut cfg = String::new();
        let _ = writeln!(cfg, "ListenAddress 127.0.0.1:{port}");
        for k in &host_keys {
            let _ = writeln!(cfg, "HostKey {}", k.display());
        }
        for line in [
            "PidFile none",
            "UsePAM no",
            "LogLevel DEBUG3",
            "StrictModes no",
            "AuthorizedKeysFile none",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PrintMotd no",
            "MaxStartups 100",
            "LoginGraceTime 30",
        ] {
            let _ = writeln!(cfg, "{line}");
        }
        let _ = writeln!(cfg, "KexAlgorithms {kex}");
        let _ = writeln!(cfg, "HostKeyAlgorithms {hk}");
        let _ = writeln!(cfg, "PubkeyAcceptedAlgorithms {hk}");
        let _ = writeln!(cfg, "Ciphers {ciphers}");
        let _ = writeln!(cfg, "MACs {macs}");
        let config = dir.join(format!("sshd_config.{inst}"));
        fs::write(&config, &cfg).expect("write sshd_config");

        if attempt == 0 {
            let t = Command::new(SSHD)
                .arg("-t")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .output();
            let t = t.unwrap_or_else(|e| panic!("run {SSHD} -t: {e}"));
            assert!(
                t.status.success(),
                "sshd rejects the test config ({}):\n{}\nconfig:\n{cfg}",
                t.status,
                String::from_utf8_lossy(&t.stderr)
            );
        }

        let log_path = dir.join(format!("sshd-{inst}-{attempt}.log"));
        let mut cmd = Command::new(SSHD);
        cmd.args(["-D", "-e", "-f"])
            .arg(&config)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).expect("create sshd log"));
        let mut proc = ProcessGuard::spawn("sshd", &mut cmd);
        let log = LogFile::new(log_path);
        let ready = format!("Server listening on 127.0.0.1 port {port}.");
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if log.all().contains(&ready) {
                return Sshd {
                    port,
                    config,
                    log,
                    _proc: proc,
                };
            }
            if let Some(status) = proc.exited() {
                last_failure = format!(
                    "sshd exited during startup ({status}) on port {port}:\n{}",
                    tail(&log.all(), 40)
                );
                break; // e.g. "Bind to port ... failed: Address already in use": retry
            }
            if Instant::now() >= deadline {
                panic!(
                    "sshd did not report `{ready}` within {SERVER_START_TIMEOUT:?}:\n{}",
                    tail(&log.all(), 40)
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
    panic!("could not start sshd (5 attempts); last failure:\n{last_failure}");
}

impl Sshd {
    /// Waits (briefly) until the sshd log appended after `mark` shows the negotiation `e` and the
    /// SERVICE_ACCEPT; returns the problems left (empty = fine) and the appended log.
    pub fn check_since(&self, mark: u64, e: &Expect) -> (Vec<String>, String) {
        let ok = |t: &str| {
            negotiation_problems(t, e).is_empty()
                && t.contains(SSHD_KEX_DONE)
                && t.contains(SSHD_SERVICE_ACCEPT_SENT)
        };
        let text = self.log.wait_since(mark, LOG_SETTLE_TIMEOUT, ok);
        let mut problems = negotiation_problems(&text, e);
        for needle in [SSHD_KEX_DONE, SSHD_SERVICE_ACCEPT_SENT] {
            if !text.contains(needle) {
                problems.push(format!("no `{needle}` line"));
            }
        }
        (problems, text)
    }
}

// ------------------------------------------------------------------------------------------------
// asyncssh peer
// ------------------------------------------------------------------------------------------------

/// A running `asyncssh_peer.py server`.
pub struct AsyncsshServer {
    pub port: u16,
    pub stdout: LogFile,
    pub stderr: LogFile,
    _proc: ProcessGuard,
}

impl AsyncsshServer {
    pub fn report(&self, lines: usize) -> String {
        format!(
            "--- asyncssh server stdout ---\n{}--- asyncssh server log (stderr, tail) ---\n{}",
            self.stdout.all(),
            tail(&self.stderr.all(), lines)
        )
    }
}

pub fn start_asyncssh_server(dir: &TempDir, kex: &str) -> AsyncsshServer {
    require_asyncssh();
    let script = asyncssh_peer_script();
    let mut last_failure = String::new();
    for attempt in 0..3 {
        let port = free_port();
        let out = dir.join(format!("asyncssh-server-{attempt}.stdout"));
        let err = dir.join(format!("asyncssh-server-{attempt}.stderr"));
        let mut cmd = Command::new(python());
        cmd.arg("-u")
            .arg(&script)
            .args([
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--kex",
                kex,
            ])
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("create asyncssh stdout"))
            .stderr(File::create(&err).expect("create asyncssh stderr"));
        let mut proc = ProcessGuard::spawn("asyncssh server", &mut cmd);
        let (stdout, stderr) = (LogFile::new(out), LogFile::new(err));
        let ready = format!("READY {port}");
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if stdout.all().lines().any(|l| l.trim() == ready) {
                return AsyncsshServer {
                    port,
                    stdout,
                    stderr,
                    _proc: proc,
                };
            }
            if let Some(status) = proc.exited() {
                last_failure = format!(
                    "asyncssh server exited during startup ({status}) on port {port}:\n{}{}",
                    stdout.all(),
                    tail(&stderr.all(), 40)
                );
                break;
            }
            if Instant::now() >= deadline {
                panic!(
                    "asyncssh server did not print `{ready}` within {SERVER_START_TIMEOUT:?}:\n{}{}",
                    stdout.all(),
                    tail(&stderr.all(), 40)
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
    panic!("could not start the asyncssh server (3 attempts); last failure:\n{last_failure}");
}

/// `asyncssh_peer.py client --host 127.0.0.1 --port PORT --kex KEX --user test`.
pub fn run_asyncssh_client(dir: &TempDir, port: u16, kex: &str) -> RunOutput {
    require_asyncssh();
    let mut cmd = Command::new(python());
    cmd.arg("-u")
        .arg(asyncssh_peer_script())
        .args(["client", "--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--kex", kex, "--user", "test"])
        .current_dir(dir.path())
        .env("HOME", dir.path());
    run_with_timeout(
        &mut cmd,
        dir,
        &format!("asyncssh-client-{kex}"),
        RUN_TIMEOUT,
    )
}

/// The asyncssh peer's stdout line for a completed key exchange.
pub fn asyncssh_kex_ok(kex: &str) -> String {
    format!("KEX {kex} OK")
}
pub const ASYNCSSH_SERVICE_OK: &str = "SERVICE ssh-userauth ACCEPTED";
