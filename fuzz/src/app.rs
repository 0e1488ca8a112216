//! The application's side of the session targets: a fixed policy that answers every question
//! the engine asks, in both roles, as a driver would (accept, refuse, prompt, echo), so the
//! fuzz input reaches the engine's answers paths as well as its parsers. Answers that do not
//! fit (the input closed the channel first, ...) return `Err` and are ignored, as a driver
//! logs and goes on.

use crate::fixtures::{PASSWORD, USER, user_certificates, user_key};
use sshgate::channel::{
    ChannelEvent, ChannelKind, ChannelRequest, GlobalRequest, PtyRequest, open_failure,
};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, Prompt};
use sshgate::{Connection, Event};

/// Most events handled per call to [`App::settle`]: answers can make events, and a loop
/// must end whatever the input did.
const MAX_EVENTS: usize = 4096;

/// Client methods in the order the targets try them; `certificate` is `publickey` with an
/// RFC 6187 chain.
pub const ALL_METHODS: &[&str] = &[
    "certificate",
    "publickey",
    "keyboard-interactive",
    "password",
];

/// The fixed policy and what a client has tried so far.
#[derive(Debug, Clone)]
pub struct App {
    /// Client: ask for `ssh-userauth` once keys are in place.
    pub request_service: bool,
    /// Client: start user authentication (`none`) once the service is accepted.
    pub start_auth: bool,
    /// Client: the methods to try, in order, after `none` fails.
    pub methods: &'static [&'static str],
    /// Client: once authenticated, open a session (pty, env, shell), ask for a port
    /// forwarding and send a keepalive.
    pub open_session: bool,
    /// Events answered so far (the tests check that input reaches the target).
    pub handled: usize,
    /// Server: this policy has accepted a user-authentication request.
    pub accepted: bool,
    tried: Vec<&'static str>,
    certificates_tried: usize,
}

impl App {
    /// A policy that does everything a client can do.
    #[must_use]
    pub fn new() -> Self {
        App {
            request_service: true,
            start_auth: true,
            methods: ALL_METHODS,
            open_session: true,
            handled: 0,
            accepted: false,
            tried: Vec::new(),
            certificates_tried: 0,
        }
    }

    /// Answers events until none is left (or [`MAX_EVENTS`]).
    pub fn settle(&mut self, conn: &mut Connection) {
        for _ in 0..MAX_EVENTS {
            let Some(ev) = conn.poll_event() else { return };
            self.answer(conn, ev);
        }
    }

    /// Answers one event.
    pub fn answer(&mut self, conn: &mut Connection, ev: Event) {
        self.handled += 1;
        if conn.role() == sshgate::Role::Server {
            // The security property of the server targets: nothing of the connection protocol
            // before this application said Accept to some request.
            let authenticated = matches!(ev, Event::Auth(AuthEvent::Success) | Event::Channel(_));
            assert!(
                self.accepted || !authenticated,
                "authenticated without the application's Accept: {ev:?}"
            );
        }
        match ev {
            Event::HostKey(_) => {
                let _ = conn.answer_host_key(true);
            }
            Event::KexComplete { initial: true, .. }
                if self.request_service && conn.role() == sshgate::Role::Client =>
            {
                conn.request_service("ssh-userauth");
            }
            Event::ServiceAccepted(_) if self.start_auth => {
                let _ = conn.auth_none(USER);
            }
            Event::Auth(a) => self.auth(conn, a),
            Event::Channel(c) => self.channel(conn, c),
            _ => {}
        }
    }

    fn auth(&mut self, conn: &mut Connection, ev: AuthEvent) {
        match ev {
            AuthEvent::Request { id, method, .. } => {
                // An Accept of a query (PK_OK) lets no one in: it does not count.
                let query = matches!(
                    method,
                    AuthMethod::PublicKeyQuery { .. }
                        | AuthMethod::Certificate { signed: false, .. }
                );
                if let Some(verdict) = server_verdict(conn, id, method) {
                    self.accepted |= verdict == AuthVerdict::Accept && !query;
                    let _ = conn.answer_auth(id, verdict);
                }
            }
            AuthEvent::Failure { methods, .. } => self.next_method(conn, &methods),
            AuthEvent::Prompt { id, prompts, .. } => {
                let _ = conn.answer_prompts(id, vec![PASSWORD.to_string(); prompts.len()]);
            }
            AuthEvent::PasswordChangeRequired { id, .. } => {
                let _ = conn.change_password(id, PASSWORD, "new-secret");
            }
            AuthEvent::Success if self.open_session && conn.role() == sshgate::Role::Client => {
                let _ = conn.open_session();
                let _ = conn.global_request(&GlobalRequest::TcpipForward {
                    address: "localhost".into(),
                    port: 0,
                });
                let _ = conn.send_keepalive();
            }
            _ => {}
        }
    }

    /// Client: the next configured method the server still offers.
    fn next_method(&mut self, conn: &mut Connection, offered: &[String]) {
        let offers = |m: &str| offered.iter().any(|o| o == m);
        for &m in self.methods {
            if m == "certificate" {
                let certs = user_certificates();
                // One chain after another; one the server's `server-sig-algs` cannot take
                // is refused by the engine before anything is sent: the next is tried.
                while offers("publickey") && self.certificates_tried < certs.len() {
                    let cert = certs[self.certificates_tried].clone();
                    self.certificates_tried += 1;
                    if conn.auth_certificate(USER, cert).is_ok() {
                        return;
                    }
                }
                continue;
            }
            if self.tried.contains(&m) || !offers(m) {
                continue;
            }
            self.tried.push(m);
            let sent = match m {
                "publickey" => conn.auth_publickey(USER, user_key()),
                "keyboard-interactive" => conn.auth_keyboard_interactive(USER, ""),
                _ => conn.auth_password(USER, PASSWORD),
            };
            if sent.is_ok() {
                return;
            }
        }
    }

    fn channel(&mut self, conn: &mut Connection, ev: ChannelEvent) {
        let server = conn.role() == sshgate::Role::Server;
        match ev {
            ChannelEvent::OpenRequest { channel, kind } => {
                let refuse = matches!(&kind, ChannelKind::DirectTcpip { port: 0, .. });
                let _ = if refuse {
                    conn.reject_channel(channel, open_failure::CONNECT_FAILED, "port 0")
                } else {
                    conn.accept_channel(channel)
                };
            }
            ChannelEvent::Opened { channel } if !server && self.open_session => {
                let pty = PtyRequest {
                    term: "xterm".into(),
                    ..PtyRequest::default()
                };
                let _ = conn.channel_request(channel, &ChannelRequest::Pty(pty), true);
                let env = ChannelRequest::Env {
                    name: "LANG".into(),
                    value: "C".into(),
                };
                let _ = conn.channel_request(channel, &env, false);
                let _ = conn.channel_request(channel, &ChannelRequest::Shell, true);
                let _ = conn.send_data(channel, b"show version\n");
            }
            ChannelEvent::Request {
                channel,
                request,
                want_reply,
            } => {
                let ok = server && !matches!(request, ChannelRequest::Break { .. });
                if want_reply {
                    let _ = conn.answer_channel_request(channel, ok);
                }
                match request {
                    ChannelRequest::Shell | ChannelRequest::Subsystem { .. } if server => {
                        let _ = conn.send_data(channel, b"router1# ");
                    }
                    ChannelRequest::Exec { .. } if server => {
                        let _ = conn.send_extended_data(channel, 1, b"% done\n");
                        let status = ChannelRequest::ExitStatus { code: 0 };
                        let _ = conn.channel_request(channel, &status, false);
                        let _ = conn.send_eof(channel);
                        let _ = conn.close_channel(channel);
                    }
                    _ => {}
                }
            }
            ChannelEvent::Data { channel, data } => {
                if server {
                    // Echo, as a terminal does: the send window is used up too.
                    let _ = conn.send_data(channel, &data);
                }
                let _ = conn.consume(channel, data.len());
            }
            ChannelEvent::ExtendedData { channel, data, .. } => {
                let _ = conn.consume(channel, data.len());
            }
            ChannelEvent::Eof { channel } => {
                if server {
                    let _ = conn.send_eof(channel);
                }
                let _ = conn.close_channel(channel);
            }
            ChannelEvent::GlobalRequest {
                request,
                want_reply: true,
            } => {
                let port = match request {
                    GlobalRequest::TcpipForward { port: 0, .. } => Some(4242),
                    _ => None,
                };
                let _ = conn.answer_global_request(server, port);
            }
            _ => {}
        }
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

/// Server: the verdict on one user-authentication request (`None`: answered with
/// keyboard-interactive prompts instead).
fn server_verdict(conn: &mut Connection, id: u64, method: AuthMethod) -> Option<AuthVerdict> {
    let verdict = match method {
        AuthMethod::None => AuthVerdict::Reject,
        AuthMethod::Password {
            password,
            new_password,
        } => match (password.expose(), new_password) {
            (_, Some(_)) | (PASSWORD, None) => AuthVerdict::Accept,
            ("expired", None) => AuthVerdict::PasswordExpired {
                prompt: "Password expired".into(),
            },
            ("partial", None) => AuthVerdict::PartialSuccess {
                remaining_methods: None,
            },
            _ => AuthVerdict::Reject,
        },
        AuthMethod::PublicKeyQuery { .. } | AuthMethod::PublicKey { .. } => AuthVerdict::Accept,
        AuthMethod::Certificate { check, .. } => {
            let login = check.validated().and_then(|v| {
                v.identity
                    .username(&sshgate::pki::UsernameField::CommonName)
                    .ok()
            });
            if login.is_some() {
                AuthVerdict::Accept
            } else {
                AuthVerdict::Reject
            }
        }
        AuthMethod::KeyboardInteractive { .. } => {
            let prompts = vec![
                Prompt::new("Password: ", false),
                Prompt::new("Code: ", true),
            ];
            let _ = conn.answer_kbd_prompts(id, "fuzz", "answer both", prompts);
            return None;
        }
        AuthMethod::KeyboardInteractiveResponses { responses } => {
            match responses.first().map(|r| r.expose()) {
                Some(PASSWORD) => AuthVerdict::Accept,
                Some("partial") => AuthVerdict::PartialSuccess {
                    remaining_methods: Some(vec!["password".into()]),
                },
                _ => AuthVerdict::Reject,
            }
        }
        _ => AuthVerdict::Reject,
    };
    Some(verdict)
}
