//! The bridge's flow limits: back-pressure both ways (a side that stops reading stops the other
//! side after a bounded amount — kernel buffers and one chunk — instead of a queue growing in the
//! bridge), and the idle time-out.

mod bridge_support;
mod support;

use bridge_support::*;
use futures_util::{SinkExt, StreamExt};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// What may sit in loopback socket buffers on the way (several MB per socket with autotuning)
/// plus the bridge's one chunk; an unbounded queue would take all of [`OFFERED`].
const BOUND: u64 = 64 << 20;
const OFFERED: u64 = 512 << 20;

/// A target that, once a client spoke, writes until its writes stall for a second; returns the
/// bytes it got rid of.
fn flooding_target() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut hello = [0u8; 16];
        let _ = s.read(&mut hello);
        s.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while w.load(Ordering::SeqCst) < OFFERED {
            match s.write(&chunk) {
                Ok(n) => {
                    w.fetch_add(n as u64, Ordering::SeqCst);
                }
                Err(_) => break,
            }
        }
        // Keep the connection while the test looks.
        std::thread::sleep(Duration::from_secs(5));
    });
    (addr, written)
}

#[test]
fn a_client_that_does_not_read_stops_the_target() {
    let dir = TempDir::new("bridge-backpressure-down");
    let (addr, written) = flooding_target();
    let bridge = start_bridge(&dir, &["--target".into(), format!("flood={addr}")]);
    runtime().block_on(async {
        let mut ws = ws_connect(&bridge.url("/ssh/flood"), &WsOpts::default())
            .await
            .unwrap();
        ws.send(Message::Binary(b"SSH-2.0-slow\r\n".to_vec().into()))
            .await
            .unwrap();
        // Read nothing until the target has been stalled.
        let start = Instant::now();
        let mut last = (0, Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let w = written.load(Ordering::SeqCst);
            if w != last.0 {
                last = (w, Instant::now());
            } else if last.1.elapsed() > Duration::from_millis(1500) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "target never stalled: {w} bytes"
            );
        }
        let w = written.load(Ordering::SeqCst);
        eprintln!("the target stalled after {w} bytes");
        assert!(
            w > 0 && w < BOUND,
            "the target wrote {w} bytes into a client that reads nothing"
        );
        // And the data is all there once the client reads.
        let mut got = 0u64;
        while got < w {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => got += b.len() as u64,
                Ok(Some(Ok(_))) => {}
                other => panic!("after {got} of {w} bytes: {other:?}"),
            }
        }
    });
}

#[test]
fn a_target_that_does_not_read_stops_the_client() {
    let dir = TempDir::new("bridge-backpressure-up");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // Accepts and never reads.
    let holder = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        std::thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    let bridge = start_bridge(&dir, &["--target".into(), format!("deaf={addr}")]);
    let sent = runtime().block_on(async {
        let mut ws = ws_connect(&bridge.url("/ssh/deaf"), &WsOpts::default())
            .await
            .unwrap();
        let chunk = bytes::Bytes::from(vec![0u8; 64 * 1024]);
        let mut sent = 0u64;
        while sent < OFFERED {
            let send = ws.send(Message::Binary(chunk.clone()));
            match tokio::time::timeout(Duration::from_millis(1500), send).await {
                Ok(Ok(())) => sent += chunk.len() as u64,
                Ok(Err(e)) => panic!("send failed after {sent} bytes: {e}"),
                Err(_) => break,
            }
        }
        sent
    });
    eprintln!("the client stalled after {sent} bytes");
    assert!(
        sent < BOUND,
        "{sent} bytes accepted for a target that reads nothing"
    );
    drop(holder);
}

#[test]
fn idle_sessions_are_closed() {
    let dir = TempDir::new("bridge-idle");
    let sentinel = Sentinel::start();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        std::thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("quiet={addr}"),
            "--target".into(),
            format!("unused={}", sentinel.addr),
            "--idle-timeout".into(),
            "1".into(),
        ],
    );
    runtime().block_on(async {
        let mut ws = ws_connect(&bridge.url("/ssh/quiet"), &WsOpts::default())
            .await
            .unwrap();
        let start = Instant::now();
        ws.send(Message::Binary(b"SSH-2.0-idle\r\n".to_vec().into()))
            .await
            .unwrap();
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap();
        match next {
            Some(Ok(Message::Close(Some(f)))) => {
                assert_eq!(f.code, CloseCode::Normal);
                assert!(f.reason.contains("idle"), "{f:?}");
            }
            other => panic!("expected an idle close, got {other:?}"),
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}"
        );
    });
    let (_, page) = http_get(bridge.port, "/metrics", &[]);
    assert_eq!(
        metric(
            &page,
            "sshgate_bridge_sessions_ended_total{how=\"idle_timeout\"}"
        ),
        1
    );
}

/// Writes are not what this file is about, but a sanity check that the flooding helper floods:
/// straight into a socket nobody reads, it stalls too (so the bound above means something).
#[test]
fn flooding_target_stalls_on_a_plain_socket() {
    let (addr, written) = flooding_target();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"hello").unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let w = written.load(Ordering::SeqCst);
    eprintln!("a plain socket took {w} bytes");
    assert!(w > 0 && w < BOUND, "{w}");
}
