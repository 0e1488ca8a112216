//! Port forwarding on the device server, off unless a user's `[[users]]` entry allows it:
//! `direct-tcpip` channels (`ssh -L`, `-W`, `-D`, `-J`) to the destinations of `permit_open`,
//! and `tcpip-forward` listeners (`ssh -R`) on the ports of `permit_listen`, whose connections
//! go back to the client as `forwarded-tcpip` channels. A key's `no-port-forwarding` (or
//! `restrict`) turns both off, its `permitopen=` / `permitlisten=` narrow them further.
//!
//! The connection task owns this state; connects, accepts and the byte relays run in tasks
//! that report as [`crate::app_msg::AppMsg::Forward`]. Every forwarded channel and listener
//! counts against `[server] max_forwards`, and all of them end with the connection.

pub mod direct;
pub mod listen;
pub mod permit;
mod relay;

use super::session_rules::SessionRules;
use super::users::UserEntry;
use crate::app_msg::AppMsg;
use crate::channel_io::outbox::{Item, Outboxes};
use permit::{AddrFilter, PermitList};
use relay::Relay;
use sshgate::Connection;
use sshgate::channel::{ChannelId, ChannelKind, GlobalRequest, open_failure};
use sshgate::text::{LOG_MAX_CHARS, for_log};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How long a `direct-tcpip` connect (name resolution included) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Server-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Forwarded channels (both kinds, opening or open) and listeners on one connection.
    pub max_forwards: usize,
    /// See [`CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
}

/// What a forwarding task reports to the connection task.
#[derive(Debug)]
pub enum FwdMsg {
    /// A `direct-tcpip` destination answered.
    Connected {
        /// Which channel (still waiting for our answer to its open).
        channel: ChannelId,
        /// The connection.
        stream: TcpStream,
        /// The address connected to.
        to: SocketAddr,
    },
    /// A `direct-tcpip` destination could not be reached (or only at refused addresses).
    ConnectFailed {
        /// Which channel.
        channel: ChannelId,
        /// The open-failure code.
        code: u32,
        /// Why, for the client.
        reason: String,
    },
    /// A connection to a `tcpip-forward` listener.
    Accepted {
        /// Which listener.
        listener: u64,
        /// The connection.
        stream: TcpStream,
        /// Where it came from.
        from: SocketAddr,
    },
    /// Writing the client's bytes to a channel's socket failed.
    WriteFailed {
        /// Which channel.
        channel: ChannelId,
    },
}

/// What the logged-in user may forward: the user's lists and the key's rules.
#[derive(Debug, Clone, Default)]
pub struct Access {
    user: String,
    /// The key allows port forwarding (no `no-port-forwarding` / `restrict`).
    key_allows: bool,
    open: PermitList,
    listen: PermitList,
    /// The key's `permitopen=` / `permitlisten=`, when it has any.
    key_open: Option<PermitList>,
    key_listen: Option<PermitList>,
}

impl Access {
    /// The access of `user` (its entry, if any) logged in under `rules` (`None`: not by key).
    #[must_use]
    pub fn new(user: &str, entry: Option<&UserEntry>, rules: Option<&SessionRules>) -> Self {
        let rules = rules.cloned().unwrap_or_default();
        // The user's lists were checked at load; a key's list this parser does not take
        // narrows to nothing rather than widening.
        let key_list = |items: &[String], parse: fn(&[String]) -> Result<PermitList, String>| {
            (!items.is_empty()).then(|| parse(items).unwrap_or_default())
        };
        Access {
            user: for_log(user, LOG_MAX_CHARS),
            key_allows: rules.port_forwarding,
            open: entry
                .and_then(|u| PermitList::parse_open(&u.permit_open).ok())
                .unwrap_or_default(),
            listen: entry
                .and_then(|u| PermitList::parse_listen(&u.permit_listen).ok())
                .unwrap_or_default(),
            key_open: key_list(&rules.permit_open, PermitList::parse_open),
            key_listen: key_list(&rules.permit_listen, PermitList::parse_listen),
        }
    }

    /// The addresses a `direct-tcpip` to `host:port` may connect to; `None`: refused.
    fn open_filter(&self, host: &str, port: u32) -> Option<AddrFilter> {
        if !self.key_allows {
            return None;
        }
        let f = AddrFilter::default().and(self.open.check_open(host, port))?;
        match &self.key_open {
            Some(k) => f.and(k.check_open(host, port)),
            None => Some(f),
        }
    }

    fn may_listen(&self, address: &str, port: u32) -> bool {
        self.key_allows
            && self.listen.check_listen(address, port)
            && self
                .key_listen
                .as_ref()
                .is_none_or(|k| k.check_listen(address, port))
    }
}

/// A forwarded channel.
enum Fwd {
    /// `direct-tcpip`: connecting; the client waits for our answer to its open.
    Connecting,
    /// `forwarded-tcpip`: we opened it and wait for the client's confirmation.
    Opening { stream: TcpStream },
    /// Relaying.
    Open(OpenFwd),
}

struct OpenFwd {
    relay: Relay,
    /// The socket reached EOF (our EOF is queued).
    reader_done: bool,
    /// The client sent EOF.
    peer_eof: bool,
    /// Our CLOSE is queued.
    closing: bool,
}

/// One connection's forwards.
pub struct Forwarding {
    peer: SocketAddr,
    settings: Settings,
    channels: HashMap<ChannelId, Fwd>,
    listeners: HashMap<u64, listen::Listening>,
    next_listener: u64,
}

impl Forwarding {
    /// No forwards yet, for the client at `peer`.
    #[must_use]
    pub fn new(peer: SocketAddr, settings: Settings) -> Self {
        Forwarding {
            peer,
            settings,
            channels: HashMap::new(),
            listeners: HashMap::new(),
            next_listener: 0,
        }
    }

    fn in_use(&self) -> usize {
        self.channels.len() + self.listeners.len()
    }

    /// Decides a `direct-tcpip` open request: refused at once, or connected in a task whose
    /// outcome ([`FwdMsg::Connected`] / `ConnectFailed`) answers the open. Other kinds: false.
    pub fn open_request(
        &mut self,
        conn: &mut Connection,
        channel: ChannelId,
        kind: &ChannelKind,
        access: &Access,
        app: &mpsc::Sender<AppMsg>,
    ) -> bool {
        let ChannelKind::DirectTcpip {
            host,
            port,
            originator,
            originator_port,
        } = kind
        else {
            return false;
        };
        let peer = self.peer;
        let user = &access.user;
        let from = for_log(&format!("{originator}:{originator_port}"), LOG_MAX_CHARS);
        let to = for_log(&format!("{host}:{port}"), LOG_MAX_CHARS);
        let (Some(filter), Ok(port16)) = (access.open_filter(host, *port), u16::try_from(*port))
        else {
            tracing::info!(%peer, %user, %channel, %from, %to, "direct-tcpip refused: not permitted (permit_open)");
            let _ = conn.reject_channel(
                channel,
                open_failure::ADMINISTRATIVELY_PROHIBITED,
                "port forwarding to this destination is not permitted",
            );
            return true;
        };
        if self.in_use() >= self.settings.max_forwards {
            tracing::info!(%peer, %user, %channel, %from, %to, "direct-tcpip refused: max_forwards");
            let _ = conn.reject_channel(
                channel,
                open_failure::RESOURCE_SHORTAGE,
                "too many forwards on this connection",
            );
            return true;
        }
        tracing::info!(%peer, %user, %channel, %from, %to, "direct-tcpip allowed: connecting");
        self.channels.insert(channel, Fwd::Connecting);
        let target = direct::Target {
            host: host.clone(),
            port: port16,
        };
        direct::spawn(
            channel,
            target,
            filter,
            self.settings.connect_timeout,
            app.clone(),
        );
        true
    }

    /// A forwarding task's report.
    pub fn on_msg(
        &mut self,
        conn: &mut Connection,
        msg: FwdMsg,
        outboxes: &mut Outboxes,
        app: &mpsc::Sender<AppMsg>,
    ) {
        let peer = self.peer;
        match msg {
            FwdMsg::Connected {
                channel,
                stream,
                to,
            } => {
                if !matches!(self.channels.get(&channel), Some(Fwd::Connecting)) {
                    return;
                }
                if conn.accept_channel(channel).is_ok() {
                    tracing::info!(%peer, %channel, %to, "direct-tcpip connected");
                    self.start(channel, stream, app);
                } else {
                    self.channels.remove(&channel);
                }
            }
            FwdMsg::ConnectFailed {
                channel,
                code,
                reason,
            } => {
                if self.channels.remove(&channel).is_some() {
                    tracing::info!(%peer, %channel, %reason, "direct-tcpip failed");
                    let _ = conn.reject_channel(channel, code, &reason);
                }
            }
            FwdMsg::Accepted {
                listener,
                stream,
                from,
            } => self.accepted(conn, listener, stream, from),
            FwdMsg::WriteFailed { channel } => {
                if let Some(Fwd::Open(f)) = self.channels.get_mut(&channel)
                    && !f.closing
                {
                    // The far end stopped taking bytes: nothing more can be delivered.
                    f.closing = true;
                    outboxes.push(conn, channel, Item::Close);
                }
            }
        }
    }

    fn start(&mut self, channel: ChannelId, stream: TcpStream, app: &mpsc::Sender<AppMsg>) {
        let relay = Relay::start(stream, channel, app);
        self.channels.insert(
            channel,
            Fwd::Open(OpenFwd {
                relay,
                reader_done: false,
                peer_eof: false,
                closing: false,
            }),
        );
    }

    /// A connection to one of our listeners: offered to the client as `forwarded-tcpip`.
    fn accepted(&mut self, conn: &mut Connection, id: u64, stream: TcpStream, from: SocketAddr) {
        let peer = self.peer;
        let Some(l) = self.listeners.get(&id) else {
            return; // cancelled meanwhile: the connection is dropped
        };
        let (address, port) = (l.address.clone(), l.port);
        if self.in_use() >= self.settings.max_forwards {
            tracing::info!(%peer, %from, port, "forwarded-tcpip refused: max_forwards");
            return;
        }
        let kind = ChannelKind::ForwardedTcpip {
            address,
            port: u32::from(port),
            originator: from.ip().to_string(),
            originator_port: u32::from(from.port()),
        };
        match conn.open_channel(kind) {
            Ok(channel) => {
                tracing::info!(%peer, %channel, %from, port, "forwarded-tcpip opening");
                self.channels.insert(channel, Fwd::Opening { stream });
            }
            Err(e) => tracing::info!(%peer, %from, port, error = %e, "forwarded-tcpip not opened"),
        }
    }

    /// The client confirmed a `forwarded-tcpip` we opened (other channels: nothing to do).
    pub fn on_opened(&mut self, channel: ChannelId, app: &mpsc::Sender<AppMsg>) {
        if let Some(Fwd::Opening { .. }) = self.channels.get(&channel)
            && let Some(Fwd::Opening { stream }) = self.channels.remove(&channel)
        {
            self.start(channel, stream, app);
        }
    }

    /// The client refused a `forwarded-tcpip` (its connection is dropped).
    pub fn on_open_failed(&mut self, channel: ChannelId, description: &str) {
        if self.channels.remove(&channel).is_some() {
            tracing::info!(peer = %self.peer, %channel, reason = %for_log(description, LOG_MAX_CHARS),
                "forwarded-tcpip refused by the client");
        }
    }

    /// The client's data on a forwarded channel, for its socket (other channels: dropped, as
    /// before forwarding existed).
    pub fn on_data(&mut self, channel: ChannelId, data: Vec<u8>) {
        if let Some(Fwd::Open(f)) = self.channels.get(&channel) {
            f.relay.data(data);
        }
    }

    /// The client's EOF on a forwarded channel: the socket's write half is shut down after
    /// what came before.
    pub fn on_eof(&mut self, conn: &mut Connection, channel: ChannelId, outboxes: &mut Outboxes) {
        if let Some(Fwd::Open(f)) = self.channels.get_mut(&channel) {
            f.peer_eof = true;
            f.relay.eof();
            Self::close_if_done(conn, channel, f, outboxes);
        }
    }

    /// The socket of a forwarded channel reached EOF: our EOF, after the data queued.
    pub fn on_output_end(
        &mut self,
        conn: &mut Connection,
        channel: ChannelId,
        outboxes: &mut Outboxes,
    ) {
        if let Some(Fwd::Open(f)) = self.channels.get_mut(&channel) {
            if !f.reader_done {
                f.reader_done = true;
                outboxes.push(conn, channel, Item::Eof);
            }
            Self::close_if_done(conn, channel, f, outboxes);
        }
    }

    /// Both ways done: CLOSE, after what is queued.
    fn close_if_done(
        conn: &mut Connection,
        channel: ChannelId,
        f: &mut OpenFwd,
        outboxes: &mut Outboxes,
    ) {
        if f.reader_done && f.peer_eof && !f.closing {
            f.closing = true;
            outboxes.push(conn, channel, Item::Close);
        }
    }

    /// The channel is closed both ways: its tasks stop (dropping the relay).
    pub fn on_closed(&mut self, channel: ChannelId) {
        self.channels.remove(&channel);
    }

    /// `tcpip-forward` / `cancel-tcpip-forward`; answered here when the client wants a reply.
    pub fn global_request(
        &mut self,
        conn: &mut Connection,
        request: GlobalRequest,
        want_reply: bool,
        access: &Access,
        app: &mpsc::Sender<AppMsg>,
    ) {
        let (ok, bound) = self.decide_global(request, want_reply, access, app);
        if want_reply {
            let _ = conn.answer_global_request(ok, bound);
        }
    }

    fn decide_global(
        &mut self,
        request: GlobalRequest,
        want_reply: bool,
        access: &Access,
        app: &mpsc::Sender<AppMsg>,
    ) -> (bool, Option<u32>) {
        let peer = self.peer;
        let user = &access.user;
        match request {
            GlobalRequest::TcpipForward { address, port } => {
                let asked = for_log(&format!("{address}:{port}"), LOG_MAX_CHARS);
                let Ok(port16) = u16::try_from(port) else {
                    return (false, None);
                };
                if !access.may_listen(&address, port) {
                    tracing::info!(%peer, %user, listen = %asked, "tcpip-forward refused: not permitted (permit_listen)");
                    return (false, None);
                }
                // Port 0 without a reply: the client could never learn the port (OpenSSH
                // refuses it too).
                if port == 0 && !want_reply {
                    return (false, None);
                }
                if self.in_use() >= self.settings.max_forwards {
                    tracing::info!(%peer, %user, listen = %asked, "tcpip-forward refused: max_forwards");
                    return (false, None);
                }
                let id = self.next_listener;
                self.next_listener += 1;
                match listen::bind(id, &address, port16, app) {
                    Ok(l) => {
                        tracing::info!(%peer, %user, listen = %asked, port = l.port, "tcpip-forward listening");
                        let bound = (port == 0).then_some(u32::from(l.port));
                        self.listeners.insert(id, l);
                        (true, bound)
                    }
                    Err(e) => {
                        tracing::info!(%peer, %user, listen = %asked, error = %e, "tcpip-forward failed");
                        (false, None)
                    }
                }
            }
            GlobalRequest::CancelTcpipForward { address, port } => {
                let found = self
                    .listeners
                    .iter()
                    .find(|(_, l)| l.address == address && u32::from(l.port) == port)
                    .map(|(id, _)| *id);
                let asked = for_log(&format!("{address}:{port}"), LOG_MAX_CHARS);
                match found {
                    Some(id) => {
                        self.listeners.remove(&id);
                        tracing::info!(%peer, %user, listen = %asked, "tcpip-forward cancelled");
                        (true, None)
                    }
                    None => (false, None),
                }
            }
            _ => (false, None),
        }
    }
}
