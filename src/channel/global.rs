//! Global requests (RFC 4254 §4) both ways. Answers go out in the order the requests came, so an
//! answer the engine decides by itself (unknown requests, `keepalive@openssh.com`) waits behind
//! one the application is still deciding.

use super::events::{ChannelEvent, GlobalRequest};
use super::{Channels, messages};
use crate::event::Event;
use crate::layer::Ctx;
use crate::wire::Writer;
use crate::{Error, Role};

/// OpenSSH's keepalive: any answer, even FAILURE, proves the peer alive.
pub(crate) const KEEPALIVE: &str = "keepalive@openssh.com";
/// OpenSSH: the client will open no more sessions (a hardening against a hijacked client).
pub(crate) const NO_MORE_SESSIONS: &str = "no-more-sessions@openssh.com";

pub(super) fn incoming_request(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    name: &str,
    want_reply: bool,
    request: Option<GlobalRequest>,
) -> Result<(), Error> {
    let decided = match (&request, chs.role) {
        // Forwarding is asked of servers only; the application decides.
        (Some(_), Role::Server) => None,
        _ if name == NO_MORE_SESSIONS && chs.role == Role::Server => {
            chs.no_more_sessions = true;
            Some(true)
        }
        // keepalive@openssh.com, hostkeys-00@openssh.com and anything unknown.
        _ => Some(false),
    };
    match (decided, request) {
        (None, Some(request)) => {
            if want_reply {
                chs.global_owed.push_back(None);
            }
            ctx.emit(Event::Channel(ChannelEvent::GlobalRequest {
                request,
                want_reply,
            }));
        }
        (Some(ok), _) if want_reply => {
            chs.global_owed.push_back(Some((ok, None)));
            flush(chs, ctx);
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn incoming_answer(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    success: bool,
    data: &[u8],
) -> Result<(), Error> {
    let Some((name, port_zero)) = chs.global_awaited.pop_front() else {
        return Err(Error::protocol("global request answer without a request"));
    };
    // RFC 4254 §7.1: a server that chose the port for `tcpip-forward` to port 0 says which.
    let bound_port = match data {
        [a, b, c, d] if success && port_zero => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    };
    ctx.emit(Event::Channel(ChannelEvent::GlobalAnswered {
        name,
        success,
        bound_port,
    }));
    Ok(())
}

/// The application's answer to the oldest undecided global request.
pub(crate) fn answer(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    success: bool,
    bound_port: Option<u32>,
) -> Result<(), Error> {
    let Some(slot) = chs.global_owed.iter_mut().find(|s| s.is_none()) else {
        return Err(Error::misuse("no global request waits for an answer"));
    };
    *slot = Some((success, bound_port));
    flush(chs, ctx);
    Ok(())
}

/// Sends the decided answers at the front of the queue.
fn flush(chs: &mut Channels, ctx: &mut Ctx<'_>) {
    while let Some(Some((ok, port))) = chs.global_owed.front().copied() {
        chs.global_owed.pop_front();
        ctx.send(messages::global_reply(ok, port));
    }
}

/// Sends a global request of ours.
pub(crate) fn send(chs: &mut Channels, ctx: &mut Ctx<'_>, request: &GlobalRequest) {
    let (name, address, port) = match request {
        GlobalRequest::TcpipForward { address, port } => ("tcpip-forward", address, *port),
        GlobalRequest::CancelTcpipForward { address, port } => {
            ("cancel-tcpip-forward", address, *port)
        }
    };
    let mut fields = Writer::new();
    fields.string(address.as_bytes()).u32(port);
    ctx.send(messages::global_request(name, true, fields.as_slice()));
    let port_zero = name == "tcpip-forward" && port == 0;
    chs.global_awaited.push_back((name.to_string(), port_zero));
}

/// Sends a request without fields: `keepalive@openssh.com` (wants an answer) or
/// `no-more-sessions@openssh.com` (does not).
pub(crate) fn send_bare(chs: &mut Channels, ctx: &mut Ctx<'_>, name: &str, want_reply: bool) {
    ctx.send(messages::global_request(name, want_reply, &[]));
    if want_reply {
        chs.global_awaited.push_back((name.to_string(), false));
    }
}
