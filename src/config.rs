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
            // a server offers them only for keys it has a chain for.
            host_key: HostKeyAlg::X509_ALL
                .iter()
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
            host_key: HostKeyAlg::X509_ALL
                .iter()
                .filter(|a| !a.is_legacy())
                .chain(HostKeyAlg::ALL)
                .chain(HostKeyAlg::X509_ALL.iter().filter(|a| a.is_legacy()))
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
}

/// When to re-key (RFC 4253 §9 recommends after a gigabyte or an hour).
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
    /// Minimum RSA modulus accepted from the peer.
    pub min_rsa_bits: usize,
}

impl Default for CommonConfig {
    fn default() -> Self {
        CommonConfig {
            software: concat!("sshgate_", env!("CARGO_PKG_VERSION")).to_string(),
            algorithms: Algorithms::default(),
            rekey: RekeyLimits::default(),
            min_rsa_bits: 2048,
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
            .field("auth", &self.auth)
            .field("channels", &self.channels)
            .finish()
    }
}
