//! X.509 (RFC 6187) interop support: the test PKI (`tests/x509/make-pki.sh`, the same cached
//! directory the engine's tests use), a `sshgate-host serve` config with trustpoints and a host
//! certificate, and the asyncssh X.509 peer (`tests/interop/asyncssh_x509_peer.py`).

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::asyncssh::AsyncsshServer;
use super::logs::{LogFile, tail};
use super::process::{ProcessGuard, RUN_TIMEOUT, RunOutput, run_with_timeout, start_with_retries};
use super::sshgate::{SshgateServer, start_sshgate_with_config, toml_list, toml_str};
use super::tempdir::TempDir;
use super::tools::python;

#[path = "../../../tests/x509/pki_cache.rs"]
mod pki_cache;

/// The PKI's directory, built on first use: the same cached directory the engine's tests use.
pub fn pki_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        pki_cache::build_once(
            "sshgate-x509-pki",
            include_str!("../../../tests/x509/make-pki.sh"),
        )
    })
}

/// The path of a PKI file, as text for configs and command lines.
pub fn pki(name: &str) -> String {
    pki_dir().join(name).display().to_string()
}

/// A `sshgate-host serve` with certificates: a host certificate from `trustpoint sign`, user
/// certificates verified against `user_roots` (`trustpoint verify`).
#[derive(Debug, Clone)]
pub struct CertServe {
    /// `server_T`: the host certificate's key and chain files (`NAME.key`, `NAME.chain.pem`).
    pub host_cert: String,
    /// `[algorithms] hostkey` (empty: the engine's defaults).
    pub hostkey: Vec<String>,
    /// CA files (names of PKI files) of the user trustpoint.
    pub user_roots: Vec<String>,
    /// `revocation = "crl"` with the P-256 CRLs.
    pub crl: bool,
    /// Users allowed to log in with a certificate.
    pub cert_users: Vec<String>,
}

impl CertServe {
    /// Host certificate `server_<t>`, users from `root_<t>`, `alice` allowed.
    pub fn of_type(t: &str) -> CertServe {
        CertServe {
            host_cert: format!("server_{t}"),
            hostkey: Vec::new(),
            user_roots: vec![format!("root_{t}.pem")],
            crl: false,
            cert_users: vec!["alice".into()],
        }
    }
}

/// The device file for `c`, listening on 127.0.0.1:`port`.
pub fn cert_serve_config(port: u16, dir: &TempDir, c: &CertServe) -> String {
    let mut cfg = String::new();
    let host_key = dir.join("hostkeys/ssh_host_ed25519_key");
    let _ = writeln!(
        cfg,
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"router1\"\nhost_keys = [{}]\n",
        toml_str(&host_key.display().to_string())
    );
    if !c.hostkey.is_empty() {
        let _ = writeln!(cfg, "[algorithms]\nhostkey = {}\n", toml_list(&c.hostkey));
    }
    let _ = writeln!(
        cfg,
        "[[trustpoints]]\nname = \"pki-server\"\nkey = {}\ncertificate_chain = {}\n",
        toml_str(&pki(&format!("{}.key", c.host_cert))),
        toml_str(&pki(&format!("{}.chain.pem", c.host_cert)))
    );
    let roots: Vec<String> = c.user_roots.iter().map(|r| pki(r)).collect();
    let _ = writeln!(
        cfg,
        "[[trustpoints]]\nname = \"corp-ca\"\nca_certificates = {}\nusername = \"commonname\"",
        toml_list(&roots)
    );
    if c.crl {
        let _ = writeln!(
            cfg,
            "revocation = \"crl\"\ncrls = {}",
            toml_list(&[pki("crls_p256.pem")])
        );
    }
    let _ = writeln!(
        cfg,
        "\n[certificate_profile.server]\ntrustpoint_sign = \"pki-server\"\n\n\
         [certificate_profile.user]\ntrustpoint_verify = [\"corp-ca\"]\n"
    );
    for u in &c.cert_users {
        let _ = writeln!(
            cfg,
            "[[users]]\nname = {}\nprivilege = 15\ncertificate = true\n",
            toml_str(u)
        );
    }
    cfg
}

/// Starts `sshgate-host serve` for `c`.
pub fn start_cert_server(dir: &TempDir, c: &CertServe) -> SshgateServer {
    std::fs::create_dir_all(dir.join("hostkeys")).expect("hostkeys dir");
    start_sshgate_with_config(dir, |port| cert_serve_config(port, dir, c))
}

/// The asyncssh X.509 peer script.
pub fn x509_peer_script() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/asyncssh_x509_peer.py");
    p.canonicalize()
        .unwrap_or_else(|e| panic!("asyncssh X.509 peer script {} missing: {e}", p.display()))
}

/// Panics (never skips) unless python3 imports asyncssh with its X.509 support (pyOpenSSL).
pub fn require_asyncssh_x509() {
    let out = Command::new(python())
        .args([
            "-c",
            "import asyncssh, OpenSSL\nfrom asyncssh.crypto import X509Name",
        ])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "asyncssh with X.509 support is needed (`pip install asyncssh pyOpenSSL`):\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run {} ({e}): install Python 3 with asyncssh",
            python()
        ),
    }
}

/// `asyncssh_x509_peer.py server` presenting `NAME.key` with `NAME.chain.pem`, trusting `cas`
/// for users.
pub fn start_asyncssh_x509_server(dir: &TempDir, name: &str, cas: &[&str]) -> AsyncsshServer {
    require_asyncssh_x509();
    let script = x509_peer_script();
    start_with_retries("the asyncssh X.509 server", 3, |attempt, port| {
        let out = dir.join(format!("asyncssh-x509-{name}-{attempt}.stdout"));
        let err = dir.join(format!("asyncssh-x509-{name}-{attempt}.stderr"));
        let mut cmd = Command::new(python());
        cmd.arg("-u")
            .arg(&script)
            .args(["server", "--port", &port.to_string()]);
        cmd.args(["--key", &pki(&format!("{name}.key"))]);
        cmd.args(["--chain", &pki(&format!("{name}.chain.pem"))]);
        for ca in cas {
            cmd.args(["--ca", &pki(ca)]);
        }
        cmd.current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"));
        let mut proc = ProcessGuard::spawn("asyncssh X.509 server", &mut cmd);
        let (stdout, stderr) = (LogFile::new(out), LogFile::new(err));
        let ready = format!("READY {port}");
        proc.await_startup(
            Duration::from_millis(25),
            |_| stdout.all().lines().any(|l| l.trim() == ready),
            |status| {
                format!(
                    "asyncssh server exited ({status}):\n{}",
                    tail(&stderr.all(), 30)
                )
            },
            || format!("asyncssh server never ready:\n{}", tail(&stderr.all(), 30)),
        )?;
        Ok(AsyncsshServer {
            port,
            stdout,
            stderr,
            _proc: proc,
        })
    })
}

/// One asyncssh X.509 client run.
#[derive(Debug, Clone, Default)]
pub struct X509Client {
    /// Login name (default `alice`).
    pub user: Option<String>,
    /// `NAME` of `NAME.key` and, unless `chain` is set, `NAME.chain.pem`.
    pub cert: String,
    /// Another chain file.
    pub chain: Option<String>,
    /// CA files trusted for the server's certificate.
    pub cas: Vec<String>,
    /// `host_key_alias` (the name checked against the server's certificate).
    pub host_alias: Option<String>,
    /// Only this host key algorithm.
    pub host_alg: Option<String>,
    /// Only this signature algorithm for the user key.
    pub sig_alg: Option<String>,
    /// Repeat the chain's last certificate this many more times.
    pub repeat_last: usize,
    /// The command to run (default `show ssh`).
    pub command: Option<String>,
}

/// Runs `asyncssh_x509_peer.py client` against 127.0.0.1:`port`.
pub fn run_asyncssh_x509_client(dir: &TempDir, port: u16, c: &X509Client) -> RunOutput {
    require_asyncssh_x509();
    let mut cmd = Command::new(python());
    cmd.arg("-u")
        .arg(x509_peer_script())
        .args(["client", "--port", &port.to_string()])
        .args(["--user", c.user.as_deref().unwrap_or("alice")])
        .args(["--key", &pki(&format!("{}.key", c.cert))])
        .args([
            "--chain",
            &pki(c
                .chain
                .as_deref()
                .unwrap_or(&format!("{}.chain.pem", c.cert))),
        ]);
    for ca in &c.cas {
        cmd.args(["--ca", &pki(ca)]);
    }
    for (flag, v) in [
        ("--host-alias", &c.host_alias),
        ("--host-alg", &c.host_alg),
        ("--sig-alg", &c.sig_alg),
        ("--command", &c.command),
    ] {
        if let Some(v) = v {
            cmd.args([flag, v]);
        }
    }
    if c.repeat_last > 0 {
        cmd.args(["--repeat-last", &c.repeat_last.to_string()]);
    }
    cmd.current_dir(dir.path()).env("HOME", dir.path());
    run_with_timeout(
        &mut cmd,
        dir,
        &format!("asyncssh-x509-{}", c.cert),
        RUN_TIMEOUT,
    )
}
