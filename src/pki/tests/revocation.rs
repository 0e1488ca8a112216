//! CRLs and stapled OCSP responses.

use super::*;

fn with(mode: Revocation) -> Trustpoint {
    let mut t = trust("p256");
    t.policy.revocation = mode;
    t
}

fn chain(leaf: &str) -> X509Blob {
    blob(X509Alg::EcdsaNistp256, &[leaf, "int_p256"])
}

#[test]
fn crl_revokes_and_clears() {
    let mut t = with(Revocation::Crl);
    // Without CRLs the check cannot be made.
    let e = verify_chain(&chain("user_p256"), &t, Purpose::SshClient, NOW).unwrap_err();
    assert!(
        matches!(&e, PkiError::RevocationUnknown { which, .. } if which.depth == 0),
        "{e}"
    );
    t.add_crls(&file("int_p256.crl.pem")).unwrap();
    t.add_crls(&file("root_p256.crl.pem")).unwrap();
    let v = verify_chain(&chain("user_p256"), &t, Purpose::SshClient, NOW).unwrap();
    assert_eq!(v.revocation, RevocationStatus::Good);
    let revoked = cert("revoked");
    let e = verify_chain(&chain("revoked"), &t, Purpose::SshClient, NOW).unwrap_err();
    assert_eq!(
        e,
        PkiError::Revoked {
            which: CertName {
                depth: 0,
                subject: "CN=mallory".into()
            },
            serial: revoked.serial_hex()
        }
    );
    assert!(e.to_string().contains("is revoked"), "{e}");
    // Soft fail accepts a missing CRL, never a revoked certificate.
    let mut soft = with(Revocation::Crl);
    soft.policy.revocation_soft_fail = true;
    let v = verify_chain(&chain("user_p256"), &soft, Purpose::SshClient, NOW).unwrap();
    assert_eq!(v.revocation, RevocationStatus::SoftFail);
    soft.add_crls(&file("int_p256.crl.pem")).unwrap();
    assert!(matches!(
        verify_chain(&chain("revoked"), &soft, Purpose::SshClient, NOW),
        Err(PkiError::Revoked { .. })
    ));
}

#[test]
fn stale_and_foreign_crls_do_not_count() {
    let mut t = with(Revocation::Crl);
    t.add_crls(&file("int_p256.stale.crl.pem")).unwrap();
    t.add_crls(&file("root_p256.crl.pem")).unwrap();
    let e = verify_chain(&chain("revoked"), &t, Purpose::SshClient, NOW).unwrap_err();
    assert!(
        matches!(&e, PkiError::RevocationUnknown { why, .. } if why.contains("nextUpdate")),
        "{e}"
    );
    // A CRL of another issuer with the same serials means nothing for this chain.
    let mut t = trust("rsa");
    t.policy.revocation = Revocation::Crl;
    t.add_crls(&file("int_p256.crl.pem")).unwrap();
    let e = verify_chain(
        &blob(X509Alg::Rsa2048Sha256, &["user_rsa", "int_rsa"]),
        &t,
        Purpose::SshClient,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(e, PkiError::RevocationUnknown { .. }), "{e}");
    let crl = &with(Revocation::Crl);
    let _ = crl;
    let parsed = Crl::from_der(&file("int_p256.crl.der")).unwrap();
    assert_eq!(parsed.issuer(), "CN=Intermediate CA p256,O=Example");
    assert!(parsed.lists(cert("revoked").serial()));
    assert!(!parsed.lists(cert("user_p256").serial()));
}

fn stapled(leaf: &str, responses: &[&str]) -> X509Blob {
    let mut b = chain(leaf);
    b.ocsp_responses = responses.iter().map(|r| file(r)).collect();
    b
}

#[test]
fn ocsp_good_and_revoked_from_the_ca_and_a_delegated_responder() {
    let t = with(Revocation::Ocsp);
    let now = real_now();
    for how in ["ca", "delegated"] {
        let good = stapled("user_p256", &[&format!("ocsp_user_p256.{how}.der")]);
        let v = verify_chain(&good, &t, Purpose::SshClient, now)
            .unwrap_or_else(|e| panic!("{how}: {e}"));
        assert_eq!(v.revocation, RevocationStatus::Good);
        let bad = stapled("revoked", &[&format!("ocsp_revoked.{how}.der")]);
        let e = verify_chain(&bad, &t, Purpose::SshClient, now).unwrap_err();
        assert!(matches!(e, PkiError::Revoked { .. }), "{how}: {e}");
    }
    // A response about another certificate, or none: unknown.
    let e = verify_chain(
        &stapled("user_p256", &["ocsp_revoked.ca.der"]),
        &t,
        Purpose::SshClient,
        now,
    )
    .unwrap_err();
    assert!(matches!(e, PkiError::RevocationUnknown { .. }), "{e}");
    let e = verify_chain(&chain("user_p256"), &t, Purpose::SshClient, now).unwrap_err();
    assert!(matches!(e, PkiError::RevocationUnknown { .. }), "{e}");
}

#[test]
fn ocsp_from_an_unauthorized_signer_or_out_of_date_is_refused() {
    let t = with(Revocation::Ocsp);
    let now = real_now();
    let e = verify_chain(
        &stapled("user_p256", &["ocsp_user_p256.rogue.der"]),
        &t,
        Purpose::SshClient,
        now,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::RevocationUnknown { why, .. } if why.contains("not authorized")),
        "{e}"
    );
    // Before its thisUpdate (the response was made at generation time).
    let e = verify_chain(
        &stapled("user_p256", &["ocsp_user_p256.ca.der"]),
        &t,
        Purpose::SshClient,
        1_600_000_000,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::RevocationUnknown { why, .. } if why.contains("not yet valid")),
        "{e}"
    );
    // A changed producedAt (the first GeneralizedTime): the signature no longer verifies.
    let mut b = stapled("user_p256", &["ocsp_user_p256.ca.der"]);
    let r = &mut b.ocsp_responses[0];
    let at = r.windows(2).position(|w| w == [0x18, 0x0f]).unwrap() + 2 + 13;
    r[at] = if r[at] == b'1' { b'2' } else { b'1' };
    let e = verify_chain(&b, &t, Purpose::SshClient, now).unwrap_err();
    assert!(matches!(e, PkiError::RevocationUnknown { .. }), "{e}");
}

#[test]
fn ocsp_then_crl_falls_back() {
    let mut t = with(Revocation::OcspThenCrl);
    t.add_crls(&file("int_p256.crl.pem")).unwrap();
    t.add_crls(&file("root_p256.crl.pem")).unwrap();
    let now = real_now();
    let v = verify_chain(
        &stapled("user_p256", &["ocsp_user_p256.ca.der"]),
        &t,
        Purpose::SshClient,
        now,
    )
    .unwrap();
    assert_eq!(v.revocation, RevocationStatus::Good);
    // No stapled response: the CRL says revoked.
    let e = verify_chain(&chain("revoked"), &t, Purpose::SshClient, now).unwrap_err();
    assert!(matches!(e, PkiError::Revoked { .. }), "{e}");
}
