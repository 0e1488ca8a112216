//! User authentication (RFC 4252, RFC 4256), both roles, sans-IO.
//!
//! The engine holds no user database: the server asks the application about every request
//! ([`AuthEvent::Request`], answered by id), and verifies public key signatures itself before
//! asking. Layout: [`events`] (what the application sees and answers), `messages` (wire
//! encoding of 50..=61), `client`, `server`, `policy` (server time-out, retries, delay).

mod client;
mod client_cert;
pub mod events;
mod messages;
pub mod openssh_cert;
mod policy;
mod server;

pub use events::{AuthEvent, AuthMethod, AuthVerdict, Prompt, Secret};

use crate::Error;
use crate::layer::{Ctx, Signal};
use crate::pki::Trustpoint;
use crate::role_gate::ServerRole;
use crate::time::{Duration, Instant};
use std::sync::Arc;

/// The only service user authentication starts (RFC 4252 §4).
pub(crate) const SERVICE: &str = "ssh-connection";

/// Client-side settings for user authentication.
#[derive(Debug, Clone, Default)]
pub struct ClientAuthConfig {
    /// Allow `ssh-rsa` (RSA with SHA-1) signatures when the server offers nothing better (and
    /// `x509v3-ssh-rsa` for certificates).
    pub allow_ssh_rsa: bool,
}

/// Server-side settings for user authentication.
#[derive(Debug, Clone)]
pub struct ServerAuthConfig {
    /// Methods offered, in order, in USERAUTH_FAILURE (`publickey`, `keyboard-interactive`,
    /// `password`; add `none` to have `none` requests asked to the application).
    pub methods: Vec<String>,
    /// Sent once as USERAUTH_BANNER, on the first request, before its reply.
    pub banner: Option<String>,
    /// Authentication must finish this long after the connection starts (Cisco IOS: 120 s).
    pub timeout: Duration,
    /// Failures allowed; the next one disconnects with NO_MORE_AUTH_METHODS_AVAILABLE
    /// ("Too many authentication failures"). `none` requests do not count (as OpenSSH).
    pub max_attempts: u32,
    /// Penalty step: the n-th failure reply is held `(n - 1) * failure_delay`.
    pub failure_delay: Duration,
    /// Accept `ssh-rsa` (SHA-1) signatures (and `x509v3-ssh-rsa`, `x509v3-sign-rsa`).
    pub allow_ssh_rsa: bool,
    /// Trustpoints for user certificates (IOS `ip ssh server certificate profile` / `user` /
    /// `trustpoint verify`): with any, `x509v3-*` publickey requests are validated against them
    /// (the first that accepts wins) and listed in `server-sig-algs`. The validity period needs
    /// [`crate::Connection::set_wall_clock`].
    pub trustpoints: Vec<Arc<Trustpoint>>,
    /// Accept OpenSSH user certificates (`*-cert-v01@openssh.com` publickey requests, asked to
    /// the application as [`AuthMethod::OpenSshCertificate`]) and list their names in
    /// `server-sig-algs`. Off: such requests fail before the application hears of them.
    pub openssh_certificates: bool,
}

impl Default for ServerAuthConfig {
    fn default() -> Self {
        ServerAuthConfig {
            methods: ["publickey", "keyboard-interactive", "password"]
                .map(String::from)
                .to_vec(),
            banner: None,
            timeout: Duration::from_secs(120),
            max_attempts: 3,
            failure_delay: Duration::ZERO,
            allow_ssh_rsa: false,
            trustpoints: Vec::new(),
            openssh_certificates: false,
        }
    }
}

/// The user-authentication layer of one connection.
pub(crate) enum UserAuth {
    Client(client::Client),
    Server(Box<server::Server>, ServerRole),
}

impl UserAuth {
    pub(crate) fn new_client(cfg: &ClientAuthConfig) -> Self {
        UserAuth::Client(client::Client::new(cfg.clone()))
    }

    pub(crate) fn new_server(cfg: &ServerAuthConfig, now: Instant, gate: ServerRole) -> Self {
        UserAuth::Server(Box::new(server::Server::new(cfg.clone(), now)), gate)
    }

    /// Handles a message numbered 50..=79 (already admitted by the phase table).
    pub(crate) fn handle(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<Signal, Error> {
        match self {
            UserAuth::Client(c) => c.handle(ctx, payload),
            UserAuth::Server(s, _) => s.handle(ctx, payload),
        }
    }

    /// The next instant this layer needs `handle_timeout` (authentication time-out, failure delay).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self {
            UserAuth::Client(_) => None,
            UserAuth::Server(s, _) => s.poll_timeout(),
        }
    }

    /// Fires due timers.
    pub(crate) fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) -> Result<Signal, Error> {
        match self {
            UserAuth::Client(_) => Ok(Signal::default()),
            UserAuth::Server(s, _) => s.handle_timeout(ctx),
        }
    }

    pub(crate) fn client(&mut self) -> Result<&mut client::Client, Error> {
        match self {
            UserAuth::Client(c) => Ok(c),
            UserAuth::Server(_, _) => Err(Error::misuse("a client call on a server connection")),
        }
    }

    pub(crate) fn server(&mut self) -> Result<&mut server::Server, Error> {
        match self {
            UserAuth::Server(s, _) => Ok(s),
            UserAuth::Client(_) => Err(Error::misuse("a server call on a client connection")),
        }
    }

    /// Server: failed attempts so far (for per-source statistics kept by the driver).
    pub(crate) fn failures(&self) -> u32 {
        match self {
            UserAuth::Server(s, _) => s.policy.failures,
            UserAuth::Client(_) => 0,
        }
    }
}
