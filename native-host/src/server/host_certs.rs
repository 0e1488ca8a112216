//! OpenSSH host certificates (sshd's `HostCertificate`): `[server] host_certificates` names
//! `-cert.pub` files made by `ssh-keygen -s CA -h`; each must be a host certificate of one of
//! the host keys, signed correctly by its CA. With one, the key exchange offers that key's
//! `*-cert-v01@openssh.com` algorithm (before the plain ones, as sshd), so a client with a
//! `@cert-authority` known_hosts line trusts the device without knowing its key.

use sshgate::keys::PrivateKey;
use sshgate::keys::openssh_cert::{CertType, OpenSshCert};
use sshgate::keys::openssh_cert_check::verify_signature;
use std::path::PathBuf;
use std::sync::Arc;

/// Reads and checks each certificate against `keys`; a certificate that is unreadable, not a
/// host certificate, badly signed or of no configured host key stops serve at start.
pub fn load(paths: &[PathBuf], keys: &[Arc<PrivateKey>]) -> anyhow::Result<Vec<Arc<OpenSshCert>>> {
    let mut certs: Vec<Arc<OpenSshCert>> = Vec::with_capacity(paths.len());
    for path in paths {
        let what = || format!("[server] host_certificates {}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
        let cert = OpenSshCert::from_openssh_line(text.trim())
            .map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
        if cert.cert_type != CertType::Host {
            anyhow::bail!(
                "{}: a user certificate, not a host one (ssh-keygen -h)",
                what()
            );
        }
        verify_signature(&cert).map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
        if !keys.iter().any(|k| k.public() == cert.key) {
            anyhow::bail!(
                "{}: certifies {} {}, which is none of the host keys",
                what(),
                cert.key.key_type(),
                cert.key.fingerprint_sha256()
            );
        }
        if certs.iter().any(|c| c.key == cert.key) {
            anyhow::bail!("{}: a second certificate for the same host key", what());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if now < cert.valid_after || now >= cert.valid_before {
            // sshd serves it anyway; clients will refuse it until it is renewed.
            tracing::warn!(path = %path.display(), "host certificate not valid now");
        }
        tracing::info!(
            path = %path.display(),
            cert_type = cert.cert_type_name,
            key_id = %super::auth::log_text(&cert.key_id),
            serial = cert.serial,
            principals = %super::auth::log_text(&cert.principals.join(",")),
            "host certificate"
        );
        certs.push(Arc::new(cert));
    }
    Ok(certs)
}
