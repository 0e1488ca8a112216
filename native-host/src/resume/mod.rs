//! The resume protocol (`sshgate.resume.v1`, docs/resume-protocol.md), shared by the bridge and
//! serve's WebSocket listener. It wraps any byte stream (the bridge's TCP connection to a
//! target, or the device server's end of an in-process pipe): the stream outlives the
//! WebSockets that carry it, and a client that comes back within the grace time continues it.
//!
//! `frame`: the wire format; `replay`: the bounded buffer of unacknowledged bytes; `hub`: the
//! sessions by id and the limits on parked ones; `session`: one session's task; `accept`: a new
//! WebSocket's first frame decides between a new session and a resume.

pub mod accept;
pub mod frame;
pub mod hub;
pub mod replay;
pub mod session;

use std::time::Duration;

/// The WebSocket subprotocol a client offers to speak frames instead of raw SSH bytes.
pub const SUBPROTOCOL: &str = "sshgate.resume.v1";

/// Close codes (docs/resume-protocol.md, "Refusals").
pub mod close {
    /// Replaced by a newer resume of the same session.
    pub const REPLACED: u16 = 4002;
    /// Unknown or expired session id.
    pub const UNKNOWN: u16 = 4404;
    /// A resume of this session is already in progress.
    pub const BUSY: u16 = 4409;
    /// `ack`/`pos` out of range: the session cannot continue.
    pub const OUT_OF_RANGE: u16 = 4416;
    /// Malformed frame.
    pub const PROTOCOL: u16 = 1002;
}

/// Resume settings of a listener (`[....limits]`, `resume_*` and `ws_ping_seconds`).
#[derive(Debug, Clone)]
pub struct ResumeSettings {
    /// How long a dropped session waits for its client.
    pub grace: Duration,
    /// Replay buffer bytes per direction.
    pub buffer: usize,
    /// Parked sessions in all.
    pub max_parked: usize,
    /// Parked sessions per source.
    pub max_parked_per_source: usize,
    /// WebSocket ping interval; two silent intervals count as a drop.
    pub ping: Duration,
}

/// Whether the client offered the subprotocol (`Sec-WebSocket-Protocol`, any of the values).
#[must_use]
pub fn offered(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}
