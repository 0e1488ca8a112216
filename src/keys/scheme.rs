//! Signature schemes (a key type plus a hash), independent of the wire name that carries them,
//! and the `string alg-name, string signature` blob around a raw signature.

use super::KeyError;
use crate::crypto::HashAlg;
use crate::wire::{Reader, Writer};

/// Longest algorithm name accepted inside a signature blob (RFC 4251 §6 caps names at 64).
const MAX_ALG_NAME: usize = 64;

/// Largest raw signature accepted (an RSA signature of a 16384-bit key is 2048 bytes).
const MAX_RAW_SIGNATURE: usize = 2048;

/// A signature primitive: which key type signs, with which hash and encoding.
///
/// Raw signature encodings (the inner `string signature` of an SSH signature blob):
/// Ed25519: 64 bytes (RFC 8709); ECDSA: `mpint r, mpint s` (RFC 5656 §3.1.2); RSA: the
/// PKCS#1 v1.5 signature as a big-endian octet string of the modulus length (RFC 8332); DSA:
/// `r || s`, 20 bytes each (RFC 4253 §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// Ed25519 (PureEdDSA, SHA-512 inside).
    Ed25519,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
    /// ECDSA on P-521 with SHA-512.
    EcdsaP521Sha512,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (legacy).
    RsaPkcs1Sha1,
    /// DSA with SHA-1 (legacy).
    DsaSha1,
}

impl SignatureScheme {
    /// Every scheme.
    pub const ALL: &'static [SignatureScheme] = &[
        SignatureScheme::Ed25519,
        SignatureScheme::EcdsaP256Sha256,
        SignatureScheme::EcdsaP384Sha384,
        SignatureScheme::EcdsaP521Sha512,
        SignatureScheme::RsaPkcs1Sha512,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha1,
        SignatureScheme::DsaSha1,
    ];

    /// The SSH key format name of the keys that make these signatures.
    #[must_use]
    pub fn key_type(self) -> &'static str {
        match self {
            SignatureScheme::Ed25519 => "ssh-ed25519",
            SignatureScheme::EcdsaP256Sha256 => "ecdsa-sha2-nistp256",
            SignatureScheme::EcdsaP384Sha384 => "ecdsa-sha2-nistp384",
            SignatureScheme::EcdsaP521Sha512 => "ecdsa-sha2-nistp521",
            SignatureScheme::RsaPkcs1Sha512
            | SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPkcs1Sha1 => "ssh-rsa",
            SignatureScheme::DsaSha1 => "ssh-dss",
        }
    }

    /// The message hash (`None` for Ed25519, which hashes internally).
    #[must_use]
    pub fn hash(self) -> Option<HashAlg> {
        match self {
            SignatureScheme::Ed25519 => None,
            SignatureScheme::EcdsaP256Sha256 | SignatureScheme::RsaPkcs1Sha256 => {
                Some(HashAlg::Sha256)
            }
            SignatureScheme::EcdsaP384Sha384 => Some(HashAlg::Sha384),
            SignatureScheme::EcdsaP521Sha512 | SignatureScheme::RsaPkcs1Sha512 => {
                Some(HashAlg::Sha512)
            }
            SignatureScheme::RsaPkcs1Sha1 | SignatureScheme::DsaSha1 => Some(HashAlg::Sha1),
        }
    }
}

/// Wraps a raw signature as `string alg-name, string signature`.
#[must_use]
pub fn encode_signature_blob(alg_name: &str, raw: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(alg_name.as_bytes()).string(raw);
    w.into_vec()
}

/// Splits `string alg-name, string signature`, refusing trailing bytes and oversized fields.
pub fn decode_signature_blob(blob: &[u8]) -> Result<(&str, &[u8]), KeyError> {
    let mut r = Reader::new(blob);
    let name = r.string("signature algorithm")?;
    if name.is_empty() || name.len() > MAX_ALG_NAME || !name.iter().all(u8::is_ascii_graphic) {
        return Err(KeyError::Malformed("signature algorithm"));
    }
    let raw = r.string("signature")?;
    if raw.len() > MAX_RAW_SIGNATURE {
        return Err(KeyError::Malformed("signature too long"));
    }
    r.finish()?;
    let name =
        core::str::from_utf8(name).map_err(|_| KeyError::Malformed("signature algorithm"))?;
    Ok((name, raw))
}
