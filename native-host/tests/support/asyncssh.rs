//! Python asyncssh peer (`tests/interop/asyncssh_peer.py`): the ML-KEM counterpart that
//! OpenSSH 9.2 cannot be. Its stdout is a line protocol (`READY <port>`, `KEX <alg> OK`, ...).

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::logs::{LogFile, tail};
use super::process::{
    ProcessGuard, RUN_TIMEOUT, RunOutput, SERVER_START_TIMEOUT, run_with_timeout,
    start_with_retries,
};
use super::sshgate::INTEROP_PASSWORD;
use super::tempdir::TempDir;
use super::tools::{asyncssh_peer_script, python, require_asyncssh};

/// A running `asyncssh_peer.py server`.
pub struct AsyncsshServer {
    pub port: u16,
    pub stdout: LogFile,
    pub stderr: LogFile,
    pub(super) _proc: ProcessGuard,
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
    start_asyncssh_server_with(dir, kex, &[])
}

/// [`start_asyncssh_server`] with more arguments for the script (`--hostile`).
pub fn start_asyncssh_server_with(dir: &TempDir, kex: &str, extra: &[&str]) -> AsyncsshServer {
    require_asyncssh();
    let script = asyncssh_peer_script();
    start_with_retries("the asyncssh server", 3, |attempt, port| {
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
                "--password",
                INTEROP_PASSWORD,
            ])
            .args(extra)
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("create asyncssh stdout"))
            .stderr(File::create(&err).expect("create asyncssh stderr"));
        let mut proc = ProcessGuard::spawn("asyncssh server", &mut cmd);
        let (stdout, stderr) = (LogFile::new(out), LogFile::new(err));
        let ready = format!("READY {port}");
        proc.await_startup(
            Duration::from_millis(25),
            |_| stdout.all().lines().any(|l| l.trim() == ready),
            |status| {
                format!(
                    "asyncssh server exited during startup ({status}) on port {port}:\n{}{}",
                    stdout.all(),
                    tail(&stderr.all(), 40)
                )
            },
            || {
                format!(
                    "asyncssh server did not print `{ready}` within {SERVER_START_TIMEOUT:?}:\n{}{}",
                    stdout.all(),
                    tail(&stderr.all(), 40)
                )
            },
        )?;
        Ok(AsyncsshServer {
            port,
            stdout,
            stderr,
            _proc: proc,
        })
    })
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
