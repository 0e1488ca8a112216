//! The two sides of RFC 6187 in a connection: [`CertifiedKey`], a private key with its
//! certificate chain (a server's x509v3 host key, a client's x509v3 user key), and
//! [`CertificateCheck`], what validating the peer's chain found (carried by
//! `Event::HostKey` and by a server's certificate authentication request).
//!
//! The engine validates; the application decides. A check that failed still reaches the
//! application with its reason, so a driver can log it (IOS `debug crypto pki` style) or fall
//! back to a known key; a server never accepts a user whose chain failed.

use super::{BlobLimits, Certificate, MAX_OCSP_BYTES, Pkcs12, PkiError, Purpose, Trustpoint};
use super::{Validated, X509Alg, X509Blob, verify_chain};
use crate::keys::{PrivateKey, PublicKey};
use std::sync::Arc;

/// A private key and the certificate chain that certifies it.
#[derive(Clone)]
pub struct CertifiedKey {
    key: Arc<PrivateKey>,
    leaf: Certificate,
    certificates: Vec<Vec<u8>>,
    ocsp_responses: Vec<Vec<u8>>,
}

impl core::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("subject", &self.leaf.subject())
            .field("certificates", &self.certificates.len())
            .field("ocsp_responses", &self.ocsp_responses.len())
            .finish_non_exhaustive()
    }
}

impl CertifiedKey {
    /// `key` with `chain` (its own certificate first, then each issuer; the root may be left
    /// out, RFC 6187 §2.1). Refused when the leaf does not certify `key`, or when the chain is
    /// more than a peer accepts by default ([`BlobLimits::default`]): sending it would only fail.
    pub fn new(key: Arc<PrivateKey>, chain: Vec<Certificate>) -> Result<Self, PkiError> {
        let limits = BlobLimits::default();
        let leaf = chain
            .first()
            .cloned()
            .ok_or(PkiError::malformed("no certificate"))?;
        if chain.len() > limits.max_certificates {
            return Err(PkiError::TooManyCertificates {
                got: chain.len(),
                max: limits.max_certificates,
            });
        }
        if leaf.public_key()? != key.public() {
            return Err(PkiError::KeyMismatch);
        }
        let certificates: Vec<Vec<u8>> = chain.iter().map(|c| c.der().to_vec()).collect();
        let bytes: usize = certificates.iter().map(|c| c.len() + 4).sum();
        if bytes > limits.max_bytes {
            return Err(PkiError::TooManyCertificates {
                got: bytes,
                max: limits.max_bytes,
            });
        }
        Ok(CertifiedKey {
            key,
            leaf,
            certificates,
            ocsp_responses: Vec::new(),
        })
    }

    /// The key and chain of a PKCS#12 file (the seed's `enrollment pkcs12`): its key, the
    /// certificate of that key, then the other certificates except self-signed roots.
    pub fn from_pkcs12(p12: Pkcs12) -> Result<Self, PkiError> {
        let key = p12
            .key
            .clone()
            .ok_or(PkiError::malformed("PKCS#12 file holds no private key"))?;
        if p12.certificate.is_none() {
            return Err(PkiError::malformed(
                "PKCS#12 file holds no certificate of its key",
            ));
        }
        let chain = p12
            .chain_der()
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(Arc::new(key), chain)
    }

    /// Adds DER `OCSPResponse`s to staple (RFC 6187 §2.1), e.g. a server's fresh response for
    /// its own certificate. At most [`BlobLimits::default`]'s count, each bounded.
    pub fn with_ocsp_responses(mut self, responses: Vec<Vec<u8>>) -> Result<Self, PkiError> {
        let max = BlobLimits::default().max_ocsp_responses;
        if responses.len() > max {
            return Err(PkiError::TooManyCertificates {
                got: responses.len(),
                max,
            });
        }
        if responses
            .iter()
            .any(|r| r.len() > MAX_OCSP_BYTES || r.is_empty())
        {
            return Err(PkiError::malformed("OCSP response size"));
        }
        self.ocsp_responses = responses;
        Ok(self)
    }

    /// The private key.
    #[must_use]
    pub fn key(&self) -> &Arc<PrivateKey> {
        &self.key
    }

    /// The key's own certificate.
    #[must_use]
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The chain as DER, leaf first.
    #[must_use]
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// The stapled OCSP responses.
    #[must_use]
    pub fn ocsp_responses(&self) -> &[Vec<u8>] {
        &self.ocsp_responses
    }

    /// Whether `alg` can be used with this key.
    #[must_use]
    pub fn fits(&self, alg: X509Alg) -> bool {
        alg.fits(&self.key.public())
    }

    /// The algorithms this key can be used with, in preference order.
    #[must_use]
    pub fn algorithms(&self) -> Vec<X509Alg> {
        X509Alg::for_key(&self.key.public())
    }

    /// The RFC 6187 §2.1 key blob for `alg`.
    #[must_use]
    pub fn blob(&self, alg: X509Alg) -> Vec<u8> {
        X509Blob {
            alg,
            certificates: self.certificates.clone(),
            ocsp_responses: self.ocsp_responses.clone(),
        }
        .encode()
    }
}

/// What validating a peer's certificate chain found.
#[derive(Debug, Clone)]
pub struct CertificateCheck {
    /// The algorithm the peer used.
    pub alg: X509Alg,
    /// How many certificates the peer sent (IOS: "Received a chain of 2 certificate").
    pub certificates: usize,
    /// How many OCSP responses it stapled (IOS: "Received 0 ocsp-response").
    pub ocsp_responses: usize,
    /// The leaf's subject DN, when the leaf could be parsed.
    pub subject: Option<String>,
    /// The leaf certificate, when it could be parsed: its issuer, validity and names, for
    /// showing a person what was refused (a validated chain has it in `outcome` too).
    pub leaf: Option<Certificate>,
    /// Every certificate the peer sent that parses, leaf first: an application that lets a
    /// person trust the issuing CA of a refused chain takes it from here.
    pub sent: Vec<Certificate>,
    /// Which trustpoint validated it (an index into the configured list), if one did.
    pub trustpoint: Option<usize>,
    /// The validated chain, or why it was refused.
    pub outcome: Result<Validated, PkiError>,
}

impl CertificateCheck {
    /// The validated chain, if the check passed.
    #[must_use]
    pub fn validated(&self) -> Option<&Validated> {
        self.outcome.as_ref().ok()
    }

    /// The refusal, if the check failed.
    #[must_use]
    pub fn refusal(&self) -> Option<&PkiError> {
        self.outcome.as_ref().err()
    }

    /// A check that failed before any chain could be looked at (bad blob).
    pub(crate) fn refused(alg: X509Alg, e: PkiError) -> Self {
        CertificateCheck {
            alg,
            certificates: 0,
            ocsp_responses: 0,
            subject: None,
            leaf: None,
            sent: Vec::new(),
            trustpoint: None,
            outcome: Err(e),
        }
    }
}

/// Whether `e` only says "this trustpoint does not know the issuer": with several trustpoints,
/// another one's reason is more telling.
fn not_this_trustpoint(e: &PkiError) -> bool {
    matches!(
        e,
        PkiError::UntrustedIssuer { .. } | PkiError::MissingIntermediate { .. }
    )
}

/// Validates `blob` for `purpose` against each trustpoint in turn; the first that accepts it
/// wins. `now` is the wall clock in Unix seconds (`None`: not given, which refuses).
pub(crate) fn check_chain(
    blob: &X509Blob,
    trustpoints: &[Arc<Trustpoint>],
    purpose: Purpose,
    now: Option<u64>,
) -> CertificateCheck {
    let leaf = blob.leaf().and_then(|d| Certificate::from_der(d).ok());
    let mut check = CertificateCheck {
        alg: blob.alg,
        certificates: blob.certificates.len(),
        ocsp_responses: blob.ocsp_responses.len(),
        subject: leaf.as_ref().map(|c| c.subject().to_owned()),
        leaf,
        sent: blob
            .certificates
            .iter()
            .filter_map(|d| Certificate::from_der(d).ok())
            .collect(),
        trustpoint: None,
        outcome: Err(PkiError::NoClock),
    };
    let Some(now) = now else {
        return check;
    };
    let mut best: Option<PkiError> = None;
    for (i, tp) in trustpoints.iter().enumerate() {
        match verify_chain(blob, tp, purpose, now) {
            Ok(v) => {
                check.trustpoint = Some(i);
                check.outcome = Ok(v);
                return check;
            }
            Err(e) => {
                if best
                    .as_ref()
                    .is_none_or(|b| not_this_trustpoint(b) && !not_this_trustpoint(&e))
                {
                    best = Some(e);
                }
            }
        }
    }
    check.outcome = Err(best.unwrap_or(PkiError::malformed("no trustpoint configured")));
    check
}

/// The leaf key of a blob, for verifying the peer's signature before (or whatever) the chain
/// check says.
pub(crate) fn leaf_key(blob: &X509Blob) -> Result<PublicKey, PkiError> {
    let leaf = blob.leaf().ok_or(PkiError::malformed("no certificate"))?;
    let key = Certificate::from_der(leaf)?.public_key()?;
    if !blob.alg.fits(&key) {
        return Err(PkiError::KeyAlgorithmMismatch {
            alg: blob.alg.name(),
        });
    }
    Ok(key)
}
