//! A writer for secret material: one allocation made up front, zeroized on drop.
//!
//! [`crate::wire::Writer`] grows its vector as it goes, and every reallocation would leave a copy
//! of the key behind in freed memory; this one never reallocates while it stays under the
//! capacity it was given (callers size it generously), and if it must, it copies into a fresh
//! zeroizing buffer and wipes the old one.

use zeroize::{Zeroize, Zeroizing};

/// Appends RFC 4251 types to a zeroize-on-drop buffer.
pub(crate) struct SecretWriter {
    buf: Zeroizing<Vec<u8>>,
}

impl SecretWriter {
    /// An empty writer holding `capacity` bytes before it has to grow.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SecretWriter {
            buf: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The buffer (still zeroized on drop).
    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }

    fn reserve(&mut self, extra: usize) {
        let need = self.buf.len() + extra;
        if need > self.buf.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(need.max(2 * self.buf.capacity())));
            bigger.extend_from_slice(&self.buf);
            self.buf.zeroize();
            self.buf = bigger;
        }
    }

    /// Raw bytes.
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.reserve(b.len());
        self.buf.extend_from_slice(b);
    }

    /// A `uint32`.
    pub(crate) fn u32(&mut self, v: u32) {
        self.raw(&v.to_be_bytes());
    }

    /// A `string`.
    pub(crate) fn string(&mut self, b: &[u8]) {
        let len = u32::try_from(b.len()).expect("key field longer than 4 GiB");
        self.u32(len);
        self.raw(b);
    }

    /// A non-negative `mpint` from big-endian magnitude bytes (as `Writer::mpint`).
    pub(crate) fn mpint(&mut self, magnitude: &[u8]) {
        let start = magnitude
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(magnitude.len());
        let m = &magnitude[start..];
        if m.first().is_some_and(|b| b & 0x80 != 0) {
            let len = u32::try_from(m.len() + 1).expect("mpint too long");
            self.u32(len);
            self.raw(&[0]);
            self.raw(m);
        } else {
            self.string(m);
        }
    }
}
