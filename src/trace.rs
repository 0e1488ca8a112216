//! An opt-in record of the steps a connection takes, for a driver's debug output (what IOS
//! prints for `debug ip ssh`, OpenSSH for `-v`).
//!
//! The engine only says *what* happened, as typed [`TraceStep`]s; wording and timestamps are
//! the driver's. Steps are queued only at the [`TraceLevel`] the driver asked for
//! ([`crate::CommonConfig::trace`] from the start, [`crate::Connection::set_trace`] at any time)
//! and taken with [`crate::Connection::poll_trace`], apart from the event queue, so drivers that
//! never trace see no difference. Off, a hook is one comparison: the step is built by a closure
//! that is not called, and the empty queue holds no memory.

use crate::kex::KexAlg;
use crate::transport::kexinit::Negotiated;
use std::collections::VecDeque;

/// How much a connection records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub enum TraceLevel {
    /// Nothing (the default).
    #[default]
    Off,
    /// The protocol's steps: key exchange, authentication, channel requests.
    Steps,
    /// The steps and every packet sent and received (with its length and padding).
    Packets,
}

/// One step of a connection, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceStep {
    /// Our identification line was queued (without CR LF).
    VersionSent(String),
    /// The peer's identification line arrived.
    VersionReceived(String),
    /// Our KEXINIT went out.
    KexInitSent,
    /// The peer's KEXINIT arrived.
    KexInitReceived,
    /// The two KEXINITs settled on these algorithms.
    Negotiated(Negotiated),
    /// The key exchange waits for this message from the peer (a number of the negotiated
    /// method: [`kex_message_name`] names it).
    Expecting {
        /// The negotiated method.
        kex: KexAlg,
        /// The message number awaited.
        msg: u8,
    },
    /// A key exchange method message arrived.
    KexMessageReceived {
        /// The negotiated method.
        kex: KexAlg,
        /// Its number.
        msg: u8,
    },
    /// Server: a group exchange request and the group chosen for it (RFC 4419).
    GexRequest {
        /// Smallest group the client accepts, in bits.
        min: u32,
        /// Preferred size.
        n: u32,
        /// Largest.
        max: u32,
        /// Size of the group chosen.
        bits: u32,
    },
    /// Both directions' keys were derived from the shared secret.
    KeysDerived,
    /// Our NEWKEYS went out: outgoing packets use the new keys.
    NewKeysSent,
    /// Waiting for the peer's NEWKEYS.
    AwaitingNewKeys,
    /// The peer's NEWKEYS arrived: incoming packets use the new keys.
    NewKeysReceived,
    /// Server: a user authentication request with this method.
    AuthMethod {
        /// The user named.
        user: String,
        /// `none`, `password`, `publickey`, `keyboard-interactive` (`unknown` for others).
        method: &'static str,
    },
    /// Server: a request failed; these methods can continue.
    AuthFailure {
        /// The methods still allowed.
        can_continue: Vec<String>,
    },
    /// Server: the user is authenticated.
    AuthSuccess {
        /// Who.
        user: String,
        /// By which method.
        method: &'static str,
    },
    /// The peer asks to open a channel.
    ChannelOpen {
        /// Its type (`session`, `direct-tcpip`...).
        kind: String,
    },
    /// A channel request from the peer.
    ChannelRequest {
        /// Our channel number.
        channel: u32,
        /// The request type (`pty-req`, `shell`, `exec`, `subsystem`...; `unknown` for types
        /// the engine does not know).
        request: &'static str,
        /// For `pty-req`: the terminal size asked for (columns, rows).
        pty_size: Option<(u32, u32)>,
    },
    /// The peer gave a channel more window.
    WindowAdjust {
        /// Our channel number.
        channel: u32,
        /// Bytes added.
        bytes: u32,
    },
    /// A packet went out ([`TraceLevel::Packets`]).
    PacketSent {
        /// Its message number.
        msg: u8,
        /// `packet_length` (padding length byte, payload and padding).
        len: u32,
        /// Padding bytes.
        padlen: u8,
    },
    /// A packet arrived and was authenticated ([`TraceLevel::Packets`]).
    PacketReceived {
        /// Its message number.
        msg: u8,
        /// `packet_length`.
        len: u32,
        /// Padding bytes.
        padlen: u8,
    },
    /// The driver did not take steps for a long time: this many were dropped here.
    Lost(u64),
}

/// The RFC name of key exchange method message `msg` under `kex`, which the numbers 30–49
/// alone do not tell (30 is `SSH2_MSG_KEXDH_INIT` for finite-field DH, `SSH2_MSG_KEX_ECDH_INIT`
/// for elliptic curves, `SSH2_MSG_KEX_DH_GEX_REQUEST_OLD` for group exchange).
#[must_use]
pub fn kex_message_name(kex: KexAlg, msg: u8) -> &'static str {
    let name = kex.name();
    if kex.is_group_exchange() {
        // RFC 4419 §5.
        return match msg {
            30 => "SSH2_MSG_KEX_DH_GEX_REQUEST_OLD",
            31 => "SSH2_MSG_KEX_DH_GEX_GROUP",
            32 => "SSH2_MSG_KEX_DH_GEX_INIT",
            33 => "SSH2_MSG_KEX_DH_GEX_REPLY",
            34 => "SSH2_MSG_KEX_DH_GEX_REQUEST",
            _ => "SSH2_MSG_KEX_UNKNOWN",
        };
    }
    // By name rather than by variant, so methods added later fall in their family.
    let (init, reply) = if name.starts_with("diffie-hellman") {
        ("SSH2_MSG_KEXDH_INIT", "SSH2_MSG_KEXDH_REPLY") // RFC 4253 §8
    } else if name.starts_with("mlkem") || name.starts_with("sntrup") {
        ("SSH2_MSG_KEX_HYBRID_INIT", "SSH2_MSG_KEX_HYBRID_REPLY")
    } else {
        ("SSH2_MSG_KEX_ECDH_INIT", "SSH2_MSG_KEX_ECDH_REPLY") // RFC 5656 §7.1, RFC 8731
    };
    match msg {
        30 => init,
        31 => reply,
        _ => "SSH2_MSG_KEX_UNKNOWN",
    }
}

/// Steps queued at most: a driver that turned tracing on but does not drain it costs bounded
/// memory; what does not fit is counted and reported as [`TraceStep::Lost`].
const MAX_QUEUED: usize = 4096;

/// The engine's side: the level and the queue.
#[derive(Debug, Default)]
pub(crate) struct Tracer {
    level: TraceLevel,
    queue: VecDeque<TraceStep>,
    lost: u64,
}

impl Tracer {
    pub(crate) fn new(level: TraceLevel) -> Self {
        Tracer {
            level,
            ..Tracer::default()
        }
    }

    pub(crate) fn level(&self) -> TraceLevel {
        self.level
    }

    pub(crate) fn set_level(&mut self, level: TraceLevel) {
        self.level = level;
    }

    /// Whether protocol steps are recorded.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.level >= TraceLevel::Steps
    }

    /// Whether packets are recorded.
    #[inline]
    pub(crate) fn packets(&self) -> bool {
        self.level >= TraceLevel::Packets
    }

    /// Records the step `f` builds, if steps are recorded (`f` is not called otherwise).
    #[inline]
    pub(crate) fn step(&mut self, f: impl FnOnce() -> TraceStep) {
        if self.on() {
            self.push(f());
        }
    }

    /// Records a packet step, if packets are recorded.
    #[inline]
    pub(crate) fn packet(&mut self, f: impl FnOnce() -> TraceStep) {
        if self.packets() {
            self.push(f());
        }
    }

    fn push(&mut self, step: TraceStep) {
        if self.queue.len() >= MAX_QUEUED {
            self.lost += 1;
        } else {
            self.queue.push_back(step);
        }
    }

    /// The next step, oldest first; a gap is reported where it was.
    pub(crate) fn poll(&mut self) -> Option<TraceStep> {
        let step = self.queue.pop_front();
        if step.is_none() && self.lost > 0 {
            return Some(TraceStep::Lost(core::mem::take(&mut self.lost)));
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_builds_nothing() {
        let mut t = Tracer::new(TraceLevel::Off);
        let mut built = false;
        t.step(|| {
            built = true;
            TraceStep::KexInitSent
        });
        assert!(!built, "an off tracer must not build the step");
        assert_eq!(t.poll(), None);
        assert_eq!(t.queue.capacity(), 0, "an off tracer holds no memory");
    }

    #[test]
    fn steps_without_packets_then_packets() {
        let mut t = Tracer::new(TraceLevel::Steps);
        t.step(|| TraceStep::KexInitSent);
        t.packet(|| TraceStep::PacketSent {
            msg: 20,
            len: 280,
            padlen: 4,
        });
        t.set_level(TraceLevel::Packets);
        t.packet(|| TraceStep::PacketSent {
            msg: 21,
            len: 12,
            padlen: 10,
        });
        assert_eq!(t.poll(), Some(TraceStep::KexInitSent));
        assert!(matches!(
            t.poll(),
            Some(TraceStep::PacketSent { msg: 21, .. })
        ));
        assert_eq!(t.poll(), None);
    }

    #[test]
    fn an_undrained_queue_is_bounded_and_says_so() {
        let mut t = Tracer::new(TraceLevel::Steps);
        for _ in 0..MAX_QUEUED + 3 {
            t.step(|| TraceStep::KeysDerived);
        }
        let all: Vec<_> = core::iter::from_fn(|| t.poll()).collect();
        assert_eq!(all.len(), MAX_QUEUED + 1);
        assert_eq!(all.last(), Some(&TraceStep::Lost(3)));
        assert_eq!(t.poll(), None);
    }

    #[test]
    fn kex_messages_are_named_by_method() {
        assert_eq!(
            kex_message_name(KexAlg::DhGroup14Sha256, 30),
            "SSH2_MSG_KEXDH_INIT"
        );
        assert_eq!(
            kex_message_name(KexAlg::Curve25519Sha256, 30),
            "SSH2_MSG_KEX_ECDH_INIT"
        );
        assert_eq!(
            kex_message_name(KexAlg::MlKem768X25519Sha256, 31),
            "SSH2_MSG_KEX_HYBRID_REPLY"
        );
        assert_eq!(
            kex_message_name(KexAlg::DhGexSha256, 34),
            "SSH2_MSG_KEX_DH_GEX_REQUEST"
        );
        assert_eq!(
            kex_message_name(KexAlg::DhGexSha256, 32),
            "SSH2_MSG_KEX_DH_GEX_INIT"
        );
    }
}
