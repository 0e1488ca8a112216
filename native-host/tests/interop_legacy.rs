//! Interop: the algorithms old devices need (`diffie-hellman-group1-sha1`, `hmac-md5`,
//! `hmac-md5-96`, `ssh-dss` host and user keys) against real peers, both ways.
//!
//! - `sshgate-host ssh` → OpenSSH `sshd` and OpenSSH `ssh` → `sshgate-host serve`: the
//!   combination the seed's trace shows an old IOS image negotiating (group1, ssh-dss,
//!   aes128-cbc, hmac-md5), then each new algorithm alone, logging in with a DSA user key and
//!   running a command. IOS's MAC names (`hmac-md5-128`, `hmac-sha1-160`) are given where the user
//!   names algorithms; the peer's log must show the SSH names, since OpenSSH knows no others.
//! - Dropbear 2022.83 (Debian 12) has none of group1, MD5 or CBC, but does DSA host keys:
//!   `dbclient` logs into serve offering only `ssh-dss`, and `sshgate-host ssh` completes a key
//!   exchange with `dropbear` whose only host key is DSA.
//!
//! OpenSSH 9.2p1 (Debian 12) still has all of them (`ssh -Q key|kex|mac`); the test fails
//! loudly if the installed build lacks one.

mod support;

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use support::*;

const GROUP1: &str = "diffie-hellman-group1-sha1";
const CURVE: &str = "curve25519-sha256";
const DSS: &str = "ssh-dss";
const ED25519: &str = "ssh-ed25519";
const CBC: &str = "aes128-cbc";
const CTR: &str = "aes128-ctr";
const DROPBEAR: &str = "/usr/sbin/dropbear";
const DBCLIENT: &str = "/usr/bin/dbclient";
const DROPBEARKEY: &str = "/usr/bin/dropbearkey";
/// What the forced command of serve's user, or the command sent to sshd, prints.
const LOGGED_IN: &str = "legacy-login-ok";

/// One run: the lists the client names (kex, host key, cipher, MAC as the user writes it) and the
/// MAC that must be on the wire.
struct Case {
    kex: &'static str,
    host_key: &'static str,
    cipher: &'static str,
    mac: &'static str,
    wire_mac: &'static str,
}

const fn case(
    kex: &'static str,
    host_key: &'static str,
    cipher: &'static str,
    mac: &'static str,
    wire_mac: &'static str,
) -> Case {
    Case {
        kex,
        host_key,
        cipher,
        mac,
        wire_mac,
    }
}

impl Case {
    fn label(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.kex, self.host_key, self.cipher, self.mac
        )
    }
    fn options(&self) -> Vec<String> {
        [
            format!("KexAlgorithms={}", self.kex),
            format!("HostKeyAlgorithms={}", self.host_key),
            format!("Ciphers={}", self.cipher),
            format!("MACs={}", self.mac),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_string(), o])
        .collect()
    }
    fn expect(&self) -> Expect {
        Expect {
            kex: Some(self.kex.into()),
            hostkey: Some(self.host_key.into()),
            cipher: Some(self.cipher.into()),
            mac: Some(self.wire_mac.into()),
        }
    }
}

/// The installed OpenSSH must have every legacy algorithm tested here.
fn require_openssh_legacy() {
    require_openssh_client();
    require_ssh_keygen();
    for (cat, alg) in [
        (Category::Kex, GROUP1),
        (Category::HostKey, DSS),
        (Category::Mac, "hmac-md5"),
        (Category::Mac, "hmac-md5-96"),
        (Category::Cipher, CBC),
    ] {
        assert!(
            openssh_supported(cat).contains(alg),
            "the installed OpenSSH lacks {alg} (`ssh -Q {}`): these tests need a build with the \
             legacy algorithms, e.g. Debian 12's 9.2p1",
            cat.label()
        );
    }
}

/// `ssh-keygen -t dsa [-m PEM]` at `path`.
fn dsa_key(path: &Path, pem: bool) {
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-t", "dsa", "-N", "", "-C", "legacy@sshgate"]);
    if pem {
        cmd.args(["-m", "PEM"]);
    }
    let out = cmd.arg("-f").arg(path).output().expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen -t dsa: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn public_line(key: &Path) -> String {
    fs::read_to_string(key.with_extension("pub"))
        .expect("public key")
        .trim()
        .to_string()
}

/// The first case is the old IOS combination; each new algorithm is then used alone.
const SSHGATE_CLIENT_CASES: &[Case] = &[
    case(GROUP1, DSS, CBC, "hmac-md5", "hmac-md5"),
    case(GROUP1, ED25519, CTR, "hmac-md5-96", "hmac-md5-96"),
    case(CURVE, DSS, CTR, "hmac-md5-128", "hmac-md5"),
    case(CURVE, ED25519, CBC, "hmac-sha1-160", "hmac-sha1"),
];

/// `sshgate-host ssh` → sshd offering the legacy algorithms besides modern ones, with a DSA host
/// key and only a DSA user key authorized.
#[test]
fn sshgate_ssh_to_sshd_old_ios_combination_and_each_alone() {
    require_openssh_legacy();
    let dir = TempDir::new("legacy-sshgate-to-sshd");
    let keydir = dir.join("sshd-keys");
    fs::create_dir_all(&keydir).expect("key dir");
    let host_dsa = keydir.join("ssh_host_dsa_key");
    dsa_key(&host_dsa, false);
    let user_dsa = dir.join("id_dsa");
    dsa_key(&user_dsa, false);
    let sshd = start_sshd_config(
        &dir,
        &[
            (Category::Kex, &format!("{CURVE},{GROUP1}")),
            (Category::HostKey, &format!("{ED25519},{DSS}")),
            (Category::Cipher, &format!("{CTR},{CBC}")),
            (
                Category::Mac,
                "hmac-sha2-256,hmac-sha1,hmac-md5,hmac-md5-96",
            ),
        ],
        &[
            &format!("HostKey {}", host_dsa.display()),
            "PubkeyAcceptedAlgorithms ssh-dss",
        ],
    );
    // Only the DSA key may log in (sshd reads the file at each attempt).
    fs::write(dir.join("authorized_keys"), public_line(&user_dsa) + "\n").expect("authorize");

    let mut failures = Failures::new(
        "sshgate-host ssh -> OpenSSH sshd, legacy",
        SSHGATE_CLIENT_CASES.len(),
    );
    for (n, c) in SSHGATE_CLIENT_CASES.iter().enumerate() {
        let mark = sshd.log.mark();
        let mut cmd = sshgate_client_command(&dir);
        cmd.arg("-v")
            .args(["-o", "StrictHostKeyChecking=no"])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                dir.join(format!("known_hosts.{n}")).display()
            ))
            .arg("-i")
            .arg(&user_dsa)
            .args(["-p", &sshd.port.to_string()])
            .args(c.options())
            .arg(format!("{}@127.0.0.1", current_user()))
            .arg(format!("echo {LOGGED_IN}"));
        let out = run_with_timeout(&mut cmd, &dir, &c.label(), RUN_TIMEOUT);
        let mut problems: Vec<String> = negotiation_problems(&out.stderr, &c.expect())
            .into_iter()
            .map(|p| format!("sshgate-host ssh -v: {p}"))
            .collect();
        if !out.success() || !out.stdout.contains(LOGGED_IN) {
            problems.push(format!(
                "no login and command (status {})",
                out.status_text()
            ));
        }
        let (sshd_problems, sshd_text) = sshd.check_since(mark, &c.expect());
        problems.extend(sshd_problems.into_iter().map(|p| format!("sshd log: {p}")));
        if !sshd_text.contains("Accepted publickey for") || !sshd_text.contains("ssh2: DSA ") {
            problems.push("sshd did not log an accepted DSA public key".into());
        }
        if problems.is_empty() {
            failures.pass(&c.label());
        } else {
            failures.add(
                &c.label(),
                format!(
                    "problems:\n  - {}\n{}--- sshd log (tail) ---\n{}",
                    problems.join("\n  - "),
                    out.report(40),
                    tail(&sshd_text, 60)
                ),
            );
        }
    }
    failures.finish();
}

/// A serve config for an old device: an Ed25519 host key (generated) and a DSA one (`host_dsa`),
/// `hostkey` offered, the legacy kex/cipher/MACs besides modern ones (two MACs by their IOS
/// names), and a user `old` logging in with `user_key` or `password`, whose session runs
/// `echo LOGGED_IN`.
fn old_device_config(
    port: u16,
    dir: &TempDir,
    host_dsa: &Path,
    hostkey: &[&str],
    user_key: &str,
    password_hash: &str,
) -> String {
    let host_keys = [
        dir.join("ssh_host_ed25519_key").display().to_string(),
        host_dsa.display().to_string(),
    ];
    format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"old-router\"\n\
         host_keys = {}\n\n[algorithms]\nkex = {}\nhostkey = {}\ncipher = {}\nmac = {}\n\n\
         [[users]]\nname = \"old\"\nprivilege = 15\nauthorized_keys = {}\n\
         password_hash = {}\ncommand = {}\nrun_as = {}\n",
        toml_list(&host_keys),
        toml_list(&[CURVE, GROUP1]),
        toml_list(hostkey),
        toml_list(&[CTR, CBC]),
        toml_list(&[
            "hmac-sha2-256",
            "hmac-sha1-160",
            "hmac-md5-128",
            "hmac-md5-96"
        ]),
        toml_list(&[user_key]),
        toml_str(password_hash),
        toml_str(&format!("echo {LOGGED_IN}")),
        toml_str(&current_user()),
    )
}

const OPENSSH_CLIENT_CASES: &[Case] = &[
    case(GROUP1, DSS, CBC, "hmac-md5", "hmac-md5"),
    case(GROUP1, ED25519, CTR, "hmac-md5-96", "hmac-md5-96"),
    case(CURVE, DSS, CTR, "hmac-md5", "hmac-md5"),
    case(CURVE, ED25519, CBC, "hmac-sha1", "hmac-sha1"),
];

/// OpenSSH `ssh` → serve as an old device: a DSA host key in the old PEM format
/// (`BEGIN DSA PRIVATE KEY`), a DSA user key, and the legacy algorithms named in `[algorithms]`.
#[test]
fn openssh_ssh_to_serve_old_ios_combination_and_each_alone() {
    require_openssh_legacy();
    let dir = TempDir::new("legacy-ssh-to-serve");
    let host_dsa = dir.join("ssh_host_dsa_key");
    dsa_key(&host_dsa, true);
    assert!(
        fs::read_to_string(&host_dsa)
            .unwrap()
            .starts_with("-----BEGIN DSA PRIVATE KEY-----")
    );
    let user_dsa = dir.join("id_dsa");
    dsa_key(&user_dsa, false);
    let user_line = public_line(&user_dsa);
    let hash = password_hash("unused-password");
    let server = start_sshgate_with_config(&dir, |port| {
        old_device_config(port, &dir, &host_dsa, &[ED25519, DSS], &user_line, &hash)
    });
    let mut failures = Failures::new(
        "OpenSSH ssh -> sshgate-host serve, legacy",
        OPENSSH_CLIENT_CASES.len(),
    );
    for c in OPENSSH_CLIENT_CASES {
        let mut cmd = Command::new(SSH);
        cmd.args(["-vv", "-F", "/dev/null"])
            .args(["-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null"])
            .args(["-o", "GlobalKnownHostsFile=/dev/null"])
            .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
            .args([
                "-o",
                "IdentityAgent=none",
                "-o",
                "PubkeyAcceptedAlgorithms=+ssh-dss",
            ])
            .arg("-i")
            .arg(&user_dsa)
            .args(["-p", &server.port.to_string()])
            .args(c.options())
            .args(["old@127.0.0.1", "ignored"])
            .current_dir(dir.path());
        let out = run_with_timeout(&mut cmd, &dir, &c.label(), RUN_TIMEOUT);
        let mut problems = negotiation_problems(&out.stderr, &c.expect());
        if !out.success() || !out.stdout.contains(LOGGED_IN) {
            problems.push(format!(
                "no login and command (status {})",
                out.status_text()
            ));
        }
        if !out.stderr.contains("Server accepts key: ") || !out.stderr.contains(" DSA ") {
            problems.push("ssh did not log in with its DSA key".into());
        }
        if problems.is_empty() {
            failures.pass(&c.label());
        } else {
            failures.add(
                &c.label(),
                format!(
                    "problems:\n  - {}\n{}{}",
                    problems.join("\n  - "),
                    out.report(40),
                    server.report(30)
                ),
            );
        }
    }
    failures.finish();
}

/// `dbclient` (password from `DROPBEAR_PASSWORD`) logs into serve offering only `ssh-dss`, with
/// a DSA host key serve generated itself.
#[test]
fn dbclient_to_serve_with_only_ssh_dss() {
    require_tool(DBCLIENT, "apt-get install dropbear-bin");
    require_ssh_keygen();
    let dir = TempDir::new("legacy-dbclient-to-serve");
    // Absent: serve generates it (a DSA key by its name), writes it and loads it.
    let host_dsa = dir.join("ssh_host_dsa_key");
    let user_dsa = dir.join("id_dsa");
    dsa_key(&user_dsa, false);
    let user_line = public_line(&user_dsa);
    let password = "old-device-pw";
    let hash = password_hash(password);
    let server = start_sshgate_with_config(&dir, |port| {
        old_device_config(port, &dir, &host_dsa, &[DSS], &user_line, &hash)
    });
    let mut cmd = Command::new(DBCLIENT);
    // -y -y: no host key check (the key is new); the password comes from the environment.
    cmd.args(["-y", "-y", "-p", &server.port.to_string()])
        .args(["old@127.0.0.1", "ignored"])
        .env("HOME", dir.path())
        .env("DROPBEAR_PASSWORD", password)
        .current_dir(dir.path());
    let out = run_with_timeout(&mut cmd, &dir, "dbclient-dss", RUN_TIMEOUT);
    let generated = fs::read_to_string(host_dsa.with_extension("pub")).unwrap_or_default();
    assert!(
        generated.starts_with("ssh-dss "),
        "serve did not write a DSA host key: {generated:?}\n{}",
        server.report(30)
    );
    assert!(
        out.success() && out.stdout.contains(LOGGED_IN),
        "dbclient did not log in over ssh-dss\n{}{}",
        out.report(40),
        server.report(30)
    );
}

/// `sshgate-host ssh` completes a key exchange (and the service request) with `dropbear` whose
/// only host key is DSA. Dropbear authenticates system accounts, so the login itself fails.
#[test]
fn sshgate_ssh_to_dropbear_with_only_a_dss_host_key() {
    require_tool(DROPBEAR, "apt-get install dropbear-bin");
    require_tool(DROPBEARKEY, "apt-get install dropbear-bin");
    let dir = TempDir::new("legacy-sshgate-to-dropbear");
    let host_key = dir.join("dropbear_dss_host_key");
    let out = Command::new(DROPBEARKEY)
        .args(["-t", "dss", "-f"])
        .arg(&host_key)
        .output()
        .expect("run dropbearkey");
    assert!(out.status.success(), "dropbearkey -t dss: {out:?}");
    let (port, _guard, log) = start_dropbear(&dir, &host_key);
    let mut cmd = sshgate_client_command(&dir);
    cmd.arg("-v")
        .args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .args(["-o", &format!("HostKeyAlgorithms={DSS}")])
        .args(["-p", &port.to_string()])
        .args(["nobody-here@127.0.0.1", "true"]);
    let out = run_with_timeout(&mut cmd, &dir, "sshgate-to-dropbear", RUN_TIMEOUT);
    let e = Expect {
        hostkey: Some(DSS.into()),
        ..Expect::default()
    };
    let mut problems = negotiation_problems(&out.stderr, &e);
    if !out.stderr.contains(SERVICE_ACCEPT_MARKER) {
        problems.push(format!("no `{SERVICE_ACCEPT_MARKER}`"));
    }
    assert!(
        problems.is_empty(),
        "problems: {problems:?}\n{}--- dropbear log ---\n{}",
        out.report(40),
        tail(&read_lossy(&log), 30)
    );
}

/// `dropbear -F -E -p 127.0.0.1:PORT -r KEY` on a free port: the port, the process and its log.
fn start_dropbear(dir: &TempDir, host_key: &Path) -> (u16, ProcessGuard, PathBuf) {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let log_path: PathBuf = dir.join(format!("dropbear-{n}.log"));
    let lp = log_path.clone();
    let (port, guard) = start_with_retries("dropbear", 3, |attempt, port| {
        let mut cmd = Command::new(DROPBEAR);
        cmd.args(["-F", "-E", "-p", &format!("127.0.0.1:{port}"), "-r"])
            .arg(host_key)
            .arg("-P")
            .arg(dir.join(format!("dropbear-{n}-{attempt}.pid")))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&lp).expect("dropbear log"));
        let mut guard = ProcessGuard::spawn("dropbear", &mut cmd);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        guard.await_startup(
            Duration::from_millis(25),
            |p| p.exited().is_none() && port_open(addr),
            |status| format!("dropbear exited ({status}):\n{}", read_lossy(&lp)),
            || format!("dropbear did not listen on {addr}:\n{}", read_lossy(&lp)),
        )?;
        Ok((port, guard))
    });
    (port, guard, log_path)
}
