//! Interop for mlkem768x25519-sha256 with Python asyncssh (OpenSSH 9.2 has no ML-KEM).
//!
//! The peer is `tests/interop/asyncssh_peer.py` (see its docstring for the stdout protocol). It
//! needs `python3` with asyncssh and `cryptography` >= 44 (ML-KEM); the tests fail, never skip,
//! without them (`pip install asyncssh`; `SSHGATE_PYTHON` picks another interpreter).

mod support;

use support::*;

const MLKEM: &str = "mlkem768x25519-sha256";

/// `sshgate-host ssh -v -o KexAlgorithms=mlkem768x25519-sha256` → asyncssh server: key
/// exchange, password login (from `SSHPASS`) and `exec true`, as both sides tell it.
#[test]
fn sshgate_client_to_asyncssh_server_mlkem() {
    require_asyncssh();
    let dir = TempDir::new("sshgate-to-asyncssh");
    let server = start_asyncssh_server(&dir, MLKEM);
    let mark = server.stdout.mark();
    let opts = vec!["-o".to_string(), format!("KexAlgorithms={MLKEM}")];
    let out = run_sshgate_client(&dir, server.port, &opts, "sshgate-ssh-mlkem");
    let want = [
        asyncssh_kex_ok(MLKEM),
        ASYNCSSH_SERVICE_OK.to_string(),
        format!("AUTH {} password OK", current_user()),
        "EXEC true".to_string(),
    ];
    let peer = server.stdout.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        want.iter().all(|w| t.contains(w.as_str()))
    });

    let mut problems = Vec::new();
    if !out.success() {
        problems.push(format!(
            "sshgate-host ssh exit status {} (want 0)",
            out.status_text()
        ));
    }
    let ours = Expect {
        kex: Some(MLKEM.into()),
        hostkey: Some("ssh-ed25519".into()),
        ..Expect::default()
    };
    for p in negotiation_problems(&out.stderr, &ours) {
        problems.push(format!("sshgate-host ssh -v: {p}"));
    }
    if !out.stderr.contains(SERVICE_ACCEPT_MARKER) {
        problems.push(format!(
            "sshgate-host ssh -v never printed `{SERVICE_ACCEPT_MARKER}`"
        ));
    }
    for w in &want {
        if !peer.contains(w.as_str()) {
            problems.push(format!("asyncssh server did not report `{w}`"));
        }
    }
    assert!(
        problems.is_empty(),
        "sshgate-host ssh -> asyncssh server ({MLKEM}):\n  - {}\n{}{}",
        problems.join("\n  - "),
        out.report(40),
        server.report(60)
    );
}

/// asyncssh client (kex_algs=[mlkem768x25519-sha256]) → `sshgate-host serve` restricted to it.
#[test]
fn asyncssh_client_to_sshgate_server_mlkem() {
    require_asyncssh();
    let dir = TempDir::new("asyncssh-to-sshgate");
    let algs = Algorithms {
        kex: vec![MLKEM.to_string()],
        ..Algorithms::default()
    };
    let server = start_sshgate_server(&dir, &algs, false);
    let out = run_asyncssh_client(&dir, server.port, MLKEM);

    let mut problems = Vec::new();
    for w in [asyncssh_kex_ok(MLKEM), ASYNCSSH_SERVICE_OK.to_string()] {
        if !out.stdout.contains(w.as_str()) {
            problems.push(format!("asyncssh client did not report `{w}`"));
        }
    }
    // Exit 0 = kex completed and SERVICE_ACCEPT received (authentication failing is expected).
    if !out.success() {
        problems.push(format!(
            "asyncssh client exit status {} (want 0)",
            out.status_text()
        ));
    }
    assert!(
        problems.is_empty(),
        "asyncssh client -> sshgate-host serve ({MLKEM}):\n  - {}\n{}{}",
        problems.join("\n  - "),
        out.report(60),
        server.report(40)
    );
}
