//! The in-memory test pair: a client and a server wired together on a virtual clock, with an
//! optional tamperer on the wire (after quinn-proto's `Pair::drive`).
#![allow(dead_code)]

pub mod pki;

use sshgate::crypto::EngineRng;
use sshgate::keys::{KeyKind, PrivateKey};
use sshgate::transport::kexinit::KexInit;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict};
use sshgate::{ClientConfig, Connection, Duration, Event, Instant, ServerConfig};
use std::sync::{Arc, OnceLock};

/// Which way bytes are flowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

/// A hook that may alter the bytes in flight, given the direction and how many bytes have passed.
pub type Tamper = Box<dyn FnMut(Dir, u64, &mut Vec<u8>)>;

pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    pub tamper: Option<Tamper>,
    /// Bytes carried so far in each direction.
    pub c2s_bytes: u64,
    pub s2c_bytes: u64,
    /// Answer host key questions with this.
    pub trust_host_key: bool,
    pub client_error: Option<sshgate::Error>,
    pub server_error: Option<sshgate::Error>,
}

/// Host keys of every type, generated once per test binary (RSA generation is slow). The
/// legacy DSA key only when a test asks for it (its domain parameters' prime search is slow too).
pub fn host_key(kind: KeyKind) -> Arc<PrivateKey> {
    if kind == KeyKind::Dsa {
        static DSA: OnceLock<Arc<PrivateKey>> = OnceLock::new();
        return DSA
            .get_or_init(|| {
                let mut rng = EngineRng::from_seed([43; 32]);
                Arc::new(PrivateKey::generate(KeyKind::Dsa, &mut rng).expect("keygen"))
            })
            .clone();
    }
    static KEYS: OnceLock<Vec<(KeyKindKey, Arc<PrivateKey>)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut rng = EngineRng::from_seed([42; 32]);
        [
            KeyKind::Ed25519,
            KeyKind::EcdsaP256,
            KeyKind::EcdsaP384,
            KeyKind::EcdsaP521,
            KeyKind::Rsa(2048),
        ]
        .into_iter()
        .map(|k| {
            (
                KeyKindKey::from(k),
                Arc::new(PrivateKey::generate(k, &mut rng).expect("keygen")),
            )
        })
        .collect()
    });
    let want = KeyKindKey::from(kind);
    keys.iter()
        .find(|(k, _)| *k == want)
        .map(|(_, v)| v.clone())
        .expect("key kind")
}

#[derive(PartialEq, Eq)]
pub struct KeyKindKey(String);
impl From<KeyKind> for KeyKindKey {
    fn from(k: KeyKind) -> Self {
        KeyKindKey(format!("{k:?}"))
    }
}

pub fn all_host_keys() -> Vec<Arc<PrivateKey>> {
    [
        KeyKind::Ed25519,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::EcdsaP521,
        KeyKind::Rsa(2048),
        KeyKind::Dsa,
    ]
    .into_iter()
    .map(host_key)
    .collect()
}

impl Pair {
    pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self::with_seeds(client, server, [1; 32], [2; 32])
    }

    pub fn with_seeds(
        client: ClientConfig,
        server: ServerConfig,
        cs: [u8; 32],
        ss: [u8; 32],
    ) -> Self {
        let now = Instant::ZERO;
        Pair {
            client: Connection::client(Arc::new(client), now, cs),
            server: Connection::server(Arc::new(server), now, ss),
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            tamper: None,
            c2s_bytes: 0,
            s2c_bytes: 0,
            trust_host_key: true,
            client_error: None,
            server_error: None,
        }
    }

    /// Moves bytes both ways and answers questions until neither side has anything to say.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            let mut progressed = false;
            let mut buf = Vec::new();
            if self.client.poll_transmit(&mut buf) {
                progressed = true;
                if let Some(t) = self.tamper.as_mut() {
                    t(Dir::ClientToServer, self.c2s_bytes, &mut buf);
                }
                self.c2s_bytes += buf.len() as u64;
                if self.server_error.is_none()
                    && let Err(e) = self.server.handle_input(&buf, self.now)
                {
                    self.server_error = Some(e);
                }
            }
            let mut buf = Vec::new();
            if self.server.poll_transmit(&mut buf) {
                progressed = true;
                if let Some(t) = self.tamper.as_mut() {
                    t(Dir::ServerToClient, self.s2c_bytes, &mut buf);
                }
                self.s2c_bytes += buf.len() as u64;
                if self.client_error.is_none()
                    && let Err(e) = self.client.handle_input(&buf, self.now)
                {
                    self.client_error = Some(e);
                }
            }
            while let Some(ev) = self.client.poll_event() {
                progressed = true;
                if let Event::HostKey(_) = ev
                    && let Err(e) = self.client.answer_host_key(self.trust_host_key)
                {
                    self.client_error = Some(e);
                }
                self.client_events.push(ev);
            }
            while let Some(ev) = self.server.poll_event() {
                progressed = true;
                self.server_events.push(ev);
            }
            if !progressed {
                return;
            }
        }
        panic!("pair did not settle");
    }

    /// Advances the virtual clock by `d` as a driver would: jumps to the earliest deadline
    /// either side asked for (`poll_timeout`), fires only the side(s) whose deadline it is,
    /// drives, and repeats until `d` has passed. A deadline set wrong is then a test failure,
    /// not something a blanket timer call hides (quinn-proto's tests drive time the same way);
    /// a deadline that stays put after firing (a driver would spin on it) panics.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        // How many times in a row each side fired at the same instant. Once is how an engine
        // asks for the time (a key exchange started from a timer); more is a spin.
        let mut repeats = [(None, 0u32); 2];
        for _ in 0..100_000 {
            let due = [self.client.poll_timeout(), self.server.poll_timeout()];
            let Some(next) = due.iter().flatten().copied().filter(|t| *t <= end).min() else {
                break;
            };
            // A deadline in the past fires now (time never goes back).
            self.now = next.max(self.now);
            for (side, at) in due.iter().enumerate() {
                if *at != Some(next) {
                    continue;
                }
                let r = &mut repeats[side];
                *r = if r.0 == Some(next) {
                    (r.0, r.1 + 1)
                } else {
                    (Some(next), 1)
                };
                assert!(
                    r.1 <= 2,
                    "the {} deadline {next:?} stays put after firing: a driver would spin",
                    ["client's", "server's"][side]
                );
                if side == 0 {
                    self.client.handle_timeout(self.now);
                } else {
                    self.server.handle_timeout(self.now);
                }
            }
            self.drive();
        }
        self.now = end;
        self.drive();
    }

    /// Logs the client in with a password the server's application accepts, then clears both
    /// sides' events.
    pub fn authenticate(&mut self) {
        self.drive();
        self.client.request_service("ssh-userauth");
        self.drive();
        self.client.auth_password("lab", "pw").unwrap();
        self.drive();
        let id = std::mem::take(&mut self.server_events)
            .into_iter()
            .find_map(|e| match e {
                Event::Auth(AuthEvent::Request {
                    id,
                    method: AuthMethod::Password { .. },
                    ..
                }) => Some(id),
                _ => None,
            })
            .expect("password request");
        self.server.answer_auth(id, AuthVerdict::Accept).unwrap();
        self.drive();
        assert!(
            self.client_events
                .iter()
                .any(|e| matches!(e, Event::Auth(AuthEvent::Success))),
            "login failed: {:?} {:?}",
            self.client_error,
            self.server_error
        );
        self.client_events.clear();
        self.server_events.clear();
    }

    pub fn kex_completions(events: &[Event]) -> usize {
        events
            .iter()
            .filter(|e| matches!(e, Event::KexComplete { .. }))
            .count()
    }

    pub fn ignores(events: &[Event]) -> Vec<usize> {
        events
            .iter()
            .filter_map(|e| {
                if let Event::Ignore(n) = e {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect()
    }
}

/// A scripted peer's KEXINIT: `kex` as its methods, ssh-ed25519, aes128-ctr, hmac-sha2-256 and
/// no compression both ways, and whether a guessed first kex packet follows.
pub fn scripted_kexinit(kex: &[&str], first_kex_packet_follows: bool) -> KexInit {
    let names = |list: &[&str]| list.iter().map(|n| (*n).to_string()).collect::<Vec<_>>();
    KexInit {
        kex: names(kex),
        host_key: names(&["ssh-ed25519"]),
        cipher_c2s: names(&["aes128-ctr"]),
        cipher_s2c: names(&["aes128-ctr"]),
        mac_c2s: names(&["hmac-sha2-256"]),
        mac_s2c: names(&["hmac-sha2-256"]),
        comp_c2s: names(&["none"]),
        comp_s2c: names(&["none"]),
        first_kex_packet_follows,
    }
}

/// A cleartext binary packet (before NEWKEYS) carrying `payload`, for injecting raw messages.
pub fn cleartext_packet(payload: &[u8]) -> Vec<u8> {
    let mut pad = 8 - (5 + payload.len()) % 8;
    if pad < 4 {
        pad += 8;
    }
    let len = (1 + payload.len() + pad) as u32;
    let mut p = len.to_be_bytes().to_vec();
    p.push(pad as u8);
    p.extend_from_slice(payload);
    p.extend(std::iter::repeat_n(0u8, pad));
    p
}

/// The payloads of the cleartext packets in `out` (after the version line, if it starts with
/// one), up to and including a NEWKEYS: what follows that is encrypted.
pub fn cleartext_payloads(out: &[u8]) -> Vec<Vec<u8>> {
    let mut rest = out;
    if rest.starts_with(b"SSH-") {
        let nl = rest.iter().position(|&b| b == b'\n').expect("version line") + 1;
        rest = &rest[nl..];
    }
    let mut payloads = Vec::new();
    while rest.len() >= 5 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let pad = rest[4] as usize;
        if 4 + len > rest.len() || pad + 1 > len {
            break;
        }
        payloads.push(rest[5..4 + len - pad].to_vec());
        rest = &rest[4 + len..];
        if payloads
            .last()
            .is_some_and(|p| p[0] == sshgate::msg::NEWKEYS)
        {
            break;
        }
    }
    payloads
}
