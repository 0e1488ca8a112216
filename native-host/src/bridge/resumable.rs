//! A bridged session that negotiated `sshgate.resume.v1` (docs/resume-protocol.md): the
//! target's TCP connection is wrapped by the shared resume layer (`crate::resume`), so it
//! outlives a dropped WebSocket for the grace time and a reconnecting client continues it.
//! The target is dialled as in [`super::pump`]: on the first DATA frame, or after a moment.

use super::pump::{self, Ending, FIRST_MESSAGE_WAIT, SessionCtx};
use crate::resume::accept::{self, Opening};
use crate::resume::hub::Hub;
use crate::resume::session::{self, End, Params};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ending(end: End) -> Ending {
    match end {
        End::ClientClosed => Ending::ClientClosed,
        End::InnerClosed => Ending::TargetClosed,
        End::InnerError => Ending::TargetError,
        End::Expired => Ending::ResumeExpired,
        End::NotParked => Ending::ClientError,
        End::OutOfRange => Ending::ResumeRefused,
        End::IdleTimeout => Ending::IdleTimeout,
        End::Shutdown => Ending::Shutdown,
    }
}

/// Runs a resumable WebSocket: a resume is handed to its session; a new one is a session.
pub async fn run(ws: WebSocket, s: SessionCtx, hub: Arc<Hub>) {
    let (mut ws, first) = match accept::open(ws, &hub, s.peer, FIRST_MESSAGE_WAIT).await {
        Opening::New { ws, first } => (ws, first),
        Opening::HandedOver => {
            tracing::info!(source = %s.peer, target = %s.target.name, "bridge resume handed over");
            return;
        }
        Opening::Refused(why) => {
            tracing::info!(source = %s.peer, target = %s.target.name, why, "bridge resume refused");
            return;
        }
    };
    s.metrics.session_started();
    let start = Instant::now();
    let Some(tcp) = pump::dial(&s).await else {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let (code, reason) = Ending::ConnectFailed.close_code().unwrap_or((1011, ""));
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = ws.send(Message::Close(Some(frame))).await;
        })
        .await;
        finish(s, Ending::ConnectFailed, start, 0, 0, 0);
        return;
    };
    let (sid, rx) = match hub.register() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "no session id");
            finish(s, Ending::TargetError, start, 0, 0, 0);
            return;
        }
    };
    let metrics = s.metrics.clone();
    let report = session::run(
        tcp,
        *ws,
        Params {
            hub,
            sid,
            rx,
            peer: s.peer,
            first,
            idle: s.idle_timeout,
            shutdown: Some(s.shutdown.clone()),
            meter: Some(Arc::new(move |n, up| {
                if up {
                    metrics.add_up(n);
                } else {
                    metrics.add_down(n);
                }
            })),
        },
    )
    .await;
    let how = ending(report.end);
    finish(s, how, start, report.up, report.down, report.resumes);
}

/// The session's log line and metrics, as [`pump::run`] writes them.
fn finish(s: SessionCtx, how: Ending, start: Instant, up: u64, down: u64, resumes: u32) {
    let duration = start.elapsed();
    tracing::info!(
        source = %s.peer,
        target = %s.target.name,
        address = %s.target.address,
        bytes_client_to_target = up,
        bytes_target_to_client = down,
        duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        resumes,
        ended = how.label(),
        "bridge session"
    );
    let SessionCtx { slot, metrics, .. } = s;
    drop(slot);
    metrics.session_ended(how.label(), duration);
}
