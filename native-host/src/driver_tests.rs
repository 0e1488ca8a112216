//! The driver loop against a fake, line-based engine over an in-memory pipe.

use super::*;
use sshgate::{Duration, Fault};
use tokio::io::{AsyncBufReadExt, BufReader, DuplexStream};

/// [`drive_with_app`] with no application tasks.
async fn drive<S, E, H, F>(stream: S, engine: &mut E, handler: &mut H, shutdown: F) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Engine,
    H: Handler<E>,
    F: Future<Output = ()>,
{
    // Nobody holds the sender: the application side stays silent.
    let (_, mut app) = tokio::sync::mpsc::channel(1);
    drive_with_app(stream, engine, handler, &mut app, shutdown).await
}

/// Speaks lines: "ping" → "PONG" and an event; "ask" → an event the handler must answer;
/// "fail" → an engine error with "BYE" queued; "timer" → a deadline 20 ms away, then "TICK";
/// "flood" → 1 MiB of output; "deadline" → a deadline 50 ms away that closes the engine (as
/// the authentication time-out does).
#[derive(Default)]
struct Fake {
    line: Vec<u8>,
    out: Vec<u8>,
    events: std::collections::VecDeque<Event>,
    timer: Option<Instant>,
    close_at_timer: bool,
    closed: Option<Error>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            out: b"HELLO\n".to_vec(),
            ..Fake::default()
        }
    }
    fn answer(&mut self) {
        self.out.extend_from_slice(b"ANSWER\n");
    }
    fn close(&mut self, e: Error) -> Error {
        self.closed = Some(e.clone());
        self.events.push_back(Event::Closed(e.clone()));
        e
    }
}

impl Engine for Fake {
    fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Result<(), Error> {
        assert!(self.closed.is_none(), "input after close");
        for &b in bytes {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let line = String::from_utf8(std::mem::take(&mut self.line)).unwrap();
            match line.as_str() {
                "ping" => {
                    self.out.extend_from_slice(b"PONG\n");
                    self.events.push_back(Event::Pong(b"x".to_vec()));
                }
                "ask" => self.events.push_back(Event::Ignore(7)),
                "timer" => self.timer = Some(now + Duration::from_millis(20)),
                "flood" => self.out.extend_from_slice(&[b'x'; 1 << 20]),
                "deadline" => {
                    self.timer = Some(now + Duration::from_millis(50));
                    self.close_at_timer = true;
                }
                "fail" => {
                    self.out.extend_from_slice(b"BYE\n");
                    return Err(self.close(Error::protocol("bad line")));
                }
                other => self.events.push_back(Event::Debug {
                    always_display: false,
                    message: other.to_string(),
                }),
            }
        }
        Ok(())
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_some_and(|t| now >= t) {
            self.timer = None;
            if self.close_at_timer {
                self.out.extend_from_slice(b"TIMEOUT\n");
                self.close(Error::policy(2, "Timeout before authentication"));
                return;
            }
            self.out.extend_from_slice(b"TICK\n");
        }
    }
    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        if self.out.is_empty() {
            return false;
        }
        out.append(&mut self.out);
        true
    }
    fn pending_output(&self) -> usize {
        self.out.len()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }
    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
    fn disconnect(&mut self, description: &str) {
        if self.closed.is_none() {
            self.out
                .extend_from_slice(format!("DISCONNECT {description}\n").as_bytes());
            self.close(Error::local(11, description));
        }
    }
    fn is_closed(&self) -> bool {
        self.closed.is_some()
    }
    fn close_reason(&self) -> Option<Error> {
        self.closed.clone()
    }
}

/// Answers `Ignore` (the "ask" line), disconnects on a `Debug` saying "quit", records the rest.
#[derive(Default)]
struct Recorder {
    seen: Vec<String>,
}

impl Handler<Fake> for Recorder {
    fn on_event(&mut self, engine: &mut Fake, event: Event) -> Flow {
        let flow = match &event {
            Event::Ignore(_) => {
                engine.answer();
                Flow::Continue
            }
            Event::Debug { message, .. } if message == "quit" => Flow::Disconnect("bye now".into()),
            _ => Flow::Continue,
        };
        self.seen.push(format!("{event:?}"));
        flow
    }
}

struct Peer {
    rd: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    wr: tokio::io::WriteHalf<DuplexStream>,
}

impl Peer {
    async fn line(&mut self) -> String {
        let mut s = String::new();
        self.rd.read_line(&mut s).await.unwrap();
        s.trim_end().to_string()
    }
    async fn send(&mut self, s: &str) {
        self.wr.write_all(s.as_bytes()).await.unwrap();
    }
}

fn pipe() -> (DuplexStream, Peer) {
    pipe_of(4096)
}

fn pipe_of(capacity: usize) -> (DuplexStream, Peer) {
    let (a, b) = tokio::io::duplex(capacity);
    let (rd, wr) = tokio::io::split(b);
    (
        a,
        Peer {
            rd: BufReader::new(rd),
            wr,
        },
    )
}

#[tokio::test]
async fn greets_echoes_answers_and_ends_on_peer_close() {
    let (sock, mut peer) = pipe();
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let mut rec = Recorder::default();
        let end = drive(sock, &mut engine, &mut rec, std::future::pending()).await;
        (end, rec.seen)
    });
    assert_eq!(peer.line().await, "HELLO");
    peer.send("ping\n").await;
    assert_eq!(peer.line().await, "PONG");
    // The handler's answer is output produced while draining events: it must be sent too.
    peer.send("ask\n").await;
    assert_eq!(peer.line().await, "ANSWER");
    drop(peer);
    let (end, seen) = task.await.unwrap();
    assert!(matches!(end, Ending::PeerClosed), "{end:?}");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("Pong"));
}

#[tokio::test]
async fn engine_error_flushes_its_disconnect_and_tells_the_handler() {
    let (sock, mut peer) = pipe();
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let mut rec = Recorder::default();
        let end = drive(sock, &mut engine, &mut rec, std::future::pending()).await;
        (end, rec.seen)
    });
    assert_eq!(peer.line().await, "HELLO");
    peer.send("hello\nfail\n").await;
    assert_eq!(peer.line().await, "BYE");
    assert_eq!(
        peer.line().await,
        "",
        "our side closed after the last bytes"
    );
    drop(peer);
    let (end, seen) = task.await.unwrap();
    match end {
        Ending::Engine(e) => assert_eq!(e.fault, Fault::Peer),
        other => panic!("{other:?}"),
    }
    assert!(seen[0].contains("hello"), "{seen:?}");
    assert!(seen.last().unwrap().starts_with("Closed"), "{seen:?}");
}

#[tokio::test]
async fn timer_fires_handle_timeout() {
    let (sock, mut peer) = pipe();
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        drive(
            sock,
            &mut engine,
            &mut Recorder::default(),
            std::future::pending(),
        )
        .await
    });
    assert_eq!(peer.line().await, "HELLO");
    let start = std::time::Instant::now();
    peer.send("timer\n").await;
    assert_eq!(peer.line().await, "TICK");
    assert!(start.elapsed() >= std::time::Duration::from_millis(15));
    drop(peer);
    assert!(matches!(task.await.unwrap(), Ending::PeerClosed));
}

#[tokio::test]
async fn handler_disconnect_is_sent_and_ends_the_loop() {
    let (sock, mut peer) = pipe();
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        drive(
            sock,
            &mut engine,
            &mut Recorder::default(),
            std::future::pending(),
        )
        .await
    });
    assert_eq!(peer.line().await, "HELLO");
    peer.send("quit\n").await;
    assert_eq!(peer.line().await, "DISCONNECT bye now");
    drop(peer);
    match task.await.unwrap() {
        Ending::Engine(e) => {
            assert_eq!(e.fault, Fault::Local);
            assert_eq!(e.description, "bye now");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn shutdown_disconnects_politely() {
    let (sock, mut peer) = pipe();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let shutdown = async move {
            let _ = rx.await;
        };
        drive(sock, &mut engine, &mut Recorder::default(), shutdown).await
    });
    assert_eq!(peer.line().await, "HELLO");
    tx.send(()).unwrap();
    assert_eq!(peer.line().await, format!("DISCONNECT {SHUTDOWN_MESSAGE}"));
    // The peer keeps its side open: the driver gives up waiting after LINGER.
    let start = std::time::Instant::now();
    assert!(matches!(task.await.unwrap(), Ending::Shutdown));
    assert!(start.elapsed() >= LINGER - std::time::Duration::from_millis(100));
    drop(peer);
}

/// Writes `APP <n>` for every `Written { n }` the application sends.
struct AppEcho;

impl Handler<Fake> for AppEcho {
    fn on_event(&mut self, _engine: &mut Fake, _event: Event) -> Flow {
        Flow::Continue
    }
    fn on_app(&mut self, engine: &mut Fake, msg: AppMsg) -> Flow {
        if let AppMsg::Written { n, .. } = msg {
            engine
                .out
                .extend_from_slice(format!("APP {n}\n").as_bytes());
        }
        Flow::Continue
    }
}

#[tokio::test]
async fn queued_app_messages_are_all_handled_in_order() {
    let (sock, mut peer) = pipe();
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    // More than one batch is waiting before the driver starts.
    let count = APP_BATCH * 3 + 1;
    for n in 0..count {
        tx.send(AppMsg::Written {
            channel: sshgate::channel::ChannelId(0),
            n,
        })
        .await
        .unwrap();
    }
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let end = drive_with_app(
            sock,
            &mut engine,
            &mut AppEcho,
            &mut rx,
            std::future::pending(),
        )
        .await;
        drop(tx);
        end
    });
    assert_eq!(peer.line().await, "HELLO");
    for n in 0..count {
        assert_eq!(peer.line().await, format!("APP {n}"));
    }
    drop(peer);
    assert!(matches!(task.await.unwrap(), Ending::PeerClosed));
}

#[tokio::test]
async fn input_after_a_large_read_and_after_quiet_reads() {
    // Room for reads larger than QUIET_READ.
    let (sock, mut peer) = pipe_of(64 * 1024);
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let mut rec = Recorder::default();
        let end = drive(sock, &mut engine, &mut rec, std::future::pending()).await;
        (end, rec.seen)
    });
    assert_eq!(peer.line().await, "HELLO");
    // A read bigger than QUIET_READ keeps the buffer; the small ones after it release it and
    // wait for readiness: every line must still arrive.
    let long = "x".repeat(3 * QUIET_READ);
    peer.send(&format!("{long}\nping\n")).await;
    assert_eq!(peer.line().await, "PONG");
    for _ in 0..3 {
        peer.send("ping\n").await;
        assert_eq!(peer.line().await, "PONG");
    }
    drop(peer);
    let (end, seen) = task.await.unwrap();
    assert!(matches!(end, Ending::PeerClosed), "{end:?}");
    assert!(seen[0].contains(&long), "{}", &seen[0][..40]);
    assert_eq!(seen.len(), 5, "{seen:?}");
}

#[test]
fn clock_is_monotonic_and_seeds_differ() {
    let a = now();
    let b = now();
    assert!(b >= a);
    assert_ne!(os_seed().unwrap(), os_seed().unwrap());
}

/// Drives a [`Fake`] with `limits`, the peer at the other end of a small pipe.
fn spawn_limited(limits: Limits) -> (Peer, tokio::task::JoinHandle<Ending>) {
    let (sock, peer) = pipe_of(4096);
    let task = tokio::spawn(async move {
        let mut engine = Fake::new();
        let (_, mut app) = tokio::sync::mpsc::channel(1);
        drive_with_limits(
            sock,
            &mut engine,
            &mut Recorder::default(),
            &mut app,
            std::future::pending(),
            limits,
        )
        .await
    });
    (peer, task)
}

/// The driver's ending, or a failure if it is still running after `within`.
async fn ends_within(task: tokio::task::JoinHandle<Ending>, within: std::time::Duration) -> Ending {
    match tokio::time::timeout(within, task).await {
        Ok(end) => end.unwrap(),
        Err(_) => panic!("the connection is still open after {within:?}"),
    }
}

#[tokio::test]
async fn a_peer_that_never_reads_is_dropped_after_the_write_timeout() {
    let (mut peer, task) = spawn_limited(Limits {
        write_timeout: std::time::Duration::from_millis(300),
    });
    assert_eq!(peer.line().await, "HELLO");
    // A megabyte of output through a 4 KiB pipe nobody reads: the write stops making progress.
    peer.send("flood\n").await;
    let start = std::time::Instant::now();
    match ends_within(task, std::time::Duration::from_secs(20)).await {
        Ending::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() >= std::time::Duration::from_millis(250));
    drop(peer);
}

#[tokio::test]
async fn the_engine_deadline_fires_while_a_write_waits() {
    // The write time-out is far; the engine's own deadline (50 ms) must still end it.
    let (mut peer, task) = spawn_limited(Limits {
        write_timeout: std::time::Duration::from_secs(2),
    });
    assert_eq!(peer.line().await, "HELLO");
    peer.send("deadline\nflood\n").await;
    match ends_within(task, std::time::Duration::from_secs(20)).await {
        Ending::Engine(e) => assert_eq!(e.description, "Timeout before authentication"),
        other => panic!("the engine's deadline did not fire: {other:?}"),
    }
    drop(peer);
}

#[tokio::test]
async fn a_slow_reader_gets_everything() {
    // Progress resets the write time-out: a peer that reads slowly is not dropped.
    let (mut peer, task) = spawn_limited(Limits {
        write_timeout: std::time::Duration::from_millis(500),
    });
    assert_eq!(peer.line().await, "HELLO");
    peer.send("flood\n").await;
    let mut got = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    while got < 1 << 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let n = peer.rd.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        got += n;
    }
    peer.send("ping\n").await;
    assert_eq!(peer.line().await, "PONG");
    drop(peer);
    assert!(matches!(
        ends_within(task, std::time::Duration::from_secs(20)).await,
        Ending::PeerClosed
    ));
}
