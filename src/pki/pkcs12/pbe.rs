//! Password-based decryption of PKCS#12 contents and shrouded keys: PBES2 (RFC 8018 §6.2:
//! PBKDF2 with HMAC-SHA-1/256/384/512, AES-128/192/256-CBC or 3DES-CBC; what OpenSSL 3 writes)
//! and the PKCS#12 PBEs (RFC 7292 Appendix C: SHA-1 with 3DES, RC2-40 or RC2-128; what
//! `openssl pkcs12 -legacy` and older tools write).

use super::kdf::{self, ID_IV, ID_KEY};
use crate::crypto::HashAlg;
use crate::pki::dw::{self, Der, INT, OCTETS, OID, SEQ};
use crate::pki::oid;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, InnerIvInit, KeyIvInit};
use zeroize::Zeroizing;

/// Highest iteration count honoured (a file asking for more is refused rather than hanging).
pub(crate) const MAX_ITERATIONS: u64 = 10_000_000;

/// Why decryption failed; `Passphrase` is the one a wrong passphrase gives.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PbeError {
    Malformed(&'static str),
    Unsupported(String),
    Passphrase,
}

fn m(what: &'static str) -> impl Fn(&'static str) -> PbeError {
    move |_| PbeError::Malformed(what)
}

pub(crate) fn iterations(v: &[u8]) -> Result<u32, PbeError> {
    let n = dw::small_uint(v).map_err(m("iteration count"))?;
    if n == 0 || n > MAX_ITERATIONS {
        return Err(PbeError::Unsupported(format!("{n} iterations")));
    }
    Ok(n as u32)
}

macro_rules! cbc_decrypt {
    ($c:ty, $key:expr, $iv:expr, $buf:expr) => {
        cbc::Decryptor::<$c>::new_from_slices($key, $iv)
            .map_err(|_| PbeError::Malformed("cipher key or IV length"))?
            .decrypt_padded::<Pkcs7>($buf)
            .map(<[u8]>::len)
            .map_err(|_| PbeError::Passphrase)
    };
}

/// Decrypts in place and returns the plaintext (padding removed), zeroized on drop.
fn finish(mut buf: Zeroizing<Vec<u8>>, len: usize) -> Zeroizing<Vec<u8>> {
    buf.truncate(len);
    buf
}

fn pbes2(params: &[u8], pass: &str, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    let mut p = Der::new(dw::only(params, SEQ).map_err(m("PBES2 parameters"))?);
    let mut kdf = Der::new(p.expect(SEQ).map_err(m("PBES2 KDF"))?);
    if dw::oid(kdf.expect(OID).map_err(m("PBES2 KDF"))?).map_err(m("PBES2 KDF"))? != oid::PBKDF2 {
        return Err(PbeError::Unsupported(
            "PBES2 key derivation other than PBKDF2".into(),
        ));
    }
    let mut kp = Der::new(kdf.expect(SEQ).map_err(m("PBKDF2 parameters"))?);
    let salt = kp.expect(OCTETS).map_err(m("PBKDF2 salt"))?;
    let iter = iterations(kp.expect(INT).map_err(m("PBKDF2 iterations"))?)?;
    let mut key_len = None;
    if kp.peek_tag() == Some(INT) {
        key_len = Some(dw::small_uint(kp.expect(INT).map_err(m("PBKDF2"))?).map_err(m("PBKDF2"))?);
    }
    let mut prf = HashAlg::Sha1;
    if kp.peek_tag() == Some(SEQ) {
        let mut a = Der::new(kp.expect(SEQ).map_err(m("PBKDF2 PRF"))?);
        prf = match dw::oid(a.expect(OID).map_err(m("PBKDF2 PRF"))?).map_err(m("PBKDF2 PRF"))? {
            oid::HMAC_SHA1 => HashAlg::Sha1,
            oid::HMAC_SHA256 => HashAlg::Sha256,
            oid::HMAC_SHA384 => HashAlg::Sha384,
            oid::HMAC_SHA512 => HashAlg::Sha512,
            other => return Err(PbeError::Unsupported(format!("PBKDF2 PRF {other}"))),
        };
    }
    let mut enc = Der::new(p.expect(SEQ).map_err(m("PBES2 cipher"))?);
    let cipher = dw::oid(enc.expect(OID).map_err(m("PBES2 cipher"))?).map_err(m("PBES2 cipher"))?;
    let iv = enc.expect(OCTETS).map_err(m("PBES2 IV"))?;
    let n = match cipher {
        oid::AES128_CBC => 16,
        oid::AES192_CBC => 24,
        oid::AES256_CBC => 32,
        oid::DES_EDE3_CBC => 24,
        other => return Err(PbeError::Unsupported(format!("PBES2 cipher {other}"))),
    };
    if key_len.is_some_and(|k| k != n as u64) {
        return Err(PbeError::Malformed(
            "PBKDF2 key length differs from the cipher's",
        ));
    }
    let mut key = Zeroizing::new(vec![0u8; n]);
    let pw = pass.as_bytes();
    match prf {
        HashAlg::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, iter, &mut key),
        HashAlg::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, iter, &mut key),
        HashAlg::Sha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(pw, salt, iter, &mut key),
        HashAlg::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pw, salt, iter, &mut key),
    }
    let mut buf = Zeroizing::new(data.to_vec());
    let len = match cipher {
        oid::AES128_CBC => cbc_decrypt!(aes::Aes128, &key, iv, &mut buf)?,
        oid::AES192_CBC => cbc_decrypt!(aes::Aes192, &key, iv, &mut buf)?,
        oid::AES256_CBC => cbc_decrypt!(aes::Aes256, &key, iv, &mut buf)?,
        _ => cbc_decrypt!(des::TdesEde3, &key, iv, &mut buf)?,
    };
    Ok(finish(buf, len))
}

fn pkcs12_pbe(
    alg: der::asn1::ObjectIdentifier,
    params: &[u8],
    pass: &str,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    let mut p = Der::new(dw::only(params, SEQ).map_err(m("PKCS#12 PBE parameters"))?);
    let salt = p.expect(OCTETS).map_err(m("PKCS#12 PBE salt"))?;
    let iter = iterations(p.expect(INT).map_err(m("PKCS#12 PBE iterations"))?)?;
    let bmp = kdf::bmp_password(pass);
    let key_len = match alg {
        oid::PBE_SHA_3DES => 24,
        oid::PBE_SHA_RC2_128 => 16,
        _ => 5,
    };
    let key = kdf::derive(HashAlg::Sha1, &bmp, salt, ID_KEY, iter, key_len);
    let iv = kdf::derive(HashAlg::Sha1, &bmp, salt, ID_IV, iter, 8);
    let mut buf = Zeroizing::new(data.to_vec());
    let len = if alg == oid::PBE_SHA_3DES {
        cbc_decrypt!(des::TdesEde3, &key, &iv, &mut buf)?
    } else {
        // RC2's effective key length is the key's (40 or 128 bits).
        let rc2 = rc2::Rc2::new_with_eff_key_len(&key, key_len * 8);
        let iv = cbc::cipher::Iv::<cbc::Decryptor<rc2::Rc2>>::try_from(iv.as_slice())
            .map_err(|_| PbeError::Malformed("RC2 IV"))?;
        cbc::Decryptor::<rc2::Rc2>::inner_iv_init(rc2, &iv)
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map(<[u8]>::len)
            .map_err(|_| PbeError::Passphrase)?
    };
    Ok(finish(buf, len))
}

/// Decrypts `data` with the algorithm in the DER AlgorithmIdentifier `alg_id` (its contents,
/// without the outer SEQUENCE header).
pub(crate) fn decrypt(
    alg_id: &[u8],
    pass: &str,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    let mut a = Der::new(alg_id);
    let alg = dw::oid(a.expect(OID).map_err(m("encryption algorithm"))?)
        .map_err(m("encryption algorithm"))?;
    let (_, _, params) = a.next().map_err(m("encryption parameters"))?;
    match alg {
        oid::PBES2 => pbes2(params, pass, data),
        oid::PBE_SHA_3DES | oid::PBE_SHA_RC2_128 | oid::PBE_SHA_RC2_40 => {
            pkcs12_pbe(alg, params, pass, data)
        }
        other => Err(PbeError::Unsupported(format!(
            "encryption algorithm {other}"
        ))),
    }
}
