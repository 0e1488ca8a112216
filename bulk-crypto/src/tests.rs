//! ChaCha20 checked against RustCrypto's output (differential, on seeded random inputs) and the
//! published vectors. Run natively by `cargo test` and in wasm with SIMD128 in Node and Chromium
//! by scripts/test.sh, where `chacha20_legacy_xor` is the `v128` kernel.

use super::*;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// xorshift64*: reproducible "random" inputs without an entropy source (a failure names its seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.next() as u8;
        }
    }
}

/// RustCrypto's ChaCha20 (legacy nonce) as the reference.
fn reference(key: &[u8; 32], nonce: [u8; 8], block: u64, buf: &mut [u8]) {
    let mut c = ChaCha20Legacy::new(&Array::from(*key), &Array::from(nonce));
    c.seek(u128::from(block) * 64);
    c.apply_keystream(buf);
}

/// Every length from 0 to 1100 bytes (partial rows, blocks and four-block groups), random keys,
/// nonces, data and starting blocks, against RustCrypto.
#[test]
fn chacha_matches_rustcrypto_every_length() {
    let mut rng = Rng(0x5eed_c4ac_4a20_0001);
    for len in 0..1100 {
        let mut key = [0u8; 32];
        rng.fill(&mut key);
        let nonce = rng.next().to_le_bytes();
        let block = rng.next() % 1000;
        let mut data = vec![0u8; len];
        rng.fill(&mut data);
        let mut ours = data.clone();
        chacha20_legacy_xor(&key, nonce, block, &mut ours);
        reference(&key, nonce, block, &mut data);
        assert_eq!(ours, data, "length {len}, block {block}");
    }
}

/// SSH-sized packets (up to 256 KiB) and block numbers where the 64-bit counter's low word
/// carries into the high one inside a four-block group.
#[test]
fn chacha_matches_rustcrypto_large_and_carry() {
    let mut rng = Rng(0x5eed_c4ac_4a20_0002);
    let cases: [(usize, u64); 6] = [
        (32 * 1024 + 48, 1),
        (256 * 1024, 1),
        (1000, 0xffff_fffe),
        (513, 0xffff_ffff),
        (4096, 0x1_ffff_fffd),
        (77, u64::MAX - 8),
    ];
    for (len, block) in cases {
        let mut key = [0u8; 32];
        rng.fill(&mut key);
        let nonce = rng.next().to_le_bytes();
        let mut data = vec![0u8; len];
        rng.fill(&mut data);
        let mut ours = data.clone();
        chacha20_legacy_xor(&key, nonce, block, &mut ours);
        // RustCrypto's legacy variant refuses to run past its 64-bit counter's end; compare
        // only what it agrees to produce.
        let mut c = ChaCha20Legacy::new(&Array::from(key), &Array::from(nonce));
        if c.try_seek(u128::from(block) * 64).is_ok() && c.try_apply_keystream(&mut data).is_ok() {
            assert_eq!(ours, data, "length {len}, block {block:#x}");
        }
    }
}

/// The keystream is continuous across the block boundary whichever way it is asked for.
#[test]
fn chacha_blocks_join() {
    let key = [7u8; 32];
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
    let mut whole = [0u8; 320];
    chacha20_legacy_xor(&key, nonce, 0, &mut whole);
    let mut tail = [0u8; 256];
    chacha20_legacy_xor(&key, nonce, 1, &mut tail);
    assert_eq!(&whole[64..], &tail[..]);
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

/// draft-agl-tls-chacha20poly1305-04 §7 test vector 1: the all-zero key and nonce.
#[test]
fn chacha_draft_agl_vector_1() {
    let mut ks = [0u8; 64];
    chacha20_legacy_xor(&[0; 32], [0; 8], 0, &mut ks);
    let want = unhex(concat!(
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7",
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
    ));
    assert_eq!(ks[..], want[..]);
}

/// RFC 8439 §2.4.2 ("sunscreen", 114 bytes from block 1). The IETF layout's 32-bit counter and
/// first nonce word are the 64-bit counter of OpenSSH's layout: block = 1 | (nonce[0..4] << 32).
#[test]
fn chacha_rfc8439_sunscreen() {
    let key: [u8; 32] = core::array::from_fn(|i| i as u8);
    let mut text = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip \
for the future, sunscreen would be it."
        .to_vec();
    chacha20_legacy_xor(&key, [0, 0, 0, 0x4a, 0, 0, 0, 0], 1, &mut text);
    let want = unhex(concat!(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b",
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8",
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736",
        "5af90bbf74a35be6b40b8eedf2785e42874d"
    ));
    assert_eq!(text, want);
}

/// RFC 8439 §2.5.2: Poly1305 of "Cryptographic Forum Research Group".
#[test]
fn poly1305_rfc8439_vector() {
    let key: [u8; 32] = unhex(concat!(
        "85d6be7857556d337f4452fe42d506a8",
        "0103808afb0db2fd4abff6af4149f51b"
    ))
    .try_into()
    .expect("32 bytes");
    let tag = poly1305(&key, b"Cryptographic Forum Research Group");
    assert_eq!(tag[..], unhex("a8061dc1305136c6c22b8baf0c0127a9")[..]);
}

#[test]
fn xor_in_place_covers_the_shorter() {
    let mut data = [0xf0u8; 37];
    let ks: Vec<u8> = (0..33).collect();
    xor_in_place(&mut data, &ks);
    assert!(
        data[..33]
            .iter()
            .enumerate()
            .all(|(i, b)| *b == 0xf0 ^ i as u8)
    );
    assert!(data[33..].iter().all(|b| *b == 0xf0));
}

/// AES-CTR keystream from counter block `nonce ‖ 1` (32-bit counter), as a driver makes it for
/// one GCM packet (js/keystream.js with WebCrypto), here with RustCrypto's ctr crate.
fn gcm_keystream(key: &[u8], nonce: &[u8; 12], len: usize) -> Vec<u8> {
    use ctr::cipher::KeyIvInit as _;
    let mut iv = [0u8; 16];
    iv[..12].copy_from_slice(nonce);
    iv[15] = 1;
    let mut out = vec![0u8; len];
    match key.len() {
        16 => ctr::Ctr32BE::<aes::Aes128>::new_from_slices(key, &iv)
            .unwrap()
            .apply_keystream(&mut out),
        _ => ctr::Ctr32BE::<aes::Aes256>::new_from_slices(key, &iv)
            .unwrap()
            .apply_keystream(&mut out),
    }
    out
}

/// GCM with supplied keystream against aes-gcm's own (RustCrypto) on random keys, nonces and
/// every length up to 600 bytes and SSH-sized packets: same ciphertext, same tag, the other
/// direction opens, a wrong tag or short keystream is refused with the data untouched.
#[test]
fn gcm_with_keystream_matches_aes_gcm() {
    let mut rng = Rng(0x5eed_6c40_0000_0003);
    let lens = (0..600).chain([16 * 1024, 32 * 1024 + 29, 65_536 + 7]);
    for (i, len) in lens.enumerate() {
        let key_len = if i % 2 == 0 { 16 } else { 32 };
        let mut key = vec![0u8; key_len];
        rng.fill(&mut key);
        let mut nonce = [0u8; 12];
        rng.fill(&mut nonce);
        let aad = (rng.next() as u32).to_be_bytes();
        let mut data = vec![0u8; len];
        rng.fill(&mut data);
        let g = AesGcm::new(&key).unwrap();
        let mut reference = data.clone();
        let ref_tag = g.seal(&nonce, &aad, &mut reference);
        let ks = gcm_keystream(&key, &nonce, 16 + len);
        let mut ours = data.clone();
        let tag = g.seal_with_keystream(&aad, &mut ours, &ks).unwrap();
        assert_eq!(
            (ours.as_slice(), tag),
            (reference.as_slice(), ref_tag),
            "length {len}"
        );

        let mut opened = reference.clone();
        assert_eq!(
            g.open_with_keystream(&aad, &mut opened, &tag, &ks),
            Some(true)
        );
        assert_eq!(opened, data);
        let mut bad = tag;
        bad[len % 16] ^= 4;
        let mut kept = reference.clone();
        assert_eq!(
            g.open_with_keystream(&aad, &mut kept, &bad, &ks),
            Some(false)
        );
        assert_eq!(kept, reference);
        assert_eq!(
            g.open_with_keystream(&aad, &mut kept, &tag, &ks[..15 + len]),
            None
        );
        assert_eq!(kept, reference);
    }
}
