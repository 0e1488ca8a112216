//! The fixed-key session: the target engine and a peer engine run a real handshake in
//! memory, with fixed seeds, up to a [`Stage`]; then the fuzz input's operations go to the
//! target as the peer's packets, sealed by the peer's own transport (real keys, real sequence
//! numbers) through `Connection::send_raw_auth_payload_for_tests`, which the engine has only
//! with its `test-hooks` feature. From then on the target's output is dropped unread (a peer
//! that reacted to it would fall out of step with what the input makes the target believe),
//! so the peer never changes state and always seals whatever the input says.

use crate::app::App;
use crate::fixtures::{NOW, USER, client_config, server_config, user_certificates, user_key};
use crate::ops::ops;
use crate::templates;
use sshgate::crypto::EngineRng;
use sshgate::keys::HostKeyAlg;
use sshgate::msg::USERAUTH_REQUEST;
use sshgate::wire::Writer;
use sshgate::{Connection, Duration, Instant, Role};

/// How far the real handshake goes before the input takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The first key exchange is done on both sides; a client target has just sent its
    /// SERVICE_REQUEST (the input answers it); a server target has been asked for nothing yet.
    Kex,
    /// Server target: `ssh-userauth` accepted, no request made yet.
    Auth,
    /// Authenticated with a password; a session channel (id 0 on both sides) is open with a
    /// pty and a shell, a `tcpip-forward` and a keepalive answered.
    Channels,
}

/// Operation tags (ops.rs): what one operation of the input does.
pub mod tag {
    /// The body is a payload, message number first, sealed by the peer.
    pub const PAYLOAD: u8 = 0;
    /// The first body byte picks a message head (templates.rs); the rest follows it.
    pub const TEMPLATE: u8 = 1;
    /// The first body byte is seconds that pass; the target's timers run.
    pub const TIME: u8 = 2;
    /// The body goes into the target's byte stream as is (garbage among sealed packets).
    pub const RAW: u8 = 3;
    /// A publickey USERAUTH_REQUEST with a valid signature over the session (first body
    /// byte: which key; see [`super::Session::signed_request`]).
    pub const SIGNED: u8 = 4;
}

/// A target engine and its peer after the handshake.
pub struct Session {
    /// The engine under test.
    pub target: Connection,
    /// The fixed policy answering the target's events.
    pub app: App,
    peer: Connection,
    now: Instant,
}

impl Session {
    /// A target of `role` brought to `stage` with algorithm suite `suite` (fixtures.rs).
    #[must_use]
    pub fn new(role: Role, stage: Stage, suite: usize) -> Session {
        let (target, peer) = match role {
            Role::Server => (
                Connection::server(server_config(suite), Instant::ZERO, [1; 32]),
                Connection::client(client_config(suite), Instant::ZERO, [2; 32]),
            ),
            Role::Client => (
                Connection::client(client_config(suite), Instant::ZERO, [1; 32]),
                Connection::server(server_config(suite), Instant::ZERO, [2; 32]),
            ),
        };
        let mut app = App::new();
        let mut peer_app = App::new();
        match role {
            Role::Server => {
                // The peer is a client: it goes only as far as the stage.
                peer_app.request_service = stage != Stage::Kex;
                peer_app.start_auth = stage == Stage::Channels;
                peer_app.methods = &["password"];
            }
            // Asked for after the handshake: the peer must get the target's NEWKEYS, and
            // must not answer the request.
            Role::Client if stage == Stage::Kex => app.request_service = false,
            Role::Client => app.methods = &["password"],
        }
        let mut s = Session {
            target,
            app,
            peer,
            now: Instant::ZERO,
        };
        s.target.set_wall_clock(NOW);
        s.peer.set_wall_clock(NOW);
        s.handshake(&mut peer_app);
        if role == Role::Client && stage == Stage::Kex {
            s.app.request_service = true;
            s.target.request_service("ssh-userauth");
            s.drop_target_output();
        }
        s
    }

    /// Moves bytes both ways and answers both sides' events until neither has anything to
    /// say.
    fn handshake(&mut self, peer_app: &mut App) {
        for _ in 0..1000 {
            let mut moved = false;
            let mut buf = Vec::new();
            if self.target.poll_transmit(&mut buf) {
                moved = true;
                let _ = self.peer.handle_input(&buf, self.now);
            }
            let mut buf = Vec::new();
            if self.peer.poll_transmit(&mut buf) {
                moved = true;
                let _ = self.target.handle_input(&buf, self.now);
            }
            peer_app.settle(&mut self.peer);
            self.app.settle(&mut self.target);
            if !moved {
                break;
            }
        }
        self.drop_target_output();
    }

    fn drop_target_output(&mut self) {
        let mut sink = Vec::new();
        while self.target.poll_transmit(&mut sink) {
            sink.clear();
        }
    }

    /// Runs the operations of `data` (ops.rs) until the target closes.
    pub fn run(&mut self, data: &[u8]) {
        for (t, body) in ops(data) {
            if self.target.is_closed() {
                return;
            }
            match t {
                tag::TEMPLATE => {
                    let (&pick, rest) = body.split_first().unwrap_or((&0, &[]));
                    let heads = templates::all();
                    let mut payload = heads[usize::from(pick) % heads.len()].clone();
                    payload.extend_from_slice(rest);
                    self.send(payload);
                }
                tag::TIME => {
                    let secs = body.first().copied().unwrap_or(1);
                    self.now = self.now + Duration::from_secs(u64::from(secs));
                    if self.target.poll_timeout().is_some_and(|t| t <= self.now) {
                        self.target.handle_timeout(self.now);
                    }
                }
                tag::RAW => {
                    let _ = self.target.handle_input(body, self.now);
                }
                tag::SIGNED if self.target.role() == Role::Server => {
                    let payload = self.signed_request(body);
                    self.send(payload);
                }
                _ => self.send(body.to_vec()),
            }
            self.app.settle(&mut self.target);
            self.drop_target_output();
        }
        assert_not_ours(&self.target);
    }

    /// Seals `payload` with the peer's keys and feeds the packet to the target.
    fn send(&mut self, payload: Vec<u8>) {
        if payload.is_empty() {
            return;
        }
        if self.peer.send_raw_auth_payload_for_tests(payload).is_err() {
            return;
        }
        let mut buf = Vec::new();
        while self.peer.poll_transmit(&mut buf) {}
        let _ = self.target.handle_input(&buf, self.now);
    }

    /// A signed publickey request (RFC 4252 §7), which the input alone cannot make: the
    /// first body byte picks the key — the plain Ed25519 user key, the Ed25519 or the P-256
    /// user certificate (RFC 6187), or the plain key with the rest of the body as its key
    /// blob (a signature that is valid for a blob that is not).
    fn signed_request(&self, body: &[u8]) -> Vec<u8> {
        let (&pick, rest) = body.split_first().unwrap_or((&0, &[]));
        let certs = user_certificates();
        let (key, alg, blob) = match pick % 4 {
            0 => (
                user_key(),
                HostKeyAlg::SshEd25519,
                user_key().public().to_blob(),
            ),
            3 => (user_key(), HostKeyAlg::SshEd25519, rest.to_vec()),
            n => {
                let cert = &certs[usize::from(n) - 1];
                let x = cert.algorithms()[0];
                (cert.key().clone(), HostKeyAlg::X509(x), cert.blob(x))
            }
        };
        let session_id = self.peer.session_id().unwrap_or_default();
        let mut data = Writer::new();
        data.string(session_id)
            .u8(USERAUTH_REQUEST)
            .string(USER.as_bytes())
            .string(b"ssh-connection")
            .string(b"publickey")
            .bool(true)
            .string(alg.name().as_bytes())
            .string(&blob);
        let mut rng = EngineRng::from_seed([3; 32]);
        let sig = key.sign(alg, data.as_slice(), &mut rng).unwrap_or_default();
        let mut w = Writer::message(USERAUTH_REQUEST);
        w.string(USER.as_bytes())
            .string(b"ssh-connection")
            .string(b"publickey")
            .bool(true)
            .string(alg.name().as_bytes())
            .string(&blob)
            .string(&sig);
        w.into_vec()
    }
}

/// Peer input may end a connection as the peer's fault, by policy, or by the peer's
/// DISCONNECT — never as our own (`Fault::Local` is the application closing): an engine that
/// blames itself for what a peer sent has taken a branch it did not expect.
pub fn assert_not_ours(conn: &Connection) {
    if let Some(e) = conn.close_reason() {
        assert_ne!(
            e.fault,
            sshgate::Fault::Local,
            "closed on peer input: {e:?}"
        );
    }
}
