//! `sshgate-host serve` with a `[websocket]` listener: the device itself takes SSH over a
//! WebSocket at `/ssh` and `/ssh/<hostname>` (no bridge), driven by the same server as TCP, and
//! serves static files at `/`. Another device name is 404, a foreign Origin 403, and a text
//! message ends the connection.

mod bridge_support;
mod support;

use bridge_support::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn ssh_over_the_devices_own_websocket() {
    let dir = TempDir::new("serve-websocket");
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<title>device page</title>").unwrap();
    let extra = format!("static_dir = {:?}", www.display().to_string());
    let device = start_bridged_device(&dir, Some(&extra));
    let ws_port = device.ws_port.unwrap();
    let report = || format!("--- serve log ---\n{}", tail(&device.log.all(), 40));

    for path in ["/ssh", "/ssh/router1"] {
        let shim = Shim::start(
            &format!("ws://127.0.0.1:{ws_port}{path}"),
            WsOpts::default(),
        );
        let out = ssh_exec(
            &dir,
            shim.port,
            "lab",
            Login::Key(&client_key(&dir)),
            "show ssh",
        );
        assert!(
            out.success() && out.stdout.contains("Session started") && out.stdout.contains("lab"),
            "{path}: {}\n{}",
            out.report(30),
            report()
        );
    }
    let (status, page) = http_get(ws_port, "/", &[]);
    assert_eq!((status, page.as_str()), (200, "<title>device page</title>"));

    runtime().block_on(async {
        let other = format!("ws://127.0.0.1:{ws_port}/ssh/router2");
        assert_eq!(
            refusal_status(ws_connect(&other, &WsOpts::default()).await),
            404
        );
        let foreign = WsOpts {
            origin: Some("https://evil.example".into()),
            ..WsOpts::default()
        };
        let url = format!("ws://127.0.0.1:{ws_port}/ssh");
        assert_eq!(refusal_status(ws_connect(&url, &foreign).await), 403);

        // The server speaks first (its identification line); a text message then is fatal.
        let mut ws = ws_connect(&url, &WsOpts::default()).await.unwrap();
        let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap();
        match first {
            Some(Ok(Message::Binary(b))) => assert!(b.starts_with(b"SSH-2.0-"), "{b:?}"),
            other => panic!("expected the server's version line, got {other:?}"),
        }
        ws.send(Message::Text("hello".into())).await.unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match ws.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "a text message did not end the connection");
    });
    let log = device.log.all();
    assert!(log.contains("WebSocket SSH connection"), "{}", report());
    assert!(
        log.contains("text message on an SSH WebSocket"),
        "{}",
        report()
    );
}
