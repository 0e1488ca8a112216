//! The incoming half: checks, authenticates and decrypts one binary packet in place.

use super::modes::{AEAD_TAG, CbcDec, CtrState};
use super::{DirectionKeys, MAX_PACKET_LEN, Opened, PacketError, Protection};

/// Incoming packet protection for one direction.
pub struct PacketOpener {
    kind: Protection<BlockDec>,
    /// Non-ETM block modes: the first block of the current packet is already decrypted and its
    /// length read (so it is not decrypted twice while the rest arrives).
    pending_len: Option<usize>,
}

enum BlockDec {
    Ctr(CtrState),
    Cbc(CbcDec),
}

impl BlockDec {
    fn decrypt(&mut self, buf: &mut [u8]) {
        match self {
            BlockDec::Ctr(c) => c.apply(buf),
            BlockDec::Cbc(c) => c.decrypt(buf),
        }
    }
}

/// RFC 4253 §6: `packet_length` bounds, and alignment of the encrypted part to `align`.
fn check_length(len: u32, align: usize, covered_extra: usize) -> Result<usize, PacketError> {
    let n = len as usize;
    if !(5..=MAX_PACKET_LEN).contains(&n) || !(n + covered_extra).is_multiple_of(align) {
        return Err(PacketError::BadLength(len));
    }
    Ok(n)
}

/// Where the payload is, once the packet is authenticated: `padding_length` at offset 4.
fn payload_range(buf: &[u8], packet_len: usize) -> Result<core::ops::Range<usize>, PacketError> {
    let pad = usize::from(buf[4]);
    // RFC 4253 §6: "There MUST be at least four bytes of padding", and it must fit.
    if pad < 4 || pad + 1 > packet_len {
        return Err(PacketError::BadPadding);
    }
    Ok(5..4 + packet_len - pad)
}

fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl PacketOpener {
    /// No encryption, no MAC (before the first NEWKEYS).
    #[must_use]
    pub fn cleartext() -> Self {
        PacketOpener {
            kind: Protection::Clear,
            pending_len: None,
        }
    }

    /// Hands in keystream (`keystream.rs`): for AES-CTR from byte `at` on, for AES-GCM packet
    /// `at`'s; false when this direction is neither or the bytes are refused.
    pub fn supply_keystream(&mut self, at: u64, bytes: &[u8]) -> bool {
        match &mut self.kind {
            Protection::Block {
                mode: BlockDec::Ctr(c),
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
                mode: BlockDec::Ctr(c),
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
                BlockDec::Cbc(CbcDec::new(c, key, iv)?)
            } else {
                BlockDec::Ctr(CtrState::new(c, key, iv)?)
            })
        });
        PacketOpener {
            kind,
            pending_len: None,
        }
    }

    /// Tries to open the packet at the front of `buf` in place; `Ok(None)` means more bytes are
    /// needed. `buf` must start at the current packet and only grow between calls.
    pub fn open(&mut self, seq: u32, buf: &mut [u8]) -> Result<Option<Opened>, PacketError> {
        match &mut self.kind {
            Protection::Clear => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                let n = check_length(read_u32(buf), 8, 4)?;
                if buf.len() < 4 + n {
                    return Ok(None);
                }
                let payload = payload_range(buf, n)?;
                Ok(Some(Opened {
                    consumed: 4 + n,
                    payload,
                }))
            }
            Protection::ChaCha(c) => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                let mut len = [buf[0], buf[1], buf[2], buf[3]];
                c.crypt_length(seq, &mut len);
                let n = check_length(u32::from_be_bytes(len), 8, 0)?;
                let total = 4 + n + AEAD_TAG;
                if buf.len() < total {
                    return Ok(None);
                }
                let (packet, tag) = buf[..total].split_at_mut(4 + n);
                if !c.open_body(seq, packet, tag) {
                    return Err(PacketError::MacMismatch);
                }
                packet[..4].copy_from_slice(&len);
                let payload = payload_range(packet, n)?;
                Ok(Some(Opened {
                    consumed: total,
                    payload,
                }))
            }
            Protection::Gcm(g) => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                let n = check_length(read_u32(buf), 16, 0)?;
                let total = 4 + n + AEAD_TAG;
                if buf.len() < total {
                    return Ok(None);
                }
                let (packet, tag) = buf[..total].split_at_mut(4 + n);
                let (len, body) = packet.split_at_mut(4);
                if !g.open(len, body, tag) {
                    return Err(PacketError::MacMismatch);
                }
                let payload = payload_range(packet, n)?;
                Ok(Some(Opened {
                    consumed: total,
                    payload,
                }))
            }
            Protection::Block {
                mode: dec,
                mac,
                tag_len,
                etm: true,
                block,
            } => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                let n = check_length(read_u32(buf), (*block).max(8), 0)?;
                let total = 4 + n + *tag_len;
                if buf.len() < total {
                    return Ok(None);
                }
                let (packet, tag) = buf[..total].split_at_mut(4 + n);
                // Encrypt-then-MAC: authenticate before decrypting anything.
                if !mac.verify(seq, packet, tag) {
                    return Err(PacketError::MacMismatch);
                }
                dec.decrypt(&mut packet[4..]);
                let payload = payload_range(packet, n)?;
                Ok(Some(Opened {
                    consumed: total,
                    payload,
                }))
            }
            Protection::Block {
                mode: dec,
                mac,
                tag_len,
                etm: false,
                block,
            } => {
                let block = *block;
                let n = match self.pending_len {
                    Some(n) => n,
                    None => {
                        if buf.len() < block {
                            return Ok(None);
                        }
                        // The length is inside the first encrypted block (RFC 4253 §6.3).
                        dec.decrypt(&mut buf[..block]);
                        let n = check_length(read_u32(buf), block.max(8), 4)?;
                        self.pending_len = Some(n);
                        n
                    }
                };
                let total = 4 + n + *tag_len;
                if buf.len() < total {
                    return Ok(None);
                }
                self.pending_len = None;
                let (packet, tag) = buf[..total].split_at_mut(4 + n);
                dec.decrypt(&mut packet[block..]);
                // The MAC is checked before the padding is looked at, so a corrupted packet
                // always fails the same way (no padding oracle).
                if !mac.verify(seq, packet, tag) {
                    return Err(PacketError::MacMismatch);
                }
                let payload = payload_range(packet, n)?;
                Ok(Some(Opened {
                    consumed: total,
                    payload,
                }))
            }
        }
    }
}
