//! X.509 targets (src/pki): certificates and chains, and revocation (CRLs, stapled OCSP),
//! against the fixtures' trust anchors at a fixed time (fixtures.rs `NOW`).

use crate::fixtures::{
    INT_ED25519, INT_P256, NOW, SERVER_P256, SERVER_REVOKED, trustpoint, x509_algs,
};
use crate::ops::ops;
use sshgate::pki::{
    BlobLimits, Certificate, Crl, DnPattern, Identity, Purpose, Revocation, Trustpoint,
    UsernameField, X509Blob, load_certificates, verify_certificates, verify_chain,
};
use std::sync::OnceLock;

fn parsed(der: &'static [u8]) -> Certificate {
    Certificate::from_der(der).expect("fixture certificate")
}

/// The fixtures' intermediates and the two server leaves, parsed once.
fn fixture_certs() -> &'static [Certificate; 4] {
    static C: OnceLock<[Certificate; 4]> = OnceLock::new();
    C.get_or_init(|| {
        [
            parsed(INT_P256),
            parsed(INT_ED25519),
            parsed(SERVER_P256),
            parsed(SERVER_REVOKED),
        ]
    })
}

fn trust(revocation: Revocation, soft_fail: bool) -> &'static Trustpoint {
    static T: OnceLock<Vec<Trustpoint>> = OnceLock::new();
    let all = T.get_or_init(|| {
        let mut v = Vec::new();
        for r in [
            Revocation::None,
            Revocation::Crl,
            Revocation::Ocsp,
            Revocation::OcspThenCrl,
        ] {
            for soft in [false, true] {
                let mut t = trustpoint(r);
                t.policy.revocation_soft_fail = soft;
                v.push(t);
            }
        }
        v
    });
    let i = match revocation {
        Revocation::None => 0,
        Revocation::Crl => 2,
        Revocation::Ocsp => 4,
        Revocation::OcspThenCrl => 6,
    };
    &all[i + usize::from(soft_fail)]
}

/// Everything an application reads of a certificate, and the name checks.
fn inspect(c: &Certificate) {
    let _ = (c.subject(), c.issuer(), c.serial_hex(), c.is_ca());
    let _ = (c.not_before(), c.not_after(), c.is_self_issued());
    let _ = c.public_key();
    let id = Identity::from_certificate(c);
    for field in [
        UsernameField::CommonName,
        UsernameField::Email,
        UsernameField::EmailLocalPart,
        UsernameField::Upn,
        UsernameField::UpnLocalPart,
        UsernameField::Subject,
    ] {
        let _ = id.username(&field);
    }
    let _ = id.verify_host_name("router1.example.com");
    let _ = id.verify_host_name("127.0.0.1");
    let _ = id.verify_host_name("::1");
    let _ = id.attribute("2.5.4.3");
    if let Some(p) = DnPattern::parse("CN=alice*,O=*") {
        let _ = id.subject_matches(&p);
    }
}

/// Certificates and chains. Byte 0: bit 0 the purpose (client or server), bit 1 adds the
/// fixtures' intermediates to what the input sends, the rest picks an `x509v3-*` algorithm.
/// Then operations (ops.rs) whose bodies are DER certificates, leaf first: each is parsed and
/// read (names, identity mapping, host name checks) and the list is validated against the
/// `root_p256` and `root_ed25519` anchors (path building with its signature budget, the RFC 5280
/// checks, name constraints, EKU). The same bytes are also read as an RFC 6187 key blob and as
/// PEM text.
pub fn x509_chain(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let purpose = if mode & 1 == 0 {
        Purpose::SshClient
    } else {
        Purpose::SshServer
    };
    let mut certs = Vec::new();
    for (_, der) in ops(rest).take(8) {
        if let Ok(c) = Certificate::from_der(der) {
            inspect(&c);
            certs.push(c);
        }
    }
    if mode & 2 != 0 {
        certs.extend(fixture_certs()[..2].iter().cloned());
    }
    let t = trust(Revocation::None, false);
    if let Ok(v) = verify_certificates(&certs, &[], t, purpose, NOW) {
        assert!(!v.chain.is_empty(), "a validated path has a leaf");
    }
    let algs = x509_algs();
    let alg = algs[usize::from(mode >> 2) % algs.len()];
    if let Ok(blob) = X509Blob::decode(alg, rest, &BlobLimits::default()) {
        let _ = verify_chain(&blob, t, purpose, NOW);
    }
    if let Ok(certs) = load_certificates(rest) {
        certs.iter().take(8).for_each(inspect);
    }
}

/// Revocation. Byte 0 picks the mode: a DER CRL (parsed, read, then used as the only CRL to
/// check `server_revoked` and `server_p256` under the P-256 intermediate), CRLs as PEM or DER
/// through `Trustpoint::add_crls`, or a stapled OCSP response for those two leaves (OCSP
/// alone, or OCSP then the fixtures' CRLs, with and without soft fail).
pub fn revocation(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let c = fixture_certs();
    let chains = [[c[2].clone(), c[0].clone()], [c[3].clone(), c[0].clone()]];
    let soft = mode & 4 != 0;
    match mode % 4 {
        0 | 1 => {
            let mut t = trust(Revocation::Crl, soft).clone();
            t.crls.clear();
            if mode % 4 == 0 {
                let Ok(crl) = Crl::from_der(rest) else { return };
                let _ = (crl.issuer(), crl.this_update(), crl.next_update());
                let _ = crl.lists(c[3].serial());
                t.crls.push(crl);
            } else if t.add_crls(rest).is_err() {
                return;
            }
            for chain in &chains {
                let _ = verify_certificates(chain, &[], &t, Purpose::SshServer, NOW);
            }
        }
        m => {
            let mode = if m == 2 {
                Revocation::Ocsp
            } else {
                Revocation::OcspThenCrl
            };
            let t = trust(mode, soft);
            let staple = [rest.to_vec()];
            for chain in &chains {
                let _ = verify_certificates(chain, &staple, t, Purpose::SshServer, NOW);
            }
        }
    }
}
