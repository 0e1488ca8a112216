//! Elliptic-curve Diffie-Hellman: X25519 (RFC 8731) and the NIST curves (RFC 5656 §4).
//!
//! Public values are `string`s: 32 raw bytes for X25519, an uncompressed SEC1 point
//! (`0x04 || X || Y`) for the NIST curves. `K` is the X25519 output read as a big-endian integer
//! (RFC 8731 §3.1) or the X coordinate of the shared point (RFC 5656 §4), both as `mpint`.

use super::KexError;
use crate::crypto::EngineRng;
use p256::elliptic_curve::array::typenum::Unsigned;
use p256::elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use p256::elliptic_curve::{
    AffinePoint, CurveArithmetic, FieldBytesSize, Generate, PublicKey, SecretKey,
};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Length of an X25519 public key and shared secret.
pub(super) const X25519_LEN: usize = 32;

/// An X25519 private key for one exchange (wiped on drop by `x25519-dalek`).
pub(super) struct X25519Secret(x25519_dalek::StaticSecret);

impl X25519Secret {
    /// A fresh key from `rng`, and its public key.
    pub(super) fn generate(rng: &mut EngineRng) -> ([u8; X25519_LEN], X25519Secret) {
        let mut raw = [0u8; 32];
        rng.fill(&mut raw);
        let key = Self::from_bytes(raw);
        raw.zeroize();
        key
    }

    /// The key with private scalar bytes `raw` (clamped when used, RFC 7748 §5), and its public key.
    pub(super) fn from_bytes(raw: [u8; 32]) -> ([u8; X25519_LEN], X25519Secret) {
        let secret = x25519_dalek::StaticSecret::from(raw);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        (public, X25519Secret(secret))
    }

    /// The raw 32-byte X25519 output with the peer's public key, refusing the all-zero result
    /// a low-order point produces (RFC 8731 §3, RFC 7748 §6.1).
    pub(super) fn agree_raw(&self, peer: &[u8]) -> Result<Zeroizing<[u8; 32]>, KexError> {
        let peer: [u8; X25519_LEN] = peer
            .try_into()
            .map_err(|_| KexError::BadPublicValue("X25519 public key is not 32 bytes"))?;
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        let out = Zeroizing::new(shared.to_bytes());
        if bool::from(out.ct_eq(&[0u8; 32])) {
            return Err(KexError::DegenerateSecret);
        }
        Ok(out)
    }

    /// `K` (the X25519 output as big-endian magnitude bytes).
    pub(super) fn agree(self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError> {
        let raw = self.agree_raw(peer)?;
        Ok(Zeroizing::new(raw.to_vec()))
    }
}

/// A NIST curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Curve {
    P256,
    P384,
    P521,
}

/// A NIST-curve private key for one exchange (wiped on drop by `elliptic-curve`).
pub(super) enum NistSecret {
    P256(SecretKey<p256::NistP256>),
    P384(SecretKey<p384::NistP384>),
    P521(SecretKey<p521::NistP521>),
}

impl NistSecret {
    /// A fresh key on `curve`, and its public key as an uncompressed SEC1 point.
    pub(super) fn generate(curve: Curve, rng: &mut EngineRng) -> (Vec<u8>, NistSecret) {
        match curve {
            Curve::P256 => {
                let (q, s) = with_key(SecretKey::<p256::NistP256>::generate_from_rng(rng));
                (q, NistSecret::P256(s))
            }
            Curve::P384 => {
                let (q, s) = with_key(SecretKey::<p384::NistP384>::generate_from_rng(rng));
                (q, NistSecret::P384(s))
            }
            Curve::P521 => {
                let (q, s) = with_key(SecretKey::<p521::NistP521>::generate_from_rng(rng));
                (q, NistSecret::P521(s))
            }
        }
    }

    /// The key with private scalar `d` (big-endian, field-sized; `0 < d < n`), and its public key.
    #[cfg(test)]
    pub(super) fn from_scalar_bytes(curve: Curve, d: &[u8]) -> Option<(Vec<u8>, NistSecret)> {
        Some(match curve {
            Curve::P256 => {
                let (q, s) = with_key(SecretKey::<p256::NistP256>::from_slice(d).ok()?);
                (q, NistSecret::P256(s))
            }
            Curve::P384 => {
                let (q, s) = with_key(SecretKey::<p384::NistP384>::from_slice(d).ok()?);
                (q, NistSecret::P384(s))
            }
            Curve::P521 => {
                let (q, s) = with_key(SecretKey::<p521::NistP521>::from_slice(d).ok()?);
                (q, NistSecret::P521(s))
            }
        })
    }

    /// `K`: the X coordinate of the shared point, big-endian, field-sized.
    pub(super) fn agree(self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError> {
        match &self {
            NistSecret::P256(s) => agree(s, peer),
            NistSecret::P384(s) => agree(s, peer),
            NistSecret::P521(s) => agree(s, peer),
        }
    }
}

fn with_key<C>(secret: SecretKey<C>) -> (Vec<u8>, SecretKey<C>)
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
    (public, secret)
}

fn agree<C>(secret: &SecretKey<C>, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    // RFC 5656 §4 requires uncompressed points here (no point-compression extension is negotiated).
    // The length check comes first; the decoder then checks the point is on the curve, and
    // `PublicKey` refuses the identity.
    let field_len = FieldBytesSize::<C>::USIZE;
    if peer.len() != 1 + 2 * field_len || peer[0] != 0x04 {
        return Err(KexError::BadPublicValue(
            "ECDH public key is not an uncompressed point",
        ));
    }
    let public = PublicKey::<C>::from_sec1_bytes(peer)
        .map_err(|_| KexError::BadPublicValue("ECDH public key is not on the curve"))?;
    let shared = secret.diffie_hellman(&public);
    Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
}
