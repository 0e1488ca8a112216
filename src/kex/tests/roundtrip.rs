//! Client and server exchanges for every method agree on `K`, `H` and the derived keys.

use super::*;
use crate::wire::Reader;

/// `(client public length, server public length)` for the fixed-size methods.
fn public_lens(alg: KexAlg) -> Option<(usize, usize)> {
    match alg {
        KexAlg::MlKem768X25519Sha256 => Some((1184 + 32, 1088 + 32)),
        KexAlg::Curve25519Sha256 | KexAlg::Curve25519Sha256Libssh => Some((32, 32)),
        KexAlg::EcdhSha2Nistp256 => Some((65, 65)),
        KexAlg::EcdhSha2Nistp384 => Some((97, 97)),
        KexAlg::EcdhSha2Nistp521 => Some((133, 133)),
        _ => None,
    }
}

/// Sends a public value through `encode_public` / `decode_public`, as the messages carry it.
fn over_the_wire(alg: KexAlg, public: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    encode_public(alg, public, &mut w);
    let bytes = w.into_vec();
    let mut r = Reader::new(&bytes);
    let out = decode_public(alg, &mut r).unwrap().to_vec();
    r.finish().unwrap();
    out
}

fn hash_input<'a>(
    gex: Option<GexParams<'a>>,
    e: &'a [u8],
    f: &'a [u8],
    k: &'a SharedSecret,
) -> ExchangeHashInput<'a> {
    ExchangeHashInput {
        v_c: b"SSH-2.0-sshgate_client",
        v_s: b"SSH-2.0-sshgate_server",
        i_c: b"\x14client kexinit",
        i_s: b"\x14server kexinit",
        k_s: b"\x00\x00\x00\x0bssh-ed25519 host key blob",
        gex,
        e,
        f,
        k,
    }
}

#[test]
fn every_method_agrees_on_k_h_and_keys() {
    for (i, &alg) in KexAlg::ALL.iter().enumerate() {
        let group = gex_group(alg, 3072);
        let (mut c_rng, mut s_rng) = (rng(2 * i as u8), rng(2 * i as u8 + 1));
        let client = ClientEphemeral::generate(alg, group.as_ref(), &mut c_rng).unwrap();
        let e = over_the_wire(alg, client.public());
        assert_eq!(e, client.public(), "{alg:?}: e changed on the wire");
        let (f, k_server) = server_exchange(alg, group.as_ref(), &e, &mut s_rng).unwrap();
        let f = over_the_wire(alg, &f);
        let k_client = client.finish(&f).unwrap();

        if let Some((e_len, f_len)) = public_lens(alg) {
            assert_eq!((e.len(), f.len()), (e_len, f_len), "{alg:?}");
        } else {
            let p_len = match alg {
                KexAlg::DhGroup16Sha512 => 512,
                KexAlg::DhGroup14Sha256 | KexAlg::DhGroup14Sha1 => 256,
                KexAlg::DhGroup1Sha1 => 128,
                _ => group.as_ref().unwrap().p.len(),
            };
            assert!(
                e.len() <= p_len && e.len() > p_len - 8,
                "{alg:?}: e is {} bytes",
                e.len()
            );
            assert!(
                f.len() <= p_len && f.len() > p_len - 8,
                "{alg:?}: f is {} bytes",
                f.len()
            );
            assert_ne!(e, f);
        }
        assert_eq!(
            *k_client.encoded(),
            *k_server.encoded(),
            "{alg:?}: K differs"
        );

        let gex = group.as_ref().map(gex_params);
        let h_client = exchange_hash(alg, &hash_input(gex, &e, &f, &k_client));
        let gex = group.as_ref().map(gex_params);
        let h_server = exchange_hash(alg, &hash_input(gex, &e, &f, &k_server));
        assert_eq!(h_client, h_server, "{alg:?}: H differs");
        assert_eq!(h_client.len(), alg.hash().output_len());

        let mut seen = Vec::new();
        for letter in b'A'..=b'F' {
            for len in [12, 16, 32, 64, 100] {
                let a = derive_key(alg.hash(), &k_client, &h_client, letter, &h_client, len);
                let b = derive_key(alg.hash(), &k_server, &h_server, letter, &h_server, len);
                assert_eq!(*a, *b, "{alg:?}: key {} differs", letter as char);
                assert_eq!(a.len(), len);
            }
            let key = derive_key(alg.hash(), &k_client, &h_client, letter, &h_client, 32);
            assert!(!seen.contains(&*key), "{alg:?}: two letters gave one key");
            seen.push(key.to_vec());
        }
    }
}

fn gex_params(group: &DhGroup) -> GexParams<'_> {
    GexParams {
        min: 2048,
        n: 3072,
        max: 8192,
        group,
    }
}

#[test]
fn k_is_a_string_only_for_the_mlkem_hybrid() {
    for (i, &alg) in KexAlg::ALL.iter().enumerate() {
        let group = gex_group(alg, 2048);
        let (_, _, k, _) = exchange(alg, group.as_ref(), &mut rng(100 + i as u8), &mut rng(200));
        let encoded = k.encoded();
        if alg == KexAlg::MlKem768X25519Sha256 {
            assert_eq!(encoded[..4], [0, 0, 0, 32]);
            assert_eq!(encoded.len(), 36);
        } else {
            assert_eq!(*encoded, ssh_mpint(&k.bytes), "{alg:?}");
        }
    }
}

#[test]
fn fixed_seeds_replay_the_exchange_and_other_seeds_do_not() {
    for &alg in KexAlg::ALL {
        let group = gex_group(alg, 2048);
        let g = group.as_ref();
        let (e1, f1, k1, _) = exchange(alg, g, &mut rng(7), &mut rng(8));
        let (e2, f2, k2, _) = exchange(alg, g, &mut rng(7), &mut rng(8));
        let (e3, f3, k3, _) = exchange(alg, g, &mut rng(9), &mut rng(10));
        assert_eq!(
            (&e1, &f1, &*k1.encoded()),
            (&e2, &f2, &*k2.encoded()),
            "{alg:?}"
        );
        assert_ne!(e1, e3, "{alg:?}");
        assert_ne!(f1, f3, "{alg:?}");
        assert_ne!(*k1.encoded(), *k3.encoded(), "{alg:?}");
    }
}

#[test]
fn group_exchange_works_with_every_shipped_size() {
    for (n, expected_len) in [
        (2048, 256),
        (3072, 384),
        (4096, 512),
        (6144, 768),
        (8192, 1024),
    ] {
        let group = gex_group(KexAlg::DhGexSha256, n).unwrap();
        assert_eq!(group.bits(), n);
        let (e, f, kc, ks) = exchange(KexAlg::DhGexSha1, Some(&group), &mut rng(1), &mut rng(2));
        assert_eq!(*kc.encoded(), *ks.encoded(), "{n}");
        assert!(e.len() <= expected_len && f.len() <= expected_len);
        assert!(e.len() > expected_len - 4 && f.len() > expected_len - 4);
    }
}

#[test]
fn fixed_group_methods_ignore_a_passed_group() {
    let other = DhGroup::choose(4096, 4096, 4096).unwrap();
    let client =
        ClientEphemeral::generate(KexAlg::DhGroup14Sha256, Some(other), &mut rng(3)).unwrap();
    // A 2048-bit public value: group14 was used, not the 4096-bit group.
    assert!(client.public().len() <= 256);
}

#[test]
fn names_round_trip_and_classify() {
    for &alg in KexAlg::ALL {
        assert_eq!(KexAlg::from_name(alg.name()), Some(alg));
        assert_eq!(alg.is_legacy(), alg.hash() == HashAlg::Sha1, "{alg:?}");
    }
    assert_eq!(
        KexAlg::from_name("diffie-hellman-group1-sha1"),
        Some(KexAlg::DhGroup1Sha1)
    );
    assert!(KexAlg::DhGroup1Sha1.is_legacy());
    assert_eq!(KexAlg::from_name("diffie-hellman-group18-sha512"), None);
    assert_eq!(KexAlg::from_name(""), None);
    let gex: Vec<_> = KexAlg::ALL
        .iter()
        .filter(|a| a.is_group_exchange())
        .collect();
    assert_eq!(gex, [&KexAlg::DhGexSha256, &KexAlg::DhGexSha1]);
    assert_eq!(KexAlg::EcdhSha2Nistp384.hash(), HashAlg::Sha384);
    assert_eq!(KexAlg::EcdhSha2Nistp521.hash(), HashAlg::Sha512);
    assert_eq!(KexAlg::DhGroup16Sha512.hash(), HashAlg::Sha512);
    assert_eq!(KexAlg::MlKem768X25519Sha256.hash(), HashAlg::Sha256);
    assert_eq!(KexAlg::DhGroup14Sha256.hash(), HashAlg::Sha256);
}
