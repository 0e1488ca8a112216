//! Who can reach the WebSocket listeners at all.
//!
//! DNS rebinding: a page on `http://evil.test:PORT/` re-points `evil.test` at 127.0.0.1, so its
//! requests reach a loopback listener with `Host: evil.test:PORT` and
//! `Origin: http://evil.test:PORT` — a same-origin request as far as the Origin check can tell.
//! The bridge, serve's `[websocket]` listener and the demo must answer 421 to every such request
//! (the upgrade, `/targets`, `/metrics`, the page) before any connection to a target, while
//! `localhost` and `127.0.0.1` with their own Origin still work, and a name in `allow_hosts`
//! (`--allow-host`) is let in.
//!
//! Exposure: the bridge refuses to listen off loopback with no token and no client
//! certificates unless `--insecure-no-auth` is given, and then warns at every start.

mod bridge_support;
mod support;

use bridge_support::*;
use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message;

/// What a rebinding page sends: its own name as Host and as Origin.
fn rebound(port: u16) -> WsOpts {
    WsOpts {
        host: Some(format!("evil.test:{port}")),
        origin: Some(format!("http://evil.test:{port}")),
        ..WsOpts::default()
    }
}

/// The page the listener serves itself, reached by `name:port`.
fn own_page(name: &str, port: u16) -> WsOpts {
    WsOpts {
        host: Some(format!("{name}:{port}")),
        origin: Some(format!("http://{name}:{port}")),
        ..WsOpts::default()
    }
}

/// Upgrades `url` with `opts`: `Ok(())` when the WebSocket opened, else the HTTP status.
async fn upgrade(url: &str, opts: &WsOpts) -> Result<(), u16> {
    match ws_connect(url, opts).await {
        Ok(mut ws) => {
            let _ = futures_util::SinkExt::close(&mut ws).await;
            Ok(())
        }
        Err(e) => Err(refusal_status(Err(e))),
    }
}

#[test]
fn bridge_refuses_a_rebound_host_before_any_target_connection() {
    let dir = TempDir::new("bridge-rebinding");
    let probe = Sentinel::start();
    let bridge = start_bridge(&dir, &["--target".into(), format!("probe={}", probe.addr)]);
    let port = bridge.port;
    let url = bridge.url("/ssh/probe");
    runtime().block_on(async {
        assert_eq!(
            upgrade(&url, &rebound(port)).await,
            Err(421),
            "rebound upgrade\n{}",
            bridge.report()
        );
        // Not even with the Host alone (no Origin: not a browser, but the name is still wrong).
        let host_only = WsOpts {
            host: Some("evil.test".into()),
            ..WsOpts::default()
        };
        assert_eq!(upgrade(&url, &host_only).await, Err(421));
    });
    for path in ["/targets", "/metrics", "/", "/index.html"] {
        let (status, body) = http_get_as(port, &format!("evil.test:{port}"), path, &[]);
        assert_eq!(status, 421, "{path}: {body}");
    }
    assert_eq!(
        probe.connections(),
        0,
        "a refused request reached the target\n{}",
        bridge.report()
    );
    // The bridge's own page, by either loopback name, still connects.
    runtime().block_on(async {
        for name in ["localhost", "127.0.0.1"] {
            let mut ws = ws_connect(&url, &own_page(name, port))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}\n{}", bridge.report()));
            futures_util::SinkExt::send(
                &mut ws,
                Message::Binary(b"SSH-2.0-probe\r\n".to_vec().into()),
            )
            .await
            .unwrap();
        }
    });
    // Each dials the target on its first message; on a busy machine that may take a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while probe.connections() < 2 && std::time::Instant::now() < deadline {}
    assert_eq!(probe.connections(), 2, "{}", bridge.report());
    let (status, page) = http_get_as(port, &format!("localhost:{port}"), "/metrics", &[]);
    assert_eq!(status, 200, "{page}");
    let series = "sshgate_bridge_connections_refused_total{reason=\"host\"}";
    assert_eq!(metric(&page, series), 6, "{page}");
    assert!(
        bridge.log.all().contains("Host not allowed"),
        "{}",
        bridge.report()
    );

    // A name the bridge is told it is known by gets in (and still needs its own Origin).
    let named = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("probe={}", probe.addr),
            "--allow-host".into(),
            "evil.test".into(),
        ],
    );
    let url = named.url("/ssh/probe");
    runtime().block_on(async {
        assert_eq!(
            upgrade(&url, &rebound(named.port)).await,
            Ok(()),
            "{}",
            named.report()
        );
        let other = WsOpts {
            origin: Some("http://elsewhere.test".into()),
            ..rebound(named.port)
        };
        assert_eq!(upgrade(&url, &other).await, Err(403));
    });
    let (status, _) = http_get_as(named.port, "evil.test", "/targets", &[]);
    assert_eq!(status, 200);
}

#[test]
fn serve_websocket_refuses_a_rebound_host() {
    let dir = TempDir::new("serve-ws-rebinding");
    let device = start_bridged_device(&dir, Some(""));
    let port = device.ws_port.unwrap();
    let report = || format!("--- serve log ---\n{}", tail(&device.log.all(), 40));
    let url = format!("ws://127.0.0.1:{port}/ssh/router1");
    runtime().block_on(async {
        assert_eq!(
            upgrade(&url, &rebound(port)).await,
            Err(421),
            "{}",
            report()
        );
        for name in ["localhost", "127.0.0.1"] {
            assert_eq!(
                upgrade(&url, &own_page(name, port)).await,
                Ok(()),
                "{name}\n{}",
                report()
            );
        }
    });
    assert_eq!(http_get_as(port, "evil.test", "/", &[]).0, 421);
    assert!(
        device.log.all().contains("Host not allowed"),
        "{}",
        report()
    );

    let dir = TempDir::new("serve-ws-allow-hosts");
    let device = start_bridged_device(&dir, Some("allow_hosts = [\"evil.test\"]"));
    let port = device.ws_port.unwrap();
    let url = format!("ws://127.0.0.1:{port}/ssh/router1");
    runtime().block_on(async {
        assert_eq!(upgrade(&url, &rebound(port)).await, Ok(()));
    });
}

#[test]
fn demo_refuses_a_rebound_host() {
    let dir = TempDir::new("demo-rebinding");
    let data = dir.join("demo-data");
    let demo = start_demo(&dir, &data, 0, &[]).unwrap_or_else(|e| panic!("{e}"));
    let port = demo.port;
    let report = || format!("--- demo log ---\n{}", tail(&demo.stderr.all(), 40));
    let url = format!("ws://127.0.0.1:{port}/ssh/router1");
    runtime().block_on(async {
        assert_eq!(
            upgrade(&url, &rebound(port)).await,
            Err(421),
            "{}",
            report()
        );
        assert_eq!(
            upgrade(&url, &own_page("localhost", port)).await,
            Ok(()),
            "{}",
            report()
        );
    });
    for path in ["/targets", "/"] {
        assert_eq!(
            http_get_as(port, &format!("evil.test:{port}"), path, &[]).0,
            421,
            "{path}"
        );
    }
    assert_eq!(http_get(port, "/targets", &[]).0, 200);
}

/// `sshgate-host bridge ARGS` with its stderr in `log`: the process, started.
fn spawn_bridge(dir: &TempDir, log: &std::path::Path, args: &[String]) -> ProcessGuard {
    let mut cmd = Command::new(sshgate_bin());
    cmd.arg("bridge")
        .args(args)
        .env_remove("SSHGATE_BRIDGE_TOKEN")
        .env_remove("RUST_LOG")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(log).unwrap());
    ProcessGuard::spawn("sshgate-host bridge", &mut cmd)
}

#[test]
fn off_loopback_without_a_token_needs_insecure_no_auth() {
    let dir = TempDir::new("bridge-open");
    let target = Sentinel::start();
    // Refused at start: nothing is bound, so this wildcard address exposes nothing.
    let refused_log = dir.join("refused.log");
    let mut refused = spawn_bridge(
        &dir,
        &refused_log,
        &[
            "--listen".into(),
            format!("0.0.0.0:{}", free_port()),
            "--insecure-allow-plain".into(),
            "--target".into(),
            format!("t={}", target.addr),
        ],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = refused.exited() {
            break st;
        }
        assert!(std::time::Instant::now() < deadline, "the bridge started");
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(&refused_log).unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        err.contains("--insecure-no-auth") && err.contains("not a loopback address"),
        "{err}"
    );

    // With the flag it starts, says so, and works (talked to over loopback only).
    start_with_retries("sshgate-host bridge", 3, |attempt, port| {
        let log_path = dir.join(format!("open-{attempt}.log"));
        let mut proc = spawn_bridge(
            &dir,
            &log_path,
            &[
                "--listen".into(),
                format!("0.0.0.0:{port}"),
                "--insecure-allow-plain".into(),
                "--insecure-no-auth".into(),
                "--target".into(),
                format!("t={}", target.addr),
            ],
        );
        let log = LogFile::new(log_path);
        let addr = ([127, 0, 0, 1], port).into();
        proc.await_startup(
            Duration::from_millis(25),
            |p| p.exited().is_none() && port_open(addr),
            |st| format!("bridge exited ({st}):\n{}", log.all()),
            || format!("bridge did not listen:\n{}", log.all()),
        )?;
        // Logged just after the bind: the port may answer a moment before the line is written.
        let text = log.wait_since(0, LOG_SETTLE_TIMEOUT, |t| t.contains("INSECURE"));
        let warning = text
            .lines()
            .find(|l| l.contains("WARN") && l.contains("INSECURE"))
            .unwrap_or_else(|| panic!("no warning line:\n{text}"));
        assert!(
            warning.contains(&format!("0.0.0.0:{port}")) && warning.contains("every target"),
            "{warning}"
        );
        assert_eq!(http_get(port, "/targets", &[]).0, 200);
        Ok(proc)
    });
}
