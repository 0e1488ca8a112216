//! The device's own `ssh` command (IOS `ssh -l user host`): an outbound SSH connection through
//! the same engine in the client role, on the inbound connection's runtime, whose terminal is
//! the inbound session's.
//!
//! Three tasks, joined by the same permit scheme as a program's output (`channel_io`):
//! - the connection task drives a client [`Connection`] with [`OutboundSession`] as its handler
//!   (user authentication is the `ssh` command's own [`Authenticator`], OpenSSH's order and
//!   `NumberOfPasswordPrompts`, its questions asked through [`TerminalAsker`]);
//! - [`forward_output`] hands what goes to the user (remote output, prompts, messages) to the
//!   inbound session as [`AppMsg::Output`], each chunk holding a permit until the inbound
//!   engine took it; the remote window is given back only then, so a user who does not read
//!   stops the remote;
//! - [`forward_input`] hands the user's keystrokes to the connection task the same way and
//!   acknowledges them to the inbound session ([`AppMsg::Written`]), which gives the user's
//!   window back.
//!
//! When the connection ends, the last text (`[Connection to HOST closed by foreign host]`) goes
//! out, then [`AppMsg::OutputEnd`] on the inbound channel gives the terminal back to the CLI.
//!
//! Host keys: the device's known hosts ([`DeviceRegistry`]) start from the device file's
//! `known_hosts` and keep the keys accepted since in memory (lost at restart). As IOS without
//! `ip ssh stricthostkeycheck` (`strict_host_key_check = false`, the default), a new server's
//! key is accepted and kept; with it, only known keys are. A key that differs from the one
//! known for that host and port is refused either way.

use crate::app_msg::AppMsg;
use crate::channel_io::outbox::{Item, Outboxes};
use crate::client::auth::{Asker, AuthSettings, Authenticator, Step};
use crate::client::prompt::{Question, Source};
use crate::client::session::{NO_MORE_METHODS, USERAUTH_SERVICE};
use crate::driver::{self, Ending, Flow, Handler};
use crate::server::cli_session::crlf;
use crate::server::device_cli::SshRequest;
use crate::server::device_cli::mac_display;
use crate::server::device_state::{ConnectionRow, DeviceRegistry, OutboundInfo};
use sshgate::channel::{ChannelEvent, ChannelId, ChannelRequest, PtyRequest, WindowSize};
use sshgate::keys::known_hosts::HostKeyStatus;
use sshgate::transport::cipher::MacAlg;
use sshgate::transport::kexinit::Negotiated;
use sshgate::{Algorithms, ClientConfig, CommonConfig, Connection, Event, Fault};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use zeroize::Zeroizing;

/// Chunks in flight each way (as a program's output reader).
const IN_FLIGHT: usize = 4;
/// How long the TCP connection may take (IOS gives up about as soon).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// IOS's password question.
const PASSWORD_PROMPT: &str = "Password: ";

/// What the inbound session gives an outbound one.
#[derive(Clone)]
pub struct OutboundLink {
    /// The inbound session's messages.
    pub app: mpsc::Sender<AppMsg>,
    /// The inbound channel the user types on.
    pub channel: ChannelId,
    /// The device's session list (`show ssh`, `disconnect ssh`, known hosts).
    pub registry: Arc<DeviceRegistry>,
    /// Where connection numbers come from (shared with inbound connections, as IOS numbers
    /// them).
    pub numbers: Arc<dyn Fn() -> u32 + Send + Sync>,
    /// The inbound connection's number (the user's line).
    pub line: u32,
}

/// What the user's side sends to the connection task.
enum ToRemote {
    Bytes(Vec<u8>),
    Resize(WindowSize),
}

/// The inbound side's handle on a running outbound session.
pub struct Outbound {
    input: mpsc::UnboundedSender<ToRemote>,
    kill: Arc<Notify>,
}

impl Outbound {
    /// The user typed `bytes` (acknowledged with [`AppMsg::Written`] on the inbound channel).
    pub fn send(&self, bytes: Vec<u8>) {
        let _ = self.input.send(ToRemote::Bytes(bytes));
    }

    /// The user's terminal changed size.
    pub fn resize(&self, size: WindowSize) {
        let _ = self.input.send(ToRemote::Resize(size));
    }

    /// Closes the connection (the inbound session ended).
    pub fn kill(&self) {
        self.kill.notify_one();
    }
}

/// Starts `req` for the user of `link`; `pty` is the inbound session's terminal (asked for
/// remotely as it is).
#[must_use]
pub fn start(req: SshRequest, link: &OutboundLink, pty: Option<PtyRequest>) -> Outbound {
    let number = (link.numbers)();
    let kill = Arc::new(Notify::new());
    let (app_tx, app_rx) = mpsc::channel(64);
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    tokio::spawn(forward_input(
        in_rx,
        app_tx.clone(),
        link.app.clone(),
        link.channel,
    ));
    tokio::spawn(forward_output(
        out_rx,
        link.app.clone(),
        link.channel,
        app_tx,
    ));
    let k = kill.clone();
    link.registry
        .set_closer(number, Some(Arc::new(move || k.notify_one())));
    let run = Run {
        req,
        number,
        line: link.line,
        registry: link.registry.clone(),
        to_user: out_tx,
        pty,
        kill: kill.clone(),
    };
    tokio::spawn(run.go(app_rx));
    Outbound { input: in_tx, kill }
}

/// Keystrokes to the connection task, each chunk holding a permit until the remote engine took
/// it; the inbound window is given back as they leave.
async fn forward_input(
    mut rx: mpsc::UnboundedReceiver<ToRemote>,
    remote: mpsc::Sender<AppMsg>,
    user: mpsc::Sender<AppMsg>,
    channel: ChannelId,
) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(msg) = rx.recv().await {
        match msg {
            ToRemote::Bytes(data) => {
                let n = data.len();
                if let Ok(permit) = permits.clone().acquire_owned().await {
                    // After the connection ended the bytes go nowhere, but the window still
                    // comes back.
                    let _ = remote
                        .send(AppMsg::Output {
                            channel,
                            ext: None,
                            data,
                            permit,
                        })
                        .await;
                }
                let _ = user.send(AppMsg::Written { channel, n }).await;
            }
            ToRemote::Resize(size) => {
                let _ = remote
                    .send(AppMsg::Resized {
                        cols: size.cols,
                        rows: size.rows,
                    })
                    .await;
            }
        }
    }
}

/// Text for the user: `(bytes, from the remote)`. Remote bytes are acknowledged to the
/// connection task once handed on, which gives the remote window back.
async fn forward_output(
    mut rx: mpsc::UnboundedReceiver<(Vec<u8>, bool)>,
    user: mpsc::Sender<AppMsg>,
    channel: ChannelId,
    remote: mpsc::Sender<AppMsg>,
) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some((data, from_remote)) = rx.recv().await {
        let n = data.len();
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let _ = user
            .send(AppMsg::Output {
                channel,
                ext: None,
                data,
                permit,
            })
            .await;
        if from_remote {
            let _ = remote.send(AppMsg::Written { channel, n }).await;
        }
    }
    // Everything is out: the terminal goes back to the CLI.
    let _ = user.send(AppMsg::OutputEnd { channel, ext: None }).await;
}

/// The connection task's inputs.
struct Run {
    req: SshRequest,
    number: u32,
    line: u32,
    registry: Arc<DeviceRegistry>,
    to_user: mpsc::UnboundedSender<(Vec<u8>, bool)>,
    pty: Option<PtyRequest>,
    kill: Arc<Notify>,
}

impl Run {
    async fn go(self, app_rx: mpsc::Receiver<AppMsg>) {
        let last = self.connection(app_rx).await;
        let _ = self.to_user.send((crlf(&last).into_bytes(), false));
        self.registry.remove_outbound(self.number);
        // Dropping `to_user` ends the output forwarder, which hands the terminal back.
    }

    /// Runs the connection; returns the last words for the user.
    async fn connection(&self, mut app_rx: mpsc::Receiver<AppMsg>) -> String {
        let host = self.req.host.clone();
        let connect = async {
            let addrs = tokio::net::lookup_host((host.as_str(), self.req.port)).await?;
            let mut last = std::io::Error::from(std::io::ErrorKind::AddrNotAvailable);
            for a in addrs {
                match tokio::net::TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = e,
                }
            }
            Err(last)
        };
        let stream = tokio::select! {
            r = tokio::time::timeout(CONNECT_TIMEOUT, connect) => r,
            () = self.kill.notified() => return format!("\n[Connection to {host} aborted]\n"),
        };
        let stream = match stream {
            Ok(Ok(s)) => s,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return "% Connection refused by remote host\n".into();
            }
            Ok(Err(e)) => return format!("% Unable to connect to {host}: {e}\n"),
            Err(_) => return "% Connection timed out; remote host not responding\n".into(),
        };
        let _ = stream.set_nodelay(true);
        let mut algorithms = Algorithms::default();
        if let Some(c) = self.req.cipher {
            algorithms.cipher = vec![c];
        }
        if let Some(m) = self.req.mac {
            algorithms.mac = vec![m];
        }
        let cfg = Arc::new(ClientConfig {
            common: CommonConfig {
                algorithms,
                ..CommonConfig::default()
            },
            host_name: Some(host.clone()),
            ..ClientConfig::default()
        });
        let seed = match driver::os_seed() {
            Ok(s) => s,
            Err(e) => return format!("% {e}\n"),
        };
        let mut conn = Connection::client(cfg, driver::now(), seed);
        conn.set_wall_clock(crate::wall_clock::unix_now());
        let mut handler = OutboundSession::new(self);
        tracing::info!(number = self.number, line = self.line, %host, port = self.req.port,
            user = %handler.user, "outbound ssh connection");
        let ending = driver::drive_with_app(
            stream,
            &mut conn,
            &mut handler,
            &mut app_rx,
            self.kill.notified(),
        )
        .await;
        tracing::info!(number = self.number, %host, ending = %ending, "outbound ssh connection closed");
        if let Some(why) = handler.failure.take() {
            return why;
        }
        match &ending {
            Ending::Shutdown => format!("\n[Connection to {host} closed by local host]\n"),
            _ if handler.authenticated => {
                format!("\n[Connection to {host} closed by foreign host]\n")
            }
            Ending::Engine(e) if e.fault != Fault::PeerDisconnected => {
                format!(
                    "% {host}: {}\n",
                    sshgate::text::for_log(&e.to_string(), 200)
                )
            }
            _ => format!("\n[Connection to {host} closed by foreign host]\n"),
        }
    }
}

/// Questions for the user, waiting for the connection handler to show them.
type Asks = Arc<Mutex<VecDeque<(u64, Vec<String>, Vec<Question>)>>>;

/// The [`Asker`] of an outbound session: questions are queued for [`OutboundSession`], which
/// shows them on the user's terminal and reads the answers from the keystrokes.
struct TerminalAsker {
    asks: Asks,
    to_user: mpsc::UnboundedSender<(Vec<u8>, bool)>,
}

impl Asker for TerminalAsker {
    fn ask(&self, ticket: u64, preface: Vec<String>, questions: Vec<Question>) {
        self.asks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back((ticket, preface, questions));
    }

    fn show(&self, text: &str) {
        let _ = self.to_user.send((crlf(text).into_bytes(), false));
    }
}

/// A question being answered on the user's terminal.
struct Asking {
    ticket: u64,
    questions: Vec<Question>,
    answers: Vec<Zeroizing<String>>,
    typed: Zeroizing<Vec<u8>>,
    after_cr: bool,
}

/// The outbound connection's event handler.
struct OutboundSession {
    host: String,
    port: u16,
    user: String,
    number: u32,
    line: u32,
    registry: Arc<DeviceRegistry>,
    auth: Authenticator,
    asks: Asks,
    asking: Option<Asking>,
    to_user: mpsc::UnboundedSender<(Vec<u8>, bool)>,
    pty: Option<PtyRequest>,
    command: Option<String>,
    channel: Option<ChannelId>,
    /// The session channel is open (its shell may take input).
    open: bool,
    /// Keystrokes typed before a question or the shell could take them (a terminal buffers
    /// type-ahead the same way); their permits keep the user's side from running far ahead.
    early: VecDeque<(Vec<u8>, OwnedSemaphorePermit)>,
    /// No keystroke came yet: a first `\n` (or NUL) ends the `ssh` line's `\r`, not an answer.
    first_keys: bool,
    awaiting: VecDeque<&'static str>,
    outboxes: Outboxes,
    algorithms: Option<Negotiated>,
    authenticated: bool,
    /// Why it failed, in IOS's words, when that is known better than from the ending.
    failure: Option<String>,
}

impl OutboundSession {
    fn new(run: &Run) -> Self {
        let user = run.req.user.clone().unwrap_or_default();
        let asks = Asks::default();
        // The authenticator's own message channel is not used: answers come from keystrokes.
        let (unused_tx, _) = mpsc::channel(1);
        let auth = Authenticator::new(
            AuthSettings {
                user: user.clone(),
                host: run.req.host.clone(),
                methods: ["publickey", "keyboard-interactive", "password"]
                    .map(String::from)
                    .to_vec(),
                certificate: None,
                identities: Vec::new(),
                identities_given: false,
                password_prompts: run.req.password_prompts,
                source: Source::Terminal,
                verbose: false,
            },
            unused_tx,
        )
        .with_asker(
            Box::new(TerminalAsker {
                asks: asks.clone(),
                to_user: run.to_user.clone(),
            }),
            Some(PASSWORD_PROMPT.into()),
        );
        OutboundSession {
            host: run.req.host.clone(),
            port: run.req.port,
            user,
            number: run.number,
            line: run.line,
            registry: run.registry.clone(),
            auth,
            asks,
            asking: None,
            to_user: run.to_user.clone(),
            pty: run.pty.clone(),
            command: run.req.command.clone(),
            channel: None,
            open: false,
            early: VecDeque::new(),
            first_keys: true,
            awaiting: VecDeque::new(),
            outboxes: Outboxes::default(),
            algorithms: None,
            authenticated: false,
            failure: None,
        }
    }

    fn show(&self, text: &str) {
        let _ = self.to_user.send((crlf(text).into_bytes(), false));
    }

    /// Acts on an authentication step, then shows the next question if one waits.
    fn step(&mut self, conn: &mut Connection, step: Step) -> Flow {
        let flow = match step {
            Step::Pending => Flow::Continue,
            Step::Denied(why) => {
                tracing::info!(number = self.number, host = %self.host, why = %why, "outbound ssh: authentication failed");
                self.failure = Some("% Authentication failed.\n".into());
                Flow::Disconnect(NO_MORE_METHODS.into())
            }
            Step::Done(method) => {
                tracing::info!(number = self.number, host = %self.host, %method, "outbound ssh: authenticated");
                self.authenticated = true;
                self.register();
                match conn.open_session() {
                    Ok(id) => {
                        self.channel = Some(id);
                        let _ = conn.send_no_more_sessions();
                        Flow::Continue
                    }
                    Err(e) => Flow::Disconnect(format!("cannot open a session: {e}")),
                }
            }
        };
        self.next_question();
        flow
    }

    fn next_question(&mut self) {
        if self.asking.is_some() {
            return;
        }
        let next = self
            .asks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front();
        let Some((ticket, preface, questions)) = next else {
            return;
        };
        for line in &preface {
            self.show(&format!("{line}\n"));
        }
        if let Some(q) = questions.first() {
            self.show(&q.text);
        }
        self.asking = Some(Asking {
            ticket,
            questions,
            answers: Vec::new(),
            typed: Zeroizing::new(Vec::new()),
            after_cr: false,
        });
    }

    /// Hands typed-ahead keystrokes to the question or the shell once one can take them.
    fn flush_early(&mut self, conn: &mut Connection) -> Flow {
        while let Some((data, permit)) = self.early.pop_front() {
            if self.asking.is_some() {
                let (flow, used) = self.answer_keys(conn, &data);
                if used < data.len() {
                    self.early.push_front((data[used..].to_vec(), permit));
                }
                if flow != Flow::Continue {
                    return flow;
                }
            } else if let (true, Some(ch)) = (self.open, self.channel) {
                self.outboxes.push(
                    conn,
                    ch,
                    Item::Data {
                        ext: None,
                        bytes: data,
                        offset: 0,
                        _permit: Some(permit),
                    },
                );
            } else {
                self.early.push_front((data, permit));
                break;
            }
        }
        Flow::Continue
    }

    /// Keystrokes while a question waits: a line each, echoed only for questions that echo.
    /// Returns how many bytes it took (it stops when the questions are answered).
    fn answer_keys(&mut self, conn: &mut Connection, data: &[u8]) -> (Flow, usize) {
        for (i, &b) in data.iter().enumerate() {
            let Some(a) = &mut self.asking else {
                return (Flow::Continue, i);
            };
            let echo = a.questions.get(a.answers.len()).is_some_and(|q| q.echo);
            let after_cr = std::mem::replace(&mut a.after_cr, b == b'\r');
            match b {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    let typed = String::from_utf8_lossy(&a.typed).into_owned();
                    a.typed.clear();
                    a.answers.push(Zeroizing::new(typed));
                    self.show("\n");
                    let a = self.asking.as_ref().expect("asking");
                    if let Some(q) = a.questions.get(a.answers.len()) {
                        let text = q.text.clone();
                        self.show(&text);
                    } else {
                        let a = self.asking.take().expect("asking");
                        let step = self.auth.on_answers(conn, a.ticket, Some(a.answers));
                        if let Flow::Disconnect(why) = self.step(conn, step) {
                            return (Flow::Disconnect(why), i + 1);
                        }
                    }
                }
                // Ctrl-C, Ctrl-D: no answer (the authenticator stops asking).
                0x03 | 0x04 => {
                    self.show("\n");
                    let a = self.asking.take().expect("asking");
                    let step = self.auth.on_answers(conn, a.ticket, None);
                    if let Flow::Disconnect(why) = self.step(conn, step) {
                        return (Flow::Disconnect(why), i + 1);
                    }
                }
                0x7f | 0x08 => {
                    let erased = a.typed.pop().is_some();
                    if erased && echo {
                        self.show("\x08 \x08");
                    }
                }
                0x15 => a.typed.clear(),
                b if b >= 0x20 && a.typed.len() < 1024 => {
                    a.typed.push(b);
                    if echo {
                        let _ = self.to_user.send((vec![b], false));
                    }
                }
                _ => {}
            }
        }
        (Flow::Continue, data.len())
    }

    /// The `show ssh` rows: IN is what the device receives (server to client here).
    fn register(&self) {
        let Some(n) = &self.algorithms else {
            return;
        };
        let mac = |m: Option<MacAlg>| m.map(MacAlg::name);
        self.registry.add_outbound(OutboundInfo {
            connection: ConnectionRow {
                id: self.number,
                version: "2.0".into(),
                encryption_in: n.cipher_s2c.name().into(),
                encryption_out: n.cipher_c2s.name().into(),
                hmac_in: mac_display(n.cipher_s2c.name(), mac(n.mac_s2c)),
                hmac_out: mac_display(n.cipher_c2s.name(), mac(n.mac_c2s)),
                state: "Session started".into(),
                username: self.user.clone(),
            },
            line: self.line,
            host: self.host.clone(),
        });
    }

    /// The session channel is open: the user's terminal, then the shell or the command.
    fn opened(&mut self, conn: &mut Connection, ch: ChannelId) {
        self.open = true;
        if let Some(pty) = &self.pty
            && conn
                .channel_request(ch, &ChannelRequest::Pty(pty.clone()), true)
                .is_ok()
        {
            self.awaiting.push_back("pty-req");
        }
        let (req, name) = match &self.command {
            Some(c) => (ChannelRequest::Exec { command: c.clone() }, "exec"),
            None => (ChannelRequest::Shell, "shell"),
        };
        if conn.channel_request(ch, &req, true).is_ok() {
            self.awaiting.push_back(name);
        }
    }

    fn on_channel(&mut self, conn: &mut Connection, ev: ChannelEvent) -> Flow {
        match ev {
            ChannelEvent::Opened { channel } => self.opened(conn, channel),
            ChannelEvent::OpenFailed { description, .. } => {
                self.failure = Some(format!(
                    "% Session refused by {}: {}\n",
                    self.host,
                    crate::client::peer_text::line(&description)
                ));
                return Flow::Disconnect("disconnected by user".into());
            }
            ChannelEvent::RequestAnswered { channel, success } => {
                let name = self.awaiting.pop_front().unwrap_or("request");
                // A refused PTY still leaves a session (OpenSSH goes on too).
                if !success && name != "pty-req" {
                    self.show(&format!("% {name} request refused by {}\n", self.host));
                    let _ = conn.close_channel(channel);
                }
            }
            ChannelEvent::Data { data, .. } | ChannelEvent::ExtendedData { data, .. } => {
                // The window comes back when the user's side took it (AppMsg::Written).
                let _ = self.to_user.send((data, true));
            }
            ChannelEvent::Writable { channel } => self.outboxes.flush(conn, channel),
            ChannelEvent::Closed { channel } => {
                self.outboxes.forget(channel);
                return Flow::Disconnect("disconnected by user".into());
            }
            ChannelEvent::GlobalRequest {
                want_reply: true, ..
            } => {
                let _ = conn.answer_global_request(false, None);
            }
            _ => {}
        }
        Flow::Continue
    }
}

impl Handler<Connection> for OutboundSession {
    fn on_event(&mut self, conn: &mut Connection, event: Event) -> Flow {
        match self.event(conn, event) {
            Flow::Continue => self.flush_early(conn),
            stop => stop,
        }
    }

    fn on_app(&mut self, conn: &mut Connection, msg: AppMsg) -> Flow {
        match msg {
            AppMsg::Output {
                mut data, permit, ..
            } => {
                if std::mem::take(&mut self.first_keys) && matches!(data.first(), Some(b'\n' | 0)) {
                    data.remove(0);
                }
                self.early.push_back((data, permit));
                return self.flush_early(conn);
            }
            AppMsg::Written { n, .. } => {
                if let Some(ch) = self.channel {
                    let _ = conn.consume(ch, n);
                }
            }
            AppMsg::Resized { cols, rows } => {
                if let Some(ch) = self.channel {
                    let size = WindowSize {
                        cols,
                        rows,
                        ..WindowSize::default()
                    };
                    let _ = conn.channel_request(ch, &ChannelRequest::WindowChange(size), false);
                }
            }
            _ => {}
        }
        Flow::Continue
    }
}

impl OutboundSession {
    fn event(&mut self, conn: &mut Connection, event: Event) -> Flow {
        match event {
            Event::HostKey(info) => {
                let status = self
                    .registry
                    .host_key_status(&self.host, self.port, &info.key);
                let trusted = match status {
                    HostKeyStatus::Match(_) => true,
                    HostKeyStatus::Unknown if self.registry.strict_host_keys() => {
                        tracing::warn!(number = self.number, host = %self.host,
                            fingerprint = %info.fingerprint, "outbound ssh: unknown host key refused (strict host key check)");
                        self.failure = Some(format!(
                            "% Host key not trusted: no key is known for {} ({})\n",
                            self.host, info.fingerprint
                        ));
                        false
                    }
                    HostKeyStatus::Unknown => {
                        self.registry
                            .remember_host_key(&self.host, self.port, &info.key);
                        tracing::info!(number = self.number, host = %self.host,
                            fingerprint = %info.fingerprint, "outbound ssh: new host key stored");
                        true
                    }
                    HostKeyStatus::Mismatch(_) | HostKeyStatus::Revoked(_) => {
                        tracing::warn!(number = self.number, host = %self.host,
                            fingerprint = %info.fingerprint, "outbound ssh: host key differs from the stored one");
                        self.failure = Some(format!(
                            "% Host key not trusted: it differs from the key stored for {} ({})\n",
                            self.host, info.fingerprint
                        ));
                        false
                    }
                };
                let _ = conn.answer_host_key(trusted);
            }
            Event::KexComplete {
                algorithms,
                initial,
            } => {
                self.algorithms = Some(algorithms);
                if initial {
                    conn.request_service(USERAUTH_SERVICE);
                } else if self.authenticated {
                    self.register();
                }
            }
            Event::ServiceAccepted(_) => {
                let step = self.auth.begin(conn);
                return self.step(conn, step);
            }
            Event::Auth(ev) => {
                let step = self.auth.on_event(conn, ev);
                return self.step(conn, step);
            }
            Event::Channel(ev) => return self.on_channel(conn, ev),
            _ => {}
        }
        Flow::Continue
    }
}
