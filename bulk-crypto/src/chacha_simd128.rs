//! ChaCha20 (the original 64-bit-nonce, 64-bit-counter variant OpenSSH uses) four blocks at a
//! time in wasm SIMD128 lanes: each `v128` holds one of the sixteen state words for four
//! consecutive blocks, so a round is plain lane-wise adds, xors and rotations with no shuffling
//! between rows, and the four blocks are transposed back to byte order only at the end.
//!
//! Why by hand: RustCrypto's chacha20 has SSE2/AVX2/NEON backends but none for wasm, and
//! LLVM's auto-vectorisation of its portable code keeps one block per call. This is the same
//! "vertical" layout as chacha20's AVX2 backend (and libsodium's), with 128-bit lanes.
//!
//! Tested against RustCrypto's output on random keys, nonces, counters and every length up to
//! several blocks, and the RFC 8439 / draft-agl vectors (tests in `lib.rs`, run under
//! wasm-bindgen-test in Node and Chromium by the test script).

use core::arch::wasm32::{
    i8x16_shuffle, u32x4, u32x4_add, u32x4_shl, u32x4_shr, u32x4_shuffle, u32x4_splat,
    u64x2_shuffle, v128, v128_or, v128_xor,
};
use zeroize::Zeroize;

/// "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Bytes the four-block kernel produces per call.
const WIDE: usize = 256;

#[inline(always)]
fn rotl16(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(x, x)
}

#[inline(always)]
fn rotl8(x: v128) -> v128 {
    i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(x, x)
}

#[inline(always)]
fn rotl<const L: u32, const R: u32>(x: v128) -> v128 {
    v128_or(u32x4_shl(x, L), u32x4_shr(x, R))
}

#[inline(always)]
fn quarter(s: &mut [v128; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = u32x4_add(s[a], s[b]);
    s[d] = rotl16(v128_xor(s[d], s[a]));
    s[c] = u32x4_add(s[c], s[d]);
    s[b] = rotl::<12, 20>(v128_xor(s[b], s[c]));
    s[a] = u32x4_add(s[a], s[b]);
    s[d] = rotl8(v128_xor(s[d], s[a]));
    s[c] = u32x4_add(s[c], s[d]);
    s[b] = rotl::<7, 25>(v128_xor(s[b], s[c]));
}

/// The key, nonce and next block number of one keystream.
pub(crate) struct ChaChaSimd {
    key: [u32; 8],
    nonce: [u32; 2],
    block: u64,
}

impl ChaChaSimd {
    pub(crate) fn new(key: &[u8; 32], nonce: [u8; 8], block: u64) -> Self {
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut k = [0u32; 8];
        for (w, c) in k.iter_mut().zip(key.chunks_exact(4)) {
            *w = word(c);
        }
        ChaChaSimd {
            key: k,
            nonce: [word(&nonce[..4]), word(&nonce[4..])],
            block,
        }
    }

    /// Sixteen 16-byte rows of keystream: four blocks, each as four consecutive rows.
    #[inline(always)]
    fn four_blocks(&mut self) -> [v128; 16] {
        let b = self.block;
        let lo = |i: u64| b.wrapping_add(i) as u32;
        let hi = |i: u64| (b.wrapping_add(i) >> 32) as u32;
        let mut init = [u32x4_splat(0); 16];
        for (i, c) in SIGMA.iter().enumerate() {
            init[i] = u32x4_splat(*c);
        }
        for (i, k) in self.key.iter().enumerate() {
            init[4 + i] = u32x4_splat(*k);
        }
        init[12] = u32x4(lo(0), lo(1), lo(2), lo(3));
        init[13] = u32x4(hi(0), hi(1), hi(2), hi(3));
        init[14] = u32x4_splat(self.nonce[0]);
        init[15] = u32x4_splat(self.nonce[1]);
        self.block = b.wrapping_add(4);

        let mut s = init;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        for (w, i) in s.iter_mut().zip(init) {
            *w = u32x4_add(*w, i);
        }
        // Transpose each group of four words from word-major (lane = block) to block-major.
        let mut out = [u32x4_splat(0); 16];
        for g in 0..4 {
            let (w0, w1, w2, w3) = (s[4 * g], s[4 * g + 1], s[4 * g + 2], s[4 * g + 3]);
            let t0 = u32x4_shuffle::<0, 4, 1, 5>(w0, w1); // b0w0 b0w1 b1w0 b1w1
            let t1 = u32x4_shuffle::<0, 4, 1, 5>(w2, w3); // b0w2 b0w3 b1w2 b1w3
            let t2 = u32x4_shuffle::<2, 6, 3, 7>(w0, w1); // b2w0 b2w1 b3w0 b3w1
            let t3 = u32x4_shuffle::<2, 6, 3, 7>(w2, w3); // b2w2 b2w3 b3w2 b3w3
            out[g] = u64x2_shuffle::<0, 2>(t0, t1);
            out[4 + g] = u64x2_shuffle::<1, 3>(t0, t1);
            out[8 + g] = u64x2_shuffle::<0, 2>(t2, t3);
            out[12 + g] = u64x2_shuffle::<1, 3>(t2, t3);
        }
        out
    }

    /// XORs `buf` with the keystream from the current block on; the keystream of a partial
    /// last group is discarded (callers start every buffer on a block boundary).
    pub(crate) fn apply(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(WIDE);
        for chunk in &mut chunks {
            let ks = self.four_blocks();
            for (row, k) in chunk.chunks_exact_mut(16).zip(ks) {
                let row: &mut [u8; 16] = row.try_into().expect("16-byte row");
                *row = bytemuck::cast(v128_xor(bytemuck::cast(*row), k));
            }
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let ks = self.four_blocks();
            for (row, k) in rest.chunks_mut(16).zip(ks) {
                let k: [u8; 16] = bytemuck::cast(k);
                for (b, k) in row.iter_mut().zip(k) {
                    *b ^= k;
                }
            }
        }
    }
}

impl Drop for ChaChaSimd {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}
