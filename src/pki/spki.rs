//! Public keys inside certificates (subjectPublicKeyInfo, RFC 5280 §4.1.2.7): the issuer keys
//! that verify certificate, CRL and OCSP signatures, and the leaf key handed to the SSH layer as
//! the engine's [`PublicKey`].

use super::{PkiError, oid};
use crate::keys::{KeyKind, PublicKey};
use der::Decode;
use der::asn1::ObjectIdentifier;
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// Largest RSA modulus accepted in a certificate (as the engine's keys).
const MAX_RSA_BITS: usize = crate::keys::MAX_RSA_BITS;

/// A key that signs certificates, CRLs or OCSP responses.
#[derive(Clone)]
pub(crate) enum IssuerKey {
    Rsa(Box<rsa::RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl IssuerKey {
    /// Key size in bits.
    pub(crate) fn bits(&self) -> usize {
        match self {
            IssuerKey::Rsa(k) => k.n().bits_vartime() as usize,
            IssuerKey::P256(_) => 256,
            IssuerKey::P384(_) => 384,
            IssuerKey::P521(_) => 521,
            IssuerKey::Ed25519(_) => 256,
        }
    }

    pub(crate) fn is_rsa(&self) -> bool {
        matches!(self, IssuerKey::Rsa(_))
    }
}

fn key_bytes(spki: &SubjectPublicKeyInfoOwned) -> Result<&[u8], PkiError> {
    spki.subject_public_key
        .as_bytes()
        .ok_or(PkiError::malformed("subjectPublicKey has unused bits"))
}

fn curve_oid(spki: &SubjectPublicKeyInfoOwned) -> Result<ObjectIdentifier, PkiError> {
    spki.algorithm
        .parameters
        .as_ref()
        .ok_or(PkiError::malformed("EC key without curve"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| PkiError::malformed("EC key curve (only named curves)"))
}

/// `(e, n)` of an RSA subjectPublicKeyInfo, big-endian without sign bytes.
fn rsa_parts(spki: &SubjectPublicKeyInfoOwned) -> Result<(Vec<u8>, Vec<u8>), PkiError> {
    let k = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(key_bytes(spki)?)
        .map_err(|_| PkiError::malformed("RSA public key"))?;
    Ok((
        k.public_exponent.as_bytes().to_vec(),
        k.modulus.as_bytes().to_vec(),
    ))
}

fn unsupported(o: &ObjectIdentifier) -> PkiError {
    PkiError::UnsupportedAlgorithm { oid: o.to_string() }
}

/// The key as a signature verifier.
pub(crate) fn issuer_key(spki: &SubjectPublicKeyInfoOwned) -> Result<IssuerKey, PkiError> {
    let alg = spki.algorithm.oid;
    match alg {
        oid::RSA_ENCRYPTION => {
            let (e, n) = rsa_parts(spki)?;
            let key = rsa::RsaPublicKey::new_with_size_limits(
                BoxedUint::from_be_slice_vartime(&n),
                BoxedUint::from_be_slice_vartime(&e),
                512..=MAX_RSA_BITS,
            )
            .map_err(|_| PkiError::malformed("RSA public key"))?;
            Ok(IssuerKey::Rsa(Box::new(key)))
        }
        oid::EC_PUBLIC_KEY => {
            let point = key_bytes(spki)?;
            let bad = |_| PkiError::malformed("EC public key point");
            match curve_oid(spki)? {
                oid::SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(IssuerKey::P256)
                    .map_err(bad),
                oid::SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(IssuerKey::P384)
                    .map_err(bad),
                oid::SECP521R1 => p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(IssuerKey::P521)
                    .map_err(bad),
                other => Err(unsupported(&other)),
            }
        }
        oid::ED25519 => {
            let b: &[u8; 32] = key_bytes(spki)?
                .try_into()
                .map_err(|_| PkiError::malformed("Ed25519 public key length"))?;
            ed25519_dalek::VerifyingKey::from_bytes(b)
                .map(IssuerKey::Ed25519)
                .map_err(|_| PkiError::malformed("Ed25519 public key"))
        }
        other => Err(unsupported(&other)),
    }
}

/// The key as the engine's [`PublicKey`] (for verifying the SSH signature made with it).
pub(crate) fn engine_key(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, PkiError> {
    let bad = |_| PkiError::malformed("public key not usable for SSH");
    match issuer_key(spki)? {
        IssuerKey::Rsa(_) => {
            let (e, n) = rsa_parts(spki)?;
            PublicKey::from_rsa_components(&e, &n).map_err(bad)
        }
        // Compressed points are valid in certificates but not in SSH: re-encode uncompressed.
        IssuerKey::P256(k) => {
            PublicKey::from_ecdsa_sec1(KeyKind::EcdsaP256, k.to_sec1_point(false).as_bytes())
                .map_err(bad)
        }
        IssuerKey::P384(k) => {
            PublicKey::from_ecdsa_sec1(KeyKind::EcdsaP384, k.to_sec1_point(false).as_bytes())
                .map_err(bad)
        }
        IssuerKey::P521(k) => {
            PublicKey::from_ecdsa_sec1(KeyKind::EcdsaP521, k.to_sec1_point(false).as_bytes())
                .map_err(bad)
        }
        IssuerKey::Ed25519(k) => PublicKey::from_ed25519_bytes(k.as_bytes()).map_err(bad),
    }
}
