//! One bridged session: WebSocket binary messages to a TCP connection and back.
//!
//! - The target is dialled when the client's first binary message arrives (an SSH client sends
//!   its identification line at once, RFC 4253 §4.2), or after [`FIRST_MESSAGE_WAIT`] for a
//!   client that waits for the server to speak. So a first message over the size limit, a text
//!   message or a client that leaves at once cost the target nothing.
//! - Back-pressure both ways, with no queue: a TCP read happens only after the previous chunk
//!   was written into the WebSocket (`send` flushes), and the next WebSocket message is read
//!   only after the previous one was written to TCP. A slow side stops the other through the
//!   kernel's windows, and a session holds at most one chunk per direction. The TCP read buffer
//!   is taken only once the socket is readable, so idle sessions hold none.
//! - Ends on either side's close or error, the idle time-out, or shutdown; the WebSocket gets a
//!   close code that says which ([`Ending::close_code`]).

use super::metrics::Metrics;
use crate::shutdown::Shutdown;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// How long to wait for the client's first message before dialling anyway.
pub const FIRST_MESSAGE_WAIT: Duration = Duration::from_secs(2);
/// Largest TCP read forwarded as one message (larger reads measured no faster on loopback).
pub const CHUNK: usize = 64 * 1024;
/// Time allowed for our close frame to go out.
const CLOSE_TIME: Duration = Duration::from_secs(1);

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client closed the WebSocket (or its TCP connection).
    ClientClosed,
    /// The target closed its connection.
    TargetClosed,
    /// No data either way for the idle time-out.
    IdleTimeout,
    /// A message over the size limit (close 1009).
    MessageTooBig,
    /// A text message (close 1003: SSH bytes go in binary messages).
    TextMessage,
    /// The target could not be reached (close 1011).
    ConnectFailed,
    /// Reading or writing the WebSocket failed.
    ClientError,
    /// Reading or writing the target failed.
    TargetError,
    /// The bridge is shutting down (close 1001).
    Shutdown,
    /// The client left before sending anything; the target was never dialled.
    ClientLeftEarly,
    /// Resumable: the WebSocket dropped and the client did not come back within the grace.
    ResumeExpired,
    /// Resumable: a resume asked for bytes no longer held (close 4416).
    ResumeRefused,
}

impl Ending {
    /// The label in logs and metrics.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Ending::ClientClosed => "client_closed",
            Ending::TargetClosed => "target_closed",
            Ending::IdleTimeout => "idle_timeout",
            Ending::MessageTooBig => "message_too_big",
            Ending::TextMessage => "text_message",
            Ending::ConnectFailed => "connect_failed",
            Ending::ClientError => "client_error",
            Ending::TargetError => "target_error",
            Ending::Shutdown => "shutdown",
            Ending::ClientLeftEarly => "client_left_early",
            Ending::ResumeExpired => "resume_expired",
            Ending::ResumeRefused => "resume_refused",
        }
    }

    /// The close frame we send, if the client is still there to get one.
    #[must_use]
    pub fn close_code(self) -> Option<(u16, &'static str)> {
        match self {
            Ending::ClientClosed
            | Ending::ClientError
            | Ending::ClientLeftEarly
            | Ending::ResumeExpired
            | Ending::ResumeRefused => None,
            Ending::TargetClosed => Some((1000, "target closed the connection")),
            Ending::IdleTimeout => Some((1000, "idle time-out")),
            Ending::MessageTooBig => Some((1009, "message too big")),
            Ending::TextMessage => Some((1003, "binary messages only")),
            Ending::ConnectFailed => Some((1011, "target unreachable")),
            Ending::TargetError => Some((1011, "target connection failed")),
            Ending::Shutdown => Some((1001, "bridge shutting down")),
        }
    }
}

/// What a session needs besides its socket.
pub struct SessionCtx {
    /// The client.
    pub peer: SocketAddr,
    /// The target's name and `host:port`.
    pub target: super::config::Target,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Process shutdown.
    pub shutdown: Shutdown,
    /// Close after this long without data (none: never).
    pub idle_timeout: Option<Duration>,
    /// Dial time-out.
    pub connect_timeout: Duration,
    /// WebSocket ping interval (pings keep proxies and NATs from dropping a quiet terminal;
    /// they are not activity).
    pub ping: Duration,
    /// The session's place under the limits, freed when the session ends.
    pub slot: crate::web::limits::SessionSlot,
}

/// Bytes each way and the last time any moved (ms since the start).
struct Counters {
    start: Instant,
    up: AtomicU64,
    down: AtomicU64,
    last_ms: AtomicU64,
    /// Whether a TCP connection to the target was made.
    dialled: std::sync::atomic::AtomicBool,
}

impl Counters {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }
}

/// Runs the session and writes its log line.
pub async fn run(ws: WebSocket, s: SessionCtx) {
    s.metrics.session_started();
    let c = Counters {
        start: Instant::now(),
        up: AtomicU64::new(0),
        down: AtomicU64::new(0),
        last_ms: AtomicU64::new(0),
        dialled: std::sync::atomic::AtomicBool::new(false),
    };
    let how = session(ws, &s, &c).await;
    let duration = c.start.elapsed();
    tracing::info!(
        source = %s.peer,
        target = %s.target.name,
        address = %s.target.address,
        bytes_client_to_target = c.up.load(Ordering::Relaxed),
        bytes_target_to_client = c.down.load(Ordering::Relaxed),
        duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        ended = how.label(),
        "bridge session"
    );
    // The session's limit slot goes before the gauge drops, so whoever sees it at zero may
    // open a new session at once.
    let SessionCtx { slot, metrics, .. } = s;
    drop(slot);
    metrics.session_ended(how.label(), duration);
    if matches!(how, Ending::MessageTooBig | Ending::TextMessage)
        && !c.dialled.load(Ordering::Relaxed)
    {
        // Refused before the target was dialled: counted with the other refusals too.
        metrics.refused(how.label());
    }
}

async fn session(ws: WebSocket, s: &SessionCtx, c: &Counters) -> Ending {
    let (mut sink, mut stream) = ws.split();
    let first = tokio::select! {
        r = next_binary(&mut stream) => match r {
            Ok(Some(b)) => Some(b),
            Ok(None) => return Ending::ClientLeftEarly,
            Err(how) => return close(&mut sink, how).await,
        },
        () = tokio::time::sleep(FIRST_MESSAGE_WAIT) => None,
        () = s.shutdown.wait() => return close(&mut sink, Ending::Shutdown).await,
    };
    let Some(tcp) = dial(s).await else {
        return close(&mut sink, Ending::ConnectFailed).await;
    };
    c.dialled.store(true, Ordering::Relaxed);
    let (mut rd, mut wr) = tcp.into_split();
    if let Some(b) = first {
        if wr.write_all(&b).await.is_err() {
            return close(&mut sink, Ending::TargetError).await;
        }
        count(&c.up, &s.metrics, b.len(), true);
        c.touch();
    }
    let how = tokio::select! {
        how = up(&mut stream, &mut wr, s, c) => how,
        how = down(&mut rd, &mut sink, s, c) => how,
        how = idle(c, s.idle_timeout) => how,
        () = s.shutdown.wait() => Ending::Shutdown,
    };
    let _ = wr.shutdown().await;
    close(&mut sink, how).await
}

/// Connects to the session's target (logged when it fails).
pub async fn dial(s: &SessionCtx) -> Option<TcpStream> {
    match tokio::time::timeout(s.connect_timeout, TcpStream::connect(&s.target.address)).await {
        Ok(Ok(tcp)) => {
            let _ = tcp.set_nodelay(true);
            Some(tcp)
        }
        Ok(Err(e)) => {
            tracing::info!(source = %s.peer, target = %s.target.name, error = %e, "target unreachable");
            None
        }
        Err(_) => {
            tracing::info!(source = %s.peer, target = %s.target.name, "target connect timed out");
            None
        }
    }
}

/// The next binary message; `Ok(None)` when the client closed; pings and pongs skipped.
async fn next_binary(stream: &mut SplitStream<WebSocket>) -> Result<Option<Bytes>, Ending> {
    loop {
        match stream.next().await {
            None | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Ok(Message::Binary(b))) => return Ok(Some(b)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Text(_))) => return Err(Ending::TextMessage),
            Some(Err(e)) => return Err(classify(e)),
        }
    }
}

/// A read error: over the size limit, or anything else.
fn classify(e: axum::Error) -> Ending {
    match e.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => Ending::MessageTooBig,
        _ => Ending::ClientError,
    }
}

pub(super) fn count(counter: &AtomicU64, metrics: &Metrics, n: usize, up: bool) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
    if up {
        metrics.add_up(n);
    } else {
        metrics.add_down(n);
    }
}

/// Client to target.
async fn up(
    stream: &mut SplitStream<WebSocket>,
    wr: &mut OwnedWriteHalf,
    s: &SessionCtx,
    c: &Counters,
) -> Ending {
    loop {
        let b = match next_binary(stream).await {
            Ok(Some(b)) => b,
            Ok(None) => return Ending::ClientClosed,
            Err(how) => return how,
        };
        if wr.write_all(&b).await.is_err() {
            return Ending::TargetError;
        }
        count(&c.up, &s.metrics, b.len(), true);
        c.touch();
    }
}

/// Target to client, with keep-alive pings.
async fn down(
    rd: &mut OwnedReadHalf,
    sink: &mut SplitSink<WebSocket, Message>,
    s: &SessionCtx,
    c: &Counters,
) -> Ending {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + s.ping, s.ping);
    loop {
        tokio::select! {
            r = rd.readable() => {
                if r.is_err() {
                    return Ending::TargetError;
                }
                let mut buf = BytesMut::with_capacity(CHUNK);
                match rd.try_read_buf(&mut buf) {
                    Ok(0) => return Ending::TargetClosed,
                    Ok(n) => {
                        count(&c.down, &s.metrics, n, false);
                        c.touch();
                        if sink.send(Message::Binary(buf.freeze())).await.is_err() {
                            return Ending::ClientError;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => return Ending::TargetError,
                }
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                    return Ending::ClientError;
                }
            }
        }
    }
}

/// Resolves when no data moved for `timeout`.
async fn idle(c: &Counters, timeout: Option<Duration>) -> Ending {
    let Some(timeout) = timeout else {
        return std::future::pending().await;
    };
    loop {
        let last = c.start + Duration::from_millis(c.last_ms.load(Ordering::Relaxed));
        let due = last + timeout;
        if Instant::now() >= due {
            return Ending::IdleTimeout;
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
    }
}

/// Sends our close frame (if the client is still there) and finishes the closing handshake,
/// briefly; returns `how`.
async fn close(sink: &mut SplitSink<WebSocket, Message>, how: Ending) -> Ending {
    let _ = tokio::time::timeout(CLOSE_TIME, async {
        if let Some((code, reason)) = how.close_code() {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        // After the client's close this flushes tungstenite's reply.
        let _ = sink.close().await;
    })
    .await;
    how
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_metrics_labels() {
        for how in [
            Ending::ClientClosed,
            Ending::TargetClosed,
            Ending::IdleTimeout,
            Ending::MessageTooBig,
            Ending::TextMessage,
            Ending::ConnectFailed,
            Ending::ClientError,
            Ending::TargetError,
            Ending::Shutdown,
            Ending::ClientLeftEarly,
            Ending::ResumeExpired,
            Ending::ResumeRefused,
        ] {
            assert!(super::super::metrics::ENDINGS.contains(&how.label()));
        }
        assert_eq!(Ending::MessageTooBig.close_code().unwrap().0, 1009);
        assert!(super::super::metrics::REFUSALS.contains(&"message_too_big"));
        assert!(super::super::metrics::REFUSALS.contains(&"text_message"));
    }
}
