//! RFC 6187 host keys in memory: every `x509v3-*` algorithm as a server's host key, what the
//! client offers (certificates only with trust anchors, and then first), re-key pinning, and
//! every refusal reaching the application through `Event::HostKey`.

mod common;

use common::pki::{self, NOW};
use common::{Pair, host_key};
use sshgate::keys::{HostKeyAlg, KeyKind};
use sshgate::msg::reason;
use sshgate::pki::{
    CertificateCheck, CertifiedKey, PkiError, Revocation, RevocationStatus, Trustpoint, X509Alg,
};
use sshgate::{Algorithms, ClientConfig, Event, ServerConfig};
use std::sync::Arc;

const HOST: &str = "router1.example.com";

fn client(trust: Option<Trustpoint>) -> ClientConfig {
    let mut c = ClientConfig::default();
    c.common.algorithms = Algorithms::with_legacy();
    c.host_trust = trust.map(Arc::new);
    c.host_name = Some(HOST.into());
    c
}

fn server(certs: Vec<Arc<CertifiedKey>>) -> ServerConfig {
    let mut s = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        host_certificates: certs,
        ..ServerConfig::default()
    };
    s.common.algorithms = Algorithms::with_legacy();
    s
}

/// Runs the first key exchange with both wall clocks at `NOW` (unless `clock` is false).
fn run(c: ClientConfig, s: ServerConfig, clock: bool, trust: bool) -> Pair {
    let mut p = Pair::new(c, s);
    if clock {
        p.client.set_wall_clock(NOW);
        p.server.set_wall_clock(NOW);
    }
    p.trust_host_key = trust;
    p.drive();
    p
}

fn host_key_info(p: &Pair) -> &sshgate::HostKeyInfo {
    p.client_events
        .iter()
        .find_map(|e| match e {
            Event::HostKey(i) => Some(i),
            _ => None,
        })
        .expect("a HostKey event")
}

fn check(p: &Pair) -> &CertificateCheck {
    host_key_info(p)
        .certificate
        .as_deref()
        .expect("a certificate check")
}

fn negotiated(p: &Pair) -> HostKeyAlg {
    p.client_events
        .iter()
        .find_map(|e| match e {
            Event::KexComplete { algorithms, .. } => Some(algorithms.host_key),
            _ => None,
        })
        .expect("key exchange completed")
}

#[test]
fn every_x509_algorithm_as_a_host_key_and_across_a_rekey() {
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
        let mut c = client(Some(pki::trust(&[&format!("root_{t}")])));
        if alg == X509Alg::SignRsa {
            // x509v3-sign-rsa carries the leaf alone: its issuer must be an anchor.
            let anchors = c.host_trust.as_ref().unwrap().anchors.clone();
            let mut tp = Trustpoint {
                anchors,
                ..Trustpoint::default()
            };
            tp.add_anchors(&pki::file(&format!("int_{t}.pem"))).unwrap();
            c.host_trust = Some(Arc::new(tp));
        }
        c.common.algorithms.host_key = vec![HostKeyAlg::X509(alg)];
        let cert = pki::certified(&format!("server_{t}"));
        let mut p = run(c, server(vec![cert.clone()]), true, true);
        assert!(p.client_error.is_none(), "{alg}: {:?}", p.client_error);
        assert_eq!(negotiated(&p), HostKeyAlg::X509(alg), "{alg}");
        let info = host_key_info(&p);
        assert_eq!(info.key, cert.key().public(), "{alg}: the leaf's key");
        let c = check(&p);
        let v = c
            .validated()
            .unwrap_or_else(|| panic!("{alg}: {:?}", c.outcome));
        assert_eq!(v.identity.common_names, ["router1.example.com"]);
        assert_eq!(c.trustpoint, Some(0));
        assert_eq!(c.certificates, if alg == X509Alg::SignRsa { 1 } else { 2 });
        assert_eq!(v.chain.len(), if alg == X509Alg::SignRsa { 2 } else { 3 });
        // The pinned key survives a re-key (the chain is not compared byte for byte).
        p.client.rekey();
        p.drive();
        assert!(
            p.client_error.is_none() && p.server_error.is_none(),
            "{alg}"
        );
        assert_eq!(Pair::kex_completions(&p.client_events), 2, "{alg}");
    }
}

#[test]
fn a_client_offers_certificates_only_with_anchors_and_then_prefers_them() {
    let cert = pki::certified("server_ed25519");
    let with = run(
        client(Some(pki::trust(&["root_ed25519"]))),
        server(vec![cert.clone()]),
        true,
        true,
    );
    assert_eq!(negotiated(&with), HostKeyAlg::X509(X509Alg::SshEd25519));
    let without = run(client(None), server(vec![cert]), true, true);
    assert_eq!(negotiated(&without), HostKeyAlg::SshEd25519);
    assert!(host_key_info(&without).certificate.is_none());
}

#[test]
fn a_server_offers_certificates_only_for_keys_with_a_chain() {
    // The client would take x509v3-ssh-ed25519, but the server's only chain is for an RSA key.
    let mut c = client(Some(pki::trust(&["root_ed25519", "root_rsa"])));
    c.common.algorithms = Algorithms::default();
    let p = run(c, server(vec![pki::certified("server_rsa")]), true, true);
    assert_eq!(negotiated(&p), HostKeyAlg::X509(X509Alg::Rsa2048Sha256));
    // Legacy x509v3-ssh-rsa is not offered by default on either side.
    let mut c = client(Some(pki::trust(&["root_rsa"])));
    c.common.algorithms.host_key = vec![HostKeyAlg::X509(X509Alg::SshRsa)];
    let mut s = server(vec![pki::certified("server_rsa")]);
    s.common.algorithms = Algorithms::default();
    let p = run(c, s, true, true);
    let e = p.client_error.expect("no common host key algorithm");
    assert_eq!(e.reason, reason::KEY_EXCHANGE_FAILED, "{e}");
}

/// The refusal the client's application sees for `server_cert` under `trust`.
fn refusal(server_cert: Arc<CertifiedKey>, trust: Trustpoint) -> (PkiError, Pair) {
    let p = run(client(Some(trust)), server(vec![server_cert]), true, false);
    let e = check(&p).refusal().cloned().expect("refused");
    // The application said no: the connection ends with HOST_KEY_NOT_VERIFIABLE.
    assert_eq!(
        p.client_error.as_ref().map(|e| e.reason),
        Some(reason::HOST_KEY_NOT_VERIFIABLE)
    );
    (e, p)
}

#[test]
fn server_certificate_refusals_reach_the_application() {
    let p256 = || pki::trust(&["root_p256"]);
    let (e, _) = refusal(pki::certified("server_expired"), p256());
    assert!(
        matches!(&e, PkiError::Expired { which, .. } if which.depth == 0),
        "{e}"
    );
    let (e, _) = refusal(pki::certified("server_clienteku"), p256());
    assert!(
        matches!(&e, PkiError::WrongPurpose { wanted, .. } if *wanted == "secureShellServer"),
        "{e}"
    );
    let (e, _) = refusal(pki::certified("server_other"), p256());
    assert!(
        matches!(&e, PkiError::HostNameMismatch { host } if host == HOST),
        "{e}"
    );
    let (e, p) = refusal(pki::certified("server_p256"), pki::trust(&["root_rsa"]));
    assert!(matches!(&e, PkiError::MissingIntermediate { .. }), "{e}");
    // A refused chain still shows whose it is and who issued it, for the person deciding.
    let leaf = check(&p).leaf.as_ref().expect("the leaf is parsed");
    assert_eq!(leaf.subject(), "CN=router1.example.com,O=Example");
    assert_eq!(leaf.issuer(), "CN=Intermediate CA p256,O=Example");
    assert!(leaf.not_before() < pki::NOW && pki::NOW < leaf.not_after());
    // And the CA certificates it sent, so the person can choose to trust the issuer.
    let sent = &check(&p).sent;
    assert_eq!(sent.len(), 2, "leaf and intermediate");
    assert_eq!(sent[0].subject(), leaf.subject());
    assert_eq!(sent[1].subject(), "CN=Intermediate CA p256,O=Example");
    assert!(sent[1].is_ca());
    let (e, _) = refusal(pki::certified("server_nc_bad"), p256());
    assert!(
        matches!(&e, PkiError::NameConstraintViolation { .. }),
        "{e}"
    );
    let mut crl = p256();
    crl.add_crls(&pki::file("crls_p256.pem")).unwrap();
    crl.policy.revocation = Revocation::Crl;
    let (e, _) = refusal(pki::certified("server_revoked"), crl.clone());
    assert!(
        matches!(&e, PkiError::Revoked { which, .. } if which.depth == 0),
        "{e}"
    );
    // The same CRLs pass the good server.
    let p = run(
        client(Some(crl)),
        server(vec![pki::certified("server_p256")]),
        true,
        true,
    );
    let v = check(&p).validated().expect("valid");
    assert_eq!(v.revocation, RevocationStatus::Good);
}

#[test]
fn without_a_wall_clock_nothing_is_valid() {
    let p = run(
        client(Some(pki::trust(&["root_p256"]))),
        server(vec![pki::certified("server_p256")]),
        false,
        false,
    );
    assert!(matches!(check(&p).refusal(), Some(PkiError::NoClock)));
}

#[test]
fn a_refused_chain_can_still_be_trusted_by_its_key() {
    // The application decides: e.g. the leaf key is in known_hosts although the chain expired.
    let p = run(
        client(Some(pki::trust(&["root_p256"]))),
        server(vec![pki::certified("server_expired")]),
        true,
        true,
    );
    assert!(check(&p).refusal().is_some());
    assert!(p.client_error.is_none() && p.client.is_established());
}

#[test]
fn stapled_ocsp_responses_are_checked() {
    let mut t = pki::trust(&["root_p256"]);
    t.policy.revocation = Revocation::Ocsp;
    let staple = |name: &str| {
        let c = pki::certified(name);
        let ocsp = pki::file(&format!("{name}.ocsp.der"));
        Arc::new(
            CertifiedKey::clone(&c)
                .with_ocsp_responses(vec![ocsp])
                .unwrap(),
        )
    };
    let p = run(
        client(Some(t.clone())),
        server(vec![staple("server_p256")]),
        true,
        true,
    );
    let c = check(&p);
    assert_eq!(c.ocsp_responses, 1);
    assert_eq!(
        c.validated().expect("good").revocation,
        RevocationStatus::Good
    );
    let (e, _) = refusal(staple("server_revoked"), t.clone());
    assert!(matches!(&e, PkiError::Revoked { .. }), "{e}");
    // OCSP required and nothing stapled: unknown status.
    let (e, _) = refusal(pki::certified("server_p256"), t);
    assert!(matches!(&e, PkiError::RevocationUnknown { .. }), "{e}");
}

#[test]
fn a_certified_key_must_be_the_certificates_key() {
    let e =
        CertifiedKey::new(pki::key("server_rsa"), pki::certs("server_p256.chain.pem")).unwrap_err();
    assert_eq!(e, PkiError::KeyMismatch);
    let nine: Vec<_> = std::iter::repeat_n(pki::certs("server_p256.chain.pem"), 5)
        .flatten()
        .collect();
    assert!(matches!(
        CertifiedKey::new(pki::key("server_p256"), nine),
        Err(PkiError::TooManyCertificates { got: 10, max: 8 })
    ));
}
