//! Our side: `sshgate-host serve` (config written per test) and `sshgate-host ssh` runs.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::algorithms::{OUR_CIPHERS, OUR_HOSTKEY, OUR_KEX, OUR_MACS};
use super::logs::{LogFile, read_lossy, tail};
use super::openssh::{client_key, ssh_keygen_if_absent};
use super::process::{
    ProcessGuard, RUN_TIMEOUT, RunOutput, SERVER_START_TIMEOUT, port_open, run_with_timeout,
    start_with_retries,
};
use super::tempdir::TempDir;
use super::tools::{current_user, require_ssh_keygen, sshgate_bin};

pub fn toml_str(s: &str) -> String {
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

pub fn toml_list<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<String> = items.iter().map(|s| toml_str(s.as_ref())).collect();
    format!("[{}]", v.join(", "))
}

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

/// The `sshgate-host serve` config: listen on 127.0.0.1:`port` with `host_keys` and, if any
/// list is non-empty, an `[algorithms]` table.
fn serve_config(port: u16, host_keys: &[String], algs: &Algorithms) -> String {
    let mut cfg = String::new();
    let _ = writeln!(cfg, "[server]");
    let _ = writeln!(
        cfg,
        "listen = {}",
        toml_list(&[format!("127.0.0.1:{port}")])
    );
    let _ = writeln!(cfg, "hostname = \"interop-test\"");
    let _ = writeln!(cfg, "host_keys = {}", toml_list(host_keys));
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
    cfg
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
            ssh_keygen_if_absent("ecdsa", Some(bits), &p);
            keys.push(p);
        }
    }
    let keys: Vec<String> = keys.iter().map(|p| p.display().to_string()).collect();
    start_sshgate_with_config(dir, |port| serve_config(port, &keys, algs))
}

/// Starts `sshgate-host serve` on a free loopback port with the config `config(port)` writes
/// (it must listen on 127.0.0.1:`port`).
pub fn start_sshgate_with_config(dir: &TempDir, config: impl Fn(u16) -> String) -> SshgateServer {
    static INSTANCE: AtomicU32 = AtomicU32::new(0);
    let inst = INSTANCE.fetch_add(1, Ordering::Relaxed);
    start_with_retries("sshgate-host serve", 3, |attempt, port| {
        let cfg = config(port);
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
        // Exit is checked before the port probe: once it has exited, whoever answers on the port
        // is not our server (maybe the port was taken meanwhile: retried on another).
        proc.await_startup(
            Duration::from_millis(50),
            |p| p.exited().is_none() && port_open(addr),
            |status| {
                format!(
                    "sshgate-host serve exited during startup ({status}) on port {port}\nconfig:\n{cfg}\n\
                     --- stdout ---\n{}--- stderr ---\n{}",
                    tail(&read_lossy(&out), 40),
                    tail(&read_lossy(&err), 40)
                )
            },
            || {
                format!(
                    "sshgate-host serve did not listen on {addr} within {SERVER_START_TIMEOUT:?}\n\
                     config:\n{cfg}\n--- stdout ---\n{}--- stderr ---\n{}",
                    tail(&read_lossy(&out), 40),
                    tail(&read_lossy(&err), 40)
                )
            },
        )?;
        Ok(SshgateServer {
            port,
            config,
            stdout: LogFile::new(out),
            stderr: LogFile::new(err),
            _proc: proc,
        })
    })
}

/// The password the asyncssh peer server accepts (with `SSHPASS`, our client's non-terminal
/// password source).
pub const INTEROP_PASSWORD: &str = "sshgate-interop-password";

/// `sshgate-host ssh` with no controlling terminal (`setsid -w`), so nothing can ever prompt:
/// a run that would ask for a password uses `SSHPASS` or fails, it never hangs. HOME is `dir`
/// so nothing of the real user is touched.
pub fn sshgate_client_command(dir: &TempDir) -> Command {
    let mut cmd = Command::new("setsid");
    cmd.arg("-w")
        .arg(sshgate_bin())
        .arg("ssh")
        .current_dir(dir.path())
        .env("HOME", dir.path());
    cmd
}

/// `sshgate-host ssh -v -o StrictHostKeyChecking=no -o UserKnownHostsFile=<fresh file>
/// -i DIR/client_ed25519 -p PORT <extra> USER@127.0.0.1 true` as the current user, with
/// [`INTEROP_PASSWORD`] in `SSHPASS` (sshd takes the key, asyncssh the password).
pub fn run_sshgate_client(dir: &TempDir, port: u16, extra: &[String], label: &str) -> RunOutput {
    static N: AtomicU32 = AtomicU32::new(0);
    let known_hosts = dir.join(format!("known_hosts.{}", N.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = sshgate_client_command(dir);
    cmd.arg("-v")
        .args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-i")
        .arg(client_key(dir))
        .args(["-p", &port.to_string()])
        .args(extra)
        .arg(format!("{}@127.0.0.1", current_user()))
        .arg("true")
        .env("SSHPASS", INTEROP_PASSWORD);
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

/// A started `sshgate-host demo`: its port, the stdout lines waited for (the URL line first),
/// its stderr and the process.
pub struct DemoRun {
    pub port: u16,
    pub lines: Vec<String>,
    pub stderr: LogFile,
    pub proc: ProcessGuard,
}

/// Starts `sshgate-host demo --data-dir DATA --listen 127.0.0.1:0` in `dir` (`run` names its
/// output files) with the default log level, and waits until stdout has the URL line
/// (`sshgate demo: open http://127.0.0.1:PORT/ ...`) and a line starting with each of `more`.
/// `Err` with its output if it exits or prints none of that in time.
pub fn start_demo(
    dir: &TempDir,
    data: &std::path::Path,
    run: u32,
    more: &[&str],
) -> Result<DemoRun, String> {
    const URL: &str = "sshgate demo: open http://";
    let out_path = dir.join(format!("demo-{run}.out"));
    let err_path = dir.join(format!("demo-{run}.err"));
    let mut cmd = Command::new(sshgate_bin());
    cmd.arg("demo")
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    let mut proc = ProcessGuard::spawn("sshgate-host demo", &mut cmd);
    let deadline = std::time::Instant::now() + SERVER_START_TIMEOUT;
    loop {
        let out = read_lossy(&out_path);
        let found: Option<Vec<String>> = std::iter::once(URL)
            .chain(more.iter().copied())
            .map(|p| out.lines().find(|l| l.starts_with(p)).map(str::to_string))
            .collect();
        if let Some(lines) = found {
            let port = lines[0]
                .strip_prefix("sshgate demo: open http://127.0.0.1:")
                .and_then(|r| r.split_once('/'))
                .and_then(|(p, _)| p.parse().ok())
                .ok_or_else(|| format!("no port in {:?}", lines[0]))?;
            return Ok(DemoRun {
                port,
                lines,
                stderr: LogFile::new(err_path),
                proc,
            });
        }
        if let Some(st) = proc.exited() {
            return Err(format!("demo exited ({st}):\n{}", read_lossy(&err_path)));
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "no URL line (or no {more:?}):\n{out}\n{}",
                read_lossy(&err_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
