//! Certificate revocation lists (RFC 5280 §5) supplied by the application: parsed once, their
//! signature checked against the issuer found in the path each time they are used.

use super::cert::tbs_range;
use super::checks;
use super::policy::Policy;
use super::sig;
use super::spki::IssuerKey;
use super::{CertName, Certificate, PkiError, oid};
use der::{Decode, Encode};
use x509_cert::crl::CertificateList;

/// Largest CRL accepted.
pub const MAX_CRL_BYTES: usize = 4 * 1024 * 1024;

/// A parsed CRL.
#[derive(Clone)]
pub struct Crl {
    der: Vec<u8>,
    tbs: core::ops::Range<usize>,
    inner: CertificateList,
    issuer_der: Vec<u8>,
    this_update: u64,
    next_update: Option<u64>,
    /// Why this CRL cannot be used for a full check (a delta CRL, a partitioned or indirect one,
    /// an unknown critical extension), if it cannot.
    unusable: Option<&'static str>,
}

impl core::fmt::Debug for Crl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer())
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .finish_non_exhaustive()
    }
}

impl Crl {
    /// Parses a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        if der.len() > MAX_CRL_BYTES {
            return Err(PkiError::malformed("CRL too large"));
        }
        let tbs = tbs_range(der).ok_or(PkiError::malformed("CRL structure"))?;
        let inner = CertificateList::from_der(der).map_err(|_| PkiError::malformed("CRL"))?;
        let t = &inner.tbs_cert_list;
        let issuer_der = t
            .issuer
            .to_der()
            .map_err(|_| PkiError::malformed("CRL issuer"))?;
        let mut unusable = None;
        for e in t.crl_extensions.iter().flatten() {
            match e.extn_id {
                oid::CRL_NUMBER => {}
                // RFC 5280 §5.2.4/§5.2.5: delta and partitioned CRLs do not cover everything.
                oid::CRL_DELTA_INDICATOR => unusable = Some("delta CRL"),
                oid::CRL_ISSUING_DISTRIBUTION_POINT => unusable = Some("partitioned CRL"),
                _ if e.critical => unusable = Some("unknown critical CRL extension"),
                _ => {}
            }
        }
        for entry in t.revoked_certificates.iter().flatten() {
            for e in entry.crl_entry_extensions.iter().flatten() {
                match e.extn_id {
                    oid::CRL_REASON | oid::CRL_INVALIDITY_DATE => {}
                    // RFC 5280 §5.3.3: an indirect CRL lists other issuers' certificates.
                    oid::CRL_CERTIFICATE_ISSUER => unusable = Some("indirect CRL"),
                    _ if e.critical => unusable = Some("unknown critical CRL entry extension"),
                    _ => {}
                }
            }
        }
        Ok(Crl {
            this_update: t.this_update.to_unix_duration().as_secs(),
            next_update: t.next_update.map(|n| n.to_unix_duration().as_secs()),
            der: der.to_vec(),
            tbs,
            issuer_der,
            unusable,
            inner,
        })
    }

    /// The DER encoding.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer DN (RFC 4514).
    #[must_use]
    pub fn issuer(&self) -> String {
        super::names::dn_string(&self.inner.tbs_cert_list.issuer)
    }

    /// thisUpdate, seconds since the Unix epoch.
    #[must_use]
    pub fn this_update(&self) -> u64 {
        self.this_update
    }

    /// nextUpdate, if present.
    #[must_use]
    pub fn next_update(&self) -> Option<u64> {
        self.next_update
    }

    /// Whether the CRL lists `serial` (encoded INTEGER content bytes).
    #[must_use]
    pub fn lists(&self, serial: &[u8]) -> bool {
        self.inner
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .any(|r| r.serial_number.as_bytes() == serial)
    }

    /// Whether this CRL speaks for `issuer` (same name), checking its signature with `key`,
    /// the issuer's cRLSign key usage (RFC 5280 §6.3.3 (f)) and its freshness at `now`
    /// (§6.3.3 (a)(2): nextUpdate after now). `Ok(false)`: not this issuer's CRL.
    pub(crate) fn verify_for(
        &self,
        issuer: &Certificate,
        key: &IssuerKey,
        depth: usize,
        policy: &Policy,
        now: u64,
    ) -> Result<bool, &'static str> {
        if self.issuer_der != issuer.subject_der() {
            return Ok(false);
        }
        if let Some(why) = self.unusable {
            return Err(why);
        }
        let which = || CertName {
            depth,
            subject: format!("CRL of {}", issuer.subject()),
        };
        if self.inner.signature_algorithm != self.inner.tbs_cert_list.signature {
            return Err("CRL signatureAlgorithm differs from its TBS signature field");
        }
        let alg = checks::sig_alg(&self.inner.signature_algorithm, which, policy)
            .map_err(|_| "CRL signed with a weak or unsupported algorithm")?;
        if issuer.exts.key_usage.is_some_and(|ku| !ku.crl_sign()) {
            return Err("CRL issuer lacks the cRLSign key usage");
        }
        let Some(signature) = self.inner.signature.as_bytes() else {
            return Err("CRL signature malformed");
        };
        if !sig::verify(key, alg, &self.der[self.tbs.clone()], signature) {
            return Err("CRL signature does not verify");
        }
        if self.this_update > now {
            return Err("CRL is not yet valid");
        }
        if self.next_update.is_some_and(|n| n < now) {
            return Err("CRL is past its nextUpdate");
        }
        Ok(true)
    }
}
