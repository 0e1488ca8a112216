//! OpenSSH private key files: round trips, fixed files, encryption, corruption.

use super::fixtures::*;
use super::*;
use crate::wire::{Reader, Writer};
use base64ct::{Base64, Encoding};

fn unarmor(text: &str) -> Vec<u8> {
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    Base64::decode_vec(&b64).unwrap()
}

fn armor(bytes: &[u8]) -> String {
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        Base64::encode_string(bytes)
    )
}

/// The outer fields of an unencrypted file and its private section.
fn split(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut r = Reader::new(bytes);
    r.bytes(15, "magic").unwrap();
    for _ in 0..3 {
        r.string("x").unwrap();
    }
    r.u32("n").unwrap();
    r.string("pub").unwrap();
    let head_len = bytes.len() - r.remaining();
    let section = r.string("section").unwrap().to_vec();
    (bytes[..head_len].to_vec(), section)
}

fn join(head: &[u8], section: &[u8]) -> String {
    let mut w = Writer::new();
    w.raw(head).string(section);
    armor(w.as_slice())
}

#[test]
fn every_key_round_trips_through_a_file() {
    let mut r = rng(20);
    for key in every_key() {
        let text = key.to_openssh("someone@example", &mut r);
        assert!(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assert!(text.ends_with("\n-----END OPENSSH PRIVATE KEY-----\n"));
        let lines: Vec<&str> = text.lines().collect();
        let body = &lines[1..lines.len() - 1];
        assert!(body[..body.len() - 1].iter().all(|l| l.len() == 70));
        assert!(body.last().unwrap().len() <= 70);

        let (again, comment) = PrivateKey::parse_openssh(&text, None).unwrap();
        assert_eq!(comment, "someone@example");
        assert_eq!(again.public(), key.public());
        let alg = *HostKeyAlg::ALL
            .iter()
            .find(|&&a| key.public().supports(a))
            .unwrap();
        let sig = again.sign(alg, b"data", &mut r).unwrap();
        key.public().verify(alg, b"data", &sig).unwrap();
        // Padding to the block size of the "none" cipher, 1, 2, 3, ...
        let (_, section) = split(&unarmor(&text));
        assert_eq!(section.len() % 8, 0);
        assert!(!format!("{again:?}").contains("secret"));
    }
}

#[test]
fn fixed_files_from_ssh_keygen_parse() {
    for (file, line) in [
        (ED25519_FILE, ED25519_PUB),
        (P256_FILE, P256_PUB),
        (RSA2048_FILE, RSA2048_PUB),
    ] {
        let (key, comment) = PrivateKey::parse_openssh(file, None).unwrap();
        let (expected, expected_comment) = PublicKey::parse_openssh_line(line).unwrap();
        assert_eq!(key.public(), expected);
        assert_eq!(comment, expected_comment);
        // Writing it again gives the same bytes apart from the random check-ints.
        let written = unarmor(&key.to_openssh(&comment, &mut rng(21)));
        let original = unarmor(file);
        let (wh, ws) = split(&written);
        let (oh, os) = split(&original);
        assert_eq!(wh, oh);
        assert_eq!(ws[8..], os[8..]);
    }
    assert_eq!(
        PrivateKey::from_openssh(ED25519_FILE)
            .unwrap()
            .public()
            .fingerprint_sha256(),
        ED25519_SHA256
    );
}

#[test]
fn encrypted_fixed_file_needs_the_right_passphrase() {
    let expected = PublicKey::from_openssh_line(ED25519_ENC_PUB).unwrap();
    assert_eq!(
        PrivateKey::from_openssh(ED25519_ENC_FILE).unwrap_err(),
        KeyError::Passphrase
    );
    for wrong in ["", "wrong", "correct horsE"] {
        assert_eq!(
            PrivateKey::from_openssh_with_passphrase(ED25519_ENC_FILE, wrong).unwrap_err(),
            KeyError::Passphrase
        );
    }
    let (key, comment) =
        PrivateKey::parse_openssh(ED25519_ENC_FILE, Some(ED25519_ENC_PASSPHRASE)).unwrap();
    assert_eq!(key.public(), expected);
    assert_eq!(comment, "enc@sshgate");
    // A passphrase given for an unencrypted file is ignored.
    PrivateKey::from_openssh_with_passphrase(ED25519_FILE, "anything").unwrap();
}

#[test]
fn encrypted_files_we_write_round_trip() {
    let mut r = rng(22);
    for key in every_key() {
        let text = key
            .to_openssh_with_passphrase("c", "pass phrase", 2, &mut r)
            .unwrap();
        assert_eq!(
            PrivateKey::from_openssh(&text).unwrap_err(),
            KeyError::Passphrase
        );
        assert_eq!(
            PrivateKey::from_openssh_with_passphrase(&text, "pass phrasE").unwrap_err(),
            KeyError::Passphrase
        );
        let again = PrivateKey::from_openssh_with_passphrase(&text, "pass phrase").unwrap();
        assert_eq!(again.public(), key.public());
    }
    let key = &every_key()[0];
    assert!(key.to_openssh_with_passphrase("c", "", 2, &mut r).is_err());
    assert!(key.to_openssh_with_passphrase("c", "p", 0, &mut r).is_err());
    assert!(
        key.to_openssh_with_passphrase("c", "p", kdf::MAX_ROUNDS + 1, &mut r)
            .is_err()
    );
}

#[test]
fn corrupt_sections_are_refused() {
    let bytes = unarmor(ED25519_FILE);
    let (head, section) = split(&bytes);
    assert!(PrivateKey::from_openssh(&join(&head, &section)).is_ok());

    let mut checkint = section.clone();
    checkint[0] ^= 1;
    assert_eq!(
        PrivateKey::from_openssh(&join(&head, &checkint)).unwrap_err(),
        KeyError::Malformed("check-ints differ")
    );
    // P256_FILE ends in padding 1, 2, 3.
    let (p_head, p_section) = split(&unarmor(P256_FILE));
    assert_eq!(p_section[p_section.len() - 3..], [1, 2, 3]);
    let mut padding = p_section.clone();
    *padding.last_mut().unwrap() = 4;
    assert_eq!(
        PrivateKey::from_openssh(&join(&p_head, &padding)).unwrap_err(),
        KeyError::Malformed("private section padding")
    );
    // A whole extra block of padding, and a section not a multiple of the block size.
    let mut extra = p_section.clone();
    extra.extend(4..=11);
    assert_eq!(
        PrivateKey::from_openssh(&join(&p_head, &extra)).unwrap_err(),
        KeyError::Malformed("private section padding")
    );
    assert!(PrivateKey::from_openssh(&join(&p_head, &p_section[..p_section.len() - 1])).is_err());
    assert!(PrivateKey::from_openssh(&join(&head, &section[..section.len() - 1])).is_err());
    // The secret half (seed || public) must match the public key in it and outside.
    let mut seed = section.clone();
    seed[70] ^= 1;
    assert!(PrivateKey::from_openssh(&join(&head, &seed)).is_err());
    let other = PrivateKey::generate(KeyKind::Ed25519, &mut rng(23)).unwrap();
    let other_bytes = unarmor(&other.to_openssh("fixed@sshgate", &mut rng(24)));
    let (other_head, _) = split(&other_bytes);
    assert_eq!(
        PrivateKey::from_openssh(&join(&other_head, &section)).unwrap_err(),
        KeyError::Malformed("public key differs from the private key")
    );
}

#[test]
fn truncated_or_garbled_files_are_refused_without_panic() {
    for file in [ED25519_FILE, P256_FILE, RSA2048_FILE, ED25519_ENC_FILE] {
        let bytes = unarmor(file);
        // Each attempt on the encrypted file runs bcrypt: sample its bytes.
        let stride = if file == ED25519_ENC_FILE { 17 } else { 1 };
        for i in 0..bytes.len() {
            assert!(PrivateKey::from_openssh(&armor(&bytes[..i])).is_err());
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x80;
            if i % stride == 0 {
                let _ = PrivateKey::from_openssh_with_passphrase(&armor(&flipped), "x");
            }
        }
    }
    for text in [
        "",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!\n-----END OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
    ] {
        assert!(PrivateKey::from_openssh(text).is_err(), "{text:?}");
    }
    // Two keys in one file, an unknown cipher.
    let bytes = unarmor(ED25519_FILE);
    let mut two = bytes.clone();
    two[15 + 4 + 4 + 4 + 4 + 4 + 3] = 2;
    assert!(matches!(
        PrivateKey::from_openssh(&armor(&two)),
        Err(KeyError::Unsupported(_))
    ));
    let mut w = Writer::new();
    w.raw(b"openssh-key-v1\0")
        .string(b"3des-cbc")
        .string(b"bcrypt")
        .string(b"")
        .raw(&bytes[15 + 8 + 8 + 4..]);
    assert!(matches!(
        PrivateKey::from_openssh(&armor(w.as_slice())),
        Err(KeyError::Unsupported(_))
    ));
}
