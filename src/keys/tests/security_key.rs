//! FIDO security keys: `sk-ecdsa-sha2-nistp256@openssh.com` key blobs, both signature formats
//! (plain and webauthn) made here by a P-256 "authenticator" the test owns, the assertion
//! conversion, and every malformed or tampered input refused.

use super::super::sk_ecdsa::{SK_ECDSA_P256, WEBAUTHN_SK_ECDSA_P256};
use super::*;
use crate::keys::authorized_keys::{AuthorizedKey, KeyOption};
use crate::wire::Writer;
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

const APP: &str = "localhost";
const ORIGIN: &str = "http://localhost:8080";

fn authenticator(tag: u8) -> SigningKey {
    SigningKey::from_slice(&[tag; 32]).unwrap()
}

fn point(sk: &SigningKey) -> Vec<u8> {
    sk.verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

fn sk_key(sk: &SigningKey, app: &str) -> PublicKey {
    PublicKey::security_key_ecdsa(&point(sk), app).unwrap()
}

fn mpints(sig: &Signature) -> Vec<u8> {
    let (r, s) = sig.split_bytes();
    let mut w = Writer::new();
    w.mpint(&r).mpint(&s);
    w.into_vec()
}

/// What a U2F/CTAP authenticator signs, and the wire blob PROTOCOL.u2f makes of it.
fn plain_blob(sk: &SigningKey, app: &str, flags: u8, counter: u32, data: &[u8]) -> Vec<u8> {
    let mut signed = Vec::new();
    signed.extend_from_slice(&Sha256::digest(app.as_bytes()));
    signed.push(flags);
    signed.extend_from_slice(&counter.to_be_bytes());
    signed.extend_from_slice(&Sha256::digest(data));
    let sig: Signature = sk.sign(&signed);
    let mut w = Writer::new();
    w.string(SK_ECDSA_P256.as_bytes())
        .string(&mpints(&sig))
        .u8(flags)
        .u32(counter);
    w.into_vec()
}

/// A browser's assertion: authenticatorData, clientDataJSON, DER signature.
struct Assertion {
    auth_data: Vec<u8>,
    client_data: Vec<u8>,
    der: Vec<u8>,
}

fn client_data(challenge: &[u8], origin: &str) -> Vec<u8> {
    format!(
        "{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{origin}\",\"crossOrigin\":false}}",
        Base64UrlUnpadded::encode_string(challenge)
    )
    .into_bytes()
}

fn assertion_over(sk: &SigningKey, app: &str, flags: u8, exts: &[u8], cdj: Vec<u8>) -> Assertion {
    let mut auth_data = Vec::new();
    auth_data.extend_from_slice(&Sha256::digest(app.as_bytes()));
    auth_data.push(flags);
    auth_data.extend_from_slice(&7u32.to_be_bytes());
    auth_data.extend_from_slice(exts);
    let mut signed = auth_data.clone();
    signed.extend_from_slice(&Sha256::digest(&cdj));
    let sig: Signature = sk.sign(&signed);
    Assertion {
        auth_data,
        client_data: cdj,
        der: sig.to_der().as_bytes().to_vec(),
    }
}

fn assertion(sk: &SigningKey, data: &[u8], flags: u8) -> Assertion {
    assertion_over(sk, APP, flags, &[], client_data(data, ORIGIN))
}

fn blob_of(data: &[u8], a: &Assertion) -> Result<Vec<u8>, KeyError> {
    webauthn_signature_blob(data, &a.auth_data, &a.client_data, &a.der)
}

/// A webauthn blob from its fields, for inputs the conversion would refuse.
fn webauthn_blob(ecdsa: &[u8], flags: u8, origin: &str, cdj: &[u8], exts: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(WEBAUTHN_SK_ECDSA_P256.as_bytes())
        .string(ecdsa)
        .u8(flags)
        .u32(7)
        .string(origin.as_bytes())
        .string(cdj)
        .string(exts);
    w.into_vec()
}

#[test]
fn key_blob_round_trips_and_prints_as_openssh() {
    let sk = authenticator(1);
    let key = sk_key(&sk, APP);
    assert_eq!(key.key_type(), SK_ECDSA_P256);
    assert_eq!(key.kind(), KeyKind::SkEcdsaP256);
    assert_eq!(key.bits(), 256);
    assert_eq!(key.security_key_application(), Some(APP));
    let blob = key.to_blob();
    // PROTOCOL.u2f: string type, string "nistp256", string Q, string application.
    let mut w = Writer::new();
    w.string(SK_ECDSA_P256.as_bytes())
        .string(b"nistp256")
        .string(&point(&sk))
        .string(APP.as_bytes());
    assert_eq!(blob, w.into_vec());
    assert_eq!(PublicKey::from_blob(&blob).unwrap(), key);
    let line = key.to_openssh_line("fido");
    assert!(line.starts_with("sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNh"));
    assert_eq!(PublicKey::from_openssh_line(&line).unwrap(), key);
    // Another application is another key.
    assert_ne!(sk_key(&sk, "ssh:"), key);
    // Not a plain algorithm: no HostKeyAlg fits, and generation is refused.
    assert!(HostKeyAlg::ALL.iter().all(|a| !key.supports(*a)));
    assert!(PrivateKey::generate(KeyKind::SkEcdsaP256, &mut rng(1)).is_err());
}

#[test]
fn malformed_key_blobs_are_refused() {
    let sk = authenticator(2);
    let q = point(&sk);
    let make = |curve: &[u8], q: &[u8], app: &[u8], extra: &[u8]| {
        let mut w = Writer::new();
        w.string(SK_ECDSA_P256.as_bytes())
            .string(curve)
            .string(q)
            .string(app)
            .raw(extra);
        w.into_vec()
    };
    let good = make(b"nistp256", &q, APP.as_bytes(), b"");
    assert!(PublicKey::from_blob(&good).is_ok());
    for cut in 0..good.len() {
        assert!(PublicKey::from_blob(&good[..cut]).is_err(), "cut at {cut}");
    }
    let mut off_curve = q.clone();
    off_curve[64] ^= 1;
    let bad = [
        make(b"nistp384", &q, APP.as_bytes(), b""),
        make(b"nistp256", &q[..33], APP.as_bytes(), b""),
        make(b"nistp256", &off_curve, APP.as_bytes(), b""),
        make(b"nistp256", &q, b"", b""),
        make(b"nistp256", &q, b"local\0host", b""),
        make(b"nistp256", &q, &[0xff, 0xfe], b""),
        make(b"nistp256", &q, &[b'a'; 1025], b""),
        make(b"nistp256", &q, APP.as_bytes(), b"\0"),
    ];
    for (i, b) in bad.iter().enumerate() {
        assert!(PublicKey::from_blob(b).is_err(), "case {i}");
    }
    assert!(PublicKey::security_key_ecdsa(&q, "").is_err());
    assert!(PublicKey::security_key_ecdsa(&q[1..], APP).is_err());
}

#[test]
fn authorized_keys_take_security_keys_with_their_options() {
    let key = sk_key(&authenticator(3), APP);
    let line = format!(
        "no-touch-required,verify-required {}",
        key.to_openssh_line("yubi")
    );
    let a = AuthorizedKey::parse(&line).unwrap();
    assert_eq!(a.key, key);
    assert_eq!(
        a.options,
        [KeyOption::NoTouchRequired, KeyOption::VerifyRequired]
    );
    assert_eq!(
        AuthorizedKey::parse(&key.to_openssh_line("")).unwrap().key,
        key
    );
    // The ed25519 security keys are still refused by name.
    let err = AuthorizedKey::parse("sk-ssh-ed25519@openssh.com AAAA x").unwrap_err();
    assert!(matches!(err, KeyError::Unsupported(_)), "{err:?}");
}

#[test]
fn plain_signatures_verify_with_flags_and_counter() {
    let sk = authenticator(4);
    let key = sk_key(&sk, APP);
    let data = b"session id and request";
    let blob = plain_blob(&sk, APP, 0x05, 42, data);
    let v = key.verify_security_key(data, &blob).unwrap();
    assert_eq!(
        (v.flags, v.counter, v.webauthn_origin.clone()),
        (0x05, 42, None)
    );
    assert!(v.user_present());
    let v = key
        .verify_security_key(data, &plain_blob(&sk, APP, 0, 1, data))
        .unwrap();
    assert!(!v.user_present() && !v.user_verified());

    // Tampered: other data, flags, counter; signed for another application; another key.
    assert_eq!(
        key.verify_security_key(b"other", &blob),
        Err(KeyError::BadSignature)
    );
    let flag_at = blob.len() - 5;
    for at in [flag_at, blob.len() - 1] {
        let mut t = blob.clone();
        t[at] ^= 1;
        assert_eq!(
            key.verify_security_key(data, &t),
            Err(KeyError::BadSignature)
        );
    }
    let other_app = plain_blob(&sk, "ssh:", 0x01, 1, data);
    assert_eq!(
        key.verify_security_key(data, &other_app),
        Err(KeyError::BadSignature)
    );
    let other_key = sk_key(&authenticator(5), APP);
    assert_eq!(
        other_key.verify_security_key(data, &blob),
        Err(KeyError::BadSignature)
    );
    // A plain ECDSA key cannot verify it, nor can the security key verify plain signatures.
    let p256 = PrivateKey::generate(KeyKind::EcdsaP256, &mut rng(4)).unwrap();
    assert!(p256.public().verify_security_key(data, &blob).is_err());
    let plain_sig = p256
        .sign(HostKeyAlg::EcdsaSha2Nistp256, data, &mut rng(4))
        .unwrap();
    assert!(key.verify_security_key(data, &plain_sig).is_err());
    assert!(
        key.verify(HostKeyAlg::EcdsaSha2Nistp256, data, &blob)
            .is_err()
    );
}

#[test]
fn malformed_plain_signatures_are_refused_without_panic() {
    let sk = authenticator(6);
    let key = sk_key(&sk, APP);
    let data = b"d";
    let blob = plain_blob(&sk, APP, 1, 9, data);
    for cut in 0..blob.len() {
        assert!(
            key.verify_security_key(data, &blob[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut long = blob.clone();
    long.push(0);
    assert!(
        key.verify_security_key(data, &long).is_err(),
        "trailing byte"
    );
    let mut renamed = blob.clone();
    renamed[4] = b'x';
    assert!(key.verify_security_key(data, &renamed).is_err());
    // Lengths that claim more than there is, or a huge inner signature.
    let mut w = Writer::new();
    w.string(SK_ECDSA_P256.as_bytes())
        .string(&[0x11; 200])
        .u8(1)
        .u32(1);
    assert!(key.verify_security_key(data, &w.into_vec()).is_err());
    let mut huge = Writer::new();
    huge.string(SK_ECDSA_P256.as_bytes()).u32(u32::MAX);
    assert!(key.verify_security_key(data, &huge.into_vec()).is_err());
    // Garbled bytes everywhere: an error, never a panic.
    for i in 0..blob.len() {
        let mut g = blob.clone();
        g[i] ^= 0x80;
        assert!(key.verify_security_key(data, &g).is_err(), "byte {i}");
    }
}

#[test]
fn webauthn_assertions_become_signatures_sshd_would_take() {
    let sk = authenticator(7);
    let key = sk_key(&sk, APP);
    let data = b"\0\0\0\x20session-id-of-32-bytes.........2\x32user";
    let a = assertion(&sk, data, 0x05);
    let blob = blob_of(data, &a).unwrap();
    let v = key.verify_security_key(data, &blob).unwrap();
    assert_eq!(v.flags, 0x05);
    assert_eq!(v.counter, 7);
    assert_eq!(v.webauthn_origin.as_deref(), Some(ORIGIN));
    assert!(v.user_present() && v.user_verified());
    // The blob is PROTOCOL.u2f's: name, mpint r/s, flags, counter, origin, clientData, exts.
    let (name, _) = decode_signature_blob(
        &blob[..4 + WEBAUTHN_SK_ECDSA_P256.len() + 4 + {
            let n = WEBAUTHN_SK_ECDSA_P256.len();
            u32::from_be_bytes(blob[4 + n..8 + n].try_into().unwrap()) as usize
        }],
    )
    .unwrap();
    assert_eq!(name, WEBAUTHN_SK_ECDSA_P256);
    assert_eq!(
        blob,
        webauthn_blob(
            &mpints(&Signature::from_der(&a.der).unwrap()),
            0x05,
            ORIGIN,
            &a.client_data,
            b""
        )
    );

    // Extensions: carried after the counter, with the ED flag.
    let exts = [0xa1, 0x61, 0x78, 0x01];
    let a = assertion_over(&sk, APP, 0x81, &exts, client_data(data, ORIGIN));
    let v = key
        .verify_security_key(data, &blob_of(data, &a).unwrap())
        .unwrap();
    assert_eq!(v.flags, 0x81);

    // Another challenge, another relying party, another key: refused.
    let other = assertion(&sk, b"other data", 0x01);
    assert!(blob_of(data, &other).is_err(), "clientData over other data");
    let forged = webauthn_blob(
        &mpints(&Signature::from_der(&other.der).unwrap()),
        1,
        ORIGIN,
        &other.client_data,
        b"",
    );
    assert_eq!(
        key.verify_security_key(data, &forged),
        Err(KeyError::BadSignature)
    );
    let other_rp = assertion_over(&sk, "example.com", 0x01, &[], client_data(data, ORIGIN));
    let blob = blob_of(data, &other_rp).unwrap();
    assert_eq!(
        key.verify_security_key(data, &blob),
        Err(KeyError::BadSignature)
    );
    let blob = blob_of(data, &assertion(&authenticator(8), data, 1)).unwrap();
    assert_eq!(
        key.verify_security_key(data, &blob),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn webauthn_signatures_follow_sshds_checks() {
    let sk = authenticator(9);
    let key = sk_key(&sk, APP);
    let data = b"signed data";
    // The origin field must be the one inside clientDataJSON, without a quote.
    let a = assertion(&sk, data, 1);
    let rs = mpints(&Signature::from_der(&a.der).unwrap());
    let ok = webauthn_blob(&rs, 1, ORIGIN, &a.client_data, b"");
    assert!(key.verify_security_key(data, &ok).is_ok());
    let wrong_origin = webauthn_blob(&rs, 1, "http://evil:8080", &a.client_data, b"");
    assert_eq!(
        key.verify_security_key(data, &wrong_origin),
        Err(KeyError::BadSignature)
    );
    let quoted = assertion_over(&sk, APP, 1, &[], client_data(data, "http://a\"b"));
    let blob = webauthn_blob(
        &mpints(&Signature::from_der(&quoted.der).unwrap()),
        1,
        "http://a\"b",
        &quoted.client_data,
        b"",
    );
    assert!(matches!(
        key.verify_security_key(data, &blob),
        Err(KeyError::Malformed(_))
    ));
    // Attested data (AT) never; extensions iff the ED flag. Signed correctly, still refused.
    for (flags, exts) in [(0x41u8, &[][..]), (0x81, &[][..]), (0x01, &[0xa0][..])] {
        let a = assertion_over(&sk, APP, flags, exts, client_data(data, ORIGIN));
        let blob = webauthn_blob(
            &mpints(&Signature::from_der(&a.der).unwrap()),
            flags,
            ORIGIN,
            &a.client_data,
            exts,
        );
        assert!(
            key.verify_security_key(data, &blob).is_err(),
            "flags {flags:#x}"
        );
    }
    // A clientDataJSON of another type or key order is not what sshd accepts.
    let create = format!(
        "{{\"type\":\"webauthn.create\",\"challenge\":\"{}\",\"origin\":\"{ORIGIN}\"}}",
        Base64UrlUnpadded::encode_string(data)
    );
    let a = assertion_over(&sk, APP, 1, &[], create.into_bytes());
    assert!(blob_of(data, &a).is_err());
    let blob = webauthn_blob(
        &mpints(&Signature::from_der(&a.der).unwrap()),
        1,
        ORIGIN,
        &a.client_data,
        b"",
    );
    assert_eq!(
        key.verify_security_key(data, &blob),
        Err(KeyError::BadSignature)
    );
    // Padded base64 is not base64url.
    let padded = format!(
        "{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{ORIGIN}\"}}",
        Base64::encode_string(data)
    );
    let a = assertion_over(&sk, APP, 1, &[], padded.into_bytes());
    let blob = webauthn_blob(
        &mpints(&Signature::from_der(&a.der).unwrap()),
        1,
        ORIGIN,
        &a.client_data,
        b"",
    );
    assert!(key.verify_security_key(data, &blob).is_err());
}

#[test]
fn malformed_webauthn_input_is_refused_without_panic() {
    let sk = authenticator(10);
    let key = sk_key(&sk, APP);
    let data = b"data";
    let a = assertion(&sk, data, 1);
    let blob = blob_of(data, &a).unwrap();
    for cut in 0..blob.len() {
        assert!(
            key.verify_security_key(data, &blob[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    for i in 0..blob.len() {
        let mut g = blob.clone();
        g[i] ^= 0x01;
        assert!(key.verify_security_key(data, &g).is_err(), "byte {i}");
    }
    let mut long = blob.clone();
    long.push(0);
    assert!(key.verify_security_key(data, &long).is_err());
    // Oversized fields are refused before anything is hashed.
    let big = vec![b'a'; 9000];
    assert!(
        key.verify_security_key(data, &webauthn_blob(b"", 1, ORIGIN, &big, b""))
            .is_err()
    );
    assert!(
        key.verify_security_key(
            data,
            &webauthn_blob(b"", 0x81, ORIGIN, &a.client_data, &big)
        )
        .is_err()
    );
    // The conversion: short or attested authenticator data, bad DER, foreign clientData.
    assert!(webauthn_signature_blob(data, &a.auth_data[..36], &a.client_data, &a.der).is_err());
    let mut attested = a.auth_data.clone();
    attested[32] |= 0x40;
    assert!(webauthn_signature_blob(data, &attested, &a.client_data, &a.der).is_err());
    for cut in 0..a.der.len() {
        assert!(
            webauthn_signature_blob(data, &a.auth_data, &a.client_data, &a.der[..cut]).is_err()
        );
    }
    assert!(webauthn_signature_blob(data, &a.auth_data, &a.client_data, &[0x30; 100]).is_err());
    assert!(webauthn_signature_blob(data, &a.auth_data, b"{}", &a.der).is_err());
    // The origin must end with its quote.
    let head = client_data(data, "http://x");
    let open_origin = &head[..head.iter().rposition(|&b| b == b'x').unwrap()];
    assert!(webauthn_signature_blob(data, &a.auth_data, open_origin, &a.der).is_err());
}
