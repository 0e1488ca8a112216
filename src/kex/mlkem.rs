//! `mlkem768x25519-sha256` (draft-ietf-sshm-mlkem-hybrid-kex; OpenSSH `kexmlkem768x25519.c`).
//!
//! - `C_INIT  = ML-KEM-768 encapsulation key (1184) || X25519 client public (32)`
//! - `S_REPLY = ML-KEM-768 ciphertext (1088) || X25519 server public (32)`
//! - `K = SHA-256(ML-KEM shared secret || X25519 shared secret)`, carried as a `string`.
//!
//! Lengths are checked exactly before anything is decoded. The encapsulation key goes through
//! ML-KEM's input check (FIPS 203 §7.2 modulus check); a malformed ciphertext cannot be detected
//! (ML-KEM's implicit rejection yields an unrelated secret, and the exchange then fails on the
//! host key signature).

use super::KexError;
use super::ecdh::{X25519_LEN, X25519Secret};
use crate::crypto::{EngineRng, HashAlg};
use ml_kem::ml_kem_768::{Ciphertext, DecapsulationKey, EncapsulationKey};
use ml_kem::{Decapsulate, Encapsulate, Key, KeyExport, Seed};
use zeroize::{Zeroize, Zeroizing};

/// ML-KEM-768 encapsulation key length.
pub(super) const MLKEM_EK_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length.
pub(super) const MLKEM_CT_LEN: usize = 1088;
/// `C_INIT` length.
pub(super) const C_INIT_LEN: usize = MLKEM_EK_LEN + X25519_LEN;
/// `S_REPLY` length.
pub(super) const S_REPLY_LEN: usize = MLKEM_CT_LEN + X25519_LEN;

/// The client's ML-KEM decapsulation key and X25519 key (both wiped on drop).
pub(super) struct HybridSecret {
    dk: DecapsulationKey,
    x25519: X25519Secret,
}

impl HybridSecret {
    /// Fresh keys from `rng` (the ML-KEM key from a 64-byte seed `d || z`), and `C_INIT`.
    pub(super) fn generate(rng: &mut EngineRng) -> (Vec<u8>, HybridSecret) {
        let mut seed = Zeroizing::new([0u8; 64]);
        rng.fill(seed.as_mut_slice());
        let mut x_raw = Zeroizing::new([0u8; 32]);
        rng.fill(x_raw.as_mut_slice());
        Self::from_seeds(&seed, *x_raw)
    }

    /// Keys from an ML-KEM seed `d || z` and X25519 private bytes, and `C_INIT`.
    pub(super) fn from_seeds(seed: &[u8; 64], x25519_raw: [u8; 32]) -> (Vec<u8>, HybridSecret) {
        let dk = decapsulation_key_from_seed(seed);
        let (x_public, x25519) = X25519Secret::from_bytes(x25519_raw);
        let mut c_init = Vec::with_capacity(C_INIT_LEN);
        c_init.extend_from_slice(&dk.encapsulation_key().to_bytes());
        c_init.extend_from_slice(&x_public);
        (c_init, HybridSecret { dk, x25519 })
    }

    /// `K` from the server's `S_REPLY`.
    pub(super) fn decapsulate(self, s_reply: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError> {
        if s_reply.len() != S_REPLY_LEN {
            return Err(KexError::BadPublicValue("S_REPLY is not 1088 + 32 bytes"));
        }
        let (ct, x_peer) = s_reply.split_at(MLKEM_CT_LEN);
        let ct = Ciphertext::try_from(ct)
            .map_err(|_| KexError::BadPublicValue("ML-KEM ciphertext length"))?;
        let mut kem_ss = self.dk.decapsulate(&ct);
        let x_ss = self.x25519.agree_raw(x_peer);
        let k = x_ss.map(|x_ss| combine(&kem_ss, x_ss.as_slice()));
        kem_ss.as_mut_slice().zeroize();
        k
    }
}

/// The ML-KEM-768 decapsulation key for a 64-byte seed `d || z` (FIPS 203 `ML-KEM.KeyGen_internal`).
pub(super) fn decapsulation_key_from_seed(seed: &[u8; 64]) -> DecapsulationKey {
    let mut seed = Seed::from(*seed);
    let dk = DecapsulationKey::from_seed(seed);
    seed.as_mut_slice().zeroize();
    dk
}

/// Server side: from `C_INIT`, returns `S_REPLY` and `K`.
pub(super) fn encapsulate(
    c_init: &[u8],
    rng: &mut EngineRng,
) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), KexError> {
    if c_init.len() != C_INIT_LEN {
        return Err(KexError::BadPublicValue("C_INIT is not 1184 + 32 bytes"));
    }
    let (ek, x_peer) = c_init.split_at(MLKEM_EK_LEN);
    let ek = Key::<EncapsulationKey>::try_from(ek)
        .map_err(|_| KexError::BadPublicValue("ML-KEM encapsulation key length"))?;
    let ek = EncapsulationKey::new(&ek)
        .map_err(|_| KexError::BadPublicValue("ML-KEM encapsulation key is not valid"))?;
    // Check the X25519 half before encapsulating, so a bad share costs nothing more.
    let (x_public, x25519) = X25519Secret::generate(rng);
    let x_ss = x25519.agree_raw(x_peer)?;
    let (ct, mut kem_ss) = ek.encapsulate_with_rng(rng);
    let k = combine(&kem_ss, x_ss.as_slice());
    kem_ss.as_mut_slice().zeroize();
    let mut s_reply = Vec::with_capacity(S_REPLY_LEN);
    s_reply.extend_from_slice(&ct);
    s_reply.extend_from_slice(&x_public);
    Ok((s_reply, k))
}

/// `K = SHA-256(kem_ss || x25519_ss)`.
fn combine(kem_ss: &[u8], x_ss: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut h = HashAlg::Sha256.hasher();
    h.update(kem_ss);
    h.update(x_ss);
    Zeroizing::new(h.finish())
}
