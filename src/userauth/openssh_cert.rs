//! Server: `publickey` with an OpenSSH certificate (PROTOCOL.certkeys `*-cert-v01@openssh.com`).
//!
//! The engine parses the certificate (every length bounded by [`OpenSshCert::from_blob`]) and
//! verifies the request's signature with the certified key; it holds no CA list and no clock
//! worth trusting for validity, so everything else (the CA, the principals, the validity at the
//! driver's clock, the critical options and extensions) is the application's to check, with
//! [`crate::keys::openssh_cert_check::check`].

use super::messages;
use crate::keys::HostKeyAlg;
use crate::keys::openssh_cert::OpenSshCert;

/// The user-authentication algorithm names of certificates and the signature algorithm each
/// one signs with (PROTOCOL.certkeys: the RSA certificate key type `ssh-rsa-cert-v01` is
/// named `rsa-sha2-256/512-cert-v01` when signing with SHA-2, as RFC 8332 does for keys).
pub const USER_CERT_ALGS: &[(&str, HostKeyAlg)] = &[
    ("ssh-ed25519-cert-v01@openssh.com", HostKeyAlg::SshEd25519),
    (
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        HostKeyAlg::EcdsaSha2Nistp256,
    ),
    (
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        HostKeyAlg::EcdsaSha2Nistp384,
    ),
    (
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        HostKeyAlg::EcdsaSha2Nistp521,
    ),
    ("rsa-sha2-512-cert-v01@openssh.com", HostKeyAlg::RsaSha2_512),
    ("rsa-sha2-256-cert-v01@openssh.com", HostKeyAlg::RsaSha2_256),
    ("ssh-rsa-cert-v01@openssh.com", HostKeyAlg::SshRsa),
];

/// The certificate algorithm named `name`, as (its static name, the signature algorithm).
pub(crate) fn user_cert_alg(name: &str) -> Option<(&'static str, HostKeyAlg)> {
    USER_CERT_ALGS.iter().copied().find(|(n, _)| *n == name)
}

/// The certificate algorithms whose signature algorithm is in `sig_algs` (for
/// `server-sig-algs`, and what a server shows as its public key algorithms).
#[must_use]
pub fn names_for(sig_algs: &[&str]) -> Vec<&'static str> {
    USER_CERT_ALGS
        .iter()
        .filter(|(_, a)| sig_algs.contains(&a.name()))
        .map(|(n, _)| *n)
        .collect()
}

/// Why a certificate request fails before the application is asked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a certificate, not of the type the algorithm names, or malformed.
    Blob,
    /// The signature does not verify with the certified key.
    Signature,
}

/// Parses `blob` as a certificate for `sig_alg` and, for a signed request, verifies
/// `signature` over the RFC 4252 §7 data (which names the certificate algorithm `alg`).
pub(crate) fn check_request(
    session_id: &[u8],
    user: &str,
    alg: &str,
    sig_alg: HostKeyAlg,
    blob: &[u8],
    signature: Option<&[u8]>,
) -> Result<OpenSshCert, Refused> {
    let cert = OpenSshCert::from_blob(blob).map_err(|_| Refused::Blob)?;
    // The algorithm must fit the certified key (an ed25519 certificate under an RSA name is
    // refused, as for plain keys).
    if !cert.key.supports(sig_alg) {
        return Err(Refused::Blob);
    }
    if let Some(sig) = signature {
        let data = messages::pk_signed_data(session_id, user, alg, blob);
        cert.key
            .verify(sig_alg, &data, sig)
            .map_err(|_| Refused::Signature)?;
    }
    Ok(cert)
}
