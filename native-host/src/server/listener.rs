//! Accept loops (one per listen address), one task per connection on the connection threads
//! ([`super::workers`]), and graceful shutdown: on SIGTERM or ctrl-c, stop accepting, send
//! "server shutting down" on every open connection, and wait (briefly) for them to flush.

use super::session::ServeContext;
use super::workers::Workers;
use crate::driver::{self, Ending};
use crate::server::session::ServerSession;
use anyhow::Context;
use sshgate::{Connection, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// How long open connections get to say goodbye at shutdown.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Listens on `addrs` until a shutdown signal.
pub async fn serve(
    addrs: &[String],
    cfg: Arc<ServerConfig>,
    ctx: Arc<ServeContext>,
) -> anyhow::Result<()> {
    let (conn_tx, mut conn_rx) = mpsc::channel::<(TcpStream, SocketAddr)>(64);
    let mut accepts = JoinSet::new();
    for addr in addrs {
        let l = TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        tracing::info!(addr = %l.local_addr()?, "listening");
        accepts.spawn(accept_loop(l, conn_tx.clone()));
    }
    drop(conn_tx);

    let mut workers = Workers::start().context("starting the connection threads")?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            Some((stream, peer)) = conn_rx.recv() => {
                // The socket moves to the connection's thread and registers with its runtime
                // there, so its readiness wakes that thread directly.
                let stream = match stream.into_std() {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "cannot hand the connection over");
                        continue;
                    }
                };
                let conn = connection(stream, peer, cfg.clone(), ctx.clone(), stop_rx.clone());
                conns.spawn_on(conn, workers.next());
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

async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<(TcpStream, SocketAddr)>) {
    loop {
        match listener.accept().await {
            Ok(conn) => {
                if tx.send(conn).await.is_err() {
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

/// One connection, start to end.
async fn connection(
    stream: std::net::TcpStream,
    peer: SocketAddr,
    cfg: Arc<ServerConfig>,
    ctx: Arc<ServeContext>,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(%peer, "connection accepted");
    let stream = match TcpStream::from_std(stream) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "cannot register the connection");
            return;
        }
    };
    let wait = ctx.penalties.delay(peer.ip(), std::time::Instant::now());
    if !wait.is_zero() {
        tracing::info!(%peer, delay_ms = wait.as_millis(), "earlier authentication failures from this address: waiting");
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
    let _ = stream.set_nodelay(true);
    let seed = match driver::os_seed() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(%peer, error = %e, "no randomness; dropping connection");
            return;
        }
    };
    let mut conn = Connection::server(cfg, driver::now(), seed);
    // Session programs report here; bounded, so busy programs wait for the connection task.
    let (app_tx, mut app_rx) = mpsc::channel(64);
    let mut session = ServerSession::new(peer, ctx.clone(), app_tx);
    let shutdown = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let ending =
        driver::drive_with_app(stream, &mut conn, &mut session, &mut app_rx, shutdown).await;
    ctx.penalties.record(
        peer.ip(),
        conn.auth_failures(),
        session.is_authenticated(),
        std::time::Instant::now(),
    );
    match &ending {
        Ending::Engine(e) => {
            tracing::info!(%peer, fault = ?e.fault, reason = e.reason, "connection closed: {}", e.description)
        }
        other => tracing::info!(%peer, "connection closed: {other}"),
    }
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
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
