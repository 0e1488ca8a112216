//! Configuration of the two roles: algorithm preferences, re-key limits, identities.

use crate::kex::KexAlg;
use crate::keys::{HostKeyAlg, PrivateKey};
use crate::pki::{CertifiedKey, Trustpoint};
use crate::time::Duration;
use crate::transport::cipher::{CipherAlg, MacAlg};
use std::sync::Arc;

/// Algorithms offered, each list in preference order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Algorithms {
    /// Key exchange methods.
    pub kex: Vec<KexAlg>,
    /// Host key (signature) algorithms.
    pub host_key: Vec<HostKeyAlg>,
    /// Ciphers, both directions.
    pub cipher: Vec<CipherAlg>,
    /// MACs, both directions.
    pub mac: Vec<MacAlg>,
}

impl Default for Algorithms {
    /// The modern set: everything but the legacy algorithms (SHA-1 kex and signatures, CBC, 3DES,
    /// truncated MACs).
    fn default() -> Self {
        Algorithms {
            kex: KexAlg::ALL
                .iter()
                .copied()
                .filter(|a| !a.is_legacy())
                .collect(),
            // Certificates first: a client offers them only when it has trust anchors to
            // verify them with, and then prefers them (as OpenSSH prefers its certificates);
            // a server offers them only for keys it has a certificate for.
            host_key: HostKeyAlg::CERT_ALL
                .iter()
                .chain(HostKeyAlg::X509_ALL)
                .chain(HostKeyAlg::ALL)
                .copied()
                .filter(|a| !a.is_legacy())
                .collect(),
            cipher: CipherAlg::ALL
                .iter()
                .copied()
                .filter(|a| !a.is_legacy())
                .collect(),
            mac: MacAlg::ALL
                .iter()
                .copied()
                .filter(|a| !a.is_legacy())
                .collect(),
        }
    }
}

impl Algorithms {
    /// Every algorithm the engine implements, legacy ones last, as old network devices need.
    #[must_use]
    pub fn with_legacy() -> Self {
        Algorithms {
            kex: KexAlg::ALL.to_vec(),
            host_key: HostKeyAlg::CERT_ALL
                .iter()
                .chain(HostKeyAlg::X509_ALL)
                .filter(|a| !a.is_legacy())
                .chain(HostKeyAlg::ALL)
                .chain(HostKeyAlg::X509_ALL.iter().filter(|a| a.is_legacy()))
                .chain(HostKeyAlg::CERT_ALL.iter().filter(|a| a.is_legacy()))
                .copied()
                .collect(),
            cipher: CipherAlg::ALL.to_vec(),
            mac: MacAlg::ALL.to_vec(),
        }
    }

    /// Moves the host key algorithms for keys of the `known` types (the types the user already
    /// trusts for this server, [`crate::keys::known_hosts::key_types_for`]) to the front,
    /// keeping both groups' order, so certificates of a known key type still come before the
    /// plain algorithm. A client that set its own host key order should not call this.
    pub fn prefer_host_key_types(&mut self, known: &[String]) {
        let is_known = |a: &HostKeyAlg| known.iter().any(|t| t == a.key_type());
        let (mut first, rest): (Vec<HostKeyAlg>, Vec<HostKeyAlg>) =
            self.host_key.iter().partition(|a| is_known(a));
        first.extend(rest);
        self.host_key = first;
    }

    /// Moves the OpenSSH certificate host key algorithms to the front, keeping their order: what
    /// OpenSSH's `order_hostkeyalgs` does when known_hosts has a `@cert-authority` line for the
    /// server. Call it after [`Algorithms::prefer_host_key_types`]; a client that set its own
    /// host key order should not.
    pub fn prefer_host_certificates(&mut self) {
        let (mut first, rest): (Vec<HostKeyAlg>, Vec<HostKeyAlg>) = self
            .host_key
            .iter()
            .partition(|a| a.openssh_cert().is_some());
        first.extend(rest);
        self.host_key = first;
    }
}

/// When to re-key (RFC 4253 §9 recommends after a gigabyte or an hour).
///
/// The limits count traffic under one set of keys, both directions together, and apply once
/// the peer has authenticated (or we have): before that, as OpenSSH does (`packet.c`, "Don't
/// attempt rekeying during pre-auth"), only the safety maxima below start a re-key, so an
/// unauthenticated peer cannot make us run key exchanges by sending traffic or waiting.
///
/// Whatever is configured, the engine re-keys before a key wears out: a value above the maximum
/// is lowered to it ([`RekeyLimits::clamped`]).
/// - `packets` at most [`RekeyLimits::MAX_PACKETS`] (2^31, OpenSSH's `MAX_PACKETS`): the sequence
///   number is chacha20-poly1305's nonce and must not wrap under one key (2^32 packets a
///   direction). Should a peer keep sending past 2^32 packets under one key anyway (it never
///   answers our re-key), the connection ends instead.
/// - `bytes` at most [`RekeyLimits::max_bytes`] of the negotiated ciphers: RFC 4344 §3.2's
///   2^(L/4) blocks of a cipher with L-bit blocks, that is 2^32 blocks of 16 bytes (64 GiB) for
///   AES, and 2^16 blocks of 8 bytes (512 KiB) for 3DES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RekeyLimits {
    /// Bytes sent or received under one set of keys.
    pub bytes: u64,
    /// Packets sent or received under one set of keys.
    pub packets: u64,
    /// Time under one set of keys.
    pub time: Duration,
}

impl Default for RekeyLimits {
    fn default() -> Self {
        RekeyLimits {
            bytes: 1 << 30,
            packets: 1 << 31,
            time: Duration::from_secs(3600),
        }
    }
}

impl RekeyLimits {
    /// The most packets under one set of keys, whatever is configured: half the sequence
    /// number space, so the exchange this starts has 2^31 packets to finish in before a nonce
    /// could repeat.
    pub const MAX_PACKETS: u64 = 1 << 31;

    /// The most bytes one key of `cipher` may protect (RFC 4344 §3.2: "rekey after 2^(L/4)
    /// blocks" for an L-bit block cipher). chacha20-poly1305 is no block cipher (its limit is the
    /// packet count, above); it gets the 128-bit figure, as OpenSSH's 2^(min(L,128)/4) would.
    #[must_use]
    pub fn max_bytes(cipher: CipherAlg) -> u64 {
        let block_bits = match cipher {
            CipherAlg::TripleDesCbc => 64,
            _ => 128,
        };
        // 2^(L/4) blocks of L/8 bytes.
        (1u64 << (block_bits / 4)) * (block_bits / 8)
    }

    /// These limits with every value lowered to what keys of the ciphers `c2s` and `s2c` can
    /// bear (one count covers both directions, so the tighter cipher sets the byte limit).
    #[must_use]
    pub fn clamped(self, c2s: CipherAlg, s2c: CipherAlg) -> RekeyLimits {
        let bytes_max = Self::max_bytes(c2s).min(Self::max_bytes(s2c));
        RekeyLimits {
            bytes: self.bytes.min(bytes_max),
            packets: self.packets.min(Self::MAX_PACKETS),
            time: self.time,
        }
    }
}

/// How many key exchanges the peer may make us run (both roles apply them to the peer).
///
/// A key exchange costs the side that answers it far more than the side that asks: with
/// 8192-bit group exchange a client sending `e = 2` pays nothing while the server computes two
/// 8192-bit exponentiations and a signature (the D(HE)at attack, CVE-2002-20001). OpenSSH's sshd
/// answers a re-key before authentication with UNIMPLEMENTED (`do_authentication2` resets the
/// dispatch table), so it allows exactly one exchange before login, and after login any number.
/// We keep one re-key before authentication, for a peer whose own byte or time limit fires
/// during a long login, and end the connection with a clear reason on the next; after
/// authentication a token bucket lets a peer re-key in bursts of `burst`, one more every
/// `refill_after` of time or every `refill_bytes` of traffic (but at least as often as the
/// negotiated cipher's byte limit needs: a peer re-keying because its key wears out is never
/// refused). Re-keys we start ourselves are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KexLimits {
    /// Key exchanges before authentication, the first one included.
    pub before_auth: u32,
    /// Re-keys the peer may start at once after authentication.
    pub burst: u32,
    /// After authentication the peer earns one more re-key every this long...
    pub refill_after: Duration,
    /// ...and every this many bytes of traffic (both directions).
    pub refill_bytes: u64,
    /// A key exchange the peer has not finished this long after it started ends the connection
    /// (time spent waiting for the application's host key decision is not counted). It also
    /// bounds how long output is held back during a re-key. OpenSSH's `LoginGraceTime` default.
    pub timeout: Duration,
}

impl Default for KexLimits {
    fn default() -> Self {
        KexLimits {
            before_auth: 2,
            burst: 5,
            refill_after: Duration::from_secs(30),
            refill_bytes: 64 << 20,
            timeout: Duration::from_secs(120),
        }
    }
}

/// Group-exchange sizes a client asks for (RFC 4419 §3: min, preferred, max bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GexRange {
    /// Smallest acceptable group.
    pub min: u32,
    /// Preferred group size.
    pub n: u32,
    /// Largest acceptable group.
    pub max: u32,
}

impl Default for GexRange {
    fn default() -> Self {
        // OpenSSH asks 2048 < n < 8192; n = 3072 matches a 128-bit cipher's strength.
        GexRange {
            min: 2048,
            n: 3072,
            max: 8192,
        }
    }
}

/// Settings shared by both roles.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// The software-version part of our identification string (`SSH-2.0-<this>`).
    pub software: String,
    /// Algorithm preferences.
    pub algorithms: Algorithms,
    /// Re-key limits.
    pub rekey: RekeyLimits,
    /// Limits on the key exchanges the peer starts, and the key exchange time-out.
    pub kex_limits: KexLimits,
    /// Minimum RSA modulus accepted from the peer.
    pub min_rsa_bits: usize,
    /// Steps recorded for [`crate::Connection::poll_trace`] from the start (off by default;
    /// [`crate::Connection::set_trace`] changes it later).
    pub trace: crate::trace::TraceLevel,
    /// The keystream layouts the driver can make elsewhere (the browser's WebCrypto): keys of
    /// those modes are handed out ([`crate::Event::KeystreamKeys`]) so it can supply their
    /// keystream. Empty (the default): none, and no key leaves the engine.
    pub keystream_offload: Vec<crate::transport::keystream_offload::KeystreamMode>,
}

impl Default for CommonConfig {
    fn default() -> Self {
        CommonConfig {
            software: concat!("sshgate_", env!("CARGO_PKG_VERSION")).to_string(),
            algorithms: Algorithms::default(),
            rekey: RekeyLimits::default(),
            kex_limits: KexLimits::default(),
            min_rsa_bits: 2048,
            trace: crate::trace::TraceLevel::Off,
            keystream_offload: Vec::new(),
        }
    }
}

/// Client configuration.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Shared settings.
    pub common: CommonConfig,
    /// Group-exchange sizes to ask for.
    pub gex: GexRange,
    /// CAs trusted to sign servers' host certificates (RFC 6187). Without them the `x509v3-*`
    /// host key algorithms are not offered: a chain nobody can verify proves nothing a plain
    /// key would not. The outcome of the check is in [`crate::HostKeyInfo::certificate`]; the
    /// validity period needs [`crate::Connection::set_wall_clock`].
    pub host_trust: Option<Arc<Trustpoint>>,
    /// The server's name as the user gave it (host name or address), checked against the
    /// certificate's subjectAltName (RFC 6125 §6.4). `None`: no name check.
    pub host_name: Option<String>,
    /// User authentication.
    pub auth: crate::userauth::ClientAuthConfig,
    /// Channels.
    pub channels: crate::channel::ChannelConfig,
    /// The caller trusts some CA for OpenSSH host certificates (known_hosts has a
    /// `@cert-authority` line for this server, [`crate::keys::known_hosts::has_cert_authority`]):
    /// the `*-cert-v01@openssh.com` host key algorithms are offered. The certificate comes in
    /// [`crate::HostKeyInfo::openssh_certificate`], for
    /// [`crate::keys::known_hosts::check_host_certificate`] to judge.
    pub openssh_host_certificates: bool,
}

/// Server configuration.
#[derive(Clone, Default)]
pub struct ServerConfig {
    /// Shared settings.
    pub common: CommonConfig,
    /// Host keys; the algorithms offered are those these keys can sign with.
    pub host_keys: Vec<Arc<PrivateKey>>,
    /// Host keys with certificate chains (IOS `ip ssh server certificate profile` / `server` /
    /// `trustpoint sign`): the `x509v3-*` algorithms offered are those these keys fit. A key may
    /// be in both lists, to be offered plain and certified.
    pub host_certificates: Vec<Arc<CertifiedKey>>,
    /// OpenSSH host certificates (sshd's `HostCertificate`), each of one of `host_keys`: the
    /// `*-cert-v01@openssh.com` algorithm of each is offered (when in the host key list).
    pub openssh_host_certificates: Vec<Arc<crate::keys::openssh_cert::OpenSshCert>>,
    /// User authentication policy (time-out, retries, banner, methods).
    pub auth: crate::userauth::ServerAuthConfig,
    /// Channels: what clients may open and request.
    pub channels: crate::channel::ChannelConfig,
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("common", &self.common)
            .field("host_keys", &self.host_keys.len())
            .field("host_certificates", &self.host_certificates)
            .field(
                "openssh_host_certificates",
                &self.openssh_host_certificates.len(),
            )
            .field("auth", &self.auth)
            .field("channels", &self.channels)
            .finish()
    }
}
