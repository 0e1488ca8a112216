//! Port forwarding for `ssh`, as OpenSSH's ssh(1) does it: `-L` (a local listener whose
//! connections become `direct-tcpip` channels, [`local`]), `-R` (`tcpip-forward` and the
//! `forwarded-tcpip` channels the server opens back, [`remote`]), `-D` (a local SOCKS proxy,
//! [`socks`]), `-W` (standard input and output as one `direct-tcpip` channel) and `-J` (each
//! hop's SSH connection carried in the previous hop's `direct-tcpip` channel, [`jump`]).
//!
//! Every forwarded connection is relayed with the same flow control as the session: a reader
//! task (`channel_io::reader`) hands the socket's bytes to the engine under a permit, so a full
//! window stops reading; a writer task writes the channel's data to the socket and only then
//! gives the window back (`consume`), so a slow local peer stops the remote one. Nothing is
//! buffered beyond the window and the reader's few chunks.

pub mod jump;
pub mod local;
mod relay;
pub mod remote;
pub mod socks;
pub mod spec;

use crate::app_msg::AppMsg;
use crate::channel_io::outbox::{Item, Outboxes};
use crate::channel_io::reader;
use crate::channel_io::stoppable::Stoppable;
use crate::driver::Flow;
use relay::spawn_writer;
use spec::{DynamicForward, PortForward, Target};
use sshgate::Connection;
use sshgate::channel::{ChannelEvent, ChannelId, ChannelKind, open_failure};
use std::collections::HashMap;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// A byte stream a forward relays: a TCP socket, standard input and output, one end of an
/// in-memory pipe carrying the next hop's SSH connection.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// A boxed [`Stream`].
pub type BoxStream = Box<dyn Stream>;

/// A local connection waiting for its channel.
pub struct Pending {
    /// The local end.
    pub stream: BoxStream,
    /// Where the server should connect.
    pub target: Target,
    /// Who connected, for the channel's originator fields.
    pub originator: (String, u32),
    /// The SOCKS version whose reply the client waits for (`-D`), if any.
    pub socks: Option<socks::Version>,
}

/// What the forwarding tasks tell the connection task.
pub enum ForwardMsg {
    /// A connection to forward (a `-L` or `-D` listener's).
    Connection(Pending),
    /// A `-R` connection's local side is connected (or could not be).
    Connected {
        /// The `forwarded-tcpip` channel waiting for it.
        channel: ChannelId,
        /// The socket, or why not.
        result: std::io::Result<tokio::net::TcpStream>,
    },
    /// Writing a channel's data to its local socket failed: the channel closes.
    WriteFailed {
        /// Which channel.
        channel: ChannelId,
    },
}

impl std::fmt::Debug for ForwardMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForwardMsg::Connection(p) => {
                write!(f, "Connection({}:{})", p.target.host, p.target.port)
            }
            ForwardMsg::Connected { channel, result } => {
                write!(f, "Connected({channel}, {})", result.is_ok())
            }
            ForwardMsg::WriteFailed { channel } => write!(f, "WriteFailed({channel})"),
        }
    }
}

/// What to forward on one connection.
#[derive(Default)]
pub struct Plan {
    /// `-L`.
    pub local: Vec<PortForward>,
    /// `-R`.
    pub remote: Vec<PortForward>,
    /// `-D`.
    pub dynamic: Vec<DynamicForward>,
    /// `-W` (standard input and output) or a jump hop (the next hop's pipe): one stream whose
    /// channel is the connection's purpose, so its end ends the connection.
    pub stdio: Option<(BoxStream, Target)>,
    /// `ExitOnForwardFailure`.
    pub exit_on_failure: bool,
    /// `GatewayPorts`.
    pub gateway_ports: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-q`.
    pub quiet: bool,
}

impl Plan {
    /// The forwards the command line asked for.
    #[must_use]
    pub fn from_settings(s: &super::options::ClientSettings) -> Self {
        Plan {
            local: s.local_forwards.clone(),
            remote: s.remote_forwards.clone(),
            dynamic: s.dynamic_forwards.clone(),
            stdio: s.stdio_forward.clone().map(|t| {
                let io: BoxStream =
                    Box::new(tokio::io::join(tokio::io::stdin(), tokio::io::stdout()));
                (io, t)
            }),
            exit_on_failure: s.exit_on_forward_failure,
            gateway_ports: s.gateway_ports,
            verbose: s.verbose > 0,
            quiet: s.quiet,
        }
    }
}

/// One forwarded channel.
#[derive(Default)]
struct Fwd {
    /// The local end, until the channel is open.
    stream: Option<BoxStream>,
    /// The SOCKS reply owed once the open is answered.
    socks: Option<socks::Version>,
    /// To the writer task; dropped at the peer's EOF (the task then shuts the socket's write
    /// side).
    writer: Option<mpsc::UnboundedSender<Vec<u8>>>,
    /// Dropping it stops the reader task.
    _stop: Option<oneshot::Sender<()>>,
    sent_eof: bool,
    got_eof: bool,
}

/// The forwarding state of one connection.
pub struct Forwards {
    plan: Plan,
    app: mpsc::Sender<AppMsg>,
    channels: HashMap<ChannelId, Fwd>,
    outboxes: Outboxes,
    listeners: Vec<tokio::task::JoinHandle<()>>,
    remote: remote::Remote,
    /// The `-W` / jump channel.
    stdio: Option<ChannelId>,
    /// A forward could not be set up and that ends the run with 255 (`-W`, a jump hop,
    /// `ExitOnForwardFailure`).
    pub failed: bool,
}

impl Drop for Forwards {
    fn drop(&mut self) {
        for l in &self.listeners {
            l.abort();
        }
    }
}

/// The channel an event is about, if any.
#[must_use]
pub fn channel_of(ev: &ChannelEvent) -> Option<ChannelId> {
    match ev {
        ChannelEvent::OpenRequest { channel, .. }
        | ChannelEvent::Opened { channel }
        | ChannelEvent::OpenFailed { channel, .. }
        | ChannelEvent::Request { channel, .. }
        | ChannelEvent::RequestAnswered { channel, .. }
        | ChannelEvent::Data { channel, .. }
        | ChannelEvent::ExtendedData { channel, .. }
        | ChannelEvent::Eof { channel }
        | ChannelEvent::Closed { channel }
        | ChannelEvent::Writable { channel } => Some(*channel),
        _ => None,
    }
}

/// OpenSSH's words for an open failure code.
fn reason_text(reason: u32) -> &'static str {
    match reason {
        open_failure::ADMINISTRATIVELY_PROHIBITED => "administratively prohibited",
        open_failure::CONNECT_FAILED => "connect failed",
        open_failure::UNKNOWN_CHANNEL_TYPE => "unknown channel type",
        open_failure::RESOURCE_SHORTAGE => "resource shortage",
        _ => "unknown reason",
    }
}

impl Forwards {
    /// Forwards for `plan`; tasks report on `app`.
    #[must_use]
    pub fn new(plan: Plan, app: mpsc::Sender<AppMsg>) -> Self {
        Forwards {
            plan,
            app,
            channels: HashMap::new(),
            outboxes: Outboxes::default(),
            listeners: Vec::new(),
            remote: remote::Remote::default(),
            stdio: None,
            failed: false,
        }
    }

    fn debug(&self, msg: &str) {
        if self.plan.verbose {
            eprintln!("debug1: {msg}");
        }
    }

    /// A forward could not be set up: a warning, or the end with `ExitOnForwardFailure`.
    fn setup_failed(&mut self) -> Flow {
        if self.plan.exit_on_failure {
            self.failed = true;
            Flow::Disconnect("disconnected by user".into())
        } else {
            Flow::Continue
        }
    }

    /// Authenticated: listen, ask the server to listen, open the `-W`/jump channel.
    pub fn start(&mut self, conn: &mut Connection) -> Flow {
        let mut listeners: Vec<(Option<String>, u16, local::Accept, String)> = Vec::new();
        for f in &self.plan.local {
            let to = format!("{}:{}", f.target.host, f.target.port);
            listeners.push((
                f.bind.clone(),
                f.port,
                local::Accept::Forward(f.target.clone()),
                to,
            ));
        }
        for d in &self.plan.dynamic {
            listeners.push((
                d.bind.clone(),
                d.port,
                local::Accept::Socks,
                "socks:0".into(),
            ));
        }
        for (bind, port, accept, to) in listeners {
            self.debug(&format!(
                "Local connections to {}:{port} forwarded to remote address {to}",
                bind.as_deref().unwrap_or("LOCALHOST"),
            ));
            match local::listen(bind.as_deref(), port, self.plan.gateway_ports) {
                Ok(ls) => {
                    for l in ls {
                        let task = local::spawn_accept(l, accept.clone(), self.app.clone());
                        self.listeners.push(task);
                    }
                }
                Err(e) => {
                    // As OpenSSH: strerror's words, without Rust's "(os error N)".
                    let e = e.to_string();
                    let e = e.split(" (os error").next().unwrap_or_default();
                    let host = bind.as_deref().unwrap_or("localhost");
                    eprintln!("bind [{host}]:{port}: {e}");
                    eprintln!("Could not request local forwarding.");
                    if let Flow::Disconnect(d) = self.setup_failed() {
                        return Flow::Disconnect(d);
                    }
                }
            }
        }
        for f in self.plan.remote.clone() {
            self.debug(&format!(
                "Remote connections from {}:{} forwarded to local address {}:{}",
                f.bind.as_deref().unwrap_or("LOCALHOST"),
                f.port,
                f.target.host,
                f.target.port
            ));
            self.remote.request(conn, f);
        }
        if let Some((stream, target)) = self.plan.stdio.take() {
            let pending = Pending {
                stream,
                target,
                // OpenSSH's originator for a stdio forward.
                originator: ("127.0.0.1".into(), 65535),
                socks: None,
            };
            match self.open(conn, pending) {
                Some(ch) => self.stdio = Some(ch),
                None => {
                    self.failed = true;
                    return Flow::Disconnect("disconnected by user".into());
                }
            }
        }
        Flow::Continue
    }

    /// Opens a `direct-tcpip` channel for `p`.
    fn open(&mut self, conn: &mut Connection, p: Pending) -> Option<ChannelId> {
        let kind = ChannelKind::DirectTcpip {
            host: p.target.host.clone(),
            port: u32::from(p.target.port),
            originator: p.originator.0.clone(),
            originator_port: p.originator.1,
        };
        match conn.open_channel(kind) {
            Ok(ch) => {
                self.debug(&format!(
                    "channel {ch}: new direct-tcpip to {}:{} from {}:{}",
                    p.target.host, p.target.port, p.originator.0, p.originator.1
                ));
                self.channels.insert(
                    ch,
                    Fwd {
                        stream: Some(p.stream),
                        socks: p.socks,
                        ..Fwd::default()
                    },
                );
                Some(ch)
            }
            Err(e) => {
                eprintln!(
                    "channel open for {}:{} failed: {e}",
                    p.target.host, p.target.port
                );
                None
            }
        }
    }

    /// Starts relaying `stream` on the open channel `ch`, `preface` written to it first (a
    /// SOCKS reply).
    fn relay(&mut self, ch: ChannelId, stream: BoxStream, preface: Vec<u8>) {
        let (rd, wr) = tokio::io::split(stream);
        let (stop_tx, stop_rx) = oneshot::channel();
        reader::spawn(
            Stoppable {
                inner: rd,
                stop: stop_rx,
            },
            ch,
            None,
            self.app.clone(),
        );
        let writer = spawn_writer(wr, ch, preface, self.app.clone());
        let fwd = self.channels.entry(ch).or_default();
        fwd.writer = Some(writer);
        fwd._stop = Some(stop_tx);
    }

    /// A channel event that is not the session's.
    pub fn on_channel(&mut self, conn: &mut Connection, ev: ChannelEvent) -> Flow {
        match ev {
            ChannelEvent::Opened { channel } => {
                let Some(fwd) = self.channels.get_mut(&channel) else {
                    return Flow::Continue;
                };
                let preface = fwd.socks.map(socks::success).unwrap_or_default();
                if let Some(stream) = fwd.stream.take() {
                    self.relay(channel, stream, preface);
                }
            }
            ChannelEvent::OpenFailed {
                channel,
                reason,
                description,
            } => {
                let fwd = self.channels.remove(&channel);
                let text = super::peer_text::line(&description);
                let sep = if text.is_empty() { "" } else { ": " };
                eprintln!(
                    "channel {channel}: open failed: {}{sep}{text}",
                    reason_text(reason)
                );
                if let Some(Fwd {
                    stream: Some(mut stream),
                    socks: Some(v),
                    ..
                }) = fwd
                {
                    let reply = socks::failure(v, reason);
                    tokio::spawn(async move {
                        let _ = stream.write_all(&reply).await;
                        let _ = stream.shutdown().await;
                    });
                }
                if self.stdio == Some(channel) {
                    eprintln!("stdio forwarding failed");
                    self.failed = true;
                    return Flow::Disconnect("disconnected by user".into());
                }
            }
            ChannelEvent::OpenRequest { channel, kind } => {
                return self.open_request(conn, channel, kind);
            }
            ChannelEvent::Data { channel, data } => {
                match self.channels.get(&channel).and_then(|f| f.writer.as_ref()) {
                    Some(w) => {
                        if let Err(mpsc::error::SendError(d)) = w.send(data) {
                            let _ = conn.consume(channel, d.len());
                        }
                    }
                    None => {
                        let _ = conn.consume(channel, data.len());
                    }
                }
            }
            ChannelEvent::ExtendedData { channel, data, .. } => {
                let _ = conn.consume(channel, data.len());
            }
            ChannelEvent::Eof { channel } => {
                if let Some(fwd) = self.channels.get_mut(&channel) {
                    fwd.got_eof = true;
                    // The writer writes what it has, then shuts the socket's write side.
                    fwd.writer = None;
                    if fwd.sent_eof {
                        self.outboxes.push(conn, channel, Item::Close);
                    }
                }
            }
            ChannelEvent::Request {
                channel,
                want_reply: true,
                ..
            } => {
                let _ = conn.answer_channel_request(channel, false);
            }
            ChannelEvent::Writable { channel } => self.outboxes.flush(conn, channel),
            ChannelEvent::Closed { channel } => {
                self.outboxes.forget(channel);
                self.channels.remove(&channel);
                if self.stdio == Some(channel) {
                    return Flow::Disconnect("disconnected by user".into());
                }
            }
            ChannelEvent::GlobalAnswered {
                name,
                success,
                bound_port,
            } if name == "tcpip-forward" => {
                let ok = self.remote.answered(
                    success,
                    bound_port,
                    self.plan.quiet,
                    self.plan.exit_on_failure,
                );
                if !ok {
                    return self.setup_failed();
                }
            }
            _ => {}
        }
        Flow::Continue
    }

    /// The server opens a channel: a `forwarded-tcpip` for a `-R` we asked for is connected to
    /// its target first, and accepted once that worked; anything else is refused.
    fn open_request(
        &mut self,
        conn: &mut Connection,
        channel: ChannelId,
        kind: ChannelKind,
    ) -> Flow {
        let ChannelKind::ForwardedTcpip {
            address,
            port,
            originator,
            originator_port,
        } = kind
        else {
            let _ = conn.reject_channel(
                channel,
                open_failure::UNKNOWN_CHANNEL_TYPE,
                "unsupported channel type",
            );
            return Flow::Continue;
        };
        let Some(target) = self.remote.target_for(&address, port) else {
            eprintln!("WARNING: Server requests forwarding for unknown listen_port {port}");
            let _ = conn.reject_channel(
                channel,
                open_failure::ADMINISTRATIVELY_PROHIBITED,
                "open failed",
            );
            return Flow::Continue;
        };
        self.debug(&format!(
            "client_request_forwarded_tcpip: listen {} port {port}, originator {} port {originator_port}",
            super::peer_text::line(&address),
            super::peer_text::line(&originator),
        ));
        let app = self.app.clone();
        tokio::spawn(async move {
            let result = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await;
            if result.is_err() {
                eprintln!("connect_to {} port {}: failed.", target.host, target.port);
            }
            let _ = app
                .send(AppMsg::ClientForward(ForwardMsg::Connected {
                    channel,
                    result,
                }))
                .await;
        });
        Flow::Continue
    }

    /// A message from the forwarding tasks.
    pub fn on_msg(&mut self, conn: &mut Connection, msg: ForwardMsg) -> Flow {
        match msg {
            ForwardMsg::Connection(p) => {
                self.debug(&format!(
                    "Connection to {}:{} requested from {}:{}.",
                    p.target.host, p.target.port, p.originator.0, p.originator.1
                ));
                let _ = self.open(conn, p);
            }
            ForwardMsg::Connected { channel, result } => match result {
                Ok(stream) if conn.accept_channel(channel).is_ok() => {
                    let _ = stream.set_nodelay(true);
                    self.relay(channel, Box::new(stream), Vec::new());
                }
                Ok(_) => {}
                Err(e) => {
                    let _ =
                        conn.reject_channel(channel, open_failure::CONNECT_FAILED, &e.to_string());
                }
            },
            ForwardMsg::WriteFailed { channel } => {
                if self.channels.contains_key(&channel) {
                    self.outboxes.push(conn, channel, Item::Close);
                }
            }
        }
        Flow::Continue
    }

    /// Output, end of output or written bytes of a forwarded channel.
    pub fn on_app(&mut self, conn: &mut Connection, msg: AppMsg) -> Flow {
        match msg {
            AppMsg::Output {
                channel,
                data,
                permit,
                ..
            } if self.channels.contains_key(&channel) => self.outboxes.push(
                conn,
                channel,
                Item::Data {
                    ext: None,
                    bytes: data,
                    offset: 0,
                    _permit: Some(permit),
                },
            ),
            AppMsg::OutputEnd { channel, .. } => {
                if let Some(fwd) = self.channels.get_mut(&channel) {
                    fwd.sent_eof = true;
                    let close = fwd.got_eof;
                    self.outboxes.push(conn, channel, Item::Eof);
                    if close {
                        self.outboxes.push(conn, channel, Item::Close);
                    }
                }
            }
            AppMsg::Written { channel, n } => {
                let _ = conn.consume(channel, n);
            }
            AppMsg::ClientForward(m) => return self.on_msg(conn, m),
            _ => {}
        }
        Flow::Continue
    }
}
