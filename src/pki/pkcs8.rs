//! PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, RFC 5958) to the engine's
//! [`PrivateKey`]: RSA (RFC 8017 `RSAPrivateKey`), EC on P-256/384/521 (RFC 5915
//! `ECPrivateKey`), Ed25519 (RFC 8410 §7).
//!
//! The engine's keys are built through their OpenSSH private fields, so `src/keys/` needs no new
//! constructor; this is the one function to switch to `src/keys/`'s own PKCS#8 reader once it
//! lands. Every buffer holding secret bytes is zeroized.

use super::dw::{self, Der, INT, OCTETS, OID, SEQ};
use super::{PkiError, oid};
use crate::keys::PrivateKey;
use crate::wire::Reader;
use zeroize::Zeroizing;

fn bad(what: &'static str) -> impl Fn(&'static str) -> PkiError {
    move |_| PkiError::malformed(what)
}

/// Appends an SSH `string` to a buffer sized in advance (so it never reallocates and leaves
/// copies of secrets behind).
fn put_string(buf: &mut Zeroizing<Vec<u8>>, b: &[u8]) {
    buf.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    buf.extend_from_slice(b);
}

/// Appends an SSH `mpint` of a non-negative magnitude.
fn put_mpint(buf: &mut Zeroizing<Vec<u8>>, m: &[u8]) {
    if m.first().is_some_and(|b| b & 0x80 != 0) {
        buf.extend_from_slice(&u32::try_from(m.len() + 1).unwrap_or(u32::MAX).to_be_bytes());
        buf.push(0);
        buf.extend_from_slice(m);
    } else {
        put_string(buf, m);
    }
}

fn from_openssh_fields(buf: &[u8]) -> Result<PrivateKey, PkiError> {
    let mut r = Reader::new(buf);
    let k = PrivateKey::read_openssh_fields(&mut r)
        .map_err(|_| PkiError::malformed("private key inconsistent"))?;
    r.finish()?;
    Ok(k)
}

fn rsa(private: &[u8]) -> Result<PrivateKey, PkiError> {
    let bad = bad("RSAPrivateKey");
    let mut d = Der::new(dw::only(private, SEQ).map_err(&bad)?);
    if dw::small_uint(d.expect(INT).map_err(&bad)?).map_err(&bad)? != 0 {
        return Err(PkiError::malformed("multi-prime RSA key"));
    }
    let mut f: [&[u8]; 8] = [&[]; 8];
    for slot in &mut f {
        *slot = dw::uint(d.expect(INT).map_err(&bad)?).map_err(&bad)?;
    }
    let [n, e, priv_exp, p, q, _dp, _dq, qinv] = f;
    // OpenSSH order: n, e, d, iqmp (= q^-1 mod p, PKCS#1's coefficient), p, q.
    let cap = 64 + f.iter().map(|x| x.len() + 5).sum::<usize>();
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    put_string(&mut buf, b"ssh-rsa");
    for m in [n, e, priv_exp, qinv, p, q] {
        put_mpint(&mut buf, m);
    }
    from_openssh_fields(&buf)
}

macro_rules! ec_point {
    ($c:ident, $d:expr) => {{
        let padded = $d;
        $c::ecdsa::SigningKey::from_slice(&padded)
            .map(|k| k.verifying_key().to_sec1_point(false).as_bytes().to_vec())
            .map_err(|_| PkiError::malformed("EC private scalar"))
    }};
}

fn ec(curve_oid: der::asn1::ObjectIdentifier, private: &[u8]) -> Result<PrivateKey, PkiError> {
    let bad = bad("ECPrivateKey");
    let (key_type, ident, n) = match curve_oid {
        oid::SECP256R1 => ("ecdsa-sha2-nistp256", "nistp256", 32),
        oid::SECP384R1 => ("ecdsa-sha2-nistp384", "nistp384", 48),
        oid::SECP521R1 => ("ecdsa-sha2-nistp521", "nistp521", 66),
        other => {
            return Err(PkiError::UnsupportedAlgorithm {
                oid: other.to_string(),
            });
        }
    };
    let mut d = Der::new(dw::only(private, SEQ).map_err(&bad)?);
    if dw::small_uint(d.expect(INT).map_err(&bad)?).map_err(&bad)? != 1 {
        return Err(PkiError::malformed("ECPrivateKey version"));
    }
    let scalar = d.expect(OCTETS).map_err(&bad)?;
    if scalar.len() > n {
        return Err(PkiError::malformed("EC private scalar"));
    }
    let mut padded = Zeroizing::new(vec![0u8; n]);
    padded[n - scalar.len()..].copy_from_slice(scalar);
    // The public point is derived from the scalar; an embedded one must agree with it.
    let q = match n {
        32 => ec_point!(p256, padded.as_slice())?,
        48 => ec_point!(p384, padded.as_slice())?,
        _ => ec_point!(p521, padded.as_slice())?,
    };
    while !d.is_empty() {
        match d.next().map_err(&bad)? {
            (0xa0, v, _)
                if dw::oid(dw::only(v, OID).map_err(&bad)?).map_err(&bad)? != curve_oid =>
            {
                return Err(PkiError::malformed("EC key curve differs"));
            }
            (0xa1, v, _) => match dw::only(v, 0x03).map_err(&bad)? {
                [0, point @ ..] if point == q.as_slice() => {}
                _ => return Err(PkiError::malformed("EC public key differs from the scalar")),
            },
            _ => {}
        }
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(64 + q.len() + n + 8));
    put_string(&mut buf, key_type.as_bytes());
    put_string(&mut buf, ident.as_bytes());
    put_string(&mut buf, &q);
    put_mpint(&mut buf, dw::uint(&padded).unwrap_or(&padded));
    from_openssh_fields(&buf)
}

/// Decodes a PKCS#8 `PrivateKeyInfo` (unencrypted DER) into the engine's [`PrivateKey`].
pub fn pkcs8_private_key(der: &[u8]) -> Result<PrivateKey, PkiError> {
    let bad = bad("PKCS#8 PrivateKeyInfo");
    let mut d = Der::new(dw::only(der, SEQ).map_err(&bad)?);
    // RFC 5958: version 0 (v1) or 1 (v2, with an optional public key).
    if dw::small_uint(d.expect(INT).map_err(&bad)?).map_err(&bad)? > 1 {
        return Err(PkiError::malformed("PKCS#8 version"));
    }
    let mut alg = Der::new(d.expect(SEQ).map_err(&bad)?);
    let alg_oid = dw::oid(alg.expect(OID).map_err(&bad)?).map_err(&bad)?;
    let private = Zeroizing::new(d.expect(OCTETS).map_err(&bad)?.to_vec());
    match alg_oid {
        oid::RSA_ENCRYPTION => rsa(&private),
        oid::EC_PUBLIC_KEY => {
            let curve = dw::oid(alg.expect(OID).map_err(&bad)?).map_err(&bad)?;
            ec(curve, &private)
        }
        oid::ED25519 => {
            let seed: [u8; 32] = dw::only(&private, OCTETS)
                .map_err(|_| PkiError::malformed("Ed25519 private key"))?
                .try_into()
                .map_err(|_| PkiError::malformed("Ed25519 private key length"))?;
            let seed = Zeroizing::new(seed);
            Ok(PrivateKey::from_ed25519_seed(&seed))
        }
        other => Err(PkiError::UnsupportedAlgorithm {
            oid: other.to_string(),
        }),
    }
}
