//! Host certificates made by `ssh-keygen -s -h` judged against known_hosts `@cert-authority`
//! and `@revoked` lines (`known_hosts::check_host_certificate`), with OpenSSH's rules.

use super::super::known_hosts::{
    HostCertRefusal as R, HostCertStatus as S, check_host_certificate, has_cert_authority,
    hashed_name,
};
use super::super::openssh_cert::OpenSshCert;
use super::tool::{TempDir, run_tool};

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const NOW: u64 = 1_800_000_000;

/// A CA and a host key made by ssh-keygen in `dir`.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new(tag: &str, ca_type: &str) -> Self {
        let dir = TempDir::new(tag);
        let p = |n: &str| dir.0.join(n).to_str().unwrap().to_string();
        run_tool(SSH_KEYGEN, &["-q", "-t", ca_type, "-N", "", "-f", &p("ca")]);
        run_tool(
            SSH_KEYGEN,
            &["-q", "-t", ca_type, "-N", "", "-f", &p("ca2")],
        );
        run_tool(
            SSH_KEYGEN,
            &["-q", "-t", "ed25519", "-N", "", "-f", &p("host")],
        );
        Pki { dir }
    }

    fn path(&self, n: &str) -> String {
        self.dir.0.join(n).to_str().unwrap().to_string()
    }

    fn read(&self, n: &str) -> String {
        std::fs::read_to_string(self.path(n))
            .unwrap()
            .trim()
            .to_string()
    }

    /// `ssh-keygen -s CA -I id ARGS host.pub`, the certificate parsed.
    fn sign(&self, ca: &str, args: &[&str]) -> OpenSshCert {
        let (ca, host) = (self.path(ca), self.path("host.pub"));
        let mut all = vec!["-q", "-s", &ca, "-I", "host-id"];
        all.extend_from_slice(args);
        all.push(&host);
        run_tool(SSH_KEYGEN, &all);
        OpenSshCert::from_openssh_line(&self.read("host-cert.pub")).unwrap()
    }

    /// `@cert-authority HOSTS <ca.pub>`.
    fn ca_line(&self, hosts: &str, ca: &str) -> String {
        format!(
            "@cert-authority {hosts} {}\n",
            self.read(&format!("{ca}.pub"))
        )
    }
}

#[test]
fn a_host_certificate_is_trusted_through_its_ca_for_listed_names() {
    let pki = Pki::new("hc-ok", "ed25519");
    let cert = pki.sign("ca", &["-h", "-n", "router1,*.lab"]);
    let text = format!(
        "# mine\nother ssh-ed25519 AAAA\n{}",
        pki.ca_line("router1,*.lab,[router1]:2222", "ca")
    );
    let check = |host: &str, port: u16| check_host_certificate(&text, host, port, &cert, NOW);
    assert_eq!(check("router1", 22), S::Trusted(3));
    assert_eq!(check("ROUTER1", 22), S::Trusted(3));
    assert_eq!(check("a.lab", 22), S::Trusted(3));
    assert_eq!(check("router1", 2222), S::Trusted(3));
    // The CA line does not name these, so nothing vouches for the certificate.
    assert_eq!(check("router1", 2200), S::Refused(R::NoCertAuthority));
    assert_eq!(check("router2", 22), S::Refused(R::NoCertAuthority));
    assert!(has_cert_authority(&text, "x.lab", 22));
    assert!(!has_cert_authority(&text, "router2", 22));
    // A CA line for every host: the certificate's principals decide.
    let any = pki.ca_line("*", "ca");
    assert_eq!(
        check_host_certificate(&any, "router2", 22, &cert, NOW),
        S::Refused(R::WrongPrincipal)
    );
    // Another CA for this host is not this certificate's CA.
    let other = pki.ca_line("router1", "ca2");
    assert_eq!(
        check_host_certificate(&other, "router1", 22, &cert, NOW),
        S::Refused(R::UnknownCa)
    );
    // A hashed host name on the CA line.
    let hashed = format!(
        "@cert-authority {} {}\n",
        hashed_name("router1", 22, &[9; 20]).unwrap(),
        pki.read("ca.pub")
    );
    assert_eq!(
        check_host_certificate(&hashed, "router1", 22, &cert, NOW),
        S::Trusted(1)
    );
}

#[test]
fn validity_type_options_and_principals() {
    let pki = Pki::new("hc-rules", "ecdsa");
    let text = pki.ca_line("*", "ca");
    let at = |cert: &OpenSshCert, t: u64| check_host_certificate(&text, "router1", 22, cert, t);
    let dated = pki.sign("ca", &["-h", "-n", "router1", "-V", "20200101:20300101"]);
    assert_eq!(at(&dated, NOW), S::Trusted(1));
    assert_eq!(at(&dated, 1_500_000_000), S::Refused(R::NotYetValid));
    assert_eq!(at(&dated, 1_950_000_000), S::Refused(R::Expired));
    let user = pki.sign("ca", &["-n", "router1"]);
    assert_eq!(at(&user, NOW), S::Refused(R::NotHostCertificate));
    let forced = pki.sign("ca", &["-h", "-n", "router1", "-O", "force-command=ls"]);
    assert_eq!(
        at(&forced, NOW),
        S::Refused(R::CriticalOption("force-command".into()))
    );
    // No principals: any host, as OpenSSH reads a host certificate.
    let anyone = pki.sign("ca", &["-h"]);
    assert_eq!(at(&anyone, NOW), S::Trusted(1));
}

#[test]
fn revoked_keys_certificates_and_cas_refuse() {
    let pki = Pki::new("hc-revoked", "ed25519");
    let cert = pki.sign("ca", &["-h", "-n", "router1"]);
    let ca = pki.ca_line("router1", "ca");
    for (what, revoked) in [
        ("host key", pki.read("host.pub")),
        ("certificate", pki.read("host-cert.pub")),
        ("CA key", pki.read("ca.pub")),
    ] {
        let text = format!("{ca}@revoked * {revoked}\n");
        assert_eq!(
            check_host_certificate(&text, "router1", 22, &cert, NOW),
            S::Revoked(2),
            "{what}"
        );
    }
    let other = format!("{ca}@revoked * {}\n", pki.read("ca2.pub"));
    assert_eq!(
        check_host_certificate(&other, "router1", 22, &cert, NOW),
        S::Trusted(1)
    );
}

#[test]
fn sha1_ca_signatures_and_tampering_refuse() {
    let pki = Pki::new("hc-rsa", "rsa");
    let text = pki.ca_line("*", "ca");
    let good = pki.sign("ca", &["-h", "-n", "router1"]);
    assert_eq!(
        check_host_certificate(&text, "router1", 22, &good, NOW),
        S::Trusted(1)
    );
    let sha1 = pki.sign("ca", &["-h", "-n", "router1", "-t", "ssh-rsa"]);
    assert_eq!(
        check_host_certificate(&text, "router1", 22, &sha1, NOW),
        S::Refused(R::CaSignatureAlgorithm("ssh-rsa".into()))
    );
    // The principal changed after signing: the CA's signature no longer verifies.
    let mut forged = good.clone();
    let at = forged
        .signed_data
        .windows(7)
        .position(|w| w == b"router1")
        .unwrap();
    forged.signed_data[at + 6] = b'2';
    assert!(matches!(
        check_host_certificate(&text, "router2", 22, &forged, NOW),
        S::Refused(R::BadSignature(_))
    ));
}
