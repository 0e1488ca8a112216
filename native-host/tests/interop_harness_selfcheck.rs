//! Self-check of the interop harness, independent of sshgate: the real peers against each other,
//! through the same launchers and the same assertions the sshgate interop tests use.
//!
//! - OpenSSH `ssh` → OpenSSH `sshd`, every algorithm of the interop matrix, checked on both sides
//!   exactly like `interop_openssh_client` (ssh's stderr) and `interop_openssh_server` (sshd log).
//! - asyncssh client → asyncssh server with mlkem768x25519-sha256.
//!
//! If these fail, the environment (or the harness) is broken, not sshgate; if they pass and an
//! sshgate interop test fails, the log formats and peer setup are known good.

mod support;

use support::*;

fn openssh_pair_matrix(cat: Category) {
    require_openssh_client();
    let matrix = openssh_matrix(cat);
    let dir = TempDir::new(&format!("selfcheck-ssh-sshd-{}", cat.label()));
    let sshd = start_sshd(&dir);
    let mut failures = Failures::new(
        format!("selfcheck: OpenSSH ssh -> sshd, {}", cat.name()),
        matrix.len(),
    );
    for alg in matrix {
        let mark = sshd.log.mark();
        let out = run_openssh_client(
            &dir,
            sshd.port,
            &cat.client_options(alg),
            &format!("ssh-{alg}"),
        );
        let expect = cat.expect(alg, true);
        let mut problems: Vec<String> = negotiation_problems(&out.stderr, &expect)
            .into_iter()
            .map(|p| format!("ssh: {p}"))
            .collect();
        if !out.stderr.contains(SERVICE_ACCEPT_MARKER) {
            problems.push(format!("ssh never printed `{SERVICE_ACCEPT_MARKER}`"));
        }
        let (sshd_problems, sshd_text) = sshd.check_since(mark, &expect);
        problems.extend(sshd_problems.into_iter().map(|p| format!("sshd log: {p}")));
        if problems.is_empty() {
            failures.pass(alg);
        } else {
            failures.add(
                alg,
                format!(
                    "problems:\n  - {}\n{}--- sshd log during this run (tail) ---\n{}",
                    problems.join("\n  - "),
                    out.report(40),
                    tail(&sshd_text, 60)
                ),
            );
        }
    }
    failures.finish();
}

#[test]
fn selfcheck_openssh_pair_kex() {
    openssh_pair_matrix(Category::Kex);
}

#[test]
fn selfcheck_openssh_pair_hostkey() {
    openssh_pair_matrix(Category::HostKey);
}

#[test]
fn selfcheck_openssh_pair_cipher() {
    openssh_pair_matrix(Category::Cipher);
}

#[test]
fn selfcheck_openssh_pair_mac() {
    openssh_pair_matrix(Category::Mac);
}

#[test]
fn selfcheck_asyncssh_pair_mlkem() {
    const MLKEM: &str = "mlkem768x25519-sha256";
    require_asyncssh();
    let dir = TempDir::new("selfcheck-asyncssh");
    let server = start_asyncssh_server(&dir, MLKEM);
    let mark = server.stdout.mark();
    let out = run_asyncssh_client(&dir, server.port, MLKEM);
    let want = [asyncssh_kex_ok(MLKEM), ASYNCSSH_SERVICE_OK.to_string()];
    let peer = server.stdout.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        want.iter().all(|w| t.contains(w.as_str()))
    });
    let mut problems = Vec::new();
    if !out.success() {
        problems.push(format!("client exit status {} (want 0)", out.status_text()));
    }
    for w in &want {
        if !out.stdout.contains(w.as_str()) {
            problems.push(format!("client did not report `{w}`"));
        }
        if !peer.contains(w.as_str()) {
            problems.push(format!("server did not report `{w}`"));
        }
    }
    assert!(
        problems.is_empty(),
        "selfcheck asyncssh pair:\n  - {}\n{}{}",
        problems.join("\n  - "),
        out.report(60),
        server.report(60)
    );
}

/// The parsers on the literal lines read off OpenSSH 9.2p1 (`ssh -vv` and `sshd -D -e` DEBUG3).
#[test]
fn selfcheck_parsers_on_recorded_openssh_lines() {
    let sshd = "\
debug1: kex: algorithm: diffie-hellman-group14-sha1 [preauth]
debug1: kex: host key algorithm: ssh-rsa [preauth]
debug1: kex: client->server cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
debug1: kex: server->client cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
debug1: expecting SSH2_MSG_KEX_ECDH_INIT [preauth]
";
    let ssh = "\
debug1: kex: algorithm: curve25519-sha256
debug1: kex: host key algorithm: ssh-ed25519
debug1: kex: server->client cipher: chacha20-poly1305@openssh.com MAC: <implicit> compression: none
debug1: kex: client->server cipher: chacha20-poly1305@openssh.com MAC: <implicit> compression: none
debug1: SSH2_MSG_SERVICE_ACCEPT received
";
    let legacy = Expect {
        kex: Some("diffie-hellman-group14-sha1".into()),
        hostkey: Some("ssh-rsa".into()),
        cipher: Some("aes128-cbc".into()),
        mac: Some("hmac-sha1-96".into()),
    };
    assert_eq!(negotiation_problems(sshd, &legacy), Vec::<String>::new());
    let aead = Category::Cipher.expect("chacha20-poly1305@openssh.com", true);
    assert_eq!(negotiation_problems(ssh, &aead), Vec::<String>::new());
    assert_eq!(
        negotiation_problems(ssh, &Category::Kex.expect("curve25519-sha256", true)),
        Vec::<String>::new()
    );
    // "curve25519-sha256" must not match "curve25519-sha256@libssh.org" and vice versa.
    assert_eq!(
        negotiation_problems(
            ssh,
            &Category::Kex.expect("curve25519-sha256@libssh.org", true)
        )
        .len(),
        1
    );
    // "kex: algorithm" must not pick up the "kex: host key algorithm" line.
    assert_eq!(
        values_after(sshd, KEX_MARKER),
        vec!["diffie-hellman-group14-sha1"]
    );
    // Wrong expectations are reported, per field and direction.
    assert_eq!(
        negotiation_problems(sshd, &Category::Mac.expect("hmac-sha1", true)).len(),
        4
    );
    assert_eq!(
        negotiation_problems("", &Category::HostKey.expect("ssh-rsa", true)).len(),
        1
    );
    assert!(ssh.contains(SERVICE_ACCEPT_MARKER));
}
