//! One resumable session: a byte stream (the target's TCP connection, or the device server's
//! pipe) carried by one WebSocket at a time. Bytes either way are framed with the receiver's
//! count of bytes received (an acknowledgement); what the client has not acknowledged stays in a
//! bounded replay buffer. When the WebSocket drops the session *parks*: the stream stays open and
//! its output fills the buffer (then reading stops), until a RESUME hands over a new WebSocket
//! (replay from the client's `ack`, continue) or the grace time ends it.
//!
//! No queue beyond the replay buffer and one message on its way to the stream: the WebSocket is
//! read only once the last message was written to the stream, and the stream only while the
//! buffer has room, so a slow side stops the other as in the plain bridge.

use super::close;
use super::frame::{self, Frame, MAX_PAYLOAD, Sid};
use super::hub::{Attach, Hub};
use super::replay::Replay;
use crate::shutdown::Shutdown;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::{Buf, Bytes, BytesMut};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// An ACK goes out once this many client bytes arrived unacknowledged...
const ACK_EVERY: u64 = 64 * 1024;
/// ... or this long after the first of them, whichever is first.
const ACK_DELAY: Duration = Duration::from_secs(1);
/// Time allowed for a close frame to go out.
const CLOSE_TIME: Duration = Duration::from_secs(1);

/// How a resumable session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed the WebSocket with 1000 or 1001: it is done.
    ClientClosed,
    /// The stream ended and the client had everything it sent (or was not coming back).
    InnerClosed,
    /// Reading or writing the stream failed.
    InnerError,
    /// The WebSocket dropped and no resume came within the grace time.
    Expired,
    /// The WebSocket dropped with every parking place taken.
    NotParked,
    /// A RESUME named bytes that were already released (4416).
    OutOfRange,
    /// No data either way for the idle time-out.
    IdleTimeout,
    /// The process is shutting down (close 1001).
    Shutdown,
}

/// What the caller logs.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub end: End,
    /// Client bytes written to the stream.
    pub up: u64,
    /// Stream bytes read (sent or buffered for the client).
    pub down: u64,
    /// Successful resumes.
    pub resumes: u32,
}

/// Counts bytes as they move (`true`: client to stream).
pub type Meter = Arc<dyn Fn(usize, bool) + Send + Sync>;

/// What a session needs besides its stream and first socket.
pub struct Params {
    pub hub: Arc<Hub>,
    pub sid: Sid,
    pub rx: mpsc::Receiver<Attach>,
    pub peer: SocketAddr,
    /// Client bytes received before the session started (the first DATA's payload).
    pub first: Option<Bytes>,
    pub idle: Option<Duration>,
    pub shutdown: Option<Shutdown>,
    pub meter: Option<Meter>,
}

struct Task {
    hub: Arc<Hub>,
    sid: Sid,
    /// Stream bytes sent (or to send) to the client, until acknowledged.
    down: Replay,
    /// Client bytes received.
    recv: u64,
    /// The `ack` last sent to the client.
    acked_out: u64,
    /// When the oldest client byte not yet acknowledged arrived.
    unacked_since: Option<Instant>,
    /// A client message on its way to the stream.
    to_inner: Bytes,
    inner_eof: bool,
    ws: Option<WebSocket>,
    peer: SocketAddr,
    /// Set while parked: the end of the grace time.
    parked_until: Option<Instant>,
    last_heard: Instant,
    last_data: Instant,
    resumes: u32,
    up_total: u64,
    down_total: u64,
    meter: Option<Meter>,
}

/// Runs a session on `inner`, first carried by `ws`, until it ends; the id is forgotten then.
pub async fn run<S>(inner: S, ws: WebSocket, p: Params) -> Report
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Params {
        hub,
        sid,
        mut rx,
        peer,
        first,
        idle,
        shutdown,
        meter,
    } = p;
    let (mut ir, mut iw) = tokio::io::split(inner);
    let settings = hub.settings.clone();
    let now = Instant::now();
    let mut t = Task {
        down: Replay::new(settings.buffer),
        hub,
        sid,
        recv: 0,
        acked_out: 0,
        unacked_since: None,
        to_inner: Bytes::new(),
        inner_eof: false,
        ws: Some(ws),
        peer,
        parked_until: None,
        last_heard: now,
        last_data: now,
        resumes: 0,
        up_total: 0,
        down_total: 0,
        meter,
    };
    tracing::info!(source = %peer, session = ?sid, "resumable session started");
    let mut end = None;
    if !t.send(Frame::Session { sid }).await {
        end = t.detach().err();
    }
    if let Some(b) = first {
        t.received(b);
    }
    let mut ping = tokio::time::interval_at(now + settings.ping, settings.ping);
    let stopping = async {
        match &shutdown {
            Some(s) => s.wait().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopping);
    while end.is_none() {
        if t.inner_eof && t.down.pending() == 0 && t.to_inner.is_empty() {
            // Everything the stream said was acknowledged: nothing is left to resume.
            t.close_ws(1000, "target closed the connection").await;
            end = Some(End::InnerClosed);
            break;
        }
        let room = t.down.room().min(MAX_PAYLOAD);
        let ack_due = t.unacked_since.map(|s| s + ACK_DELAY);
        let idle_due = idle.map(|d| t.last_data + d);
        end = tokio::select! {
            r = read_some(&mut ir, room), if !t.inner_eof && room > 0 => match r {
                Ok(b) if b.is_empty() => {
                    t.inner_eof = true;
                    None
                }
                Ok(b) => t.on_stream(b).await,
                Err(_) => Some(End::InnerError),
            },
            r = iw.write(&t.to_inner), if !t.to_inner.is_empty() => match r {
                Ok(0) | Err(_) => Some(End::InnerError),
                Ok(n) => {
                    t.to_inner.advance(n);
                    if t.to_inner.is_empty() && iw.flush().await.is_err() {
                        Some(End::InnerError)
                    } else {
                        None
                    }
                }
            },
            m = next(&mut t.ws), if t.ws.is_some() && t.to_inner.is_empty() => t.on_client(m).await,
            () = sleep_until(ack_due), if t.ws.is_some() && ack_due.is_some() => {
                if t.send_ack().await { None } else { t.detach().err() }
            },
            _ = ping.tick(), if t.ws.is_some() => {
                if t.last_heard.elapsed() >= 2 * settings.ping {
                    tracing::info!(source = %t.peer, session = ?t.sid, "WebSocket silent for two pings");
                    t.ws = None;
                    t.detach().err()
                } else if t.send_msg(Message::Ping(Bytes::new())).await {
                    None
                } else {
                    t.detach().err()
                }
            },
            a = rx.recv() => match a {
                Some(a) => t.attach(a).await,
                None => Some(End::Expired),
            },
            () = sleep_until(t.parked_until), if t.parked_until.is_some() => Some(End::Expired),
            () = sleep_until(idle_due), if idle_due.is_some() => Some(End::IdleTimeout),
            () = &mut stopping => {
                t.close_ws(1001, "shutting down").await;
                Some(End::Shutdown)
            },
        };
    }
    let end = end.unwrap_or(End::InnerClosed);
    if t.parked_until.is_some() {
        t.hub.unpark(t.peer.ip());
    }
    t.hub.remove(&t.sid);
    drop(rx);
    if t.ws.is_some() {
        let (code, why) = match end {
            End::IdleTimeout => (1000, "idle time-out"),
            End::InnerError => (1011, "target connection failed"),
            _ => (1000, "session ended"),
        };
        t.close_ws(code, why).await;
    }
    // What the client sent last still reaches the stream, then the stream sees its end.
    let _ = tokio::time::timeout(CLOSE_TIME, async {
        if !t.to_inner.is_empty() {
            let _ = iw.write_all(&t.to_inner).await;
        }
        let _ = iw.shutdown().await;
    })
    .await;
    tracing::info!(
        source = %t.peer, session = ?t.sid, ended = ?end, resumes = t.resumes,
        "resumable session ended"
    );
    Report {
        end,
        up: t.up_total,
        down: t.down_total,
        resumes: t.resumes,
    }
}

async fn read_some<S: AsyncRead>(r: &mut ReadHalf<S>, room: usize) -> std::io::Result<Bytes> {
    let mut buf = BytesMut::with_capacity(room);
    r.read_buf(&mut buf).await?;
    Ok(buf.freeze())
}

async fn next(ws: &mut Option<WebSocket>) -> Option<Result<Message, axum::Error>> {
    match ws {
        Some(ws) => ws.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Sends our close frame, briefly.
async fn close_socket(mut ws: WebSocket, code: u16, reason: &'static str) {
    let _ = tokio::time::timeout(CLOSE_TIME, async {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if ws.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        // The closing handshake (RFC 6455 §7.1.1): read until the client's Close (or the end),
        // so what it sent meanwhile is consumed and our side ends with a FIN. Dropping a socket
        // with unread bytes resets it, and a reset can destroy our Close frame before the
        // client has read it.
        while let Some(Ok(m)) = ws.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

impl Task {
    /// A send that does not return within two ping intervals counts as failed: a client that
    /// stopped reading is as gone as one whose socket closed.
    async fn send_msg(&mut self, m: Message) -> bool {
        let limit = 2 * self.hub.settings.ping;
        let Some(ws) = self.ws.as_mut() else {
            return false;
        };
        matches!(tokio::time::timeout(limit, ws.send(m)).await, Ok(Ok(())))
    }

    async fn send(&mut self, f: Frame<'_>) -> bool {
        let m = Message::Binary(frame::encode(&f).into());
        self.send_msg(m).await
    }

    async fn send_ack(&mut self) -> bool {
        self.acked_out = self.recv;
        self.unacked_since = None;
        self.send(Frame::Ack { ack: self.recv }).await
    }

    async fn close_ws(&mut self, code: u16, reason: &'static str) {
        if let Some(ws) = self.ws.take() {
            close_socket(ws, code, reason).await;
        }
    }

    /// The WebSocket is gone (or given up on): park, or end when no place is free.
    fn detach(&mut self) -> Result<(), End> {
        self.ws = None;
        if self.parked_until.is_some() {
            return Ok(());
        }
        if !self.hub.park(self.peer.ip()) {
            tracing::info!(source = %self.peer, session = ?self.sid, "dropped; no parking place");
            return Err(End::NotParked);
        }
        tracing::info!(
            source = %self.peer, session = ?self.sid, parked = self.hub.parked(),
            "dropped; parked"
        );
        self.parked_until = Some(Instant::now() + self.hub.settings.grace);
        Ok(())
    }

    /// Client bytes: on their way to the stream, acknowledged soon.
    fn received(&mut self, b: Bytes) {
        self.recv += b.len() as u64;
        self.up_total += b.len() as u64;
        if let Some(m) = &self.meter {
            m(b.len(), true);
        }
        self.last_data = Instant::now();
        self.unacked_since.get_or_insert_with(Instant::now);
        self.to_inner = b;
    }

    /// Stream bytes: kept for replay, sent if a WebSocket is attached.
    async fn on_stream(&mut self, b: Bytes) -> Option<End> {
        self.down.push(&b);
        tracing::trace!(session = ?self.sid, n = b.len(), pending = self.down.pending(), attached = self.ws.is_some(), "from stream");
        self.down_total += b.len() as u64;
        if let Some(m) = &self.meter {
            m(b.len(), false);
        }
        self.last_data = Instant::now();
        self.ws.as_ref()?;
        self.acked_out = self.recv;
        self.unacked_since = None;
        let ok = self
            .send(Frame::Data {
                ack: self.recv,
                payload: &b,
            })
            .await;
        if ok { None } else { self.detach().err() }
    }

    /// A protocol error on the attached socket: 1002, and the session parks (only a correct
    /// RESUME touches it, so a broken frame cannot end someone's session).
    async fn protocol_error(&mut self, why: &'static str) -> Option<End> {
        tracing::info!(source = %self.peer, session = ?self.sid, why, "resume protocol error");
        self.close_ws(close::PROTOCOL, why).await;
        self.detach().err()
    }

    async fn on_client(&mut self, m: Option<Result<Message, axum::Error>>) -> Option<End> {
        self.last_heard = Instant::now();
        let b = match m {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return None,
            Some(Ok(Message::Text(_))) => return self.protocol_error("binary messages only").await,
            Some(Ok(Message::Close(Some(c)))) if matches!(c.code, 1000 | 1001) => {
                self.ws = None;
                return Some(End::ClientClosed);
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => return self.detach().err(),
        };
        let parsed = frame::parse(&b);
        tracing::trace!(
            session = ?self.sid, recv = self.recv, pending = self.down.pending(),
            sent = self.down.sent(), frame = ?parsed.as_ref().map(|f| match f {
                Frame::Data { ack, payload } => (0, *ack, payload.len()),
                Frame::Ack { ack } => (1, *ack, 0),
                _ => (9, 0, 0),
            }),
            "from client"
        );
        match parsed {
            Ok(Frame::Data { ack, payload }) => {
                if self.down.ack(ack).is_err() {
                    return self.protocol_error("ack out of range").await;
                }
                let n = payload.len();
                self.received(b.slice(b.len() - n..));
                if self.recv - self.acked_out >= ACK_EVERY && !self.send_ack().await {
                    return self.detach().err();
                }
                None
            }
            Ok(Frame::Ack { ack }) => {
                if self.down.ack(ack).is_err() {
                    return self.protocol_error("ack out of range").await;
                }
                None
            }
            Ok(_) => self.protocol_error("unexpected frame").await,
            Err(_) => self.protocol_error("malformed frame").await,
        }
    }

    /// A RESUME for this session: check the numbers, take the new socket, replay.
    async fn attach(&mut self, a: Attach) -> Option<End> {
        let Attach { ws, ack, pos, peer } = a;
        let replay = if pos < self.recv {
            Err(super::replay::OutOfRange)
        } else {
            self.down.replay_from(ack)
        };
        let Ok(replay) = replay else {
            tracing::info!(source = %peer, session = ?self.sid, ack, pos, "resume out of range");
            close_socket(*ws, close::OUT_OF_RANGE, "resume out of range").await;
            self.close_ws(close::OUT_OF_RANGE, "resume out of range")
                .await;
            return Some(End::OutOfRange);
        };
        if let Some(old) = self.ws.take() {
            // Closed on the side: the new socket does not wait for the old one's handshake.
            tokio::spawn(close_socket(
                old,
                close::REPLACED,
                "replaced by a newer connection",
            ));
        }
        if self.parked_until.take().is_some() {
            self.hub.unpark(self.peer.ip());
        }
        self.ws = Some(*ws);
        self.peer = peer;
        self.last_heard = Instant::now();
        self.resumes += 1;
        tracing::info!(
            source = %peer, session = ?self.sid, replay = replay.len(), "resumed"
        );
        self.acked_out = self.recv;
        self.unacked_since = None;
        if !self.send(Frame::Resumed { ack: self.recv }).await {
            return self.detach().err();
        }
        for chunk in replay.chunks(MAX_PAYLOAD) {
            let ok = self
                .send(Frame::Data {
                    ack: self.recv,
                    payload: chunk,
                })
                .await;
            if !ok {
                return self.detach().err();
            }
        }
        None
    }
}
