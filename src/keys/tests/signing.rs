//! Signing and verification for every algorithm, and the ways a signature must be refused.

use super::*;

const DATA: &[u8] = b"exchange hash H";

/// A different key of the same kind as `key`.
fn other_key(key: &PrivateKey) -> PublicKey {
    match key.kind() {
        KeyKind::Rsa(_) => PrivateKey::from_openssh(fixtures::RSA2048_FILE)
            .unwrap()
            .public(),
        kind => PrivateKey::generate(kind, &mut rng(99)).unwrap().public(),
    }
}

#[test]
fn every_alg_signs_and_verifies_and_refuses_wrong_data_and_other_keys() {
    let mut r = rng(2);
    for &alg in HostKeyAlg::ALL {
        let key = key_for(alg);
        let public = key.public();
        assert!(public.supports(alg));
        let sig = key.sign(alg, DATA, &mut r).unwrap();
        public.verify(alg, DATA, &sig).unwrap();
        assert_eq!(
            public.verify(alg, b"exchange hash X", &sig),
            Err(KeyError::BadSignature),
            "{alg:?}"
        );
        assert_eq!(
            other_key(&key).verify(alg, DATA, &sig),
            Err(KeyError::BadSignature),
            "{alg:?}"
        );
        let (name, _) = decode_signature_blob(&sig).unwrap();
        assert_eq!(name, alg.name());
    }
}

#[test]
fn every_flipped_bit_and_truncation_and_trailing_byte_is_refused() {
    let mut r = rng(3);
    for &alg in HostKeyAlg::ALL {
        let key = key_for(alg);
        let public = key.public();
        let sig = key.sign(alg, DATA, &mut r).unwrap();
        for i in 0..sig.len() {
            let mut bad = sig.clone();
            bad[i] ^= 1 << (i % 8);
            assert!(public.verify(alg, DATA, &bad).is_err(), "{alg:?} byte {i}");
            assert!(
                public.verify(alg, DATA, &sig[..i]).is_err(),
                "{alg:?} cut {i}"
            );
        }
        let mut long = sig.clone();
        long.push(0);
        assert!(public.verify(alg, DATA, &long).is_err(), "{alg:?} trailing");
    }
}

#[test]
fn the_name_in_the_blob_must_be_the_negotiated_one() {
    let mut r = rng(4);
    for &alg in HostKeyAlg::ALL {
        let key = key_for(alg);
        let public = key.public();
        let sig = key.sign(alg, DATA, &mut r).unwrap();
        let (_, raw) = decode_signature_blob(&sig).unwrap();
        for &other in HostKeyAlg::ALL.iter().filter(|&&o| o != alg) {
            // The same signature bytes under another name, checked both ways.
            let renamed = encode_signature_blob(other.name(), raw);
            assert!(
                public.verify(alg, DATA, &renamed).is_err(),
                "{alg:?}/{other:?}"
            );
            assert!(public.verify(other, DATA, &renamed).is_err(), "{other:?}");
            assert!(
                public.verify(other, DATA, &sig).is_err(),
                "{alg:?} as {other:?}"
            );
        }
        let odd = encode_signature_blob(&alg.name().to_uppercase(), raw);
        assert_eq!(public.verify(alg, DATA, &odd), Err(KeyError::BadSignature));
    }
}

#[test]
fn key_type_must_match_the_algorithm() {
    let mut r = rng(5);
    let ed = PrivateKey::generate(KeyKind::Ed25519, &mut r).unwrap();
    let sig = ed.sign(HostKeyAlg::SshEd25519, DATA, &mut r).unwrap();
    for &alg in &HostKeyAlg::ALL[1..] {
        assert!(!ed.public().supports(alg));
        assert!(matches!(
            ed.public().verify(alg, DATA, &sig),
            Err(KeyError::Unsupported(_))
        ));
        assert!(matches!(
            ed.sign(alg, DATA, &mut r),
            Err(KeyError::Unsupported(_))
        ));
    }
    let rsa = rsa_key().public();
    for alg in [
        HostKeyAlg::RsaSha2_512,
        HostKeyAlg::RsaSha2_256,
        HostKeyAlg::SshRsa,
    ] {
        assert!(rsa.supports(alg));
        assert_eq!(alg.key_type(), "ssh-rsa");
    }
    assert!(!rsa.supports(HostKeyAlg::SshEd25519));
}

#[test]
fn rsa_minimum_size_is_enforced_before_anything_else() {
    let mut r = rng(6);
    let key = rsa_key();
    let sig = key.sign(HostKeyAlg::RsaSha2_256, DATA, &mut r).unwrap();
    let public = key.public();
    assert_eq!(public.bits(), 2048);
    public
        .verify_with_min_rsa_bits(HostKeyAlg::RsaSha2_256, DATA, &sig, 2048)
        .unwrap();
    assert_eq!(
        public.verify_with_min_rsa_bits(HostKeyAlg::RsaSha2_256, DATA, &sig, 3072),
        Err(KeyError::TooSmall(2048))
    );
    assert_eq!(
        public.verify_with_min_rsa_bits(HostKeyAlg::RsaSha2_256, DATA, b"junk", 3072),
        Err(KeyError::TooSmall(2048))
    );
}

#[test]
fn rsa_signature_shorter_than_the_modulus_is_left_padded_longer_refused() {
    let mut r = rng(7);
    let key = rsa_key();
    let public = key.public();
    let alg = HostKeyAlg::RsaSha2_512;
    // PKCS#1 v1.5 is deterministic: vary the data until the signature starts with a zero byte.
    let (data, raw) = (0u32..20_000)
        .map(|i| i.to_be_bytes().to_vec())
        .find_map(|d| {
            let raw = key.sign_raw(alg.scheme(), &d, &mut r).unwrap();
            (raw[0] == 0).then_some((d, raw))
        })
        .expect("a signature with a leading zero byte");
    assert_eq!(raw.len(), 256);
    let short = encode_signature_blob(alg.name(), &raw[1..]);
    public.verify(alg, &data, &short).unwrap();
    let mut long = vec![0u8];
    long.extend_from_slice(&raw);
    let long = encode_signature_blob(alg.name(), &long);
    assert_eq!(
        public.verify(alg, &data, &long),
        Err(KeyError::BadSignature)
    );
    let empty = encode_signature_blob(alg.name(), &[]);
    assert_eq!(
        public.verify(alg, &data, &empty),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn ecdsa_zero_and_out_of_range_scalars_are_refused() {
    let mut r = rng(8);
    let key = PrivateKey::generate(KeyKind::EcdsaP256, &mut r).unwrap();
    let public = key.public();
    let alg = HostKeyAlg::EcdsaSha2Nistp256;
    let sig = key.sign(alg, DATA, &mut r).unwrap();
    let (_, raw) = decode_signature_blob(&sig).unwrap();
    let mut rd = crate::wire::Reader::new(raw);
    let sig_r = rd.mpint_positive("r").unwrap().to_vec();
    let sig_s = rd.mpint_positive("s").unwrap().to_vec();
    let order = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let blob = |a: &[u8], b: &[u8]| {
        let mut w = crate::wire::Writer::new();
        w.mpint(a).mpint(b);
        encode_signature_blob(alg.name(), w.as_slice())
    };
    public.verify(alg, DATA, &blob(&sig_r, &sig_s)).unwrap();
    for (a, b) in [
        (&[][..], &sig_s[..]),
        (&sig_r[..], &[][..]),
        (&order[..], &sig_s[..]),
        (&sig_r[..], &order[..]),
        (&[0xff; 33][..], &sig_s[..]),
    ] {
        assert_eq!(
            public.verify(alg, DATA, &blob(a, b)),
            Err(KeyError::BadSignature)
        );
    }
    // Negative mpint (top bit set without the zero byte) and trailing bytes inside.
    let mut w = crate::wire::Writer::new();
    w.string(&order).mpint(&sig_s);
    let neg = encode_signature_blob(alg.name(), w.as_slice());
    assert!(public.verify(alg, DATA, &neg).is_err());
    let mut w = crate::wire::Writer::new();
    w.mpint(&sig_r).mpint(&sig_s).u8(0);
    let trailing = encode_signature_blob(alg.name(), w.as_slice());
    assert!(public.verify(alg, DATA, &trailing).is_err());
}

#[test]
fn raw_scheme_primitives_are_usable_without_a_wire_name() {
    let mut r = rng(9);
    for key in every_key() {
        let public = key.public();
        for &scheme in SignatureScheme::ALL {
            if !public.supports_scheme(scheme) {
                assert!(key.sign_raw(scheme, DATA, &mut r).is_err());
                continue;
            }
            let raw = key.sign_raw(scheme, DATA, &mut r).unwrap();
            public.verify_raw(scheme, DATA, &raw, 2048).unwrap();
            assert!(public.verify_raw(scheme, b"other", &raw, 2048).is_err());
        }
    }
}

#[test]
fn ed25519_and_ecdsa_signatures_are_deterministic_rsa_too() {
    for key in every_key() {
        let alg = *HostKeyAlg::ALL
            .iter()
            .find(|&&a| key.public().supports(a))
            .unwrap();
        let a = key.sign(alg, DATA, &mut rng(10)).unwrap();
        let b = key.sign(alg, DATA, &mut rng(11)).unwrap();
        assert_eq!(a, b, "{alg:?}");
    }
}
