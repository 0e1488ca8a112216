//! Host keys: loaded from OpenSSH private key files, generated (mode 0600) when a file is absent.

use crate::keyfile;
use sshgate::Algorithms;
use sshgate::keys::openssh_cert::OpenSshCert;
use sshgate::keys::{HostKeyAlg, KeyKind, PrivateKey};
use sshgate::pki::CertifiedKey;
use std::path::PathBuf;
use std::sync::Arc;

/// Loads each key, generating the missing ones with `comment`.
pub fn load_or_generate(
    specs: &[(PathBuf, KeyKind)],
    comment: &str,
) -> anyhow::Result<Vec<Arc<PrivateKey>>> {
    let mut keys = Vec::with_capacity(specs.len());
    for (path, kind) in specs {
        let key = if path.exists() {
            keyfile::read_private(path)?
        } else {
            let key = keyfile::generate_and_write(*kind, path, comment)?;
            tracing::info!(path = %path.display(), ?kind, "generated host key");
            key
        };
        let public = key.public();
        tracing::info!(
            path = %path.display(),
            key_type = public.key_type(),
            fingerprint = %public.fingerprint_sha256(),
            "host key"
        );
        keys.push(Arc::new(key));
    }
    Ok(keys)
}

/// Refuses a configuration where no host key (plain, or with its certificate) can sign with any
/// offered host key algorithm.
pub fn check_usable(
    keys: &[Arc<PrivateKey>],
    certs: &[Arc<CertifiedKey>],
    openssh_certs: &[Arc<OpenSshCert>],
    algorithms: &Algorithms,
) -> anyhow::Result<()> {
    let publics: Vec<_> = keys.iter().map(|k| k.public()).collect();
    let usable = algorithms.host_key.iter().any(|alg| match alg {
        HostKeyAlg::X509(x) => certs.iter().any(|c| c.fits(*x)),
        // host_certs::load has checked each certifies one of the keys.
        HostKeyAlg::OpenSshCert(c) => openssh_certs.iter().any(|cert| c.fits(cert)),
        _ => publics.iter().any(|p| p.supports(*alg)),
    });
    if !usable {
        let offered: Vec<&str> = algorithms.host_key.iter().map(|a| a.name()).collect();
        let mut have: Vec<String> = publics.iter().map(|p| p.key_type().to_string()).collect();
        have.extend(
            certs
                .iter()
                .map(|c| format!("{} certificate", c.key().key_type())),
        );
        anyhow::bail!(
            "[algorithms] hostkey: none of [{}] can be used with the host keys ({})",
            offered.join(","),
            have.join(",")
        );
    }
    Ok(())
}
