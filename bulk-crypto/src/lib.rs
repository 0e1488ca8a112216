//! The ciphers sshgate's bulk data goes through (ChaCha20 of chacha20-poly1305@openssh.com,
//! AES-GCM, AES-CTR), behind plain, non-generic functions and types.
//!
//! Why a crate of its own: RustCrypto's modes are generic (`StreamCipherCoreWrapper<..>`,
//! `AesGcm<Aes128, U12>`, `Ctr128BE<Aes128>`), and Rust compiles a generic in the crate that
//! names the concrete type. Named from the engine, they were compiled with the engine's
//! opt-level — "s" in the npm package's `wasm-release` profile — however their own crates
//! were built: ChaCha20's keystream code was not unrolled and even called an out-of-line
//! `copy_from_slice` for every 4-byte word. Named here, they are compiled with this crate's
//! opt-level (3 in `wasm-release`, see the workspace `Cargo.toml`): the client's CPU per GB of
//! a chacha20-poly1305 download fell by about 40 % (bench/README.md). Natively every crate is
//! at opt-level 3 already, so nothing changes there.
//!
//! Natively every function forwards to the RustCrypto crate. In a wasm build with SIMD128 on
//! (the npm package's), ChaCha20 runs four blocks at a time in `v128` lanes
//! (`chacha_simd128.rs`): RustCrypto has no wasm backend, and this is where a browser download
//! with chacha20-poly1305 spent half its time. It is tested against RustCrypto's output.

#![forbid(unsafe_code)]

mod aes_modes;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod chacha_simd128;

pub use aes_modes::{AesCtr, AesGcm, TAG_LEN};

use chacha20::ChaCha20Legacy;
use chacha20::cipher::array::Array;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

/// XORs `buf` with the ChaCha20 keystream (the original 64-bit nonce variant, as
/// chacha20-poly1305@openssh.com uses it) for `key` and `nonce`, from 64-byte block `block`.
pub fn chacha20_legacy_xor(key: &[u8; 32], nonce: [u8; 8], block: u64, buf: &mut [u8]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    chacha_simd128::ChaChaSimd::new(key, nonce, block).apply(buf);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    chacha20_legacy_xor_portable(key, nonce, block, buf);
}

/// XORs `keystream` into `data` (the shorter length of the two). Here rather than in the engine
/// so that it is compiled at this crate's opt-level and vectorised (the engine is built for size).
pub fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    for (d, k) in data.iter_mut().zip(keystream) {
        *d ^= k;
    }
}

/// The Poly1305 tag of `msg` under the one-time key `key` (RFC 8439 §2.5).
#[must_use]
pub fn poly1305(key: &[u8; 32], msg: &[u8]) -> [u8; 16] {
    use poly1305::universal_hash::KeyInit;
    poly1305::Poly1305::new(&Array::from(*key))
        .compute_unpadded(msg)
        .into()
}

/// RustCrypto's ChaCha20 (its SIMD backends natively, portable code elsewhere).
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
fn chacha20_legacy_xor_portable(key: &[u8; 32], nonce: [u8; 8], block: u64, buf: &mut [u8]) {
    let mut c = ChaCha20Legacy::new(&Array::from(*key), &Array::from(nonce));
    if block != 0 {
        c.seek(u128::from(block) * 64);
    }
    c.apply_keystream(buf);
}

#[cfg(test)]
mod tests;
