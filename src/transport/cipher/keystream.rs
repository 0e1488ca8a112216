//! Keystream a driver computed elsewhere for an AES-CTR direction, e.g. with the browser's
//! WebCrypto, which runs AES in hardware while wasm runs it in bitsliced software (about 3x
//! slower; bench/README.md). CTR's keystream does not depend on the data, so it can be made
//! ahead of time from the key and IV ([`crate::Event::KeystreamKeys`]). The engine never waits
//! for it: bytes it has are used, and past them it runs AES itself, so a slow, absent or
//! misbehaving supplier costs speed. Wrong bytes garble what they cover, as a wrong key would:
//! with a MAC over the plaintext that ends the connection, but GCM's tag and ETM MACs cover the
//! ciphertext, so there only a wrong tag mask is caught. The supplier is part of the client (it
//! holds the key), so this is the trust it has anyway, not a new one.

use zeroize::{Zeroize, Zeroizing};

/// At most this many supplied bytes are held per direction (a driver keeps a few MiB ahead).
pub const MAX_SUPPLIED: usize = 8 << 20;

/// Supplied keystream: `buf[head..]` is keystream from position `start` on. `start` may lie
/// ahead of the next byte the engine needs: a driver that fell behind supplies from further on,
/// and the engine runs its own AES up to there.
#[derive(Default)]
pub(super) struct Supplied {
    buf: Vec<u8>,
    head: usize,
    /// Keystream position of `buf[head]`.
    start: u64,
}

impl Supplied {
    fn held(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Keystream position just past the supplied bytes (`pos` when none are held).
    pub(super) fn end(&self, pos: u64) -> u64 {
        if self.held() == 0 {
            pos
        } else {
            self.start + self.held() as u64
        }
    }

    /// Takes `bytes`, keystream from position `offset`: with nothing held, from anywhere at or
    /// past `pos` (the next byte the engine needs; bytes before it are dropped); otherwise they
    /// must continue what is held (an overlap is dropped). False when refused: a gap, bytes
    /// wholly behind, or more than [`MAX_SUPPLIED`] held.
    pub(super) fn add(&mut self, pos: u64, offset: u64, bytes: &[u8]) -> bool {
        let end = offset.saturating_add(bytes.len() as u64);
        let from = if self.held() == 0 {
            pos.max(offset)
        } else if offset <= self.start + self.held() as u64 {
            self.start + self.held() as u64
        } else {
            return false; // a gap after what is held
        };
        if end <= from {
            return false; // nothing new
        }
        let Ok(skip) = usize::try_from(from - offset) else {
            return false;
        };
        let fresh = &bytes[skip..];
        if self.held() + fresh.len() > MAX_SUPPLIED {
            return false;
        }
        if self.held() == 0 {
            self.clear();
            self.start = from;
        } else if self.head >= self.buf.len() / 2 {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(fresh);
        true
    }

    /// Bytes from `pos` before the held keystream starts (all of `len` when none is held or it
    /// is behind).
    pub(super) fn gap(&self, pos: u64, len: usize) -> usize {
        if self.held() == 0 || self.start <= pos {
            return if self.held() == 0 { len } else { 0 };
        }
        usize::try_from(self.start - pos).map_or(len, |g| g.min(len))
    }

    /// XORs as much of `data` as the held keystream covers from position `pos` and returns how
    /// many bytes that was (0 when it starts later). Held bytes before `pos` (the engine ran its
    /// own AES past them) are dropped first.
    pub(super) fn apply(&mut self, pos: u64, data: &mut [u8]) -> usize {
        if self.held() == 0 || pos < self.start {
            return 0;
        }
        let stale = usize::try_from(pos - self.start).map_or(self.held(), |s| s.min(self.held()));
        self.consume(stale);
        let n = self.held().min(data.len());
        sshgate_bulk_crypto::xor_in_place(&mut data[..n], &self.buf[self.head..]);
        self.consume(n);
        n
    }

    /// Drops `n` held bytes, wiping them: used keystream decrypts what it covered.
    fn consume(&mut self, n: usize) {
        self.buf[self.head..self.head + n].zeroize();
        self.head += n;
        self.start += n as u64;
    }

    fn clear(&mut self) {
        self.buf.zeroize();
        self.buf.clear();
        self.head = 0;
    }
}

impl Drop for Supplied {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// At most this many GCM packets' keystreams are held per direction.
pub const MAX_SUPPLIED_PACKETS: usize = 256;

/// Supplied AES-GCM keystream, one entry a packet: for packet `index` (counted from 0 under the
/// key), AES-CTR from counter block nonce ‖ 1 (the tag mask, then the packet's keystream), as
/// long as the driver guessed the packet might be. Indexes strictly increase.
#[derive(Default)]
pub(super) struct SuppliedPackets {
    queue: std::collections::VecDeque<(u64, Zeroizing<Vec<u8>>)>,
    bytes: usize,
}

impl SuppliedPackets {
    /// The index after the last one held (`next` when none is).
    pub(super) fn end(&self, next: u64) -> u64 {
        self.queue.back().map_or(next, |(i, _)| i + 1)
    }

    /// Takes packet `index`'s keystream when `index` is still to come (≥ `next`), after every
    /// index held, and the bounds allow; false otherwise.
    pub(super) fn add(&mut self, next: u64, index: u64, bytes: &[u8]) -> bool {
        if index < next || self.queue.back().is_some_and(|(i, _)| index <= *i) {
            return false;
        }
        if self.queue.len() >= MAX_SUPPLIED_PACKETS || self.bytes + bytes.len() > MAX_SUPPLIED {
            return false;
        }
        self.bytes += bytes.len();
        self.queue
            .push_back((index, Zeroizing::new(bytes.to_vec())));
        true
    }

    /// Packet `index`'s keystream if held; those of earlier packets are dropped.
    pub(super) fn take(&mut self, index: u64) -> Option<Zeroizing<Vec<u8>>> {
        while let Some((i, _)) = self.queue.front() {
            if *i > index {
                return None;
            }
            let (i, ks) = self.queue.pop_front()?;
            self.bytes -= ks.len();
            if i == index {
                return Some(ks);
            }
        }
        None
    }
}
