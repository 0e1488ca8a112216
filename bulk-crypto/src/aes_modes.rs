//! AES-GCM and AES-CTR as concrete types (see the crate comment for why they live here).

use aes::cipher::BlockCipherEncrypt;
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use ctr::cipher::array::Array;
use ctr::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type Ctr<C> = ctr::Ctr128BE<C>;

/// GCM tag bytes.
pub const TAG_LEN: usize = 16;

/// AES-CTR with a 128-bit big-endian counter; the keystream runs on across calls.
pub enum AesCtr {
    /// AES-128.
    A128(Box<Ctr<Aes128>>),
    /// AES-192.
    A192(Box<Ctr<Aes192>>),
    /// AES-256.
    A256(Box<Ctr<Aes256>>),
}

impl AesCtr {
    /// From a 16-, 24- or 32-byte key and a 16-byte IV; `None` for other lengths.
    #[must_use]
    pub fn new(key: &[u8], iv: &[u8]) -> Option<Self> {
        Some(match key.len() {
            16 => AesCtr::A128(Box::new(Ctr::new_from_slices(key, iv).ok()?)),
            24 => AesCtr::A192(Box::new(Ctr::new_from_slices(key, iv).ok()?)),
            32 => AesCtr::A256(Box::new(Ctr::new_from_slices(key, iv).ok()?)),
            _ => return None,
        })
    }

    /// Moves to keystream byte `pos` (counted from the IV's first block).
    pub fn seek(&mut self, pos: u64) {
        match self {
            AesCtr::A128(c) => c.seek(pos),
            AesCtr::A192(c) => c.seek(pos),
            AesCtr::A256(c) => c.seek(pos),
        }
    }

    /// XORs `buf` with the next keystream bytes.
    pub fn apply(&mut self, buf: &mut [u8]) {
        match self {
            AesCtr::A128(c) => c.apply_keystream(buf),
            AesCtr::A192(c) => c.apply_keystream(buf),
            AesCtr::A256(c) => c.apply_keystream(buf),
        }
    }
}

/// AES-GCM with a 96-bit nonce and a 128-bit tag.
pub struct AesGcm {
    aead: GcmAead,
    /// GHASH's key H = AES(K, 0^128), for packets whose keystream was made elsewhere.
    h: Zeroizing<[u8; 16]>,
}

enum GcmAead {
    A128(Box<Aes128Gcm>),
    A256(Box<Aes256Gcm>),
}

/// AES(K, 0^128).
fn zero_block<C: KeyInit + BlockCipherEncrypt<BlockSize = aes::cipher::consts::U16>>(
    key: &[u8],
) -> Option<Zeroizing<[u8; 16]>> {
    let mut block = Array::default();
    C::new_from_slice(key).ok()?.encrypt_block(&mut block);
    Some(Zeroizing::new(block.into()))
}

impl AesGcm {
    /// From a 16- or 32-byte key; `None` for other lengths.
    #[must_use]
    pub fn new(key: &[u8]) -> Option<Self> {
        Some(match key.len() {
            16 => AesGcm {
                aead: GcmAead::A128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
                h: zero_block::<Aes128>(key)?,
            },
            32 => AesGcm {
                aead: GcmAead::A256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
                h: zero_block::<Aes256>(key)?,
            },
            _ => return None,
        })
    }

    /// Encrypts `buf` in place with `aad` authenticated; returns the tag.
    ///
    /// # Panics
    /// If `buf` exceeds GCM's limit of about 64 GiB (SSH packets are far below it).
    pub fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; TAG_LEN] {
        let nonce = Array::from(*nonce);
        match &self.aead {
            GcmAead::A128(a) => a.encrypt_inout_detached(&nonce, aad, buf.into()),
            GcmAead::A256(a) => a.encrypt_inout_detached(&nonce, aad, buf.into()),
        }
        .expect("buffer within the AES-GCM limit")
        .into()
    }

    /// Checks `tag` and decrypts `buf` in place; false (and `buf` unchanged) on a bad tag.
    #[must_use]
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        let nonce = Array::from(*nonce);
        let tag = Array::from(*tag);
        match &self.aead {
            GcmAead::A128(a) => a.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
            GcmAead::A256(a) => a.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
        }
        .is_ok()
    }

    /// [`AesGcm::seal`] with the nonce's keystream made elsewhere: `keystream` is AES-CTR from
    /// counter block nonce ‖ 1 (the tag mask, 16 bytes, then the data's keystream), at least
    /// `16 + buf.len()` bytes; `None` (and nothing done) when it is shorter.
    #[must_use]
    pub fn seal_with_keystream(
        &self,
        aad: &[u8],
        buf: &mut [u8],
        keystream: &[u8],
    ) -> Option<[u8; TAG_LEN]> {
        let (mask, ks) = split_keystream(keystream, buf.len())?;
        crate::xor_in_place(buf, ks);
        Some(self.tag(aad, buf, mask))
    }

    /// [`AesGcm::open`] with the nonce's keystream made elsewhere (as for
    /// [`AesGcm::seal_with_keystream`]): `None` when it is too short, else whether the tag was
    /// right (`buf` decrypted only then).
    #[must_use]
    pub fn open_with_keystream(
        &self,
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        keystream: &[u8],
    ) -> Option<bool> {
        let (mask, ks) = split_keystream(keystream, buf.len())?;
        let expected = self.tag(aad, buf, mask);
        if !bool::from(expected.ct_eq(tag)) {
            return Some(false);
        }
        crate::xor_in_place(buf, ks);
        Some(true)
    }

    /// GHASH_H(aad, ciphertext, lengths) XOR the tag mask (NIST SP 800-38D §7.1).
    fn tag(&self, aad: &[u8], ciphertext: &[u8], mask: &[u8]) -> [u8; TAG_LEN] {
        let mut g = GHash::new(&Array::from(*self.h));
        g.update_padded(aad);
        g.update_padded(ciphertext);
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(ciphertext.len() as u64 * 8).to_be_bytes());
        g.update(&[Array::from(lengths)]);
        let mut t: [u8; TAG_LEN] = g.finalize().into();
        crate::xor_in_place(&mut t, mask);
        t
    }
}

/// The tag mask and the data's keystream, if `keystream` covers `len` data bytes.
fn split_keystream(keystream: &[u8], len: usize) -> Option<(&[u8], &[u8])> {
    (keystream.len() >= TAG_LEN + len).then(|| {
        let (mask, rest) = keystream.split_at(TAG_LEN);
        (mask, &rest[..len])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn gcm_round_trip_and_tamper() {
        let g = AesGcm::new(&[3; 16]).unwrap();
        let nonce = [9; 12];
        let mut buf = *b"sixteen byte msg and more";
        let tag = g.seal(&nonce, b"aad", &mut buf);
        let mut copy = buf;
        assert!(g.open(&nonce, b"aad", &mut copy, &tag));
        assert_eq!(&copy, b"sixteen byte msg and more");
        let mut bad = tag;
        bad[0] ^= 1;
        let mut copy = buf;
        assert!(!g.open(&nonce, b"aad", &mut copy, &bad));
        assert_eq!(copy, buf);
        assert!(AesGcm::new(&[0; 24]).is_none());
    }

    #[test]
    fn ctr_seeks() {
        let mut a = AesCtr::new(&[1; 32], &[0xff; 16]).unwrap();
        let mut whole = [0u8; 100];
        a.apply(&mut whole);
        let mut b = AesCtr::new(&[1; 32], &[0xff; 16]).unwrap();
        b.seek(37);
        let mut tail = [0u8; 63];
        b.apply(&mut tail);
        assert_eq!(whole[37..], tail);
    }

    #[test]
    fn ctr_runs_on_across_calls() {
        let mut a = AesCtr::new(&[1; 16], &[2; 16]).unwrap();
        let mut b = AesCtr::new(&[1; 16], &[2; 16]).unwrap();
        let mut whole = [0u8; 40];
        a.apply(&mut whole);
        let mut parts = [0u8; 40];
        b.apply(&mut parts[..17]);
        b.apply(&mut parts[17..]);
        assert_eq!(whole, parts);
    }
}
