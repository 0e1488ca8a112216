//! Client: a `*-cert-v01@openssh.com` host key in K_S. The certified key verifies the signature
//! on H like any host key; the certificate itself is handed to the application
//! ([`crate::HostKeyInfo::openssh_certificate`]), which judges it against its known_hosts
//! (`@cert-authority`, `@revoked`) and the time ([`crate::keys::known_hosts`]).

use crate::Error;
use crate::keys::openssh_cert::OpenSshCert;
use crate::keys::{CertAlg, HostKeyAlg, PublicKey};
use crate::msg::reason;

/// The certified key and the certificate of K_S for `alg`; the blob must be a certificate of
/// the algorithm's type (an RSA certificate for the three RSA names).
pub(super) fn certified_key(alg: CertAlg, k_s: &[u8]) -> Result<(PublicKey, OpenSshCert), Error> {
    let cert = OpenSshCert::from_blob(k_s).map_err(|e| {
        Error::peer(
            reason::KEY_EXCHANGE_FAILED,
            format!("server host certificate unusable: {e}"),
        )
    })?;
    if !alg.fits(&cert) {
        return Err(Error::peer(
            reason::KEY_EXCHANGE_FAILED,
            format!(
                "server sent a {} certificate for {}",
                cert.cert_type_name,
                alg.name()
            ),
        ));
    }
    Ok((cert.key.clone(), cert))
}

/// The certificate for [`crate::HostKeyInfo`], when `alg` is a certificate algorithm (K_S
/// already parsed once by [`certified_key`], so this does not fail then).
pub(super) fn of(alg: HostKeyAlg, k_s: &[u8]) -> Option<Box<OpenSshCert>> {
    let c = alg.openssh_cert()?;
    certified_key(c, k_s).ok().map(|(_, cert)| Box::new(cert))
}
