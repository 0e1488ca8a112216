//! Wire form of messages 80..=100 (RFC 4254). Decoders bound every string before it is copied
//! and refuse trailing bytes; the channel-specific tails (open fields, request fields) are
//! decoded by their own modules from the reader handed over.

use super::events::{ChannelKind, GlobalRequest};
use super::request::{ChannelRequest, bounded, text};
use crate::Error;
use crate::msg::*;
use crate::wire::{Reader, Writer};

/// Longest channel type, request name or global request name.
const MAX_TYPE: usize = 64;
/// Longest host name or address in open fields and forwarding requests.
const MAX_HOST: usize = 1024;
/// Longest open-failure description or language tag kept.
const MAX_TEXT: usize = 4096;

/// An incoming connection-protocol message.
#[derive(Debug)]
pub(crate) enum Incoming<'a> {
    GlobalRequest {
        name: &'a str,
        want_reply: bool,
        request: Option<GlobalRequest>,
    },
    RequestSuccess {
        data: &'a [u8],
    },
    RequestFailure,
    Open {
        /// `None` for a type we do not know (refused with UNKNOWN_CHANNEL_TYPE).
        kind: Option<ChannelKind>,
        name: &'a str,
        sender: u32,
        window: u32,
        max_packet: u32,
    },
    OpenConfirmation {
        recipient: u32,
        sender: u32,
        window: u32,
        max_packet: u32,
    },
    OpenFailure {
        recipient: u32,
        reason: u32,
        description: String,
    },
    WindowAdjust {
        recipient: u32,
        bytes: u32,
    },
    Data {
        recipient: u32,
        data: &'a [u8],
    },
    ExtendedData {
        recipient: u32,
        code: u32,
        data: &'a [u8],
    },
    Eof {
        recipient: u32,
    },
    Close {
        recipient: u32,
    },
    Request {
        recipient: u32,
        want_reply: bool,
        /// `None` for a type we do not know.
        request: Option<ChannelRequest>,
    },
    Success {
        recipient: u32,
    },
    Failure {
        recipient: u32,
    },
}

fn name<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<&'a str, Error> {
    core::str::from_utf8(bounded(r, MAX_TYPE, what)?)
        .map_err(|_| Error::protocol(format!("{what} is not UTF-8")))
}

/// Decodes one message (message number first).
pub(crate) fn decode(payload: &[u8]) -> Result<Incoming<'_>, Error> {
    let mut r = Reader::new(payload);
    let msg = r.u8("message number")?;
    let m = match msg {
        GLOBAL_REQUEST => {
            let name = name(&mut r, "request name")?;
            let want_reply = r.bool("want reply")?;
            let request = match name {
                "tcpip-forward" | "cancel-tcpip-forward" => {
                    let address = text(&mut r, MAX_HOST, "bind address")?;
                    let port = r.u32("bind port")?;
                    r.finish()?;
                    Some(if name == "tcpip-forward" {
                        GlobalRequest::TcpipForward { address, port }
                    } else {
                        GlobalRequest::CancelTcpipForward { address, port }
                    })
                }
                // Unknown requests carry fields we cannot parse; they are refused unread.
                _ => None,
            };
            return Ok(Incoming::GlobalRequest {
                name,
                want_reply,
                request,
            });
        }
        REQUEST_SUCCESS => {
            // Request-specific data (a bound port) follows; the caller knows which request.
            return Ok(Incoming::RequestSuccess { data: r.rest() });
        }
        REQUEST_FAILURE => Incoming::RequestFailure,
        CHANNEL_OPEN => {
            let name = name(&mut r, "channel type")?;
            let sender = r.u32("sender channel")?;
            let window = r.u32("initial window size")?;
            let max_packet = r.u32("maximum packet size")?;
            let kind = decode_kind(name, &mut r)?;
            let open = Incoming::Open {
                kind,
                name,
                sender,
                window,
                max_packet,
            };
            if matches!(open, Incoming::Open { kind: None, .. }) {
                // The fields of an unknown type are not ours to judge; it is refused anyway.
                return Ok(open);
            }
            open
        }
        CHANNEL_OPEN_CONFIRMATION => {
            let m = Incoming::OpenConfirmation {
                recipient: r.u32("recipient channel")?,
                sender: r.u32("sender channel")?,
                window: r.u32("initial window size")?,
                max_packet: r.u32("maximum packet size")?,
            };
            // Type-specific data may follow; none of the types we open defines any.
            return Ok(m);
        }
        CHANNEL_OPEN_FAILURE => {
            let recipient = r.u32("recipient channel")?;
            let reason = r.u32("reason code")?;
            let description = text(&mut r, MAX_TEXT, "description")?;
            // Some old peers omit the language tag; accept its absence.
            if r.remaining() > 0 {
                bounded(&mut r, MAX_TEXT, "language tag")?;
            }
            Incoming::OpenFailure {
                recipient,
                reason,
                description,
            }
        }
        CHANNEL_WINDOW_ADJUST => Incoming::WindowAdjust {
            recipient: r.u32("recipient channel")?,
            bytes: r.u32("bytes to add")?,
        },
        CHANNEL_DATA => Incoming::Data {
            recipient: r.u32("recipient channel")?,
            data: r.string("data")?,
        },
        CHANNEL_EXTENDED_DATA => Incoming::ExtendedData {
            recipient: r.u32("recipient channel")?,
            code: r.u32("data type code")?,
            data: r.string("data")?,
        },
        CHANNEL_EOF => Incoming::Eof {
            recipient: r.u32("recipient channel")?,
        },
        CHANNEL_CLOSE => Incoming::Close {
            recipient: r.u32("recipient channel")?,
        },
        CHANNEL_REQUEST => {
            let recipient = r.u32("recipient channel")?;
            let name = name(&mut r, "request type")?;
            let want_reply = r.bool("want reply")?;
            let request = ChannelRequest::decode(name, &mut r)?;
            return Ok(Incoming::Request {
                recipient,
                want_reply,
                request,
            });
        }
        CHANNEL_SUCCESS => Incoming::Success {
            recipient: r.u32("recipient channel")?,
        },
        CHANNEL_FAILURE => Incoming::Failure {
            recipient: r.u32("recipient channel")?,
        },
        other => {
            return Err(Error::protocol(format!(
                "message {other} is not part of the connection protocol"
            )));
        }
    };
    r.finish()?;
    Ok(m)
}

/// The type-specific fields of CHANNEL_OPEN; `None` for an unknown type.
fn decode_kind(name: &str, r: &mut Reader<'_>) -> Result<Option<ChannelKind>, Error> {
    let kind = match name {
        "session" => ChannelKind::Session,
        "direct-tcpip" => ChannelKind::DirectTcpip {
            host: text(r, MAX_HOST, "host to connect")?,
            port: r.u32("port to connect")?,
            originator: text(r, MAX_HOST, "originator address")?,
            originator_port: r.u32("originator port")?,
        },
        "forwarded-tcpip" => ChannelKind::ForwardedTcpip {
            address: text(r, MAX_HOST, "address that was connected")?,
            port: r.u32("port that was connected")?,
            originator: text(r, MAX_HOST, "originator address")?,
            originator_port: r.u32("originator port")?,
        },
        "x11" => ChannelKind::X11 {
            originator: text(r, MAX_HOST, "originator address")?,
            originator_port: r.u32("originator port")?,
        },
        _ => return Ok(None),
    };
    Ok(Some(kind))
}

/// CHANNEL_OPEN for `kind`.
pub(crate) fn open(kind: &ChannelKind, sender: u32, window: u32, max_packet: u32) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_OPEN);
    w.string(kind.name().as_bytes())
        .u32(sender)
        .u32(window)
        .u32(max_packet);
    match kind {
        ChannelKind::Session => {}
        ChannelKind::DirectTcpip {
            host,
            port,
            originator,
            originator_port,
        } => {
            w.string(host.as_bytes())
                .u32(*port)
                .string(originator.as_bytes())
                .u32(*originator_port);
        }
        ChannelKind::ForwardedTcpip {
            address,
            port,
            originator,
            originator_port,
        } => {
            w.string(address.as_bytes())
                .u32(*port)
                .string(originator.as_bytes())
                .u32(*originator_port);
        }
        ChannelKind::X11 {
            originator,
            originator_port,
        } => {
            w.string(originator.as_bytes()).u32(*originator_port);
        }
    }
    w.into_vec()
}

pub(crate) fn open_confirmation(recipient: u32, sender: u32, window: u32, max: u32) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_OPEN_CONFIRMATION);
    w.u32(recipient).u32(sender).u32(window).u32(max);
    w.into_vec()
}

pub(crate) fn open_failure(recipient: u32, reason: u32, description: &str) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_OPEN_FAILURE);
    w.u32(recipient)
        .u32(reason)
        .string(description.as_bytes())
        .string(b"");
    w.into_vec()
}

pub(crate) fn window_adjust(recipient: u32, bytes: u32) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_WINDOW_ADJUST);
    w.u32(recipient).u32(bytes);
    w.into_vec()
}

/// The longest CHANNEL_DATA / CHANNEL_EXTENDED_DATA header: message number, recipient,
/// data type code, length.
pub(crate) const DATA_HEADER_MAX: usize = 13;

/// The header of CHANNEL_DATA (or CHANNEL_EXTENDED_DATA when `code` is given) carrying `len`
/// bytes, and its length: the bytes follow it in the packet as they are.
pub(crate) fn data_header(
    recipient: u32,
    code: Option<u32>,
    len: u32,
) -> ([u8; DATA_HEADER_MAX], usize) {
    let mut h = [0u8; DATA_HEADER_MAX];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        h[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    match code {
        None => {
            put(&[CHANNEL_DATA]);
            put(&recipient.to_be_bytes());
        }
        Some(c) => {
            put(&[CHANNEL_EXTENDED_DATA]);
            put(&recipient.to_be_bytes());
            put(&c.to_be_bytes());
        }
    }
    put(&len.to_be_bytes());
    (h, n)
}

/// A message that carries only the recipient channel (EOF, CLOSE, SUCCESS, FAILURE).
pub(crate) fn bare(msg: u8, recipient: u32) -> Vec<u8> {
    let mut w = Writer::message(msg);
    w.u32(recipient);
    w.into_vec()
}

pub(crate) fn request(recipient: u32, req: &ChannelRequest, want_reply: bool) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_REQUEST);
    w.u32(recipient)
        .string(req.name().as_bytes())
        .bool(want_reply);
    req.encode_fields(&mut w);
    w.into_vec()
}

/// GLOBAL_REQUEST with its fields already encoded.
pub(crate) fn global_request(name: &str, want_reply: bool, fields: &[u8]) -> Vec<u8> {
    let mut w = Writer::message(GLOBAL_REQUEST);
    w.string(name.as_bytes()).bool(want_reply).raw(fields);
    w.into_vec()
}

/// REQUEST_SUCCESS (with a bound port for `tcpip-forward` to port 0) or REQUEST_FAILURE.
pub(crate) fn global_reply(success: bool, bound_port: Option<u32>) -> Vec<u8> {
    if !success {
        return vec![REQUEST_FAILURE];
    }
    let mut w = Writer::message(REQUEST_SUCCESS);
    if let Some(p) = bound_port {
        w.u32(p);
    }
    w.into_vec()
}
