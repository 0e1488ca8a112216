//! The tokio loop around an [`sshgate::Connection`], following the engine's run loop exactly:
//!
//! 1. read the socket, feed [`Engine::handle_input`] (or [`Engine::handle_timeout`] when the
//!    deadline from [`Engine::poll_timeout`] passes);
//! 2. drain [`Engine::poll_transmit`] to the socket;
//! 3. drain [`Engine::poll_event`], handing each event to a [`Handler`]; answers may queue more
//!    output, so go back to 2 until both are empty;
//! 4. re-arm the timer from [`Engine::poll_timeout`].
//!
//! The driver moves bytes, time and decisions; every protocol decision stays in the engine or in
//! the command's [`Handler`]. Time is an [`sshgate::Instant`] measured from a per-process origin
//! ([`now`]), randomness a 32-byte OS seed per connection ([`os_seed`]).

pub use crate::app_msg::AppMsg;
use crate::channel_io::idle::{QUIET_READ, readable};
use sshgate::{Connection, Error, Event, Instant};
use std::future::Future;
use std::sync::OnceLock;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Read buffer size: larger than the biggest packet the engine accepts is not needed, a few
/// packets' worth keeps syscalls down. Held only while input flows (see [`next_input`]).
const READ_CHUNK: usize = 64 * 1024;

/// At most this many application messages are handled before the output they made is written:
/// a busy program's chunks go out in a few large writes instead of one small write each.
const APP_BATCH: usize = 32;
/// ... and a batch stops early once this much output is waiting.
const APP_BATCH_BYTES: usize = 256 * 1024;

/// The process's clock origin: every engine instant is time elapsed since it.
fn origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

/// Now, on the engine's clock.
#[must_use]
pub fn now() -> Instant {
    Instant::from_duration(origin().elapsed())
}

/// The tokio instant at which the engine's `at` comes.
fn deadline(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(origin() + at.since_origin())
}

/// A fresh 32-byte seed from the operating system, for one connection's engine.
pub fn os_seed() -> anyhow::Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("OS random number generator: {e}"))?;
    Ok(seed)
}

/// What the driver needs from an engine: the sans-IO surface of [`Connection`]. A trait so the
/// loop can be tested with a fake, and reused by later drivers (bridge, WebSocket).
pub trait Engine {
    /// Bytes from the peer.
    fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Result<(), Error>;
    /// The deadline has come.
    fn handle_timeout(&mut self, now: Instant);
    /// Appends bytes to send; true if anything was added.
    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool;
    /// Bytes queued for sending.
    fn pending_output(&self) -> usize;
    /// The next deadline.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The next event.
    fn poll_event(&mut self) -> Option<Event>;
    /// Closes with SSH_MSG_DISCONNECT.
    fn disconnect(&mut self, description: &str);
    /// Whether the connection has ended.
    fn is_closed(&self) -> bool;
    /// Why it ended.
    fn close_reason(&self) -> Option<Error>;
}

impl Engine for Connection {
    fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Result<(), Error> {
        Connection::handle_input(self, bytes, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Connection::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        Connection::poll_transmit(self, out)
    }
    fn pending_output(&self) -> usize {
        Connection::pending_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Connection::poll_timeout(self)
    }
    fn poll_event(&mut self) -> Option<Event> {
        Connection::poll_event(self)
    }
    fn disconnect(&mut self, description: &str) {
        Connection::disconnect(self, description);
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
    fn close_reason(&self) -> Option<Error> {
        Connection::close_reason(self).cloned()
    }
}

/// What a handler wants after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Close the connection with SSH_MSG_DISCONNECT carrying this description.
    Disconnect(String),
}

/// Acts on the engine's events (answering decisions through the engine it is given), and on
/// messages from the application's own tasks (process output, terminal input).
pub trait Handler<E> {
    /// One event.
    fn on_event(&mut self, engine: &mut E, event: Event) -> Flow;
    /// One message from the application's tasks (see [`drive_with_app`]).
    fn on_app(&mut self, _engine: &mut E, _msg: AppMsg) -> Flow {
        Flow::Continue
    }
    /// Every event out so far was given to [`Handler::on_event`] (the events of one input, a
    /// timer or an application message). A handler that defers work per event, like waking a
    /// writer thread, does it once here.
    fn on_events_done(&mut self, _engine: &mut E) {}
}

impl<E, F: FnMut(&mut E, Event) -> Flow> Handler<E> for F {
    fn on_event(&mut self, engine: &mut E, event: Event) -> Flow {
        self(engine, event)
    }
}

/// How a driven connection ended.
#[derive(Debug)]
pub enum Ending {
    /// The engine closed the connection (peer DISCONNECT, protocol error, policy, or a handler's
    /// [`Flow::Disconnect`]).
    Engine(Error),
    /// The peer closed the socket without a DISCONNECT.
    PeerClosed,
    /// Reading or writing the socket failed.
    Io(std::io::Error),
    /// The shutdown future fired; the connection was closed with "server shutting down".
    Shutdown,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Engine(e) => write!(f, "{e}"),
            Ending::PeerClosed => f.write_str("connection closed by peer"),
            Ending::Io(e) => write!(f, "I/O error: {e}"),
            Ending::Shutdown => f.write_str("server shutting down"),
        }
    }
}

/// Description sent in the DISCONNECT when `shutdown` fires.
pub const SHUTDOWN_MESSAGE: &str = "server shutting down";

/// How long a write may make no progress before the peer is dropped, unless the caller says
/// otherwise ([`Limits`]).
pub const DEFAULT_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Once the connection is closing, its last bytes (a DISCONNECT, a program's last output) get
/// at most this long without progress (or the write time-out if shorter).
const CLOSING_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the driver allows a peer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A peer that takes none of our bytes for this long is dropped. The engine's own deadlines
    /// (the authentication time-out) still fire while a write waits, so before authentication
    /// the peer is dropped at the time-out at the latest.
    pub write_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }
}

/// Drives `engine` over `stream` until the connection ends, also handing the handler whatever
/// the application's tasks send on `app` (between engine inputs, with the same drain
/// afterwards). `shutdown` (e.g. a signal) closes it politely; pass `std::future::pending()`
/// for none.
pub async fn drive_with_app<S, E, H, F>(
    stream: S,
    engine: &mut E,
    handler: &mut H,
    app: &mut tokio::sync::mpsc::Receiver<AppMsg>,
    shutdown: F,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Engine,
    H: Handler<E>,
    F: Future<Output = ()>,
{
    drive_with_limits(stream, engine, handler, app, shutdown, Limits::default()).await
}

/// [`drive_with_app`] with the given [`Limits`].
///
/// Writes happen inside the loop's select, not before it: while a write waits for the peer,
/// the engine's timer, the write time-out and `shutdown` still act. Input and application
/// messages wait meanwhile, so a peer that does not read cannot make us queue more.
pub async fn drive_with_limits<S, E, H, F>(
    stream: S,
    engine: &mut E,
    handler: &mut H,
    app: &mut tokio::sync::mpsc::Receiver<AppMsg>,
    shutdown: F,
    limits: Limits,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Engine,
    H: Handler<E>,
    F: Future<Output = ()>,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    // Empty while the peer is quiet: see `next_input`.
    let mut buf = Vec::new();
    let mut out = Outgoing::default();
    tokio::pin!(shutdown);
    loop {
        // Steps 2 and 3: the engine queued our version and KEXINIT at construction, so this runs
        // before the first read too. New output waits in the engine while a write is under way.
        if !out.busy() {
            collect(engine, handler, &mut out);
        }
        if engine.is_closed() {
            close(engine, handler, (&mut rd, &mut wr), &mut out, &limits).await;
            return ended(engine);
        }
        // Step 4.
        let timer = engine.poll_timeout();
        let sleep = async move {
            match timer {
                Some(at) => tokio::time::sleep_until(deadline(at)).await,
                None => std::future::pending().await,
            }
        };
        if out.busy() {
            let stalled = tokio::time::sleep_until(out.progress + limits.write_timeout);
            tokio::select! {
                r = out.step(&mut wr) => if let Err(e) = r {
                    return Ending::Io(e);
                },
                () = sleep => engine.handle_timeout(now()),
                () = stalled => return Ending::Io(not_reading(limits.write_timeout)),
                () = &mut shutdown => {
                    engine.disconnect(SHUTDOWN_MESSAGE);
                    close(engine, handler, (&mut rd, &mut wr), &mut out, &limits).await;
                    return Ending::Shutdown;
                }
            }
            continue;
        }
        tokio::select! {
            r = next_input(&mut rd, &mut buf) => match r {
                Ok(0) => return Ending::PeerClosed,
                Ok(n) => {
                    let r = engine.handle_input(&buf[..n], now());
                    if n <= QUIET_READ {
                        buf = Vec::new();
                    }
                    if let Err(e) = r {
                        // A DISCONNECT may be queued: send it, let the handler see the events
                        // that came before the failure (and `Closed`), then close.
                        close(engine, handler, (&mut rd, &mut wr), &mut out, &limits).await;
                        return Ending::Engine(e);
                    }
                }
                Err(e) => return Ending::Io(e),
            },
            () = sleep => engine.handle_timeout(now()),
            Some(msg) = app.recv() => on_app_batch(engine, handler, app, msg),
            () = &mut shutdown => {
                engine.disconnect(SHUTDOWN_MESSAGE);
                close(engine, handler, (&mut rd, &mut wr), &mut out, &limits).await;
                return Ending::Shutdown;
            }
        }
    }
}

fn not_reading(after: std::time::Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("the peer took none of our output for {} s", after.as_secs()),
    )
}

/// Bytes on their way to the socket.
struct Outgoing {
    bytes: Vec<u8>,
    /// How many of `bytes` the socket took.
    written: usize,
    /// All written; the stream's flush is still to come.
    flush: bool,
    /// When the socket last took something (or the write began).
    progress: tokio::time::Instant,
}

impl Default for Outgoing {
    fn default() -> Self {
        Outgoing {
            bytes: Vec::new(),
            written: 0,
            flush: false,
            progress: tokio::time::Instant::now(),
        }
    }
}

impl Outgoing {
    /// A write (or its flush) is under way.
    fn busy(&self) -> bool {
        self.written < self.bytes.len() || self.flush
    }

    /// One step of the write: one `write` call, or the flush after the last. Cancel-safe (a
    /// step cancelled before it completes wrote nothing), so it can sit in a `select!`.
    async fn step<W: AsyncWrite + Unpin>(&mut self, wr: &mut W) -> std::io::Result<()> {
        if self.written < self.bytes.len() {
            let n = wr.write(&self.bytes[self.written..]).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.written += n;
            self.progress = tokio::time::Instant::now();
            self.flush = self.written == self.bytes.len();
        } else if self.flush {
            wr.flush().await?;
            self.flush = false;
            self.bytes.clear();
            self.written = 0;
        }
        Ok(())
    }
}

/// The connection is closing: the handler sees the last events, and what is queued (the
/// DISCONNECT) goes out while the peer takes it, then [`linger`].
async fn close<R, W, E, H>(
    engine: &mut E,
    handler: &mut H,
    (rd, wr): (&mut R, &mut W),
    out: &mut Outgoing,
    limits: &Limits,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    E: Engine,
    H: Handler<E>,
{
    collect(engine, handler, out);
    let stall = limits.write_timeout.min(CLOSING_WRITE_TIMEOUT);
    while out.busy() {
        match tokio::time::timeout(stall, out.step(wr)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => return,
        }
    }
    linger(rd, wr).await;
}

/// How long a closing connection waits for the peer to close after our last bytes.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// Closes our side (FIN after the last bytes, e.g. a DISCONNECT), then reads and discards until
/// the peer closes too, briefly. Closing a socket with unread input makes the kernel send a reset,
/// which can destroy the DISCONNECT still in flight.
async fn linger<R, W>(rd: &mut R, wr: &mut W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut sink = vec![0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        let _ = wr.shutdown().await;
        while matches!(rd.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Reads the next input into `buf` (cleared first). A quiet connection has no buffer and waits
/// for readiness before it takes one, so idle connections hold no read buffer; while input
/// flows the buffer is kept. Cancel-safe (select!): nothing is consumed unless it returns.
async fn next_input<R: AsyncRead + Unpin>(rd: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    if buf.capacity() == 0 {
        readable(rd).await?;
    }
    buf.clear();
    buf.reserve(READ_CHUNK);
    rd.read_buf(buf).await
}

/// Hands `first` and whatever else the application has already sent (up to [`APP_BATCH`]
/// messages or [`APP_BATCH_BYTES`] of output) to the handler before the loop writes.
fn on_app_batch<E, H>(
    engine: &mut E,
    handler: &mut H,
    app: &mut tokio::sync::mpsc::Receiver<AppMsg>,
    first: AppMsg,
) where
    E: Engine,
    H: Handler<E>,
{
    let mut msg = first;
    for handled in 1.. {
        if let Flow::Disconnect(why) = handler.on_app(engine, msg) {
            engine.disconnect(&why);
            return;
        }
        if handled >= APP_BATCH || engine.is_closed() || engine.pending_output() >= APP_BATCH_BYTES
        {
            return;
        }
        match app.try_recv() {
            Ok(next) => msg = next,
            Err(_) => return,
        }
    }
}

/// The engine ended by itself: its reason, or a generic one.
fn ended<E: Engine>(engine: &E) -> Ending {
    match engine.close_reason() {
        Some(e) => Ending::Engine(e),
        None => Ending::PeerClosed,
    }
}

/// Steps 2 and 3: takes everything the engine queued into `out` and hands every event to the
/// handler, repeated until the engine has neither (answers may queue more output). Appends
/// after whatever `out` still holds, so the byte order is the engine's.
fn collect<E, H>(engine: &mut E, handler: &mut H, out: &mut Outgoing)
where
    E: Engine,
    H: Handler<E>,
{
    let before = out.bytes.len();
    let mut handled = false;
    loop {
        while engine.poll_transmit(&mut out.bytes) {}
        let mut any = false;
        while let Some(event) = engine.poll_event() {
            any = true;
            if let Flow::Disconnect(why) = handler.on_event(engine, event) {
                engine.disconnect(&why);
            }
        }
        if !any {
            break;
        }
        handled = true;
    }
    if handled {
        handler.on_events_done(engine);
    }
    if out.bytes.len() > before {
        if before == out.written {
            // A new write: the write time-out counts from now.
            out.progress = tokio::time::Instant::now();
        }
        out.flush = false;
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
