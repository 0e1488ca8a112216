//! `serve`'s WebSocket listener (`[websocket]` in the device file): `GET /ssh` and
//! `GET /ssh/<hostname>` upgrade to a WebSocket whose binary messages are the SSH byte stream,
//! handed to the device server's own loop as [`Incoming::WebSocket`] — the same driver, users,
//! penalties and shutdown as a TCP client. Static files (the page) at `/`, so a device can
//! serve the page and the terminal itself, with no bridge in between. Requests that name the
//! listener by a name it does not answer to (`allow_hosts`) are refused first, by the server.

use super::gate::{Gate, pick_protocol};
use super::limits::SessionLimits;
use super::server::{ConnInfo, HttpServer};
use super::settings::WebSettings;
use super::ws_io::WsIo;
use crate::server::listener::{Incoming, IncomingTx};
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::future::Future;
use std::sync::Arc;

/// What the route needs.
struct DeviceWs {
    hostname: String,
    gate: Gate,
    limits: Arc<SessionLimits>,
    max_message: usize,
    tx: IncomingTx,
    /// Resumable sessions (`sshgate.resume.v1`), unless resume is off.
    resume: Option<Arc<crate::resume::hub::Hub>>,
    idle: Option<std::time::Duration>,
}

/// Binds the listener and returns the server, to be run with a shutdown future.
pub async fn bind(
    settings: &WebSettings,
    hostname: &str,
    tx: IncomingTx,
) -> anyhow::Result<(HttpServer, Router)> {
    settings.check("[websocket]")?;
    if settings.insecure_no_auth {
        // The device's WebSocket carries SSH logins to this device only: nothing to open up.
        anyhow::bail!("[websocket]: insecure_no_auth is a bridge setting");
    }
    if let Some(d) = &settings.static_dir {
        super::files::check_dir(d)?;
    }
    let l = &settings.limits;
    let state = Arc::new(DeviceWs {
        hostname: hostname.to_string(),
        gate: super::gate(settings),
        limits: SessionLimits::new(l.max_sessions, l.max_sessions_per_source),
        max_message: l.max_message_bytes,
        tx,
        resume: l.resume().map(crate::resume::hub::Hub::new),
        idle: l.idle_timeout(),
    });
    let router = Router::new()
        .route("/ssh", get(ssh_any))
        .route("/ssh/{hostname}", get(ssh_named))
        .with_state(state);
    let router = super::files::with_static(router, settings.static_dir.as_deref());
    let listeners = super::server::bind(&settings.listen).await?;
    let server = HttpServer {
        hosts: super::host_policy(settings, &listeners)?,
        listeners,
        tls: super::acceptor(settings)?,
        handshake_timeout: l.handshake_timeout(),
        max_connections: l.max_connections,
        on_refused: None,
    };
    Ok((server, router))
}

/// Runs what [`bind`] made until `shutdown`.
pub async fn run(server: HttpServer, router: Router, shutdown: impl Future<Output = ()>) {
    server.run(router, shutdown).await;
}

async fn ssh_any(
    State(st): State<Arc<DeviceWs>>,
    Extension(info): Extension<ConnInfo>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(&st, info, &headers, query.as_deref(), None, ws)
}

async fn ssh_named(
    State(st): State<Arc<DeviceWs>>,
    Path(name): Path<String>,
    Extension(info): Extension<ConnInfo>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(&st, info, &headers, query.as_deref(), Some(&name), ws)
}

fn upgrade(
    st: &Arc<DeviceWs>,
    info: ConnInfo,
    headers: &HeaderMap,
    query: Option<&str>,
    name: Option<&str>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let peer = info.peer;
    if let Err(denied) = st.gate.check(headers, query, info.tls) {
        tracing::info!(%peer, reason = denied.reason(), "WebSocket refused");
        return denied.status().into_response();
    }
    // A device answers to its own name only: a page that asks for another device is lost.
    if name.is_some_and(|n| !n.eq_ignore_ascii_case(&st.hostname)) {
        return (StatusCode::NOT_FOUND, "no such device here\n").into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let slot = match st.limits.try_acquire(peer.ip()) {
        Ok(slot) => slot,
        Err(full) => {
            tracing::info!(%peer, reason = full.reason(), "WebSocket refused");
            return full.status().into_response();
        }
    };
    let mut ws = ws
        .max_message_size(st.max_message)
        .max_frame_size(st.max_message)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    let resume = st
        .resume
        .clone()
        .filter(|_| crate::resume::offered(headers));
    let protocol = match resume {
        Some(_) => Some(crate::resume::SUBPROTOCOL.to_string()),
        None => pick_protocol(headers),
    };
    if let Some(p) = protocol.and_then(|p| p.parse().ok()) {
        ws.set_selected_protocol(p);
    }
    let tx = st.tx.clone();
    let local = info.local;
    if let Some(hub) = resume {
        let idle = st.idle;
        return ws.on_upgrade(move |socket| resumable(socket, hub, tx, peer, local, slot, idle));
    }
    ws.on_upgrade(move |socket| async move {
        tracing::info!(%peer, "WebSocket SSH connection");
        // The server loop owns the connection from here; a full loop waits (back-pressure on
        // accepting, as for TCP).
        let _ = tx
            .send((
                Incoming::WebSocket(Box::new(WsIo::new(socket, Some(slot))), local),
                peer,
            ))
            .await;
    })
}

/// A WebSocket that negotiated `sshgate.resume.v1`: a resume goes to its session; a new one
/// becomes a pipe whose server end goes to the server loop and whose other end the resume
/// layer carries over this WebSocket and any that resume it.
async fn resumable(
    socket: axum::extract::ws::WebSocket,
    hub: Arc<crate::resume::hub::Hub>,
    tx: IncomingTx,
    peer: std::net::SocketAddr,
    local: Option<std::net::SocketAddr>,
    slot: super::limits::SessionSlot,
    idle: Option<std::time::Duration>,
) {
    use crate::resume::accept::{self, Opening};
    use crate::resume::session::{self, Params};
    let wait = std::time::Duration::from_secs(2);
    let (ws, first) = match accept::open(socket, &hub, peer, wait).await {
        Opening::New { ws, first } => (ws, first),
        Opening::HandedOver | Opening::Refused(_) => return,
    };
    let Ok((sid, rx)) = hub.register() else {
        return;
    };
    tracing::info!(%peer, "WebSocket SSH connection (resumable)");
    let (ours, server) = tokio::io::duplex(64 * 1024);
    if tx
        .send((Incoming::Resumable(server, local), peer))
        .await
        .is_err()
    {
        hub.remove(&sid);
        return;
    }
    let params = Params {
        hub,
        sid,
        rx,
        peer,
        first,
        idle,
        shutdown: None,
        meter: None,
    };
    session::run(ours, *ws, params).await;
    // The session's place under the listener's limits lasts as long as the session.
    drop(slot);
}
