//! Checks of an [`OpenSshCert`] against a trusted CA: the CA signature, the certificate type,
//! the principal, the validity window (against a time the caller passes in: the engine has no
//! clock) and the critical options (unknown ones refuse the certificate, as PROTOCOL.certkeys
//! requires; `force-command` and `source-address` are returned for the caller to honour).

use super::openssh_cert::{CertType, OpenSshCert};
use super::{HostKeyAlg, KeyError, PublicKey, decode_signature_blob};
use crate::wire::Reader;

/// What the critical options of an accepted certificate ask of the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertRestrictions {
    /// `force-command`: the only command the session may run.
    pub force_command: Option<String>,
    /// `source-address`: comma-separated CIDR list the client must connect from.
    pub source_address: Option<String>,
}

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// Signed by a key that is not the trusted CA.
    UnknownCa,
    /// The CA signature does not verify (or is malformed).
    BadSignature(KeyError),
    /// A host certificate offered for user login or the reverse.
    WrongType,
    /// The principal is not listed in the certificate.
    WrongPrincipal,
    /// `now` is outside [valid_after, valid_before).
    Expired,
    /// A critical option this implementation does not know.
    UnknownCriticalOption(String),
}

impl core::fmt::Display for CertError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CertError::UnknownCa => f.write_str("certificate signed by an untrusted CA"),
            CertError::BadSignature(e) => write!(f, "certificate signature: {e}"),
            CertError::WrongType => f.write_str("wrong certificate type (user/host)"),
            CertError::WrongPrincipal => f.write_str("principal not in certificate"),
            CertError::Expired => f.write_str("certificate not valid at this time"),
            CertError::UnknownCriticalOption(o) => write!(f, "unknown critical option {o}"),
        }
    }
}

impl std::error::Error for CertError {}

/// Verifies the CA's signature over the certificate. The signature algorithm must suit the
/// CA key (for RSA CAs: rsa-sha2-256/512, or ssh-rsa as older CAs sign).
pub fn verify_signature(cert: &OpenSshCert) -> Result<(), CertError> {
    let ca = cert.ca_key().map_err(CertError::BadSignature)?;
    let (name, _) = decode_signature_blob(&cert.signature).map_err(CertError::BadSignature)?;
    let alg = HostKeyAlg::from_name(name)
        .filter(|a| a.x509().is_none() && ca.supports(*a))
        .ok_or_else(|| CertError::BadSignature(KeyError::Unsupported(name.to_string())))?;
    ca.verify(alg, &cert.signed_data, &cert.signature)
        .map_err(CertError::BadSignature)
}

/// Checks `cert` for `principal` at `now` (seconds since the epoch) against the CAs in
/// `trusted`. `principal` None skips the principal check (the caller matches principals
/// itself, e.g. against authorized principals).
pub fn check(
    cert: &OpenSshCert,
    trusted: &[PublicKey],
    want: CertType,
    principal: Option<&str>,
    now: u64,
) -> Result<CertRestrictions, CertError> {
    if !trusted.iter().any(|ca| ca.to_blob() == cert.signature_key) {
        return Err(CertError::UnknownCa);
    }
    verify_signature(cert)?;
    if cert.cert_type != want {
        return Err(CertError::WrongType);
    }
    if let Some(p) = principal {
        // An empty list means "any principal" to OpenSSH for user certificates only in
        // authorized_keys cert-authority lines; we require an explicit match, like sshd with
        // TrustedUserCAKeys does.
        if !cert.principals.iter().any(|c| c == p) {
            return Err(CertError::WrongPrincipal);
        }
    }
    if now < cert.valid_after || now >= cert.valid_before {
        return Err(CertError::Expired);
    }
    let mut out = CertRestrictions::default();
    for (name, data) in &cert.critical_options {
        let value = || {
            let mut r = Reader::new(data);
            let v = r.utf8("critical option value").ok()?.to_string();
            r.finish().ok()?;
            Some(v)
        };
        match (name.as_str(), want) {
            ("force-command", CertType::User) => {
                out.force_command = Some(value().ok_or_else(|| unknown(name))?)
            }
            ("source-address", CertType::User) => {
                out.source_address = Some(value().ok_or_else(|| unknown(name))?)
            }
            _ => return Err(unknown(name)),
        }
    }
    Ok(out)
}

fn unknown(name: &str) -> CertError {
    CertError::UnknownCriticalOption(name.to_string())
}
