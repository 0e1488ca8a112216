//! The bulk primitives alone, as the engine calls them (`sshgate-bulk-crypto`): ChaCha20,
//! Poly1305, both as one AEAD-style pass (encrypt, then MAC the ciphertext, as libsodium's
//! `crypto_aead_chacha20poly1305_ietf_encrypt` does), AES-128-GCM, AES-128-CTR and HMAC-SHA-256
//! (the engine's `hmac` + `sha2`). Run in wasm by
//! `bench/wasm/primitives.mjs` beside libsodium.js and @noble/ciphers in the same Node, so the
//! browser build's raw speed is compared with the JavaScript world's best, message for message.

use crate::fixed_key;
use sshgate_bulk_crypto::{AesCtr, AesGcm, chacha20_legacy_xor, poly1305};

/// Runs `name` over `total_bytes` in messages of `message` bytes; returns a checksum (so the
/// work cannot be optimised away). Panics on an unknown name.
#[must_use]
pub fn primitive(name: &str, total_bytes: usize, message: usize) -> u64 {
    let n = total_bytes.div_ceil(message.max(1)).max(1);
    let mut buf: Vec<u8> = (0..message).map(|i| (i % 251) as u8).collect();
    let key32: [u8; 32] = fixed_key(32, 1).try_into().expect("32 bytes");
    let mut sum = 0u64;
    match name {
        "chacha20" => {
            for i in 0..n {
                chacha20_legacy_xor(&key32, (i as u64).to_be_bytes(), 1, &mut buf);
            }
        }
        "poly1305" => {
            for _ in 0..n {
                sum ^= u64::from(poly1305(&key32, &buf)[0]);
            }
        }
        "chacha20-poly1305" => {
            for i in 0..n {
                let nonce = (i as u64).to_be_bytes();
                let mut otk = [0u8; 32];
                chacha20_legacy_xor(&key32, nonce, 0, &mut otk);
                chacha20_legacy_xor(&key32, nonce, 1, &mut buf);
                sum ^= u64::from(poly1305(&otk, &buf)[0]);
            }
        }
        "aes128-gcm" => {
            let g = AesGcm::new(&key32[..16]).expect("key");
            for i in 0..n {
                let mut nonce = [0u8; 12];
                nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
                sum ^= u64::from(g.seal(&nonce, &[], &mut buf)[0]);
            }
        }
        "aes128-ctr" => {
            let mut c = AesCtr::new(&key32[..16], &[7; 16]).expect("key");
            for _ in 0..n {
                c.apply(&mut buf);
            }
        }
        "hmac-sha2-256" => {
            use hmac::{Hmac, KeyInit, Mac};
            let mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key32).expect("key");
            for _ in 0..n {
                let mut m = mac.clone();
                m.update(&buf);
                sum ^= u64::from(m.finalize().into_bytes()[0]);
            }
        }
        _ => panic!("unknown primitive {name}"),
    }
    sum ^ u64::from(buf[0]) ^ u64::from(buf[buf.len() - 1])
}
