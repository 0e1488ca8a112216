//! The HTTP(S) front: accept loops, a cap on connections still in their handshake or fetching
//! files, TLS with a time-out, and HTTP/1.1 (hyper) with upgrades into an axum [`Router`].
//! Each request carries a [`ConnInfo`] extension: who is calling and whether over TLS; each is
//! checked against the listener's [`HostPolicy`](super::host::HostPolicy) before any route.
//!
//! axum's own `serve` would do, except that it has no TLS and no handshake time-out; this is
//! its low-level form with both.

use anyhow::Context;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the connection is TLS (the origin check needs the scheme).
    pub tls: bool,
    /// Our end of the connection (serve's programs see it in `SSH_CONNECTION`).
    pub local: Option<SocketAddr>,
}

/// Called with a reason label when a connection is refused before any request is read.
pub type RefusalHook = Arc<dyn Fn(&'static str) + Send + Sync>;

/// How to serve.
pub struct HttpServer {
    /// Bound listeners.
    pub listeners: Vec<TcpListener>,
    /// TLS, if configured.
    pub tls: Option<TlsAcceptor>,
    /// Time for the TLS handshake, and for each request head.
    pub handshake_timeout: Duration,
    /// Connections at once that are not (yet) WebSocket sessions.
    pub max_connections: usize,
    /// Refusal counter.
    pub on_refused: Option<RefusalHook>,
    /// The names requests may reach the listeners by (checked before any route).
    pub hosts: super::host::HostPolicy,
}

/// Binds every address (host:port), naming the one that fails.
pub async fn bind(addrs: &[String]) -> anyhow::Result<Vec<TcpListener>> {
    let mut v = Vec::with_capacity(addrs.len());
    for a in addrs {
        v.push(
            TcpListener::bind(a)
                .await
                .with_context(|| format!("listening on {a}"))?,
        );
    }
    Ok(v)
}

struct Shared {
    app: Router,
    tls: Option<TlsAcceptor>,
    handshake_timeout: Duration,
    slots: Arc<Semaphore>,
    on_refused: Option<RefusalHook>,
}

impl Shared {
    fn refused(&self, reason: &'static str) {
        if let Some(f) = &self.on_refused {
            f(reason);
        }
    }
}

impl HttpServer {
    /// Serves `app` until `shutdown` resolves; then stops accepting (sessions already upgraded
    /// end by their own means).
    pub async fn run<F: Future<Output = ()>>(self, app: Router, shutdown: F) {
        let app = self.hosts.guard(app, self.on_refused.clone());
        let shared = Arc::new(Shared {
            app,
            tls: self.tls,
            handshake_timeout: self.handshake_timeout,
            slots: Arc::new(Semaphore::new(self.max_connections)),
            on_refused: self.on_refused,
        });
        let mut accepts = JoinSet::new();
        for l in self.listeners {
            if let Ok(addr) = l.local_addr() {
                let scheme = if shared.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                tracing::info!(%addr, %scheme, "web listener");
            }
            accepts.spawn(accept_loop(l, shared.clone()));
        }
        shutdown.await;
        accepts.abort_all();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => match shared.slots.clone().try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(connection(stream, peer, shared.clone(), permit));
                }
                Err(_) => {
                    // Dropping the stream closes it: cheaper than any answer.
                    tracing::warn!(%peer, "too many connections; closed");
                    shared.refused("connection_limit");
                }
            },
            Err(e) => {
                // Out of descriptors and the like: back off rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
) {
    // Keystrokes are single bytes: never wait to coalesce them.
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().ok();
    match &shared.tls {
        Some(acceptor) => {
            match tokio::time::timeout(shared.handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => http(tls, (peer, local), true, &shared, permit).await,
                Ok(Err(e)) => {
                    tracing::info!(%peer, error = %e, "TLS handshake failed");
                    shared.refused("tls_handshake");
                }
                Err(_) => {
                    tracing::info!(%peer, "TLS handshake timed out");
                    shared.refused("handshake_timeout");
                }
            }
        }
        None => http(stream, (peer, local), false, &shared, permit).await,
    }
}

async fn http<I>(
    io: I,
    (peer, local): (SocketAddr, Option<SocketAddr>),
    tls: bool,
    shared: &Shared,
    permit: OwnedSemaphorePermit,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = shared.app.clone();
    let info = ConnInfo { peer, tls, local };
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(info);
        app.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.handshake_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    // The connection future ends when the client goes or the connection is upgraded; from
    // then on a WebSocket session counts against the session limits, not this one.
    if let Err(e) = conn.await {
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
    drop(permit);
}
