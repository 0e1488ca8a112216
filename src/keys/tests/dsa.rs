//! `ssh-dss` (legacy): keys made by `ssh-keygen`, our own keys, and the malformed signatures and
//! keys a hostile peer could send (wrong lengths, `r` or `s` zero or not below `q`, parameters
//! of the wrong size, values outside the group).

use super::*;
use crate::keys::sig_dsa::DsaPrivate;
use crate::wire::{Reader, Writer};

const PEM: &str = include_str!("data/dsa.pem");
const PEM_PUB: &str = include_str!("data/dsa.pem.pub");
const PEM_ENC: &str = include_str!("data/dsa-enc.pem");
const PEM_ENC_PUB: &str = include_str!("data/dsa-enc.pem.pub");
const OPENSSH: &str = include_str!("data/dsa.openssh");
const OPENSSH_PUB: &str = include_str!("data/dsa.openssh.pub");

/// `p, q, g, y` of a public key, as magnitudes.
fn fields(key: &PublicKey) -> [Vec<u8>; 4] {
    let blob = key.to_blob();
    let mut r = Reader::new(&blob);
    assert_eq!(r.string("type").unwrap(), b"ssh-dss");
    let mut next = || r.mpint_positive("field").unwrap().to_vec();
    [next(), next(), next(), next()]
}

fn dss_blob(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(b"ssh-dss").mpint(p).mpint(q).mpint(g).mpint(y);
    w.into_vec()
}

fn sig_blob(raw: &[u8]) -> Vec<u8> {
    encode_signature_blob("ssh-dss", raw)
}

#[test]
fn files_from_ssh_keygen_load_pem_encrypted_pem_and_openssh() {
    let (key, comment) = PrivateKey::from_text(PEM, None).unwrap();
    assert_eq!(
        (key.public(), comment.as_str()),
        (PublicKey::from_text(PEM_PUB).unwrap().0, "")
    );
    assert_eq!(KeyFormat::detect(PEM), Some(KeyFormat::Dsa));
    assert_eq!(key.kind(), KeyKind::Dsa);
    assert_eq!(key.public().bits(), 1024);

    assert_eq!(
        PrivateKey::from_text(PEM_ENC, None).map(|_| ()),
        Err(KeyError::Passphrase)
    );
    assert_eq!(
        PrivateKey::from_text(PEM_ENC, Some("wrong")).map(|_| ()),
        Err(KeyError::Passphrase)
    );
    let (enc, _) = PrivateKey::from_text(PEM_ENC, Some("pem pass")).unwrap();
    assert_eq!(enc.public(), PublicKey::from_text(PEM_ENC_PUB).unwrap().0);

    let (ossh, comment) = PrivateKey::from_text(OPENSSH, None).unwrap();
    let (public, pub_comment) = PublicKey::from_text(OPENSSH_PUB).unwrap();
    assert_eq!((ossh.public(), comment.as_str()), (public, "dsa@sshgate"));
    assert_eq!(pub_comment, "dsa@sshgate");

    // Each signs, and the public half from the other file verifies.
    let mut r = rng(60);
    for (k, p) in [(&key, PEM_PUB), (&enc, PEM_ENC_PUB), (&ossh, OPENSSH_PUB)] {
        let sig = k.sign(HostKeyAlg::SshDss, b"data", &mut r).unwrap();
        let public = PublicKey::from_text(p).unwrap().0;
        public.verify(HostKeyAlg::SshDss, b"data", &sig).unwrap();
        assert_eq!(
            public.verify(HostKeyAlg::SshDss, b"datA", &sig),
            Err(KeyError::BadSignature)
        );
        // Ours round-trips through the OpenSSH format.
        let again = PrivateKey::from_openssh(&k.to_openssh("c", &mut r)).unwrap();
        assert_eq!(again.public(), k.public());
    }
}

#[test]
fn signatures_are_40_bytes_deterministic_and_need_the_dss_name() {
    let key = dsa_key();
    let mut r = rng(61);
    let a = key.sign(HostKeyAlg::SshDss, b"m", &mut r).unwrap();
    let b = key.sign(HostKeyAlg::SshDss, b"m", &mut rng(62)).unwrap();
    assert_eq!(a, b, "RFC 6979: the RNG plays no part");
    let (name, raw) = decode_signature_blob(&a).unwrap();
    assert_eq!((name, raw.len()), ("ssh-dss", 40));
    // ssh-dss keys sign nothing else, and no other key signs ssh-dss.
    assert!(key.sign(HostKeyAlg::SshRsa, b"m", &mut r).is_err());
    assert!(rsa_key().sign(HostKeyAlg::SshDss, b"m", &mut r).is_err());
    assert!(key.public().supports(HostKeyAlg::SshDss));
    assert!(!key.public().supports(HostKeyAlg::SshEd25519));
}

#[test]
fn malformed_signatures_are_refused() {
    let key = dsa_key();
    let public = key.public();
    let [_, q, _, _] = fields(&public);
    assert_eq!(q.len(), 20);
    let data = b"signed data";
    let good = key.sign(HostKeyAlg::SshDss, data, &mut rng(63)).unwrap();
    let (_, raw) = decode_signature_blob(&good).unwrap();
    public.verify(HostKeyAlg::SshDss, data, &good).unwrap();
    let (r, s) = raw.split_at(20);
    let cat = |a: &[u8], b: &[u8]| [a, b].concat();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("39 bytes", raw[..39].to_vec()),
        ("41 bytes", cat(raw, &[0])),
        ("41 bytes, leading zero", cat(&[0], raw)),
        ("r only", r.to_vec()),
        ("r zero", cat(&[0; 20], s)),
        ("s zero", cat(r, &[0; 20])),
        ("both zero", vec![0; 40]),
        ("r = q", cat(&q, s)),
        ("s = q", cat(r, &q)),
        ("r all ones", cat(&[0xff; 20], s)),
        ("s all ones", cat(r, &[0xff; 20])),
        ("r and s swapped", cat(s, r)),
    ];
    for (what, raw) in bad {
        assert_eq!(
            public.verify(HostKeyAlg::SshDss, data, &sig_blob(&raw)),
            Err(KeyError::BadSignature),
            "{what}"
        );
    }
    // The name inside must be ssh-dss.
    assert_eq!(
        public.verify(
            HostKeyAlg::SshDss,
            data,
            &encode_signature_blob("ssh-rsa", raw)
        ),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn malformed_public_keys_are_refused() {
    let [p, q, g, y] = fields(&dsa_key().public());
    PublicKey::from_blob(&dss_blob(&p, &q, &g, &y)).unwrap();
    let low_bit = |v: &[u8]| {
        let mut v = v.to_vec();
        *v.last_mut().unwrap() ^= 1;
        v
    };
    let mut p_minus_1 = p.clone();
    *p_minus_1.last_mut().unwrap() -= 1; // p is odd
    let unsupported: Vec<(&str, Vec<u8>)> = vec![
        ("1023-bit p", dss_blob(&p[1..], &q, &g, &y)),
        (
            "2048-bit p",
            dss_blob(&[p.clone(), p.clone()].concat(), &q, &g, &y),
        ),
        (
            "159-bit q",
            dss_blob(&p, &[&[0x7f][..], &q[1..]].concat(), &g, &y),
        ),
        (
            "256-bit q",
            dss_blob(&p, &[q.clone(), vec![1; 12]].concat(), &g, &y),
        ),
    ];
    for (what, blob) in unsupported {
        assert!(
            matches!(PublicKey::from_blob(&blob), Err(KeyError::Unsupported(_))),
            "{what}"
        );
    }
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("even p", dss_blob(&low_bit(&p), &q, &g, &y)),
        ("even q", dss_blob(&p, &low_bit(&q), &g, &y)),
        ("g zero", dss_blob(&p, &q, &[], &y)),
        ("g one", dss_blob(&p, &q, &[1], &y)),
        ("g = p", dss_blob(&p, &q, &p, &y)),
        ("g above p", dss_blob(&p, &q, &[1; 129], &y)),
        ("y zero", dss_blob(&p, &q, &g, &[])),
        ("y one", dss_blob(&p, &q, &g, &[1])),
        ("y = p - 1", dss_blob(&p, &q, &g, &p_minus_1)),
        ("y = p", dss_blob(&p, &q, &g, &p)),
        ("y outside the subgroup", dss_blob(&p, &q, &g, &[2])),
        (
            "trailing byte",
            [dss_blob(&p, &q, &g, &y), vec![0]].concat(),
        ),
        ("truncated", dss_blob(&p, &q, &g, &y)[..300].to_vec()),
    ];
    for (what, blob) in malformed {
        assert!(
            matches!(PublicKey::from_blob(&blob), Err(KeyError::Malformed(_))),
            "{what}: {:?}",
            PublicKey::from_blob(&blob)
        );
    }
}

#[test]
fn inconsistent_private_keys_are_refused() {
    let [p, q, g, y] = fields(&dsa_key().public());
    // A real x from the PEM fixture belongs to another key: y = g^x fails.
    let other = PrivateKey::from_text(PEM, None).unwrap().0;
    let mut w = crate::keys::secbuf::SecretWriter::with_capacity(1024);
    other.write_openssh_fields(&mut w);
    let fields_of_other = w.into_inner();
    let mut r = Reader::new(&fields_of_other);
    r.string("type").unwrap();
    for _ in 0..4 {
        r.mpint_positive("skip").unwrap();
    }
    let other_x = r.mpint_positive("x").unwrap().to_vec();
    let refused = |x: &[u8]| DsaPrivate::from_parts(&p, &q, &g, &y, x).map(|_| ());
    assert_eq!(
        refused(&other_x),
        Err(KeyError::Malformed("DSA private key inconsistent"))
    );
    assert!(
        matches!(refused(&[]), Err(KeyError::Malformed(_))),
        "x zero"
    );
    assert!(matches!(refused(&q), Err(KeyError::Malformed(_))), "x = q");
    assert!(
        matches!(refused(&[1; 21]), Err(KeyError::Malformed(_))),
        "x too long"
    );
    // A PEM file whose version is not 0.
    let bad_version = PEM.replacen("MIIBuwIBAAKBgQ", "MIIBuwIBAQKBgQ", 1);
    assert!(PrivateKey::from_text(&bad_version, None).is_err());
}

#[test]
fn dss_lines_in_authorized_keys_and_known_hosts() {
    let (public, _) = PublicKey::from_text(OPENSSH_PUB).unwrap();
    let line = format!("no-pty,from=\"127.0.0.1\" {}", OPENSSH_PUB.trim());
    let entry = crate::keys::authorized_keys::AuthorizedKey::parse(&line).unwrap();
    assert_eq!(
        (entry.key, entry.comment.as_str()),
        (public.clone(), "dsa@sshgate")
    );
    let text = crate::keys::known_hosts::format_entry("old-router", 22, None, &public).unwrap();
    assert!(text.starts_with("old-router ssh-dss AAAA"), "{text}");
    assert_eq!(
        crate::keys::known_hosts::check_host_key(&text, "old-router", 22, None, &public),
        crate::keys::known_hosts::HostKeyStatus::Match(1)
    );
}
