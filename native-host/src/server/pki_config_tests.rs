use super::super::config::DeviceFile;
use super::*;

const HEAD: &str = "[server]\nhost_keys = [\"k/ssh_host_ed25519_key\"]\n";

const FULL: &str = r#"
[[trustpoints]]
name = "pki-server"
ca_certificates = ["ca.pem"]
key = "router.key"
certificate_chain = "router-chain.pem"
ocsp_response = "router.ocsp.der"

[[trustpoints]]
name = "corp-ca"
ca_certificates = ["root.pem", "other-root.pem"]
revocation = "ocsp-crl"
crls = ["corp.crl"]
revocation_soft_fail = true
username = "email-local"
subject_pattern = "O=Example,OU=*Admins"
allow_tls_purposes = true

[certificate_profile.server]
trustpoint_sign = "pki-server"

[certificate_profile.user]
trustpoint_verify = ["corp-ca", "pki-server"]

[[users]]
name = "alice"
certificate = true
"#;

fn parse(body: &str) -> anyhow::Result<DeviceFile> {
    DeviceFile::parse(&format!("{HEAD}{body}"))
}

#[test]
fn a_full_certificate_profile_parses() {
    let f = parse(FULL).unwrap();
    let t = &f.trustpoints[1];
    assert_eq!(t.name, "corp-ca");
    assert_eq!(t.revocation, Revocation::OcspThenCrl);
    assert_eq!(t.username, UsernameMap::EmailLocal);
    assert!(t.revocation_soft_fail && t.allow_tls_purposes && !t.allow_sha1);
    let p = f.certificate_profile.as_ref().unwrap();
    assert_eq!(p.server.as_ref().unwrap().trustpoint_sign, "pki-server");
    assert_eq!(
        p.user.as_ref().unwrap().trustpoint_verify,
        ["corp-ca", "pki-server"]
    );
    assert!(f.users[0].certificate);
    // Defaults: IOS `revocation-check none`, `authorization username subjectname commonname`.
    assert_eq!(f.trustpoints[0].revocation, Revocation::None);
    assert_eq!(f.trustpoints[0].username, UsernameMap::Commonname);
}

#[test]
fn references_and_fields_are_checked() {
    let cases = [
        (
            "[certificate_profile.server]\ntrustpoint_sign = \"nope\"\n",
            "no [[trustpoints]] named \"nope\"",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nca_certificates = [\"x\"]\n\
             [certificate_profile.server]\ntrustpoint_sign = \"a\"\n",
            "has no key and certificate_chain",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nkey = \"k\"\n",
            "key and certificate_chain go together",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\n[certificate_profile.user]\ntrustpoint_verify = [\"a\"]\n",
            "trustpoint_verify needs ca_certificates",
        ),
        (
            "[certificate_profile.user]\ntrustpoint_verify = []\n",
            "at least one trustpoint",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nrevocation = \"crl\"\n",
            "revocation = crl needs crls",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\n[[trustpoints]]\nname = \"a\"\n",
            "defined twice",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nsubject_pattern = \"no equals sign\"\n",
            "subject_pattern",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nusername = \"shoe-size\"\n",
            "unknown variant",
        ),
        (
            "[[trustpoints]]\nname = \"a\"\nrevocation = \"sometimes\"\n",
            "revocation \"sometimes\" is not one of none, crl, ocsp, ocsp-crl",
        ),
    ];
    for (body, want) in cases {
        let e = format!("{:#}", parse(body).unwrap_err());
        assert!(e.contains(want), "{body:?}: {e}");
    }
}

#[test]
fn a_user_may_have_only_a_certificate() {
    parse("[[users]]\nname = \"alice\"\ncertificate = true\n").unwrap();
    let e = parse("[[users]]\nname = \"alice\"\n").unwrap_err();
    assert!(e.to_string().contains("certificate = true"), "{e}");
}

#[test]
fn missing_files_are_named_at_load() {
    let f = parse(FULL).unwrap();
    let e = load(&f.trustpoints, f.certificate_profile.as_ref()).unwrap_err();
    assert!(format!("{e:#}").contains("router.key"), "{e:#}");
}
