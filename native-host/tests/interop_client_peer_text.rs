//! `sshgate-host ssh` shows what a server says — SSH_MSG_DEBUG (displayed, and with `-v` the
//! quiet ones), the banner, the DISCONNECT reason — with control characters escaped, as
//! OpenSSH's `stravis`: a hostile server cannot retitle the window or clear the screen. The
//! servers are real: `tests/interop/asyncssh_peer.py --hostile` (DEBUG, banner, DISCONNECT) and
//! `sshgate-host serve` with such a `banner`.

mod support;

use support::*;

/// What the servers send: set the window title (OSC 0 ... BEL), clear the screen (CSI 2J).
const ESCAPED: &str = "\\033]0;pwned\\007\\033[2J";

fn no_raw_escape(out: &RunOutput) {
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "a raw control byte reached the client's {what}:\n{:?}",
            text
        );
    }
}

#[test]
fn debug_banner_and_disconnect_from_a_hostile_server_are_escaped() {
    require_asyncssh();
    let dir = TempDir::new("client-peer-text");
    let kex = "curve25519-sha256";
    let server = start_asyncssh_server_with(&dir, kex, &["--hostile"]);
    let opts = vec!["-o".to_string(), format!("KexAlgorithms={kex}")];
    let out = run_sshgate_client(&dir, server.port, &opts, "sshgate-ssh-hostile");
    let report = || format!("{}\n{}", out.report(40), server.report(20));
    assert!(
        server.stdout.all().contains("HOSTILE SENT"),
        "the server never reached authentication\n{}",
        report()
    );
    assert!(!out.success(), "{}", report());
    for want in [
        format!("\ndebug-shown {ESCAPED}\n"),
        format!("debug1: Remote: debug-quiet {ESCAPED}\n"),
        format!("banner {ESCAPED}\n"),
        format!(": bye {ESCAPED}\nDisconnected from"),
    ] {
        assert!(
            out.stderr.contains(&want),
            "no {want:?} in the client's output\n{}",
            report()
        );
    }
    no_raw_escape(&out);
}

#[test]
fn serve_banner_is_escaped() {
    let device = start_device(
        "client-banner",
        "banner = \"Authorized only\\n\\u001b]0;pwned\\u0007\\u001b[2J\\n\"",
        &[DeviceUser {
            name: "lab",
            privilege: 15,
            password: Some("lab-password"),
            key: false,
            key_options: None,
            command: None,
            run_as: None,
            extra: None,
        }],
    );
    let mut cmd = sshgate_client_command(&device.dir);
    cmd.args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            device.dir.join("known_hosts").display()
        ))
        .args(["-p", &device.port.to_string(), "lab@127.0.0.1", "show ssh"])
        .env("SSHPASS", "lab-password");
    let out = run_with_timeout(&mut cmd, &device.dir, "sshgate-ssh-banner", RUN_TIMEOUT);
    assert!(
        out.success() && out.stdout.contains("lab"),
        "{}\n{}",
        out.report(30),
        device.report()
    );
    assert!(
        out.stderr
            .contains(&format!("Authorized only\n{ESCAPED}\n")),
        "{}",
        out.report(30)
    );
    no_raw_escape(&out);
}
