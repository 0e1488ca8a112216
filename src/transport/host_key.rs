//! Host keys in the key exchange: which algorithms each side offers, the server's K_S and
//! signing key, the client's reading of K_S (a plain key, RFC 4253 §6.6, or an RFC 6187
//! certificate chain) and its check of a server certificate.
//!
//! With `x509v3-*` the signature on H is made and verified with the leaf certificate's key like
//! any host key signature; the chain check is separate and only informs the application
//! ([`crate::HostKeyInfo::certificate`]), which decides whether to trust the server.

use super::{RoleConfig, Transport};
use crate::keys::{HostKeyAlg, PrivateKey, PublicKey};
use crate::msg::reason;
use crate::pki::{self, CertificateCheck, PkiError, Purpose, X509Blob};
use crate::{Error, Role};
use std::sync::Arc;

impl Transport {
    /// The host key algorithms of our KEXINIT, in preference order. A client offers `x509v3-*`
    /// only with trust anchors to check them; a server offers what its keys can sign, and
    /// `x509v3-*` only for keys it has a certificate chain for.
    pub(super) fn offered_host_keys(&self) -> Vec<String> {
        let a = &self.cfg.algorithms.host_key;
        let usable = |alg: &HostKeyAlg| match (&self.role_cfg, alg) {
            (RoleConfig::Client { host_trust, .. }, HostKeyAlg::X509(_)) => host_trust.is_some(),
            (
                RoleConfig::Client {
                    openssh_host_certificates,
                    ..
                },
                HostKeyAlg::OpenSshCert(_),
            ) => *openssh_host_certificates,
            (RoleConfig::Client { .. }, _) => true,
            (
                RoleConfig::Server {
                    host_certificates, ..
                },
                HostKeyAlg::X509(x),
            ) => host_certificates.iter().any(|c| c.fits(*x)),
            (
                RoleConfig::Server {
                    host_keys,
                    openssh_host_certificates,
                    ..
                },
                HostKeyAlg::OpenSshCert(c),
            ) => super::server_host_cert::find(openssh_host_certificates, host_keys, *c).is_some(),
            (RoleConfig::Server { host_keys, .. }, _) => {
                host_keys.iter().any(|k| k.public().supports(*alg))
            }
        };
        a.iter()
            .filter(|alg| usable(alg))
            .map(|h| h.name().to_string())
            .collect()
    }

    /// Server: K_S for `alg` and the key that signs H.
    pub(super) fn server_host_key(
        &self,
        alg: HostKeyAlg,
    ) -> Result<(Vec<u8>, Arc<PrivateKey>), Error> {
        let none = || {
            Error::policy(
                reason::KEY_EXCHANGE_FAILED,
                "no host key for the negotiated algorithm",
            )
        };
        let RoleConfig::Server {
            host_keys,
            host_certificates,
            openssh_host_certificates,
            ..
        } = &self.role_cfg
        else {
            return Err(Error::protocol("server step on a client"));
        };
        match alg {
            HostKeyAlg::X509(x) => {
                let c = host_certificates
                    .iter()
                    .find(|c| c.fits(x))
                    .ok_or_else(none)?;
                Ok((c.blob(x), c.key().clone()))
            }
            HostKeyAlg::OpenSshCert(c) => {
                super::server_host_cert::find(openssh_host_certificates, host_keys, c)
                    .ok_or_else(none)
            }
            _ => {
                let k = host_keys
                    .iter()
                    .find(|k| k.public().supports(alg))
                    .ok_or_else(none)?;
                Ok((k.public().to_blob(), k.clone()))
            }
        }
    }

    /// Client: the key in K_S for the negotiated `alg` (for `x509v3-*`, the leaf certificate's)
    /// and, for `x509v3-*`, the decoded chain to check once the signature has verified.
    pub(super) fn client_host_key(
        &self,
        alg: HostKeyAlg,
        k_s: &[u8],
    ) -> Result<(PublicKey, Option<X509Blob>), Error> {
        let unusable = |e: &dyn core::fmt::Display| {
            Error::peer(
                reason::KEY_EXCHANGE_FAILED,
                format!("server host key unusable: {e}"),
            )
        };
        if let HostKeyAlg::OpenSshCert(c) = alg {
            return super::openssh_host_cert::certified_key(c, k_s).map(|(k, _)| (k, None));
        }
        if let HostKeyAlg::X509(x) = alg {
            let limits = match &self.role_cfg {
                RoleConfig::Client {
                    host_trust: Some(t),
                    ..
                } => t.policy.blob_limits,
                _ => pki::BlobLimits::default(),
            };
            let blob = X509Blob::decode(x, k_s, &limits).map_err(|e| unusable(&e))?;
            let key = pki::leaf_key(&blob).map_err(|e| unusable(&e))?;
            return Ok((key, Some(blob)));
        }
        let key = PublicKey::from_blob(k_s).map_err(|e| unusable(&e))?;
        if !key.supports(alg) {
            return Err(Error::peer(
                reason::KEY_EXCHANGE_FAILED,
                format!("server sent a {} key for {}", key.key_type(), alg.name()),
            ));
        }
        Ok((key, None))
    }

    /// Client: the server's chain against our trust anchors for `secureShellServer` at the wall
    /// clock, then the name the user gave against the certificate's names.
    pub(super) fn check_host_certificate(&self, blob: &X509Blob) -> CertificateCheck {
        debug_assert_eq!(self.role, Role::Client);
        let RoleConfig::Client {
            host_trust,
            host_name,
            ..
        } = &self.role_cfg
        else {
            return CertificateCheck::refused(blob.alg, PkiError::malformed("not a client"));
        };
        let trust: Vec<_> = host_trust.iter().cloned().collect();
        let mut check = pki::check_chain(blob, &trust, Purpose::SshServer, self.wall_clock());
        if let (Ok(v), Some(host)) = (&check.outcome, host_name)
            && let Err(e) = v.identity.verify_host_name(host)
        {
            check.outcome = Err(e);
        }
        check
    }

    /// Server: whether `server-sig-algs` lists `alg` (certificates only when user
    /// authentication takes them).
    pub(super) fn accepts_user_alg(&self, alg: HostKeyAlg) -> bool {
        match (&self.role_cfg, alg) {
            (
                RoleConfig::Server {
                    user_certificates, ..
                },
                HostKeyAlg::X509(_),
            ) => *user_certificates,
            // OpenSSH certificates are not signature algorithms of their own (sshd does not
            // list them either).
            (_, HostKeyAlg::OpenSshCert(_)) => false,
            _ => true,
        }
    }
}
