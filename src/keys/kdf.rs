//! Encryption of OpenSSH private key sections: `bcrypt` KDF (`bcrypt_pbkdf`, salt and rounds in
//! the KDF options) and the `aes256-ctr` cipher, as `ssh-keygen` writes them by default.

use super::KeyError;
use crate::wire::{Reader, Writer};
use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use zeroize::Zeroizing;

/// The only cipher supported for encrypted files.
pub(crate) const CIPHER: &str = "aes256-ctr";
/// The only KDF supported for encrypted files.
pub(crate) const KDF: &str = "bcrypt";
/// Cipher block size (the private section is padded to a multiple of it).
pub(crate) const BLOCK: usize = 16;
/// Salt length written (as `ssh-keygen`).
pub(crate) const SALT_LEN: usize = 16;
/// Most bcrypt rounds accepted, so a hostile file cannot make us spin for minutes. The cost is
/// linear: `ssh-keygen`'s default of 16 takes about 0.12 s natively, this cap about 30 s (the
/// fuzzer's slowest key file, 2,050 rounds, 16 s). It stays this high because OpenSSH has no cap
/// and keys made with a large `ssh-keygen -a` must still load; the work is only done after the
/// user gives the file's passphrase.
pub(crate) const MAX_ROUNDS: u32 = 4096;

const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;

/// `string salt, uint32 rounds`.
pub(crate) fn write_options(salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(salt).u32(rounds);
    w.into_vec()
}

/// Parses the KDF options; refuses empty or oversized salts and out-of-range round counts.
pub(crate) fn read_options(options: &[u8]) -> Result<(&[u8], u32), KeyError> {
    let mut r = Reader::new(options);
    let salt = r.string("bcrypt salt")?;
    let rounds = r.u32("bcrypt rounds")?;
    r.finish()?;
    if salt.is_empty() || salt.len() > 1024 {
        return Err(KeyError::Malformed("bcrypt salt"));
    }
    if rounds == 0 || rounds > MAX_ROUNDS {
        return Err(KeyError::Unsupported(format!("{rounds} bcrypt rounds")));
    }
    Ok((salt, rounds))
}

/// Encrypts or decrypts `buf` in place with the key and IV derived from `passphrase`.
pub(crate) fn apply(
    passphrase: &[u8],
    salt: &[u8],
    rounds: u32,
    buf: &mut [u8],
) -> Result<(), KeyError> {
    if passphrase.is_empty() {
        return Err(KeyError::Passphrase);
    }
    let mut key_iv = Zeroizing::new([0u8; KEY_LEN + IV_LEN]);
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, rounds, key_iv.as_mut())
        .map_err(|_| KeyError::Malformed("bcrypt parameters"))?;
    let (key, iv) = key_iv.split_at(KEY_LEN);
    let mut cipher = Ctr128BE::<Aes256>::new_from_slices(key, iv)
        .map_err(|_| KeyError::Malformed("cipher key length"))?;
    cipher.apply_keystream(buf);
    Ok(())
}
