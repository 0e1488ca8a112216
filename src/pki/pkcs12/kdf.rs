//! The PKCS#12 key derivation (RFC 7292 Appendix B) and the integrity MAC it keys (§5.1, §5.2).

use crate::crypto::HashAlg;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Purpose bytes of the derivation (RFC 7292 Appendix B.3).
pub(crate) const ID_KEY: u8 = 1;
pub(crate) const ID_IV: u8 = 2;
pub(crate) const ID_MAC: u8 = 3;

/// The password as RFC 7292 Appendix B.1 feeds it to the derivation: BMPString (UTF-16BE)
/// with two terminating zero bytes.
pub(crate) fn bmp_password(pass: &str) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(2 * pass.len() + 2));
    for u in pass.encode_utf16() {
        v.extend_from_slice(&u.to_be_bytes());
    }
    v.extend_from_slice(&[0, 0]);
    v
}

fn block_len(h: HashAlg) -> usize {
    match h {
        HashAlg::Sha1 | HashAlg::Sha256 => 64,
        HashAlg::Sha384 | HashAlg::Sha512 => 128,
    }
}

/// RFC 7292 Appendix B.2: `n` bytes of key material for purpose `id`.
pub(crate) fn derive(
    h: HashAlg,
    bmp_pass: &[u8],
    salt: &[u8],
    id: u8,
    iterations: u32,
    n: usize,
) -> Zeroizing<Vec<u8>> {
    let (u, v) = (h.output_len(), block_len(h));
    let fill = |src: &[u8]| -> Zeroizing<Vec<u8>> {
        let len = src.len().div_ceil(v) * v;
        Zeroizing::new(src.iter().copied().cycle().take(len).collect())
    };
    let mut i = fill(salt);
    i.extend_from_slice(&fill(bmp_pass));
    let d = vec![id; v];
    let mut out = Zeroizing::new(Vec::with_capacity(n.div_ceil(u) * u));
    while out.len() < n {
        let mut hasher = h.hasher();
        hasher.update(&d);
        hasher.update(&i);
        let mut a = Zeroizing::new(hasher.finish());
        for _ in 1..iterations {
            a = Zeroizing::new(h.digest(&a));
        }
        out.extend_from_slice(&a);
        if out.len() >= n {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
        let b: Zeroizing<Vec<u8>> = Zeroizing::new(a.iter().copied().cycle().take(v).collect());
        for block in i.chunks_mut(v) {
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let s = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = s as u8;
                carry = s >> 8;
            }
        }
    }
    out.truncate(n);
    out
}

macro_rules! hmac_ok {
    ($d:ty, $key:expr, $data:expr, $expected:expr) => {{
        let mut m = <hmac::Hmac<$d> as KeyInit>::new_from_slice($key).expect("HMAC takes any key");
        m.update($data);
        let tag = m.finalize().into_bytes();
        bool::from(tag.as_slice().ct_eq($expected))
    }};
}

/// Whether `expected` is the RFC 7292 §5 MAC of `data` (the AuthenticatedSafe contents) under
/// the password; compared in constant time.
pub(crate) fn mac_ok(
    h: HashAlg,
    bmp_pass: &[u8],
    salt: &[u8],
    iterations: u32,
    data: &[u8],
    expected: &[u8],
) -> bool {
    let key = derive(h, bmp_pass, salt, ID_MAC, iterations, h.output_len());
    match h {
        HashAlg::Sha1 => hmac_ok!(sha1::Sha1, &key, data, expected),
        HashAlg::Sha256 => hmac_ok!(sha2::Sha256, &key, data, expected),
        HashAlg::Sha384 => hmac_ok!(sha2::Sha384, &key, data, expected),
        HashAlg::Sha512 => hmac_ok!(sha2::Sha512, &key, data, expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_password_is_utf16_with_terminator() {
        assert_eq!(&*bmp_password("ab"), &[0, b'a', 0, b'b', 0, 0]);
        assert_eq!(&*bmp_password(""), &[0, 0]);
    }

    #[test]
    fn derivation_is_deterministic_and_purpose_separated() {
        let p = bmp_password("s3cret");
        let k = derive(HashAlg::Sha1, &p, b"saltsalt", ID_KEY, 2, 24);
        assert_eq!(k.len(), 24);
        assert_eq!(k, derive(HashAlg::Sha1, &p, b"saltsalt", ID_KEY, 2, 24));
        assert_ne!(
            k[..8],
            derive(HashAlg::Sha1, &p, b"saltsalt", ID_IV, 2, 8)[..]
        );
        assert_eq!(derive(HashAlg::Sha256, &p, b"x", ID_MAC, 1, 70).len(), 70);
    }
}
