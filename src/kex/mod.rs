//! Key exchange methods (RFC 4253 §8, RFC 4419, RFC 5656, RFC 8731, RFC 8268,
//! draft-ietf-sshm-mlkem-hybrid-kex), the exchange hash and key derivation (RFC 4253 §7.2).
//! STUB: interface only; implemented in this folder.

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
    ];
    /// SSH name.
    pub fn name(self) -> &'static str {
        todo!()
    }
    /// By SSH name.
    pub fn from_name(_n: &str) -> Option<Self> {
        todo!()
    }
    /// The exchange hash / key derivation hash.
    pub fn hash(self) -> HashAlg {
        todo!()
    }
    /// Legacy: off unless configured (SHA-1 methods).
    pub fn is_legacy(self) -> bool {
        todo!()
    }
    /// Group exchange (RFC 4419): the client asks for a group first.
    pub fn is_group_exchange(self) -> bool {
        todo!()
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

/// A finite-field Diffie-Hellman group (prime `p`, generator `g`, big-endian magnitudes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhGroup {
    /// The prime modulus.
    pub p: Vec<u8>,
    /// The generator.
    pub g: Vec<u8>,
}

impl DhGroup {
    /// Server side of RFC 4419: a group from the shipped moduli (2048–8192 bits) within `min..=max`, closest to `n`.
    pub fn choose(_min: u32, _n: u32, _max: u32) -> Result<&'static DhGroup, KexError> {
        todo!()
    }
    /// Client side: checks a server's group (size within `min..=max`, odd prime-sized, sane generator).
    pub fn from_server(_p: &[u8], _g: &[u8], _min: u32, _max: u32) -> Result<DhGroup, KexError> {
        todo!()
    }
    /// Modulus size in bits.
    pub fn bits(&self) -> u32 {
        todo!()
    }
}

/// The shared secret `K`, encoded the way its method says (mpint, or string for ML-KEM hybrids).
pub struct SharedSecret {}

impl SharedSecret {
    /// Writes `K` as it enters the exchange hash and key derivation.
    pub fn encode(&self, _w: &mut Writer) {
        todo!()
    }
}

/// The client's ephemeral key for one exchange.
pub struct ClientEphemeral {}

impl ClientEphemeral {
    /// Generates the client's ephemeral key; `group` is required for group exchange.
    pub fn generate(
        _alg: KexAlg,
        _group: Option<&DhGroup>,
        _rng: &mut EngineRng,
    ) -> Result<Self, KexError> {
        todo!()
    }
    /// The public value to send (`e`, `Q_C` or `C_INIT`), raw: magnitude bytes for mpint methods.
    pub fn public(&self) -> &[u8] {
        todo!()
    }
    /// Computes `K` from the server's public value (`f`, `Q_S` or `S_REPLY`).
    pub fn finish(self, _server_public: &[u8]) -> Result<SharedSecret, KexError> {
        todo!()
    }
}

/// The server's side: from the client's public value, returns the server's public value and `K`.
pub fn server_exchange(
    _alg: KexAlg,
    _group: Option<&DhGroup>,
    _client_public: &[u8],
    _rng: &mut EngineRng,
) -> Result<(Vec<u8>, SharedSecret), KexError> {
    todo!()
}

/// Writes a public value as the method's messages and exchange hash carry it (mpint or string).
pub fn encode_public(_alg: KexAlg, _public: &[u8], _w: &mut Writer) {
    todo!()
}

/// Reads a public value from a KEXDH/ECDH/GEX/hybrid message.
pub fn decode_public<'a>(
    _alg: KexAlg,
    _r: &mut crate::wire::Reader<'a>,
) -> Result<&'a [u8], crate::wire::WireError> {
    todo!()
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

/// Computes `H`.
pub fn exchange_hash(_alg: KexAlg, _input: &ExchangeHashInput<'_>) -> Vec<u8> {
    todo!()
}

/// RFC 4253 §7.2: `HASH(K || H || letter || session_id)` extended to `len` bytes.
pub fn derive_key(
    _hash: HashAlg,
    _k: &SharedSecret,
    _h: &[u8],
    _letter: u8,
    _session_id: &[u8],
    _len: usize,
) -> Zeroizing<Vec<u8>> {
    todo!()
}
