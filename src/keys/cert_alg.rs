//! The OpenSSH certificate algorithms (PROTOCOL.certkeys) as they negotiate in KEXINIT and
//! name publickey requests: `ssh-ed25519-cert-v01@openssh.com`, the ECDSA ones, and for RSA
//! `rsa-sha2-512-cert-v01@openssh.com` / `rsa-sha2-256-cert-v01@openssh.com` (OpenSSH's
//! names for an `ssh-rsa-cert-v01@openssh.com` blob signed with SHA-2) and the SHA-1
//! `ssh-rsa-cert-v01@openssh.com` (legacy).
//!
//! The key blob is the certificate ([`super::openssh_cert::OpenSshCert`]); signatures are made
//! and verified with the certified key under the plain algorithm's name (`ssh-ed25519`,
//! `rsa-sha2-512`, ...), which is what [`CertAlg::plain`] gives.

use super::HostKeyAlg;
use super::openssh_cert::OpenSshCert;

/// An OpenSSH certificate algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertAlg {
    /// `ssh-ed25519-cert-v01@openssh.com`
    Ed25519,
    /// `ecdsa-sha2-nistp256-cert-v01@openssh.com`
    EcdsaP256,
    /// `ecdsa-sha2-nistp384-cert-v01@openssh.com`
    EcdsaP384,
    /// `ecdsa-sha2-nistp521-cert-v01@openssh.com`
    EcdsaP521,
    /// `rsa-sha2-512-cert-v01@openssh.com`
    RsaSha2_512,
    /// `rsa-sha2-256-cert-v01@openssh.com`
    RsaSha2_256,
    /// `ssh-rsa-cert-v01@openssh.com`: RSA with SHA-1 (legacy)
    SshRsa,
}

impl CertAlg {
    /// Every certificate algorithm, in OpenSSH's default preference order.
    pub const ALL: &'static [CertAlg] = &[
        CertAlg::Ed25519,
        CertAlg::EcdsaP256,
        CertAlg::EcdsaP384,
        CertAlg::EcdsaP521,
        CertAlg::RsaSha2_512,
        CertAlg::RsaSha2_256,
        CertAlg::SshRsa,
    ];

    /// The algorithm's SSH name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CertAlg::Ed25519 => "ssh-ed25519-cert-v01@openssh.com",
            CertAlg::EcdsaP256 => "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            CertAlg::EcdsaP384 => "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            CertAlg::EcdsaP521 => "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            CertAlg::RsaSha2_512 => "rsa-sha2-512-cert-v01@openssh.com",
            CertAlg::RsaSha2_256 => "rsa-sha2-256-cert-v01@openssh.com",
            CertAlg::SshRsa => "ssh-rsa-cert-v01@openssh.com",
        }
    }

    /// By SSH name.
    #[must_use]
    pub fn from_name(n: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == n)
    }

    /// The plain algorithm whose signatures this one carries.
    #[must_use]
    pub fn plain(self) -> HostKeyAlg {
        match self {
            CertAlg::Ed25519 => HostKeyAlg::SshEd25519,
            CertAlg::EcdsaP256 => HostKeyAlg::EcdsaSha2Nistp256,
            CertAlg::EcdsaP384 => HostKeyAlg::EcdsaSha2Nistp384,
            CertAlg::EcdsaP521 => HostKeyAlg::EcdsaSha2Nistp521,
            CertAlg::RsaSha2_512 => HostKeyAlg::RsaSha2_512,
            CertAlg::RsaSha2_256 => HostKeyAlg::RsaSha2_256,
            CertAlg::SshRsa => HostKeyAlg::SshRsa,
        }
    }

    /// The type name inside the certificate blob (`ssh-rsa-cert-v01@openssh.com` for all three
    /// RSA algorithms).
    #[must_use]
    pub fn blob_type(self) -> &'static str {
        match self {
            CertAlg::RsaSha2_512 | CertAlg::RsaSha2_256 | CertAlg::SshRsa => {
                "ssh-rsa-cert-v01@openssh.com"
            }
            other => other.name(),
        }
    }

    /// SHA-1 signatures: off unless `ssh-rsa` is allowed.
    #[must_use]
    pub fn is_legacy(self) -> bool {
        self == CertAlg::SshRsa
    }

    /// Whether `cert` can be used under this algorithm.
    #[must_use]
    pub fn fits(self, cert: &OpenSshCert) -> bool {
        cert.cert_type_name == self.blob_type()
    }
}
