//! The server's per-connection handler: logs, answers user authentication from the device
//! file, and runs sessions — the built-in device CLI, or the user's configured program — on the
//! session channels the client opens. The engine does the protocol; this decides and moves
//! bytes (see [`crate::channel_io`]).

use super::auth::{
    AuthState, ChangedPasswords, KbdStage, Outcome, ask_new_password, log_text, on_auth_event,
};
use super::cert_auth::{self, CertRequest};
use super::device_cli::{CliContext, DeviceCli, mac_display};
use super::device_state::{ConnectionRow, DeviceRegistry, DeviceState, SessionInfo};
use super::files::sftp::{self, SftpHandle};
use super::forwarding::{Access, Forwarding};
use super::hash_pool::HashPool;
use super::session_channel::{CLI_BACKLOG, OutboundLink, Program, SessionChannel};
use super::session_rules::SessionRules;
use super::startups::{StartupGuard, Startups};
use super::user_certs;
use super::users::UserEntry;
use crate::app_msg::{AppMsg, Exit};
use crate::channel_io::outbox::{Item, Outboxes};
use crate::driver::{Flow, Handler};
use sshgate::channel::{ChannelEvent, ChannelId, ChannelKind, ChannelRequest, open_failure};
use sshgate::transport::cipher::MacAlg;
use sshgate::transport::kexinit::Negotiated;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict};
use sshgate::{Connection, Event};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::mpsc;

/// What every connection of one server shares.
pub struct ServeContext {
    /// `[[users]]`.
    pub users: Vec<UserEntry>,
    /// Live sessions and settings, for `show ssh` / `show ip ssh` / `show users`.
    pub registry: Arc<DeviceRegistry>,
    /// The device's name (prompt).
    pub hostname: String,
    /// Connection numbers, as IOS counts them (from 0).
    pub next_number: AtomicU32,
    /// Passwords users changed since the start.
    pub changed: Arc<ChangedPasswords>,
    /// Authentication failures by source address.
    pub penalties: super::penalty::Penalties,
    /// Unauthenticated connections (`MaxStartups`, `PerSourceMaxStartups`).
    pub startups: Arc<Startups>,
    /// Where passwords are checked.
    pub hash_pool: HashPool,
    /// How long a client may leave our output unread.
    pub write_timeout: std::time::Duration,
    /// Session channels open at once on one connection (`MaxSessions`).
    pub max_sessions: usize,
    /// How each `trustpoint verify` trustpoint maps a certificate to a user (engine order).
    pub cert_mappings: Vec<super::pki_config::UserMapping>,
    /// The `trustpoint sign` trustpoint of the host certificate, if there is one.
    pub host_trustpoint: Option<String>,
    /// Port forwarding limits (`max_forwards`).
    pub forwarding: super::forwarding::Settings,
    /// Counters for `/metrics`.
    pub metrics: Arc<super::metrics::Metrics>,
    /// `[snmp]` trap hosts, if any.
    pub traps: Option<super::snmp_trap::TrapSender>,
    /// `[files]`: each user's file root (SCP, SFTP).
    pub files: Option<super::files::FilesSection>,
    /// `[scp]`: IOS `ip scp server enable`.
    pub scp: Option<super::files::ScpSection>,
    /// `[sftp] enable`.
    pub sftp: bool,
    /// `trusted_user_ca_keys`: CAs whose OpenSSH user certificates log in.
    pub user_cas: Vec<sshgate::keys::PublicKey>,
}

/// One accepted connection.
pub struct ServerSession {
    peer: SocketAddr,
    /// Serve's end of the connection (`SSH_CONNECTION`), when the front knows it.
    local: Option<SocketAddr>,
    ctx: Arc<ServeContext>,
    app: mpsc::Sender<AppMsg>,
    number: u32,
    /// The user named in the latest authentication request; after success, the user.
    user: Option<String>,
    /// The method of the latest authentication request; after success, the one that did it.
    method: Option<&'static str>,
    authenticated: bool,
    /// This connection's place among the unauthenticated ones, given up at authentication.
    startup: Option<StartupGuard>,
    /// Failed attempts already counted in the penalties.
    failures_recorded: u32,
    kbd: KbdStage,
    /// What the authorized_keys line of an accepted key allows (`None`: no key, no rules).
    rules: Option<SessionRules>,
    /// The OpenSSH certificate that logged in, as the audit line names it.
    certificate: Option<String>,
    algorithms: Option<Negotiated>,
    channels: HashMap<ChannelId, SessionChannel>,
    outboxes: Outboxes,
    /// `direct-tcpip` / `forwarded-tcpip` channels and `tcpip-forward` listeners.
    forwarding: Forwarding,
    /// `debug ip ssh` for this connection.
    debug: super::debug_trace::DebugTrace,
    /// Why the engine closed the connection, once it has.
    closed: Option<sshgate::Error>,
    /// SFTP sessions by channel; `None` once the client sent EOF (the session finishes what
    /// it has and ends, which closes the channel).
    sftp: HashMap<ChannelId, Option<SftpHandle>>,
}

impl ServerSession {
    /// A session for a client at `peer`; the application's tasks report on `app`.
    #[must_use]
    pub fn new(peer: SocketAddr, ctx: Arc<ServeContext>, app: mpsc::Sender<AppMsg>) -> Self {
        let number = ctx.next_number.fetch_add(1, Ordering::Relaxed);
        let forwarding = Forwarding::new(peer, ctx.forwarding.clone());
        ServerSession {
            peer,
            local: None,
            ctx,
            app,
            number,
            user: None,
            method: None,
            authenticated: false,
            startup: None,
            failures_recorded: 0,
            kbd: KbdStage::default(),
            rules: None,
            certificate: None,
            algorithms: None,
            channels: HashMap::new(),
            outboxes: Outboxes::default(),
            forwarding,
            debug: super::debug_trace::DebugTrace::new(number),
            closed: None,
            sftp: HashMap::new(),
        }
    }

    /// Records serve's end of the connection, for the programs' `SSH_CONNECTION`.
    #[must_use]
    pub fn with_local(mut self, local: Option<SocketAddr>) -> Self {
        self.local = local;
        self
    }

    /// Whether the client logged in.
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The connection number (IOS `show ssh`), the user, and the last authentication method.
    #[must_use]
    pub fn audit_facts(&self) -> (u32, Option<&str>, Option<&'static str>) {
        (self.number, self.user.as_deref(), self.method)
    }

    /// The OpenSSH certificate that logged in (`ED25519-CERT SHA256:... ID ... (serial N) CA
    /// ...`), if one did.
    #[must_use]
    pub fn certificate(&self) -> Option<&str> {
        self.certificate.as_deref()
    }

    /// Holds the connection's place among the unauthenticated ones until it logs in.
    pub fn hold_startup(&mut self, guard: StartupGuard) {
        self.startup = Some(guard);
    }

    /// Counts failed attempts in the source's penalty as soon as the engine has counted them,
    /// so the source's other connections see them at once.
    pub fn record_failures(&mut self, conn: &Connection) {
        let failures = conn.auth_failures();
        if failures > self.failures_recorded {
            self.ctx.penalties.failed(
                self.peer.ip(),
                failures - self.failures_recorded,
                std::time::Instant::now(),
            );
            self.ctx.metrics.login(
                self.method.unwrap_or("none"),
                false,
                u64::from(failures - self.failures_recorded),
            );
            self.failures_recorded = failures;
        }
    }

    /// Queues a password check on the hashing threads; a full queue refuses the attempt now.
    fn check_password(&mut self, conn: &mut Connection, pending: super::auth::Pending) {
        let Err(refused) = self.ctx.hash_pool.submit(pending, self.app.clone()) else {
            return;
        };
        let refused_so_far = self
            .ctx
            .hash_pool
            .stats()
            .refused
            .load(std::sync::atomic::Ordering::Relaxed);
        // Under a flood this happens for most attempts: one line in a hundred.
        if refused_so_far % 100 == 1 {
            tracing::warn!(peer = %self.peer, refused_so_far, "password checks queue full: attempt refused");
        }
        if let Err(e) = conn.answer_auth(refused.id(), AuthVerdict::Reject) {
            tracing::warn!(peer = %self.peer, error = %e, "authentication answer refused");
        }
    }

    fn entry(&self) -> Option<&UserEntry> {
        let name = self.user.as_deref()?;
        self.ctx.users.iter().find(|u| u.name == name)
    }

    /// Puts this connection in the device's session list (`show ssh`, `show users`).
    fn register(&self) {
        let (Some(n), Some(user)) = (&self.algorithms, &self.user) else {
            return;
        };
        let mac = |m: Option<MacAlg>| m.map(MacAlg::name);
        self.ctx.registry.add(SessionInfo {
            connection: ConnectionRow {
                id: self.number,
                version: "2.0".into(),
                encryption_in: n.cipher_c2s.name().into(),
                encryption_out: n.cipher_s2c.name().into(),
                hmac_in: mac_display(n.cipher_c2s.name(), mac(n.mac_c2s)),
                hmac_out: mac_display(n.cipher_s2c.name(), mac(n.mac_s2c)),
                state: "Session started".into(),
                username: user.clone(),
            },
            location: self.peer.ip().to_string(),
            last_active: std::time::Instant::now(),
        });
        // `disconnect ssh N` from any session closes this one.
        let app = self.app.clone();
        let close = move || {
            let app = app.clone();
            tokio::spawn(async move {
                let reason = "disconnected by administrator".to_string();
                let _ = app.send(AppMsg::Disconnect { reason }).await;
            });
        };
        self.ctx
            .registry
            .set_closer(self.number, Some(Arc::new(close)));
    }

    /// What this user may forward (their `permit_open` / `permit_listen`, their key's rules).
    fn forward_access(&self) -> Access {
        let user = self.user.as_deref().unwrap_or_default();
        Access::new(user, self.entry(), self.rules.as_ref())
    }

    fn cli(&self) -> DeviceCli {
        let state: Arc<dyn DeviceState> = self.ctx.registry.clone();
        DeviceCli::new(CliContext {
            hostname: self.ctx.hostname.clone(),
            privilege: self.entry().map_or(1, |u| u.privilege),
            line_number: self.number,
            state,
        })
    }

    fn on_channel(&mut self, conn: &mut Connection, ev: ChannelEvent) {
        match ev {
            ChannelEvent::OpenRequest { channel, kind } => {
                if kind == ChannelKind::Session
                    && self.authenticated
                    && self.channels.len() >= self.ctx.max_sessions
                {
                    // Each session holds a window's worth of input and its program's output:
                    // without a cap one connection could open the engine's 1024 channels.
                    tracing::info!(peer = %self.peer, %channel, open = self.channels.len(), "session refused: max_sessions");
                    let _ = conn.reject_channel(
                        channel,
                        open_failure::RESOURCE_SHORTAGE,
                        "too many sessions on this connection",
                    );
                } else if kind == ChannelKind::Session && self.authenticated {
                    if conn.accept_channel(channel).is_ok() {
                        self.channels.insert(channel, SessionChannel::new());
                    }
                } else if self.authenticated
                    && self.forwarding.open_request(
                        conn,
                        channel,
                        &kind,
                        &self.forward_access(),
                        &self.app,
                    )
                {
                    // direct-tcpip: decided by the user's permit_open.
                } else {
                    // Nothing else is forwarded.
                    let _ = conn.reject_channel(
                        channel,
                        open_failure::ADMINISTRATIVELY_PROHIBITED,
                        "port forwarding is disabled on this device",
                    );
                }
            }
            ChannelEvent::Request {
                channel,
                request,
                want_reply,
            } => {
                let (ok, output) = self.on_request(channel, request);
                // The answer goes first: an `exec` of a CLI command closes the channel in its
                // output, and nothing may follow a CLOSE.
                if want_reply {
                    let _ = conn.answer_channel_request(channel, ok);
                }
                self.send(conn, channel, output);
            }
            ChannelEvent::Data { channel, data } => {
                self.ctx
                    .registry
                    .touch(self.number, std::time::Instant::now());
                if let Some(h) = self.sftp.get(&channel) {
                    match h {
                        // The window goes back when the session handled it (AppMsg::Written).
                        Some(h) => h.write(data),
                        None => {
                            let _ = conn.consume(channel, data.len());
                        }
                    }
                } else if let Some(ch) = self.channels.get_mut(&channel) {
                    ch.input(conn, channel, data);
                    self.pump_cli(conn, channel);
                } else {
                    self.forwarding.on_data(channel, data);
                }
            }
            ChannelEvent::ExtendedData { channel, data, .. } => {
                // Nothing reads a client's stderr: give the window back.
                let _ = conn.consume(channel, data.len());
            }
            ChannelEvent::Eof { channel } => {
                if let Some(h) = self.sftp.get_mut(&channel) {
                    *h = None;
                }
                if let Some(ch) = self.channels.get_mut(&channel) {
                    ch.peer_eof();
                } else {
                    self.forwarding.on_eof(conn, channel, &mut self.outboxes);
                }
            }
            ChannelEvent::Writable { channel } => {
                self.outboxes.flush(conn, channel);
                // The device CLI takes the input it held back while its output waited.
                self.pump_cli(conn, channel);
            }
            ChannelEvent::Closed { channel } => {
                self.outboxes.forget(channel);
                self.sftp.remove(&channel);
                if let Some(ch) = self.channels.remove(&channel) {
                    ch.hang_up();
                } else {
                    self.forwarding.on_closed(channel);
                }
            }
            ChannelEvent::Opened { channel } => {
                self.forwarding.on_opened(channel, &self.app);
            }
            ChannelEvent::OpenFailed {
                channel,
                description,
                ..
            } => self.forwarding.on_open_failed(channel, &description),
            ChannelEvent::GlobalRequest {
                request,
                want_reply,
            } if self.authenticated => {
                let access = self.forward_access();
                self.forwarding
                    .global_request(conn, request, want_reply, &access, &self.app);
            }
            ChannelEvent::GlobalRequest {
                want_reply: true, ..
            } => {
                let _ = conn.answer_global_request(false, None);
            }
            _ => {}
        }
    }

    /// Decides a channel request: true to answer SUCCESS, and what to send after the answer.
    fn on_request(&mut self, channel: ChannelId, req: ChannelRequest) -> (bool, Vec<Item>) {
        let rules = self.rules.clone().unwrap_or_default();
        let Some(ch) = self.channels.get_mut(&channel) else {
            return (false, Vec::new());
        };
        match req {
            ChannelRequest::Pty(_) if !rules.pty => {
                tracing::info!(peer = %self.peer, %channel, "PTY refused: no-pty key or no permit-pty in the certificate");
                (false, Vec::new())
            }
            ChannelRequest::Pty(p) => (ch.set_pty(p), Vec::new()),
            ChannelRequest::Env { name, value } => (ch.set_env(name, value), Vec::new()),
            ChannelRequest::WindowChange(size) => {
                ch.resize(size);
                (true, Vec::new())
            }
            ChannelRequest::Signal { name } => (ch.signal(&name), Vec::new()),
            ChannelRequest::Shell
            | ChannelRequest::Exec { .. }
            | ChannelRequest::Subsystem { .. } => self.start(channel, &req, &rules),
            _ => (false, Vec::new()),
        }
    }

    /// `shell`, `exec` or `subsystem`. A user with `command` runs it whatever was asked
    /// (sshd's `ForceCommand`, which also overrides a key's `command=`); a user without one
    /// gets the device CLI, where a key's `command=` is the one CLI command run whatever was
    /// asked. The request goes to `SSH_ORIGINAL_COMMAND` (exec: the line; subsystem: the name).
    fn start(
        &mut self,
        channel: ChannelId,
        req: &ChannelRequest,
        rules: &SessionRules,
    ) -> (bool, Vec<Item>) {
        let peer = self.peer;
        let original = match req {
            ChannelRequest::Exec { command } => Some(command.as_str()),
            ChannelRequest::Subsystem { name } => Some(name.as_str()),
            _ => None,
        };
        // The client's words, escaped and cut for the log.
        let logged = original.map_or_else(String::new, |o| {
            sshgate::text::for_log(o, sshgate::text::LOG_MAX_CHARS)
        });
        let entry = self.entry();
        let configured = entry.and_then(|u| u.command.clone());
        // `subsystem sftp` is served by serve itself (OpenSSH's internal-sftp), unless a forced
        // command takes every request, as in OpenSSH.
        if let ChannelRequest::Subsystem { name } = req
            && name == "sftp"
            && configured.is_none()
            && rules.forced_command.is_none()
        {
            return self.start_sftp(channel);
        }
        if self.sftp.contains_key(&channel) {
            return (false, Vec::new());
        }
        let run_as = entry.and_then(|u| u.run_as.clone());
        let user = self.user.clone().unwrap_or_default();
        let cli = configured.is_none().then(|| self.cli());
        let local = self.local;
        let link = self.outbound_link(channel);
        // `scp -t|-f` of a user without a forced command, with `[scp] enable`: the transfer
        // runs in serve (without it, the line goes to the CLI, as on IOS).
        if let (ChannelRequest::Exec { command }, None, None) =
            (req, &configured, &rules.forced_command)
            && let Some(scp) = self.scp_command(command)
        {
            return self.start_scp(channel, scp);
        }
        let Some(ch) = self.channels.get_mut(&channel) else {
            return (false, Vec::new());
        };
        let started = match (configured, &rules.forced_command, cli) {
            (Some(command), _, _) => {
                tracing::info!(%peer, %channel, %command, original = %logged, "forced command");
                super::run_as::resolve(&user, run_as.as_deref()).and_then(|identity| {
                    let program = Program {
                        command: &command,
                        original,
                        identity,
                        peer,
                        local,
                    };
                    ch.start_program(&program, channel, &self.app)
                })
            }
            (None, Some(forced), Some(cli)) => {
                tracing::info!(%peer, %channel, command = %forced, original = %logged,
                    "forced command (key)");
                ch.run_cli_command(cli, forced)
            }
            (None, None, Some(cli)) => match req {
                ChannelRequest::Shell => ch.start_cli_linked(cli, Some(link)),
                ChannelRequest::Exec { command } => ch.run_cli_command(cli, command),
                _ => Err(anyhow::anyhow!("no subsystems on this device")),
            },
            (None, _, None) => Err(anyhow::anyhow!("no session for this user")),
        };
        match started {
            Ok(out) => {
                tracing::info!(%peer, %channel, request = req.name(), "session started");
                (true, out)
            }
            Err(e) => {
                tracing::warn!(%peer, %channel, request = req.name(), error = %e, "session refused");
                (false, Vec::new())
            }
        }
    }

    /// What the CLI's own `ssh` command on `channel` needs (device_cli `ssh`).
    fn outbound_link(&self, channel: ChannelId) -> OutboundLink {
        let ctx = self.ctx.clone();
        OutboundLink {
            app: self.app.clone(),
            channel,
            registry: self.ctx.registry.clone(),
            numbers: Arc::new(move || ctx.next_number.fetch_add(1, Ordering::Relaxed)),
            line: self.number,
        }
    }

    /// The `scp` command line of an exec, when `[scp] enable` is on.
    fn scp_command(
        &self,
        line: &str,
    ) -> Option<Result<sshgate::scp::Command, sshgate::scp::ScpError>> {
        if !self.ctx.scp.as_ref().is_some_and(|s| s.enable) {
            return None;
        }
        sshgate::scp::Command::parse(line)
    }

    /// Starts an SCP transfer on `channel` (refused below `[files] privilege`).
    fn start_scp(
        &mut self,
        channel: ChannelId,
        cmd: Result<sshgate::scp::Command, sshgate::scp::ScpError>,
    ) -> (bool, Vec<Item>) {
        let peer = self.peer;
        let user = self.user.clone().unwrap_or_default();
        let privilege = self.entry().map_or(1, |u| u.privilege);
        let started = match (&self.ctx.files, self.channels.get_mut(&channel)) {
            (Some(files), Some(ch)) => {
                let start = super::files::scp::Start {
                    files,
                    user: &user,
                    privilege,
                    peer,
                    channel,
                    app: &self.app,
                };
                super::files::scp::start(&start, cmd).and_then(|h| ch.start_in_process(h))
            }
            _ => Err(anyhow::anyhow!("no [files] section")),
        };
        match started {
            Ok(out) => {
                tracing::info!(%peer, %channel, "scp started");
                (true, out)
            }
            Err(e) => {
                tracing::warn!(%peer, %channel, error = %format_args!("{e:#}"), "scp refused");
                (false, Vec::new())
            }
        }
    }

    /// Starts the SFTP subsystem on `channel`, or refuses it (logged).
    fn start_sftp(&mut self, channel: ChannelId) -> (bool, Vec<Item>) {
        let peer = self.peer;
        let who = sftp::Who {
            peer,
            user: self.user.clone().unwrap_or_default(),
        };
        let privilege = self.entry().map_or(1, |u| u.privilege);
        // One thing runs on a channel: not SFTP beside a shell, nor a second SFTP.
        if self.sftp.contains_key(&channel)
            || !self
                .channels
                .get(&channel)
                .is_some_and(SessionChannel::idle)
        {
            return (false, Vec::new());
        }
        let started = sftp::subsystem(
            self.ctx.files.as_ref(),
            self.ctx.sftp,
            privilege,
            channel,
            &self.app,
            who,
        );
        match started {
            Ok(handle) => {
                self.sftp.insert(channel, Some(handle));
                tracing::info!(%peer, %channel, request = "subsystem sftp", "session started");
                (true, Vec::new())
            }
            Err(e) => {
                tracing::warn!(%peer, %channel, request = "subsystem sftp", error = %e,
                    "session refused");
                (false, Vec::new())
            }
        }
    }

    /// Lets the device CLI on `channel` answer held input while less than [`CLI_BACKLOG`]
    /// bytes of its output wait for the client's window (each round ends at that bound or
    /// with the input taken; what the window allows leaves at once, so the next may go on).
    fn pump_cli(&mut self, conn: &mut Connection, channel: ChannelId) {
        while let Some(ch) = self.channels.get_mut(&channel) {
            let backlog = self.outboxes.queued(channel);
            if ch.held_input() == 0 || backlog >= CLI_BACKLOG {
                return;
            }
            let out = ch.resume(conn, channel, backlog);
            self.send(conn, channel, out);
        }
    }

    /// An OpenSSH user certificate (`trusted_user_ca_keys`): decided by [`user_certs::decide`];
    /// a signed request accepted sets the session's rules from the certificate.
    fn openssh_certificate(
        &mut self,
        conn: &mut Connection,
        id: u64,
        user: String,
        cert: &sshgate::keys::openssh_cert::OpenSshCert,
        signed: bool,
    ) {
        self.method = Some("publickey");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let req = user_certs::CertLogin {
            peer: self.peer,
            user: &user,
            signed,
            now,
        };
        let (verdict, rules) = user_certs::decide(&req, cert, &self.ctx.user_cas, &self.ctx.users);
        if signed && rules.is_some() {
            self.rules = rules;
            self.certificate = Some(user_certs::describe(cert));
        }
        self.user = Some(user);
        if let Err(e) = conn.answer_auth(id, verdict) {
            tracing::warn!(peer = %self.peer, error = %e, "authentication answer refused");
        }
    }

    /// Queues what a session produced.
    fn send(&mut self, conn: &mut Connection, channel: ChannelId, items: Vec<Item>) {
        for item in items {
            self.outboxes.push(conn, channel, item);
        }
    }
}

impl Drop for ServerSession {
    fn drop(&mut self) {
        let idle = self.authenticated && self.channels.is_empty();
        self.debug.ended(self.closed.as_ref(), idle);
        self.ctx.registry.remove(self.number);
        if self.authenticated {
            self.ctx.metrics.logged_out();
        }
        for (_, ch) in self.channels.drain() {
            ch.hang_up();
        }
    }
}

/// The method's name in the audit line and `/metrics` (RFC 4252 / RFC 4256 names).
fn method_name(m: &AuthMethod) -> &'static str {
    match m {
        AuthMethod::None => "none",
        AuthMethod::Password { .. } => "password",
        AuthMethod::PublicKeyQuery { .. }
        | AuthMethod::PublicKey { .. }
        | AuthMethod::SecurityKey { .. } => "publickey",
        AuthMethod::Certificate { .. } => "certificate",
        AuthMethod::KeyboardInteractive { .. }
        | AuthMethod::KeyboardInteractiveResponses { .. } => "keyboard-interactive",
        _ => "other",
    }
}

fn mac_name(m: Option<MacAlg>) -> &'static str {
    m.map_or("<implicit>", MacAlg::name)
}

impl Handler<Connection> for ServerSession {
    fn on_event(&mut self, conn: &mut Connection, event: Event) -> Flow {
        self.debug.pump(conn);
        if let Event::Closed(e) = &event {
            self.closed = Some(e.clone());
        }
        let peer = self.peer;
        match event {
            Event::PeerVersion { version, .. } => {
                tracing::info!(%peer, client_version = %log_text(&version), "client identified");
            }
            Event::KexComplete {
                algorithms: n,
                initial,
            } => {
                if let (Some(x), Some(tp)) = (n.host_key.x509(), &self.ctx.host_trustpoint) {
                    let num = self.number;
                    tracing::info!(%peer, "SSH2 {num}: Using hostkey algo = {x}");
                    tracing::info!(%peer,
                        "SSH2 {num}: Sending Server certificate associated with PKI trustpoint \"{tp}\"");
                }
                tracing::info!(
                    %peer,
                    kex = n.kex.name(),
                    hostkey = n.host_key.name(),
                    cipher_c2s = n.cipher_c2s.name(),
                    mac_c2s = mac_name(n.mac_c2s),
                    cipher_s2c = n.cipher_s2c.name(),
                    mac_s2c = mac_name(n.mac_s2c),
                    rekey = !initial,
                    "key exchange complete"
                );
                self.algorithms = Some(n);
                if self.authenticated {
                    self.register();
                }
            }
            Event::ServiceStarted(name) => {
                tracing::info!(%peer, service = %log_text(&name), "service started");
            }
            Event::ExtInfo(exts) => {
                let names: Vec<String> = exts.iter().map(|(n, _)| log_text(n)).collect();
                tracing::debug!(%peer, extensions = ?names, "client extensions");
            }
            Event::Auth(AuthEvent::Success) => {
                let user = log_text(self.user.as_deref().unwrap_or_default());
                tracing::info!(%peer, %user, "user authenticated");
                self.authenticated = true;
                // No longer one of the unauthenticated (MaxStartups); the source is forgiven.
                self.startup = None;
                self.ctx.penalties.succeeded(peer.ip());
                self.ctx
                    .metrics
                    .login(self.method.unwrap_or("none"), true, 1);
                self.register();
            }
            Event::Auth(AuthEvent::Request {
                id,
                user,
                method: AuthMethod::Certificate { check, signed },
            }) => {
                self.method = Some("certificate");
                let req = CertRequest {
                    number: self.number,
                    peer,
                    user: &user,
                    signed,
                };
                let (verdict, name) =
                    cert_auth::decide(&req, &check, &self.ctx.cert_mappings, &self.ctx.users);
                // The user of the session is the name taken from the certificate (IOS
                // authorization); `decide` accepts only when it equals the requested one.
                self.user = Some(name.unwrap_or(user));
                if let Err(e) = conn.answer_auth(id, verdict) {
                    tracing::warn!(%peer, error = %e, "authentication answer refused");
                }
            }
            Event::Auth(AuthEvent::Request {
                id,
                user,
                method: AuthMethod::OpenSshCertificate { cert, signed, .. },
            }) => self.openssh_certificate(conn, id, user, &cert, signed),
            Event::Auth(ev) => {
                if let AuthEvent::Request { user, method, .. } = &ev {
                    self.user = Some(user.clone());
                    self.method = Some(method_name(method));
                }
                let ctx = &self.ctx;
                let state = AuthState {
                    peer: peer.ip(),
                    stage: &mut self.kbd,
                    rules: &mut self.rules,
                };
                match on_auth_event(conn, &ctx.users, &ctx.changed, state, ev) {
                    Ok(Some(pending)) => self.check_password(conn, pending),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(%peer, error = %e, "authentication answer refused"),
                }
            }
            Event::Channel(ev) => self.on_channel(conn, ev),
            Event::Debug { message, .. } => {
                tracing::debug!(%peer, message = %log_text(&message), "client debug message");
            }
            _ => {}
        }
        self.record_failures(conn);
        Flow::Continue
    }

    fn on_app(&mut self, conn: &mut Connection, msg: AppMsg) -> Flow {
        self.debug.pump(conn);
        match msg {
            AppMsg::Output {
                channel,
                ext,
                data,
                permit,
            } => self.outboxes.push(
                conn,
                channel,
                Item::Data {
                    ext,
                    bytes: data,
                    offset: 0,
                    _permit: Some(permit),
                },
            ),
            AppMsg::Written { channel, n } => {
                let _ = conn.consume(channel, n);
            }
            AppMsg::OutputEnd { channel, ext } => {
                if let Some(ch) = self.channels.get_mut(&channel) {
                    let out = ch.output_ended(ext);
                    self.send(conn, channel, out);
                } else {
                    self.forwarding
                        .on_output_end(conn, channel, &mut self.outboxes);
                }
            }
            AppMsg::Forward(msg) => {
                self.forwarding
                    .on_msg(conn, *msg, &mut self.outboxes, &self.app);
            }
            AppMsg::Resized { .. } | AppMsg::Answers { .. } | AppMsg::ClientForward(_) => {}
            AppMsg::Disconnect { reason } => {
                tracing::info!(peer = %self.peer, number = self.number, "disconnect ssh");
                return Flow::Disconnect(reason);
            }
            AppMsg::AuthOutcome { id, outcome } => {
                let r = match outcome {
                    Outcome::Verdict(v) => conn.answer_auth(id, v),
                    Outcome::AskNewPassword => {
                        self.kbd = KbdStage::NewPassword;
                        ask_new_password(conn, id, false)
                    }
                };
                if let Err(e) = r {
                    tracing::warn!(peer = %self.peer, error = %e, "authentication answer refused");
                }
                self.record_failures(conn);
            }
            AppMsg::Exited { channel, exit } => {
                if self.sftp.remove(&channel).is_some() {
                    let code = match exit {
                        Exit::Code(c) => c,
                        Exit::Signal { .. } => 1,
                    };
                    self.send(conn, channel, sftp::closing(code));
                } else if let Some(ch) = self.channels.get_mut(&channel) {
                    if let Exit::Signal { name, .. } = &exit {
                        tracing::info!(peer = %self.peer, %channel, signal = %name, "program killed");
                    }
                    let out = ch.exited(exit);
                    self.send(conn, channel, out);
                }
            }
        }
        Flow::Continue
    }
}
