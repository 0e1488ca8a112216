//! The `ssh` command's event handler: OpenSSH-style `debug1:` lines, the host key decision,
//! user authentication ([`super::auth`]) and then the session ([`super::remote`]) and the
//! forwards ([`super::forward`]), or with `-N` just the open connection and the forwards.

use super::auth::{Authenticator, Step};
use super::forward::{self, Forwards, Plan};
use super::host_key::{self, Verdict};
use super::options::ClientSettings;
use super::peer_text;
use super::prompt;
use super::remote::RemoteSession;
use crate::app_msg::AppMsg;
use crate::driver::{Flow, Handler};
use sshgate::transport::kexinit::Negotiated;
use sshgate::{Connection, Event, HostKeyInfo};
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// The ticket of the host key question ([`Authenticator`]'s tickets start at 1).
const HOST_KEY_TICKET: u64 = 0;

/// The service asked for once keys are in place.
pub const USERAUTH_SERVICE: &str = "ssh-userauth";

/// Our DISCONNECT's description when nothing more can be tried.
pub const NO_MORE_METHODS: &str = "No more authentication methods to try.";

/// State of one `ssh` run.
pub struct ClientSession {
    settings: ClientSettings,
    /// `None` through a jump host.
    peer: Option<SocketAddr>,
    auth: Authenticator,
    /// `-L`, `-R`, `-D`, `-W`, or a jump hop's channel to the next hop.
    forwards: Forwards,
    /// The session to run once authenticated (`None` with `-N`).
    remote: Option<RemoteSession>,
    /// The server accepted `ssh-userauth`.
    pub accepted: bool,
    /// Authentication succeeded.
    pub authenticated: bool,
    /// A failure was already explained to the user (host key refused, permission denied).
    pub reported: bool,
    /// Whether questions can be asked (a terminal, not batch mode).
    can_ask: bool,
    app: mpsc::Sender<AppMsg>,
    /// The host key waiting for the person's yes or no.
    pending_host_key: Option<HostKeyInfo>,
}

/// The four `debug1: kex:` lines for a negotiated set, exactly as OpenSSH prints them.
#[must_use]
pub fn kex_lines(n: &Negotiated) -> [String; 4] {
    let mac = |m: Option<sshgate::transport::cipher::MacAlg>| m.map_or("<implicit>", |m| m.name());
    [
        format!("kex: algorithm: {}", n.kex.name()),
        format!("kex: host key algorithm: {}", n.host_key.name()),
        format!(
            "kex: server->client cipher: {} MAC: {} compression: none",
            n.cipher_s2c.name(),
            mac(n.mac_s2c)
        ),
        format!(
            "kex: client->server cipher: {} MAC: {} compression: none",
            n.cipher_c2s.name(),
            mac(n.mac_c2s)
        ),
    ]
}

/// OpenSSH's line for the peer's identification: `SSH-2.0-OpenSSH_9.2p1 Debian-2` becomes
/// `Remote protocol version 2.0, remote software version OpenSSH_9.2p1 Debian-2`.
#[must_use]
pub fn remote_version_line(version: &str) -> String {
    let rest = version.strip_prefix("SSH-").unwrap_or(version);
    match rest.split_once('-') {
        Some((proto, software)) => {
            format!("Remote protocol version {proto}, remote software version {software}")
        }
        None => format!("Remote protocol version {rest}, remote software version "),
    }
}

impl ClientSession {
    /// A run for these settings against `peer`: authenticate with `auth`, then run `remote`.
    #[must_use]
    pub fn new(
        settings: ClientSettings,
        peer: Option<SocketAddr>,
        auth: Authenticator,
        remote: Option<RemoteSession>,
        app: mpsc::Sender<AppMsg>,
        can_ask: bool,
    ) -> Self {
        ClientSession {
            settings,
            peer,
            auth,
            forwards: Forwards::new(Plan::default(), app.clone()),
            remote,
            accepted: false,
            authenticated: false,
            reported: false,
            can_ask,
            app,
            pending_host_key: None,
        }
    }

    /// The forwards to set up once authenticated.
    #[must_use]
    pub fn with_forwards(mut self, forwards: Forwards) -> Self {
        self.forwards = forwards;
        self
    }

    /// A forward the run depends on failed (`-W`, a jump hop, `ExitOnForwardFailure`).
    #[must_use]
    pub fn forwards_failed(&self) -> bool {
        self.forwards.failed
    }

    /// The channel of the session, if one was opened.
    fn session_channel(&self) -> Option<sshgate::channel::ChannelId> {
        self.remote.as_ref().and_then(RemoteSession::channel)
    }

    /// The session, once the connection has ended (to collect its output and exit status).
    #[must_use]
    pub fn into_remote(self) -> Option<RemoteSession> {
        self.remote
    }

    /// Acts on an authentication step.
    fn step(&mut self, conn: &mut Connection, step: Step) -> Flow {
        match step {
            Step::Pending => Flow::Continue,
            Step::Denied(message) => {
                eprintln!("{message}");
                self.reported = true;
                Flow::Disconnect(NO_MORE_METHODS.into())
            }
            Step::Done(method) => {
                self.authenticated = true;
                if self.settings.verbose > 0 {
                    let via = match self.peer {
                        Some(p) => format!("[{}]:{}", p.ip(), p.port()),
                        None => "via proxy".into(),
                    };
                    eprintln!(
                        "Authenticated to {} ({via}) using \"{method}\".",
                        self.settings.host,
                    );
                }
                if let Flow::Disconnect(why) = self.forwards.start(conn) {
                    return Flow::Disconnect(why);
                }
                match &mut self.remote {
                    Some(r) => r.start(conn),
                    None => Flow::Continue,
                }
            }
        }
    }

    fn debug(&self, msg: &str) {
        if self.settings.verbose > 0 {
            eprintln!("debug1: {msg}");
        }
    }

    fn refuse(&mut self) -> bool {
        eprintln!("Host key verification failed.");
        self.reported = true;
        false
    }

    /// The person's answer to "Are you sure you want to continue connecting".
    fn host_key_answer(
        &mut self,
        conn: &mut Connection,
        answers: Option<Vec<zeroize::Zeroizing<String>>>,
    ) -> Flow {
        let Some(info) = self.pending_host_key.take() else {
            return Flow::Continue;
        };
        let answer = answers
            .and_then(|a| a.into_iter().next())
            .map(|a| a.trim().to_string());
        let trusted = match answer.as_deref() {
            Some(a) if a.eq_ignore_ascii_case("yes") || a == info.fingerprint => {
                host_key::remember(&self.settings, &info);
                true
            }
            Some(a) if a.eq_ignore_ascii_case("no") => self.refuse(),
            None => self.refuse(),
            Some(_) => {
                prompt::ask(
                    HOST_KEY_TICKET,
                    Vec::new(),
                    vec![host_key::retry_question()],
                    self.app.clone(),
                );
                self.pending_host_key = Some(info);
                return Flow::Continue;
            }
        };
        let _ = conn.answer_host_key(trusted);
        Flow::Continue
    }
}

impl Handler<Connection> for ClientSession {
    fn on_event(&mut self, conn: &mut Connection, event: Event) -> Flow {
        match event {
            Event::PeerVersion { version, prelude } => {
                for (i, line) in prelude.iter().enumerate() {
                    self.debug(&format!(
                        "kex_exchange_identification: banner line {i}: {}",
                        peer_text::line(line)
                    ));
                }
                self.debug(&remote_version_line(&peer_text::line(&version)));
            }
            Event::HostKey(info) => {
                // For RFC 6187 the algorithm names the certificate (PKIX-SSH prints it so).
                let kind = match info.algorithm.x509() {
                    Some(x) => x.name(),
                    None => info.key.key_type(),
                };
                match &info.openssh_certificate {
                    Some(c) => self.debug(&format!(
                        "Server host certificate: {}",
                        super::openssh_certs::describe(c)
                    )),
                    None => self.debug(&format!("Server host key: {kind} {}", info.fingerprint)),
                }
                match host_key::check(&self.settings, &info, self.can_ask) {
                    Verdict::Trusted => {
                        let _ = conn.answer_host_key(true);
                    }
                    // A refusal closes the connection; the `Closed` event and the driver report it.
                    Verdict::Refused => {
                        self.refuse();
                        let _ = conn.answer_host_key(false);
                    }
                    Verdict::Ask { preface, question } => {
                        prompt::ask(HOST_KEY_TICKET, preface, vec![question], self.app.clone());
                        self.pending_host_key = Some(info);
                    }
                }
            }
            Event::KexComplete {
                algorithms,
                initial,
            } => {
                for line in kex_lines(&algorithms) {
                    self.debug(&line);
                }
                if initial {
                    conn.request_service(USERAUTH_SERVICE);
                    self.debug("SSH2_MSG_SERVICE_REQUEST sent");
                }
            }
            Event::ExtInfo(exts) => {
                self.debug("SSH2_MSG_EXT_INFO received");
                for (name, value) in exts {
                    let (name, value) = (
                        peer_text::line(&name),
                        sshgate::text::bytes_for_log(&value, 1024),
                    );
                    self.debug(&format!("kex_ext_info_client_parse: {name}=<{value}>"));
                }
            }
            Event::ServiceAccepted(name) => {
                self.debug("SSH2_MSG_SERVICE_ACCEPT received");
                self.accepted = name == USERAUTH_SERVICE;
                let step = self.auth.begin(conn);
                return self.step(conn, step);
            }
            Event::Auth(ev) => {
                let step = self.auth.on_event(conn, ev);
                return self.step(conn, step);
            }
            Event::Channel(ev) => {
                // The session's events go to it, everything else is a forward's.
                let session = self.session_channel();
                return match (&mut self.remote, forward::channel_of(&ev)) {
                    (Some(r), Some(ch)) if Some(ch) == session => r.on_channel(conn, ev),
                    _ => self.forwards.on_channel(conn, ev),
                };
            }
            Event::Debug {
                always_display,
                message,
            } => {
                // Shown as OpenSSH shows it, escaped: this may come before the host key is
                // checked, from anyone on the path.
                let message = peer_text::line(&message);
                if always_display {
                    eprintln!("{message}");
                } else {
                    self.debug(&format!("Remote: {message}"));
                }
            }
            _ => {}
        }
        Flow::Continue
    }

    fn on_app(&mut self, conn: &mut Connection, msg: AppMsg) -> Flow {
        match msg {
            AppMsg::Answers {
                ticket: HOST_KEY_TICKET,
                answers,
            } => self.host_key_answer(conn, answers),
            AppMsg::Answers { ticket, answers } => {
                let step = self.auth.on_answers(conn, ticket, answers);
                self.step(conn, step)
            }
            AppMsg::ClientForward(m) => self.forwards.on_msg(conn, m),
            AppMsg::Output { channel, .. }
            | AppMsg::OutputEnd { channel, .. }
            | AppMsg::Written { channel, .. }
                if Some(channel) != self.session_channel() =>
            {
                self.forwards.on_app(conn, msg)
            }
            other => match &mut self.remote {
                Some(r) => r.on_app(conn, other),
                None => Flow::Continue,
            },
        }
    }

    fn on_events_done(&mut self, _conn: &mut Connection) {
        if let Some(r) = &self.remote {
            r.events_done();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_version() {
        assert_eq!(
            remote_version_line("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
            "Remote protocol version 2.0, remote software version OpenSSH_9.2p1 Debian-2+deb12u3"
        );
        assert_eq!(
            remote_version_line("SSH-1.99-Cisco-1.25"),
            "Remote protocol version 1.99, remote software version Cisco-1.25"
        );
    }

    #[test]
    fn kex_line_format() {
        use sshgate::kex::KexAlg;
        use sshgate::keys::HostKeyAlg;
        use sshgate::transport::cipher::{CipherAlg, MacAlg};
        let n = Negotiated {
            kex: KexAlg::Curve25519Sha256,
            host_key: HostKeyAlg::SshEd25519,
            cipher_c2s: CipherAlg::Aes256Ctr,
            cipher_s2c: CipherAlg::ChaCha20Poly1305,
            mac_c2s: Some(MacAlg::HmacSha1_96),
            mac_s2c: None,
        };
        assert_eq!(
            kex_lines(&n),
            [
                "kex: algorithm: curve25519-sha256",
                "kex: host key algorithm: ssh-ed25519",
                "kex: server->client cipher: chacha20-poly1305@openssh.com MAC: <implicit> compression: none",
                "kex: client->server cipher: aes256-ctr MAC: hmac-sha1-96 compression: none",
            ]
        );
    }
}
