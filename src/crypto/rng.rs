//! Injected randomness.
//!
//! The engine owns no entropy source. A driver hands it a 32-byte seed at construction (from the
//! OS, or from `crypto.getRandomValues` in the browser) and may mix more in with
//! [`EngineRng::reseed`]. Everything random inside the engine (padding, cookies, ephemeral keys,
//! RSA blinding) is drawn from this ChaCha20 keystream, so a test that fixes the seed replays a
//! whole session byte for byte.

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use core::convert::Infallible;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// A deterministic CSPRNG over ChaCha20, seeded by the driver.
pub struct EngineRng {
    key: [u8; 32],
    stream: ChaCha20,
    generation: u64,
}

impl EngineRng {
    /// A generator keyed by `seed`. Two generators with the same seed produce the same bytes.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let stream = ChaCha20::new(&seed.into(), &[0u8; 12].into());
        EngineRng {
            key: seed,
            stream,
            generation: 0,
        }
    }

    /// Mixes fresh entropy into the key, so a long-lived engine need not trust one seed forever.
    pub fn reseed(&mut self, entropy: &[u8]) {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(entropy);
        self.generation += 1;
        h.update(self.generation.to_be_bytes());
        let mut next: [u8; 32] = h.finalize().into();
        self.stream = ChaCha20::new(&next.into(), &[0u8; 12].into());
        self.key.zeroize();
        self.key = next;
        next.zeroize();
    }

    /// Fills `dst` with random bytes.
    pub fn fill(&mut self, dst: &mut [u8]) {
        dst.fill(0);
        self.stream.apply_keystream(dst);
    }

    /// A fresh 32-byte seed for a sub-generator (e.g. per connection from a listener's generator).
    #[must_use]
    pub fn fork_seed(&mut self) -> [u8; 32] {
        let mut s = [0u8; 32];
        self.fill(&mut s);
        s
    }
}

impl Drop for EngineRng {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl rand_core::TryRng for EngineRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for EngineRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_reseed_changes_them() {
        let mut a = EngineRng::from_seed([7; 32]);
        let mut b = EngineRng::from_seed([7; 32]);
        let (mut x, mut y) = ([0u8; 64], [0u8; 64]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 64]);
        b.reseed(b"more");
        a.fill(&mut x);
        b.fill(&mut y);
        assert_ne!(x, y);
    }
}
