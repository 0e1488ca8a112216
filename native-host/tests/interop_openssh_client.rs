//! Interop: OpenSSH `ssh` (the real client) → `sshgate-host serve`.
//!
//! One sshgate server per category, configured with every algorithm the engine has (legacy
//! included) and host keys ed25519, ECDSA P-256/384/521 and RSA-3072; then one
//! `ssh -vv ... -o <Option>=ALG test@127.0.0.1 true` per algorithm both sides have. Success is read
//! off ssh's stderr: ALG negotiated, and `debug1: SSH2_MSG_SERVICE_ACCEPT received` (the server
//! decrypted our SERVICE_REQUEST and OpenSSH verified the answer). ssh itself exits non-zero:
//! the server has no user authentication yet and drops the connection at USERAUTH_REQUEST.

mod support;

use support::*;

fn openssh_client_matrix(cat: Category) {
    require_openssh_client();
    require_ssh_keygen();
    let matrix = openssh_matrix(cat);
    let dir = TempDir::new(&format!("ssh-to-sshgate-{}", cat.label()));
    let server = start_sshgate_server(&dir, &Algorithms::everything(), true);
    let mut failures = Failures::new(
        format!("OpenSSH ssh -> sshgate-host serve, {}", cat.name()),
        matrix.len(),
    );
    for alg in matrix {
        let (mark_out, mark_err) = (server.stdout.mark(), server.stderr.mark());
        let out = run_openssh_client(
            &dir,
            server.port,
            &cat.client_options(alg),
            &format!("ssh-{alg}"),
        );
        let mut problems = negotiation_problems(&out.stderr, &cat.expect(alg, true));
        if !out.stderr.contains(SERVICE_ACCEPT_MARKER) {
            problems.push(format!("ssh never printed `{SERVICE_ACCEPT_MARKER}`"));
        }
        if out.timed_out() {
            problems.push(format!("ssh hung and was killed after {RUN_TIMEOUT:?}"));
        }
        if problems.is_empty() {
            failures.pass(alg);
        } else {
            failures.add(
                alg,
                format!(
                    "problems:\n  - {}\n{}--- sshgate-host serve output during this run ---\n{}{}",
                    problems.join("\n  - "),
                    out.report(40),
                    tail(&server.stdout.since(mark_out), 30),
                    tail(&server.stderr.since(mark_err), 30),
                ),
            );
        }
    }
    failures.finish();
}

/// Every kex OpenSSH has (all of ours except mlkem768x25519-sha256 on OpenSSH 9.2).
#[test]
fn openssh_client_kex() {
    openssh_client_matrix(Category::Kex);
}

/// All 7 host key algorithms (ssh-rsa and the ECDSA curves selected with -o HostKeyAlgorithms=).
#[test]
fn openssh_client_hostkey() {
    openssh_client_matrix(Category::HostKey);
}

/// All 10 ciphers (for AEAD ones OpenSSH must report `MAC: <implicit>`).
#[test]
fn openssh_client_cipher() {
    openssh_client_matrix(Category::Cipher);
}

/// All 7 MACs, under aes128-ctr.
#[test]
fn openssh_client_mac() {
    openssh_client_matrix(Category::Mac);
}

/// ssh's defaults against a server with no [algorithms] section: connects, with a modern choice.
#[test]
fn openssh_client_defaults() {
    require_openssh_client();
    let dir = TempDir::new("ssh-to-sshgate-defaults");
    let server = start_sshgate_server(&dir, &Algorithms::default(), false);
    let out = run_openssh_client(&dir, server.port, &[], "ssh-defaults");
    let kex = values_after(&out.stderr, KEX_MARKER);
    let hostkey = values_after(&out.stderr, HOSTKEY_MARKER);
    let ciphers = cipher_lines(&out.stderr, "client->server");
    let report = || format!("{}{}", out.report(40), server.report(30));
    assert!(
        out.stderr.contains(SERVICE_ACCEPT_MARKER),
        "no SERVICE_ACCEPT with defaults\n{}",
        report()
    );
    let legacy_kex = |k: &String| k.ends_with("-sha1");
    assert!(
        !kex.is_empty() && !kex.iter().any(legacy_kex),
        "kex {kex:?}\n{}",
        report()
    );
    assert!(
        !hostkey.is_empty() && !hostkey.iter().any(|h| h == "ssh-rsa"),
        "host key {hostkey:?}\n{}",
        report()
    );
    assert!(
        !ciphers.is_empty() && !ciphers.iter().any(|(c, _)| c.ends_with("-cbc")),
        "cipher {ciphers:?}\n{}",
        report()
    );
}

/// Legacy algorithms are off unless named in [algorithms]: a server with no such section must not
/// agree to any of them, and ssh must report the mismatch (`Unable to negotiate ... no matching`).
#[test]
fn openssh_client_legacy_refused_by_default_server() {
    require_openssh_client();
    let dir = TempDir::new("ssh-to-sshgate-legacy");
    let server = start_sshgate_server(&dir, &Algorithms::default(), false);
    let legacy: &[(Category, &str)] = &[
        (Category::Kex, "diffie-hellman-group14-sha1"),
        (Category::Kex, "diffie-hellman-group-exchange-sha1"),
        (Category::HostKey, "ssh-rsa"),
        (Category::Cipher, "aes128-cbc"),
        (Category::Cipher, "aes192-cbc"),
        (Category::Cipher, "aes256-cbc"),
        (Category::Cipher, "3des-cbc"),
        (Category::Mac, "hmac-sha1-96"),
        (Category::Kex, "diffie-hellman-group1-sha1"),
        (Category::HostKey, "ssh-dss"),
        (Category::Mac, "hmac-md5"),
        (Category::Mac, "hmac-md5-96"),
    ];
    let mut failures = Failures::new(
        "OpenSSH ssh -> default sshgate server, legacy refused",
        legacy.len(),
    );
    for &(cat, alg) in legacy {
        let out = run_openssh_client(
            &dir,
            server.port,
            &cat.client_options(alg),
            &format!("ssh-legacy-{alg}"),
        );
        let mut problems = Vec::new();
        if out.stderr.contains(SERVICE_ACCEPT_MARKER) {
            problems.push(format!(
                "connected although {alg} is legacy and not enabled"
            ));
        }
        if !out.stderr.contains("no matching") {
            problems.push("ssh did not report `no matching ...` (negotiation failure)".to_string());
        }
        if out.timed_out() {
            problems.push(format!("ssh hung and was killed after {RUN_TIMEOUT:?}"));
        }
        if problems.is_empty() {
            failures.pass(alg);
        } else {
            failures.add(
                alg,
                format!(
                    "problems:\n  - {}\n{}{}",
                    problems.join("\n  - "),
                    out.report(30),
                    server.report(20)
                ),
            );
        }
    }
    failures.finish();
}
