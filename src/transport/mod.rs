//! The SSH transport layer (RFC 4253): version exchange, binary packets, key exchange and
//! re-exchange, NEWKEYS, strict kex, EXT_INFO and the generic messages.
//!
//! [`Transport`] is crate-internal: the public face is [`crate::Connection`], which feeds it bytes
//! and takes from it the payloads of the layers above (user authentication, connection protocol).

pub mod cipher;
mod ext_info;
mod host_key;
mod input;
mod kex_run;
pub mod kexinit;
mod output;
pub mod version;

use crate::config::{CommonConfig, GexRange};
use crate::connection::layer::Ctx;
use crate::crypto::EngineRng;
use crate::event::Event;
use crate::keys::PrivateKey;
use crate::msg::Phase;
use crate::pki::{CertifiedKey, Trustpoint};
use crate::role_gate::ServerRole;
use crate::time::Instant;
use crate::{Error, Role};
use cipher::{PacketOpener, PacketSealer};
use kex_run::KexRun;
use std::collections::VecDeque;
use std::sync::Arc;
use version::VersionReader;

/// Role-specific settings the transport needs.
pub(crate) enum RoleConfig {
    Client {
        gex: GexRange,
        /// CAs for servers' host certificates; `None`: `x509v3-*` host keys not offered.
        host_trust: Option<Arc<Trustpoint>>,
        /// The server's name, checked against its certificate.
        host_name: Option<String>,
    },
    Server {
        host_keys: Vec<Arc<PrivateKey>>,
        host_certificates: Vec<Arc<CertifiedKey>>,
        /// User authentication takes certificates: `server-sig-algs` lists `x509v3-*`.
        user_certificates: bool,
        /// Only a build with the server role has this variant.
        gate: ServerRole,
    },
}

/// Byte and packet counts under the current keys, for re-key decisions.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    bytes: u64,
    packets: u64,
}

pub(crate) struct Transport {
    role: Role,
    cfg: CommonConfig,
    role_cfg: RoleConfig,
    rng: EngineRng,
    now: Instant,

    our_version: String,
    peer_version: Option<String>,
    version_reader: VersionReader,

    inbuf: Vec<u8>,
    opener: PacketOpener,
    recv_seq: u32,
    sealer: PacketSealer,
    send_seq: u32,
    out: Vec<u8>,

    /// The key exchange under way, if any.
    kex: Option<KexRun>,
    /// H of the first key exchange (RFC 4253 §7.2).
    session_id: Option<Vec<u8>>,
    /// The host key accepted in the first exchange; a re-key must present the same one.
    accepted_host_key: Option<Vec<u8>>,
    /// Strict kex negotiated in the first KEXINIT pair.
    strict: bool,
    /// The peer advertised ext-info-c / ext-info-s in its first KEXINIT.
    peer_wants_ext_info: bool,
    /// A first NEWKEYS has been received.
    first_kex_done: bool,
    /// Phase of the layers above once keys are in place.
    pub(crate) upper_phase: Phase,
    /// Input is held until the application decides on the host key.
    paused: bool,
    /// The peer's wrong guess: its next kex method message is to be dropped (RFC 4253 §7.1).
    skip_guessed_packet: bool,

    usage: Usage,
    last_kex_at: Instant,
    /// Payloads held while a key exchange runs (RFC 4253 §7.1 forbids sending them then).
    held: VecDeque<Vec<u8>>,

    /// Payloads for the layers above (message numbers 50 and up).
    pub(crate) upper: VecDeque<Vec<u8>>,
    pub(crate) events: VecDeque<Event>,
    /// Set once the connection has ended; no more input is taken.
    closed: Option<Error>,
    /// Signature algorithms the server announced (RFC 8308 `server-sig-algs`).
    pub(crate) server_sig_algs: Option<Vec<String>>,
    /// The service a client asked for and awaits.
    requested_service: Option<String>,
    /// Wall-clock time (Unix seconds) at a point of the driver's monotonic clock, for
    /// certificate validity; see [`Transport::wall_clock`].
    wall: Option<(u64, Instant)>,
}

impl Transport {
    pub(crate) fn new(
        role: Role,
        cfg: CommonConfig,
        role_cfg: RoleConfig,
        now: Instant,
        seed: [u8; 32],
    ) -> Self {
        let our_version = format!("SSH-2.0-{}", cfg.software);
        let mut t = Transport {
            role,
            cfg,
            role_cfg,
            rng: EngineRng::from_seed(seed),
            now,
            our_version,
            peer_version: None,
            version_reader: VersionReader::new(role),
            inbuf: Vec::new(),
            opener: PacketOpener::cleartext(),
            recv_seq: 0,
            sealer: PacketSealer::cleartext(),
            send_seq: 0,
            out: Vec::new(),
            kex: None,
            session_id: None,
            accepted_host_key: None,
            strict: false,
            peer_wants_ext_info: false,
            first_kex_done: false,
            upper_phase: Phase::Transport,
            paused: false,
            skip_guessed_packet: false,
            usage: Usage::default(),
            last_kex_at: now,
            held: VecDeque::new(),
            upper: VecDeque::new(),
            events: VecDeque::new(),
            closed: None,
            server_sig_algs: None,
            requested_service: None,
            wall: None,
        };
        // Both sides may send their identification and KEXINIT at once (RFC 4253 §4.2, §7.1).
        t.out.extend_from_slice(t.our_version.as_bytes());
        t.out.extend_from_slice(b"\r\n");
        t.start_kex();
        t
    }

    /// Records that the wall clock reads `unix_secs` now (at the last instant the driver gave).
    pub(crate) fn set_wall_clock(&mut self, unix_secs: u64) {
        self.wall = Some((unix_secs, self.now));
    }

    /// The wall clock now: the driver's reading advanced by the monotonic time since, so a
    /// driver sets it once per connection and a clock step later cannot move it backwards.
    pub(crate) fn wall_clock(&self) -> Option<u64> {
        self.wall
            .map(|(secs, at)| secs.saturating_add((self.now - at).as_secs()))
    }

    pub(crate) fn role(&self) -> Role {
        self.role
    }

    pub(crate) fn rng(&mut self) -> &mut EngineRng {
        &mut self.rng
    }

    pub(crate) fn session_id(&self) -> Option<&[u8]> {
        self.session_id.as_deref()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    pub(crate) fn closed_reason(&self) -> Option<&Error> {
        self.closed.as_ref()
    }

    /// Whether keys are in place and no exchange of ours is holding output.
    pub(crate) fn is_established(&self) -> bool {
        self.first_kex_done && self.closed.is_none()
    }

    /// The phase the next incoming message is checked against.
    fn phase(&self) -> Phase {
        match &self.kex {
            Some(run) if run.peer_init_seen() => run.incoming_phase(),
            _ if !self.first_kex_done => Phase::FirstKexInit,
            _ => self.upper_phase,
        }
    }

    /// Strict kex rules apply: a strict first exchange is under way.
    fn strict_first_kex(&self) -> bool {
        !self.first_kex_done
            && self
                .kex
                .as_ref()
                .is_some_and(|k| k.strict_pending(self.role))
    }

    /// Appends queued output to `out`; true if anything was added.
    pub(crate) fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        if self.out.is_empty() {
            return false;
        }
        if out.is_empty() {
            core::mem::swap(out, &mut self.out);
        } else {
            out.append(&mut self.out);
        }
        true
    }

    /// Bytes waiting to be sent.
    pub(crate) fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// When the time-based re-key is due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() || !self.first_kex_done || self.kex.is_some() {
            return None;
        }
        Some(self.last_kex_at + self.cfg.rekey.time)
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.start_kex();
        }
    }

    /// Runs a layer above the transport with its [`Ctx`], then sends what it queued, in order
    /// (held while a key exchange runs, like any other payload).
    pub(crate) fn run_layer<R>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> R) -> R {
        let mut out = Vec::new();
        let r = {
            let wall_clock = self.wall_clock();
            let mut ctx = Ctx::new(
                self.role,
                self.now,
                self.session_id.as_deref().unwrap_or_default(),
                &mut self.rng,
                self.server_sig_algs.as_deref(),
                &mut out,
                &mut self.events,
            );
            ctx.wall_clock = wall_clock;
            f(&mut ctx)
        };
        for p in out {
            self.send(p);
        }
        r
    }

    /// Ends the connection: queues a DISCONNECT unless the peer sent one, records the reason.
    pub(crate) fn fail(&mut self, err: Error) -> Error {
        if self.closed.is_none() {
            if err.fault != crate::error::Fault::PeerDisconnected {
                self.send_disconnect(err.reason, &err.description);
            }
            self.closed = Some(err.clone());
            self.events.push_back(Event::Closed(err.clone()));
        }
        err
    }
}
