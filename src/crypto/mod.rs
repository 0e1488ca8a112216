//! Cryptographic building blocks behind small types: hashes and the injected RNG.
//! Packet protection lives in `transport::cipher`, key exchange in `kex`, keys in `keys`.

pub mod hash;
pub mod rng;

pub use hash::{HashAlg, Hasher};
pub use rng::EngineRng;

/// Constant-time equality of two byte strings (MACs, tags, secrets).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
