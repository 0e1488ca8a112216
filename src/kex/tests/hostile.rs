//! Malformed and hostile peer values: every one is refused with a clean error.

use super::*;
use crate::wire::{Reader, WireError};

fn bad_public(r: Result<impl Sized, KexError>) -> bool {
    matches!(r, Err(KexError::BadPublicValue(_)))
}

/// Runs `value` against both the server (as `e`) and a client (as `f`).
fn both_sides(alg: KexAlg, group: Option<&DhGroup>, value: &[u8]) -> [Result<(), KexError>; 2] {
    let server = server_exchange(alg, group, value, &mut rng(1)).map(|_| ());
    let client = ClientEphemeral::generate(alg, group, &mut rng(2)).unwrap();
    [server, client.finish(value).map(|_| ())]
}

fn add_one(magnitude: &[u8]) -> Vec<u8> {
    let mut v = magnitude.to_vec();
    for b in v.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            return v;
        }
    }
    v.insert(0, 1);
    v
}

fn sub_one(magnitude: &[u8]) -> Vec<u8> {
    let mut v = magnitude.to_vec();
    for b in v.iter_mut().rev() {
        let (diff, borrow) = b.overflowing_sub(1);
        *b = diff;
        if !borrow {
            break;
        }
    }
    v
}

#[test]
fn dh_public_values_out_of_range_are_refused() {
    let gex = gex_group(KexAlg::DhGexSha256, 3072).unwrap();
    for (alg, group) in [
        (KexAlg::DhGroup14Sha256, None),
        (KexAlg::DhGroup14Sha1, None),
        (KexAlg::DhGroup1Sha1, None),
        (KexAlg::DhGroup16Sha512, None),
        (KexAlg::DhGexSha256, Some(&gex)),
    ] {
        let p = alg.dh_group(group).unwrap().p.clone();
        let p_minus_1 = sub_one(&p);
        let mut too_long = vec![0x01];
        too_long.extend(&p);
        for value in [
            vec![],
            vec![0],
            vec![1],
            vec![0, 0, 1],
            p_minus_1.clone(),
            p.clone(),
            add_one(&p),
            too_long,
            vec![0xff; p.len()],
            vec![0x55; 100_000],
        ] {
            for r in both_sides(alg, group, &value) {
                assert!(
                    bad_public(r),
                    "{alg:?}: {:02x?}... accepted",
                    &value[..value.len().min(4)]
                );
            }
        }
        // The edges just inside the range are fine.
        for value in [vec![2], sub_one(&p_minus_1)] {
            for r in both_sides(alg, group, &value) {
                r.unwrap();
            }
        }
    }
}

#[test]
fn dh_public_values_must_be_positive_minimal_mpints() {
    let decode = |bytes: &[u8]| {
        decode_public(KexAlg::DhGroup14Sha256, &mut Reader::new(bytes)).map(<[u8]>::to_vec)
    };
    assert_eq!(decode(&[0, 0, 0, 2, 0, 0x80]), Ok(vec![0x80]));
    assert!(matches!(
        decode(&[0, 0, 0, 1, 0x80]),
        Err(WireError::Invalid(_))
    ));
    assert!(matches!(
        decode(&[0, 0, 0, 2, 0, 0x01]),
        Err(WireError::Invalid(_))
    ));
    assert!(matches!(
        decode(&[0, 0, 0, 9, 1]),
        Err(WireError::Truncated(_))
    ));
    assert_eq!(decode(&[0, 0, 0, 0]), Ok(vec![]));
    // String methods take the bytes as they are.
    let s = decode_public(
        KexAlg::Curve25519Sha256,
        &mut Reader::new(&[0, 0, 0, 2, 0, 0x80]),
    );
    assert_eq!(s, Ok(&[0, 0x80][..]));
}

#[test]
fn nist_points_must_be_uncompressed_on_the_curve_and_not_the_identity() {
    for (alg, field) in [
        (KexAlg::EcdhSha2Nistp256, 32),
        (KexAlg::EcdhSha2Nistp384, 48),
        (KexAlg::EcdhSha2Nistp521, 66),
    ] {
        let good = ClientEphemeral::generate(alg, None, &mut rng(9))
            .unwrap()
            .public()
            .to_vec();
        assert_eq!(good.len(), 1 + 2 * field);
        let mut off_curve = good.clone();
        *off_curve.last_mut().unwrap() ^= 1;
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x05;
        let mut compressed = good[..1 + field].to_vec();
        compressed[0] = 0x02 | (good[2 * field] & 1);
        let mut zeros = vec![0u8; 1 + 2 * field];
        zeros[0] = 0x04;
        for value in [
            vec![],
            vec![0x00], // SEC1 identity
            zeros,
            good[..good.len() - 1].to_vec(),
            [&good[..], &[0]].concat(),
            good[1..].to_vec(),
            off_curve,
            wrong_tag,
            compressed,
            vec![0x04; 1 + 2 * field],
        ] {
            for r in both_sides(alg, None, &value) {
                assert!(
                    bad_public(r),
                    "{alg:?}: {:02x?}... accepted",
                    &value[..value.len().min(4)]
                );
            }
        }
        for r in both_sides(alg, None, &good) {
            r.unwrap();
        }
    }
}

/// Low-order points (and non-canonical encodings of them) on Curve25519 and its twist.
const LOW_ORDER: [&str; 7] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

#[test]
fn x25519_low_order_points_give_degenerate_secrets() {
    for alg in [KexAlg::Curve25519Sha256, KexAlg::Curve25519Sha256Libssh] {
        for point in LOW_ORDER {
            for r in both_sides(alg, None, &hex(point)) {
                assert_eq!(r, Err(KexError::DegenerateSecret), "{alg:?} {point}");
            }
        }
        for len in [0, 31, 33, 64] {
            for r in both_sides(alg, None, &vec![9; len]) {
                assert!(bad_public(r), "{alg:?}: {len} bytes accepted");
            }
        }
    }
}

#[test]
fn mlkem_hybrid_refuses_wrong_lengths_bad_keys_and_degenerate_x25519() {
    let alg = KexAlg::MlKem768X25519Sha256;
    let client = ClientEphemeral::generate(alg, None, &mut rng(5)).unwrap();
    let c_init = client.public().to_vec();
    let (s_reply, _) = server_exchange(alg, None, &c_init, &mut rng(6)).unwrap();

    for len in [0, 32, 1184, 1215, 1217, 1120, 4096] {
        assert!(
            bad_public(server_exchange(alg, None, &vec![0; len], &mut rng(1))),
            "{len}"
        );
    }
    for len in [0, 32, 1088, 1119, 1121, 1216] {
        let client = ClientEphemeral::generate(alg, None, &mut rng(5)).unwrap();
        assert!(bad_public(client.finish(&vec![0; len])), "{len}");
    }
    // An encapsulation key whose coefficients are not reduced mod q fails FIPS 203's check.
    let mut unreduced = c_init.clone();
    unreduced[..1184].fill(0xff);
    assert!(bad_public(server_exchange(
        alg,
        None,
        &unreduced,
        &mut rng(1)
    )));
    // An all-zero X25519 share is refused on either side.
    for point in LOW_ORDER {
        let mut c = c_init.clone();
        c[1184..].copy_from_slice(&hex(point));
        let r = server_exchange(alg, None, &c, &mut rng(1)).map(|_| ());
        assert_eq!(r, Err(KexError::DegenerateSecret));
        let mut s = s_reply.clone();
        s[1088..].copy_from_slice(&hex(point));
        let client = ClientEphemeral::generate(alg, None, &mut rng(5)).unwrap();
        assert_eq!(
            client.finish(&s).map(|_| ()),
            Err(KexError::DegenerateSecret)
        );
    }
    // A tampered ciphertext is not detectable (implicit rejection) but gives a different K.
    let mut tampered = s_reply.clone();
    tampered[0] ^= 1;
    let k_good = ClientEphemeral::generate(alg, None, &mut rng(5))
        .unwrap()
        .finish(&s_reply)
        .unwrap();
    let k_bad = ClientEphemeral::generate(alg, None, &mut rng(5))
        .unwrap()
        .finish(&tampered)
        .unwrap();
    assert_ne!(*k_good.encoded(), *k_bad.encoded());
}

#[test]
fn group_exchange_without_a_group_is_refused() {
    for alg in [KexAlg::DhGexSha256, KexAlg::DhGexSha1] {
        assert!(matches!(
            ClientEphemeral::generate(alg, None, &mut rng(1)),
            Err(KexError::BadGroup(_))
        ));
        let r = server_exchange(alg, None, &[2], &mut rng(1)).map(|_| ());
        assert!(matches!(r, Err(KexError::BadGroup(_))));
    }
}

#[test]
fn unusable_groups_are_refused_when_generating() {
    let g14 = DhGroup::choose(2048, 2048, 2048).unwrap();
    let cases = [
        DhGroup {
            p: vec![0xff; 64],
            g: vec![2],
        }, // 512 bits: too small to use
        DhGroup {
            p: vec![0xff; 1025],
            g: vec![2],
        }, // above MAX_GROUP_BITS
        DhGroup {
            p: [&g14.p[..255], &[0xfe]].concat(),
            g: vec![2],
        }, // even
        DhGroup {
            p: g14.p.clone(),
            g: vec![1],
        },
        DhGroup {
            p: g14.p.clone(),
            g: sub_one(&g14.p),
        },
        DhGroup {
            p: g14.p.clone(),
            g: vec![],
        },
    ];
    for group in &cases {
        let r = ClientEphemeral::generate(KexAlg::DhGexSha256, Some(group), &mut rng(1));
        assert!(
            matches!(r, Err(KexError::BadGroup(_))),
            "{} bits",
            group.bits()
        );
    }
}

/// A hostile server's group exchange: `p = a^2 + 1` (odd, 2049 bits, passes the client's group
/// checks, which do not test primality) and `f = a`, a square root of -1. `f` is in range, yet
/// `K = f^x` is 1, a, p-1 or p-a as x mod 4 is 0, 1, 2 or 3: over a few exponents both trivial
/// values come up, and both must be refused.
#[test]
fn a_group_exchange_that_makes_k_one_or_p_minus_one_is_refused() {
    let mut a = vec![0u8; 129];
    a[0] = 1; // 2^1024
    let mut p = vec![0u8; 257];
    p[0] = 1; // 2^2048 ...
    p[256] = 1; // ... + 1
    let group = DhGroup::from_server(&p, &[2], 2048, 8192).expect("passes the client's checks");
    let p_minus_1 = sub_one(&p);
    let (mut refused, mut accepted) = (0, 0);
    for seed in 0..24u8 {
        let client =
            ClientEphemeral::generate(KexAlg::DhGexSha256, Some(&group), &mut rng(seed)).unwrap();
        match client.finish(&a) {
            Err(KexError::DegenerateSecret) => refused += 1,
            Err(e) => panic!("seed {seed}: {e:?}"),
            Ok(k) => {
                let k = k.encoded();
                let k = &k[4..]; // the mpint's length
                let k = &k[usize::from(k.first() == Some(&0))..];
                assert!(
                    k != [1] && k != p_minus_1.as_slice(),
                    "seed {seed}: trivial K accepted"
                );
                accepted += 1;
            }
        }
    }
    // x mod 4 is spread over the seeds: half the exponents give 1 or p-1.
    assert!(
        refused >= 6 && accepted >= 6,
        "{refused} refused, {accepted} accepted"
    );
}
