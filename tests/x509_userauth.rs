//! RFC 6187 user authentication in memory: every `x509v3-*` algorithm as a user key, the choice
//! from `server-sig-algs`, the application mapping the certificate to a login (IOS
//! `authorization username subjectname commonname`), and what a server without trustpoints does.

mod common;

use common::pki::{self, NOW};
use common::{Pair, host_key};
use sshgate::keys::{HostKeyAlg, KeyKind};
use sshgate::pki::{CertificateCheck, CertifiedKey, PkiError, UsernameField, X509Alg};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::{ClientConfig, Event, ServerConfig};
use std::sync::Arc;

/// A pair with keys in place and `ssh-userauth` started; the server trusts `roots`.
fn ready(roots: &[&str], tweak: impl FnOnce(&mut ServerConfig, &mut ClientConfig)) -> Pair {
    let mut s = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        auth: ServerAuthConfig {
            trustpoints: if roots.is_empty() {
                Vec::new()
            } else {
                vec![Arc::new(pki::trust(roots))]
            },
            ..ServerAuthConfig::default()
        },
        ..ServerConfig::default()
    };
    let mut c = ClientConfig::default();
    tweak(&mut s, &mut c);
    let mut p = Pair::new(c, s);
    p.client.set_wall_clock(NOW);
    p.server.set_wall_clock(NOW);
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    assert!(p.client.is_established() && p.server.is_established());
    p
}

fn requests(p: &mut Pair) -> Vec<(u64, String, AuthMethod)> {
    std::mem::take(&mut p.server_events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, user, method }) => Some((id, user, method)),
            _ => None,
        })
        .collect()
}

/// The one certificate request the server's application is asked.
fn next_cert_request(p: &mut Pair) -> (u64, Box<CertificateCheck>, bool) {
    let mut r = requests(p);
    assert_eq!(r.len(), 1, "expected one request, got {r:?}");
    let (id, _, m) = r.remove(0);
    match m {
        AuthMethod::Certificate { check, signed } => (id, check, signed),
        other => panic!("certificate request expected, got {other:?}"),
    }
}

fn answer(p: &mut Pair, id: u64, v: AuthVerdict) {
    p.server.answer_auth(id, v).unwrap();
    p.drive();
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

fn succeeded(p: &mut Pair) -> bool {
    client_auth(p)
        .iter()
        .any(|e| matches!(e, AuthEvent::Success))
}

/// The server's application, as `sshgate-host serve` decides: the certificate's CN must be an
/// allowed user and equal the requested name.
fn decide(user: &str, check: &CertificateCheck, allowed: &[&str]) -> AuthVerdict {
    let Some(v) = check.validated() else {
        return AuthVerdict::Reject;
    };
    match v.identity.username(&UsernameField::CommonName) {
        Ok(name) if name == user && allowed.contains(&name.as_str()) => AuthVerdict::Accept,
        _ => AuthVerdict::Reject,
    }
}

/// Query, PK_OK, signed request, success; returns the algorithm used.
fn login(p: &mut Pair, cert: Arc<CertifiedKey>) -> X509Alg {
    p.client.auth_certificate("alice", cert.clone()).unwrap();
    p.drive();
    let (id, check, signed) = next_cert_request(p);
    assert!(!signed);
    let v = check
        .validated()
        .unwrap_or_else(|| panic!("{:?}", check.outcome));
    assert_eq!(v.key, cert.key().public());
    // x509v3-sign-rsa carries the leaf alone.
    let sent = if check.alg.is_chain_format() {
        cert.certificates().len()
    } else {
        1
    };
    assert_eq!(check.certificates, sent);
    answer(p, id, decide("alice", &check, &["alice"]));
    let (id, check2, signed) = next_cert_request(p);
    assert!(signed);
    assert_eq!(check2.alg, check.alg);
    assert_eq!(check2.validated().unwrap().identity.common_names, ["alice"]);
    answer(p, id, decide("alice", &check2, &["alice"]));
    assert!(succeeded(p), "no success for {}", check.alg);
    check.alg
}

#[test]
fn every_x509_algorithm_as_a_user_key() {
    let cases = [
        (X509Alg::SshEd25519, "ed25519"),
        (X509Alg::EcdsaNistp256, "p256"),
        (X509Alg::EcdsaNistp384, "p384"),
        (X509Alg::EcdsaNistp521, "p521"),
        (X509Alg::Rsa2048Sha256, "rsa"),
        (X509Alg::SshRsa, "rsa"),
        (X509Alg::SignRsa, "rsa"),
    ];
    for (alg, t) in cases {
        let root = format!("root_{t}");
        let int = format!("int_{t}");
        // x509v3-sign-rsa sends the leaf alone: the intermediate must be an anchor.
        let roots: Vec<&str> = if alg == X509Alg::SignRsa {
            vec![&root, &int]
        } else {
            vec![&root]
        };
        let mut p = ready(&roots, |s, c| {
            // server-sig-algs is this list: the client must pick `alg` from it.
            s.common.algorithms.host_key = vec![HostKeyAlg::X509(alg), HostKeyAlg::SshEd25519];
            s.auth.allow_ssh_rsa = alg.is_legacy();
            c.auth.allow_ssh_rsa = alg.is_legacy();
        });
        assert_eq!(login(&mut p, pki::certified(&format!("user_{t}"))), alg);
    }
}

#[test]
fn server_sig_algs_lists_x509_only_with_trustpoints() {
    let sig_algs = |p: &Pair| p.client.server_sig_algs().unwrap().to_vec();
    let with = ready(&["root_p256"], |_, _| {});
    assert!(
        sig_algs(&with)
            .iter()
            .any(|a| a == "x509v3-ecdsa-sha2-nistp256")
    );
    assert!(
        !sig_algs(&with).iter().any(|a| a == "x509v3-ssh-rsa"),
        "legacy off"
    );
    let without = ready(&[], |_, _| {});
    assert!(!sig_algs(&without).iter().any(|a| a.starts_with("x509v3-")));
}

#[test]
fn a_client_needs_an_algorithm_the_server_lists() {
    // The server lists no x509v3 name: the client does not try (a local error, nothing sent).
    let mut p = ready(&[], |_, _| {});
    assert!(
        p.client
            .auth_certificate("alice", pki::certified("user_p256"))
            .is_err()
    );
    // RSA with only x509v3-ssh-rsa listed and SHA-1 not allowed on the client.
    let mut p = ready(&["root_rsa"], |s, _| {
        s.common.algorithms.host_key =
            vec![HostKeyAlg::X509(X509Alg::SshRsa), HostKeyAlg::SshEd25519];
        s.auth.allow_ssh_rsa = true;
    });
    assert!(
        p.client
            .auth_certificate("alice", pki::certified("user_rsa"))
            .is_err()
    );
}

#[test]
fn the_application_maps_the_certificate_to_a_user() {
    // CN=bob is a valid certificate of a user who is not allowed.
    let mut p = ready(&["root_p256"], |_, _| {});
    p.client
        .auth_certificate("bob", pki::certified("user_bob"))
        .unwrap();
    p.drive();
    let (id, check, _) = next_cert_request(&mut p);
    assert_eq!(
        check
            .validated()
            .unwrap()
            .identity
            .username(&UsernameField::CommonName),
        Ok("bob".into())
    );
    answer(&mut p, id, decide("bob", &check, &["alice"]));
    assert!(
        client_auth(&mut p)
            .iter()
            .any(|e| matches!(e, AuthEvent::Failure { .. }))
    );
    // No CN at all: the seed's message.
    let mut p = ready(&["root_p256"], |_, _| {});
    p.client
        .auth_certificate("alice", pki::certified("user_nocn"))
        .unwrap();
    p.drive();
    let (id, check, _) = next_cert_request(&mut p);
    let e = check
        .validated()
        .unwrap()
        .identity
        .username(&UsernameField::CommonName)
        .unwrap_err();
    assert_eq!(e, PkiError::UsernameFieldMissing);
    assert_eq!(
        e.to_string(),
        "Could not find username field configured for certificate in trustpoint"
    );
    answer(&mut p, id, AuthVerdict::Reject);
    // The e-mail SAN's local part maps Carol's certificate to `alice`.
    let mut p = ready(&["root_p256"], |_, _| {});
    p.client
        .auth_certificate("alice", pki::certified("user_email"))
        .unwrap();
    p.drive();
    let (_, check, _) = next_cert_request(&mut p);
    let id = &check.validated().unwrap().identity;
    assert_eq!(
        id.username(&UsernameField::EmailLocalPart),
        Ok("alice".into())
    );
    assert_eq!(
        id.username(&UsernameField::CommonName),
        Ok("Carol Example".into())
    );
}

#[test]
fn the_second_trustpoint_that_knows_the_issuer_validates() {
    let mut p = ready(&["root_rsa"], |s, _| {
        s.auth
            .trustpoints
            .push(Arc::new(pki::trust(&["root_ed25519"])));
    });
    p.client
        .auth_certificate("alice", pki::certified("user_ed25519"))
        .unwrap();
    p.drive();
    let (_, check, _) = next_cert_request(&mut p);
    assert_eq!(check.trustpoint, Some(1));
    assert!(check.validated().is_some());
}
