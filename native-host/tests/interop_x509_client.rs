//! `sshgate-host ssh` with an X.509 user certificate → an asyncssh server presenting a host
//! certificate (RFC 6187), over loopback: every x509v3 host key algorithm both implement, the
//! PKCS#12 + `--user-from-cert` login, and the refusals: a server certificate that is expired,
//! for another purpose, for another name or from an unknown CA is refused under strict host key
//! checking (unless its key is known), and asyncssh refuses a certificate of another user.
//!
//! Needs python3 with asyncssh and pyOpenSSL, and the openssl CLI; fails (never skips) without.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use support::*;

/// `sshgate-host ssh -v` as `alice@localhost` with `extra` options, strict host key checking and
/// a fresh (or the given) known_hosts file; no terminal, so nothing is asked.
fn ssh(dir: &TempDir, port: u16, extra: &[String], known_hosts: Option<&str>) -> RunOutput {
    static N: AtomicU32 = AtomicU32::new(0);
    let kh = dir.join(format!("known_hosts.{}", N.fetch_add(1, Ordering::Relaxed)));
    if let Some(text) = known_hosts {
        std::fs::write(&kh, text).unwrap();
    }
    let mut cmd = sshgate_client_command(dir);
    cmd.arg("-v")
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", kh.display()))
        .args(["-p", &port.to_string()])
        .args(extra)
        .arg("alice@localhost")
        .arg("true");
    run_with_timeout(&mut cmd, dir, "sshgate-ssh-x509", RUN_TIMEOUT)
}

fn with_cert(t: &str, ca: &str) -> Vec<String> {
    vec![
        "-i".into(),
        pki(&format!("user_{t}.key")),
        "--cert".into(),
        pki(&format!("user_{t}.chain.pem")),
        "--ca-file".into(),
        pki(ca),
    ]
}

#[test]
fn sshgate_certificate_logins_to_asyncssh_with_every_x509_host_key_algorithm() {
    let cases = [
        ("x509v3-ssh-ed25519", "ed25519"),
        ("x509v3-ecdsa-sha2-nistp256", "p256"),
        ("x509v3-ecdsa-sha2-nistp384", "p384"),
        ("x509v3-ecdsa-sha2-nistp521", "p521"),
        ("x509v3-rsa2048-sha256", "rsa"),
        ("x509v3-ssh-rsa", "rsa"),
    ];
    let dir = TempDir::new("x509-sshgate-to-asyncssh");
    let mut problems = Vec::new();
    for (alg, t) in cases {
        let root = format!("root_{t}.pem");
        let server = start_asyncssh_x509_server(&dir, &format!("server_{t}"), &[&root]);
        let mark = server.stdout.mark();
        let mut opts = with_cert(t, &root);
        // Naming a legacy algorithm turns it on, as in OpenSSH.
        opts.extend(["-o".into(), format!("HostKeyAlgorithms={alg}")]);
        let out = ssh(&dir, server.port, &opts, None);
        let peer = server
            .stdout
            .wait_since(mark, LOG_SETTLE_TIMEOUT, |s| s.contains("EXEC"));
        let mut missing = Vec::new();
        if !out.success() {
            missing.push(format!("exit 0 (got {})", out.status_text()));
        }
        for want in [
            format!("kex: host key algorithm: {alg}"),
            format!("Server host key: {alg} SHA256:"),
            format!("Server host certificate: {alg} CN=router1.example.com,O=Example"),
            "is valid for 'localhost'".into(),
            "Offering X.509 certificate: CN=alice,OU=Admins,O=Example".into(),
            "Authenticated to localhost".into(),
        ] {
            if !out.stderr.contains(&want) {
                missing.push(format!("ssh -v: {want}"));
            }
        }
        for want in ["AUTH alice OK", "EXEC true"] {
            if !peer.contains(want) {
                missing.push(format!("asyncssh: {want}"));
            }
        }
        if !missing.is_empty() {
            problems.push(format!(
                "{alg}: missing {}\n{}{}",
                missing.join("; "),
                out.report(30),
                server.report(30)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn pkcs12_identity_and_the_login_name_from_the_certificate() {
    let dir = TempDir::new("x509-sshgate-pkcs12");
    let server = start_asyncssh_x509_server(&dir, "server_rsa", &["root_rsa.pem"]);
    let mark = server.stdout.mark();
    let mut cmd = sshgate_client_command(&dir);
    cmd.args([
        "-v",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
    ])
    .arg("-o")
    .arg(format!(
        "UserKnownHostsFile={}",
        dir.join("kh-p12").display()
    ))
    .args(["--pkcs12", &pki("user_rsa.p12"), "--user-from-cert"])
    .args(["--ca-file", &pki("root_rsa.pem")])
    .args(["-p", &server.port.to_string()])
    // The name typed here is replaced by the certificate's CN.
    .args(["nobody@localhost", "true"])
    .env("SSHGATE_PKCS12_PASS", "s3cret");
    let out = run_with_timeout(&mut cmd, &dir, "sshgate-ssh-p12", RUN_TIMEOUT);
    let peer = server
        .stdout
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |s| s.contains("EXEC"));
    assert!(
        out.success()
            && out.stderr.contains("as 'alice'")
            && peer.contains("AUTH alice OK")
            && peer.contains("EXEC true"),
        "{}{}",
        out.report(30),
        server.report(30)
    );
    // A wrong passphrase is an error before connecting.
    let mut cmd = sshgate_client_command(&dir);
    cmd.args(["--pkcs12", &pki("user_rsa.p12"), "--user-from-cert"])
        .args(["-p", &server.port.to_string(), "localhost", "true"])
        .env("SSHGATE_PKCS12_PASS", "wrong");
    let bad = run_with_timeout(&mut cmd, &dir, "sshgate-ssh-p12-bad", RUN_TIMEOUT);
    assert!(
        !bad.success() && bad.stderr.contains("passphrase"),
        "{}",
        bad.report(20)
    );
}

#[test]
fn refused_server_certificates_under_strict_checking() {
    let dir = TempDir::new("x509-sshgate-refuses");
    let cases = [
        ("server_expired", "root_p256.pem", "has expired"),
        (
            "server_clienteku",
            "root_p256.pem",
            "is not valid for secureShellServer",
        ),
        (
            "server_other",
            "root_p256.pem",
            "Host name localhost does not match",
        ),
        (
            "server_p256",
            "root_rsa.pem",
            "No suitable trustpoints found",
        ),
    ];
    // (leaf, CA, CRL file for --crl-file, what the refusal says)
    let cases = cases
        .into_iter()
        .map(|(n, ca, want)| (n, ca, None, want))
        .chain([
            // Revoked by the intermediate's CRL; with no CRL of the intermediate, the status is
            // unknown, which is a refusal too once CRLs are asked for.
            (
                "server_revoked",
                "root_p256.pem",
                Some("crls_p256.pem"),
                "is revoked",
            ),
            (
                "server_p256",
                "root_p256.pem",
                Some("root_p256.crl.pem"),
                "Revocation status",
            ),
        ]);
    let mut problems = Vec::new();
    for (name, ca, crl, want) in cases {
        let server = start_asyncssh_x509_server(&dir, name, &["root_p256.pem"]);
        let mark = server.stdout.mark();
        let mut args = with_cert("p256", ca);
        if let Some(crl) = crl {
            args.extend(["--crl-file".to_string(), pki(crl)]);
        }
        let out = ssh(&dir, server.port, &args, None);
        let peer = server
            .stdout
            .wait_since(mark, LOG_SETTLE_TIMEOUT, |s| s.contains("CLOSED"));
        let refused = out.status.and_then(|s| s.code()) == Some(255)
            && out.stderr.contains("Server host certificate not accepted")
            && out.stderr.contains(want)
            && out.stderr.contains("Host key verification failed.");
        if !refused || peer.contains("AUTH") {
            problems.push(format!(
                "{name} / {ca} / {crl:?}:\n{}{}",
                out.report(20),
                server.report(20)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_known_key_still_admits_a_server_whose_certificate_expired() {
    let dir = TempDir::new("x509-sshgate-known-key");
    let server = start_asyncssh_x509_server(&dir, "server_expired", &["root_p256.pem"]);
    // The leaf's key as a known_hosts line for [localhost]:port.
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-in", &pki("server_expired.key"), "-pubout"])
        .output()
        .unwrap();
    let pem = String::from_utf8(out.stdout).unwrap();
    let (key, _) = sshgate::keys::PublicKey::from_text(&pem).unwrap();
    let line = format!("[localhost]:{} {}\n", server.port, key.to_openssh_line(""));
    let out = ssh(
        &dir,
        server.port,
        &with_cert("p256", "root_p256.pem"),
        Some(&line),
    );
    assert!(
        out.success()
            && out.stderr.contains("Server host certificate not accepted")
            && out.stderr.contains("is known and matches"),
        "{}{}",
        out.report(30),
        server.report(30)
    );
}

#[test]
fn asyncssh_refuses_a_certificate_of_another_user() {
    let dir = TempDir::new("x509-asyncssh-refuses-user");
    let server = start_asyncssh_x509_server(&dir, "server_p256", &["root_p256.pem"]);
    let mut opts = with_cert("p256", "root_p256.pem");
    opts[1] = pki("user_bob.key");
    opts[3] = pki("user_bob.chain.pem");
    let out = ssh(&dir, server.port, &opts, None);
    assert!(
        !out.success() && out.stderr.contains("alice@localhost: Permission denied"),
        "{}{}",
        out.report(30),
        server.report(30)
    );
}
