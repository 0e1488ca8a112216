//! AES-CTR and AES-GCM keystream made by the driver (`cipher/keystream.rs` says why): the keys go
//! out as an event when such a key is taken into use, keystream comes back through
//! [`crate::Connection::supply_keystream`]. Off unless [`crate::config::CommonConfig`]'s
//! `keystream_offload` names the mode (the npm package names CTR, for WebCrypto; native hosts
//! have AES-NI and name none).

use super::Transport;
use super::cipher::{CipherAlg, DirectionKeys};
use crate::Event;
use zeroize::Zeroizing;

/// Which way the protected bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystreamDirection {
    /// Packets from the peer (decryption).
    Inbound,
    /// Packets to the peer (encryption).
    Outbound,
}

impl KeystreamDirection {
    fn index(self) -> usize {
        match self {
            KeystreamDirection::Inbound => 0,
            KeystreamDirection::Outbound => 1,
        }
    }
}

/// How keystream for a key is laid out, and what [`crate::Connection::supply_keystream`]'s
/// position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystreamMode {
    /// AES-CTR: one stream; byte `n` is AES(key, iv + n / 16)[n % 16], the 16-byte IV a 128-bit
    /// big-endian counter (RFC 4344 §4). Positions are bytes.
    Ctr,
    /// AES-GCM: one stream a packet; packet `i` (from 0 under the key) has the nonce `iv` (12
    /// bytes) with `i` added to its last 8 as a big-endian counter (RFC 5647 §7.1), and its
    /// keystream is AES-CTR from counter block nonce ‖ 00000001 with a 32-bit counter: the tag
    /// mask (16 bytes), then the packet's. Positions are packets; a packet longer than what was
    /// supplied for it is done by the engine alone.
    Gcm,
}

/// An AES-CTR or AES-GCM key just taken into use in one direction.
#[derive(Clone)]
pub struct KeystreamKeys {
    /// Counts this direction's keys from 1; supplied keystream names it.
    pub epoch: u32,
    /// The direction.
    pub direction: KeystreamDirection,
    /// The layout of the keystream.
    pub mode: KeystreamMode,
    /// The AES key, 16, 24 or 32 bytes.
    pub key: Zeroizing<Vec<u8>>,
    /// The initial counter block (CTR, 16 bytes) or nonce (GCM, 12 bytes).
    pub iv: Vec<u8>,
}

impl core::fmt::Debug for KeystreamKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeystreamKeys")
            .field("epoch", &self.epoch)
            .field("direction", &self.direction)
            .field("mode", &self.mode)
            .field("key_len", &self.key.len())
            .finish_non_exhaustive()
    }
}

/// Where a direction's keystream stands, in bytes (CTR) or packets (GCM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeystreamProgress {
    /// The current key's epoch ([`KeystreamKeys::epoch`]).
    pub epoch: u32,
    /// Used so far under it.
    pub used: u64,
    /// The end of what was supplied (at least `used`).
    pub supplied_end: u64,
}

impl Transport {
    /// After a new key in `direction`: for AES-CTR or AES-GCM with offload on, tells the driver.
    pub(super) fn offer_keystream(&mut self, direction: KeystreamDirection, keys: &DirectionKeys) {
        let mode = match keys.cipher {
            CipherAlg::Aes128Ctr | CipherAlg::Aes192Ctr | CipherAlg::Aes256Ctr => {
                Some(KeystreamMode::Ctr)
            }
            CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm => Some(KeystreamMode::Gcm),
            _ => None,
        };
        let epoch = &mut self.keystream_epochs[direction.index()];
        *epoch += 1;
        let Some(mode) = mode.filter(|m| self.cfg.keystream_offload.contains(m)) else {
            return;
        };
        self.events.push_back(Event::KeystreamKeys(KeystreamKeys {
            epoch: *epoch,
            direction,
            mode,
            key: keys.key.clone(),
            iv: keys.iv.to_vec(),
        }));
    }

    pub(crate) fn supply_keystream(
        &mut self,
        epoch: u32,
        direction: KeystreamDirection,
        offset: u64,
        bytes: &[u8],
    ) -> bool {
        if epoch != self.keystream_epochs[direction.index()] {
            return false; // for a key already replaced
        }
        match direction {
            KeystreamDirection::Inbound => self.opener.supply_keystream(offset, bytes),
            KeystreamDirection::Outbound => self.sealer.supply_keystream(offset, bytes),
        }
    }

    pub(crate) fn keystream_progress(
        &self,
        direction: KeystreamDirection,
    ) -> Option<KeystreamProgress> {
        let (used, supplied_end) = match direction {
            KeystreamDirection::Inbound => self.opener.keystream_progress(),
            KeystreamDirection::Outbound => self.sealer.keystream_progress(),
        }?;
        Some(KeystreamProgress {
            epoch: self.keystream_epochs[direction.index()],
            used,
            supplied_end,
        })
    }
}
