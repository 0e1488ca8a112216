//! Every refusal, each with its own reason.

use super::*;

fn user(names: &[&str]) -> X509Blob {
    blob(X509Alg::EcdsaNistp256, names)
}

fn check(names: &[&str], t: &Trustpoint, purpose: Purpose) -> Result<Validated, PkiError> {
    verify_chain(&user(names), t, purpose, NOW)
}

#[test]
fn a_self_signed_leaf_is_not_trusted_unless_it_is_an_anchor() {
    let t = trust("p256");
    let e = check(&["selfsigned"], &t, Purpose::SshClient).unwrap_err();
    assert!(
        matches!(&e, PkiError::UntrustedIssuer { which } if which.depth == 0),
        "{e}"
    );
    assert!(
        e.to_string().contains("self-signed and not a trustpoint"),
        "{e}"
    );
    // Pinned: the same certificate as an anchor is accepted.
    let pinned = Trustpoint::from_anchors(&file("selfsigned.pem")).unwrap();
    let v = check(&["selfsigned"], &pinned, Purpose::SshClient).unwrap();
    assert_eq!(v.chain.len(), 1);
}

#[test]
fn a_peer_root_never_becomes_trusted() {
    // The peer sends its whole chain including its root, but the trustpoint is another CA.
    let e = check(
        &["user_p256", "int_p256", "root_p256"],
        &trust("p384"),
        Purpose::SshClient,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::UntrustedIssuer { which } if which.depth == 2),
        "{e}"
    );
}

#[test]
fn a_missing_intermediate_is_named() {
    let e = check(&["user_p256"], &trust("p256"), Purpose::SshClient).unwrap_err();
    match &e {
        PkiError::MissingIntermediate { which, issuer } => {
            assert_eq!(which.depth, 0);
            assert_eq!(issuer, "CN=Intermediate CA p256,O=Example");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn validity_of_the_leaf_and_of_an_intermediate() {
    let t = trust("p256");
    let e = check(&["expired", "int_p256"], &t, Purpose::SshClient).unwrap_err();
    assert!(
        matches!(&e, PkiError::Expired { which, not_after } if which.depth == 0 && *not_after == 1_104_537_600),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("has expired. Validity period ended on 2005-01-01 00:00:00 UTC"),
        "{e}"
    );
    let e = check(&["future", "int_p256"], &t, Purpose::SshClient).unwrap_err();
    assert!(
        matches!(&e, PkiError::NotYetValid { which, .. } if which.depth == 0),
        "{e}"
    );
    let e = check(&["under_expired", "int_expired"], &t, Purpose::SshClient).unwrap_err();
    assert!(
        matches!(&e, PkiError::Expired { which, .. } if which.depth == 1 && which.subject == "CN=Expired Intermediate"),
        "{e}"
    );
    // At a time the leaf was valid, the intermediate was not yet.
    let e = verify_chain(
        &user(&["expired", "int_p256"]),
        &t,
        Purpose::SshClient,
        1_000_000_000,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::NotYetValid { which, .. } if which.depth == 1),
        "{e}"
    );
}

#[test]
fn extended_key_usage_and_the_tls_option() {
    let mut t = trust("p256");
    for n in ["tls", "codesign"] {
        let e = check(&[n, "int_p256"], &t, Purpose::SshClient).unwrap_err();
        assert!(
            matches!(
                &e,
                PkiError::WrongPurpose {
                    wanted: "secureShellClient",
                    ..
                }
            ),
            "{n}: {e}"
        );
    }
    let e = check(&["server_tls", "int_p256"], &t, Purpose::SshServer).unwrap_err();
    assert!(
        matches!(
            &e,
            PkiError::WrongPurpose {
                wanted: "secureShellServer",
                ..
            }
        ),
        "{e}"
    );
    // No EKU at all: accepted by default, refused when the policy insists.
    check(&["noeku", "int_p256"], &t, Purpose::SshClient).unwrap();
    t.policy.eku.allow_missing = false;
    assert!(matches!(
        check(&["noeku", "int_p256"], &t, Purpose::SshClient),
        Err(PkiError::WrongPurpose { .. })
    ));
    t.policy.eku.allow_tls = true;
    check(&["tls", "int_p256"], &t, Purpose::SshClient).unwrap();
    check(&["server_tls", "int_p256"], &t, Purpose::SshServer).unwrap();
    // clientAuth is not serverAuth, and codeSigning stays refused.
    assert!(check(&["tls", "int_p256"], &t, Purpose::SshServer).is_err());
    assert!(check(&["codesign", "int_p256"], &t, Purpose::SshClient).is_err());
}

#[test]
fn a_leaf_without_digital_signature() {
    let e = check(&["nods", "int_p256"], &trust("p256"), Purpose::SshClient).unwrap_err();
    assert!(
        matches!(&e, PkiError::NoDigitalSignature { which } if which.depth == 0),
        "{e}"
    );
}

#[test]
fn an_issuer_that_is_not_a_ca() {
    let e = check(
        &["under_notca", "int_notca"],
        &trust("p256"),
        Purpose::SshClient,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::NotACa { which } if which.subject == "CN=Not A CA"),
        "{e}"
    );
}

#[test]
fn path_length_constraint() {
    let e = check(
        &["under_pl0", "int_sub", "int_pl0"],
        &trust("p256"),
        Purpose::SshClient,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::PathLenExceeded { which, max: 0 } if which.depth == 2),
        "{e}"
    );
}

#[test]
fn name_constraints_dns_ip_and_excluded() {
    let t = trust("p256");
    check(&["nc_good", "int_nc"], &t, Purpose::SshServer).unwrap();
    for (n, name) in [
        ("nc_bad", "DNS:host.bad.example"),
        ("nc_badip", "IP:192.168.1.1"),
        ("nc_excluded", "DNS:x.bad.good.example"),
    ] {
        let e = check(&[n, "int_nc"], &t, Purpose::SshServer).unwrap_err();
        assert!(
            matches!(&e, PkiError::NameConstraintViolation { which, name: got } if which.depth == 0 && got == name),
            "{n}: {e}"
        );
    }
}

#[test]
fn sha1_signatures_only_when_allowed() {
    let mut t = trust("rsa");
    let b = blob(X509Alg::SshRsa, &["user_sha1", "int_rsa"]);
    let e = verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap_err();
    assert!(
        matches!(&e, PkiError::WeakSignatureAlgorithm { which, oid } if which.depth == 0 && oid == "1.2.840.113549.1.1.5"),
        "{e}"
    );
    t.policy.allow_sha1 = true;
    verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap();
}

/// Rewrites the last byte of the OID in the outer signatureAlgorithm (after the TBS).
fn with_outer_alg_last_byte(der: &[u8], from: u8, to: u8) -> Vec<u8> {
    let tbs = crate::pki::cert::tbs_range(der).unwrap();
    let mut out = der.to_vec();
    let alg = &mut out[tbs.end..];
    // SEQUENCE { OID ... }: 30 len 06 len oid-bytes
    assert_eq!(alg[0], 0x30);
    assert_eq!(alg[2], 0x06);
    let oid_end = 4 + usize::from(alg[3]);
    assert_eq!(alg[oid_end - 1], from);
    alg[oid_end - 1] = to;
    out
}

#[test]
fn outer_signature_algorithm_must_equal_the_tbs_one() {
    // sha256WithRSAEncryption (…1.1.11) outside, relabelled sha384WithRSAEncryption (…1.1.12).
    let forged = with_outer_alg_last_byte(&der("user_rsa"), 11, 12);
    let b = X509Blob::new(X509Alg::Rsa2048Sha256, vec![forged, der("int_rsa")]);
    let e = verify_chain(&b, &trust("rsa"), Purpose::SshClient, NOW).unwrap_err();
    assert!(
        matches!(&e, PkiError::SignatureAlgorithmMismatch { which } if which.depth == 0),
        "{e}"
    );
    // The same change on the intermediate.
    let forged = with_outer_alg_last_byte(&der("int_rsa"), 11, 12);
    let b = X509Blob::new(X509Alg::Rsa2048Sha256, vec![der("user_rsa"), forged]);
    let e = verify_chain(&b, &trust("rsa"), Purpose::SshClient, NOW).unwrap_err();
    assert!(
        matches!(&e, PkiError::SignatureAlgorithmMismatch { which } if which.depth == 1),
        "{e}"
    );
}

#[test]
fn a_tampered_certificate_fails_its_signature() {
    let mut d = der("user_p256");
    let tbs = crate::pki::cert::tbs_range(&d).unwrap();
    // Flip a byte inside the subject public key area, well inside the TBS.
    let i = tbs.end - 40;
    d[i] ^= 0x01;
    let b = X509Blob::new(X509Alg::EcdsaNistp256, vec![d, der("int_p256")]);
    match verify_chain(&b, &trust("p256"), Purpose::SshClient, NOW) {
        Err(PkiError::BadSignature { which }) => assert_eq!(which.depth, 0),
        Err(PkiError::Malformed { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_critical_extensions() {
    let e = check(
        &["critical", "int_p256"],
        &trust("p256"),
        Purpose::SshClient,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PkiError::UnknownCriticalExtension { oid, .. } if oid == "1.2.3.4.5.6.7"),
        "{e}"
    );
}

#[test]
fn key_type_must_fit_the_algorithm() {
    let b = blob(X509Alg::EcdsaNistp384, &["user_p256", "int_p256"]);
    assert_eq!(
        verify_chain(&b, &trust("p256"), Purpose::SshClient, NOW).unwrap_err(),
        PkiError::KeyAlgorithmMismatch {
            alg: "x509v3-ecdsa-sha2-nistp384"
        }
    );
}

#[test]
fn too_many_certificates() {
    let names: Vec<&str> = std::iter::repeat_n("int_p256", 8).collect();
    let mut all = vec!["user_p256"];
    all.extend(names);
    let e = verify_chain(&user(&all), &trust("p256"), Purpose::SshClient, NOW).unwrap_err();
    assert_eq!(e, PkiError::TooManyCertificates { got: 9, max: 8 });
    // On the wire, the count alone is refused before anything is read.
    let enc = user(&all).encode();
    assert!(matches!(
        X509Blob::decode(X509Alg::EcdsaNistp256, &enc, &BlobLimits::default()),
        Err(PkiError::TooManyCertificates { got: 9, max: 8 })
    ));
}

#[test]
fn many_anchors_of_one_name_exhaust_the_budget() {
    let mut t = Trustpoint::default();
    for i in 1..=40 {
        t.add_anchors(&file(&format!("decoy_{i}.pem"))).unwrap();
    }
    let b = user(&["decoy_leaf"]);
    let e = verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap_err();
    assert_eq!(e, PkiError::BudgetExceeded { checks: 32 });
    // With a budget large enough, the search ends with the real reason.
    t.policy.max_signature_checks = 64;
    let e = verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap_err();
    assert!(matches!(e, PkiError::BadSignature { .. }), "{e}");
    // The right anchor among the decoys is found.
    t.add_anchors(&file("decoy_signer.pem")).unwrap();
    t.policy.max_signature_checks = 64;
    verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap();
}

#[test]
fn weak_rsa_keys_are_refused() {
    let mut t = trust("rsa");
    t.policy.min_rsa_bits = 3072;
    let e = verify_chain(
        &blob(X509Alg::Rsa2048Sha256, &["user_rsa", "int_rsa"]),
        &t,
        Purpose::SshClient,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(e, PkiError::WeakKey { .. }), "{e}");
}

#[test]
fn many_interchangeable_intermediates_do_not_make_a_long_walk() {
    // Seven certificates of one name and key: each verifies under every other, so without a
    // bound the search would walk thousands of orderings (no new signature needed for most).
    let mut names = vec!["loop_leaf".to_owned()];
    names.extend((1..=7).map(|i| format!("loop_{i}")));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut t = trust("p256");
    t.policy.max_signature_checks = 1000;
    let e = check(&names, &t, Purpose::SshClient).unwrap_err();
    assert!(matches!(e, PkiError::BudgetExceeded { .. }), "{e}");
}
