//! The RFC 6187 §2.1 public key blob: a certificate chain and stapled OCSP responses.
//!
//! ```text
//! string  "x509v3-ssh-rsa" / "x509v3-rsa2048-sha256" / "x509v3-ecdsa-sha2-[identifier]"
//! uint32  certificate-count
//! string  certificate[1..certificate-count]
//! uint32  ocsp-response-count
//! string  ocsp-response[0..ocsp-response-count]
//! ```
//!
//! A peer controls every count and length here, so the whole blob is size-checked first and each
//! count is checked against its limit before a vector is allocated for it.

use super::{PkiError, X509Alg};
use crate::wire::{Reader, Writer};

/// Limits on what a peer may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLimits {
    /// Most certificates in one chain (the leaf included).
    pub max_certificates: usize,
    /// Most stapled OCSP responses.
    pub max_ocsp_responses: usize,
    /// Largest whole blob, in bytes.
    pub max_bytes: usize,
}

impl Default for BlobLimits {
    fn default() -> Self {
        BlobLimits {
            max_certificates: 8,
            max_ocsp_responses: 8,
            max_bytes: 64 * 1024,
        }
    }
}

/// A decoded X.509 key blob: DER certificates (leaf first) and DER OCSP responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509Blob {
    /// The algorithm named in (or, for `x509v3-sign-rsa`, implied by) the blob.
    pub alg: X509Alg,
    /// DER certificates, the peer's own first, then (RFC 6187 §2.1) each one's issuer.
    pub certificates: Vec<Vec<u8>>,
    /// DER `OCSPResponse`s the peer stapled.
    pub ocsp_responses: Vec<Vec<u8>>,
}

/// Smallest conceivable DER certificate: `SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`.
const MIN_CERT_LEN: usize = 8;

impl X509Blob {
    /// A blob for `alg` with the chain `certificates` (leaf first) and no OCSP responses.
    #[must_use]
    pub fn new(alg: X509Alg, certificates: Vec<Vec<u8>>) -> Self {
        X509Blob {
            alg,
            certificates,
            ocsp_responses: Vec::new(),
        }
    }

    /// The leaf (peer's own) certificate.
    #[must_use]
    pub fn leaf(&self) -> Option<&[u8]> {
        self.certificates.first().map(Vec::as_slice)
    }

    /// The wire encoding. For `x509v3-sign-rsa` it is the bare leaf certificate.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        if !self.alg.is_chain_format() {
            return self.leaf().map(<[u8]>::to_vec).unwrap_or_default();
        }
        let mut w = Writer::new();
        w.string(self.alg.name().as_bytes());
        w.u32(u32::try_from(self.certificates.len()).unwrap_or(u32::MAX));
        for c in &self.certificates {
            w.string(c);
        }
        w.u32(u32::try_from(self.ocsp_responses.len()).unwrap_or(u32::MAX));
        for r in &self.ocsp_responses {
            w.string(r);
        }
        w.into_vec()
    }

    /// Decodes a key blob received for `alg` (from KEXINIT negotiation or a userauth request).
    /// The name inside must be `alg`'s; trailing bytes are refused.
    pub fn decode(alg: X509Alg, blob: &[u8], limits: &BlobLimits) -> Result<Self, PkiError> {
        if blob.len() > limits.max_bytes {
            return Err(PkiError::TooManyCertificates {
                got: blob.len(),
                max: limits.max_bytes,
            });
        }
        if !alg.is_chain_format() {
            check_der_sequence(blob)?;
            return Ok(X509Blob::new(alg, vec![blob.to_vec()]));
        }
        let mut r = Reader::new(blob);
        let name = r.string("x509 algorithm name")?;
        if name != alg.name().as_bytes() {
            return Err(PkiError::KeyAlgorithmMismatch { alg: alg.name() });
        }
        let count = r.u32("certificate-count")? as usize;
        // RFC 6187 §2.1: "certificate-count MUST be at least 1".
        if count == 0 {
            return Err(PkiError::malformed("certificate-count is zero"));
        }
        if count > limits.max_certificates {
            return Err(PkiError::TooManyCertificates {
                got: count,
                max: limits.max_certificates,
            });
        }
        // Each entry takes at least 4 length bytes plus a certificate; a count the bytes cannot
        // hold is refused before the vector is sized by it.
        if count.saturating_mul(4 + MIN_CERT_LEN) > r.remaining() {
            return Err(PkiError::malformed("certificate-count exceeds the blob"));
        }
        let mut certificates = Vec::with_capacity(count);
        for _ in 0..count {
            let c = r.string("certificate")?;
            check_der_sequence(c)?;
            certificates.push(c.to_vec());
        }
        let n_ocsp = r.u32("ocsp-response-count")? as usize;
        if n_ocsp > limits.max_ocsp_responses {
            return Err(PkiError::TooManyCertificates {
                got: n_ocsp,
                max: limits.max_ocsp_responses,
            });
        }
        if n_ocsp.saturating_mul(4) > r.remaining() {
            return Err(PkiError::malformed("ocsp-response-count exceeds the blob"));
        }
        let mut ocsp_responses = Vec::with_capacity(n_ocsp);
        for _ in 0..n_ocsp {
            ocsp_responses.push(r.string("ocsp-response")?.to_vec());
        }
        r.finish()?;
        Ok(X509Blob {
            alg,
            certificates,
            ocsp_responses,
        })
    }

    /// Reads only the algorithm name at the front of an RFC 6187 blob (`None` if it is not one
    /// of ours), so that a caller holding a blob of unknown type can route it.
    #[must_use]
    pub fn peek_alg(blob: &[u8]) -> Option<X509Alg> {
        let name = Reader::new(blob).string("name").ok()?;
        X509Alg::from_name(core::str::from_utf8(name).ok()?).filter(|a| a.is_chain_format())
    }
}

/// Whether `der` starts with a DER SEQUENCE header whose length covers exactly the input; the
/// full certificate parse happens in chain validation.
fn check_der_sequence(der: &[u8]) -> Result<(), PkiError> {
    let bad = || PkiError::malformed("certificate is not a DER SEQUENCE");
    if der.len() < MIN_CERT_LEN || der[0] != 0x30 {
        return Err(bad());
    }
    let (len, hdr) = match der[1] {
        n @ 0..=0x7f => (usize::from(n), 2),
        0x81 => (usize::from(der[2]), 3),
        0x82 => (usize::from(der[2]) << 8 | usize::from(der[3]), 4),
        0x83 => (
            usize::from(der[2]) << 16 | usize::from(der[3]) << 8 | usize::from(der[4]),
            5,
        ),
        _ => return Err(bad()),
    };
    if hdr + len != der.len() {
        return Err(bad());
    }
    Ok(())
}
