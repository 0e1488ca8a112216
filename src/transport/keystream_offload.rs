//! AES-CTR keystream made by the driver (`cipher/keystream.rs` says why): the keys go out as an
//! event when a CTR key is taken into use, keystream comes back through
//! [`crate::Connection::supply_keystream`]. Off unless [`crate::config::CommonConfig`]'s
//! `keystream_offload` asks for it (the npm package does, for WebCrypto; native hosts have
//! AES-NI and do not).

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

/// An AES-CTR key just taken into use in one direction. Keystream byte `n` is
/// AES(key, iv + n / 16)[n % 16], the IV a 128-bit big-endian counter (RFC 4344 §4).
#[derive(Clone)]
pub struct KeystreamKeys {
    /// Counts this direction's CTR keys from 1; supplied keystream names it.
    pub epoch: u32,
    /// The direction.
    pub direction: KeystreamDirection,
    /// The AES key, 16, 24 or 32 bytes.
    pub key: Zeroizing<Vec<u8>>,
    /// The initial counter block.
    pub iv: [u8; 16],
}

impl core::fmt::Debug for KeystreamKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeystreamKeys")
            .field("epoch", &self.epoch)
            .field("direction", &self.direction)
            .field("key_len", &self.key.len())
            .finish_non_exhaustive()
    }
}

/// Where a direction's keystream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeystreamProgress {
    /// The current key's epoch ([`KeystreamKeys::epoch`]).
    pub epoch: u32,
    /// Keystream bytes used so far under it.
    pub used: u64,
    /// The end of what was supplied (at least `used`).
    pub supplied_end: u64,
}

impl Transport {
    /// After a new key in `direction`: for AES-CTR with offload on, tells the driver.
    pub(super) fn offer_keystream(&mut self, direction: KeystreamDirection, keys: &DirectionKeys) {
        let ctr = matches!(
            keys.cipher,
            CipherAlg::Aes128Ctr | CipherAlg::Aes192Ctr | CipherAlg::Aes256Ctr
        );
        let epoch = &mut self.keystream_epochs[direction.index()];
        *epoch += 1;
        if !self.cfg.keystream_offload || !ctr {
            return;
        }
        let Ok(iv) = <[u8; 16]>::try_from(keys.iv.as_slice()) else {
            return;
        };
        self.events.push_back(Event::KeystreamKeys(KeystreamKeys {
            epoch: *epoch,
            direction,
            key: keys.key.clone(),
            iv,
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
