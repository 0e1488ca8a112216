//! Signatures on certificates, CRLs and OCSP responses: the signatureAlgorithm OIDs
//! (RFC 3279, RFC 4055, RFC 5758, RFC 8410) and their verification with the issuer's key.

use super::spki::IssuerKey;
use super::{PkiError, oid};
use crate::crypto::HashAlg;
use der::asn1::UintRef;
use der::{Sequence, Tagged};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// A certificate signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    /// RSASSA-PKCS1-v1_5 with this hash.
    Rsa(HashAlg),
    /// ECDSA with this hash (any curve: a P-256 CA may sign with SHA-384).
    Ecdsa(HashAlg),
    /// PureEdDSA on Ed25519.
    Ed25519,
    /// md5WithRSAEncryption: recognised so the refusal can say "weak", never verified.
    RsaMd5,
}

impl SigAlg {
    /// Decodes an AlgorithmIdentifier. RSA parameters must be NULL or absent (RFC 4055 §5 says
    /// NULL; some encoders omit it); ECDSA and Ed25519 parameters must be absent (RFC 5758 §3.2,
    /// RFC 8410 §3), though a NULL is tolerated for ECDSA as old Java encoders write one.
    pub(crate) fn from_alg_id(a: &AlgorithmIdentifierOwned) -> Result<Self, PkiError> {
        let null_or_absent = a
            .parameters
            .as_ref()
            .is_none_or(|p| p.tag() == der::Tag::Null && p.value().is_empty());
        let bad_params = || PkiError::malformed("signature algorithm parameters");
        let alg = match a.oid {
            oid::SHA1_WITH_RSA => SigAlg::Rsa(HashAlg::Sha1),
            oid::SHA256_WITH_RSA => SigAlg::Rsa(HashAlg::Sha256),
            oid::SHA384_WITH_RSA => SigAlg::Rsa(HashAlg::Sha384),
            oid::SHA512_WITH_RSA => SigAlg::Rsa(HashAlg::Sha512),
            oid::MD5_WITH_RSA => SigAlg::RsaMd5,
            oid::ECDSA_WITH_SHA1 => SigAlg::Ecdsa(HashAlg::Sha1),
            oid::ECDSA_WITH_SHA256 => SigAlg::Ecdsa(HashAlg::Sha256),
            oid::ECDSA_WITH_SHA384 => SigAlg::Ecdsa(HashAlg::Sha384),
            oid::ECDSA_WITH_SHA512 => SigAlg::Ecdsa(HashAlg::Sha512),
            oid::ED25519 => {
                if a.parameters.is_some() {
                    return Err(bad_params());
                }
                SigAlg::Ed25519
            }
            other => {
                return Err(PkiError::UnsupportedAlgorithm {
                    oid: other.to_string(),
                });
            }
        };
        if !null_or_absent {
            return Err(bad_params());
        }
        Ok(alg)
    }

    /// SHA-1 or MD5: refused unless the policy allows SHA-1 (MD5 never verifies).
    pub(crate) fn is_weak(self) -> bool {
        matches!(
            self,
            SigAlg::Rsa(HashAlg::Sha1) | SigAlg::Ecdsa(HashAlg::Sha1) | SigAlg::RsaMd5
        )
    }
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480 / RFC 3279 §2.2.3).
#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// Fixed-width `r || s` for a curve of `n`-byte scalars.
fn ecdsa_rs(sig: &[u8], n: usize) -> Option<Vec<u8>> {
    use der::Decode;
    let v = EcdsaSigValue::from_der(sig).ok()?;
    let (r, s) = (v.r.as_bytes(), v.s.as_bytes());
    if r.len() > n || s.len() > n {
        return None;
    }
    let mut rs = vec![0u8; 2 * n];
    rs[n - r.len()..n].copy_from_slice(r);
    rs[2 * n - s.len()..].copy_from_slice(s);
    Some(rs)
}

macro_rules! ecdsa_verify {
    ($c:ident, $key:expr, $n:expr, $digest:expr, $sig:expr) => {{
        use $c::ecdsa::signature::hazmat::PrehashVerifier;
        match ecdsa_rs($sig, $n).and_then(|rs| $c::ecdsa::Signature::from_slice(&rs).ok()) {
            Some(sig) => $key.verify_prehash($digest, &sig).is_ok(),
            None => false,
        }
    }};
}

/// Whether `sig` is `key`'s signature of `alg` over `signed`. A key of the wrong type for the
/// algorithm is simply a failed verification.
pub(crate) fn verify(key: &IssuerKey, alg: SigAlg, signed: &[u8], sig: &[u8]) -> bool {
    match (key, alg) {
        (IssuerKey::Rsa(k), SigAlg::Rsa(hash)) => {
            let padding = match hash {
                HashAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                HashAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                HashAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                HashAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            k.verify(padding, &hash.digest(signed), sig).is_ok()
        }
        (IssuerKey::P256(k), SigAlg::Ecdsa(h)) => {
            ecdsa_verify!(p256, k, 32, &h.digest(signed), sig)
        }
        (IssuerKey::P384(k), SigAlg::Ecdsa(h)) => {
            ecdsa_verify!(p384, k, 48, &h.digest(signed), sig)
        }
        (IssuerKey::P521(k), SigAlg::Ecdsa(h)) => {
            ecdsa_verify!(p521, k, 66, &h.digest(signed), sig)
        }
        (IssuerKey::Ed25519(k), SigAlg::Ed25519) => {
            match ed25519_dalek::Signature::from_slice(sig) {
                Ok(s) => k.verify_strict(signed, &s).is_ok(),
                Err(_) => false,
            }
        }
        _ => false,
    }
}
