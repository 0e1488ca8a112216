//! Decryption of encrypted PEM key bodies, in zeroizing buffers:
//!
//! - OpenSSL's legacy ("traditional") encryption: RFC 1421 headers `Proc-Type: 4,ENCRYPTED` and
//!   `DEK-Info: CIPHER,IV-HEX`, the key `EVP_BytesToKey(MD5, passphrase, salt = IV[..8], 1)`.
//!   This is what `ssh-keygen -m PEM -N pass` (AES-128-CBC) and `openssl rsa -aes256
//!   -traditional` write; DES-EDE3-CBC is the old OpenSSL default.
//! - PKCS#8 PBES2 (RFC 8018 §6.2): PBKDF2 with HMAC-SHA1 or SHA-2 and AES-CBC, as `openssl
//!   pkcs8 -topk8 -v2 aes-256-cbc` and `ssh-keygen -m PKCS8 -N pass` write. pkcs5 parses the
//!   parameters; the derivation and decryption are here, so the derived key is zeroized and
//!   the iteration count bounded before any work is done.
//!
//! Both end in CBC with PKCS#7 padding. Padding that does not check out means a wrong
//! passphrase (corrupted data under the right one looks the same, as it does to OpenSSL).

use super::KeyError;
use super::pem::Block;
use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use der::Decode;
use des::TdesEde3;
use md5::{Digest, Md5};
use pkcs5::pbes2::{self, Kdf, Pbkdf2Prf};
use zeroize::{Zeroize, Zeroizing};

/// Most PBKDF2 iterations accepted. OpenSSL 3 writes 2048; a hostile file must not make us
/// spin for minutes (`kdf::MAX_ROUNDS` bounds bcrypt the same way).
pub(crate) const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;

/// Longest cipher key (AES-256).
const MAX_KEY: usize = 32;

/// The CBC ciphers of encrypted PEM files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cbc {
    Aes128,
    Aes192,
    Aes256,
    TdesEde3,
}

impl Cbc {
    fn key_len(self) -> usize {
        match self {
            Cbc::Aes128 => 16,
            Cbc::Aes192 | Cbc::TdesEde3 => 24,
            Cbc::Aes256 => 32,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Cbc::TdesEde3 => 8,
            _ => 16,
        }
    }

    /// By its `DEK-Info` name.
    fn from_dek_name(name: &str) -> Option<Self> {
        Some(match name {
            "AES-128-CBC" => Cbc::Aes128,
            "AES-192-CBC" => Cbc::Aes192,
            "AES-256-CBC" => Cbc::Aes256,
            "DES-EDE3-CBC" => Cbc::TdesEde3,
            _ => return None,
        })
    }

    /// Decrypts `buf` in place and returns its length without the PKCS#7 padding;
    /// bad padding is [`KeyError::Passphrase`].
    fn decrypt(self, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<usize, KeyError> {
        let block = self.block_len();
        if buf.is_empty() || !buf.len().is_multiple_of(block) {
            return Err(KeyError::Malformed("encrypted key length"));
        }
        macro_rules! run {
            ($c:ty) => {
                cbc::Decryptor::<$c>::new_from_slices(key, iv)
                    .map(|mut d| d.decrypt_blocks(Array::slice_as_chunks_mut(buf).0))
            };
        }
        let started = match self {
            Cbc::Aes128 => run!(Aes128),
            Cbc::Aes192 => run!(Aes192),
            Cbc::Aes256 => run!(Aes256),
            Cbc::TdesEde3 => run!(TdesEde3),
        };
        started.map_err(|_| KeyError::Malformed("cipher key or IV length"))?;
        let pad = usize::from(buf[buf.len() - 1]);
        let padded = (1..=block).contains(&pad)
            && buf[buf.len() - pad..]
                .iter()
                .all(|&b| usize::from(b) == pad);
        if padded {
            Ok(buf.len() - pad)
        } else {
            Err(KeyError::Passphrase)
        }
    }
}

/// Bytes from hex digits (either case), `None` if not hex.
fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one round: `D_i = MD5(D_{i-1} || pass || salt)`,
/// concatenated until `len` bytes.
fn bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev = Zeroizing::new([0u8; 16]);
    let mut first = true;
    while out.len() < len {
        let mut h = Md5::new();
        if !first {
            h.update(prev.as_ref());
        }
        h.update(pass);
        h.update(salt);
        let mut d = h.finalize();
        prev.copy_from_slice(&d);
        d.as_mut_slice().zeroize();
        out.extend_from_slice(prev.as_ref());
        first = false;
    }
    out.truncate(len);
    out
}

/// The plaintext of a block with legacy encryption headers, or `None` if the block has none.
pub(crate) fn legacy(
    block: &Block<'_>,
    passphrase: Option<&[u8]>,
) -> Result<Option<Zeroizing<Vec<u8>>>, KeyError> {
    let Some(proc_type) = block.header("Proc-Type") else {
        return Ok(None);
    };
    if proc_type.replace(' ', "") != "4,ENCRYPTED" {
        return Err(KeyError::Unsupported(format!(
            "PEM Proc-Type {}",
            clip(proc_type)
        )));
    }
    let dek = block
        .header("DEK-Info")
        .ok_or(KeyError::Malformed("encrypted PEM without DEK-Info"))?;
    let (name, iv_hex) = dek
        .split_once(',')
        .ok_or(KeyError::Malformed("PEM DEK-Info"))?;
    let cipher = Cbc::from_dek_name(name.trim().to_ascii_uppercase().as_str())
        .ok_or_else(|| KeyError::Unsupported(format!("PEM encryption {}", clip(name))))?;
    let iv = from_hex(iv_hex.trim())
        .filter(|iv| iv.len() == cipher.block_len())
        .ok_or(KeyError::Malformed("PEM DEK-Info IV"))?;
    let pass = passphrase.ok_or(KeyError::Passphrase)?;
    let key = bytes_to_key(pass, &iv[..8], cipher.key_len());
    let mut buf = Zeroizing::new(block.body.to_vec());
    let len = cipher.decrypt(&key, &iv, &mut buf)?;
    buf.truncate(len);
    Ok(Some(buf))
}

/// The plaintext `PrivateKeyInfo` of a DER `EncryptedPrivateKeyInfo` (RFC 5958 §3).
pub(crate) fn pbes2(der: &[u8], passphrase: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der)
        .map_err(|e| super::pkcs::der_error("encrypted PKCS#8 private key", e))?;
    let params = match &info.encryption_algorithm {
        pkcs5::EncryptionScheme::Pbes2(p) => p,
        _ => {
            return Err(KeyError::Unsupported(
                "PBES1 key encryption (PBES2 is read: openssl pkcs8 -topk8 -v2 aes-256-cbc)".into(),
            ));
        }
    };
    let (cipher, iv) = match params.encryption {
        pbes2::EncryptionScheme::Aes128Cbc { iv } => (Cbc::Aes128, iv),
        pbes2::EncryptionScheme::Aes192Cbc { iv } => (Cbc::Aes192, iv),
        pbes2::EncryptionScheme::Aes256Cbc { iv } => (Cbc::Aes256, iv),
        other => {
            return Err(KeyError::Unsupported(format!(
                "PKCS#8 encryption {}",
                other.oid()
            )));
        }
    };
    let kdf = match &params.kdf {
        Kdf::Pbkdf2(p) => p,
        _ => {
            return Err(KeyError::Unsupported(
                "scrypt key derivation in PKCS#8 (PBKDF2 is read)".into(),
            ));
        }
    };
    if kdf
        .key_length
        .is_some_and(|l| usize::from(l) != cipher.key_len())
    {
        return Err(KeyError::Malformed("PBKDF2 key length"));
    }
    if kdf.iteration_count == 0 || kdf.iteration_count > MAX_PBKDF2_ITERATIONS {
        return Err(KeyError::Unsupported(format!(
            "{} PBKDF2 iterations",
            kdf.iteration_count
        )));
    }
    let pass = passphrase.ok_or(KeyError::Passphrase)?;
    let mut key_buf = Zeroizing::new([0u8; MAX_KEY]);
    let key = &mut key_buf[..cipher.key_len()];
    let (salt, rounds) = (kdf.salt.as_ref(), kdf.iteration_count);
    match kdf.prf {
        Pbkdf2Prf::HmacWithSha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pass, salt, rounds, key),
        Pbkdf2Prf::HmacWithSha224 => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(pass, salt, rounds, key),
        Pbkdf2Prf::HmacWithSha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pass, salt, rounds, key),
        Pbkdf2Prf::HmacWithSha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(pass, salt, rounds, key),
        Pbkdf2Prf::HmacWithSha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pass, salt, rounds, key),
        _ => {
            return Err(KeyError::Unsupported(
                "PBKDF2 pseudo-random function".into(),
            ));
        }
    }
    let mut buf = Zeroizing::new(info.encrypted_data.as_bytes().to_vec());
    let len = cipher.decrypt(key, &iv, &mut buf)?;
    buf.truncate(len);
    Ok(buf)
}

/// At most 64 bytes of `s` for a message (cut on a character boundary).
fn clip(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenSSL's own answers: `openssl enc -aes-256-cbc -P -md md5 -pass pass:pw -S
    /// 0102030405060708` (key and IV are one chain: the 128-bit key is its first half).
    #[test]
    fn bytes_to_key_matches_openssl() {
        let salt = [1, 2, 3, 4, 5, 6, 7, 8];
        let key = bytes_to_key(b"pw", &salt, 32);
        let expected = "222776D258E716EFDAA0CF5A7E504B9D21982575418A44BE8D93693294778EEA";
        assert_eq!(key.as_slice(), from_hex(expected).unwrap());
        assert_eq!(bytes_to_key(b"pw", &salt, 16)[..], key[..16]);
        assert_eq!(bytes_to_key(b"pw", &salt, 24)[..], key[..24]);
    }

    #[test]
    fn padding_and_lengths() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        assert_eq!(
            Cbc::Aes128.decrypt(&key, &iv, &mut []),
            Err(KeyError::Malformed("encrypted key length"))
        );
        assert_eq!(
            Cbc::Aes128.decrypt(&key, &iv, &mut [0u8; 15]),
            Err(KeyError::Malformed("encrypted key length"))
        );
        assert_eq!(
            Cbc::Aes128.decrypt(&key, &iv[..8], &mut [0u8; 16]),
            Err(KeyError::Malformed("cipher key or IV length"))
        );
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("00Ff"), Some(vec![0, 255]));
        assert_eq!(clip(&"é".repeat(40)).len(), 64);
    }
}
