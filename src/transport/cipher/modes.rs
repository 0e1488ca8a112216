//! The cipher states behind the sealer and opener: CTR and CBC block modes, AES-GCM, and
//! OpenSSH's chacha20-poly1305 construction. The bulk ciphers (ChaCha20, AES-GCM, AES-CTR) are
//! called through `sshgate_bulk_crypto`, whose monomorphic copies of RustCrypto's generic modes
//! are compiled at opt-level 3 even when the engine is built for size (its crate comment says why).

use super::CipherAlg;
use super::keystream::{Supplied, SuppliedPackets};
use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use des::TdesEde3;
use sshgate_bulk_crypto::{AesCtr, AesGcm, chacha20_legacy_xor, poly1305};
use zeroize::Zeroizing;

/// A stream-like block mode: CTR keeps its counter across packets (RFC 4344 §4). The mode
/// itself is `sshgate_bulk_crypto`'s, so that it is compiled at that crate's opt-level. A driver
/// may hand in keystream made elsewhere (`keystream.rs`); it is used first.
pub(super) struct CtrState {
    aes: AesCtr,
    /// Keystream bytes used since the key was installed.
    pos: u64,
    /// Where `aes` stands: behind `pos` after supplied bytes were used.
    aes_pos: u64,
    supplied: Supplied,
}

impl CtrState {
    pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Option<Self> {
        match alg {
            CipherAlg::Aes128Ctr | CipherAlg::Aes192Ctr | CipherAlg::Aes256Ctr
                if key.len() == alg.key_len() =>
            {
                Some(CtrState {
                    aes: AesCtr::new(key, iv)?,
                    pos: 0,
                    aes_pos: 0,
                    supplied: Supplied::default(),
                })
            }
            _ => None,
        }
    }

    pub(super) fn apply(&mut self, buf: &mut [u8]) {
        let mut rest = buf;
        while !rest.is_empty() {
            let covered = self.supplied.apply(self.pos, rest);
            self.pos += covered as u64;
            rest = &mut rest[covered..];
            // Our own AES up to where supplied keystream starts (or to the end).
            let n = self.supplied.gap(self.pos, rest.len());
            if n > 0 {
                if self.aes_pos != self.pos {
                    self.aes.seek(self.pos);
                }
                self.aes.apply(&mut rest[..n]);
                self.pos += n as u64;
                self.aes_pos = self.pos;
                rest = &mut rest[n..];
            }
        }
    }

    /// Takes keystream from byte `offset` on (see [`Supplied::add`]).
    pub(super) fn supply(&mut self, offset: u64, bytes: &[u8]) -> bool {
        self.supplied.add(self.pos, offset, bytes)
    }

    /// Bytes used so far and the end of what is supplied.
    pub(super) fn keystream_progress(&self) -> (u64, u64) {
        (self.pos, self.supplied.end(self.pos))
    }
}

/// CBC encryption, chained across packets (RFC 4253 §6.3).
pub(super) enum CbcEnc {
    A128(Box<cbc::Encryptor<Aes128>>),
    A192(Box<cbc::Encryptor<Aes192>>),
    A256(Box<cbc::Encryptor<Aes256>>),
    Des3(Box<cbc::Encryptor<TdesEde3>>),
}

/// CBC decryption, chained across packets.
pub(super) enum CbcDec {
    A128(Box<cbc::Decryptor<Aes128>>),
    A192(Box<cbc::Decryptor<Aes192>>),
    A256(Box<cbc::Decryptor<Aes256>>),
    Des3(Box<cbc::Decryptor<TdesEde3>>),
}

impl CbcEnc {
    pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Option<Self> {
        Some(match alg {
            CipherAlg::Aes128Cbc => {
                CbcEnc::A128(Box::new(cbc::Encryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::Aes192Cbc => {
                CbcEnc::A192(Box::new(cbc::Encryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::Aes256Cbc => {
                CbcEnc::A256(Box::new(cbc::Encryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::TripleDesCbc => {
                CbcEnc::Des3(Box::new(cbc::Encryptor::new_from_slices(key, iv).ok()?))
            }
            _ => return None,
        })
    }

    /// Encrypts whole blocks in place; `buf.len()` is a multiple of the block size.
    pub(super) fn encrypt(&mut self, buf: &mut [u8]) {
        match self {
            CbcEnc::A128(c) => c.encrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcEnc::A192(c) => c.encrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcEnc::A256(c) => c.encrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcEnc::Des3(c) => c.encrypt_blocks(Array::slice_as_chunks_mut(buf).0),
        }
    }
}

impl CbcDec {
    pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Option<Self> {
        Some(match alg {
            CipherAlg::Aes128Cbc => {
                CbcDec::A128(Box::new(cbc::Decryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::Aes192Cbc => {
                CbcDec::A192(Box::new(cbc::Decryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::Aes256Cbc => {
                CbcDec::A256(Box::new(cbc::Decryptor::new_from_slices(key, iv).ok()?))
            }
            CipherAlg::TripleDesCbc => {
                CbcDec::Des3(Box::new(cbc::Decryptor::new_from_slices(key, iv).ok()?))
            }
            _ => return None,
        })
    }

    /// Decrypts whole blocks in place; `buf.len()` is a multiple of the block size.
    pub(super) fn decrypt(&mut self, buf: &mut [u8]) {
        match self {
            CbcDec::A128(c) => c.decrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcDec::A192(c) => c.decrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcDec::A256(c) => c.decrypt_blocks(Array::slice_as_chunks_mut(buf).0),
            CbcDec::Des3(c) => c.decrypt_blocks(Array::slice_as_chunks_mut(buf).0),
        }
    }
}

/// AES-GCM with the RFC 5647 nonce: a 4-byte fixed field and an 8-byte invocation counter that
/// increments after every packet. A driver may hand in packets' keystreams (`keystream.rs`).
pub(super) struct GcmState {
    aead: AesGcm,
    nonce: [u8; 12],
    /// Packets sealed or opened under this key: the index supplied keystreams name.
    index: u64,
    supplied: SuppliedPackets,
}

/// Tag length of both AEAD constructions.
pub(super) const AEAD_TAG: usize = sshgate_bulk_crypto::TAG_LEN;

impl GcmState {
    pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Option<Self> {
        let aead = match alg {
            CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm if key.len() == alg.key_len() => {
                AesGcm::new(key)?
            }
            _ => return None,
        };
        Some(GcmState {
            aead,
            nonce: iv.try_into().ok()?,
            index: 0,
            supplied: SuppliedPackets::default(),
        })
    }

    fn next_nonce(&mut self) {
        let mut ctr = u64::from_be_bytes(self.nonce[4..].try_into().expect("8 bytes"));
        ctr = ctr.wrapping_add(1);
        self.nonce[4..].copy_from_slice(&ctr.to_be_bytes());
        self.index += 1;
    }

    /// Encrypts `body` with `aad` and returns the tag.
    pub(super) fn seal(&mut self, aad: &[u8], body: &mut [u8]) -> [u8; AEAD_TAG] {
        let supplied = self.supplied.take(self.index);
        let tag = supplied
            .and_then(|ks| self.aead.seal_with_keystream(aad, body, &ks))
            .unwrap_or_else(|| self.aead.seal(&self.nonce, aad, body));
        self.next_nonce();
        tag
    }

    /// Verifies `tag` and decrypts `body` in place; false (and nothing decrypted) on a bad tag.
    pub(super) fn open(&mut self, aad: &[u8], body: &mut [u8], tag: &[u8]) -> bool {
        let Ok(tag) = <&[u8; AEAD_TAG]>::try_from(tag) else {
            return false;
        };
        let supplied = self.supplied.take(self.index);
        let ok = supplied
            .and_then(|ks| self.aead.open_with_keystream(aad, body, tag, &ks))
            .unwrap_or_else(|| self.aead.open(&self.nonce, aad, body, tag));
        if ok {
            self.next_nonce();
        }
        ok
    }

    /// Takes packet `index`'s keystream (see [`SuppliedPackets::add`]).
    pub(super) fn supply(&mut self, index: u64, bytes: &[u8]) -> bool {
        self.supplied.add(self.index, index, bytes)
    }

    /// Packets sealed or opened so far and the index after the last keystream supplied.
    pub(super) fn keystream_progress(&self) -> (u64, u64) {
        (self.index, self.supplied.end(self.index))
    }
}

/// OpenSSH's chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305): K_2, the first 32 key
/// bytes, encrypts the payload and keys Poly1305; K_1, the second 32, encrypts only the length.
/// The nonce is the packet sequence number.
pub(super) struct ChaChaPoly {
    main: Zeroizing<[u8; 32]>,
    header: Zeroizing<[u8; 32]>,
}

impl ChaChaPoly {
    pub(super) fn new(key: &[u8]) -> Option<Self> {
        if key.len() != 64 {
            return None;
        }
        let mut main = Zeroizing::new([0u8; 32]);
        let mut header = Zeroizing::new([0u8; 32]);
        main.copy_from_slice(&key[..32]);
        header.copy_from_slice(&key[32..]);
        Some(ChaChaPoly { main, header })
    }

    fn nonce(seq: u32) -> [u8; 8] {
        u64::from(seq).to_be_bytes()
    }

    /// En- or decrypts the 4-byte length field.
    pub(super) fn crypt_length(&self, seq: u32, len: &mut [u8]) {
        chacha20_legacy_xor(&self.header, Self::nonce(seq), 0, len);
    }

    /// The Poly1305 tag of `data` for packet `seq`, keyed from block 0 of the main key's stream.
    fn tag(&self, seq: u32, data: &[u8]) -> [u8; AEAD_TAG] {
        let mut poly_key = Zeroizing::new([0u8; 32]);
        chacha20_legacy_xor(&self.main, Self::nonce(seq), 0, &mut poly_key[..]);
        poly1305(&poly_key, data)
    }

    /// The payload's cipher: the main key's stream from block 1.
    fn crypt_payload(&self, seq: u32, buf: &mut [u8]) {
        chacha20_legacy_xor(&self.main, Self::nonce(seq), 1, buf);
    }

    /// Encrypts `packet[4..]` (length already encrypted) and returns the tag over all of it.
    pub(super) fn seal_body(&self, seq: u32, packet: &mut [u8]) -> [u8; AEAD_TAG] {
        self.crypt_payload(seq, &mut packet[4..]);
        self.tag(seq, packet)
    }

    /// Verifies the tag over the still-encrypted `packet`, then decrypts `packet[4..]`.
    pub(super) fn open_body(&self, seq: u32, packet: &mut [u8], tag: &[u8]) -> bool {
        let expected = self.tag(seq, packet);
        if !crate::crypto::ct_eq(&expected, tag) {
            return false;
        }
        self.crypt_payload(seq, &mut packet[4..]);
        true
    }
}
