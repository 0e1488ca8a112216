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
//! No cryptography is implemented here; every function forwards to the RustCrypto crate.

#![forbid(unsafe_code)]

mod aes_modes;

pub use aes_modes::{AesCtr, AesGcm, TAG_LEN};

use chacha20::ChaCha20Legacy;
use chacha20::cipher::array::Array;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

/// XORs `buf` with the ChaCha20 keystream (the original 64-bit nonce variant, as
/// chacha20-poly1305@openssh.com uses it) for `key` and `nonce`, from 64-byte block `block`.
pub fn chacha20_legacy_xor(key: &[u8; 32], nonce: [u8; 8], block: u64, buf: &mut [u8]) {
    let mut c = ChaCha20Legacy::new(&Array::from(*key), &Array::from(nonce));
    if block != 0 {
        c.seek(block * 64);
    }
    c.apply_keystream(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keystream is continuous across the block boundary whichever way it is asked for.
    #[test]
    fn chacha_blocks_join() {
        let key = [7u8; 32];
        let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut whole = [0u8; 192];
        chacha20_legacy_xor(&key, nonce, 0, &mut whole);
        let mut tail = [0u8; 128];
        chacha20_legacy_xor(&key, nonce, 1, &mut tail);
        assert_eq!(&whole[64..], &tail[..]);
    }

    /// draft-agl-tls-chacha20poly1305 / RFC 7539 A.1-style vector for the 64-bit nonce variant:
    /// all-zero key and nonce, first keystream bytes.
    #[test]
    fn chacha_zero_vector() {
        let mut ks = [0u8; 8];
        chacha20_legacy_xor(&[0; 32], [0; 8], 0, &mut ks);
        assert_eq!(ks, [0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]);
    }
}
