//! Key exchange methods (RFC 4253 §8, RFC 4419, RFC 5656, RFC 8731, RFC 8268,
//! draft-ietf-sshm-mlkem-hybrid-kex), the exchange hash and key derivation (RFC 4253 §7.2).
//!
//! Layout: this file names the methods and dispatches; `groups` holds the RFC 3526 primes and
//! group selection, `dh` finite-field Diffie-Hellman, `ecdh` X25519 and the NIST curves, `mlkem`
//! the ML-KEM-768 + X25519 hybrid, `hash` the exchange hash and key derivation.
//!
//! Every peer value is length-checked before anything is allocated from it and validated before
//! use; failures are [`KexError`]s, never panics. Secrets live in [`Zeroizing`] buffers or in
//! types that wipe themselves on drop. All randomness comes from the injected [`EngineRng`].

mod dh;
mod ecdh;
pub(crate) mod ephemeral;
mod groups;
pub(crate) mod hash;
mod mlkem;

#[cfg(test)]
mod tests;

// Public only with the `internals` feature (src/internals.rs): the benchmarks and the
// transport tests run an exchange's halves without a connection.
pub(crate) use ephemeral::ClientEphemeral;
pub use groups::MAX_GROUP_BITS;
pub(crate) use hash::{derive_key, exchange_hash};

use crate::crypto::{EngineRng, HashAlg};
use crate::wire::Writer;
use zeroize::Zeroizing;

/// A key exchange method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KexAlg {
    /// `mlkem768x25519-sha256`
    MlKem768X25519Sha256,
    /// `curve25519-sha256`
    Curve25519Sha256,
    /// `curve25519-sha256@libssh.org`
    Curve25519Sha256Libssh,
    /// `ecdh-sha2-nistp256`
    EcdhSha2Nistp256,
    /// `ecdh-sha2-nistp384`
    EcdhSha2Nistp384,
    /// `ecdh-sha2-nistp521`
    EcdhSha2Nistp521,
    /// `diffie-hellman-group-exchange-sha256`
    DhGexSha256,
    /// `diffie-hellman-group16-sha512`
    DhGroup16Sha512,
    /// `diffie-hellman-group14-sha256`
    DhGroup14Sha256,
    /// `diffie-hellman-group-exchange-sha1` (legacy)
    DhGexSha1,
    /// `diffie-hellman-group14-sha1` (legacy)
    DhGroup14Sha1,
    /// `diffie-hellman-group1-sha1` (legacy: 1024-bit group, for old devices)
    DhGroup1Sha1,
}

/// How a method carries its public values and what arithmetic it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Finite-field DH over a fixed RFC 3526 group (`mpint` e/f).
    DhFixed,
    /// Finite-field DH over a negotiated group (`mpint` e/f).
    DhGex,
    /// X25519 (`string` Q_C/Q_S).
    X25519,
    /// ECDH over a NIST curve (`string` Q_C/Q_S, uncompressed SEC1).
    Nist(ecdh::Curve),
    /// ML-KEM-768 + X25519 (`string` C_INIT/S_REPLY, `string` K).
    MlKemHybrid,
}

impl KexAlg {
    /// Every method, in default preference order.
    pub const ALL: &'static [KexAlg] = &[
        KexAlg::MlKem768X25519Sha256,
        KexAlg::Curve25519Sha256,
        KexAlg::Curve25519Sha256Libssh,
        KexAlg::EcdhSha2Nistp256,
        KexAlg::EcdhSha2Nistp384,
        KexAlg::EcdhSha2Nistp521,
        KexAlg::DhGexSha256,
        KexAlg::DhGroup16Sha512,
        KexAlg::DhGroup14Sha256,
        KexAlg::DhGexSha1,
        KexAlg::DhGroup14Sha1,
        KexAlg::DhGroup1Sha1,
    ];

    /// SSH name.
    pub fn name(self) -> &'static str {
        match self {
            KexAlg::MlKem768X25519Sha256 => "mlkem768x25519-sha256",
            KexAlg::Curve25519Sha256 => "curve25519-sha256",
            KexAlg::Curve25519Sha256Libssh => "curve25519-sha256@libssh.org",
            KexAlg::EcdhSha2Nistp256 => "ecdh-sha2-nistp256",
            KexAlg::EcdhSha2Nistp384 => "ecdh-sha2-nistp384",
            KexAlg::EcdhSha2Nistp521 => "ecdh-sha2-nistp521",
            KexAlg::DhGexSha256 => "diffie-hellman-group-exchange-sha256",
            KexAlg::DhGroup16Sha512 => "diffie-hellman-group16-sha512",
            KexAlg::DhGroup14Sha256 => "diffie-hellman-group14-sha256",
            KexAlg::DhGexSha1 => "diffie-hellman-group-exchange-sha1",
            KexAlg::DhGroup14Sha1 => "diffie-hellman-group14-sha1",
            KexAlg::DhGroup1Sha1 => "diffie-hellman-group1-sha1",
        }
    }

    /// By SSH name.
    pub fn from_name(n: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == n)
    }

    /// The exchange hash / key derivation hash.
    pub fn hash(self) -> HashAlg {
        match self {
            KexAlg::MlKem768X25519Sha256
            | KexAlg::Curve25519Sha256
            | KexAlg::Curve25519Sha256Libssh
            | KexAlg::EcdhSha2Nistp256
            | KexAlg::DhGexSha256
            | KexAlg::DhGroup14Sha256 => HashAlg::Sha256,
            KexAlg::EcdhSha2Nistp384 => HashAlg::Sha384,
            KexAlg::EcdhSha2Nistp521 | KexAlg::DhGroup16Sha512 => HashAlg::Sha512,
            KexAlg::DhGexSha1 | KexAlg::DhGroup14Sha1 | KexAlg::DhGroup1Sha1 => HashAlg::Sha1,
        }
    }

    /// Legacy: off unless configured (SHA-1 methods, the 1024-bit group).
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            KexAlg::DhGexSha1 | KexAlg::DhGroup14Sha1 | KexAlg::DhGroup1Sha1
        )
    }

    /// Group exchange (RFC 4419): the client asks for a group first.
    pub fn is_group_exchange(self) -> bool {
        matches!(self, KexAlg::DhGexSha256 | KexAlg::DhGexSha1)
    }

    /// Whether `e`/`f` travel as `mpint` (finite-field DH) rather than `string`.
    pub fn public_is_mpint(self) -> bool {
        matches!(self.family(), Family::DhFixed | Family::DhGex)
    }

    fn family(self) -> Family {
        match self {
            KexAlg::MlKem768X25519Sha256 => Family::MlKemHybrid,
            KexAlg::Curve25519Sha256 | KexAlg::Curve25519Sha256Libssh => Family::X25519,
            KexAlg::EcdhSha2Nistp256 => Family::Nist(ecdh::Curve::P256),
            KexAlg::EcdhSha2Nistp384 => Family::Nist(ecdh::Curve::P384),
            KexAlg::EcdhSha2Nistp521 => Family::Nist(ecdh::Curve::P521),
            KexAlg::DhGexSha256 | KexAlg::DhGexSha1 => Family::DhGex,
            KexAlg::DhGroup16Sha512
            | KexAlg::DhGroup14Sha256
            | KexAlg::DhGroup14Sha1
            | KexAlg::DhGroup1Sha1 => Family::DhFixed,
        }
    }

    /// The group a finite-field method uses: its fixed RFC 3526 group, or the negotiated one.
    fn dh_group(self, negotiated: Option<&DhGroup>) -> Result<&DhGroup, KexError> {
        match self {
            KexAlg::DhGroup14Sha256 | KexAlg::DhGroup14Sha1 => Ok(groups::group14()),
            KexAlg::DhGroup16Sha512 => Ok(groups::group16()),
            KexAlg::DhGroup1Sha1 => Ok(groups::group1()),
            _ => negotiated.ok_or(KexError::BadGroup("group exchange without a group")),
        }
    }
}

/// Why a key exchange step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KexError {
    /// A peer's public value is malformed or out of range (the text says which).
    BadPublicValue(&'static str),
    /// A group offered by a server is unacceptable, or no group fits a client's range.
    BadGroup(&'static str),
    /// The shared secret is degenerate (e.g. all-zero X25519 output).
    DegenerateSecret,
}

impl core::fmt::Display for KexError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KexError::BadPublicValue(what) => write!(f, "bad key exchange public value: {what}"),
            KexError::BadGroup(what) => write!(f, "unacceptable Diffie-Hellman group: {what}"),
            KexError::DegenerateSecret => f.write_str("degenerate key exchange shared secret"),
        }
    }
}

impl std::error::Error for KexError {}

/// A finite-field Diffie-Hellman group (prime `p`, generator `g`, big-endian magnitudes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhGroup {
    /// The prime modulus.
    pub p: Vec<u8>,
    /// The generator.
    pub g: Vec<u8>,
}

/// The shared secret `K`, encoded the way its method says (mpint, or string for ML-KEM hybrids).
pub struct SharedSecret {
    /// Big-endian magnitude (mpint methods) or the raw octets (string methods).
    bytes: Zeroizing<Vec<u8>>,
    /// `K` is a `string` (ML-KEM hybrid) rather than an `mpint`.
    is_string: bool,
}

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedSecret").finish_non_exhaustive()
    }
}

/// The server's side: from the client's public value, returns the server's public value and `K`.
/// `group` is the group the server chose for group exchange (ignored by the other methods).
pub fn server_exchange(
    alg: KexAlg,
    group: Option<&DhGroup>,
    client_public: &[u8],
    rng: &mut EngineRng,
) -> Result<(Vec<u8>, SharedSecret), KexError> {
    match alg.family() {
        Family::DhFixed | Family::DhGex => {
            let group = alg.dh_group(group)?;
            // Check e before spending a modular exponentiation on our own key.
            dh::check_public(group, client_public)?;
            let (public, s) = dh::DhSecret::generate(group, alg.hash(), rng)?;
            Ok((public, SharedSecret::mpint(s.agree(client_public)?)))
        }
        Family::X25519 => {
            let (public, s) = ecdh::X25519Secret::generate(rng);
            Ok((
                public.to_vec(),
                SharedSecret::mpint(s.agree(client_public)?),
            ))
        }
        Family::Nist(curve) => {
            let (public, s) = ecdh::NistSecret::generate(curve, rng);
            Ok((public, SharedSecret::mpint(s.agree(client_public)?)))
        }
        Family::MlKemHybrid => {
            let (reply, k) = mlkem::encapsulate(client_public, rng)?;
            Ok((reply, SharedSecret::string(k)))
        }
    }
}

/// Writes a public value as the method's messages and exchange hash carry it (mpint or string).
pub fn encode_public(alg: KexAlg, public: &[u8], w: &mut Writer) {
    if alg.public_is_mpint() {
        w.mpint(public);
    } else {
        w.string(public);
    }
}

/// Reads a public value from a KEXDH/ECDH/GEX/hybrid message. For mpint methods the result is the
/// magnitude without leading zeros (negative values are refused); its range is checked later, by
/// [`ClientEphemeral::finish`] or [`server_exchange`].
pub fn decode_public<'a>(
    alg: KexAlg,
    r: &mut crate::wire::Reader<'a>,
) -> Result<&'a [u8], crate::wire::WireError> {
    if alg.public_is_mpint() {
        r.mpint_positive("DH public value")
    } else {
        r.string("key exchange public value")
    }
}

/// Group exchange parameters that enter the exchange hash.
pub struct GexParams<'a> {
    /// Client's minimum size.
    pub min: u32,
    /// Client's preferred size.
    pub n: u32,
    /// Client's maximum size.
    pub max: u32,
    /// The group the server chose.
    pub group: &'a DhGroup,
}

/// Everything hashed into `H` (RFC 4253 §8, RFC 4419 §3, RFC 5656 §4).
pub struct ExchangeHashInput<'a> {
    /// Client version line without CR LF.
    pub v_c: &'a [u8],
    /// Server version line without CR LF.
    pub v_s: &'a [u8],
    /// Client KEXINIT payload.
    pub i_c: &'a [u8],
    /// Server KEXINIT payload.
    pub i_s: &'a [u8],
    /// Server host key blob.
    pub k_s: &'a [u8],
    /// Group exchange parameters, for GEX methods.
    pub gex: Option<GexParams<'a>>,
    /// Client public value, raw.
    pub e: &'a [u8],
    /// Server public value, raw.
    pub f: &'a [u8],
    /// Shared secret.
    pub k: &'a SharedSecret,
}
