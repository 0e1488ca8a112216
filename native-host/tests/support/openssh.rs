//! OpenSSH peers: what the installed OpenSSH supports (the interop matrix), `ssh-keygen`, the
//! `ssh` client run, and a private `sshd` on a free loopback port.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::algorithms::{Category, Expect, OPENSSH_MAY_LACK};
use super::logs::{LOG_SETTLE_TIMEOUT, LogFile, tail};
use super::negotiation::negotiation_problems;
use super::process::{
    ProcessGuard, RUN_TIMEOUT, RunOutput, SERVER_START_TIMEOUT, run_with_timeout,
    start_with_retries,
};
use super::tempdir::TempDir;
use super::tools::{SSH, SSH_KEYGEN, SSHD, require_sshd};

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

/// [`ssh_keygen`] unless `path` already exists (keys are reused across servers in one dir).
pub fn ssh_keygen_if_absent(key_type: &str, bits: Option<u32>, path: &Path) {
    if !path.exists() {
        ssh_keygen(key_type, bits, path);
    }
}

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

/// The client key our `sshgate-host ssh` runs log in with (`DIR/client_ed25519`, made once per
/// directory); sshd authorizes its public half for the current user.
pub fn client_key(dir: &TempDir) -> PathBuf {
    let p = dir.join("client_ed25519");
    ssh_keygen_if_absent("ed25519", None, &p);
    p
}

/// The sshd config: listen on 127.0.0.1:`port` with `host_keys`, DEBUG3 logging, public key
/// authentication only (from `authorized_keys`), and the kex / host key / cipher / MAC lists
/// `[kex, hk, ciphers, macs]`.
fn sshd_config(
    port: u16,
    host_keys: &[PathBuf],
    authorized_keys: &Path,
    extra: &[&str],
    [kex, hk, ciphers, macs]: [&str; 4],
) -> String {
    let mut cfg = String::new();
    // sshd takes the first value of a keyword: the test's own lines come first and win.
    for line in extra {
        let _ = writeln!(cfg, "{line}");
    }
    let _ = writeln!(cfg, "ListenAddress 127.0.0.1:{port}");
    for k in host_keys {
        let _ = writeln!(cfg, "HostKey {}", k.display());
    }
    let _ = writeln!(cfg, "AuthorizedKeysFile {}", authorized_keys.display());
    for line in [
        "PidFile none",
        "UsePAM no",
        "LogLevel DEBUG3",
        "StrictModes no",
        "PermitRootLogin prohibit-password",
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
    // Client keys are not what a test varies: every key algorithm stays accepted.
    let _ = writeln!(
        cfg,
        "PubkeyAcceptedAlgorithms {}",
        openssh_matrix_quiet(Category::HostKey).join(",")
    );
    let _ = writeln!(cfg, "Ciphers {ciphers}");
    let _ = writeln!(cfg, "MACs {macs}");
    cfg
}

/// [`start_sshd`] with some algorithm lists replaced, e.g. `&[(Category::Kex, "diffie-hellman-group14-sha1")]`.
/// Host keys already in `dir` are reused.
pub fn start_sshd_with(dir: &TempDir, overrides: &[(Category, &str)]) -> Sshd {
    start_sshd_config(dir, overrides, &[])
}

/// [`start_sshd_with`] plus sshd_config lines that take precedence over the defaults, e.g.
/// `&["UsePAM yes", "PasswordAuthentication yes"]`.
pub fn start_sshd_config(dir: &TempDir, overrides: &[(Category, &str)], extra: &[&str]) -> Sshd {
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
        ssh_keygen_if_absent(t, bits, &p);
        host_keys.push(p);
    }
    let authorized_keys = dir.join("authorized_keys");
    let public =
        fs::read_to_string(client_key(dir).with_extension("pub")).expect("client key .pub");
    fs::write(&authorized_keys, public).expect("write authorized_keys");
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
    start_with_retries("sshd", 5, |attempt, port| {
        let cfg = sshd_config(
            port,
            &host_keys,
            &authorized_keys,
            extra,
            [&kex, &hk, &ciphers, &macs],
        );
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
        // On exit, e.g. "Bind to port ... failed: Address already in use": retried.
        proc.await_startup(
            Duration::from_millis(25),
            |_| log.all().contains(&ready),
            |status| {
                format!(
                    "sshd exited during startup ({status}) on port {port}:\n{}",
                    tail(&log.all(), 40)
                )
            },
            || {
                format!(
                    "sshd did not report `{ready}` within {SERVER_START_TIMEOUT:?}:\n{}",
                    tail(&log.all(), 40)
                )
            },
        )?;
        Ok(Sshd {
            port,
            config,
            log,
            _proc: proc,
        })
    })
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
