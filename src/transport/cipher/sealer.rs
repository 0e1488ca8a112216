//! The outgoing half: builds one binary packet (RFC 4253 §6) in place at the end of `out`.

use super::mac::MacState;
use super::modes::{CbcEnc, ChaChaPoly, CtrState, GcmState};
use super::{DirectionKeys, padding_len};
use crate::crypto::EngineRng;

/// Outgoing packet protection for one direction.
pub struct PacketSealer {
    kind: Kind,
}

enum Kind {
    Clear,
    ChaCha(ChaChaPoly),
    Gcm(GcmState),
    Block {
        enc: BlockEnc,
        mac: Box<MacState>,
        tag_len: usize,
        etm: bool,
        block: usize,
    },
}

enum BlockEnc {
    Ctr(CtrState),
    Cbc(CbcEnc),
}

impl BlockEnc {
    fn encrypt(&mut self, buf: &mut [u8]) {
        match self {
            BlockEnc::Ctr(c) => c.apply(buf),
            BlockEnc::Cbc(c) => c.encrypt(buf),
        }
    }
}

impl PacketSealer {
    /// No encryption, no MAC (before the first NEWKEYS).
    #[must_use]
    pub fn cleartext() -> Self {
        PacketSealer { kind: Kind::Clear }
    }

    /// From freshly derived keys.
    ///
    /// # Panics
    /// If the key or IV lengths do not match the algorithm (they come from our own derivation).
    #[must_use]
    pub fn new(keys: &DirectionKeys) -> Self {
        let c = keys.cipher;
        let bad = "derived key and IV lengths match the cipher";
        let kind = if c == super::CipherAlg::ChaCha20Poly1305 {
            Kind::ChaCha(ChaChaPoly::new(&keys.key).expect(bad))
        } else if c.is_aead() {
            Kind::Gcm(GcmState::new(c, &keys.key, &keys.iv).expect(bad))
        } else {
            let mac_alg = keys.mac.expect("a non-AEAD cipher has a negotiated MAC");
            let enc = if c.is_cbc() {
                BlockEnc::Cbc(CbcEnc::new(c, &keys.key, &keys.iv).expect(bad))
            } else {
                BlockEnc::Ctr(CtrState::new(c, &keys.key, &keys.iv).expect(bad))
            };
            Kind::Block {
                enc,
                mac: Box::new(MacState::new(mac_alg, &keys.mac_key)),
                tag_len: mac_alg.tag_len(),
                etm: mac_alg.is_etm(),
                block: c.block_size(),
            }
        };
        PacketSealer { kind }
    }

    /// Appends one complete binary packet carrying `payload` to `out`.
    pub fn seal(&mut self, seq: u32, payload: &[u8], rng: &mut EngineRng, out: &mut Vec<u8>) {
        let (align, skip_len, tag) = match &self.kind {
            Kind::Clear => (8, false, 0),
            Kind::ChaCha(_) => (8, true, super::modes::AEAD_TAG),
            Kind::Gcm(_) => (16, true, super::modes::AEAD_TAG),
            Kind::Block {
                etm,
                block,
                tag_len,
                ..
            } => ((*block).max(8), *etm, *tag_len),
        };
        let pad = padding_len(payload.len(), align, skip_len);
        let packet_len = 1 + payload.len() + pad;
        let start = out.len();
        out.reserve(4 + packet_len + tag);
        out.extend_from_slice(
            &u32::try_from(packet_len)
                .expect("payload bounded by the layers above")
                .to_be_bytes(),
        );
        out.push(pad as u8);
        out.extend_from_slice(payload);
        let pad_start = out.len();
        out.resize(pad_start + pad, 0);
        rng.fill(&mut out[pad_start..]);
        let end = out.len();
        match &mut self.kind {
            Kind::Clear => {}
            Kind::ChaCha(c) => {
                c.crypt_length(seq, &mut out[start..start + 4]);
                let t = c.seal_body(seq, &mut out[start..end]);
                out.extend_from_slice(&t);
            }
            Kind::Gcm(g) => {
                let (len, body) = out[start..end].split_at_mut(4);
                let t = g.seal(len, body);
                out.extend_from_slice(&t);
            }
            Kind::Block {
                enc,
                mac,
                tag_len,
                etm: true,
                ..
            } => {
                // Encrypt-then-MAC: the length stays in clear; the MAC covers it and the ciphertext.
                enc.encrypt(&mut out[start + 4..end]);
                mac.sign_appending(seq, start, *tag_len, out);
            }
            Kind::Block {
                enc,
                mac,
                tag_len,
                etm: false,
                ..
            } => {
                // RFC 4253 §6.4: MAC over the plaintext packet, then encrypt it.
                let t = mac.tag(seq, &out[start..end]);
                enc.encrypt(&mut out[start..end]);
                out.extend_from_slice(&t[..*tag_len]);
            }
        }
    }
}
