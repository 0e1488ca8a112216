//! Messages from the peer. Each is checked against the state of the channel it names before it
//! is acted on: an unknown channel, a message for a channel that is not open yet, data past the
//! window or larger than our packet limit, a second CLOSE, an answer nobody asked for — each is
//! a protocol error that ends the connection.

use super::events::{ChannelEvent, ChannelId, ChannelKind, open_failure};
use super::messages::{self, Incoming};
use super::request::ChannelRequest;
use super::state::{Channel, Stage};
use super::{Channels, MAX_SEND_CHUNK};
use crate::event::Event;
use crate::layer::Ctx;
use crate::msg::CHANNEL_CLOSE;
use crate::{Error, Role};

pub(super) fn handle(chs: &mut Channels, ctx: &mut Ctx<'_>, payload: Vec<u8>) -> Result<(), Error> {
    match messages::decode(&payload)? {
        Incoming::GlobalRequest {
            name,
            want_reply,
            request,
        } => super::global::incoming_request(chs, ctx, name, want_reply, request),
        Incoming::RequestSuccess { data } => super::global::incoming_answer(chs, ctx, true, data),
        Incoming::RequestFailure => super::global::incoming_answer(chs, ctx, false, &[]),
        Incoming::Open {
            kind,
            name,
            sender,
            window,
            max_packet,
        } => {
            ctx.trace.step(|| crate::trace::TraceStep::ChannelOpen {
                kind: name.to_owned(),
            });
            open(chs, ctx, kind, name, sender, window, max_packet);
            Ok(())
        }
        Incoming::OpenConfirmation {
            recipient,
            sender,
            window,
            max_packet,
        } => confirmed(chs, ctx, recipient, sender, window, max_packet),
        Incoming::OpenFailure {
            recipient,
            reason,
            description,
        } => {
            opening(chs, recipient)?;
            chs.forget(recipient);
            ctx.emit(Event::Channel(ChannelEvent::OpenFailed {
                channel: ChannelId(recipient),
                reason,
                description,
            }));
            Ok(())
        }
        Incoming::WindowAdjust { recipient, bytes } => {
            ctx.trace.step(|| crate::trace::TraceStep::WindowAdjust {
                channel: recipient,
                bytes,
            });
            let ch = open_channel(chs, recipient)?;
            ch.send_window = ch.send_window.checked_add(bytes).ok_or_else(|| {
                Error::protocol(format!("channel {recipient}: window adjust overflows"))
            })?;
            if ch.writer_blocked && bytes > 0 && ch.can_send() {
                ch.writer_blocked = false;
                ctx.emit(Event::Channel(ChannelEvent::Writable {
                    channel: ChannelId(recipient),
                }));
            }
            Ok(())
        }
        // The data is the message's last field (decode checks nothing follows it), so the
        // payload itself becomes the event's bytes once the header is cut off.
        Incoming::Data { recipient, data } => {
            let len = data.len();
            received(chs, ctx, recipient, None, tail(payload, len))
        }
        Incoming::ExtendedData {
            recipient,
            code,
            data,
        } => {
            let len = data.len();
            received(chs, ctx, recipient, Some(code), tail(payload, len))
        }
        Incoming::Eof { recipient } => {
            let ch = open_channel(chs, recipient)?;
            // A repeated EOF changes nothing; OpenSSH tolerates it too.
            if !ch.eof_received {
                ch.eof_received = true;
                if !ch.close_sent {
                    ctx.emit(Event::Channel(ChannelEvent::Eof {
                        channel: ChannelId(recipient),
                    }));
                }
            }
            Ok(())
        }
        Incoming::Close { recipient } => {
            let ch = open_channel(chs, recipient)?;
            // RFC 4254 §5.3: "Upon receiving this message, a party MUST send back an
            // SSH_MSG_CHANNEL_CLOSE unless it has already sent this message for the channel."
            // Both sent and received: the channel is closed and its id leaves the table (the
            // RFC lets it be reused then; we take the next number anyway, see `next_id`).
            if !ch.close_sent {
                ch.close_sent = true;
                ctx.send(messages::bare(CHANNEL_CLOSE, ch.remote_id));
            }
            chs.release(ctx, recipient);
            Ok(())
        }
        Incoming::Request {
            recipient,
            want_reply,
            request,
        } => {
            ctx.trace.step(|| crate::trace::TraceStep::ChannelRequest {
                channel: recipient,
                request: request.as_ref().map_or("unknown", ChannelRequest::name),
                pty_size: match &request {
                    Some(ChannelRequest::Pty(p)) => Some((p.size.cols, p.size.rows)),
                    _ => None,
                },
            });
            channel_request(chs, ctx, recipient, want_reply, request)
        }
        Incoming::Success { recipient } => answered(chs, ctx, recipient, true),
        Incoming::Failure { recipient } => answered(chs, ctx, recipient, false),
    }
}

/// The channel `id` in stage `Open`, or a protocol error.
fn open_channel(chs: &mut Channels, id: u32) -> Result<&mut Channel, Error> {
    match chs.get_mut(id) {
        Some(ch) if ch.stage == Stage::Open => Ok(ch),
        Some(_) => Err(Error::protocol(format!("channel {id} is not open yet"))),
        None => Err(Error::protocol(format!("no channel {id}"))),
    }
}

/// Checks that `id` is a channel we are opening.
fn opening(chs: &Channels, id: u32) -> Result<(), Error> {
    match chs.get(id) {
        Some(ch) if ch.stage == Stage::Opening => Ok(()),
        _ => Err(Error::protocol(format!(
            "open answer for channel {id}, which we are not opening"
        ))),
    }
}

/// A CHANNEL_OPEN from the peer: refused here when the protocol or the role settles it, else
/// handed to the application.
fn open(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    kind: Option<ChannelKind>,
    name: &str,
    sender: u32,
    window: u32,
    max_packet: u32,
) {
    let refuse = |ctx: &mut Ctx<'_>, reason: u32, why: &str| {
        ctx.send(messages::open_failure(sender, reason, why));
    };
    let Some(kind) = kind else {
        return refuse(
            ctx,
            open_failure::UNKNOWN_CHANNEL_TYPE,
            &format!("unknown channel type {name}"),
        );
    };
    let allowed = match (&kind, chs.role) {
        (ChannelKind::Session | ChannelKind::DirectTcpip { .. }, Role::Server) => true,
        (ChannelKind::ForwardedTcpip { .. }, Role::Client) => true,
        (ChannelKind::X11 { .. }, Role::Client) => chs.cfg.allow_x11,
        _ => false,
    };
    if !allowed {
        return refuse(
            ctx,
            open_failure::ADMINISTRATIVELY_PROHIBITED,
            &format!("{name} channels are not accepted"),
        );
    }
    if kind == ChannelKind::Session && chs.no_more_sessions {
        return refuse(
            ctx,
            open_failure::ADMINISTRATIVELY_PROHIBITED,
            "no more sessions (no-more-sessions@openssh.com)",
        );
    }
    let mut ch = Channel::new(kind.clone(), Stage::AwaitingAccept, chs.cfg.window);
    ch.remote_id = sender;
    ch.send_window = window;
    // A zero maximum would stall the channel forever; send one byte at a time instead.
    ch.send_max_packet = max_packet.clamp(1, MAX_SEND_CHUNK);
    match chs.allocate(ch) {
        Some(channel) => ctx.emit(Event::Channel(ChannelEvent::OpenRequest { channel, kind })),
        None => refuse(
            ctx,
            open_failure::RESOURCE_SHORTAGE,
            "too many channels open",
        ),
    }
}

fn confirmed(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    recipient: u32,
    sender: u32,
    window: u32,
    max_packet: u32,
) -> Result<(), Error> {
    opening(chs, recipient)?;
    let Some(ch) = chs.get_mut(recipient) else {
        return Ok(());
    };
    ch.stage = Stage::Open;
    ch.remote_id = sender;
    ch.send_window = window;
    ch.send_max_packet = max_packet.clamp(1, MAX_SEND_CHUNK);
    if ch.close_on_open {
        ch.close_sent = true;
        ctx.send(messages::bare(CHANNEL_CLOSE, sender));
    } else {
        ctx.emit(Event::Channel(ChannelEvent::Opened {
            channel: ChannelId(recipient),
        }));
    }
    Ok(())
}

/// The last `len` bytes of `payload`, in its own allocation (a shift, not a new buffer).
fn tail(mut payload: Vec<u8>, len: usize) -> Vec<u8> {
    payload.drain(..payload.len() - len);
    payload
}

/// DATA or EXTENDED_DATA: within the window and our packet limit, or the connection ends.
fn received(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    recipient: u32,
    code: Option<u32>,
    data: Vec<u8>,
) -> Result<(), Error> {
    let max_packet = chs.cfg.max_packet;
    let ch = open_channel(chs, recipient)?;
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    if len > max_packet {
        return Err(Error::protocol(format!(
            "channel {recipient}: {len} bytes of data exceed the maximum packet size {max_packet}"
        )));
    }
    if len > ch.recv_window {
        return Err(Error::protocol(format!(
            "channel {recipient}: {len} bytes of data exceed the window ({} left)",
            ch.recv_window
        )));
    }
    if ch.eof_received {
        return Err(Error::protocol(format!(
            "channel {recipient}: data after EOF"
        )));
    }
    ch.recv_window -= len;
    if ch.close_sent {
        // We are closing: the peer sent this before our CLOSE reached it (RFC 4254 §5.3 lets
        // data flow until the peer's own CLOSE); dropped, unseen.
        return Ok(());
    }
    ch.unconsumed += len;
    let channel = ChannelId(recipient);
    ctx.emit(Event::Channel(match code {
        None => ChannelEvent::Data { channel, data },
        Some(code) => ChannelEvent::ExtendedData {
            channel,
            code,
            data,
        },
    }));
    Ok(())
}

/// A CHANNEL_REQUEST: refused here if the protocol settles it, else handed on.
fn channel_request(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    recipient: u32,
    want_reply: bool,
    request: Option<ChannelRequest>,
) -> Result<(), Error> {
    let role = chs.role;
    let allow_x11 = chs.cfg.allow_x11;
    let ch = open_channel(chs, recipient)?;
    if ch.close_sent {
        // Closing: nothing more is acted on, and the peer's CLOSE settles its pending requests.
        return Ok(());
    }
    let acceptable = request.filter(|r| {
        let from_peer = r.sender() != role;
        let on_session = ch.kind == ChannelKind::Session;
        let x11_ok = !matches!(r, ChannelRequest::X11(_)) || allow_x11;
        from_peer && on_session && x11_ok
    });
    match acceptable {
        Some(request) => {
            if want_reply {
                ch.replies_owed.push_back(None);
            }
            ctx.emit(Event::Channel(ChannelEvent::Request {
                channel: ChannelId(recipient),
                request,
                want_reply,
            }));
        }
        None if want_reply => {
            // Unknown requests, or ones this side never honours: FAILURE, in turn.
            ch.replies_owed.push_back(Some(false));
            Channels::flush_replies(ctx, ch);
        }
        None => {}
    }
    Ok(())
}

/// CHANNEL_SUCCESS / CHANNEL_FAILURE for one of our requests.
fn answered(
    chs: &mut Channels,
    ctx: &mut Ctx<'_>,
    recipient: u32,
    success: bool,
) -> Result<(), Error> {
    let ch = open_channel(chs, recipient)?;
    if ch.replies_awaited == 0 {
        return Err(Error::protocol(format!(
            "channel {recipient}: request answer without a request"
        )));
    }
    ch.replies_awaited -= 1;
    if !ch.close_sent {
        ctx.emit(Event::Channel(ChannelEvent::RequestAnswered {
            channel: ChannelId(recipient),
            success,
        }));
    }
    Ok(())
}
