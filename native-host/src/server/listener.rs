//! Accept loops (one per listen address), one task per connection (TCP ones on the connection
//! threads, [`super::workers`]), and graceful shutdown: on SIGTERM or ctrl-c, stop accepting,
//! send "server shutting down" on every open connection, and wait (briefly) for them to flush.
//! Connections come from the TCP listeners here and from any other front that sends them on the
//! same channel ([`Incoming::WebSocket`], from `web::device_ws`), so every one gets the same
//! limits on unauthenticated connections ([`super::startups`]: refused ones get one line and
//! are closed at once), driver, penalties and shutdown.

use super::auth::log_text;
use super::counted::{ByteCounts, Counted};
use super::session::ServeContext;
use super::startups::{Refusal, StartupGuard};
use super::workers::Workers;
use crate::driver::{self, Ending};
use crate::server::session::ServerSession;
use crate::web::ws_io::WsIo;
use anyhow::Context;
use sshgate::{Connection, ServerConfig};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// How long open connections get to say goodbye at shutdown.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// A connection for the device server.
pub enum Incoming {
    /// A TCP client.
    Tcp(TcpStream),
    /// SSH bytes in a WebSocket (serve's WebSocket listener); boxed, being ten times a
    /// socket's size; with the listener's end of its TCP connection.
    WebSocket(Box<WsIo>, Option<SocketAddr>),
    /// SSH bytes of a resumable WebSocket session (`sshgate.resume.v1`): the server's end of
    /// a pipe whose other end the resume layer (`crate::resume`) carries over successive
    /// WebSockets.
    Resumable(tokio::io::DuplexStream, Option<SocketAddr>),
}

/// Where fronts hand their connections to the server loop.
pub type IncomingTx = mpsc::Sender<(Incoming, SocketAddr)>;
/// The server loop's end of [`IncomingTx`].
pub type IncomingRx = mpsc::Receiver<(Incoming, SocketAddr)>;

/// A channel for [`serve_on`].
#[must_use]
pub fn channel() -> (IncomingTx, IncomingRx) {
    mpsc::channel(64)
}

/// Binds every address.
pub async fn bind(addrs: &[String]) -> anyhow::Result<Vec<TcpListener>> {
    let mut v = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let l = TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        tracing::info!(addr = %l.local_addr()?, "listening");
        v.push(l);
    }
    Ok(v)
}

/// Serves the bound `listeners` and whatever arrives on `incoming` (whose sender other fronts
/// hold clones of) until `shutdown` resolves.
pub async fn serve_on(
    listeners: Vec<TcpListener>,
    (conn_tx, mut conn_rx): (IncomingTx, IncomingRx),
    cfg: Arc<ServerConfig>,
    ctx: Arc<ServeContext>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut accepts = JoinSet::new();
    for l in listeners {
        accepts.spawn(accept_loop(l, conn_tx.clone()));
    }
    drop(conn_tx);

    let mut workers = Workers::start().context("starting the connection threads")?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut drops = DropLog::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            Some((incoming, peer)) = conn_rx.recv() => {
                let startup = match ctx.startups.admit_random(peer.ip()) {
                    Ok(guard) => guard,
                    Err(why) => {
                        ctx.metrics.startup_refused();
                        drops.note(peer, why, ctx.startups.open());
                        refuse(incoming, why);
                        continue;
                    }
                };
                match incoming {
                    Incoming::Tcp(stream) => {
                        // The socket moves to the connection's thread and registers with its
                        // runtime there, so its readiness wakes that thread directly.
                        let stream = match stream.into_std() {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::warn!(%peer, error = %e, "cannot hand the connection over");
                                continue;
                            }
                        };
                        let conn = tcp_connection(
                            stream, peer, startup, cfg.clone(), ctx.clone(), stop_rx.clone(),
                        );
                        conns.spawn_on(conn, workers.next());
                    }
                    Incoming::WebSocket(ws, local) => {
                        let conn = connection(
                            ws, (peer, local), startup, cfg.clone(), ctx.clone(), stop_rx.clone(),
                        );
                        conns.spawn(conn);
                    }
                    Incoming::Resumable(pipe, local) => {
                        let conn = connection(
                            pipe, (peer, local), startup, cfg.clone(), ctx.clone(), stop_rx.clone(),
                        );
                        conns.spawn(conn);
                    }
                }
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    accepts.abort_all();
    tracing::info!(open = conns.len(), "shutting down");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(open = conns.len(), "connections still open; dropping them");
        conns.abort_all();
    }
    Ok(())
}

/// Tells a refused client why in one line (OpenSSH's) and closes it at once: no key exchange,
/// no descriptor held.
fn refuse(incoming: Incoming, why: Refusal) {
    match incoming {
        Incoming::Tcp(stream) => {
            // Take what the client already sent (its identification line): closing a socket
            // with unread input resets it, and the reset can overtake our line.
            let mut sink = [0u8; 1024];
            let _ = stream.try_read(&mut sink);
            // A fresh socket's send buffer is empty: a non-blocking write takes the whole line.
            let _ = stream.try_write(why.line());
        }
        Incoming::WebSocket(mut ws, _) => {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    let _ = ws.write_all(why.line()).await;
                    let _ = ws.shutdown().await;
                })
                .await;
            });
        }
        Incoming::Resumable(mut pipe, _) => {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    let _ = pipe.write_all(why.line()).await;
                    let _ = pipe.shutdown().await;
                })
                .await;
            });
        }
    }
}

/// Refusals are logged at most once a second, with how many there were: a flood of connections
/// must not become a flood of log lines.
#[derive(Default)]
struct DropLog {
    since: Option<std::time::Instant>,
    count: u64,
}

impl DropLog {
    fn note(&mut self, peer: SocketAddr, why: Refusal, open: usize) {
        self.count += 1;
        let now = std::time::Instant::now();
        if self
            .since
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        tracing::info!(
            %peer,
            reason = why.reason(),
            unauthenticated = open,
            dropped = self.count,
            "connection dropped"
        );
        self.since = Some(now);
        self.count = 0;
    }
}

async fn accept_loop(listener: TcpListener, tx: IncomingTx) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if tx.send((Incoming::Tcp(stream), peer)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // Out of descriptors and the like: back off rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A TCP connection handed over from the accept loop, registered on this thread's runtime.
async fn tcp_connection(
    stream: std::net::TcpStream,
    peer: SocketAddr,
    startup: StartupGuard,
    cfg: Arc<ServerConfig>,
    ctx: Arc<ServeContext>,
    stop: watch::Receiver<bool>,
) {
    match TcpStream::from_std(stream) {
        Ok(s) => {
            let _ = s.set_nodelay(true);
            let local = s.local_addr().ok();
            connection(s, (peer, local), startup, cfg, ctx, stop).await;
        }
        Err(e) => tracing::warn!(%peer, error = %e, "cannot register the connection"),
    }
}

/// One connection, start to end: `local` is serve's end of it, when known; `startup` is its
/// place among the unauthenticated ones.
async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    (peer, local): (SocketAddr, Option<SocketAddr>),
    startup: StartupGuard,
    cfg: Arc<ServerConfig>,
    ctx: Arc<ServeContext>,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(%peer, "connection accepted");
    let started = std::time::Instant::now();
    let _open = ctx.metrics.connection();
    let wait = ctx.penalties.delay(peer.ip(), std::time::Instant::now());
    if !wait.is_zero() {
        ctx.metrics.penalty_delay();
        tracing::info!(%peer, delay_ms = wait.as_millis(), "earlier authentication failures from this address: waiting");
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
    let seed = match driver::os_seed() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(%peer, error = %e, "no randomness; dropping connection");
            return;
        }
    };
    let mut conn = Connection::server(cfg, driver::now(), seed);
    // User certificates are checked against the calendar (RFC 6187 needs validity periods).
    conn.set_wall_clock(crate::wall_clock::unix_now());
    // `debug ip ssh`: the engine records its steps from the first one.
    conn.set_trace(super::debug_trace::level());
    // Session programs report here; bounded, so busy programs wait for the connection task.
    let (app_tx, mut app_rx) = mpsc::channel(64);
    let mut session = ServerSession::new(peer, ctx.clone(), app_tx).with_local(local);
    session.hold_startup(startup);
    let shutdown = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let limits = driver::Limits {
        write_timeout: ctx.write_timeout,
    };
    let bytes = Arc::new(ByteCounts::default());
    let stream = Counted::new(stream, bytes.clone(), ctx.metrics.clone());
    let ending = driver::drive_with_limits(
        stream,
        &mut conn,
        &mut session,
        &mut app_rx,
        shutdown,
        limits,
    )
    .await;
    // Failures were recorded as they happened; one that ended the connection inside the
    // engine is counted here. A client that never tried costs a little (OpenSSH's "noauth").
    session.record_failures(&conn);
    if !session.is_authenticated()
        && conn.auth_failures() == 0
        && !matches!(ending, Ending::Shutdown)
    {
        ctx.penalties.no_auth(peer.ip(), std::time::Instant::now());
    }
    match &ending {
        Ending::Engine(e) => {
            tracing::info!(%peer, fault = ?e.fault, reason = e.reason, "connection closed: {}", log_text(&e.description))
        }
        other => tracing::info!(%peer, "connection closed: {other}"),
    }
    let (number, user, method) = session.audit_facts();
    super::audit::connection_ended(
        &ctx,
        &super::audit::ConnectionEnd {
            number,
            user,
            method,
            authenticated: session.is_authenticated(),
            certificate: session.certificate(),
            auth_failures: conn.auth_failures(),
            peer,
            local,
            bytes: &bytes,
            elapsed: started.elapsed(),
            ending: &ending,
        },
    );
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received");
}
