//! Chains that validate, the names they carry, and host name checks.

use super::*;
use crate::crypto::EngineRng;
use crate::keys::PrivateKey;

fn alg_for(kt: &str) -> X509Alg {
    match kt {
        "rsa" => X509Alg::Rsa2048Sha256,
        "p256" => X509Alg::EcdsaNistp256,
        "p384" => X509Alg::EcdsaNistp384,
        _ => X509Alg::SshEd25519,
    }
}

#[test]
fn every_key_type_validates_for_its_purpose() {
    for kt in ["rsa", "p256", "p384", "ed25519"] {
        let t = trust(kt);
        let alg = alg_for(kt);
        let user = blob(alg, &[&format!("user_{kt}"), &format!("int_{kt}")]);
        let v = verify_chain(&user, &t, Purpose::SshClient, NOW)
            .unwrap_or_else(|e| panic!("{kt}: {e}"));
        assert_eq!(v.chain.len(), 3, "{kt}: leaf, intermediate, anchor");
        assert_eq!(v.chain[2], t.anchors[0]);
        assert_eq!(v.revocation, RevocationStatus::NotChecked);
        assert!(alg.fits(&v.key), "{kt}: {:?}", v.key);
        let server = blob(alg, &[&format!("server_{kt}"), &format!("int_{kt}")]);
        verify_chain(&server, &t, Purpose::SshServer, NOW).unwrap_or_else(|e| panic!("{kt}: {e}"));
        // A user certificate is not a host key and the other way round.
        assert!(matches!(
            verify_chain(&user, &t, Purpose::SshServer, NOW),
            Err(PkiError::WrongPurpose { .. })
        ));
        assert!(matches!(
            verify_chain(&server, &t, Purpose::SshClient, NOW),
            Err(PkiError::WrongPurpose { .. })
        ));
    }
}

#[test]
fn the_leaf_key_verifies_ssh_signatures() {
    let pem = String::from_utf8(file("user_p256.key")).unwrap();
    // The PKCS#8 key openssl wrote, read with the PKI layer's own PKCS#8 reader.
    let der = pem_blocks(&pem, "PRIVATE KEY").unwrap().remove(0);
    let key: PrivateKey = pkcs8_private_key(&der).unwrap();
    let v = verify_chain(
        &blob(X509Alg::EcdsaNistp256, &["user_p256", "int_p256"]),
        &trust("p256"),
        Purpose::SshClient,
        NOW,
    )
    .unwrap();
    assert_eq!(key.public(), v.key);
    let mut rng = EngineRng::from_seed([7; 32]);
    let sig = X509Alg::EcdsaNistp256
        .sign(&key, b"session", &mut rng)
        .unwrap();
    X509Alg::EcdsaNistp256
        .verify(&v.key, b"session", &sig, 2048)
        .unwrap();
    assert!(
        X509Alg::EcdsaNistp256
            .verify(&v.key, b"other", &sig, 2048)
            .is_err()
    );
}

#[test]
fn intermediates_in_any_order_and_a_sent_root_are_fine() {
    let t = trust("rsa");
    let b = blob(X509Alg::SshRsa, &["user_rsa", "root_rsa", "int_rsa"]);
    let v = verify_chain(&b, &t, Purpose::SshClient, NOW).unwrap();
    assert_eq!(v.chain.len(), 3);
    // The anchor may also be the intermediate (a trustpoint for the issuing CA, as on IOS).
    let mut t2 = Trustpoint::from_anchors(&file("int_rsa.pem")).unwrap();
    t2.policy = Policy::default();
    let v = verify_chain(
        &blob(X509Alg::SshRsa, &["user_rsa"]),
        &t2,
        Purpose::SshClient,
        NOW,
    )
    .unwrap();
    assert_eq!(v.chain.len(), 2);
}

#[test]
fn identity_fields_and_username_mapping() {
    let id = Identity::from_certificate(&cert("user_p256"));
    assert_eq!(id.subject, "CN=alice,OU=Admins,O=Example");
    assert_eq!(id.username(&UsernameField::CommonName).unwrap(), "alice");
    assert_eq!(
        id.username(&UsernameField::Email).unwrap(),
        "alice@example.com"
    );
    assert_eq!(
        id.username(&UsernameField::EmailLocalPart).unwrap(),
        "alice"
    );
    assert_eq!(
        id.username(&UsernameField::Upn).unwrap(),
        "alice@corp.example.com"
    );
    assert_eq!(id.username(&UsernameField::UpnLocalPart).unwrap(), "alice");
    assert_eq!(id.username(&UsernameField::Subject).unwrap(), id.subject);
    assert_eq!(id.attribute("2.5.4.11"), vec!["Admins".to_owned()]);
    assert!(id.subject_matches(&DnPattern::parse("o=example, OU=*mins").unwrap()));
    assert!(id.subject_matches(&DnPattern::parse("CN=al*").unwrap()));
    assert!(!id.subject_matches(&DnPattern::parse("O=Example,OU=Operators").unwrap()));
    assert!(!id.subject_matches(&DnPattern::parse("C=US").unwrap()));
    assert!(DnPattern::parse("no equals sign").is_none());
    // The validated chain carries the same identity.
    let v = verify_chain(
        &blob(X509Alg::EcdsaNistp256, &["user_p256", "int_p256"]),
        &trust("p256"),
        Purpose::SshClient,
        NOW,
    )
    .unwrap();
    assert_eq!(v.identity, id);
}

#[test]
fn a_certificate_without_the_field_gives_the_ios_message() {
    let id = Identity::from_certificate(&cert("nocn"));
    let e = id.username(&UsernameField::CommonName).unwrap_err();
    assert_eq!(e, PkiError::UsernameFieldMissing);
    assert_eq!(
        e.to_string(),
        "Could not find username field configured for certificate in trustpoint"
    );
    // The rest of it is still there.
    assert_eq!(
        id.username(&UsernameField::Email).unwrap(),
        "alice@example.com"
    );
    let id = Identity::from_certificate(&cert("tls"));
    assert_eq!(
        id.username(&UsernameField::Upn),
        Err(PkiError::UsernameFieldMissing)
    );
}

#[test]
fn host_names_match_san_wildcards_ips_and_cn_only_without_san() {
    let id = Identity::from_certificate(&cert("server_p256"));
    id.verify_host_name("host.example.com").unwrap();
    id.verify_host_name("HOST.example.com.").unwrap();
    id.verify_host_name("a.wild.example.com").unwrap();
    id.verify_host_name("192.0.2.10").unwrap();
    id.verify_host_name("2001:db8::10").unwrap();
    id.verify_host_name("[2001:db8::10]").unwrap();
    for bad in [
        "a.b.wild.example.com",
        "wild.example.com",
        "other.example.com",
        "192.0.2.11",
        "",
    ] {
        assert!(
            matches!(
                id.verify_host_name(bad),
                Err(PkiError::HostNameMismatch { .. })
            ),
            "{bad}"
        );
    }
    // The subject CN is host.example.com too, but with a SAN present only the SAN counts.
    let legacy = Identity::from_certificate(&cert("server_nosan"));
    legacy.verify_host_name("legacy.example.com").unwrap();
    assert!(legacy.verify_host_name("host.example.com").is_err());
    let nc = Identity::from_certificate(&cert("nc_good"));
    assert!(nc.verify_host_name("host.good.example").is_ok());
    assert!(nc.verify_host_name("10.1.2.3").is_ok());
}

#[test]
fn certificates_load_from_pem_and_der() {
    let chain = load_certificates(&file("chain_rsa.pem")).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0], cert("int_rsa"));
    assert_eq!(load_certificates(&der("int_rsa")).unwrap()[0], chain[0]);
    let pem = to_pem("CERTIFICATE", chain[1].der());
    assert_eq!(load_certificates(pem.as_bytes()).unwrap()[0], chain[1]);
    assert!(load_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
    assert!(
        load_certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
            .is_err()
    );
    assert_eq!(chain[0].subject(), "CN=Intermediate CA rsa,O=Example");
    assert_eq!(chain[0].issuer(), "CN=Root CA rsa,O=Example");
    assert!(chain[0].is_ca() && !chain[0].is_self_issued() && chain[1].is_self_issued());
}
