//! Known answers: RFC 7748 X25519, RFC 5903 P-256/P-384, ML-KEM-768 from a fixed seed, and
//! the exchange hash and key derivation recomputed by hand from `sha1`/`sha2`.

use super::*;
use sha2::Digest;

// RFC 7748 §6.1.
const ALICE: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUB: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUB: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const X25519_K: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

fn x25519_key(private: &str) -> ([u8; 32], ecdh::X25519Secret) {
    ecdh::X25519Secret::from_bytes(hex(private).try_into().unwrap())
}

#[test]
fn rfc7748_x25519_both_directions() {
    let (alice_pub, alice) = x25519_key(ALICE);
    let (bob_pub, bob) = x25519_key(BOB);
    assert_eq!(alice_pub.to_vec(), hex(ALICE_PUB));
    assert_eq!(bob_pub.to_vec(), hex(BOB_PUB));
    assert_eq!(*alice.agree(&hex(BOB_PUB)).unwrap(), hex(X25519_K));
    assert_eq!(*bob.agree(&hex(ALICE_PUB)).unwrap(), hex(X25519_K));

    // Through the public API: K is the output read as a big-endian mpint (RFC 8731 §3.1).
    let (public, secret) = x25519_key(ALICE);
    let client = ClientEphemeral {
        public: public.to_vec(),
        secret: ClientSecret::X25519(secret),
    };
    let k = client.finish(&hex(BOB_PUB)).unwrap();
    let mut expected = vec![0, 0, 0, 32];
    expected.extend(hex(X25519_K));
    assert_eq!(*k.encoded(), expected);
}

#[test]
fn x25519_k_with_the_top_bit_set_gets_a_zero_byte_and_leading_zeros_go() {
    let (mut top_bit, mut leading_zero) = (false, false);
    let mut r = rng(42);
    for _ in 0..4096 {
        let (public, secret) = ecdh::X25519Secret::generate(&mut r);
        let client = ClientEphemeral {
            public: public.to_vec(),
            secret: ClientSecret::X25519(secret),
        };
        let k = client.finish(&hex(BOB_PUB)).unwrap();
        let raw = k.bytes.to_vec();
        let encoded = k.encoded();
        if raw[0] >= 0x80 && !top_bit {
            top_bit = true;
            let mut expected = vec![0, 0, 0, 33, 0];
            expected.extend(&raw);
            assert_eq!(*encoded, expected);
        }
        if raw[0] == 0 && raw[1] != 0 && raw[1] < 0x80 && !leading_zero {
            leading_zero = true;
            let mut expected = vec![0, 0, 0, 31];
            expected.extend(&raw[1..]);
            assert_eq!(*encoded, expected);
        }
        if top_bit && leading_zero {
            return;
        }
    }
    panic!("no shared secret with the top bit set and one with a leading zero byte");
}

// RFC 5903 §8.1 (P-256) and §8.2 (P-384): (i, gix, giy, r, grx, gry, girx).
const P256: [&str; 7] = [
    "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
    "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
    "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
    "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
    "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
    "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
    "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
];
const P384: [&str; 7] = [
    "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655
     E35B5380 41E649EE 3FAEF896 783AB194",
    "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6
     DE3AC808 ACB4BDB4 C88732AE E95F41AA",
    "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E
     EB9FCFF3 C2C947DA E69B4C63 4573A81C",
    "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942
     E0308312 916B8ED2 960E4BD5 5A7448FC",
    "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D
     0D1AC43A 0336DEF9 6FDA41D0 774A3571",
    "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF
     F83FA401 42209DFF 5EAAD96D B9E6386C",
    "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4
     D6031355 69B9E9D0 9CF5D4A2 70F59746",
];

fn point(x: &str, y: &str) -> Vec<u8> {
    let mut p = vec![0x04];
    p.extend(hex(x));
    p.extend(hex(y));
    p
}

#[test]
fn rfc5903_ecdh_vectors() {
    for (curve, v) in [(ecdh::Curve::P256, P256), (ecdh::Curve::P384, P384)] {
        let (gi, initiator) = ecdh::NistSecret::from_scalar_bytes(curve, &hex(v[0])).unwrap();
        let (gr, responder) = ecdh::NistSecret::from_scalar_bytes(curve, &hex(v[3])).unwrap();
        assert_eq!(gi, point(v[1], v[2]), "{curve:?} g^i");
        assert_eq!(gr, point(v[4], v[5]), "{curve:?} g^r");
        assert_eq!(
            *responder.agree(&gi).unwrap(),
            hex(v[6]),
            "{curve:?} responder"
        );
        let client = ClientEphemeral {
            public: gi,
            secret: ClientSecret::Nist(initiator),
        };
        let k = client.finish(&gr).unwrap();
        // K is the X coordinate as an mpint; both start with a byte below 0x80 except P-256's.
        assert_eq!(*k.encoded(), ssh_mpint(&hex(v[6])), "{curve:?} K");
    }
    // P-256's girx starts with 0xD6: its mpint carries a zero byte.
    assert_eq!(ssh_mpint(&hex(P256[6]))[..6], [0, 0, 0, 33, 0, 0xD6]);
}

#[test]
fn mlkem768_key_from_seed_matches_the_published_example() {
    // draft-ietf-lamps-kyber-certificates example (as shipped in the ml-kem crate's tests):
    // seed 00 01 .. 3f; SHA-256 of the 1184-byte encapsulation key from its SPKI.
    let seed: [u8; 64] = core::array::from_fn(|i| i as u8);
    let (c_init, _) = mlkem::HybridSecret::from_seeds(&seed, hex(ALICE).try_into().unwrap());
    assert_eq!(c_init.len(), 1184 + 32);
    let (ek, x) = c_init.split_at(1184);
    assert_eq!(ek[..16], hex("298aa10d423c8dda069d02bc59e6cdf0"));
    assert_eq!(
        sha2::Sha256::digest(ek).to_vec(),
        hex("0b7934c83125c788995e2ba6bd761e33046b3e40571be53e023309a29f398cc9")
    );
    assert_eq!(x, hex(ALICE_PUB));
}

#[test]
fn mlkem768x25519_combines_as_the_draft_says() {
    use ml_kem::{Encapsulate, KeyExport, ml_kem_768::EncapsulationKey};
    let seed: [u8; 64] = core::array::from_fn(|i| 0x40 + i as u8);
    let (c_init, secret) = mlkem::HybridSecret::from_seeds(&seed, hex(ALICE).try_into().unwrap());
    // Server side by hand: encapsulate with fixed randomness, reply with Bob's X25519 key.
    let ek = mlkem::decapsulation_key_from_seed(&seed)
        .encapsulation_key()
        .clone();
    assert_eq!(ek.to_bytes().as_slice(), &c_init[..1184]);
    let ek = EncapsulationKey::new(&ek.to_bytes()).unwrap();
    let (ct, kem_ss) = ek.encapsulate_deterministic(&[0x5a; 32].into());
    let mut s_reply = ct.to_vec();
    s_reply.extend(hex(BOB_PUB));
    assert_eq!(s_reply.len(), 1088 + 32);

    let mut expected = sha2::Sha256::new();
    expected.update(kem_ss.as_slice());
    expected.update(hex(X25519_K));
    let expected = expected.finalize().to_vec();

    let client = ClientEphemeral {
        public: c_init.clone(),
        secret: ClientSecret::MlKem(Box::new(secret)),
    };
    let k = client.finish(&s_reply).unwrap();
    assert_eq!(*k.encoded(), ssh_string(&expected));

    // And the server path, with its own randomness, lands on what the client decapsulates.
    let (reply, k_server) =
        server_exchange(KexAlg::MlKem768X25519Sha256, None, &c_init, &mut rng(1)).unwrap();
    let (_, secret) = mlkem::HybridSecret::from_seeds(&seed, hex(ALICE).try_into().unwrap());
    assert_eq!(
        *secret.decapsulate(&reply).unwrap(),
        k_server.bytes.to_vec()
    );
    let _ = ek.encapsulate_with_rng(&mut rng(2)); // the crate's randomized path also works
}

/// RFC 4253 §7.2 by hand with a given digest.
fn reference_kdf<D: Digest>(k: &[u8], h: &[u8], letter: u8, sid: &[u8], len: usize) -> Vec<u8> {
    let mut out = D::new()
        .chain_update(k)
        .chain_update(h)
        .chain_update([letter])
        .chain_update(sid)
        .finalize()
        .to_vec();
    while out.len() < len {
        let next = D::new()
            .chain_update(k)
            .chain_update(h)
            .chain_update(&out)
            .finalize();
        out.extend_from_slice(&next);
    }
    out.truncate(len);
    out
}

#[test]
fn derive_key_matches_rfc4253_by_hand() {
    let raw = hex(P256[6]); // top bit set: the mpint gets a zero byte
    let k = SharedSecret::mpint(Zeroizing::new(raw.clone()));
    let k_mpint = ssh_mpint(&raw);
    let ks = SharedSecret::string(Zeroizing::new(raw.clone()));
    let k_string = ssh_string(&raw);
    let h: Vec<u8> = (0..32).collect();
    let sid: Vec<u8> = (100..164).collect();
    for len in [0, 1, 16, 20, 32, 33, 64, 80, 129] {
        for letter in [b'A', b'F'] {
            let got = |alg, k| derive_key(alg, k, &h, letter, &sid, len).to_vec();
            assert_eq!(
                got(HashAlg::Sha1, &k),
                reference_kdf::<sha1::Sha1>(&k_mpint, &h, letter, &sid, len)
            );
            assert_eq!(
                got(HashAlg::Sha256, &k),
                reference_kdf::<sha2::Sha256>(&k_mpint, &h, letter, &sid, len)
            );
            assert_eq!(
                got(HashAlg::Sha384, &k),
                reference_kdf::<sha2::Sha384>(&k_mpint, &h, letter, &sid, len)
            );
            assert_eq!(
                got(HashAlg::Sha512, &k),
                reference_kdf::<sha2::Sha512>(&k_mpint, &h, letter, &sid, len)
            );
            assert_eq!(
                got(HashAlg::Sha256, &ks),
                reference_kdf::<sha2::Sha256>(&k_string, &h, letter, &sid, len)
            );
        }
    }
    // The session id matters only for the first block's input, H for all.
    let a = derive_key(HashAlg::Sha256, &k, &h, b'A', &sid, 64);
    let b = derive_key(HashAlg::Sha256, &k, &h, b'A', &h, 64);
    assert_ne!(a[..32], b[..32]);
}

#[test]
fn exchange_hash_matches_rfc4253_rfc4419_and_rfc5656_by_hand() {
    let (v_c, v_s, i_c, i_s, k_s) = (b"SSH-2.0-a", b"SSH-2.0-b", b"\x14ic", b"\x14is", b"host");
    let prefix = [&v_c[..], v_s, i_c, i_s, k_s]
        .iter()
        .flat_map(|b| ssh_string(b))
        .collect::<Vec<u8>>();
    let k_raw = hex(P256[6]);

    // curve25519/ECDH: string Q_C, string Q_S, mpint K.
    let k = SharedSecret::mpint(Zeroizing::new(k_raw.clone()));
    let (e, f) = (hex(ALICE_PUB), hex(BOB_PUB));
    let input = ExchangeHashInput {
        v_c,
        v_s,
        i_c,
        i_s,
        k_s,
        gex: None,
        e: &e,
        f: &f,
        k: &k,
    };
    let mut m = prefix.clone();
    m.extend(ssh_string(&e));
    m.extend(ssh_string(&f));
    m.extend(ssh_mpint(&k_raw));
    assert_eq!(
        exchange_hash(KexAlg::Curve25519Sha256, &input),
        sha2::Sha256::digest(&m).to_vec()
    );
    assert_eq!(
        exchange_hash(KexAlg::EcdhSha2Nistp384, &input),
        sha2::Sha384::digest(&m).to_vec()
    );

    // GEX: uint32 min, n, max, mpint p, g, then mpint e, f, K.
    let group = DhGroup::choose(2048, 2048, 8192).unwrap();
    let (e, f) = (vec![0x80, 1, 2], vec![0x7f, 3]);
    let gex = Some(GexParams {
        min: 1024,
        n: 2048,
        max: 8192,
        group,
    });
    let input = ExchangeHashInput {
        v_c,
        v_s,
        i_c,
        i_s,
        k_s,
        gex,
        e: &e,
        f: &f,
        k: &k,
    };
    let mut m = prefix.clone();
    for v in [1024u32, 2048, 8192] {
        m.extend(v.to_be_bytes());
    }
    m.extend(ssh_mpint(&group.p));
    m.extend([0, 0, 0, 1, 2]);
    m.extend([0, 0, 0, 4, 0, 0x80, 1, 2]);
    m.extend([0, 0, 0, 2, 0x7f, 3]);
    m.extend(ssh_mpint(&k_raw));
    assert_eq!(
        exchange_hash(KexAlg::DhGexSha256, &input),
        sha2::Sha256::digest(&m).to_vec()
    );
    assert_eq!(
        exchange_hash(KexAlg::DhGexSha1, &input),
        sha1::Sha1::digest(&m).to_vec()
    );

    // mlkem768x25519: string C_INIT, string S_REPLY, string K.
    let k = SharedSecret::string(Zeroizing::new(k_raw.clone()));
    let (e, f) = (vec![0x80; 1216], vec![0; 1120]);
    let input = ExchangeHashInput {
        v_c,
        v_s,
        i_c,
        i_s,
        k_s,
        gex: None,
        e: &e,
        f: &f,
        k: &k,
    };
    let mut m = prefix.clone();
    m.extend(ssh_string(&e));
    m.extend(ssh_string(&f));
    m.extend(ssh_string(&k_raw));
    assert_eq!(
        exchange_hash(KexAlg::MlKem768X25519Sha256, &input),
        sha2::Sha256::digest(&m).to_vec()
    );
}
