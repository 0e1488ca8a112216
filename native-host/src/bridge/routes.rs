//! The bridge's HTTP routes: `GET /ssh/NAME` (the WebSocket), `GET /targets` (names and
//! descriptions, never addresses), `GET /metrics`, and static files at `/`. Every refusal is an
//! HTTP answer to the upgrade request, before any connection to a target: a `Host` the bridge
//! does not answer to 421 (`web::host`, checked before any route), foreign Origin 403,
//! missing or wrong token 401, unknown name 404, per-source limit 429, total limit 503.

use super::config::Target;
use super::metrics::Metrics;
use super::pump::{self, SessionCtx};
use crate::shutdown::Shutdown;
use crate::web::gate::{Gate, pick_protocol};
use crate::web::limits::SessionLimits;
use crate::web::server::ConnInfo;
use crate::web::settings::Limits;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the handlers share.
pub struct BridgeState {
    /// Targets by name.
    pub targets: BTreeMap<String, Target>,
    /// Origin and token.
    pub gate: Gate,
    /// Open sessions.
    pub limits: Arc<SessionLimits>,
    /// Time-outs and sizes.
    pub settings: Limits,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Process shutdown.
    pub shutdown: Shutdown,
    /// Resumable sessions (`sshgate.resume.v1`), unless resume is off.
    pub resume: Option<Arc<crate::resume::hub::Hub>>,
}

/// The router, with `static_dir` (or the placeholder page) at `/`.
pub fn router(state: Arc<BridgeState>, static_dir: Option<&std::path::Path>) -> Router {
    let r = Router::new()
        .route("/ssh/{name}", get(ssh))
        .route("/targets", get(targets))
        .route("/metrics", get(metrics))
        .with_state(state);
    crate::web::files::with_static(r, static_dir)
}

fn refuse(
    st: &BridgeState,
    peer: std::net::SocketAddr,
    status: StatusCode,
    reason: &'static str,
) -> Response {
    st.metrics.refused(reason);
    tracing::info!(source = %peer, reason, status = status.as_u16(), "bridge refused");
    (status, format!("{reason}\n")).into_response()
}

async fn ssh(
    State(st): State<Arc<BridgeState>>,
    Path(name): Path<String>,
    Extension(info): Extension<ConnInfo>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let peer = info.peer;
    if let Err(denied) = st.gate.check(&headers, query.as_deref(), info.tls) {
        return refuse(&st, peer, denied.status(), denied.reason());
    }
    let Some(target) = st.targets.get(&name) else {
        return refuse(&st, peer, StatusCode::NOT_FOUND, "unknown_target");
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            st.metrics.refused("not_websocket");
            return rejection.into_response();
        }
    };
    let slot = match st.limits.try_acquire(peer.ip()) {
        Ok(slot) => slot,
        Err(full) => return refuse(&st, peer, full.status(), full.reason()),
    };
    let max = st.settings.max_message_bytes;
    // Small read buffers: a thousand idle terminals should not hold 128 KiB each. No write
    // buffering: every message is flushed, which is what makes `send` the back-pressure point.
    let mut ws = ws
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
        // Room for one whole message (and a control frame) while the socket would block.
        .max_write_buffer_size(2 * pump::CHUNK + 1024);
    // A client that offers the resume subprotocol gets it (when on); others the plain bytes.
    let resume = st
        .resume
        .clone()
        .filter(|_| crate::resume::offered(&headers));
    let protocol = match resume {
        Some(_) => Some(crate::resume::SUBPROTOCOL.to_string()),
        None => pick_protocol(&headers),
    };
    if let Some(p) = protocol.and_then(|p| p.parse().ok()) {
        ws.set_selected_protocol(p);
    }
    let ctx = SessionCtx {
        peer,
        target: target.clone(),
        metrics: st.metrics.clone(),
        shutdown: st.shutdown.clone(),
        idle_timeout: st.settings.idle_timeout(),
        connect_timeout: st.settings.connect_timeout(),
        ping: st.settings.ws_ping(),
        slot,
    };
    match resume {
        Some(hub) => ws.on_upgrade(move |socket| super::resumable::run(socket, ctx, hub)),
        None => ws.on_upgrade(move |socket| pump::run(socket, ctx)),
    }
}

#[derive(Serialize)]
struct TargetView<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

async fn targets(
    State(st): State<Arc<BridgeState>>,
    Extension(info): Extension<ConnInfo>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(denied) = st.gate.check(&headers, query.as_deref(), info.tls) {
        return denied.status().into_response();
    }
    let list: Vec<TargetView> = st
        .targets
        .values()
        .map(|t| TargetView {
            name: &t.name,
            description: t.description.as_deref(),
        })
        .collect();
    ([(header::CACHE_CONTROL, "no-store")], Json(list)).into_response()
}

async fn metrics(
    State(st): State<Arc<BridgeState>>,
    Extension(info): Extension<ConnInfo>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(denied) = st.gate.check(&headers, query.as_deref(), info.tls) {
        return denied.status().into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        st.metrics.render(),
    )
        .into_response()
}
