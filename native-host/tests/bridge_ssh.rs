//! `sshgate-host bridge` carrying real SSH sessions: the OpenSSH client goes through a
//! WebSocket (the test's TCP-to-WebSocket shim, as the browser would) to `/ssh/NAME`, and the
//! bridge connects to `sshgate-host serve` or to OpenSSH `sshd`. Exec output is compared, and
//! `/metrics` and the bridge's log line must account for the session.

mod bridge_support;
mod support;

use bridge_support::*;
use std::time::Duration;
use support::*;

/// Waits until the bridge's log has a session line (sessions end a moment after ssh exits).
fn session_line(bridge: &BridgeProc) -> String {
    let text = bridge
        .log
        .wait_since(0, Duration::from_secs(10), |t| t.contains("bridge session"));
    text.lines()
        .find(|l| l.contains("bridge session"))
        .unwrap_or_else(|| panic!("no session log line\n{}", bridge.report()))
        .to_string()
}

#[test]
fn bridge_to_sshgate_serve_runs_show_ssh() {
    let dir = TempDir::new("bridge-serve");
    let device = start_bridged_device(&dir, None);
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("router1=127.0.0.1:{}", device.port),
        ],
    );
    let shim = Shim::start(&bridge.url("/ssh/router1"), WsOpts::default());
    let out = ssh_exec(
        &dir,
        shim.port,
        "lab",
        Login::Key(&client_key(&dir)),
        "show ssh",
    );
    assert!(
        out.success() && out.stdout.contains("Session started") && out.stdout.contains("lab"),
        "{}\n{}",
        out.report(30),
        bridge.report()
    );

    let line = session_line(&bridge);
    for field in [
        "target=router1",
        "source=127.0.0.1:",
        "ended=",
        "duration_ms=",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    let (status, page) = http_get(bridge.port, "/metrics", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        metric(&page, "sshgate_bridge_connections_total"),
        1,
        "{page}"
    );
    assert_eq!(
        metric(&page, "sshgate_bridge_connections_active"),
        0,
        "{page}"
    );
    assert_eq!(
        metric(&page, "sshgate_bridge_session_duration_seconds_count"),
        1
    );
    let up = metric(
        &page,
        "sshgate_bridge_bytes_total{direction=\"client_to_target\"}",
    );
    let down = metric(
        &page,
        "sshgate_bridge_bytes_total{direction=\"target_to_client\"}",
    );
    // At least the key exchange each way and the `show ssh` table down.
    assert!(up > 1000 && down > 1500, "up {up} down {down}\n{page}");
    assert!(
        line.contains(&format!("bytes_client_to_target={up}")),
        "{line}"
    );
    assert!(
        line.contains(&format!("bytes_target_to_client={down}")),
        "{line}"
    );
    let ended: u64 = ["client_closed", "target_closed"]
        .iter()
        .map(|h| {
            metric(
                &page,
                &format!("sshgate_bridge_sessions_ended_total{{how=\"{h}\"}}"),
            )
        })
        .sum();
    assert_eq!(ended, 1, "{page}");
}

#[test]
fn bridge_to_openssh_sshd_exec() {
    let dir = TempDir::new("bridge-sshd");
    let sshd = start_sshd(&dir);
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("lab-sshd=127.0.0.1:{}", sshd.port),
        ],
    );
    let shim = Shim::start(&bridge.url("/ssh/lab-sshd"), WsOpts::default());
    let out = ssh_exec(
        &dir,
        shim.port,
        &current_user(),
        Login::Key(&client_key(&dir)),
        "echo bridged-$((6*7)); echo to-stderr >&2; exit 3",
    );
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(3),
        "{}\n{}",
        out.report(30),
        bridge.report()
    );
    assert_eq!(out.stdout.trim(), "bridged-42", "{}", out.report(30));
    assert!(out.stderr.contains("to-stderr"), "{}", out.report(30));
    assert!(session_line(&bridge).contains("target=lab-sshd"));
}

#[test]
fn targets_lists_names_not_addresses() {
    let dir = TempDir::new("bridge-targets");
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            "router1=192.0.2.1:22".into(),
            "--target".into(),
            "core-sw.2=192.0.2.2:2222".into(),
        ],
    );
    let (status, body) = http_get(bridge.port, "/targets", &[]);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["core-sw.2", "router1"]);
    assert!(
        !body.contains("192.0.2"),
        "addresses must stay on the server: {body}"
    );
    // No --static: the placeholder page.
    let (status, page) = http_get(bridge.port, "/", &[]);
    assert_eq!(status, 200);
    assert!(page.contains("sshgate"), "{page}");
}
