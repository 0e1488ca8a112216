//! Keys in the DER structures of PEM files:
//!
//! - PKCS#1 `RSAPrivateKey` and `RSAPublicKey` (RFC 8017 A.1);
//! - SEC1 `ECPrivateKey` (RFC 5915) on the named curves P-256/384/521 (RFC 5480);
//! - PKCS#8 `PrivateKeyInfo`/`OneAsymmetricKey` (RFC 5208, RFC 5958) holding either of those or
//!   an Ed25519 seed (RFC 8410);
//! - `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) for RSA, EC and Ed25519;
//! - OpenSSL's `DSAPrivateKey` (`BEGIN DSA PRIVATE KEY`, what old `ssh-keygen -t dsa` wrote),
//!   and DSA in PKCS#8 and SPKI (RFC 3279 §2.3.2: `Dss-Parms` parameters, `INTEGER` x or y).
//!
//! The DER crates only split the structures; every key ends in the constructors the OpenSSH
//! format uses, so the same checks apply whatever the file (RSA: `n = pq`, `d`, `iqmp`, sizes;
//! EC: the scalar's point equals a stored public key; Ed25519: likewise).

use super::public::PublicInner;
use super::sig_dsa::{DsaPrivate, DsaPublic};
use super::sig_ecdsa::{Curve, EcPrivate, EcPublic};
use super::{KeyError, PrivateKey, PublicKey, sig_rsa};
use der::Decode;
use der::asn1::{ObjectIdentifier as Oid, OctetStringRef};
use zeroize::Zeroizing;

const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
const ID_DSA: Oid = Oid::new_unwrap("1.2.840.10040.4.1");
const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");

/// A DER error as a [`KeyError`]: an unknown algorithm is [`KeyError::Unsupported`], anything
/// else [`KeyError::Malformed`] naming the structure.
pub(crate) fn der_error(what: &'static str, e: der::Error) -> KeyError {
    match e.kind() {
        der::ErrorKind::OidUnknown { oid } => KeyError::Unsupported(format!("{what}: {oid}")),
        _ => KeyError::Malformed(what),
    }
}

fn curve_of(oid: Oid) -> Result<Curve, KeyError> {
    match oid {
        SECP256R1 => Ok(Curve::P256),
        SECP384R1 => Ok(Curve::P384),
        SECP521R1 => Ok(Curve::P521),
        other => Err(KeyError::Unsupported(format!("elliptic curve {other}"))),
    }
}

/// The curve named by an `id-ecPublicKey` algorithm's parameters.
fn curve_param(alg: &spki::AlgorithmIdentifierRef<'_>) -> Result<Curve, KeyError> {
    let oid = alg
        .parameters_oid()
        .map_err(|_| KeyError::Unsupported("EC key without a named curve".into()))?;
    curve_of(oid)
}

/// RSA parameters must be absent or NULL (RFC 8017 A.1).
fn check_rsa_params(alg: &spki::AlgorithmIdentifierRef<'_>) -> Result<(), KeyError> {
    match alg.parameters {
        None => Ok(()),
        Some(p) if p.is_null() => Ok(()),
        Some(_) => Err(KeyError::Malformed("RSA algorithm parameters")),
    }
}

/// OpenSSL's `DSAPrivateKey`: `SEQUENCE { version 0, p, q, g, y, x }` (no RFC; OpenSSL's
/// `dsa_asn1.c` and every tool that reads `BEGIN DSA PRIVATE KEY` agree on it).
#[derive(der::Sequence)]
struct DsaPrivateKeyDer<'a> {
    version: der::asn1::UintRef<'a>,
    p: der::asn1::UintRef<'a>,
    q: der::asn1::UintRef<'a>,
    g: der::asn1::UintRef<'a>,
    y: der::asn1::UintRef<'a>,
    x: der::asn1::UintRef<'a>,
}

/// RFC 3279 §2.3.2 `Dss-Parms ::= SEQUENCE { p, q, g }`.
#[derive(der::Sequence)]
struct DssParms<'a> {
    p: der::asn1::UintRef<'a>,
    q: der::asn1::UintRef<'a>,
    g: der::asn1::UintRef<'a>,
}

fn dss_parms<'a>(alg: &spki::AlgorithmIdentifierRef<'a>) -> Result<DssParms<'a>, KeyError> {
    alg.parameters
        .ok_or(KeyError::Malformed("DSA key without parameters"))?
        .decode_as()
        .map_err(|e| der_error("DSA parameters", e))
}

/// A DSA `INTEGER` (x in PKCS#8, y in SPKI).
fn dss_integer<'a>(der: &'a [u8], what: &'static str) -> Result<der::asn1::UintRef<'a>, KeyError> {
    der::asn1::UintRef::from_der(der).map_err(|e| der_error(what, e))
}

/// `BEGIN DSA PRIVATE KEY`, with the checks of the OpenSSH format's DSA keys.
pub(crate) fn dsa_private_from_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let k = DsaPrivateKeyDer::from_der(der).map_err(|e| der_error("DSA private key", e))?;
    if !k.version.as_bytes().is_empty() && k.version.as_bytes() != [0] {
        return Err(KeyError::Unsupported("DSA private key version".into()));
    }
    let key = DsaPrivate::from_parts(
        k.p.as_bytes(),
        k.q.as_bytes(),
        k.g.as_bytes(),
        k.y.as_bytes(),
        k.x.as_bytes(),
    )?;
    Ok(PrivateKey::from_dsa(key))
}

/// `BEGIN RSA PRIVATE KEY`, or the inside of an RSA PKCS#8 key.
pub(crate) fn rsa_private_from_pkcs1(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let k = pkcs1::RsaPrivateKeyRef::from_der(der)
        .map_err(|e| der_error("PKCS#1 RSA private key", e))?;
    if k.other_prime_infos.is_some() {
        return Err(KeyError::Unsupported("multi-prime RSA key".into()));
    }
    // dP and dQ are not taken from the file: rsa recomputes them from d, p and q, so a file
    // with wrong ones cannot make a faulty CRT signature.
    let key = sig_rsa::from_private_parts(
        k.modulus.as_bytes(),
        k.public_exponent.as_bytes(),
        k.private_exponent.as_bytes(),
        k.coefficient.as_bytes(),
        k.prime1.as_bytes(),
        k.prime2.as_bytes(),
    )?;
    Ok(PrivateKey::from_rsa(key))
}

/// `BEGIN EC PRIVATE KEY`, or the inside of an EC PKCS#8 key whose algorithm names `outer`.
/// The curve must be named by one of them (and the same if by both).
pub(crate) fn ec_private_from_sec1(
    der: &[u8],
    outer: Option<Curve>,
) -> Result<PrivateKey, KeyError> {
    let k = sec1::EcPrivateKey::from_der(der).map_err(|e| der_error("SEC1 EC private key", e))?;
    let inner = match k.parameters {
        Some(p) => Some(curve_of(p.named_curve().ok_or_else(|| {
            KeyError::Unsupported("EC key with explicit curve parameters".into())
        })?)?),
        None => None,
    };
    let curve = match (outer, inner) {
        (Some(a), Some(b)) if a != b => return Err(KeyError::Malformed("EC curves differ")),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => return Err(KeyError::Malformed("EC private key without a curve")),
    };
    if k.private_key.is_empty() {
        return Err(KeyError::Malformed("EC private scalar"));
    }
    let key = EcPrivate::from_scalar(curve, k.private_key)
        .ok_or(KeyError::Malformed("EC private scalar"))?;
    if let Some(point) = k.public_key
        && EcPublic::from_sec1_any(curve, point)? != key.public()
    {
        return Err(KeyError::Malformed(
            "EC public key differs from the private key",
        ));
    }
    Ok(PrivateKey::from_ec(key))
}

/// `BEGIN PRIVATE KEY` (also the plaintext of `BEGIN ENCRYPTED PRIVATE KEY`).
pub(crate) fn private_from_pkcs8(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let info =
        pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|e| der_error("PKCS#8 private key", e))?;
    let inner = info.private_key.as_bytes();
    let alg = &info.algorithm;
    let key = match alg.oid {
        RSA_ENCRYPTION => {
            check_rsa_params(alg)?;
            rsa_private_from_pkcs1(inner)?
        }
        EC_PUBLIC_KEY => ec_private_from_sec1(inner, Some(curve_param(alg)?))?,
        ID_DSA => {
            let parms = dss_parms(alg)?;
            let x = dss_integer(inner, "DSA private key")?;
            PrivateKey::from_dsa(DsaPrivate::from_params_and_x(
                parms.p.as_bytes(),
                parms.q.as_bytes(),
                parms.g.as_bytes(),
                x.as_bytes(),
            )?)
        }
        ED25519 => {
            if alg.parameters.is_some() {
                return Err(KeyError::Malformed("Ed25519 algorithm parameters"));
            }
            // CurvePrivateKey ::= OCTET STRING (RFC 8410 §7).
            let seed = <&OctetStringRef>::from_der(inner)
                .map_err(|e| der_error("Ed25519 private key", e))?;
            let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                seed.as_bytes()
                    .try_into()
                    .map_err(|_| KeyError::Malformed("Ed25519 private key length"))?,
            );
            PrivateKey::from_ed25519_seed(&seed)
        }
        other => {
            return Err(KeyError::Unsupported(format!(
                "PKCS#8 key algorithm {other}"
            )));
        }
    };
    // OneAsymmetricKey (v2) may carry the public key: it must be this key's.
    if let Some(bits) = &info.public_key {
        let given = bits
            .as_bytes()
            .ok_or(KeyError::Malformed("PKCS#8 public key bits"))?;
        let ours = key.public();
        let same = match alg.oid {
            ED25519 => PublicKey::from_ed25519_bytes(given)? == ours,
            EC_PUBLIC_KEY => {
                let curve = curve_param(alg)?;
                PublicKey::from_inner(PublicInner::Ecdsa(EcPublic::from_sec1_any(curve, given)?))
                    == ours
            }
            ID_DSA => {
                let y = dss_integer(given, "DSA public key")?;
                key.public().to_blob() == public_dsa(alg, y.as_bytes())?.to_blob()
            }
            _ => rsa_public_from_pkcs1(given)? == ours,
        };
        if !same {
            return Err(KeyError::Malformed(
                "PKCS#8 public key differs from the private key",
            ));
        }
    }
    Ok(key)
}

/// `BEGIN RSA PUBLIC KEY`, or the bits of an RSA `SubjectPublicKeyInfo`.
pub(crate) fn rsa_public_from_pkcs1(der: &[u8]) -> Result<PublicKey, KeyError> {
    let k =
        pkcs1::RsaPublicKeyRef::from_der(der).map_err(|e| der_error("PKCS#1 RSA public key", e))?;
    PublicKey::from_rsa_components(k.public_exponent.as_bytes(), k.modulus.as_bytes())
}

/// A DSA public key from an algorithm identifier's `Dss-Parms` and `y`.
fn public_dsa(alg: &spki::AlgorithmIdentifierRef<'_>, y: &[u8]) -> Result<PublicKey, KeyError> {
    let parms = dss_parms(alg)?;
    Ok(PublicKey::from_inner(PublicInner::Dsa(
        DsaPublic::from_components(
            parms.p.as_bytes(),
            parms.q.as_bytes(),
            parms.g.as_bytes(),
            y,
        )?,
    )))
}

/// `BEGIN PUBLIC KEY`.
pub(crate) fn public_from_spki(der: &[u8]) -> Result<PublicKey, KeyError> {
    let info = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| der_error("SubjectPublicKeyInfo", e))?;
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or(KeyError::Malformed("public key bits"))?;
    let alg = &info.algorithm;
    match alg.oid {
        RSA_ENCRYPTION => {
            check_rsa_params(alg)?;
            rsa_public_from_pkcs1(bits)
        }
        EC_PUBLIC_KEY => Ok(PublicKey::from_inner(PublicInner::Ecdsa(
            EcPublic::from_sec1_any(curve_param(alg)?, bits)?,
        ))),
        ID_DSA => public_dsa(alg, dss_integer(bits, "DSA public key")?.as_bytes()),
        ED25519 if alg.parameters.is_none() => PublicKey::from_ed25519_bytes(bits),
        ED25519 => Err(KeyError::Malformed("Ed25519 algorithm parameters")),
        other => Err(KeyError::Unsupported(format!(
            "public key algorithm {other}"
        ))),
    }
}
