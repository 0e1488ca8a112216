//! The OpenSSH certificate algorithms as `HostKeyAlg`s: names, the plain algorithm whose
//! signatures they carry, and what a plain key may do with them.

use super::*;

#[test]
fn names_plain_algorithms_and_signatures() {
    for &c in CertAlg::ALL {
        let alg = HostKeyAlg::OpenSshCert(c);
        assert_eq!(HostKeyAlg::from_name(c.name()), Some(alg));
        assert_eq!(alg.openssh_cert(), Some(c));
        assert_eq!(alg.is_legacy(), c == CertAlg::SshRsa);
        assert_eq!(alg.key_type(), c.plain().key_type());
        assert!(HostKeyAlg::CERT_ALL.contains(&alg));
        // A plain key cannot serve a certificate algorithm by itself.
        let key = key_for(c.plain());
        assert!(!key.public().supports(alg));
        // Signatures are the plain algorithm's, under its name.
        let sig = key.sign(alg, b"data", &mut rng(9)).unwrap();
        let (name, _) = decode_signature_blob(&sig).unwrap();
        assert_eq!(name, c.plain().name());
        key.public().verify(alg, b"data", &sig).unwrap();
        key.public().verify(c.plain(), b"data", &sig).unwrap();
        assert!(key.public().verify(alg, b"other", &sig).is_err());
    }
    assert_eq!(
        CertAlg::RsaSha2_512.blob_type(),
        "ssh-rsa-cert-v01@openssh.com"
    );
    assert_eq!(
        CertAlg::RsaSha2_256.name(),
        "rsa-sha2-256-cert-v01@openssh.com"
    );
    assert_eq!(HostKeyAlg::from_name("ssh-dss-cert-v01@openssh.com"), None);
}
