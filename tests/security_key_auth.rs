//! `publickey` with a FIDO security key in memory: the client hands the signed data to the
//! application (`SignRequest`), the test plays a WebAuthn browser and authenticator with its
//! own P-256 key, and the server verifies the `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`
//! signature and reports the authenticator's flags to its application.

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::{Pair, host_key};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use sshgate::keys::{KeyKind, PrivateKey, PublicKey, webauthn_signature_blob};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::{ClientConfig, Event, ServerConfig};

const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:5173";

fn pair() -> Pair {
    let sc = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        auth: ServerAuthConfig::default(),
        ..ServerConfig::default()
    };
    let mut p = Pair::new(ClientConfig::default(), sc);
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    p
}

fn sk_key(a: &SigningKey) -> PublicKey {
    let q = a.verifying_key().to_sec1_point(false);
    PublicKey::security_key_ecdsa(q.as_bytes(), RP).unwrap()
}

/// What `navigator.credentials.get({ challenge: data })` returns, turned into the SSH blob.
fn browser_sign(a: &SigningKey, data: &[u8], flags: u8) -> Vec<u8> {
    let cdj = format!(
        "{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":false}}",
        Base64UrlUnpadded::encode_string(data)
    );
    let mut auth_data = Sha256::digest(RP.as_bytes()).to_vec();
    auth_data.push(flags);
    auth_data.extend_from_slice(&3u32.to_be_bytes());
    let mut signed = auth_data.clone();
    signed.extend_from_slice(&Sha256::digest(cdj.as_bytes()));
    let sig: Signature = a.sign(&signed);
    webauthn_signature_blob(data, &auth_data, cdj.as_bytes(), sig.to_der().as_bytes()).unwrap()
}

fn server_request(p: &mut Pair) -> (u64, AuthMethod) {
    let evs = std::mem::take(&mut p.server_events);
    let mut r: Vec<_> = evs
        .into_iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, method, .. }) => Some((id, method)),
            _ => None,
        })
        .collect();
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)
}

fn client_auth(p: &mut Pair) -> Vec<AuthEvent> {
    std::mem::take(&mut p.client_events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Auth(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn sign_request(evs: &[AuthEvent]) -> (u64, Vec<u8>, String) {
    evs.iter()
        .find_map(|e| match e {
            AuthEvent::SignRequest { id, data, alg, .. } => Some((*id, data.clone(), alg.clone())),
            _ => None,
        })
        .expect("a sign request")
}

/// Query, PK_OK, SignRequest; returns the request's id and data.
fn up_to_sign_request(p: &mut Pair, key: &PublicKey) -> (u64, Vec<u8>) {
    let (sid, data, alg) = up_to_sign_request_as(p, key, None);
    // The key type's name by default, whatever the signature's format: what sshd accepts
    // with its default PubkeyAcceptedAlgorithms before OpenSSH 10.3.
    assert_eq!(alg, "sk-ecdsa-sha2-nistp256@openssh.com");
    (sid, data)
}

fn up_to_sign_request_as(
    p: &mut Pair,
    key: &PublicKey,
    alg: Option<&str>,
) -> (u64, Vec<u8>, String) {
    p.client
        .auth_publickey_external("alice", key.clone(), alg)
        .unwrap();
    p.drive();
    let (id, m) = server_request(p);
    match m {
        AuthMethod::SecurityKey {
            key: k,
            signature: None,
        } => assert_eq!(&k, key),
        other => panic!("not a security key query: {other:?}"),
    }
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    p.drive();
    sign_request(&client_auth(p))
}

#[test]
fn webauthn_login_reports_the_flags() {
    let mut p = pair();
    let a = SigningKey::from_slice(&[21; 32]).unwrap();
    let key = sk_key(&a);
    let (sid, data) = up_to_sign_request(&mut p, &key);
    p.client
        .answer_sign_request(sid, &browser_sign(&a, &data, 0x05))
        .unwrap();
    p.drive();
    let (id, m) = server_request(&mut p);
    let AuthMethod::SecurityKey {
        key: k,
        signature: Some(v),
    } = m
    else {
        panic!("not a signed security key request: {m:?}");
    };
    assert_eq!(k, key);
    assert!(v.user_present() && v.user_verified());
    assert_eq!(v.counter, 3);
    assert_eq!(v.webauthn_origin.as_deref(), Some(ORIGIN));
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    p.drive();
    assert!(
        client_auth(&mut p)
            .iter()
            .any(|e| matches!(e, AuthEvent::Success))
    );
}

#[test]
fn the_webauthn_name_when_asked_for() {
    let mut p = pair();
    let a = SigningKey::from_slice(&[25; 32]).unwrap();
    let key = sk_key(&a);
    let name = "webauthn-sk-ecdsa-sha2-nistp256@openssh.com";
    let (sid, data, alg) = up_to_sign_request_as(&mut p, &key, Some(name));
    assert_eq!(alg, name);
    p.client
        .answer_sign_request(sid, &browser_sign(&a, &data, 1))
        .unwrap();
    p.drive();
    let (id, m) = server_request(&mut p);
    assert!(matches!(
        m,
        AuthMethod::SecurityKey {
            signature: Some(_),
            ..
        }
    ));
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    p.drive();
    assert!(
        client_auth(&mut p)
            .iter()
            .any(|e| matches!(e, AuthEvent::Success))
    );
}

#[test]
fn a_wrong_signature_is_refused_before_it_is_sent() {
    let mut p = pair();
    let a = SigningKey::from_slice(&[22; 32]).unwrap();
    let key = sk_key(&a);
    let (sid, data) = up_to_sign_request(&mut p, &key);
    // Another authenticator, other data, an unknown id, garbage: errors, nothing sent.
    let other = SigningKey::from_slice(&[23; 32]).unwrap();
    assert!(
        p.client
            .answer_sign_request(sid, &browser_sign(&other, &data, 1))
            .is_err()
    );
    assert!(
        p.client
            .answer_sign_request(sid, &browser_sign(&a, b"x", 1))
            .is_err()
    );
    assert!(
        p.client
            .answer_sign_request(sid + 1, &browser_sign(&a, &data, 1))
            .is_err()
    );
    assert!(p.client.answer_sign_request(sid, b"garbage").is_err());
    p.drive();
    assert!(p.server_events.is_empty(), "nothing reached the server");
    assert!(!p.client.is_closed());
    // The right one still goes through.
    p.client
        .answer_sign_request(sid, &browser_sign(&a, &data, 1))
        .unwrap();
    p.drive();
    let (_, m) = server_request(&mut p);
    assert!(
        matches!(m, AuthMethod::SecurityKey { signature: Some(v), .. } if v.user_present() && !v.user_verified())
    );
}

#[test]
fn the_server_refuses_forged_signatures_without_asking() {
    let mut p = pair();
    let a = SigningKey::from_slice(&[24; 32]).unwrap();
    let key = sk_key(&a);
    let (_, data) = up_to_sign_request(&mut p, &key);
    // A client that sends a signature over other data (bypassing the client's own check).
    let mut w = sshgate::wire::Writer::message(50);
    w.string(b"alice")
        .string(b"ssh-connection")
        .string(b"publickey")
        .bool(true)
        .string(b"webauthn-sk-ecdsa-sha2-nistp256@openssh.com")
        .string(&key.to_blob())
        .string(&browser_sign(&a, &[data.as_slice(), b"!"].concat(), 1));
    p.client
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    assert!(
        !p.server_events
            .iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Request { .. }))),
        "the application is not asked"
    );
    assert_eq!(p.server.auth_failures(), 1);
}

#[test]
fn external_signing_works_for_plain_keys_too() {
    let mut p = pair();
    let mut rng = sshgate::crypto::EngineRng::from_seed([5; 32]);
    let private = PrivateKey::generate(KeyKind::Ed25519, &mut rng).unwrap();
    p.client
        .auth_publickey_external("alice", private.public(), None)
        .unwrap();
    p.drive();
    let (id, m) = server_request(&mut p);
    assert!(matches!(m, AuthMethod::PublicKeyQuery { .. }), "{m:?}");
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    p.drive();
    let (sid, data, alg) = sign_request(&client_auth(&mut p));
    assert_eq!(alg, "ssh-ed25519");
    let alg = sshgate::keys::HostKeyAlg::SshEd25519;
    let sig = private.sign(alg, &data, &mut rng).unwrap();
    p.client.answer_sign_request(sid, &sig).unwrap();
    p.drive();
    let (_, m) = server_request(&mut p);
    assert!(matches!(m, AuthMethod::PublicKey { .. }), "{m:?}");
}
