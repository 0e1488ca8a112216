//! Server side of OpenSSH user certificates in memory: a real client logging in with an
//! `ssh-keygen -s` certificate, the server's application played by the test. With
//! `ServerAuthConfig::openssh_certificates` the query and the signed request reach the
//! application as `AuthMethod::OpenSshCertificate` (the certificate parsed, the signature
//! verified) and `server-sig-algs` lists the certificate names; without it the request fails
//! before the application hears of it. And the host side: `ServerConfig::
//! openssh_host_certificates` makes the certificate the host key a certificate-asking client
//! gets, while a client that does not ask still gets the plain key.

mod common;

use common::{Pair, host_key};
use sshgate::keys::openssh_cert::{CertType, OpenSshCert};
use sshgate::keys::{HostKeyAlg, KeyKind, PrivateKey};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::{ClientConfig, Event, ServerConfig};
use std::process::Command;
use std::sync::Arc;

/// An `ssh-keygen` key of `key_type` and its certificate for principal `lab`, serial 77.
fn key_and_cert(tag: &str, key_type: &str) -> (Arc<PrivateKey>, OpenSshCert) {
    signed(tag, key_type, &[])
}

/// [`key_and_cert`] with more `ssh-keygen -s` options (`-h`: a host certificate).
fn signed(tag: &str, key_type: &str, extra: &[&str]) -> (Arc<PrivateKey>, OpenSshCert) {
    let dir =
        std::env::temp_dir().join(format!("sshgate-cert-server-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("/usr/bin/ssh-keygen")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("ssh-keygen is needed (apt-get install openssh-client)");
        assert!(out.status.success(), "ssh-keygen {args:?}: {out:?}");
    };
    run(&["-q", "-t", "ed25519", "-N", "", "-f", "ca"]);
    run(&["-q", "-t", key_type, "-N", "", "-f", "user"]);
    let mut sign = vec!["-q", "-s", "ca", "-I", "id-77", "-z", "77", "-n", "lab"];
    sign.extend_from_slice(extra);
    sign.push("user.pub");
    run(&sign);
    let key =
        PrivateKey::from_openssh(&std::fs::read_to_string(dir.join("user")).unwrap()).unwrap();
    let cert = OpenSshCert::from_openssh_line(
        &std::fs::read_to_string(dir.join("user-cert.pub")).unwrap(),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (Arc::new(key), cert)
}

fn ready(openssh_certificates: bool) -> Pair {
    let sc = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        auth: ServerAuthConfig {
            openssh_certificates,
            ..ServerAuthConfig::default()
        },
        ..ServerConfig::default()
    };
    let mut p = Pair::new(ClientConfig::default(), sc);
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    assert!(p.client.is_established() && p.server.is_established());
    p
}

fn requests(p: &mut Pair) -> Vec<(u64, AuthMethod)> {
    std::mem::take(&mut p.server_events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, method, .. }) => Some((id, method)),
            _ => None,
        })
        .collect()
}

fn server_sig_algs(p: &Pair) -> Vec<String> {
    p.client_events
        .iter()
        .find_map(|e| match e {
            Event::ExtInfo(exts) => {
                exts.iter()
                    .find(|(n, _)| n == "server-sig-algs")
                    .map(|(_, v)| {
                        String::from_utf8_lossy(v)
                            .split(',')
                            .map(String::from)
                            .collect()
                    })
            }
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn certificate_query_and_signed_request_reach_the_application() {
    for (tag, key_type, alg) in [
        ("ed", "ed25519", HostKeyAlg::SshEd25519),
        ("rsa", "rsa", HostKeyAlg::RsaSha2_512),
    ] {
        let (key, cert) = key_and_cert(tag, key_type);
        let mut p = ready(true);
        let sig_algs = server_sig_algs(&p);
        assert!(
            sig_algs
                .iter()
                .any(|a| a == "ssh-ed25519-cert-v01@openssh.com")
                && sig_algs
                    .iter()
                    .any(|a| a == "rsa-sha2-512-cert-v01@openssh.com")
                && !sig_algs.iter().any(|a| a == "ssh-rsa-cert-v01@openssh.com"),
            "{sig_algs:?}"
        );
        p.client_events.clear();
        p.client
            .auth_openssh_certificate("lab", key, &cert)
            .unwrap();
        p.drive();
        let mut r = requests(&mut p);
        assert_eq!(r.len(), 1, "{r:?}");
        let (id, method) = r.remove(0);
        match method {
            AuthMethod::OpenSshCertificate {
                cert: c,
                alg: a,
                signed: false,
            } => {
                assert_eq!(*c, cert);
                assert_eq!(a, alg);
            }
            other => panic!("{other:?}"),
        }
        p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
        p.drive();
        let mut r = requests(&mut p);
        assert_eq!(r.len(), 1, "{r:?}");
        let (id, method) = r.remove(0);
        match method {
            AuthMethod::OpenSshCertificate {
                cert: c,
                signed: true,
                ..
            } => {
                assert_eq!(c.key_id, "id-77");
                assert_eq!(c.serial, 77);
                assert_eq!(c.principals, ["lab"]);
            }
            other => panic!("{other:?}"),
        }
        p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
        p.drive();
        assert!(
            p.client_events
                .iter()
                .any(|e| matches!(e, Event::Auth(AuthEvent::Success))),
            "{tag}"
        );
    }
}

#[test]
fn the_application_refusing_fails_the_login() {
    let (key, cert) = key_and_cert("refuse", "ed25519");
    let mut p = ready(true);
    p.client_events.clear();
    p.client
        .auth_openssh_certificate("lab", key, &cert)
        .unwrap();
    p.drive();
    let (id, _) = requests(&mut p).remove(0);
    p.server.answer_auth(id, AuthVerdict::Reject).unwrap();
    p.drive();
    assert!(requests(&mut p).is_empty());
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Failure { .. })))
    );
}

#[test]
fn without_openssh_certificates_the_request_fails_unasked() {
    let (key, cert) = key_and_cert("off", "ed25519");
    let mut p = ready(false);
    assert!(
        !server_sig_algs(&p).iter().any(|a| a.contains("-cert-v01@")),
        "{:?}",
        server_sig_algs(&p)
    );
    p.client_events.clear();
    p.client
        .auth_openssh_certificate("lab", key, &cert)
        .unwrap();
    p.drive();
    assert!(requests(&mut p).is_empty());
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Failure { .. })))
    );
    assert!(p.server.auth_failures() == 1);
}

#[test]
fn a_host_certificate_is_k_s_for_a_client_that_asks() {
    let (host, cert) = signed("host", "ed25519", &["-h"]);
    assert_eq!(cert.cert_type, CertType::Host);
    let sc = ServerConfig {
        host_keys: vec![host],
        openssh_host_certificates: vec![Arc::new(cert.clone())],
        ..ServerConfig::default()
    };
    for asks in [true, false] {
        let cc = ClientConfig {
            openssh_host_certificates: asks,
            ..ClientConfig::default()
        };
        let mut p = Pair::new(cc, sc.clone());
        p.drive();
        assert!(p.client.is_established(), "asks={asks}");
        let info = p
            .client_events
            .iter()
            .find_map(|e| match e {
                Event::HostKey(i) => Some(i.clone()),
                _ => None,
            })
            .expect("host key event");
        assert_eq!(info.key, cert.key);
        if asks {
            assert_eq!(info.algorithm.name(), "ssh-ed25519-cert-v01@openssh.com");
            assert_eq!(info.openssh_certificate.as_deref(), Some(&cert));
        } else {
            assert_eq!(info.algorithm, HostKeyAlg::SshEd25519);
            assert!(info.openssh_certificate.is_none());
        }
    }
    // A certificate of a key the server does not have is never offered.
    let (other, _) = signed("stranger", "ed25519", &["-h"]);
    let sc = ServerConfig {
        host_keys: vec![other],
        openssh_host_certificates: vec![Arc::new(cert)],
        ..ServerConfig::default()
    };
    let cc = ClientConfig {
        openssh_host_certificates: true,
        ..ClientConfig::default()
    };
    let mut p = Pair::new(cc, sc);
    p.drive();
    assert!(p.client.is_established());
    assert!(p.client_events.iter().any(|e| matches!(
        e,
        Event::HostKey(i) if i.algorithm == HostKeyAlg::SshEd25519
    )));
}
