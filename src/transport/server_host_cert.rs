//! Server: an OpenSSH host certificate (sshd's `HostCertificate`) as K_S. The certificate is
//! sent as the host key blob and H is signed by the private host key it certifies, under the
//! plain algorithm's name (`PrivateKey::sign` maps a certificate algorithm to it). A certificate
//! is offered only when one of the host keys is the key it certifies.

use crate::keys::openssh_cert::OpenSshCert;
use crate::keys::{CertAlg, PrivateKey};
use std::sync::Arc;

/// The certificate blob for `alg` and the host key that signs with it, if the server has both.
pub(super) fn find(
    certs: &[Arc<OpenSshCert>],
    keys: &[Arc<PrivateKey>],
    alg: CertAlg,
) -> Option<(Vec<u8>, Arc<PrivateKey>)> {
    certs.iter().filter(|c| alg.fits(c)).find_map(|c| {
        keys.iter()
            .find(|k| k.public() == c.key)
            .map(|k| (c.to_blob(), k.clone()))
    })
}
