//! Ed25519 (RFC 8032, RFC 8709): key parsing, signatures, OpenSSH private key fields.

use super::KeyError;
use super::secbuf::SecretWriter;
use crate::crypto::EngineRng;
use crate::wire::Reader;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// Public key size.
pub(crate) const PUBLIC_LEN: usize = 32;

/// A public key from its 32-byte encoding; refuses encodings that are not a curve point.
pub(crate) fn public_from_bytes(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let arr: &[u8; PUBLIC_LEN] = bytes
        .try_into()
        .map_err(|_| KeyError::Malformed("Ed25519 public key length"))?;
    VerifyingKey::from_bytes(arr).map_err(|_| KeyError::Malformed("Ed25519 public key"))
}

/// Verifies a raw 64-byte signature. Strict verification: non-canonical `s`, small-order `R`
/// or small-order keys are refused.
pub(crate) fn verify(key: &VerifyingKey, data: &[u8], raw: &[u8]) -> Result<(), KeyError> {
    let sig = Signature::from_slice(raw).map_err(|_| KeyError::BadSignature)?;
    key.verify_strict(data, &sig)
        .map_err(|_| KeyError::BadSignature)
}

/// A key from 32 random bytes.
pub(crate) fn generate(rng: &mut EngineRng) -> SigningKey {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill(seed.as_mut());
    SigningKey::from_bytes(&seed)
}

/// A raw 64-byte signature.
pub(crate) fn sign(key: &SigningKey, data: &[u8]) -> Vec<u8> {
    key.sign(data).to_bytes().to_vec()
}

/// OpenSSH private fields after the key type: `string pub(32)`, `string seed(32) || pub(32)`.
pub(crate) fn read_private(r: &mut Reader<'_>) -> Result<SigningKey, KeyError> {
    let public = r.string("Ed25519 public key")?;
    let pair = r.string("Ed25519 private key")?;
    let pair: &[u8; 64] = pair
        .try_into()
        .map_err(|_| KeyError::Malformed("Ed25519 private key length"))?;
    if pair[32..] != *public {
        return Err(KeyError::Malformed("Ed25519 public key mismatch"));
    }
    let buf = Zeroizing::new(*pair);
    // Checks that the second half is the public key of the first.
    SigningKey::from_keypair_bytes(&buf).map_err(|_| KeyError::Malformed("Ed25519 key pair"))
}

/// Writes the OpenSSH private fields (see [`read_private`]).
pub(crate) fn write_private(key: &SigningKey, w: &mut SecretWriter) {
    let public = key.verifying_key().to_bytes();
    let pair = Zeroizing::new(key.to_keypair_bytes());
    w.string(&public);
    w.string(pair.as_ref());
}
