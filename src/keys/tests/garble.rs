//! Truncated and garbled key files of every format give a clean error, never a panic: each
//! fixture is cut at every length (as text, and as DER re-armored) and has bytes of its DER
//! flipped.

use super::pem_files::{PASS, PRIVATE, pem_armor, pem_body, pem_headers};
use super::*;

/// The label of the last PEM block of `text`.
fn last_label(text: &str) -> &str {
    let start = text.rfind("-----BEGIN ").unwrap() + "-----BEGIN ".len();
    let end = start + text[start..].find("-----").unwrap();
    &text[start..end]
}

/// Positions to flip in a body of `len` bytes: every one for small bodies, about 300 spread
/// over large ones (RSA keys, where each parse validates the key arithmetic).
fn positions(len: usize) -> impl Iterator<Item = usize> {
    (0..len).step_by((len / 300).max(1))
}

#[test]
fn truncated_private_key_texts_are_refused() {
    let openssh = [
        (fixtures::ED25519_FILE, None),
        (
            fixtures::ED25519_ENC_FILE,
            Some(fixtures::ED25519_ENC_PASSPHRASE),
        ),
        (fixtures::P256_FILE, None),
    ];
    let pem = PRIVATE
        .iter()
        .map(|f| (f.text, f.encrypted.then_some(PASS)));
    for (text, pass) in openssh.into_iter().chain(pem) {
        let whole = text.trim_end().len();
        for n in 0..whole {
            assert!(
                PrivateKey::from_text(&text[..n], pass).is_err(),
                "{} cut at {n} parsed",
                &text[..40]
            );
        }
        PrivateKey::from_text(&text[..whole], pass).unwrap();
    }
}

#[test]
fn truncated_der_is_refused() {
    for f in PRIVATE {
        let pass = f.encrypted.then_some(PASS);
        let label = last_label(f.text);
        let headers = pem_headers(f.text);
        let der = pem_body(f.text);
        for n in 0..der.len() {
            let text = pem_armor(label, &headers, &der[..n]);
            assert!(
                PrivateKey::from_text(&text, pass).is_err(),
                "{} cut at {n} parsed",
                f.name
            );
        }
        // The re-armored whole body parses: the cuts above tested the DER, not the armor.
        PrivateKey::from_text(&pem_armor(label, &headers, &der), pass).unwrap();
    }
}

#[test]
fn flipped_der_bytes_never_panic() {
    for f in PRIVATE {
        let pass = f.encrypted.then_some(PASS);
        let label = last_label(f.text);
        let headers = pem_headers(f.text);
        let der = pem_body(f.text);
        let mut refused = 0;
        for i in positions(der.len()) {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[i] ^= mask;
                // Some flips leave a valid key (an Ed25519 seed byte, RSA dP/dQ which are
                // recomputed); the point is that none panics.
                if PrivateKey::from_text(&pem_armor(label, &headers, &bad), pass).is_err() {
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{}", f.name);
    }
}

#[test]
fn garbled_public_key_files_never_panic() {
    for text in [
        include_str!("data/rsa2048.spki"),
        include_str!("data/p384.spki"),
        include_str!("data/ed25519.spki"),
        include_str!("data/rsa2048.pkcs1pub"),
    ] {
        let label = last_label(text);
        let der = pem_body(text);
        for n in 0..der.len() {
            assert!(PublicKey::from_text(&pem_armor(label, &[], &der[..n])).is_err());
        }
        for i in positions(der.len()) {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[i] ^= mask;
                let _ = PublicKey::from_text(&pem_armor(label, &[], &bad));
            }
        }
    }
    let rfc4716 = include_str!("data/p256.rfc4716");
    for n in 0..rfc4716.trim_end().len() {
        assert!(PublicKey::from_text(&rfc4716[..n]).is_err(), "cut at {n}");
    }
}

#[test]
fn arbitrary_bytes_in_armor_never_panic() {
    // Bodies that are not DER at all, in every label the dispatcher knows.
    let mut r = rng(61);
    for label in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
    ] {
        for len in [0usize, 1, 2, 5, 16, 33, 100, 700] {
            let mut junk = vec![0u8; len];
            r.fill(&mut junk);
            // DER-looking starts too: a SEQUENCE with a huge length.
            for start in [&[][..], &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..]] {
                let mut der = start.to_vec();
                der.extend_from_slice(&junk);
                let text = pem_armor(label, &[], &der);
                assert!(PrivateKey::from_text(&text, Some("x")).is_err());
                assert!(PublicKey::from_text(&text).is_err());
            }
        }
    }
    // Legacy headers that do not make sense.
    let body = pem_body(PRIVATE[0].text);
    for headers in [
        &["Proc-Type: 4,ENCRYPTED"][..],
        &["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC"],
        &["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,00"],
        &[
            "Proc-Type: 4,ENCRYPTED",
            "DEK-Info: AES-128-CBC,zz112233445566778899aabbccddeeff",
        ],
        &[
            "Proc-Type: 4,ENCRYPTED",
            "DEK-Info: RC2-CBC,0011223344556677",
        ],
        &["Proc-Type: 4,MIC-ONLY"],
    ] {
        let text = pem_armor("RSA PRIVATE KEY", headers, &body);
        let r = PrivateKey::from_text(&text, Some(PASS));
        assert!(
            matches!(r, Err(KeyError::Malformed(_) | KeyError::Unsupported(_))),
            "{headers:?}: {:?}",
            r.map(|_| ())
        );
    }
}
