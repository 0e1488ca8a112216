//! OpenSSH host certificates judged against `known_hosts`, as `ssh`'s `check_host_key` and
//! `check_host_cert` do:
//! - the `@cert-authority` lines whose hosts name the server (`host`, or `[host]:port` off port
//!   22, patterns and hashed names as for plain lines) are its CAs; the certificate must be
//!   signed by one of them (and not with SHA-1 `ssh-rsa`, which OpenSSH's default
//!   `CASignatureAlgorithms` refuses);
//! - it must be a host certificate, valid at the time the caller passes in (the engine has no
//!   clock), list the host name the user typed among its principals (wildcards allowed, as
//!   OpenSSH allows them in host certificates; an empty list means any host, as in OpenSSH),
//!   and carry no critical option (none is defined for host certificates);
//! - `@revoked` refuses the certified key, the certificate and the CA key, for every host (as
//!   [`super::check_host_key`] does: stricter than OpenSSH's per-host reading, never less safe).
//!
//! A refused certificate is not the end: OpenSSH then looks the certified key up as a plain
//! key ("No matching CA found. Retry with plain key"), and so should the caller (with
//! [`super::check_host_key`]), unless the answer was [`HostCertStatus::Revoked`].

use super::{Entry, Marker, host_port_name};
use crate::keys::host_pattern;
use crate::keys::openssh_cert::{CertType, OpenSshCert};
use crate::keys::openssh_cert_check::{CertError, verify_signature};
use crate::keys::{KeyError, PublicKey, decode_signature_blob};

/// Why a host certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCertRefusal {
    /// No `@cert-authority` line names this host.
    NoCertAuthority,
    /// `@cert-authority` lines name this host, but none holds the key that signed it.
    UnknownCa,
    /// The CA's signature does not verify (or is malformed).
    BadSignature(KeyError),
    /// The CA signed with an algorithm refused for CAs (`ssh-rsa`, SHA-1).
    CaSignatureAlgorithm(String),
    /// A user certificate presented as a host key.
    NotHostCertificate,
    /// The host name is not among the certificate's principals.
    WrongPrincipal,
    /// Before the certificate's `valid_after`.
    NotYetValid,
    /// At or after the certificate's `valid_before`.
    Expired,
    /// A critical option (none is defined for host certificates).
    CriticalOption(String),
}

impl core::fmt::Display for HostCertRefusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HostCertRefusal::NoCertAuthority => {
                f.write_str("no @cert-authority line in known_hosts names this host")
            }
            HostCertRefusal::UnknownCa => {
                f.write_str("the certificate's CA is not a @cert-authority of this host")
            }
            HostCertRefusal::BadSignature(e) => write!(f, "certificate signature: {e}"),
            HostCertRefusal::CaSignatureAlgorithm(a) => {
                write!(f, "certificate signed with disallowed algorithm {a}")
            }
            HostCertRefusal::NotHostCertificate => {
                f.write_str("Certificate invalid: not a host certificate")
            }
            HostCertRefusal::WrongPrincipal => {
                f.write_str("Certificate invalid: name is not a listed principal")
            }
            HostCertRefusal::NotYetValid => f.write_str("Certificate invalid: not yet valid"),
            HostCertRefusal::Expired => f.write_str("Certificate invalid: expired"),
            HostCertRefusal::CriticalOption(o) => {
                write!(f, "certificate contains unsupported critical option {o}")
            }
        }
    }
}

impl std::error::Error for HostCertRefusal {}

/// What known_hosts says about a host certificate. Line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCertStatus {
    /// Valid, signed by the CA of this `@cert-authority` line.
    Trusted(usize),
    /// The certified key, the certificate or its CA is `@revoked` on this line: refuse, with no
    /// fallback to the plain key.
    Revoked(usize),
    /// Not accepted; the certified key may still be listed as a plain key.
    Refused(HostCertRefusal),
}

/// Whether some `@cert-authority` line names `host` on `port`: then a client should offer the
/// certificate host key algorithms ([`crate::ClientConfig::openssh_host_certificates`]) and
/// prefer them ([`crate::Algorithms::prefer_host_certificates`]).
#[must_use]
pub fn has_cert_authority(text: &str, host: &str, port: u16) -> bool {
    !super::cert_authority_lines(text, host, port).is_empty()
}

/// The line of the first `@revoked` entry that is the certificate's key, the certificate (of
/// the same key), or its CA.
fn revoked(text: &str, cert: &OpenSshCert) -> Option<usize> {
    let key_blob = cert.key.to_blob();
    text.lines().enumerate().find_map(|(i, line)| {
        let e = Entry::parse(line).filter(|e| e.marker == Some(Marker::Revoked))?;
        let blob = e.blob()?;
        let hit = blob == key_blob
            || blob == cert.signature_key
            || OpenSshCert::from_blob(&blob).is_ok_and(|c| c.key == cert.key);
        hit.then_some(i + 1)
    })
}

/// Whether `principal` (a name or an OpenSSH pattern) names `host`.
fn principal_matches(principal: &str, host: &str) -> bool {
    host_pattern::wildcard(host.as_bytes(), principal.as_bytes())
}

/// Checks the server's certificate `cert` for `host` (as the user typed it: a name or an
/// address) on `port` against known_hosts `text` at `now` (seconds since the epoch).
#[must_use]
pub fn check_host_certificate(
    text: &str,
    host: &str,
    port: u16,
    cert: &OpenSshCert,
    now: u64,
) -> HostCertStatus {
    if let Some(line) = revoked(text, cert) {
        return HostCertStatus::Revoked(line);
    }
    let name = host_port_name(host, port);
    let mut any_ca = false;
    let mut signer = None;
    for (i, line) in text.lines().enumerate() {
        let Some(e) = Entry::parse(line) else {
            continue;
        };
        if e.marker != Some(Marker::CertAuthority) || !e.names(&name) {
            continue;
        }
        any_ca = true;
        // A CA line whose key does not parse is malformed (skipped), as OpenSSH skips it.
        if e.blob()
            .is_some_and(|b| b == cert.signature_key && PublicKey::from_blob(&b).is_ok())
        {
            signer = Some(i + 1);
            break;
        }
    }
    let refuse = HostCertStatus::Refused;
    let Some(line) = signer else {
        return refuse(if any_ca {
            HostCertRefusal::UnknownCa
        } else {
            HostCertRefusal::NoCertAuthority
        });
    };
    match judge(cert, host, now) {
        Ok(()) => HostCertStatus::Trusted(line),
        Err(r) => refuse(r),
    }
}

/// The checks after the CA is found, in OpenSSH's order.
fn judge(cert: &OpenSshCert, host: &str, now: u64) -> Result<(), HostCertRefusal> {
    verify_signature(cert).map_err(|e| match e {
        CertError::BadSignature(k) => HostCertRefusal::BadSignature(k),
        other => HostCertRefusal::BadSignature(KeyError::Unsupported(other.to_string())),
    })?;
    let (sig_alg, _) =
        decode_signature_blob(&cert.signature).map_err(HostCertRefusal::BadSignature)?;
    if sig_alg == "ssh-rsa" {
        return Err(HostCertRefusal::CaSignatureAlgorithm(sig_alg.to_string()));
    }
    if cert.cert_type != CertType::Host {
        return Err(HostCertRefusal::NotHostCertificate);
    }
    if now < cert.valid_after {
        return Err(HostCertRefusal::NotYetValid);
    }
    if now >= cert.valid_before {
        return Err(HostCertRefusal::Expired);
    }
    let host = host.to_ascii_lowercase();
    if !cert.principals.is_empty() && !cert.principals.iter().any(|p| principal_matches(p, &host)) {
        return Err(HostCertRefusal::WrongPrincipal);
    }
    if let Some((name, _)) = cert.critical_options.first() {
        return Err(HostCertRefusal::CriticalOption(name.clone()));
    }
    Ok(())
}
