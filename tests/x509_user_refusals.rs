//! Refused user certificates in memory: each reason reaches the server's application in the
//! `AuthMethod::Certificate` request, an `Accept` cannot override it (USERAUTH_FAILURE all the
//! same, counted), and hostile blobs and signatures fail cleanly.

mod common;

use common::pki::{self, NOW};
use common::{Pair, host_key};
use sshgate::keys::KeyKind;
use sshgate::pki::{CertifiedKey, PkiError, Revocation, Trustpoint};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::wire::Writer;
use sshgate::{ClientConfig, Event, ServerConfig};
use std::sync::Arc;

fn ready(trust: Trustpoint, clock: bool) -> Pair {
    let s = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        auth: ServerAuthConfig {
            trustpoints: vec![Arc::new(trust)],
            ..ServerAuthConfig::default()
        },
        ..ServerConfig::default()
    };
    let mut p = Pair::new(ClientConfig::default(), s);
    p.client.set_wall_clock(NOW);
    if clock {
        p.server.set_wall_clock(NOW);
    }
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    p
}

/// The refusal the server's application is shown for `cert`; it answers Accept, and the client
/// must still get USERAUTH_FAILURE.
fn refused_with(p: &mut Pair, cert: Arc<CertifiedKey>) -> PkiError {
    p.client.auth_certificate("alice", cert).unwrap();
    p.drive();
    let reqs: Vec<_> = std::mem::take(&mut p.server_events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, method, .. }) => Some((id, method)),
            _ => None,
        })
        .collect();
    let [(id, AuthMethod::Certificate { check, signed })] = reqs.as_slice() else {
        panic!("one certificate request expected, got {reqs:?}");
    };
    assert!(!signed);
    let e = check.refusal().cloned().expect("a refusal");
    let failures = p.server.auth_failures();
    p.server.answer_auth(*id, AuthVerdict::Accept).unwrap();
    p.drive();
    let evs: Vec<_> = std::mem::take(&mut p.client_events);
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Failure { .. }))),
        "{e}: no failure"
    );
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Success)))
    );
    assert_eq!(p.server.auth_failures(), failures + 1, "counted");
    e
}

fn refused(trust: Trustpoint, name: &str) -> PkiError {
    refused_with(&mut ready(trust, true), pki::certified(name))
}

fn p256() -> Trustpoint {
    pki::trust(&["root_p256"])
}

#[test]
fn validity_issuer_and_path_refusals() {
    let e = refused(p256(), "user_expired");
    assert!(
        matches!(&e, PkiError::Expired { which, .. } if which.depth == 0),
        "{e}"
    );
    let e = refused(p256(), "user_future");
    assert!(
        matches!(&e, PkiError::NotYetValid { which, .. } if which.depth == 0),
        "{e}"
    );
    let e = refused(p256(), "user_under_expired");
    assert!(
        matches!(&e, PkiError::Expired { which, .. } if which.depth == 1),
        "{e}"
    );
    let e = refused(p256(), "user_selfsigned");
    assert!(
        matches!(&e, PkiError::UntrustedIssuer { which } if which.depth == 0),
        "{e}"
    );
    // The peer's own root is sent along; it never becomes trusted.
    let e = refused(p256(), "user_other");
    assert!(
        matches!(&e, PkiError::UntrustedIssuer { which } if which.depth == 1),
        "{e}"
    );
    let leaf_only = CertifiedKey::new(pki::key("user_p256"), pki::certs("user_p256.pem")).unwrap();
    let e = refused_with(&mut ready(p256(), true), Arc::new(leaf_only));
    assert!(matches!(&e, PkiError::MissingIntermediate { .. }), "{e}");
    let e = refused(p256(), "user_under_notca");
    assert!(matches!(&e, PkiError::NotACa { .. }), "{e}");
    let e = refused(p256(), "user_under_pl0");
    assert!(
        matches!(&e, PkiError::PathLenExceeded { max: 0, .. }),
        "{e}"
    );
}

#[test]
fn purpose_and_key_usage_refusals() {
    let e = refused(p256(), "user_codesign");
    assert!(
        matches!(&e, PkiError::WrongPurpose { wanted, .. } if *wanted == "secureShellClient"),
        "{e}"
    );
    let e = refused(p256(), "user_tls");
    assert!(matches!(&e, PkiError::WrongPurpose { .. }), "{e}");
    let e = refused(p256(), "user_nods");
    assert!(matches!(&e, PkiError::NoDigitalSignature { .. }), "{e}");
    // A trustpoint that accepts the TLS purposes takes the clientAuth certificate.
    let mut tls = p256();
    tls.policy.eku.allow_tls = true;
    let mut p = ready(tls, true);
    p.client
        .auth_certificate("alice", pki::certified("user_tls"))
        .unwrap();
    p.drive();
    assert!(p.server_events.iter().any(|e| matches!(e,
        Event::Auth(AuthEvent::Request { method: AuthMethod::Certificate { check, .. }, .. })
            if check.validated().is_some())));
}

#[test]
fn algorithm_refusals() {
    let e = refused(pki::trust(&["root_rsa"]), "user_sha1");
    assert!(matches!(&e, PkiError::WeakSignatureAlgorithm { .. }), "{e}");
    // ecdsa-with-SHA256 outside, relabelled ecdsa-with-SHA384: the TBS still says SHA-256.
    let mut chain = pki::certs("user_p256.chain.pem");
    let forged = relabel_outer_ecdsa_sha256(chain[0].der());
    chain[0] = sshgate::pki::Certificate::from_der(&forged).unwrap();
    let cert = CertifiedKey::new(pki::key("user_p256"), chain).unwrap();
    let e = refused_with(&mut ready(p256(), true), Arc::new(cert));
    assert!(
        matches!(&e, PkiError::SignatureAlgorithmMismatch { which } if which.depth == 0),
        "{e}"
    );
}

/// The last `ecdsa-with-SHA256` OID in a certificate is its outer signatureAlgorithm.
fn relabel_outer_ecdsa_sha256(der: &[u8]) -> Vec<u8> {
    const OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let at = der
        .windows(OID.len())
        .rposition(|w| w == OID)
        .expect("ecdsa-with-SHA256");
    let mut out = der.to_vec();
    out[at + OID.len() - 1] = 0x03;
    out
}

#[test]
fn revoked_by_crl_and_no_clock() {
    let mut crl = p256();
    crl.add_crls(&pki::file("crls_p256.pem")).unwrap();
    crl.policy.revocation = Revocation::Crl;
    let e = refused(crl, "user_revoked");
    assert!(
        matches!(&e, PkiError::Revoked { which, .. } if which.depth == 0),
        "{e}"
    );
    let e = refused_with(&mut ready(p256(), false), pki::certified("user_p256"));
    assert_eq!(e, PkiError::NoClock);
}

/// A publickey request with `alg` and `blob`, signed with `sig` if given.
fn raw_request(alg: &str, blob: &[u8], sig: Option<&[u8]>) -> Vec<u8> {
    let mut w = Writer::message(50);
    w.string(b"alice")
        .string(b"ssh-connection")
        .string(b"publickey")
        .bool(sig.is_some())
        .string(alg.as_bytes())
        .string(blob);
    if let Some(s) = sig {
        w.string(s);
    }
    w.into_vec()
}

fn blob(alg: &str, certs: &[Vec<u8>]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(alg.as_bytes()).u32(certs.len() as u32);
    for c in certs {
        w.string(c);
    }
    w.u32(0);
    w.into_vec()
}

/// Sends a raw request; returns the refusal the application was shown (if it was asked).
fn raw(p: &mut Pair, payload: Vec<u8>) -> Option<PkiError> {
    p.client.send_raw_auth_payload_for_tests(payload).unwrap();
    p.drive();
    let asked = std::mem::take(&mut p.server_events)
        .into_iter()
        .find_map(|e| match e {
            Event::Auth(AuthEvent::Request {
                id,
                method: AuthMethod::Certificate { check, .. },
                ..
            }) => Some((id, check)),
            _ => None,
        });
    let (id, check) = asked?;
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    p.drive();
    check.refusal().cloned()
}

/// The server answered USERAUTH_FAILURE and did not end the connection itself (the client
/// engine, which had sent nothing of its own, hangs up on that reply).
fn replied_failure(p: &Pair) {
    let ce = p.client_error.as_ref().expect("the client saw a reply");
    assert!(ce.description.contains("USERAUTH_FAILURE"), "{ce:?}");
    assert!(
        p.server
            .close_reason()
            .is_none_or(|e| e.fault == sshgate::Fault::PeerDisconnected)
    );
}

#[test]
fn too_many_certificates_and_garbage_blobs() {
    const ALG: &str = "x509v3-ecdsa-sha2-nistp256";
    let chain = pki::ders("user_p256.chain.pem");
    let nine: Vec<Vec<u8>> = std::iter::repeat_n(chain[1].clone(), 8)
        .chain([chain[0].clone()])
        .collect();
    let mut p = ready(p256(), true);
    let e = raw(&mut p, raw_request(ALG, &blob(ALG, &nine), None));
    assert_eq!(e, Some(PkiError::TooManyCertificates { got: 9, max: 8 }));
    assert_eq!(p.server.auth_failures(), 1);
    replied_failure(&p);
    for junk in [
        Vec::new(),
        b"garbage".to_vec(),
        blob(ALG, &[b"not DER at all".to_vec()]),
        blob("x509v3-ssh-ed25519", &chain),
        // A count the bytes cannot hold.
        {
            let mut w = Writer::new();
            w.string(ALG.as_bytes()).u32(u32::MAX);
            w.into_vec()
        },
    ] {
        let mut p = ready(p256(), true);
        let e = raw(&mut p, raw_request(ALG, &junk, None));
        assert!(
            matches!(
                e,
                Some(
                    PkiError::Malformed { .. }
                        | PkiError::KeyAlgorithmMismatch { .. }
                        | PkiError::TooManyCertificates { .. }
                )
            ),
            "{e:?}"
        );
        replied_failure(&p);
    }
}

#[test]
fn a_bad_signature_on_a_valid_chain_fails_unasked() {
    const ALG: &str = "x509v3-ecdsa-sha2-nistp256";
    let b = blob(ALG, &pki::ders("user_p256.chain.pem"));
    let mut p = ready(p256(), true);
    let mut sig = Writer::new();
    sig.string(b"ecdsa-sha2-nistp256").string(&[0u8; 72]);
    let asked = raw(&mut p, raw_request(ALG, &b, Some(&sig.into_vec())));
    assert!(asked.is_none(), "the application was asked");
    assert_eq!(p.server.auth_failures(), 1);
    replied_failure(&p);
}

#[test]
fn a_server_without_trustpoints_refuses_certificates_unasked() {
    let s = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        ..ServerConfig::default()
    };
    let mut p = Pair::new(ClientConfig::default(), s);
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    const ALG: &str = "x509v3-ecdsa-sha2-nistp256";
    let b = blob(ALG, &pki::ders("user_p256.chain.pem"));
    assert!(raw(&mut p, raw_request(ALG, &b, None)).is_none());
    assert_eq!(p.server.auth_failures(), 1);
}
