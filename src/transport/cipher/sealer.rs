//! The outgoing half: builds one binary packet (RFC 4253 §6) in place at the end of `out`.

use super::modes::{CbcEnc, CtrState};
use super::{DirectionKeys, Protection, padding_len};
use crate::crypto::EngineRng;

/// Outgoing packet protection for one direction.
pub struct PacketSealer {
    kind: Protection<BlockEnc>,
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
        PacketSealer {
            kind: Protection::Clear,
        }
    }

    /// Hands in keystream (`keystream.rs`): for AES-CTR from byte `at` on, for AES-GCM packet
    /// `at`'s; false when this direction is neither or the bytes are refused.
    pub fn supply_keystream(&mut self, at: u64, bytes: &[u8]) -> bool {
        match &mut self.kind {
            Protection::Block {
                mode: BlockEnc::Ctr(c),
                ..
            } => c.supply(at, bytes),
            Protection::Gcm(g) => g.supply(at, bytes),
            _ => false,
        }
    }

    /// For AES-CTR, keystream bytes used so far and the end of what was handed in; for AES-GCM
    /// the same in packets.
    #[must_use]
    pub fn keystream_progress(&self) -> Option<(u64, u64)> {
        match &self.kind {
            Protection::Block {
                mode: BlockEnc::Ctr(c),
                ..
            } => Some(c.keystream_progress()),
            Protection::Gcm(g) => Some(g.keystream_progress()),
            _ => None,
        }
    }

    /// From freshly derived keys.
    #[must_use]
    pub fn new(keys: &DirectionKeys) -> Self {
        let kind = Protection::new(keys, |c, key, iv| {
            Some(if c.is_cbc() {
                BlockEnc::Cbc(CbcEnc::new(c, key, iv)?)
            } else {
                BlockEnc::Ctr(CtrState::new(c, key, iv)?)
            })
        });
        PacketSealer { kind }
    }

    /// Block alignment, whether the length field is outside it (ETM, AEAD), and tag length.
    fn layout(&self) -> (usize, bool, usize) {
        match &self.kind {
            Protection::Clear => (8, false, 0),
            Protection::ChaCha(_) => (8, true, super::modes::AEAD_TAG),
            Protection::Gcm(_) => (16, true, super::modes::AEAD_TAG),
            Protection::Block {
                etm,
                block,
                tag_len,
                ..
            } => ((*block).max(8), *etm, *tag_len),
        }
    }

    /// The padding a payload of `payload_len` bytes gets (for a packet trace).
    pub(crate) fn padding_for(&self, payload_len: usize) -> usize {
        let (align, skip_len, _) = self.layout();
        padding_len(payload_len, align, skip_len)
    }

    /// Appends one complete binary packet carrying `payload` to `out` (the engine seals its
    /// payloads in parts; the benchmarks and tests seal whole ones).
    #[cfg(any(test, feature = "internals"))]
    pub fn seal(&mut self, seq: u32, payload: &[u8], rng: &mut EngineRng, out: &mut Vec<u8>) {
        self.seal_parts(seq, &[payload], rng, out);
    }

    /// [`PacketSealer::seal`] for a payload given in pieces (a message header and the
    /// application's bytes, say): each is copied once, into the packet.
    pub fn seal_parts(
        &mut self,
        seq: u32,
        parts: &[&[u8]],
        rng: &mut EngineRng,
        out: &mut Vec<u8>,
    ) {
        let payload_len: usize = parts.iter().map(|p| p.len()).sum();
        let (align, skip_len, tag) = self.layout();
        let pad = padding_len(payload_len, align, skip_len);
        let packet_len = 1 + payload_len + pad;
        let start = out.len();
        out.reserve(4 + packet_len + tag);
        out.extend_from_slice(
            &u32::try_from(packet_len)
                .expect("payload bounded by the layers above")
                .to_be_bytes(),
        );
        out.push(pad as u8);
        for part in parts {
            out.extend_from_slice(part);
        }
        let pad_start = out.len();
        out.resize(pad_start + pad, 0);
        rng.fill(&mut out[pad_start..]);
        let end = out.len();
        match &mut self.kind {
            Protection::Clear => {}
            Protection::ChaCha(c) => {
                c.crypt_length(seq, &mut out[start..start + 4]);
                let t = c.seal_body(seq, &mut out[start..end]);
                out.extend_from_slice(&t);
            }
            Protection::Gcm(g) => {
                let (len, body) = out[start..end].split_at_mut(4);
                let t = g.seal(len, body);
                out.extend_from_slice(&t);
            }
            Protection::Block {
                mode: enc,
                mac,
                tag_len,
                etm: true,
                ..
            } => {
                // Encrypt-then-MAC: the length stays in clear; the MAC covers it and the ciphertext.
                enc.encrypt(&mut out[start + 4..end]);
                mac.sign_appending(seq, start, *tag_len, out);
            }
            Protection::Block {
                mode: enc,
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
