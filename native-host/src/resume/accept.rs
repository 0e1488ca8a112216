//! A WebSocket that negotiated `sshgate.resume.v1`: its first frame says what it is. RESUME hands
//! it to the session it names (or refuses it with the documented close code); DATA, or nothing
//! for a moment (a client waiting for the server to speak), starts a new session.

use super::close;
use super::frame::{self, Frame};
use super::hub::{Attach, Hub, NotHanded};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;

/// What the first frame made of the socket.
pub enum Opening {
    /// A new session, with the client's first bytes if it spoke first.
    New {
        ws: Box<WebSocket>,
        first: Option<Bytes>,
    },
    /// Handed to the session it resumes; nothing more to do here.
    HandedOver,
    /// Refused (closed with a code) or gone before saying anything.
    Refused(&'static str),
}

async fn refuse(mut ws: Box<WebSocket>, code: u16, reason: &'static str) -> Opening {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = ws.send(Message::Close(Some(frame))).await;
        let _ = ws.close().await;
    })
    .await;
    Opening::Refused(reason)
}

/// Waits up to `wait` for the first frame and acts on it.
pub async fn open(ws: WebSocket, hub: &Hub, peer: SocketAddr, wait: Duration) -> Opening {
    let mut ws = Box::new(ws);
    let deadline = tokio::time::Instant::now() + wait;
    let msg = loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return Opening::New { ws, first: None },
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(Some(Ok(Message::Binary(b)))) => break b,
            Ok(Some(Ok(Message::Text(_)))) => {
                return refuse(ws, close::PROTOCOL, "binary messages only").await;
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                return Opening::Refused("client left early");
            }
        }
    };
    match frame::parse(&msg) {
        Ok(Frame::Data { ack: 0, payload }) => {
            let n = payload.len();
            Opening::New {
                first: Some(msg.slice(msg.len() - n..)),
                ws,
            }
        }
        Ok(Frame::Resume { sid, ack, pos }) => {
            match hub.hand_over(&sid, Attach { ws, ack, pos, peer }) {
                Ok(()) => Opening::HandedOver,
                Err((NotHanded::Unknown, a)) => {
                    tracing::info!(source = %peer, "resume of an unknown or expired session");
                    refuse(a.ws, close::UNKNOWN, "unknown or expired session").await
                }
                Err((NotHanded::Busy, a)) => {
                    refuse(a.ws, close::BUSY, "a resume of this session is in progress").await
                }
            }
        }
        _ => refuse(ws, close::PROTOCOL, "expected DATA or RESUME first").await,
    }
}
