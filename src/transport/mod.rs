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
pub mod keystream_offload;
mod openssh_host_cert;
mod output;
mod rationing;
mod server_host_cert;
pub mod version;

use crate::config::{CommonConfig, GexRange, RekeyLimits};
use crate::crypto::EngineRng;
use crate::event::Event;
use crate::keys::PrivateKey;
use crate::layer::Ctx;
use crate::msg::Phase;
use crate::pki::{CertifiedKey, Trustpoint};
use crate::role_gate::ServerRole;
use crate::time::Instant;
use crate::trace::{TraceLevel, TraceStep, Tracer};
use crate::{Error, Role};
use cipher::{CipherAlg, PacketOpener, PacketSealer};
use kex_run::KexRun;
use rationing::KexBudget;
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
        /// Offer the OpenSSH `*-cert-v01@openssh.com` host key algorithms.
        openssh_host_certificates: bool,
    },
    Server {
        host_keys: Vec<Arc<PrivateKey>>,
        host_certificates: Vec<Arc<CertifiedKey>>,
        /// OpenSSH host certificates of some of `host_keys`.
        openssh_host_certificates: Vec<Arc<crate::keys::openssh_cert::OpenSshCert>>,
        /// User authentication takes certificates: `server-sig-algs` lists `x509v3-*`.
        user_certificates: bool,
        /// User authentication takes OpenSSH certificates: `server-sig-algs` lists
        /// `*-cert-v01@openssh.com`.
        openssh_user_certificates: bool,
        /// Only a build with the server role has this variant.
        gate: ServerRole,
    },
}

/// Byte and packet counts under the current keys, for re-key decisions: both directions
/// together (reset when the peer's NEWKEYS switches the last direction), and each direction's
/// packets under its own key (reset when that direction's key changes), which must never reach
/// [`PACKETS_PER_KEY`].
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    bytes: u64,
    packets: u64,
    sent_under_key: u64,
    received_under_key: u64,
}

/// Packets one key may protect in one direction: the sequence number is chacha20-poly1305's
/// nonce (OpenSSH PROTOCOL.chacha20poly1305), so the 2^32+1st packet under a key would reuse
/// one. Re-keying starts long before (at [`RekeyLimits::MAX_PACKETS`] in both directions
/// together); this is the hard stop should the peer never finish that exchange.
const PACKETS_PER_KEY: u64 = 1 << 32;

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
    /// Bytes carried so far, both directions, the whole connection (earns the peer re-keys).
    traffic: u64,
    /// The ciphers of the keys in use (client to server, server to client), once there are
    /// keys: they set the byte limit of [`RekeyLimits::clamped`].
    ciphers: Option<(CipherAlg, CipherAlg)>,
    /// What the peer has used of its key exchanges.
    budget: KexBudget,
    /// Payloads held while a key exchange runs (RFC 4253 §7.1 forbids sending them then), and
    /// their size; bounded by `output.rs`.
    held: VecDeque<Vec<u8>>,
    held_bytes: usize,
    /// Our NEWKEYS has gone out since the layers above last looked: writers paused for the
    /// exchange may go on.
    output_resumed: bool,

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
    /// The steps recorded for the driver's debug output (`src/trace.rs`).
    pub(crate) trace: Tracer,
    /// Keys taken into use so far, inbound and outbound (`keystream_offload.rs`).
    keystream_epochs: [u32; 2],
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
        let trace = Tracer::new(cfg.trace);
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
            traffic: 0,
            ciphers: None,
            budget: KexBudget::new(),
            held: VecDeque::new(),
            held_bytes: 0,
            output_resumed: false,
            upper: VecDeque::new(),
            events: VecDeque::new(),
            closed: None,
            server_sig_algs: None,
            requested_service: None,
            wall: None,
            trace,
            keystream_epochs: [0; 2],
        };
        // Both sides may send their identification and KEXINIT at once (RFC 4253 §4.2, §7.1).
        t.out.extend_from_slice(t.our_version.as_bytes());
        t.out.extend_from_slice(b"\r\n");
        t.trace
            .step(|| TraceStep::VersionSent(t.our_version.clone()));
        t.start_kex();
        t.set_now(now);
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

    /// Changes what is recorded. Turned on before anything was read or sent past the first
    /// KEXINIT (a driver deciding per connection, right after creating it), the steps of the
    /// construction — our version line and KEXINIT, queued then — are recorded now, so the
    /// record is the whole conversation.
    pub(crate) fn set_trace(&mut self, level: TraceLevel) {
        let was_on = self.trace.on();
        self.trace.set_level(level);
        let fresh = self.peer_version.is_none() && self.send_seq == 1 && self.kex.is_some();
        if !was_on && fresh {
            self.trace
                .step(|| TraceStep::VersionSent(self.our_version.clone()));
            self.trace.step(|| TraceStep::KexInitSent);
        }
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

    /// User authentication has succeeded (either role): re-keys on our own limits may start,
    /// and the peer's re-keys are rationed by rate instead of by count.
    fn authenticated(&self) -> bool {
        self.upper_phase == Phase::Connection
    }

    /// Payloads other than key exchange messages are being held: an exchange runs and our
    /// NEWKEYS has not gone out. Channel data is not taken then (the application waits for
    /// `Writable`), so what is held stays small.
    pub(crate) fn holds_output(&self) -> bool {
        self.kex.as_ref().is_some_and(|k| !k.sent_newkeys()) || !self.held.is_empty()
    }

    /// Payloads held back and their bytes.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn held_output(&self) -> (usize, usize) {
        (self.held.len(), self.held_bytes)
    }

    /// See `Connection::pretend_packets_for_tests`.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn pretend_packets(&mut self, sent: u64, received: u64) {
        self.usage.sent_under_key = sent;
        self.usage.received_under_key = received;
        self.usage.packets = sent.saturating_add(received);
    }

    /// Whether our NEWKEYS went out since the last call: paused writers may go on.
    pub(crate) fn take_output_resumed(&mut self) -> bool {
        core::mem::take(&mut self.output_resumed)
    }

    /// The re-key limits for the keys in use: the configured ones lowered to what the ciphers
    /// bear. Before authentication only those maxima apply: our own limits wait for the login,
    /// as OpenSSH's do, so an unauthenticated peer cannot make us re-key by sending traffic.
    fn rekey_limits(&self) -> RekeyLimits {
        let limits = if self.authenticated() {
            self.cfg.rekey
        } else {
            RekeyLimits {
                bytes: u64::MAX,
                packets: u64::MAX,
                time: self.cfg.rekey.time,
            }
        };
        match self.ciphers {
            Some((c2s, s2c)) => limits.clamped(c2s, s2c),
            None => limits,
        }
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

    /// The next deadline: the running key exchange's time-out (not while the application
    /// decides on the host key), or else the time-based re-key (once authenticated).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        if let Some(run) = &self.kex {
            return run.deadline(self.now, self.cfg.kex_limits.timeout);
        }
        if !self.first_kex_done || !self.authenticated() {
            return None;
        }
        Some(self.last_kex_at + self.cfg.rekey.time)
    }

    /// Takes the driver's time: the clock only moves forward, and an exchange waiting for the
    /// time starts its time-out clock.
    fn set_now(&mut self, now: Instant) -> bool {
        self.now = self.now.max(now);
        let now = self.now;
        self.kex.as_mut().is_some_and(|run| run.note_time(now))
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.set_now(now) || self.poll_timeout().is_none_or(|t| self.now < t) {
            return;
        }
        if self.kex.is_some() {
            // A peer that stops in the middle of an exchange would otherwise hold the
            // connection, and whatever output waits behind the exchange, for ever.
            let secs = self.cfg.kex_limits.timeout.as_secs();
            self.fail(Error::policy(
                crate::msg::reason::KEY_EXCHANGE_FAILED,
                format!("key exchange not finished by the peer within {secs} s"),
            ));
        } else {
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
                &mut self.trace,
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
            // No DISCONNECT when the peer sent one, nor when our key has sealed all it may.
            if err.fault != crate::error::Fault::PeerDisconnected
                && self.usage.sent_under_key < PACKETS_PER_KEY
            {
                self.send_disconnect(err.reason, &err.description);
            }
            self.closed = Some(err.clone());
            self.events.push_back(Event::Closed(err.clone()));
        }
        err
    }
}
