//! One key exchange, first or re-exchange, from KEXINIT to NEWKEYS in both directions.
//!
//! Each step is a variant holding exactly what that step needs; a transition consumes the old
//! step, so e.g. a client can never send NEWKEYS before it has verified the server's signature.

use super::Transport;
use super::cipher::{DirectionKeys, PacketOpener, PacketSealer};
use super::kexinit::{self, KexInit, Negotiated};
use super::keystream_offload::KeystreamDirection;
use super::{RoleConfig, Usage};
use crate::config::{GexRange, RekeyLimits};
use crate::event::{Event, HostKeyInfo};
use crate::kex::{self, ClientEphemeral, DhGroup, ExchangeHashInput, GexParams, SharedSecret};
use crate::msg::{self, Phase, reason};
use crate::role_gate::ServerRole;
use crate::time::{Duration, Instant};
use crate::trace::TraceStep;
use crate::wire::{Reader, Writer};
use crate::{Error, Role};

/// Where one exchange stands.
enum Step {
    /// We sent KEXINIT and wait for the peer's.
    AwaitPeerInit,
    /// Client, group exchange: GEX_REQUEST sent, waiting for GEX_GROUP.
    ClientAwaitGroup { range: GexRange },
    /// Client: our public value sent, waiting for the server's reply.
    ClientAwaitReply {
        eph: ClientEphemeral,
        gex: Option<(GexRange, DhGroup)>,
    },
    /// Client, first exchange: signature verified, waiting for the application to trust the key
    /// (`host_key`: the key's SSH blob, pinned for re-keys).
    ClientAwaitDecision { keys: NewKeys, host_key: Vec<u8> },
    /// Server, group exchange: waiting for GEX_REQUEST.
    ServerAwaitGexRequest(ServerRole),
    /// Server: waiting for the client's public value.
    ServerAwaitInit {
        gex: Option<(GexRange, &'static DhGroup)>,
        /// Never read: its presence is what makes the variant exist only in server builds.
        _gate: ServerRole,
    },
    /// Our NEWKEYS is sent; waiting for the peer's.
    AwaitNewKeys { incoming: DirectionKeys },
    /// Transient placeholder while a step is being consumed.
    Taken,
}

/// Keys for both directions, from our point of view.
struct NewKeys {
    outgoing: DirectionKeys,
    incoming: DirectionKeys,
}

pub(super) struct KexRun {
    our_init: Vec<u8>,
    peer_init: Option<Vec<u8>>,
    negotiated: Option<Negotiated>,
    step: Step,
    sent_newkeys: bool,
    /// Strict kex applies to this (first) exchange.
    strict: bool,
    /// Since when we have been waiting for the peer, for the key exchange time-out; `None`
    /// until the driver next gives the time (an exchange the application starts, or resumes
    /// with its host key answer, knows only the last instant it was given, which may be old).
    waiting_since: Option<Instant>,
}

impl KexRun {
    pub(super) fn peer_init_seen(&self) -> bool {
        self.peer_init.is_some()
    }

    pub(super) fn sent_newkeys(&self) -> bool {
        self.sent_newkeys
    }

    /// When the exchange times out: `None` while the application decides on the host key (its
    /// time is not the peer's); `last` (at once) when the clock waits for the driver's time.
    pub(super) fn deadline(&self, last: Instant, timeout: Duration) -> Option<Instant> {
        if matches!(self.step, Step::ClientAwaitDecision { .. }) {
            return None;
        }
        Some(self.waiting_since.map_or(last, |since| since + timeout))
    }

    /// Starts the time-out clock at `now` if it waits for the time; true if it did.
    pub(super) fn note_time(&mut self, now: Instant) -> bool {
        let waits =
            self.waiting_since.is_none() && !matches!(self.step, Step::ClientAwaitDecision { .. });
        if waits {
            self.waiting_since = Some(now);
        }
        waits
    }

    /// Before the peer's KEXINIT arrives, strict mode is not known yet; we apply it as soon as the
    /// peer's first KEXINIT shows it.
    pub(super) fn strict_pending(&self, _role: Role) -> bool {
        self.strict
    }

    pub(super) fn incoming_phase(&self) -> Phase {
        match &self.step {
            Step::ClientAwaitGroup { .. } | Step::ClientAwaitReply { .. } => {
                let gex = matches!(self.step, Step::ClientAwaitReply { gex: Some(_), .. });
                Phase::KexMethod {
                    expected: if gex {
                        msg::KEX_DH_GEX_REPLY
                    } else {
                        msg::KEX_REPLY_31
                    },
                }
            }
            Step::ServerAwaitGexRequest(_) => Phase::KexMethod {
                expected: msg::KEX_DH_GEX_REQUEST,
            },
            Step::ServerAwaitInit { gex, .. } => Phase::KexMethod {
                expected: if gex.is_some() {
                    msg::KEX_DH_GEX_INIT
                } else {
                    msg::KEX_INIT_30
                },
            },
            Step::AwaitNewKeys { .. } | Step::ClientAwaitDecision { .. } => Phase::KexNewKeys,
            Step::AwaitPeerInit | Step::Taken => Phase::FirstKexInit,
        }
    }
}

impl Transport {
    /// Sends our KEXINIT and starts an exchange (first, or a re-key we initiate).
    pub(crate) fn start_kex(&mut self) {
        if self.kex.is_some() || self.closed.is_some() {
            return;
        }
        let init = self.our_kexinit();
        let mut cookie = [0u8; 16];
        self.rng.fill(&mut cookie);
        let payload = init.encode(cookie);
        // The run exists before the KEXINIT is sealed, so the traffic count that sealing updates
        // cannot start a second exchange.
        self.kex = Some(KexRun {
            our_init: payload.clone(),
            peer_init: None,
            negotiated: None,
            step: Step::AwaitPeerInit,
            sent_newkeys: false,
            strict: false,
            waiting_since: None,
        });
        self.seal(&payload);
        self.trace.step(|| TraceStep::KexInitSent);
    }

    /// Traffic that earns the peer one re-key: the configured figure, lowered to half the byte
    /// limit of the ciphers in use, so a peer re-keying as often as its cipher needs is never
    /// refused (3DES: every 512 KiB).
    fn bytes_per_kex_token(&self) -> u64 {
        let cipher_floor = self.ciphers.map_or(u64::MAX, |(c2s, s2c)| {
            RekeyLimits::max_bytes(c2s).min(RekeyLimits::max_bytes(s2c)) / 2
        });
        match self.cfg.kex_limits.refill_bytes {
            0 => cipher_floor,
            n => n.min(cipher_floor),
        }
    }

    fn our_kexinit(&self) -> KexInit {
        let a = &self.cfg.algorithms;
        let mut kex: Vec<String> = a.kex.iter().map(|k| k.name().to_string()).collect();
        if !self.first_kex_done {
            // Pseudo-algorithms go only into the first KEXINIT (RFC 8308 §2.1, OpenSSH PROTOCOL §1.10).
            match self.role {
                Role::Client => {
                    kex.extend([kexinit::EXT_INFO_C.into(), kexinit::KEX_STRICT_C.into()])
                }
                Role::Server => {
                    kex.extend([kexinit::EXT_INFO_S.into(), kexinit::KEX_STRICT_S.into()])
                }
            }
        }
        let host_key = self.offered_host_keys();
        let ciphers: Vec<String> = a.cipher.iter().map(|c| c.name().to_string()).collect();
        let macs: Vec<String> = a.mac.iter().map(|m| m.name().to_string()).collect();
        KexInit {
            kex,
            host_key,
            cipher_c2s: ciphers.clone(),
            cipher_s2c: ciphers,
            mac_c2s: macs.clone(),
            mac_s2c: macs,
            comp_c2s: vec!["none".into()],
            comp_s2c: vec!["none".into()],
            first_kex_packet_follows: false,
        }
    }

    pub(super) fn on_kexinit(&mut self, seq: u32, payload: Vec<u8>) -> Result<(), Error> {
        let theirs = KexInit::decode(&payload)?;
        self.trace.step(|| TraceStep::KexInitReceived);
        let peer_starts = self.kex.is_none();
        if peer_starts || !self.first_kex_done {
            // The first exchange and every one the peer starts cost us a key agreement and a
            // signature: rationed (D(HE)at; `KexLimits` says how and why).
            let per_token = self.bytes_per_kex_token();
            let authenticated = self.authenticated();
            self.budget.admit(
                &self.cfg.kex_limits,
                authenticated,
                self.now,
                self.traffic,
                per_token,
            )?;
        }
        if peer_starts {
            // The peer starts a re-key: answer with our KEXINIT (RFC 4253 §9).
            self.start_kex();
        }
        let ours = KexInit::decode(
            &self
                .kex
                .as_ref()
                .map(|k| k.our_init.clone())
                .unwrap_or_default(),
        )?;
        let (client, server) = match self.role {
            Role::Client => (&ours, &theirs),
            Role::Server => (&theirs, &ours),
        };
        let negotiated = kexinit::negotiate(client, server)?;
        self.trace.step(|| TraceStep::Negotiated(negotiated));
        let guess_wrong =
            theirs.first_kex_packet_follows && !kexinit::guess_was_right(client, server);
        if !self.first_kex_done {
            let strict =
                client.has_kex(kexinit::KEX_STRICT_C) && server.has_kex(kexinit::KEX_STRICT_S);
            // OpenSSH PROTOCOL §1.10: with strict kex, KEXINIT must be the very first packet.
            if strict && seq != 0 {
                return Err(Error::protocol(
                    "strict key exchange: KEXINIT was not the first packet",
                ));
            }
            self.strict = strict;
            self.peer_wants_ext_info = match self.role {
                Role::Client => theirs.has_kex(kexinit::EXT_INFO_S),
                Role::Server => theirs.has_kex(kexinit::EXT_INFO_C),
            };
        }
        self.skip_guessed_packet = guess_wrong;
        let strict_now = self.strict && !self.first_kex_done;
        let run = self.kex.as_mut().expect("kex run started above");
        run.peer_init = Some(payload);
        run.negotiated = Some(negotiated);
        run.strict = strict_now;
        // Open the method.
        let step = match (&self.role_cfg, negotiated.kex.is_group_exchange()) {
            (RoleConfig::Client { gex, .. }, true) => {
                let range = *gex;
                let mut w = Writer::message(msg::KEX_DH_GEX_REQUEST);
                w.u32(range.min).u32(range.n).u32(range.max);
                self.seal(w.as_slice());
                Step::ClientAwaitGroup { range }
            }
            (RoleConfig::Client { .. }, false) => {
                let eph = ClientEphemeral::generate(negotiated.kex, None, &mut self.rng)
                    .map_err(kex_error)?;
                let mut w = Writer::message(msg::KEX_INIT_30);
                kex::encode_public(negotiated.kex, eph.public(), &mut w);
                self.seal(w.as_slice());
                Step::ClientAwaitReply { eph, gex: None }
            }
            (RoleConfig::Server { gate, .. }, true) => Step::ServerAwaitGexRequest(*gate),
            (RoleConfig::Server { gate, .. }, false) => Step::ServerAwaitInit {
                gex: None,
                _gate: *gate,
            },
        };
        self.set_step(step);
        Ok(())
    }

    pub(super) fn on_kex_method(&mut self, msg_no: u8, payload: &[u8]) -> Result<(), Error> {
        let run = self
            .kex
            .as_mut()
            .ok_or_else(|| Error::protocol("key exchange message outside key exchange"))?;
        let negotiated = run
            .negotiated
            .ok_or_else(|| Error::protocol("key exchange message before KEXINIT"))?;
        let step = core::mem::replace(&mut run.step, Step::Taken);
        self.trace.step(|| TraceStep::KexMessageReceived {
            kex: negotiated.kex,
            msg: msg_no,
        });
        let mut r = Reader::new(&payload[1..]);
        match (step, msg_no) {
            (Step::ClientAwaitGroup { range }, msg::KEX_REPLY_31) => {
                let p = r.mpint_positive("p")?;
                let g = r.mpint_positive("g")?;
                r.finish()?;
                let group = DhGroup::from_server(p, g, range.min, range.max).map_err(kex_error)?;
                let eph = ClientEphemeral::generate(negotiated.kex, Some(&group), &mut self.rng)
                    .map_err(kex_error)?;
                let mut w = Writer::message(msg::KEX_DH_GEX_INIT);
                kex::encode_public(negotiated.kex, eph.public(), &mut w);
                self.seal(w.as_slice());
                self.set_step(Step::ClientAwaitReply {
                    eph,
                    gex: Some((range, group)),
                });
                Ok(())
            }
            (Step::ClientAwaitReply { eph, gex }, msg::KEX_REPLY_31 | msg::KEX_DH_GEX_REPLY) => {
                let k_s = r.string("server host key")?.to_vec();
                let f = kex::decode_public(negotiated.kex, &mut r)?.to_vec();
                let sig = r.string("signature")?.to_vec();
                r.finish()?;
                self.client_finish(negotiated, eph, gex, &k_s, &f, &sig)
            }
            (Step::ServerAwaitGexRequest(gate), msg::KEX_DH_GEX_REQUEST) => {
                let range = GexRange {
                    min: r.u32("min")?,
                    n: r.u32("n")?,
                    max: r.u32("max")?,
                };
                r.finish()?;
                let group = DhGroup::choose(range.min, range.n, range.max).map_err(kex_error)?;
                self.trace.step(|| TraceStep::GexRequest {
                    min: range.min,
                    n: range.n,
                    max: range.max,
                    bits: bits_of(&group.p),
                });
                let mut w = Writer::message(msg::KEX_REPLY_31);
                w.mpint(&group.p).mpint(&group.g);
                self.seal(w.as_slice());
                self.set_step(Step::ServerAwaitInit {
                    gex: Some((range, group)),
                    _gate: gate,
                });
                Ok(())
            }
            (Step::ServerAwaitInit { gex, .. }, msg::KEX_INIT_30 | msg::KEX_DH_GEX_INIT) => {
                let e = kex::decode_public(negotiated.kex, &mut r)?.to_vec();
                r.finish()?;
                self.server_finish(negotiated, gex, &e)
            }
            (_, m) => Err(Error::protocol(format!(
                "unexpected key exchange message {m}"
            ))),
        }
    }

    /// Moves the exchange to `step` (recording which message it now waits for, if any).
    fn set_step(&mut self, step: Step) {
        if let Some(run) = self.kex.as_mut() {
            run.step = step;
            if self.trace.on()
                && let (Phase::KexMethod { expected }, Some(n)) =
                    (run.incoming_phase(), run.negotiated)
            {
                self.trace.step(|| TraceStep::Expecting {
                    kex: n.kex,
                    msg: expected,
                });
            }
        }
    }

    fn versions(&self) -> (Vec<u8>, Vec<u8>) {
        let ours = self.our_version.as_bytes().to_vec();
        let theirs = self.peer_version.clone().unwrap_or_default().into_bytes();
        match self.role {
            Role::Client => (ours, theirs),
            Role::Server => (theirs, ours),
        }
    }

    fn inits(&self) -> (Vec<u8>, Vec<u8>) {
        let run = self.kex.as_ref().expect("kex run");
        let ours = run.our_init.clone();
        let theirs = run.peer_init.clone().unwrap_or_default();
        match self.role {
            Role::Client => (ours, theirs),
            Role::Server => (theirs, ours),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn exchange_hash(
        &self,
        negotiated: Negotiated,
        gex: Option<(GexRange, &DhGroup)>,
        k_s: &[u8],
        e: &[u8],
        f: &[u8],
        k: &SharedSecret,
    ) -> Vec<u8> {
        let (v_c, v_s) = self.versions();
        let (i_c, i_s) = self.inits();
        let gex = gex.map(|(r, group)| GexParams {
            min: r.min,
            n: r.n,
            max: r.max,
            group,
        });
        kex::exchange_hash(
            negotiated.kex,
            &ExchangeHashInput {
                v_c: &v_c,
                v_s: &v_s,
                i_c: &i_c,
                i_s: &i_s,
                k_s,
                gex,
                e,
                f,
                k,
            },
        )
    }

    fn client_finish(
        &mut self,
        negotiated: Negotiated,
        eph: ClientEphemeral,
        gex: Option<(GexRange, DhGroup)>,
        k_s: &[u8],
        f: &[u8],
        sig: &[u8],
    ) -> Result<(), Error> {
        let (key, chain) = self.client_host_key(negotiated.host_key, k_s)?;
        let e = eph.public().to_vec();
        let k = eph.finish(f).map_err(kex_error)?;
        let h = self.exchange_hash(
            negotiated,
            gex.as_ref().map(|(r, g)| (*r, g)),
            k_s,
            &e,
            f,
            &k,
        );
        // RFC 4253 §8: the client verifies the signature on H with the server's host key.
        key.verify_with_min_rsa_bits(negotiated.host_key, &h, sig, self.cfg.min_rsa_bits)
            .map_err(|e| {
                Error::peer(
                    reason::KEY_EXCHANGE_FAILED,
                    format!("host key signature invalid: {e:?}"),
                )
            })?;
        let keys = self.derive(negotiated, &k, &h);
        // The key is pinned, not K_S: a certificate chain may carry a fresher OCSP response
        // (or a renewed certificate of the same key) at a re-key.
        let key_blob = key.to_blob();
        if let Some(accepted) = &self.accepted_host_key {
            if *accepted != key_blob {
                return Err(Error::policy(
                    reason::HOST_KEY_NOT_VERIFIABLE,
                    "server presented a different host key during re-key",
                ));
            }
            return self.send_newkeys(keys);
        }
        let certificate = chain.map(|b| Box::new(self.check_host_certificate(&b)));
        let fingerprint = key.fingerprint_sha256();
        let openssh_certificate = super::openssh_host_cert::of(negotiated.host_key, k_s);
        self.events.push_back(Event::HostKey(HostKeyInfo {
            algorithm: negotiated.host_key,
            key,
            fingerprint,
            certificate,
            openssh_certificate,
        }));
        self.set_step(Step::ClientAwaitDecision {
            keys,
            host_key: key_blob,
        });
        self.paused = true;
        Ok(())
    }

    /// Client: the application's answer to [`Event::HostKey`].
    pub(crate) fn answer_host_key(&mut self, trusted: bool) -> Result<(), Error> {
        let Some(run) = self.kex.as_mut() else {
            return Ok(());
        };
        let Step::ClientAwaitDecision { .. } = run.step else {
            return Ok(());
        };
        let Step::ClientAwaitDecision { keys, host_key } =
            core::mem::replace(&mut run.step, Step::Taken)
        else {
            unreachable!("checked above")
        };
        if !trusted {
            return Err(self.fail(Error::policy(
                reason::HOST_KEY_NOT_VERIFIABLE,
                "host key not trusted",
            )));
        }
        self.accepted_host_key = Some(host_key);
        // The time-out clock restarts from the driver's next instant: the one we know is from
        // before the application's decision.
        run.waiting_since = None;
        if let Err(e) = self.send_newkeys(keys) {
            return Err(self.fail(e));
        }
        self.resume()
    }

    fn server_finish(
        &mut self,
        negotiated: Negotiated,
        gex: Option<(GexRange, &'static DhGroup)>,
        e: &[u8],
    ) -> Result<(), Error> {
        let (k_s, host_key) = self.server_host_key(negotiated.host_key)?;
        let (f, k) = kex::server_exchange(negotiated.kex, gex.map(|(_, g)| g), e, &mut self.rng)
            .map_err(kex_error)?;
        let h = self.exchange_hash(negotiated, gex, &k_s, e, &f, &k);
        let sig = host_key
            .sign(negotiated.host_key, &h, &mut self.rng)
            .map_err(|e| {
                // Our own key could not sign: no peer's doing, and nothing to go on with.
                Error::policy(
                    reason::KEY_EXCHANGE_FAILED,
                    format!("host key signing failed: {e}"),
                )
            })?;
        let reply_no = if gex.is_some() {
            msg::KEX_DH_GEX_REPLY
        } else {
            msg::KEX_REPLY_31
        };
        let mut w = Writer::message(reply_no);
        w.string(&k_s);
        kex::encode_public(negotiated.kex, &f, &mut w);
        w.string(&sig);
        self.seal(w.as_slice());
        let keys = self.derive(negotiated, &k, &h);
        self.send_newkeys(keys)
    }

    /// RFC 4253 §7.2: derives both directions' keys; the first H becomes the session id.
    fn derive(&mut self, n: Negotiated, k: &SharedSecret, h: &[u8]) -> NewKeys {
        self.trace.step(|| TraceStep::KeysDerived);
        let session_id = self.session_id.get_or_insert_with(|| h.to_vec()).clone();
        let hash = n.kex.hash();
        let d = |letter: u8, len: usize| kex::derive_key(hash, k, h, letter, &session_id, len);
        let c2s = DirectionKeys {
            cipher: n.cipher_c2s,
            mac: n.mac_c2s,
            iv: d(b'A', n.cipher_c2s.iv_len()),
            key: d(b'C', n.cipher_c2s.key_len()),
            mac_key: d(b'E', n.mac_c2s.map_or(0, |m| m.key_len())),
        };
        let s2c = DirectionKeys {
            cipher: n.cipher_s2c,
            mac: n.mac_s2c,
            iv: d(b'B', n.cipher_s2c.iv_len()),
            key: d(b'D', n.cipher_s2c.key_len()),
            mac_key: d(b'F', n.mac_s2c.map_or(0, |m| m.key_len())),
        };
        match self.role {
            Role::Client => NewKeys {
                outgoing: c2s,
                incoming: s2c,
            },
            Role::Server => NewKeys {
                outgoing: s2c,
                incoming: c2s,
            },
        }
    }

    /// Sends NEWKEYS, switches outgoing keys, and lets held output go.
    fn send_newkeys(&mut self, keys: NewKeys) -> Result<(), Error> {
        self.seal(&[msg::NEWKEYS]);
        self.sealer = PacketSealer::new(&keys.outgoing);
        self.offer_keystream(KeystreamDirection::Outbound, &keys.outgoing);
        self.trace.step(|| TraceStep::NewKeysSent);
        self.usage.sent_under_key = 0;
        self.output_resumed = true;
        if self.strict {
            // OpenSSH PROTOCOL §1.10: reset the sequence number after every NEWKEYS.
            self.send_seq = 0;
        }
        let first = !self.first_kex_done;
        if let Some(run) = self.kex.as_mut() {
            run.sent_newkeys = true;
            run.step = Step::AwaitNewKeys {
                incoming: keys.incoming,
            };
        }
        self.trace.step(|| TraceStep::AwaitingNewKeys);
        // RFC 8308 §2.4: EXT_INFO is the server's next packet after its first NEWKEYS.
        if first && self.role == Role::Server && self.peer_wants_ext_info {
            let p = self.ext_info_payload();
            self.seal(&p);
        }
        self.flush_held();
        Ok(())
    }

    pub(super) fn on_newkeys(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() != 1 {
            return Err(Error::protocol("NEWKEYS with trailing data"));
        }
        let run = self
            .kex
            .take()
            .ok_or_else(|| Error::protocol("NEWKEYS outside key exchange"))?;
        let Step::AwaitNewKeys { incoming } = run.step else {
            return Err(Error::protocol("NEWKEYS before the key exchange finished"));
        };
        self.opener = PacketOpener::new(&incoming);
        self.offer_keystream(KeystreamDirection::Inbound, &incoming);
        self.trace.step(|| TraceStep::NewKeysReceived);
        if self.strict {
            self.recv_seq = 0;
        }
        let initial = !self.first_kex_done;
        self.first_kex_done = true;
        // Both directions have new keys now; our outgoing count restarted at our NEWKEYS.
        self.usage = Usage {
            sent_under_key: self.usage.sent_under_key,
            ..Usage::default()
        };
        self.last_kex_at = self.now;
        if let Some(n) = run.negotiated {
            self.ciphers = Some((n.cipher_c2s, n.cipher_s2c));
        }
        if let Some(algorithms) = run.negotiated {
            self.events.push_back(Event::KexComplete {
                algorithms,
                initial,
            });
        }
        Ok(())
    }
}

/// Bits of a big-endian unsigned number (a group's modulus).
fn bits_of(n: &[u8]) -> u32 {
    match n.iter().position(|&b| b != 0) {
        Some(i) => (n.len() - i - 1) as u32 * 8 + (8 - n[i].leading_zeros()),
        None => 0,
    }
}

fn kex_error(e: kex::KexError) -> Error {
    Error::peer(
        reason::KEY_EXCHANGE_FAILED,
        format!("key exchange failed: {e:?}"),
    )
}
