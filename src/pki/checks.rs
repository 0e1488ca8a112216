//! The checks RFC 5280 §6.1 and RFC 6187 §2.2 put on each certificate of a path, once the path
//! has been found by signatures (`verify.rs`).

use super::policy::{EkuPolicy, Policy, Purpose};
use super::sig::SigAlg;
use super::spki::IssuerKey;
use super::{CertName, Certificate, PkiError, constraints, oid};

pub(crate) fn name_of(cert: &Certificate, depth: usize) -> CertName {
    CertName {
        depth,
        subject: cert.subject().to_owned(),
    }
}

/// Checks that depend only on the certificate itself: validity at `now` (RFC 5280 §6.1.3
/// (a)(2)), critical extensions (§4.2), and that the outer signatureAlgorithm equals the TBS
/// `signature` field (§4.1.1.2: "This field MUST contain the same algorithm identifier as the
/// signature field in the sequence tbsCertificate").
pub(crate) fn own(cert: &Certificate, depth: usize, now: u64) -> Result<(), PkiError> {
    let which = || name_of(cert, depth);
    let x = cert.x509();
    if x.signature_algorithm() != x.tbs_certificate().signature() {
        return Err(PkiError::SignatureAlgorithmMismatch { which: which() });
    }
    if now < cert.not_before() {
        return Err(PkiError::NotYetValid {
            which: which(),
            not_before: cert.not_before(),
        });
    }
    if now > cert.not_after() {
        return Err(PkiError::Expired {
            which: which(),
            not_after: cert.not_after(),
        });
    }
    if let Some(o) = &cert.exts.unknown_critical {
        return Err(PkiError::UnknownCriticalExtension {
            which: which(),
            oid: o.to_string(),
        });
    }
    Ok(())
}

/// A certificate that issues others: cA=TRUE (RFC 5280 §6.1.4 (k)) and, if keyUsage is present,
/// keyCertSign (§6.1.4 (n)). A trust anchor without basicConstraints (an old v1 root) is taken as
/// configured: the application chose to trust it.
pub(crate) fn issuer(cert: &Certificate, depth: usize, is_anchor: bool) -> Result<(), PkiError> {
    let ca_ok = match cert.exts.basic {
        Some((ca, _)) => ca,
        None => is_anchor,
    };
    let ku_ok = cert.exts.key_usage.is_none_or(|ku| ku.key_cert_sign());
    if ca_ok && ku_ok {
        Ok(())
    } else {
        Err(PkiError::NotACa {
            which: name_of(cert, depth),
        })
    }
}

/// The signature algorithm of `cert` (or a CRL/OCSP response) and the policy on weak hashes.
pub(crate) fn sig_alg(
    alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    which: impl FnOnce() -> CertName,
    policy: &Policy,
) -> Result<SigAlg, PkiError> {
    let a = SigAlg::from_alg_id(alg)?;
    if a.is_weak() && (a == SigAlg::RsaMd5 || !policy.allow_sha1) {
        return Err(PkiError::WeakSignatureAlgorithm {
            which: which(),
            oid: alg.oid.to_string(),
        });
    }
    Ok(a)
}

/// RSA keys below the policy minimum are refused wherever they sign.
pub(crate) fn key_size(
    key: &IssuerKey,
    cert: &Certificate,
    depth: usize,
    policy: &Policy,
) -> Result<(), PkiError> {
    if key.is_rsa() && key.bits() < policy.min_rsa_bits {
        return Err(PkiError::WeakKey {
            which: name_of(cert, depth),
            why: format!(
                "RSA key of {} bits is below the minimum of {}",
                key.bits(),
                policy.min_rsa_bits
            ),
        });
    }
    Ok(())
}

/// The leaf's key usages: digitalSignature if keyUsage is present (RFC 6187 §2.2.1), and an
/// extended key usage that allows `purpose` (RFC 6187 §2.2.2) under the policy.
pub(crate) fn leaf(cert: &Certificate, purpose: Purpose, eku: &EkuPolicy) -> Result<(), PkiError> {
    let which = || name_of(cert, 0);
    if cert
        .exts
        .key_usage
        .is_some_and(|ku| !ku.digital_signature())
    {
        return Err(PkiError::NoDigitalSignature { which: which() });
    }
    let (ssh, tls) = match purpose {
        Purpose::SshClient => (oid::KP_SSH_CLIENT, oid::KP_CLIENT_AUTH),
        Purpose::SshServer => (oid::KP_SSH_SERVER, oid::KP_SERVER_AUTH),
    };
    let ok = match &cert.exts.eku {
        None => eku.allow_missing,
        Some(list) => list.iter().any(|o| {
            *o == ssh || (eku.allow_tls && *o == tls) || (eku.allow_any && *o == oid::KP_ANY)
        }),
    };
    if ok {
        Ok(())
    } else {
        Err(PkiError::WrongPurpose {
            which: which(),
            wanted: purpose.name(),
        })
    }
}

/// Checks along a found path (`path[0]` the leaf, the last one the anchor): every certificate's
/// own checks, CA checks, pathLenConstraint (RFC 5280 §6.1.4 (l)–(m): self-issued intermediates
/// do not count) and name constraints (§6.1.3 (b)–(c): self-issued intermediates are exempt).
pub(crate) fn path(path: &[&Certificate], now: u64, policy: &Policy) -> Result<(), PkiError> {
    let anchor = path.len() - 1;
    for (i, c) in path.iter().enumerate() {
        own(c, i, now)?;
        if i > 0 {
            issuer(c, i, i == anchor)?;
        }
        if i < anchor {
            sig_alg(c.x509().signature_algorithm(), || name_of(c, i), policy)?;
        }
    }
    for (i, ca) in path.iter().enumerate().skip(1) {
        if let Some((_, Some(max))) = ca.exts.basic {
            let below = path[1..i].iter().filter(|c| !c.is_self_issued()).count();
            if below > usize::from(max) {
                return Err(PkiError::PathLenExceeded {
                    which: name_of(ca, i),
                    max,
                });
            }
        }
        if let Some(nc) = &ca.exts.name_constraints {
            for (j, c) in path[..i].iter().enumerate() {
                if j > 0 && c.is_self_issued() {
                    continue;
                }
                constraints::check(c, j, nc)?;
            }
        }
    }
    Ok(())
}
