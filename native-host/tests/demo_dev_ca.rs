//! `sshgate-host demo`'s dev CA: the first start writes a root, the device's host certificate
//! and lab's certificate, key and PKCS#12 file into `DATA/ca/` and prints where they are; OpenSSL
//! accepts the chains and opens the PKCS#12 file; `sshgate-host ssh` logs in through the bridge
//! with lab's certificate only (no password, strict host key checking satisfied by the CA
//! alone), and the device's `show ssh` lists the name taken from the certificate. A second start
//! keeps the same CA; a damaged user pair is reissued under it; a root without its key stops the
//! start.
//!
//! asyncssh (another RFC 6187 implementation) logs in with the same files.
//!
//! Needs the openssl CLI, and python3 with asyncssh and pyOpenSSL; fails (never skips) without.

mod bridge_support;
mod support;

use bridge_support::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const OPENSSL: &str = "/usr/bin/openssl";

struct Demo {
    port: u16,
    ca_line: String,
    stderr: LogFile,
    proc: ProcessGuard,
}

/// The CA's files as the start printed them.
struct Printed {
    ca: PathBuf,
    fingerprint: String,
    chain: PathBuf,
    key: PathBuf,
    p12: PathBuf,
    passphrase: String,
}

/// `sshgate demo: dev CA PATH (SHA-256 HEX); lab's certificate PATH, key PATH; PKCS#12 PATH,
/// passphrase PASS`.
fn parse_ca_line(line: &str) -> Printed {
    let rest = line.strip_prefix("sshgate demo: dev CA ").expect(line);
    let (ca, rest) = rest.split_once(" (SHA-256 ").expect(line);
    let (fingerprint, rest) = rest.split_once("); lab's certificate ").expect(line);
    let (chain, rest) = rest.split_once(", key ").expect(line);
    let (key, rest) = rest.split_once("; PKCS#12 ").expect(line);
    let (p12, passphrase) = rest.split_once(", passphrase ").expect(line);
    Printed {
        ca: ca.into(),
        fingerprint: fingerprint.into(),
        chain: chain.into(),
        key: key.into(),
        p12: p12.into(),
        passphrase: passphrase.trim().into(),
    }
}

/// Starts the demo on a free port; waits for both lines (URL, then the CA's files).
fn start_demo(dir: &TempDir, data: &Path, run: u32) -> Result<Demo, String> {
    let d = support::start_demo(dir, data, run, &["sshgate demo: dev CA "])?;
    Ok(Demo {
        port: d.port,
        ca_line: d.lines[1].clone(),
        stderr: d.stderr,
        proc: d.proc,
    })
}

fn openssl(dir: &TempDir, args: &[&str], label: &str) -> RunOutput {
    let mut cmd = Command::new(OPENSSL);
    cmd.args(args).current_dir(dir.path());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

/// `sshgate-host ssh -v` through a WebSocket shim to the demo's `router1`, strict host key
/// checking, an empty known_hosts file and no password (BatchMode, no SSHPASS): only a
/// certificate the device accepts, from a host the CA vouches for, can run `show ssh`.
fn ssh_show(
    dir: &TempDir,
    demo: &Demo,
    dest: &str,
    identity: &[String],
    env: &[(&str, &str)],
    label: &str,
) -> RunOutput {
    let shim = Shim::start(
        &format!("ws://127.0.0.1:{}/ssh/router1", demo.port),
        WsOpts {
            origin: Some(format!("http://127.0.0.1:{}", demo.port)),
            ..WsOpts::default()
        },
    );
    let mut cmd = sshgate_client_command(dir);
    cmd.arg("-v")
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join(format!("known_hosts.{label}")).display()
        ))
        .args(["-p", &shim.port.to_string()])
        .args(identity)
        .arg(dest)
        .arg("show ssh")
        .env_remove("SSHPASS")
        .envs(env.iter().copied());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

fn cert_identity(p: &Printed, with_ca: bool) -> Vec<String> {
    let mut v = vec![
        "--cert".into(),
        p.chain.display().to_string(),
        "-i".into(),
        p.key.display().to_string(),
    ];
    if with_ca {
        v.extend(["--ca-file".into(), p.ca.display().to_string()]);
    }
    v
}

/// The `show ssh` rows (IOS: `Connection Version Mode Encryption Hmac State Username`) end
/// with the user's name.
fn show_ssh_lists(out: &RunOutput, user: &str) -> bool {
    out.stdout
        .lines()
        .any(|l| l.contains("Session started") && l.trim_end().ends_with(user))
}

#[test]
fn demo_dev_ca_certificate_login_and_restart() {
    require_tool(OPENSSL, "apt-get install openssl");
    let dir = TempDir::new("demo-dev-ca");
    let data = dir.join("demo-data");
    let demo = start_demo(&dir, &data, 0).unwrap_or_else(|e| panic!("{e}"));
    let p = parse_ca_line(&demo.ca_line);
    let ca_dir = data.join("ca");
    assert_eq!(p.ca, ca_dir.join("ca.pem"), "{}", demo.ca_line);
    assert_eq!(p.chain, ca_dir.join("user.pem"));
    assert_eq!(p.key, ca_dir.join("user-key.pem"));
    assert_eq!(p.p12, ca_dir.join("user.p12"));
    assert_eq!(p.passphrase.len(), 16, "{}", demo.ca_line);
    assert_eq!(p.fingerprint.len(), 64, "{}", demo.ca_line);
    assert_eq!(file_mode(&ca_dir), 0o700);
    for f in [
        "ca-key.pem",
        "router1-key.pem",
        "user-key.pem",
        "user.p12",
        "user.p12-passphrase",
    ] {
        assert_eq!(file_mode(&ca_dir.join(f)), 0o600, "{f}");
    }

    // OpenSSL, an independent reader, on the files as written.
    let mut problems = Vec::new();
    let ca = p.ca.display().to_string();
    for (file, purpose_line) in [("user.pem", "SSH Client"), ("router1.pem", "SSH Server")] {
        let path = ca_dir.join(file).display().to_string();
        let v = openssl(&dir, &["verify", "-CAfile", &ca, &path], "openssl-verify");
        if !v.success() || !v.stdout.contains(": OK") {
            problems.push(format!("openssl verify {file}:\n{}", v.report(10)));
        }
        let t = openssl(
            &dir,
            &["x509", "-in", &path, "-noout", "-text"],
            "openssl-x509",
        );
        for want in [
            purpose_line,
            "CA:FALSE",
            "Digital Signature",
            "ecdsa-with-SHA256",
        ] {
            if !t.stdout.contains(want) {
                problems.push(format!("{file}: no {want:?}:\n{}", t.stdout));
            }
        }
    }
    let host = openssl(
        &dir,
        &[
            "x509",
            "-in",
            &ca_dir.join("router1.pem").display().to_string(),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        "openssl-san",
    );
    // `X509v3 Subject Alternative Name:` then one line of names, comma-separated.
    let names: Vec<&str> = host
        .stdout
        .lines()
        .nth(1)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let want = [
        "DNS:localhost",
        "DNS:router1",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
    ];
    if names != want {
        problems.push(format!("router1.pem SAN: {names:?}, not {want:?}"));
    }
    let root = openssl(
        &dir,
        &["x509", "-in", &ca, "-noout", "-text"],
        "openssl-root",
    );
    for want in ["CA:TRUE", "Certificate Sign, CRL Sign"] {
        if !root.stdout.contains(want) {
            problems.push(format!("ca.pem: no {want:?}:\n{}", root.stdout));
        }
    }
    let subject = openssl(
        &dir,
        &[
            "x509",
            "-in",
            &p.chain.display().to_string(),
            "-noout",
            "-subject",
        ],
        "openssl-subject",
    );
    if !subject.stdout.contains("CN = lab") {
        problems.push(format!("user.pem subject: {}", subject.stdout));
    }
    let pass = format!("pass:{}", p.passphrase);
    let p12 = p.p12.display().to_string();
    let opened = openssl(
        &dir,
        &["pkcs12", "-in", &p12, "-passin", &pass, "-nodes"],
        "openssl-pkcs12",
    );
    if !opened.success()
        || !opened.stdout.contains("BEGIN PRIVATE KEY")
        || opened.stdout.matches("BEGIN CERTIFICATE").count() != 2
    {
        problems.push(format!("openssl pkcs12:\n{}", opened.report(10)));
    }
    let wrong = openssl(
        &dir,
        &["pkcs12", "-in", &p12, "-passin", "pass:wrong", "-nodes"],
        "openssl-pkcs12-wrong",
    );
    if wrong.success() {
        problems.push("openssl pkcs12 opened user.p12 with a wrong passphrase".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));

    // The certificate login: the host trusted through --ca-file alone, lab by certificate.
    let mark = demo.stderr.mark();
    let out = ssh_show(
        &dir,
        &demo,
        "lab@localhost",
        &cert_identity(&p, true),
        &[],
        "cert",
    );
    let log = demo.stderr.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains("Certificate authentication passed")
    });
    let mut missing = Vec::new();
    if !out.success() {
        missing.push(format!("exit 0 (got {})", out.status_text()));
    }
    for want in [
        "Server host certificate: x509v3-ecdsa-sha2-nistp256 CN=router1,O=sshgate demo",
        "is valid for 'localhost'",
        "Offering X.509 certificate: CN=lab,O=sshgate demo",
    ] {
        if !out.stderr.contains(want) {
            missing.push(format!("ssh -v: {want}"));
        }
    }
    if !show_ssh_lists(&out, "lab") {
        missing.push("show ssh listing lab".into());
    }
    if !log.contains("Certificate authentication passed for user 'lab'") {
        missing.push("demo log: Certificate authentication passed for user 'lab'".into());
    }
    assert!(
        missing.is_empty(),
        "missing {}\n{}\n{}",
        missing.join("; "),
        out.report(30),
        tail(&log, 30)
    );

    // Without the CA the host certificate vouches for nothing: strict checking refuses.
    let refused = ssh_show(
        &dir,
        &demo,
        "lab@localhost",
        &cert_identity(&p, false),
        &[],
        "no-ca",
    );
    assert!(
        !refused.success()
            && refused.stderr.contains("Host key verification failed")
            && !show_ssh_lists(&refused, "lab"),
        "a login without --ca-file got through:\n{}",
        refused.report(30)
    );

    let ca_pem = fs::read(&p.ca).unwrap();
    let user_pem = fs::read(&p.chain).unwrap();
    drop(demo);

    // Second start: the same CA, certificate and passphrase; the PKCS#12 file logs in at the
    // loopback address (the certificate's IP SAN), the name taken from the certificate.
    let again = start_demo(&dir, &data, 1).unwrap_or_else(|e| panic!("{e}"));
    let q = parse_ca_line(&again.ca_line);
    assert_eq!(q.fingerprint, p.fingerprint, "the CA is kept");
    assert_eq!(fs::read(&q.ca).unwrap(), ca_pem, "ca.pem is kept");
    assert_eq!(fs::read(&q.chain).unwrap(), user_pem, "user.pem is kept");
    assert_eq!(q.passphrase, p.passphrase, "the PKCS#12 passphrase is kept");
    let p12_identity = [
        "--pkcs12".to_string(),
        q.p12.display().to_string(),
        "--user-from-cert".into(),
        "--ca-file".into(),
        q.ca.display().to_string(),
    ];
    // No terminal: the passphrase comes from the environment.
    let out = ssh_show(
        &dir,
        &again,
        "127.0.0.1",
        &p12_identity,
        &[("SSHGATE_PKCS12_PASS", &q.passphrase)],
        "p12",
    );
    assert!(
        out.success()
            && show_ssh_lists(&out, "lab")
            && out.stderr.contains("is valid for '127.0.0.1'"),
        "{}",
        out.report(30)
    );
    drop(again);
}

/// `asyncssh_x509_peer.py client` through a shim to `router1`, as lab with the dev CA's files,
/// the host key only `x509v3-ecdsa-sha2-nistp256` and trusted only through `cas`.
fn asyncssh_login(dir: &TempDir, demo: &Demo, p: &Printed, cas: &Path, label: &str) -> RunOutput {
    require_asyncssh_x509();
    let shim = Shim::start(
        &format!("ws://127.0.0.1:{}/ssh/router1", demo.port),
        WsOpts {
            origin: Some(format!("http://127.0.0.1:{}", demo.port)),
            ..WsOpts::default()
        },
    );
    let mut cmd = Command::new(python());
    cmd.arg("-u")
        .arg(x509_peer_script())
        .args(["client", "--port", &shim.port.to_string(), "--user", "lab"])
        .arg("--key")
        .arg(&p.key)
        .arg("--chain")
        .arg(&p.chain)
        .arg("--ca")
        .arg(cas)
        .args(["--host-alias", "localhost"])
        .args(["--host-alg", "x509v3-ecdsa-sha2-nistp256"])
        .current_dir(dir.path())
        .env("HOME", dir.path());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

#[test]
fn asyncssh_logs_into_the_demo_with_the_dev_ca_files() {
    let dir = TempDir::new("demo-dev-ca-asyncssh");
    let data = dir.join("demo-data");
    let demo = start_demo(&dir, &data, 0).unwrap_or_else(|e| panic!("{e}"));
    let p = parse_ca_line(&demo.ca_line);
    let out = asyncssh_login(&dir, &demo, &p, &p.ca, "asyncssh");
    assert!(
        out.stdout.contains("RESULT ok 0")
            && out.stdout.lines().any(|l| l.starts_with("OUTPUT")
                && l.contains("Session started")
                && l.ends_with("lab")),
        "{}",
        out.report(30)
    );
    // Trusting lab's own certificate instead of the root: asyncssh cannot verify the host.
    let text = fs::read_to_string(&p.chain).unwrap();
    let end = "-----END CERTIFICATE-----\n";
    let leaf_only = dir.join("not-a-ca.pem");
    fs::write(&leaf_only, &text[..text.find(end).unwrap() + end.len()]).unwrap();
    let refused = asyncssh_login(&dir, &demo, &p, &leaf_only, "asyncssh-wrong-ca");
    assert!(
        refused.stdout.contains("RESULT host key not verifiable"),
        "{}",
        refused.report(30)
    );
}

#[test]
fn demo_dev_ca_reissues_a_broken_user_pair_and_keeps_a_root_only_with_its_key() {
    let dir = TempDir::new("demo-dev-ca-repair");
    let data = dir.join("demo-data");
    let first = start_demo(&dir, &data, 0).unwrap_or_else(|e| panic!("{e}"));
    let p = parse_ca_line(&first.ca_line);
    let user_pem = fs::read(&p.chain).unwrap();
    let host_pem = fs::read(data.join("ca/router1.pem")).unwrap();
    drop(first);

    // A user key that is not the certificate's: the pair is reissued under the same root.
    fs::remove_file(&p.key).unwrap();
    fs::copy(data.join("ca/router1-key.pem"), &p.key).unwrap();
    let second = start_demo(&dir, &data, 1).unwrap_or_else(|e| panic!("{e}"));
    let q = parse_ca_line(&second.ca_line);
    assert_eq!(q.fingerprint, p.fingerprint, "the root is kept");
    assert_ne!(
        fs::read(&q.chain).unwrap(),
        user_pem,
        "user.pem is reissued"
    );
    assert_eq!(
        fs::read(data.join("ca/router1.pem")).unwrap(),
        host_pem,
        "the host certificate is kept"
    );
    assert!(
        second.stderr.all().contains("reissuing"),
        "{}",
        second.stderr.all()
    );
    // The reissued pair logs in.
    let out = ssh_show(
        &dir,
        &second,
        "lab@localhost",
        &cert_identity(&q, true),
        &[],
        "reissued",
    );
    assert!(
        out.success() && show_ssh_lists(&out, "lab"),
        "{}",
        out.report(30)
    );
    drop(second);

    // A root certificate without its key cannot sign: the start stops and says what to do.
    fs::remove_file(data.join("ca/ca-key.pem")).unwrap();
    match start_demo(&dir, &data, 2) {
        Ok(mut d) => panic!(
            "started without the CA key: {:?}\n{}",
            d.proc.exited(),
            d.stderr.all()
        ),
        Err(e) => assert!(e.contains("delete the ca directory"), "{e}"),
    }
}
