//! asyncssh clients with X.509 user certificates → `sshgate-host serve` with a host certificate
//! (RFC 6187), over loopback. asyncssh verifies our host certificate (its `x509_trusted_certs`,
//! the name `router1.example.com`) and we verify its user certificate against `trustpoint
//! verify`; every x509v3 algorithm both implement, then the refusals as the peer sees them and
//! as serve logs them (the seed's `debug crypto pki` / `debug ip ssh` wording).
//!
//! Needs python3 with asyncssh and pyOpenSSL, and the openssl CLI; fails (never skips) without.

mod support;

use support::*;

const HOST: &str = "router1.example.com";

fn client(cert: &str, t: &str) -> X509Client {
    X509Client {
        cert: cert.into(),
        cas: vec![format!("root_{t}.pem")],
        host_alias: Some(HOST.into()),
        ..X509Client::default()
    }
}

/// serve's log after `mark`, once it mentions `want` (or has gone quiet).
fn log_since(server: &SshgateServer, mark: u64, want: &str) -> String {
    server
        .stderr
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains(want))
}

#[test]
fn asyncssh_certificate_logins_to_serve_with_every_x509_algorithm() {
    let cases = [
        ("x509v3-ssh-ed25519", "ed25519"),
        ("x509v3-ecdsa-sha2-nistp256", "p256"),
        ("x509v3-ecdsa-sha2-nistp384", "p384"),
        ("x509v3-ecdsa-sha2-nistp521", "p521"),
        ("x509v3-rsa2048-sha256", "rsa"),
        ("x509v3-ssh-rsa", "rsa"),
    ];
    let dir = TempDir::new("x509-asyncssh-to-serve");
    let mut problems = Vec::new();
    for (alg, t) in cases {
        let mut c = CertServe::of_type(t);
        if alg == "x509v3-ssh-rsa" {
            // Legacy (SHA-1): offered and accepted only when named, as IOS lists it.
            c.hostkey = vec![alg.into(), "ssh-ed25519".into()];
        }
        let server = start_cert_server(&dir, &c);
        let mark = server.stderr.mark();
        let mut run = client(&format!("user_{t}"), t);
        run.host_alg = Some(alg.into());
        run.sig_alg = Some(alg.into());
        let out = run_asyncssh_x509_client(&dir, server.port, &run);
        let log = log_since(&server, mark, "Certificate authentication passed");
        let mut missing = Vec::new();
        if !out.success() || !out.stdout.contains("RESULT ok 0") {
            missing.push("a successful login (RESULT ok 0)".to_string());
        }
        // `show ssh` lists the session under the name taken from the certificate.
        if !out
            .stdout
            .lines()
            .any(|l| l.starts_with("OUTPUT") && l.ends_with("alice"))
        {
            missing.push("`show ssh` with user alice".into());
        }
        for want in [
            format!("Using hostkey algo = {alg}"),
            "Sending Server certificate associated with PKI trustpoint \"pki-server\"".into(),
            format!("Received publickey algo = {alg}"),
            "Verifying certificate for user 'alice' in SSH2_MSG_USERAUTH_REQUEST".into(),
            "Received a chain of 2 certificate".into(),
            "Received 0 ocsp-response".into(),
            "Verifying signature for user 'alice' in SSH2_MSG_USERAUTH_REQUEST".into(),
            "Certificate authentication passed for user 'alice'".into(),
        ] {
            if !log.contains(&want) {
                missing.push(format!("serve log: {want}"));
            }
        }
        if !missing.is_empty() {
            problems.push(format!(
                "{alg}: missing {}\n{}{}",
                missing.join("; "),
                out.report(30),
                server.report(40)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn show_ip_ssh_lists_the_x509_algorithms() {
    let dir = TempDir::new("x509-show-ip-ssh");
    let server = start_cert_server(&dir, &CertServe::of_type("p256"));
    let mut run = client("user_p256", "p256");
    run.command = Some("show ip ssh".into());
    let out = run_asyncssh_x509_client(&dir, server.port, &run);
    let line = |prefix: &str| {
        out.stdout
            .lines()
            .find_map(|l| l.strip_prefix("OUTPUT ")?.strip_prefix(prefix))
            .unwrap_or_default()
            .to_string()
    };
    let hostkey = line("Hostkey Algorithms:");
    let pubkey = line("Authentication Publickey Algorithms:");
    assert!(
        hostkey.starts_with("x509v3-ecdsa-sha2-nistp256,") && hostkey.contains("ssh-ed25519"),
        "hostkey: {hostkey:?}\n{}",
        out.report(30)
    );
    assert!(
        !hostkey.contains("x509v3-ssh-ed25519"),
        "no ed25519 certificate: {hostkey}"
    );
    for a in [
        "x509v3-ssh-ed25519",
        "x509v3-ecdsa-sha2-nistp256",
        "x509v3-rsa2048-sha256",
    ] {
        assert!(pubkey.contains(a), "pubkey {pubkey:?} lacks {a}");
    }
}

#[test]
fn refused_user_certificates_as_asyncssh_and_serve_see_them() {
    let dir = TempDir::new("x509-asyncssh-refusals");
    let mut c = CertServe::of_type("p256");
    // Alice's trustpoint: the P-256 CA with its CRL; users alice and bob, bob not for certificates.
    c.crl = true;
    let server = start_cert_server(&dir, &c);
    let mark = server.stderr.mark();
    let ok = run_asyncssh_x509_client(&dir, server.port, &client("user_p256", "p256"));
    assert!(
        ok.stdout.contains("RESULT ok 0"),
        "the control login failed:\n{}{}",
        ok.report(30),
        server.report(40)
    );
    let _ = log_since(&server, mark, "passed");
    let cases: Vec<(&str, X509Client, &str)> = vec![
        (
            "expired",
            client("user_expired", "p256"),
            "The peer certificate 0 (CN=alice) has expired",
        ),
        (
            "untrusted issuer",
            client("user_other", "p256"),
            "is self-signed and not a trustpoint",
        ),
        (
            "wrong EKU",
            client("user_codesign", "p256"),
            "EKU validation failed",
        ),
        (
            "revoked by CRL",
            client("user_revoked", "p256"),
            "is revoked",
        ),
        (
            "CN not an allowed user",
            X509Client {
                user: Some("bob".into()),
                ..client("user_bob", "p256")
            },
            "User 'bob' from the certificate is not an allowed user",
        ),
        (
            "no CN",
            client("user_nocn", "p256"),
            "Could not find username field configured for certificate in trustpoint corp-ca",
        ),
        (
            "another user's certificate",
            X509Client {
                user: Some("lab".into()),
                ..client("user_p256", "p256")
            },
            "User name 'lab' does not match the certificate's 'alice'",
        ),
        (
            "too many certificates",
            X509Client {
                repeat_last: 8,
                ..client("user_p256", "p256")
            },
            "Received a chain of 10 certificate(s), at most 8 allowed",
        ),
    ];
    let mut problems = Vec::new();
    for (what, run, want) in cases {
        let mark = server.stderr.mark();
        let out = run_asyncssh_x509_client(&dir, server.port, &run);
        let log = log_since(&server, mark, want);
        if !out.stdout.contains("RESULT permission denied") {
            problems.push(format!(
                "{what}: asyncssh was not refused\n{}",
                out.report(20)
            ));
        }
        if !log.contains(want) {
            problems.push(format!(
                "{what}: serve did not log `{want}`:\n{}",
                tail(&log, 20)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn asyncssh_refuses_our_host_certificate_for_another_name_or_ca() {
    let dir = TempDir::new("x509-asyncssh-refuses-host");
    let server = start_cert_server(&dir, &CertServe::of_type("p256"));
    let mut wrong_name = client("user_p256", "p256");
    wrong_name.host_alias = Some("other.example.com".into());
    let mut wrong_ca = client("user_p256", "p256");
    wrong_ca.cas = vec!["root_rsa.pem".into()];
    for (what, run) in [("name", wrong_name), ("CA", wrong_ca)] {
        let out = run_asyncssh_x509_client(&dir, server.port, &run);
        assert!(
            out.stdout.contains("RESULT host key not verifiable"),
            "wrong {what}: asyncssh accepted our host certificate\n{}{}",
            out.report(20),
            server.report(20)
        );
    }
}
