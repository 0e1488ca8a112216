//! Revocation status of each certificate below the anchor, from stapled OCSP responses and the
//! application's CRLs, as [`Revocation`] asks.

use super::checks::name_of;
use super::ocsp::{self, OcspStatus};
use super::policy::{Revocation, Trustpoint};
use super::spki::IssuerKey;
use super::{Certificate, PkiError};

/// What the revocation check established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// The policy asks for no check.
    NotChecked,
    /// Every certificate that had to be checked is known not to be revoked.
    Good,
    /// The status of a certificate that had to be checked could not be established, and the
    /// policy accepts that.
    SoftFail,
}

enum Found {
    Good,
    Revoked,
    None(&'static str),
}

fn by_ocsp(
    cert: &Certificate,
    issuer: &Certificate,
    key: &IssuerKey,
    responses: &[Vec<u8>],
    trust: &Trustpoint,
    now: u64,
) -> Found {
    let mut why = "no stapled OCSP response for this certificate";
    for r in responses {
        match ocsp::status(r, cert, issuer, key, &trust.policy, now) {
            Ok(OcspStatus::Good) => return Found::Good,
            Ok(OcspStatus::Revoked) => return Found::Revoked,
            Ok(OcspStatus::Unknown) => why = "OCSP responder does not know the certificate",
            Err(ocsp::NOT_FOR_THIS) => {}
            Err(e) => why = e,
        }
    }
    Found::None(why)
}

fn by_crl(
    cert: &Certificate,
    issuer: &Certificate,
    key: &IssuerKey,
    depth: usize,
    trust: &Trustpoint,
    now: u64,
) -> Found {
    let mut why = "no CRL of the issuer";
    for crl in &trust.crls {
        match crl.verify_for(issuer, key, depth + 1, &trust.policy, now) {
            Ok(true) if crl.lists(cert.serial()) => return Found::Revoked,
            Ok(true) => return Found::Good,
            Ok(false) => {}
            Err(e) => why = e,
        }
    }
    Found::None(why)
}

/// Checks `chain` (leaf first, anchor last; `keys[i]` is `chain[i]`'s key).
pub(crate) fn check(
    chain: &[&Certificate],
    keys: &[IssuerKey],
    responses: &[Vec<u8>],
    trust: &Trustpoint,
    now: u64,
) -> Result<RevocationStatus, PkiError> {
    let mode = trust.policy.revocation;
    if mode == Revocation::None {
        return Ok(RevocationStatus::NotChecked);
    }
    let mut soft = false;
    for i in 0..chain.len().saturating_sub(1) {
        let (cert, issuer, key) = (chain[i], chain[i + 1], &keys[i + 1]);
        let mut found = Found::None("no revocation source");
        if matches!(mode, Revocation::Ocsp | Revocation::OcspThenCrl) {
            found = by_ocsp(cert, issuer, key, responses, trust, now);
        }
        if matches!(found, Found::None(_))
            && matches!(mode, Revocation::Crl | Revocation::OcspThenCrl)
        {
            found = by_crl(cert, issuer, key, i, trust, now);
        }
        // Stapling is usually for the leaf only, so OCSP mode insists on the leaf alone.
        let required = mode != Revocation::Ocsp || i == 0;
        match found {
            Found::Good => {}
            Found::Revoked => {
                return Err(PkiError::Revoked {
                    which: name_of(cert, i),
                    serial: cert.serial_hex(),
                });
            }
            Found::None(why) if required && !trust.policy.revocation_soft_fail => {
                return Err(PkiError::RevocationUnknown {
                    which: name_of(cert, i),
                    why,
                });
            }
            Found::None(_) if required => soft = true,
            Found::None(_) => {}
        }
    }
    Ok(if soft {
        RevocationStatus::SoftFail
    } else {
        RevocationStatus::Good
    })
}
