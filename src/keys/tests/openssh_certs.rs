//! OpenSSH certificates made by `ssh-keygen -s`: parsed, verified and checked; malformed and
//! tampered blobs refused cleanly.

use super::super::openssh_cert::{CertType, OpenSshCert};
use super::super::openssh_cert_check::{CertError, check};
use super::tool::{TempDir, run_tool};
use super::*;

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

/// Makes a CA of `ca_type` and a user key of `key_type`, signs it with `extra` options, and
/// returns (certificate, CA public key).
fn make_cert(tag: &str, ca_type: &str, key_type: &str, extra: &[&str]) -> (OpenSshCert, PublicKey) {
    let dir = TempDir::new(tag);
    let ca = dir.0.join("ca");
    let user = dir.0.join("user");
    let (ca_s, user_s) = (ca.to_str().unwrap(), user.to_str().unwrap());
    run_tool(SSH_KEYGEN, &["-q", "-t", ca_type, "-N", "", "-f", ca_s]);
    run_tool(SSH_KEYGEN, &["-q", "-t", key_type, "-N", "", "-f", user_s]);
    let pubf = format!("{user_s}.pub");
    let mut args = vec!["-q", "-s", ca_s, "-I", "id-lab", "-z", "42"];
    args.extend_from_slice(extra);
    args.push(&pubf);
    run_tool(SSH_KEYGEN, &args);
    let line = std::fs::read_to_string(format!("{user_s}-cert.pub")).unwrap();
    let cert = OpenSshCert::from_openssh_line(&line).unwrap();
    let ca_pub =
        PublicKey::from_openssh_line(&std::fs::read_to_string(format!("{ca_s}.pub")).unwrap())
            .unwrap();
    let user_pub = PublicKey::from_openssh_line(&std::fs::read_to_string(&pubf).unwrap()).unwrap();
    assert_eq!(cert.key, user_pub);
    (cert, ca_pub)
}

const NOW: u64 = 2_000_000_000;

#[test]
fn every_key_type_parses_and_checks() {
    for (i, (ca_t, key_t, name)) in [
        ("ed25519", "ed25519", "ssh-ed25519-cert-v01@openssh.com"),
        ("ecdsa", "ecdsa", "ecdsa-sha2-nistp256-cert-v01@openssh.com"),
        ("rsa", "rsa", "ssh-rsa-cert-v01@openssh.com"),
        ("ed25519", "rsa", "ssh-rsa-cert-v01@openssh.com"),
    ]
    .into_iter()
    .enumerate()
    {
        let (cert, ca) = make_cert(&format!("all{i}"), ca_t, key_t, &["-n", "lab,admin"]);
        assert_eq!(cert.cert_type_name, name);
        assert_eq!(cert.serial, 42);
        assert_eq!(cert.key_id, "id-lab");
        assert_eq!(cert.cert_type, CertType::User);
        assert_eq!(cert.principals, ["lab", "admin"]);
        assert_eq!(OpenSshCert::from_blob(&cert.to_blob()).unwrap(), cert);
        let r = check(
            &cert,
            std::slice::from_ref(&ca),
            CertType::User,
            Some("admin"),
            NOW,
        )
        .unwrap();
        assert_eq!(r.force_command, None);
        assert_eq!(
            check(
                &cert,
                std::slice::from_ref(&ca),
                CertType::User,
                Some("root"),
                NOW
            ),
            Err(CertError::WrongPrincipal)
        );
        assert_eq!(
            check(&cert, &[ca], CertType::Host, Some("lab"), NOW),
            Err(CertError::WrongType)
        );
        assert_eq!(
            check(
                &cert,
                std::slice::from_ref(&cert.key),
                CertType::User,
                Some("lab"),
                NOW
            ),
            Err(CertError::UnknownCa)
        );
    }
}

#[test]
fn validity_and_critical_options() {
    let (cert, ca) = make_cert(
        "opts",
        "ed25519",
        "ed25519",
        &[
            "-n",
            "lab",
            "-V",
            "20200101:20300101",
            "-O",
            "force-command=uptime",
            "-O",
            "source-address=127.0.0.1/32",
        ],
    );
    let r = check(
        &cert,
        std::slice::from_ref(&ca),
        CertType::User,
        Some("lab"),
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(r.force_command.as_deref(), Some("uptime"));
    assert_eq!(r.source_address.as_deref(), Some("127.0.0.1/32"));
    for t in [1_500_000_000, 1_950_000_000] {
        assert_eq!(
            check(
                &cert,
                std::slice::from_ref(&ca),
                CertType::User,
                Some("lab"),
                t
            ),
            Err(CertError::Expired)
        );
    }
}

#[test]
fn host_certificate() {
    let (cert, ca) = make_cert("host", "ecdsa", "ed25519", &["-h", "-n", "router1"]);
    assert_eq!(cert.cert_type, CertType::Host);
    check(&cert, &[ca], CertType::Host, Some("router1"), NOW).unwrap();
}

#[test]
fn tampered_signed_data_is_refused() {
    let (cert, ca) = make_cert("tamper", "ed25519", "ed25519", &["-n", "lab"]);
    let mut blob = cert.to_blob();
    // The serial (42, a u64 right after the key): flip a bit in it.
    let serial_at = blob
        .windows(8)
        .position(|w| w == 42u64.to_be_bytes())
        .unwrap();
    blob[serial_at + 7] ^= 1;
    let bad = OpenSshCert::from_blob(&blob).unwrap();
    assert!(matches!(
        check(&bad, &[ca], CertType::User, Some("lab"), NOW),
        Err(CertError::BadSignature(_))
    ));
}

#[test]
fn malformed_blobs_are_errors_not_panics() {
    let (cert, _) = make_cert("garble", "rsa", "ecdsa", &["-n", "lab"]);
    let blob = cert.to_blob();
    // Every truncation and every single-byte change: an error or a (different) parse, never a
    // panic.
    for n in 0..blob.len() {
        assert!(OpenSshCert::from_blob(&blob[..n]).is_err(), "prefix {n}");
    }
    for i in 0..blob.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut b = blob.clone();
            b[i] ^= x;
            let _ = OpenSshCert::from_blob(&b);
        }
    }
    let mut trailing = blob.clone();
    trailing.push(0);
    assert!(OpenSshCert::from_blob(&trailing).is_err());
    // A length of 0xffffffff for the nonce is refused before any allocation.
    let mut w = crate::wire::Writer::new();
    w.string(b"ssh-ed25519-cert-v01@openssh.com").u32(u32::MAX);
    assert!(OpenSshCert::from_blob(w.as_slice()).is_err());
    assert!(OpenSshCert::from_openssh_line("ssh-ed25519 AAAA").is_err());
}
