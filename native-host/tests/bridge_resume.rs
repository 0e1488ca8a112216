//! The resume protocol (`sshgate.resume.v1`, docs/resume-protocol.md) through a real
//! `sshgate-host bridge`, with a WebSocket client written here from the document (its own frame
//! codec, so the test checks the wire format too) and a target the test owns that sends 3 MiB
//! and checks the 1.5 MiB it receives:
//!
//! - the WebSocket is killed mid-transfer (its TCP dropped, no close frame), and later replaced
//!   by a second socket while still open (the old one gets 4002); each time the client resumes
//!   with its id and offsets, replays what the bridge had not received, and both directions
//!   arrive byte-exact;
//! - an unknown id and an id whose grace time has passed are refused with 4404, and the
//!   target's connection of the expired session was closed;
//! - a client that does not offer the subprotocol gets plain bytes, as before.

mod bridge_support;
mod support;

use bridge_support::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const PROTO: &str = "sshgate.resume.v1";
const DOWN: usize = 3 << 20;
const UP: usize = 3 << 19;

/// Deterministic bytes that differ at every offset modulo a large prime (a shifted replay shows).
fn pattern(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i % 65_521) as u8) ^ ((i / 65_521) as u8) ^ salt)
        .collect()
}

#[derive(Debug, PartialEq)]
enum F {
    Data(u64, Vec<u8>),
    Ack(u64),
    Session([u8; 16]),
    Resumed(u64),
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

fn parse(b: &[u8]) -> F {
    match b[0] {
        0 => F::Data(u64_at(b, 1), b[9..].to_vec()),
        1 if b.len() == 9 => F::Ack(u64_at(b, 1)),
        2 if b.len() == 17 => F::Session(b[1..17].try_into().unwrap()),
        4 if b.len() == 9 => F::Resumed(u64_at(b, 1)),
        _ => panic!("bad frame from the bridge: {:?}", &b[..b.len().min(20)]),
    }
}

fn data(ack: u64, payload: &[u8]) -> Message {
    let mut m = vec![0u8];
    m.extend_from_slice(&ack.to_be_bytes());
    m.extend_from_slice(payload);
    Message::Binary(m.into())
}

fn ack(ack: u64) -> Message {
    let mut m = vec![1u8];
    m.extend_from_slice(&ack.to_be_bytes());
    Message::Binary(m.into())
}

fn resume(sid: &[u8; 16], ack: u64, pos: u64) -> Message {
    let mut m = vec![3u8];
    m.extend_from_slice(sid);
    m.extend_from_slice(&ack.to_be_bytes());
    m.extend_from_slice(&pos.to_be_bytes());
    Message::Binary(m.into())
}

type Plain = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A client socket whose sends never wait: a writer task drains a queue, so the test reads
/// while the bridge writes (as a browser does), whatever the kernel buffers hold.
struct Conn {
    tx: tokio::sync::mpsc::UnboundedSender<Message>,
    rx: futures_util::stream::SplitStream<Plain>,
    writer: tokio::task::JoinHandle<()>,
}

impl Conn {
    fn new(ws: Plain) -> Conn {
        let (mut sink, rx) = ws.split();
        let (tx, mut q) = tokio::sync::mpsc::unbounded_channel::<Message>();
        let writer = tokio::spawn(async move {
            while let Some(m) = q.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        Conn { tx, rx, writer }
    }

    fn send(&self, m: Message) {
        let _ = self.tx.send(m);
    }

    /// The TCP connection goes at once: no close frame.
    fn kill(self) {
        self.writer.abort();
    }
}

/// Opens a WebSocket offering `protocols`; returns it with the protocol the server chose.
async fn open(url: &str, protocols: &str) -> (Conn, Option<String>) {
    let mut req = url.into_client_request().unwrap();
    if !protocols.is_empty() {
        req.headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
    }
    let port = req.uri().port_u16().unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (ws, resp) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let chosen = resp
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_string());
    (Conn::new(ws), chosen)
}

/// The next frame (or the close code as `Err`), within 10 s.
async fn next(ws: &mut Conn) -> Result<F, Option<CloseCode>> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.rx.next())
            .await
            .expect("nothing from the bridge within 10 s");
        match m {
            Some(Ok(Message::Binary(b))) => return Ok(parse(&b)),
            Some(Ok(Message::Close(c))) => return Err(c.map(|c| c.code)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A target that accepts one connection, sends `DOWN` pattern bytes while reading `UP`, then
/// closes; its join handle yields what it read.
fn target(rt: &tokio::runtime::Runtime) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = l.local_addr().unwrap().port();
    let h = rt.spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let (mut rd, mut wr) = tcp.into_split();
        let w = tokio::spawn(async move {
            wr.write_all(&pattern(DOWN, 0x5a)).await.unwrap();
            wr
        });
        let mut got = vec![0u8; UP];
        rd.read_exact(&mut got).await.unwrap();
        let mut wr = w.await.unwrap();
        wr.shutdown().await.unwrap();
        got
    });
    (port, h)
}

/// The client's side of one stream: everything sent (kept whole: a test may), what arrived.
struct Client {
    sid: [u8; 16],
    sent: Vec<u8>,
    recv: Vec<u8>,
}

impl Client {
    /// Sends the next up to 16 KiB of the up stream, if any is left.
    fn send_more(&mut self, ws: &Conn, up: &[u8]) {
        let at = self.sent.len();
        if at < up.len() {
            let chunk = &up[at..(at + 16 * 1024).min(up.len())];
            ws.send(data(self.recv.len() as u64, chunk));
            self.sent.extend_from_slice(chunk);
        }
    }

    /// Reads frames (sending more up data, or an ack, after each) until `until` bytes
    /// arrived, or the bridge closes: then its close code.
    async fn pump(
        &mut self,
        ws: &mut Conn,
        up: &[u8],
        until: usize,
    ) -> Result<(), Option<CloseCode>> {
        while self.recv.len() < until {
            match next(ws).await? {
                F::Data(_, p) => self.recv.extend_from_slice(&p),
                F::Ack(_) => continue,
                f => panic!("unexpected {f:?} mid-stream"),
            }
            if self.sent.len() < up.len() {
                self.send_more(ws, up);
            } else {
                ws.send(ack(self.recv.len() as u64));
            }
        }
        Ok(())
    }

    /// Resumes on `ws`: RESUME, RESUMED, then the replay of what the bridge did not receive.
    async fn resume(&mut self, ws: &mut Conn) {
        let (sid, acked, pos) = (self.sid, self.recv.len() as u64, self.sent.len() as u64);
        ws.send(resume(&sid, acked, pos));
        let F::Resumed(their) = next(ws).await.expect("RESUMED") else {
            panic!("expected RESUMED first");
        };
        assert!(their <= pos, "the bridge cannot have more than was sent");
        for chunk in self.sent[their as usize..].chunks(16 * 1024) {
            ws.send(data(acked, chunk));
        }
    }
}

#[test]
fn dropped_and_replaced_websockets_resume_byte_exact() {
    let dir = TempDir::new("bridge-resume");
    let rt = runtime();
    let (port, got) = target(&rt);
    let bridge = start_bridge(&dir, &["--target".into(), format!("t=127.0.0.1:{port}")]);
    let url = bridge.url("/ssh/t");
    let up = pattern(UP, 0xa5);
    let client = rt.block_on(async {
        let (mut ws, chosen) = open(&url, &format!("ssh, {PROTO}")).await;
        assert_eq!(
            chosen.as_deref(),
            Some(PROTO),
            "resume offered and accepted"
        );
        // The client speaks first (as SSH does); the session id comes before any data.
        ws.send(data(0, &up[..1000]));
        let F::Session(sid) = next(&mut ws).await.unwrap() else {
            panic!("SESSION first");
        };
        let mut c = Client {
            sid,
            sent: up[..1000].to_vec(),
            recv: Vec::new(),
        };
        c.pump(&mut ws, &up, 1 << 20).await.unwrap();
        // Killed: the TCP connection goes, no close frame.
        ws.kill();
        let sent_before = c.sent.len();
        let (mut ws, chosen) = open(&url, PROTO).await;
        assert_eq!(chosen.as_deref(), Some(PROTO));
        c.resume(&mut ws).await;
        c.pump(&mut ws, &up, 2 << 20).await.unwrap();
        assert!(
            c.sent.len() > sent_before,
            "the up stream went on after the resume"
        );
        // Replaced while still open (a half-open socket the bridge has not noticed).
        let (mut ws2, _) = open(&url, PROTO).await;
        c.resume(&mut ws2).await;
        // Frames already on their way to the old socket come first, then its close.
        let closed = loop {
            match next(&mut ws).await {
                Ok(F::Data(..) | F::Ack(_)) => {}
                other => break other,
            }
        };
        assert_eq!(
            closed,
            Err(Some(CloseCode::Library(4002))),
            "the old socket is told it was replaced"
        );
        // The rest of the up stream at once (the target closes once it has it all).
        while c.sent.len() < up.len() {
            c.send_more(&ws2, &up);
        }
        let end = c.pump(&mut ws2, &up, DOWN + 1).await;
        assert_eq!(end, Err(Some(CloseCode::Normal)), "target closed: 1000");
        c
    });
    assert_eq!(client.recv.len(), DOWN, "{}", bridge.report());
    assert!(client.recv == pattern(DOWN, 0x5a), "down stream byte-exact");
    let got = rt.block_on(got).unwrap();
    assert!(got == up, "up stream byte-exact");
    let log = bridge.log.all();
    assert!(log.contains("resumes=2"), "{}", bridge.report());
}

#[test]
fn unknown_and_expired_sessions_are_refused_and_plain_clients_untouched() {
    let dir = TempDir::new("bridge-resume-expired");
    let rt = runtime();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = l.local_addr().unwrap().port();
    // An echo target that reports when each connection ends.
    let (ended_tx, mut ended) = tokio::sync::mpsc::unbounded_channel();
    rt.spawn(async move {
        while let Ok((mut tcp, _)) = l.accept().await {
            let tx = ended_tx.clone();
            tokio::spawn(async move {
                let mut b = [0u8; 4096];
                while let Ok(n) = tcp.read(&mut b).await {
                    if n == 0 || tcp.write_all(&b[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = tx.send(());
            });
        }
    });
    let bridge = start_bridge(
        &dir,
        &[
            "--target".into(),
            format!("echo=127.0.0.1:{port}"),
            "--resume-grace".into(),
            "1".into(),
        ],
    );
    let url = bridge.url("/ssh/echo");
    rt.block_on(async {
        // Plain: no subprotocol offered, raw bytes both ways.
        let (mut ws, chosen) = open(&url, "").await;
        assert_eq!(chosen, None);
        ws.send(Message::Binary(b"hello".to_vec().into()));
        match ws.rx.next().await {
            Some(Ok(Message::Binary(b))) => assert_eq!(&b[..], b"hello"),
            other => panic!("plain echo: {other:?}"),
        }
        ws.kill();
        tokio::time::timeout(Duration::from_secs(10), ended.recv())
            .await
            .expect("a plain drop ends the target connection at once");

        // An id nobody was given.
        let (mut ws, _) = open(&url, PROTO).await;
        ws.send(resume(&[7; 16], 0, 0));
        assert_eq!(next(&mut ws).await, Err(Some(CloseCode::Library(4404))));

        // A session dropped and not resumed within the grace (1 s).
        let (mut ws, _) = open(&url, PROTO).await;
        ws.send(data(0, b"ping"));
        let F::Session(sid) = next(&mut ws).await.unwrap() else {
            panic!("SESSION first");
        };
        assert_eq!(next(&mut ws).await, Ok(F::Data(4, b"ping".to_vec())));
        ws.kill();
        tokio::time::timeout(Duration::from_secs(10), ended.recv())
            .await
            .expect("the target connection ends when the grace is over");
        let (mut ws, _) = open(&url, PROTO).await;
        ws.send(resume(&sid, 4, 4));
        assert_eq!(next(&mut ws).await, Err(Some(CloseCode::Library(4404))));
    });
    let log = bridge.log.all();
    assert!(
        log.contains("ended=\"resume_expired\""),
        "{}",
        bridge.report()
    );
}
