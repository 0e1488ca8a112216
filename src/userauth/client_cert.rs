//! The client's `publickey` with an OpenSSH certificate (PROTOCOL.certkeys): the key blob is
//! the certificate, the algorithm its `*-cert-v01@openssh.com` name, the signature the private
//! key's under the plain algorithm. For an RSA certificate the hash is chosen as for a plain
//! RSA key, from the plain names in `server-sig-algs` (sshd lists no certificate names there),
//! and the certificate name follows: `rsa-sha2-512-cert-v01@openssh.com` for `rsa-sha2-512`.

use crate::Error;
use crate::keys::openssh_cert::OpenSshCert;
use crate::keys::{CertAlg, HostKeyAlg, PrivateKey};

/// The certificate algorithm for `cert` with `key`, given the plain algorithm the key would
/// sign with (`plain`, picked as for the key alone).
pub(super) fn cert_alg(
    key: &PrivateKey,
    cert: &OpenSshCert,
    plain: HostKeyAlg,
) -> Result<CertAlg, Error> {
    if cert.key != key.public() {
        return Err(Error::misuse("the certificate is not for this private key"));
    }
    CertAlg::ALL
        .iter()
        .copied()
        .find(|c| c.plain() == plain && c.fits(cert))
        .ok_or_else(|| Error::misuse("unsupported certificate type"))
}
