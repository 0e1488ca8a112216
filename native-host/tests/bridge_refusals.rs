//! Every refusal of `sshgate-host bridge` happens before it connects to the target: the targets
//! here are listeners the test owns ([`Sentinel`]), and after each refusal they must have seen
//! no connection. Refused: an unknown name (404), a foreign Origin (403), a missing or wrong
//! token (401), an oversized first message (close 1009), a text message (close 1003), one
//! session over the per-source limit (429) and over the total limit (503). A last, valid
//! session does reach the sentinel: the proof that it would have seen the others.

mod bridge_support;
mod support;

use bridge_support::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const TOKEN: &str = "t0ken-for-the-test";

fn with_token() -> WsOpts {
    WsOpts {
        protocols: vec!["ssh".into(), format!("bearer.{TOKEN}")],
        ..WsOpts::default()
    }
}

/// The close code of the next message (a close is expected within a few seconds).
async fn close_code(ws: &mut Ws) -> Option<CloseCode> {
    let next = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    match next.expect("no close frame within 5 s") {
        Some(Ok(Message::Close(frame))) => frame.map(|f| f.code),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[test]
fn refusals_happen_before_any_target_connection() {
    let dir = TempDir::new("bridge-refusals");
    let probe = Sentinel::start();
    let held = Sentinel::start();
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("probe={}", probe.addr),
            "--target".into(),
            format!("held={}", held.addr),
            "--token".into(),
            TOKEN.into(),
            "--max-sessions-per-source".into(),
            "2".into(),
            "--max-message-bytes".into(),
            "4096".into(),
        ],
    );
    let rt = runtime();
    let probe_url = bridge.url("/ssh/probe");
    rt.block_on(async {
        // Unknown name, with everything else right.
        let r = ws_connect(&bridge.url("/ssh/nope"), &with_token()).await;
        assert_eq!(refusal_status(r), 404);
        // A page from another site.
        let foreign = WsOpts {
            origin: Some("https://evil.example".into()),
            ..with_token()
        };
        assert_eq!(refusal_status(ws_connect(&probe_url, &foreign).await), 403);
        // The bridge's own origin is fine (checked below by the valid session's twin).
        // No token, and a wrong one.
        assert_eq!(
            refusal_status(ws_connect(&probe_url, &WsOpts::default()).await),
            401
        );
        let wrong = WsOpts {
            protocols: vec!["ssh".into(), "bearer.guess".into()],
            ..WsOpts::default()
        };
        assert_eq!(refusal_status(ws_connect(&probe_url, &wrong).await), 401);

        // Upgraded, but the first message is over the limit.
        let mut ws = ws_connect(&probe_url, &with_token())
            .await
            .expect("upgrade");
        ws.send(Message::Binary(vec![b'x'; 8192].into()))
            .await
            .unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Size));
        // Text instead of SSH bytes.
        let mut ws = ws_connect(&probe_url, &with_token())
            .await
            .expect("upgrade");
        ws.send(Message::Text("SSH-2.0-x\r\n".into()))
            .await
            .unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Unsupported));

        // The refused sessions above end asynchronously in the bridge: wait until none is
        // counted, so the per-source limit below counts only the held ones.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let auth = format!("Authorization: Bearer {TOKEN}");
            let (_, page) = http_get(bridge.port, "/metrics", &[&auth]);
            if metric(&page, "sshgate_bridge_connections_active") == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "sessions never ended:\n{page}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // Two sessions held open (to the other sentinel): the third from this address is one
        // too many, whichever target it asks for.
        let mut a = ws_connect(&bridge.url("/ssh/held"), &with_token())
            .await
            .unwrap();
        let mut b = ws_connect(&bridge.url("/ssh/held"), &with_token())
            .await
            .unwrap();
        for ws in [&mut a, &mut b] {
            ws.send(Message::Binary(b"SSH-2.0-held\r\n".to_vec().into()))
                .await
                .unwrap();
        }
        assert_eq!(
            refusal_status(ws_connect(&probe_url, &with_token()).await),
            429
        );
        drop((a, b));
    });
    assert_eq!(
        probe.connections(),
        0,
        "a refused session reached the target\n{}",
        bridge.report()
    );
    assert_eq!(held.connections(), 2, "{}", bridge.report());

    let (status, page) = http_get(bridge.port, &format!("/metrics?token={TOKEN}"), &[]);
    assert_eq!(status, 200, "{page}");
    for (reason, n) in [
        ("unknown_target", 1),
        ("origin", 1),
        ("token", 2),
        ("message_too_big", 1),
        ("text_message", 1),
        ("source_limit", 1),
    ] {
        let series = format!("sshgate_bridge_connections_refused_total{{reason=\"{reason}\"}}");
        assert_eq!(metric(&page, &series), n, "{series}\n{page}");
    }
    assert_eq!(
        http_get(bridge.port, "/metrics", &[]).0,
        401,
        "metrics want the token"
    );
    assert_eq!(
        http_get(bridge.port, "/targets", &[]).0,
        401,
        "targets want the token"
    );
    let auth = format!("Authorization: Bearer {TOKEN}");
    assert_eq!(http_get(bridge.port, "/targets", &[&auth]).0, 200);

    // Control: a valid session from the bridge's own origin, token in the query, reaches the
    // probe as soon as it sends its first bytes.
    rt.block_on(async {
        let opts = WsOpts {
            origin: Some(format!("http://127.0.0.1:{}", bridge.port)),
            ..WsOpts::default()
        };
        let mut ws = ws_connect(&format!("{probe_url}?token={TOKEN}"), &opts)
            .await
            .expect("valid session");
        ws.send(Message::Binary(b"SSH-2.0-probe\r\n".to_vec().into()))
            .await
            .unwrap();
        // The sentinel drops the connection: closed (1000), or reset under our bytes (1011).
        let code = close_code(&mut ws).await;
        assert!(
            matches!(code, Some(CloseCode::Normal | CloseCode::Error)),
            "{code:?}"
        );
    });
    assert_eq!(probe.connections(), 1, "{}", bridge.report());
}

#[test]
fn total_limit_is_503() {
    let dir = TempDir::new("bridge-total");
    let probe = Sentinel::start();
    let held = Sentinel::start();
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("probe={}", probe.addr),
            "--target".into(),
            format!("held={}", held.addr),
            "--max-sessions".into(),
            "1".into(),
        ],
    );
    runtime().block_on(async {
        let mut a = ws_connect(&bridge.url("/ssh/held"), &WsOpts::default())
            .await
            .unwrap();
        a.send(Message::Binary(b"SSH-2.0-held\r\n".to_vec().into()))
            .await
            .unwrap();
        let r = ws_connect(&bridge.url("/ssh/probe"), &WsOpts::default()).await;
        assert_eq!(refusal_status(r), 503);
    });
    assert_eq!(probe.connections(), 0, "{}", bridge.report());
    let (_, page) = http_get(bridge.port, "/metrics", &[]);
    let series = "sshgate_bridge_connections_refused_total{reason=\"total_limit\"}";
    assert_eq!(metric(&page, series), 1, "{page}");
}

#[test]
fn unreachable_target_closes_with_1011() {
    let dir = TempDir::new("bridge-unreachable");
    // A port that was free a moment ago: nothing listens there.
    let bridge = start_bridge(
        &dir,
        &["--target".into(), format!("gone=127.0.0.1:{}", free_port())],
    );
    runtime().block_on(async {
        let mut ws = ws_connect(&bridge.url("/ssh/gone"), &WsOpts::default())
            .await
            .unwrap();
        ws.send(Message::Binary(b"SSH-2.0-x\r\n".to_vec().into()))
            .await
            .unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Error));
    });
    let (_, page) = http_get(bridge.port, "/metrics", &[]);
    let series = "sshgate_bridge_sessions_ended_total{how=\"connect_failed\"}";
    assert_eq!(metric(&page, series), 1, "{page}");
}
