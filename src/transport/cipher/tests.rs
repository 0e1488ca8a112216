use super::mac::MacState;
use super::modes::{CbcEnc, ChaChaPoly, CtrState, GcmState};
use super::*;
use crate::crypto::EngineRng;
use zeroize::Zeroizing;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn keys(cipher: CipherAlg, mac: Option<MacAlg>, salt: u8) -> DirectionKeys {
    let fill = |n: usize, b: u8| {
        Zeroizing::new(
            (0..n)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(b))
                .collect(),
        )
    };
    DirectionKeys {
        cipher,
        mac,
        key: fill(cipher.key_len(), salt),
        iv: fill(cipher.iv_len(), salt.wrapping_add(1)),
        mac_key: fill(mac.map_or(0, |m| m.key_len()), salt.wrapping_add(2)),
    }
}

/// The `packet_length` of a single sealed packet, read back by a fresh opener (the field itself
/// is encrypted in most modes).
fn sealed_len(k: &DirectionKeys, seq: u32, packet: &[u8], tag: usize) -> usize {
    let mut buf = packet.to_vec();
    let o = PacketOpener::new(k)
        .open(seq, &mut buf)
        .unwrap()
        .expect("complete packet");
    assert_eq!(o.consumed, packet.len());
    o.consumed - 4 - tag
}

fn combos() -> Vec<(CipherAlg, Option<MacAlg>)> {
    let mut v = Vec::new();
    for &c in CipherAlg::ALL {
        if c.is_aead() {
            v.push((c, None));
        } else {
            v.extend(MacAlg::ALL.iter().map(|&m| (c, Some(m))));
        }
    }
    v
}

/// Feeds `wire` to `opener` in chunks of `chunk` bytes, the way a socket would deliver it.
fn open_all(
    opener: &mut PacketOpener,
    wire: &[u8],
    chunk: usize,
    first_seq: u32,
) -> Result<Vec<Vec<u8>>, PacketError> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut seq = first_seq;
    for piece in wire.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(o) = opener.open(seq, &mut buf)? {
            out.push(buf[o.payload.clone()].to_vec());
            buf.drain(..o.consumed);
            seq += 1;
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    Ok(out)
}

#[test]
fn names_round_trip_and_sizes_are_consistent() {
    for &c in CipherAlg::ALL {
        assert_eq!(CipherAlg::from_name(c.name()), Some(c));
        assert!(c.block_size() == 8 || c.block_size() == 16);
    }
    for &m in MacAlg::ALL {
        assert_eq!(MacAlg::from_name(m.name()), Some(m));
        assert!(m.tag_len() <= m.key_len());
    }
    assert_eq!(CipherAlg::from_name("aes128-ctr "), None);
    assert_eq!(MacAlg::from_name("hmac-md5"), Some(MacAlg::HmacMd5));
    assert_eq!(MacAlg::from_name("hmac-md5-96"), Some(MacAlg::HmacMd5_96));
    assert_eq!(MacAlg::from_name("hmac-ripemd160"), None);
    // IOS names: accepted from users, never from or to a peer.
    assert_eq!(MacAlg::from_name("hmac-sha1-160"), Some(MacAlg::HmacSha1));
    assert_eq!(MacAlg::from_name("hmac-md5-128"), Some(MacAlg::HmacMd5));
    assert_eq!(MacAlg::from_wire_name("hmac-sha1-160"), None);
    assert_eq!(MacAlg::from_wire_name("hmac-md5-128"), None);
    for &(alias, m) in MacAlg::ALIASES {
        assert_ne!(m.name(), alias);
        assert!(MacAlg::ALL.iter().all(|a| a.name() != alias));
    }
    for m in [MacAlg::HmacMd5, MacAlg::HmacMd5_96] {
        assert!(m.is_legacy() && !m.is_etm() && m.key_len() == 16);
    }
    assert_eq!(MacAlg::HmacMd5_96.tag_len(), 12);
}

#[test]
fn every_cipher_and_mac_round_trips_in_any_chunking() {
    let sizes = [0usize, 1, 15, 16, 17, 255, 1000, 32768, 34000];
    for (cipher, mac) in combos() {
        let k = keys(cipher, mac, 7);
        let mut sealer = PacketSealer::new(&k);
        let mut rng = EngineRng::from_seed([1; 32]);
        let mut wire = Vec::new();
        let payloads: Vec<Vec<u8>> = sizes
            .iter()
            .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
            .collect();
        let first_seq = u32::MAX - 3; // crosses the 32-bit wrap
        for (i, p) in payloads.iter().enumerate() {
            let before = wire.len();
            sealer.seal(first_seq.wrapping_add(i as u32), p, &mut rng, &mut wire);
            let skip_len = cipher.is_aead() || mac.is_some_and(|m| m.is_etm());
            let align = if cipher == CipherAlg::ChaCha20Poly1305 {
                8
            } else {
                cipher.block_size().max(8)
            };
            let expected = 4
                + 1
                + p.len()
                + padding_len(p.len(), align, skip_len)
                + mac.map_or(16, |m| m.tag_len());
            assert_eq!(wire.len() - before, expected, "{} {:?}", cipher.name(), mac);
        }
        for chunk in [1usize, 7, 64, 4096, usize::MAX] {
            if chunk == 1 && cipher != CipherAlg::Aes128Ctr && cipher != CipherAlg::ChaCha20Poly1305
            {
                continue; // byte-at-a-time once per construction family is enough
            }
            let mut opener = PacketOpener::new(&k);
            let got = open_all_wrapping(&mut opener, &wire, chunk, first_seq).unwrap();
            assert_eq!(
                got,
                payloads,
                "{} {:?} chunk {chunk}",
                cipher.name(),
                mac.map(|m| m.name())
            );
        }
    }
}

fn open_all_wrapping(
    opener: &mut PacketOpener,
    wire: &[u8],
    chunk: usize,
    first_seq: u32,
) -> Result<Vec<Vec<u8>>, PacketError> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut seq = first_seq;
    for piece in wire.chunks(chunk.min(wire.len()).max(1)) {
        buf.extend_from_slice(piece);
        while let Some(o) = opener.open(seq, &mut buf)? {
            out.push(buf[o.payload.clone()].to_vec());
            buf.drain(..o.consumed);
            seq = seq.wrapping_add(1);
        }
    }
    Ok(out)
}

#[test]
fn padding_follows_rfc4253_alignment() {
    for (cipher, mac) in combos() {
        let k = keys(cipher, mac, 3);
        let mut rng = EngineRng::from_seed([2; 32]);
        let tag = mac.map_or(16, |m| m.tag_len());
        for n in 0..70 {
            let mut wire = Vec::new();
            PacketSealer::new(&k).seal(n as u32, &vec![0u8; n], &mut rng, &mut wire);
            let len = sealed_len(&k, n as u32, &wire, tag);
            let skip_len = cipher.is_aead() || mac.is_some_and(|m| m.is_etm());
            let covered = if skip_len { len } else { len + 4 };
            assert_eq!(
                covered % cipher.block_size().max(8),
                0,
                "{} {:?} n={n}",
                cipher.name(),
                mac
            );
            let pad = len - 1 - n;
            assert!((4..=255).contains(&pad), "padding {pad}");
        }
    }
    // cleartext too
    let mut s = PacketSealer::cleartext();
    let mut rng = EngineRng::from_seed([2; 32]);
    let mut wire = Vec::new();
    s.seal(0, b"abc", &mut rng, &mut wire);
    assert_eq!(wire.len() % 8, 0);
    let mut o = PacketOpener::cleartext();
    assert_eq!(
        open_all(&mut o, &wire, 3, 0).unwrap(),
        vec![b"abc".to_vec()]
    );
}

#[test]
fn wrong_sequence_number_fails_authentication() {
    // GCM does not use the sequence number: its nonce counter plays that part (RFC 5647 §7.1).
    for (cipher, mac) in combos()
        .into_iter()
        .filter(|(c, _)| !matches!(c, CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm))
    {
        let k = keys(cipher, mac, 9);
        let mut wire = Vec::new();
        PacketSealer::new(&k).seal(5, b"hello", &mut EngineRng::from_seed([0; 32]), &mut wire);
        let r = PacketOpener::new(&k).open(6, &mut wire.clone());
        assert!(
            !matches!(r, Ok(Some(_))),
            "{} {:?} accepted a replayed sequence number",
            cipher.name(),
            mac
        );
    }
}

#[test]
fn every_flipped_bit_is_refused_and_no_payload_escapes() {
    for (cipher, mac) in combos() {
        let k = keys(cipher, mac, 11);
        let mut wire = Vec::new();
        PacketSealer::new(&k).seal(
            1,
            &[0x42; 40],
            &mut EngineRng::from_seed([0; 32]),
            &mut wire,
        );
        for pos in 0..wire.len() {
            let mut t = wire.clone();
            t[pos] ^= 0x10;
            // plenty of trailing bytes so a corrupted length cannot simply wait
            t.extend(vec![0u8; 64 * 1024]);
            let r = PacketOpener::new(&k).open(1, &mut t);
            assert!(
                r.is_err(),
                "{} {:?}: flip at {pos} gave {r:?}",
                cipher.name(),
                mac.map(|m| m.name())
            );
            let e = r.unwrap_err();
            if pos >= 16 {
                assert_eq!(
                    e,
                    PacketError::MacMismatch,
                    "{} {:?} pos {pos}",
                    cipher.name(),
                    mac
                );
            }
        }
    }
}

#[test]
fn malformed_lengths_are_refused_without_allocating() {
    let cases: [(u32, u8); 6] = [
        (0, 4),
        (4, 4),
        (0xffff_ffff, 4),
        (MAX_PACKET_LEN as u32 + 8, 4),
        (13, 4),
        (12, 3),
    ];
    for (len, pad) in cases {
        let mut p = len.to_be_bytes().to_vec();
        p.push(pad);
        p.extend(vec![0u8; 64]);
        let r = PacketOpener::cleartext().open(0, &mut p);
        assert!(r.is_err(), "len {len} pad {pad}: {r:?}");
    }
    // padding_length longer than the packet
    let mut p = 12u32.to_be_bytes().to_vec();
    p.push(12);
    p.extend([0u8; 11]);
    assert_eq!(
        PacketOpener::cleartext().open(0, &mut p),
        Err(PacketError::BadPadding)
    );
    // a valid but incomplete packet waits
    let mut p = 12u32.to_be_bytes().to_vec();
    p.push(4);
    assert_eq!(PacketOpener::cleartext().open(0, &mut p), Ok(None));
}

// --- known answers ---

#[test]
fn hmac_known_answers_rfc4231_rfc2202() {
    // "what" doubles as the sequence number, so seq || data is the RFC's message.
    let seq = u32::from_be_bytes(*b"what");
    let data = b" do ya want for nothing?";
    let cases = [
        (
            MacAlg::HmacSha256,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            MacAlg::HmacSha512,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ),
        (MacAlg::HmacSha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (MacAlg::HmacSha1_96, "effcdf6ae5eb2fa2d27416d5"),
        (MacAlg::HmacMd5, "750c783e6ab0b503eaa86e310a5db738"),
        (MacAlg::HmacMd5_96, "750c783e6ab0b503eaa86e31"),
    ];
    for (alg, want) in cases {
        let m = MacState::new(alg, b"Jefe");
        let tag = m.tag(seq, data);
        assert_eq!(tag[..alg.tag_len()].to_vec(), hex(want), "{}", alg.name());
        assert!(m.verify(seq, data, &hex(want)));
    }
}

#[test]
fn aes_ctr_and_cbc_known_answers_sp800_38a() {
    let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
    let pt = hex("6bc1bee22e409f96e93d7e117393172a");
    let mut b = pt.clone();
    CtrState::new(
        CipherAlg::Aes128Ctr,
        &key,
        &hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
    )
    .unwrap()
    .apply(&mut b);
    assert_eq!(b, hex("874d6191b620e3261bef6864990db6ce"));
    let mut b = pt.clone();
    CbcEnc::new(
        CipherAlg::Aes128Cbc,
        &key,
        &hex("000102030405060708090a0b0c0d0e0f"),
    )
    .unwrap()
    .encrypt(&mut b);
    assert_eq!(b, hex("7649abac8119b246cee98e9b12e9197d"));
}

#[test]
fn triple_des_known_answer_sp800_67() {
    let key = hex("0123456789abcdef23456789abcdef01456789abcdef0123");
    let mut b = b"The qufck brown fox jump".to_vec();
    // CBC with a zero IV: the first block equals the ECB example.
    CbcEnc::new(CipherAlg::TripleDesCbc, &key, &[0; 8])
        .unwrap()
        .encrypt(&mut b);
    assert_eq!(b[..8].to_vec(), hex("a826fd8ce53b855f"));
}

#[test]
fn aes_gcm_known_answer_and_nonce_increment() {
    // McGrew & Viega GCM spec, test case 2.
    let mut g = GcmState::new(CipherAlg::Aes128Gcm, &[0; 16], &[0; 12]).unwrap();
    let mut body = [0u8; 16];
    let tag = g.seal(&[], &mut body);
    assert_eq!(body.to_vec(), hex("0388dace60b6a392f328c2b971b2fe78"));
    assert_eq!(tag.to_vec(), hex("ab6e47d42cec13bdf53a67b21257bddf"));
    // RFC 5647 §7.1: the invocation counter moved on, so the same input encrypts differently.
    let mut again = [0u8; 16];
    g.seal(&[], &mut again);
    assert_ne!(again, body);
}

#[test]
fn chacha20_poly1305_matches_an_independent_construction() {
    use chacha20::ChaCha20Legacy;
    use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
    use poly1305::Poly1305;
    use poly1305::universal_hash::KeyInit;
    let key: Vec<u8> = (0..64u8).collect();
    let seq = 7u32;
    let mut wire = Vec::new();
    let k = DirectionKeys {
        cipher: CipherAlg::ChaCha20Poly1305,
        mac: None,
        key: Zeroizing::new(key.clone()),
        iv: Zeroizing::new(vec![]),
        mac_key: Zeroizing::new(vec![]),
    };
    PacketSealer::new(&k).seal(
        seq,
        b"payload",
        &mut EngineRng::from_seed([0; 32]),
        &mut wire,
    );
    // Rebuild it from the primitives, straight from PROTOCOL.chacha20poly1305.
    let nonce = (seq as u64).to_be_bytes();
    let mut plain = wire.clone();
    let (k2, k1) = key.split_at(32);
    let mut hdr = ChaCha20Legacy::new(k1.try_into().unwrap(), &nonce.into());
    hdr.apply_keystream(&mut plain[..4]);
    let len = u32::from_be_bytes(plain[..4].try_into().unwrap()) as usize;
    assert_eq!(wire.len(), 4 + len + 16);
    let mut main = ChaCha20Legacy::new(k2.try_into().unwrap(), &nonce.into());
    let mut poly_key = [0u8; 32];
    main.apply_keystream(&mut poly_key);
    let tag = Poly1305::new(&poly_key.into()).compute_unpadded(&wire[..4 + len]);
    assert_eq!(tag.to_vec(), wire[4 + len..].to_vec());
    main.seek(64u64);
    main.apply_keystream(&mut plain[4..4 + len]);
    assert_eq!(&plain[5..12], b"payload");
    // and the opener agrees
    let mut o = PacketOpener::new(&k);
    let mut buf = wire.clone();
    let opened = o.open(seq, &mut buf).unwrap().unwrap();
    assert_eq!(&buf[opened.payload], b"payload");
    let _ = ChaChaPoly::new(&key).unwrap();
}

/// A payload sealed from pieces is the packet sealed from the whole payload, in every mode.
#[test]
fn sealing_from_parts_equals_sealing_the_whole() {
    let header = [94u8, 0, 0, 0, 7, 0, 0, 1, 44];
    let body: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    let whole = [&header[..], &body].concat();
    for (c, m) in combos() {
        let k = keys(c, m, 3);
        let (mut a, mut b) = (PacketSealer::new(&k), PacketSealer::new(&k));
        let (mut ra, mut rb) = (EngineRng::from_seed([9; 32]), EngineRng::from_seed([9; 32]));
        let (mut wa, mut wb) = (Vec::new(), Vec::new());
        for seq in 5..8 {
            a.seal(seq, &whole, &mut ra, &mut wa);
            b.seal_parts(seq, &[&header, &[], &body], &mut rb, &mut wb);
        }
        assert_eq!(wa, wb, "{c:?} {m:?}");
        let opened = open_all(&mut PacketOpener::new(&k), &wb, 1000, 5).unwrap();
        assert_eq!(opened, vec![whole.clone(); 3], "{c:?} {m:?}");
    }
}
