//! One complete login in memory: key exchange (curve25519-sha256), the host key decision,
//! `ssh-userauth`, and publickey authentication (query, PK_OK, signed request, success) — plain
//! keys, or RFC 6187 certificates (the client validates the server's chain, the server the
//! user's). Certificates and keys come in as PEM text, so the native runner (which makes them
//! with `tests/x509/make-pki.sh`) and the wasm runner (which reads the same files) time the same
//! work; nothing here reads a file or a clock.

use crate::pair::exchange;
use sshgate::crypto::EngineRng;
use sshgate::kex::KexAlg;
use sshgate::keys::{HostKeyAlg, KeyKind, PrivateKey};
use sshgate::pki::{CertifiedKey, Trustpoint, UsernameField, load_certificates};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::{ClientConfig, Connection, Event, Instant, ServerConfig};
use std::sync::Arc;

/// The wall clock both sides are given: 2030-01-01, inside the test PKI's validity.
const NOW: u64 = 1_893_456_000;

/// PEM inputs of a certificate login.
pub struct CertFiles<'a> {
    /// The server's private key.
    pub host_key: &'a str,
    /// The server's chain (its certificate, then the intermediate).
    pub host_chain: &'a str,
    /// The CA the client trusts for servers.
    pub host_root: &'a str,
    /// The user's private key.
    pub user_key: &'a str,
    /// The user's chain (its certificate, then the intermediate: two levels below the root).
    pub user_chain: &'a str,
    /// The CA the server trusts for users.
    pub user_root: &'a str,
}

enum UserKey {
    Plain(Arc<PrivateKey>),
    Cert(Arc<CertifiedKey>),
}

/// A login set up once (keys parsed, configs built) and run many times.
pub struct Login {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    user: UserKey,
}

fn key(pem: &str) -> Result<Arc<PrivateKey>, String> {
    PrivateKey::from_text(pem, None)
        .map(|(k, _)| Arc::new(k))
        .map_err(|e| e.to_string())
}

fn certified(key_pem: &str, chain_pem: &str) -> Result<Arc<CertifiedKey>, String> {
    let chain = load_certificates(chain_pem.as_bytes()).map_err(|e| e.to_string())?;
    CertifiedKey::new(key(key_pem)?, chain)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

fn trust(pem: &str) -> Result<Arc<Trustpoint>, String> {
    Trustpoint::from_anchors(pem.as_bytes())
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

fn configs(host_key: HostKeyAlg) -> (ClientConfig, ServerConfig) {
    let mut c = ClientConfig::default();
    c.common.algorithms.kex = vec![KexAlg::Curve25519Sha256];
    c.common.algorithms.host_key = vec![host_key];
    let mut s = ServerConfig::default();
    s.common.algorithms.kex = vec![KexAlg::Curve25519Sha256];
    (c, s)
}

impl Login {
    /// Plain keys: a host key of `host` signing with `host_alg`, a user key of `user`.
    #[must_use]
    pub fn plain(host: KeyKind, host_alg: HostKeyAlg, user: KeyKind) -> Login {
        let mut rng = EngineRng::from_seed([5; 32]);
        let mut generate = |k| Arc::new(PrivateKey::generate(k, &mut rng).expect("keygen"));
        let (c, mut s) = configs(host_alg);
        s.host_keys = vec![generate(host)];
        Login {
            client: Arc::new(c),
            server: Arc::new(s),
            user: UserKey::Plain(generate(user)),
        }
    }

    /// Certificates: the server's chain as its `host_alg` host key, the user's for publickey.
    pub fn certificate(files: &CertFiles<'_>, host_alg: HostKeyAlg) -> Result<Login, String> {
        let (mut c, mut s) = configs(host_alg);
        c.host_trust = Some(trust(files.host_root)?);
        c.host_name = Some("router1.example.com".into());
        s.host_certificates = vec![certified(files.host_key, files.host_chain)?];
        s.auth = ServerAuthConfig {
            trustpoints: vec![trust(files.user_root)?],
            ..ServerAuthConfig::default()
        };
        Ok(Login {
            client: Arc::new(c),
            server: Arc::new(s),
            user: UserKey::Cert(certified(files.user_key, files.user_chain)?),
        })
    }

    /// One login; true if both sides report authentication success.
    #[must_use]
    pub fn run(&self) -> bool {
        let now = Instant::ZERO;
        let mut c = Connection::client(self.client.clone(), now, [1; 32]);
        let mut s = Connection::server(self.server.clone(), now, [2; 32]);
        c.set_wall_clock(NOW);
        s.set_wall_clock(NOW);
        let mut started = false;
        let mut done = (false, false);
        let mut buf = Vec::new();
        for _ in 0..10_000 {
            let Ok(mut progressed) = exchange(&mut c, &mut s, now, &mut buf) else {
                return false;
            };
            while let Some(ev) = c.poll_event() {
                progressed = true;
                let ok = match ev {
                    // A certificate must check out; a plain key is trusted as known.
                    Event::HostKey(info) => {
                        let valid = info.certificate.is_none_or(|k| k.validated().is_some());
                        c.answer_host_key(valid).is_ok() && valid
                    }
                    Event::KexComplete { initial: true, .. } => {
                        c.request_service("ssh-userauth");
                        true
                    }
                    Event::ServiceAccepted(_) if !started => {
                        started = true;
                        match &self.user {
                            UserKey::Plain(k) => c.auth_publickey("alice", k.clone()).is_ok(),
                            UserKey::Cert(k) => c.auth_certificate("alice", k.clone()).is_ok(),
                        }
                    }
                    Event::Auth(AuthEvent::Success) => {
                        done.0 = true;
                        true
                    }
                    Event::Auth(AuthEvent::Failure { .. }) | Event::Closed(_) => false,
                    _ => true,
                };
                if !ok {
                    return false;
                }
            }
            while let Some(ev) = s.poll_event() {
                progressed = true;
                match ev {
                    Event::Auth(AuthEvent::Request { id, method, .. })
                        if s.answer_auth(id, verdict(&method)).is_err() =>
                    {
                        return false;
                    }
                    Event::Auth(AuthEvent::Success) => done.1 = true,
                    Event::Closed(_) => return false,
                    _ => {}
                }
            }
            if done == (true, true) {
                return true;
            }
            if !progressed {
                return false;
            }
        }
        false
    }
}

/// The server application's decision: any plain key; a certificate whose CN is `alice`.
fn verdict(m: &AuthMethod) -> AuthVerdict {
    let ok = match m {
        AuthMethod::PublicKeyQuery { .. } | AuthMethod::PublicKey { .. } => true,
        AuthMethod::Certificate { check, .. } => check
            .validated()
            .and_then(|v| v.identity.username(&UsernameField::CommonName).ok())
            .is_some_and(|n| n == "alice"),
        _ => false,
    };
    if ok {
        AuthVerdict::Accept
    } else {
        AuthVerdict::Reject
    }
}
