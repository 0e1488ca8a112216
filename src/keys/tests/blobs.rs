//! Public key blobs and lines: round trips and malformed input.

use super::fixtures::*;
use super::*;
use crate::wire::Writer;

fn blob(parts: &[&[u8]]) -> Vec<u8> {
    let mut w = Writer::new();
    for p in parts {
        w.string(p);
    }
    w.into_vec()
}

fn rsa_blob(e: &[u8], n: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(b"ssh-rsa").mpint(e).mpint(n);
    w.into_vec()
}

#[test]
fn names_round_trip() {
    for &alg in HostKeyAlg::ALL {
        assert_eq!(HostKeyAlg::from_name(alg.name()), Some(alg));
        assert_eq!(
            alg.is_legacy(),
            alg == HostKeyAlg::SshRsa || alg == HostKeyAlg::SshDss
        );
    }
    assert_eq!(HostKeyAlg::from_name("ssh-dss"), Some(HostKeyAlg::SshDss));
    assert_eq!(HostKeyAlg::from_name("ssh-dsa"), None);
    assert_eq!(HostKeyAlg::from_name(""), None);
}

#[test]
fn blobs_and_lines_round_trip_for_every_key() {
    for key in every_key() {
        let public = key.public();
        let b = public.to_blob();
        let again = PublicKey::from_blob(&b).unwrap();
        assert_eq!(again, public);
        assert_eq!(again.to_blob(), b);
        assert_eq!(public.key_type(), key.key_type());
        let line = public.to_openssh_line("me@host");
        let (parsed, comment) = PublicKey::parse_openssh_line(&line).unwrap();
        assert_eq!((parsed, comment.as_str()), (public.clone(), "me@host"));
        let bare = public.to_openssh_line("");
        assert_eq!(bare.split(' ').count(), 2);
        assert_eq!(PublicKey::from_openssh_line(&bare).unwrap(), public);
    }
    for line in [ED25519_PUB, P256_PUB, RSA2048_PUB, RSA1024_PUB] {
        let (key, comment) = PublicKey::parse_openssh_line(line).unwrap();
        assert_eq!(key.to_openssh_line(&comment), line);
    }
    let p256 = PublicKey::from_openssh_line(P256_PUB).unwrap();
    assert_eq!((p256.bits(), p256.kind()), (256, KeyKind::EcdsaP256));
    let lens: Vec<usize> = every_key().iter().map(|k| k.public().bits()).collect();
    assert_eq!(lens, [256, 256, 384, 521, 2048, 1024]);
}

#[test]
fn every_truncation_and_trailing_byte_is_refused() {
    for key in every_key() {
        let b = key.public().to_blob();
        for i in 0..b.len() {
            assert!(
                PublicKey::from_blob(&b[..i]).is_err(),
                "{} cut {i}",
                key.key_type()
            );
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            PublicKey::from_blob(&long),
            Err(KeyError::Malformed("trailing bytes"))
        );
    }
}

#[test]
fn every_single_bit_flip_is_refused_or_yields_a_different_key() {
    for key in every_key() {
        let public = key.public();
        let b = public.to_blob();
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut bad = b.clone();
                bad[i] ^= 1 << bit;
                if let Ok(k) = PublicKey::from_blob(&bad) {
                    assert_ne!(k, public);
                    assert_eq!(k.to_blob(), bad);
                }
            }
        }
    }
}

#[test]
fn wrong_types_huge_lengths_and_bad_points_are_refused() {
    assert!(matches!(
        PublicKey::from_blob(&blob(&[b"ssh-xmss@openssh.com", &[0; 32]])),
        Err(KeyError::Unsupported(_))
    ));
    assert!(PublicKey::from_blob(&[]).is_err());
    assert!(PublicKey::from_blob(&[0xff, 0xff, 0xff, 0xff, b's']).is_err());
    let mut huge = blob(&[b"ssh-ed25519"]);
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    huge.extend_from_slice(&[0; 32]);
    assert!(PublicKey::from_blob(&huge).is_err());
    // Ed25519: wrong lengths, a y coordinate that is not on the curve.
    assert!(PublicKey::from_blob(&blob(&[b"ssh-ed25519", &[9; 31]])).is_err());
    assert!(PublicKey::from_blob(&blob(&[b"ssh-ed25519", &[9; 33]])).is_err());
    let off_curve = (0u8..=255)
        .map(|i| [i; 32])
        .find(|k| PublicKey::from_ed25519_bytes(k).is_err())
        .expect("some byte pattern is not a point");
    assert!(PublicKey::from_blob(&blob(&[b"ssh-ed25519", &off_curve])).is_err());

    // ECDSA: bad point, compressed form, wrong identifier, wrong length.
    let p256 = PublicKey::from_openssh_line(P256_PUB).unwrap().to_blob();
    let mut r = crate::wire::Reader::new(&p256);
    let (t, ident, q) = (
        r.string("t").unwrap(),
        r.string("i").unwrap(),
        r.string("q").unwrap(),
    );
    assert!(PublicKey::from_blob(&blob(&[t, ident, q])).is_ok());
    let mut bad_q = q.to_vec();
    bad_q[64] ^= 1;
    assert!(PublicKey::from_blob(&blob(&[t, ident, &bad_q])).is_err());
    let mut compressed = vec![0x02 | (q[64] & 1)];
    compressed.extend_from_slice(&q[1..33]);
    assert!(PublicKey::from_blob(&blob(&[t, ident, &compressed])).is_err());
    assert!(PublicKey::from_blob(&blob(&[t, b"nistp384", q])).is_err());
    assert!(PublicKey::from_blob(&blob(&[b"ecdsa-sha2-nistp384", b"nistp384", q])).is_err());
    assert!(PublicKey::from_blob(&blob(&[t, ident, &[4; 65]])).is_err());
    assert!(PublicKey::from_blob(&blob(&[t, ident, &q[..64]])).is_err());
    assert!(PublicKey::from_ecdsa_sec1(KeyKind::EcdsaP256, q).is_ok());
    assert!(PublicKey::from_ecdsa_sec1(KeyKind::Ed25519, q).is_err());
}

#[test]
fn bad_rsa_components_are_refused() {
    let good = PublicKey::from_openssh_line(RSA2048_PUB).unwrap().to_blob();
    let mut r = crate::wire::Reader::new(&good);
    r.string("t").unwrap();
    let e = r.mpint_positive("e").unwrap().to_vec();
    let n = r.mpint_positive("n").unwrap().to_vec();
    assert_eq!(
        PublicKey::from_blob(&rsa_blob(&e, &n)).unwrap().to_blob(),
        good
    );
    assert_eq!(
        PublicKey::from_rsa_components(&e, &n).unwrap(),
        PublicKey::from_blob(&good).unwrap()
    );

    let mut even_n = n.clone();
    *even_n.last_mut().unwrap() &= 0xfe;
    assert!(PublicKey::from_blob(&rsa_blob(&e, &even_n)).is_err());
    for bad_e in [
        &[][..],
        &[1],
        &[2],
        &[0x01, 0x00, 0x00],
        &[0x02, 0, 0, 0, 1],
    ] {
        assert!(
            PublicKey::from_blob(&rsa_blob(bad_e, &n)).is_err(),
            "e={bad_e:?}"
        );
    }
    assert!(PublicKey::from_blob(&rsa_blob(&n, &n)).is_err());
    assert!(PublicKey::from_blob(&rsa_blob(&[3], &n)).is_ok());
    // Non-canonical mpints: a negative modulus, a needless leading zero.
    let mut w = Writer::new();
    w.string(b"ssh-rsa").mpint(&e).string(&n);
    let negative = w.into_vec();
    assert_eq!(n[0], 0xbc);
    assert!(PublicKey::from_blob(&negative).is_err());
    let mut w = Writer::new();
    w.string(b"ssh-rsa").string(&[0, 1, 0, 1]).mpint(&n);
    assert!(PublicKey::from_blob(&w.into_vec()).is_err());
    // Tiny and enormous moduli.
    let tiny = [0xc5u8; 32];
    assert_eq!(
        PublicKey::from_blob(&rsa_blob(&e, &tiny)),
        Err(KeyError::TooSmall(256))
    );
    let enormous = vec![0xc5u8; MAX_RSA_BITS / 8 + 1];
    assert!(matches!(
        PublicKey::from_blob(&rsa_blob(&e, &enormous)),
        Err(KeyError::Unsupported(_))
    ));
}

#[test]
fn malformed_lines_are_refused() {
    let (t, rest) = ED25519_PUB.split_once(' ').unwrap();
    assert_eq!(t, "ssh-ed25519");
    for line in [
        "",
        "ssh-ed25519",
        "ssh-ed25519 !!!!",
        &format!("ssh-rsa {rest}"),
        &format!("{t} {}", &rest[..20]),
        &format!("command=\"x\" {ED25519_PUB}"),
    ] {
        assert!(PublicKey::from_openssh_line(line).is_err(), "{line:?}");
    }
    let spaced = format!("  {t}\t {rest}  \n");
    let (key, comment) = PublicKey::parse_openssh_line(&spaced).unwrap();
    assert_eq!(comment, "fixed@sshgate");
    assert_eq!(key.fingerprint_sha256(), ED25519_SHA256);
}
