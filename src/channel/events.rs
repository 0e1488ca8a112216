//! What the connection protocol tells the application, and the names it uses: channel ids,
//! channel types, global requests.

use super::request::ChannelRequest;

/// Our number for a channel (the RFC 4254 "sender channel" we gave the peer). Ids are not
/// reused: each channel takes the next number (wrapping only after 2^32 opens, skipping ids in
/// use), so an id kept after [`ChannelEvent::Closed`] names no channel and calls with it fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub u32);

impl core::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A channel type with its open-time fields (RFC 4254 §6.1, §7.1, §7.2, §6.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelKind {
    /// `session`: a shell, command or subsystem.
    Session,
    /// `direct-tcpip`: the client asks the server to connect to `host:port`.
    DirectTcpip {
        /// Where to connect.
        host: String,
        /// Port to connect to.
        port: u32,
        /// Address the forwarded connection came from, on the client's side.
        originator: String,
        /// Its port.
        originator_port: u32,
    },
    /// `forwarded-tcpip`: the server hands the client a connection to a port it listens on for
    /// the client (after `tcpip-forward`).
    ForwardedTcpip {
        /// The address that was connected to (as in the `tcpip-forward` request).
        address: String,
        /// The port that was connected to.
        port: u32,
        /// Where the connection came from.
        originator: String,
        /// Its port.
        originator_port: u32,
    },
    /// `x11`: an X11 connection forwarded to the client (only with `allow_x11`).
    X11 {
        /// Where the X11 connection came from.
        originator: String,
        /// Its port.
        originator_port: u32,
    },
}

impl ChannelKind {
    /// The channel type's wire name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Session => "session",
            ChannelKind::DirectTcpip { .. } => "direct-tcpip",
            ChannelKind::ForwardedTcpip { .. } => "forwarded-tcpip",
            ChannelKind::X11 { .. } => "x11",
        }
    }
}

/// Reason codes of SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1).
pub mod open_failure {
    /// Refused by policy.
    pub const ADMINISTRATIVELY_PROHIBITED: u32 = 1;
    /// The connection to the target failed.
    pub const CONNECT_FAILED: u32 = 2;
    /// The channel type is not supported.
    pub const UNKNOWN_CHANNEL_TYPE: u32 = 3;
    /// Too many channels, or out of memory.
    pub const RESOURCE_SHORTAGE: u32 = 4;
}

/// A global request from the peer (RFC 4254 §4, §7.1, OpenSSH PROTOCOL §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GlobalRequest {
    /// `tcpip-forward`: listen on `address:port` and forward connections back to the client.
    /// Port 0 asks the server to choose; the chosen port goes in the reply.
    TcpipForward {
        /// Address to bind (`""`, `"0.0.0.0"`, `"localhost"`, ...).
        address: String,
        /// Port to bind, 0 for any.
        port: u32,
    },
    /// `cancel-tcpip-forward`: stop a forwarding started with `tcpip-forward`.
    CancelTcpipForward {
        /// Address as given in `tcpip-forward`.
        address: String,
        /// Port as given (or as chosen).
        port: u32,
    },
}

/// Something the connection protocol tells the application or asks it to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The peer wants to open a channel. Answer with [`crate::Connection::accept_channel`] or
    /// [`crate::Connection::reject_channel`]. Types we never accept in this role were refused
    /// already and do not appear.
    OpenRequest {
        /// The id the channel will have.
        channel: ChannelId,
        /// Its type and open-time fields.
        kind: ChannelKind,
    },
    /// The peer confirmed a channel we opened.
    Opened {
        /// Which.
        channel: ChannelId,
    },
    /// The peer refused a channel we opened; the id is free again.
    OpenFailed {
        /// Which.
        channel: ChannelId,
        /// An [`open_failure`] code.
        reason: u32,
        /// The peer's text.
        description: String,
    },
    /// A channel request from the peer. If `want_reply`, answer with
    /// [`crate::Connection::answer_channel_request`]; answers go out in the order the requests
    /// came. Requests that make no sense in this role or on this channel type, and `x11-req`
    /// unless allowed, were refused already and do not appear.
    Request {
        /// Which channel.
        channel: ChannelId,
        /// The request.
        request: ChannelRequest,
        /// Whether the peer waits for an answer.
        want_reply: bool,
    },
    /// The peer's answer to one of our requests that wanted a reply, in the order sent.
    RequestAnswered {
        /// Which channel.
        channel: ChannelId,
        /// SSH_MSG_CHANNEL_SUCCESS or _FAILURE.
        success: bool,
    },
    /// Data from the peer. Call [`crate::Connection::consume`] once it is dealt with, so the
    /// peer may send more.
    Data {
        /// Which channel.
        channel: ChannelId,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Extended data (code 1 is stderr). Counts against the window like data.
    ExtendedData {
        /// Which channel.
        channel: ChannelId,
        /// The data type code.
        code: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The peer will send no more data on this channel.
    Eof {
        /// Which channel.
        channel: ChannelId,
    },
    /// Both sides have closed the channel; the id is free again.
    Closed {
        /// Which channel.
        channel: ChannelId,
    },
    /// A [`crate::Connection::send_data`] that took less than offered can now take more: the
    /// peer opened its window.
    Writable {
        /// Which channel.
        channel: ChannelId,
    },
    /// A global request from the peer. If `want_reply`, answer with
    /// [`crate::Connection::answer_global_request`], in order. `keepalive@openssh.com` and
    /// requests we do not know were answered already.
    GlobalRequest {
        /// The request.
        request: GlobalRequest,
        /// Whether the peer waits for an answer.
        want_reply: bool,
    },
    /// The peer's answer to one of our global requests, in the order sent.
    GlobalAnswered {
        /// The request's name (`tcpip-forward`, `keepalive@openssh.com`, ...).
        name: String,
        /// REQUEST_SUCCESS or REQUEST_FAILURE.
        success: bool,
        /// For a successful `tcpip-forward` to port 0: the port the peer chose.
        bound_port: Option<u32>,
    },
}
