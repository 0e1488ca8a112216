//! One parsed X.509 certificate: the exact DER, the signed TBS bytes, and the extensions the
//! path checks need, decoded once and checked for duplicates.

use super::names::dn_string;
use super::{PkiError, oid};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Header, Reader, SliceReader, Tag};
use x509_cert::ext::pkix::constraints::{BasicConstraints, NameConstraints};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectKeyIdentifier,
};

/// Largest certificate accepted (bigger ones are refused before parsing).
pub const MAX_CERT_BYTES: usize = 32 * 1024;

/// The extensions that matter to path validation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exts {
    /// basicConstraints: (cA, pathLenConstraint).
    pub(crate) basic: Option<(bool, Option<u8>)>,
    pub(crate) key_usage: Option<KeyUsage>,
    pub(crate) eku: Option<Vec<ObjectIdentifier>>,
    pub(crate) san: Option<Vec<GeneralName>>,
    pub(crate) name_constraints: Option<NameConstraints>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    /// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) on a delegated OCSP responder.
    pub(crate) ocsp_nocheck: bool,
    /// The first critical extension this implementation does not process.
    pub(crate) unknown_critical: Option<ObjectIdentifier>,
}

/// An X.509 certificate.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: core::ops::Range<usize>,
    inner: x509_cert::Certificate,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    subject: String,
    not_before: u64,
    not_after: u64,
    pub(crate) exts: Exts,
}

impl core::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("serial", &self.serial_hex())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl Certificate {
    /// Parses a DER certificate (strict DER, no trailing bytes, at most [`MAX_CERT_BYTES`]).
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        if der.len() > MAX_CERT_BYTES {
            return Err(PkiError::malformed("certificate too large"));
        }
        let tbs = tbs_range(der).ok_or(PkiError::malformed("certificate structure"))?;
        let inner = x509_cert::Certificate::from_der(der)
            .map_err(|_| PkiError::malformed("certificate"))?;
        let tbs_cert = inner.tbs_certificate();
        let enc = |n: &x509_cert::name::Name| {
            n.to_der()
                .map_err(|_| PkiError::malformed("certificate name"))
        };
        let subject_der = enc(tbs_cert.subject())?;
        let issuer_der = enc(tbs_cert.issuer())?;
        let validity = tbs_cert.validity();
        let exts = parse_exts(tbs_cert.extensions().map(Vec::as_slice).unwrap_or(&[]))?;
        Ok(Certificate {
            subject: dn_string(tbs_cert.subject()),
            not_before: validity.not_before.to_unix_duration().as_secs(),
            not_after: validity.not_after.to_unix_duration().as_secs(),
            der: der.to_vec(),
            tbs,
            subject_der,
            issuer_der,
            exts,
            inner,
        })
    }

    /// The DER encoding, exactly as received.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signed `tbsCertificate` bytes, exactly as received.
    pub(crate) fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// The parsed structure.
    #[must_use]
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// The subject DN as an RFC 4514 string.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer DN as an RFC 4514 string.
    #[must_use]
    pub fn issuer(&self) -> String {
        dn_string(self.inner.tbs_certificate().issuer())
    }

    pub(crate) fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    pub(crate) fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// Whether subject and issuer are the same name (self-issued, RFC 5280 §6.1).
    #[must_use]
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// notBefore, seconds since the Unix epoch.
    #[must_use]
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// notAfter, seconds since the Unix epoch.
    #[must_use]
    pub fn not_after(&self) -> u64 {
        self.not_after
    }

    /// The serial number's bytes (big-endian, as encoded).
    #[must_use]
    pub fn serial(&self) -> &[u8] {
        self.inner.tbs_certificate().serial_number().as_bytes()
    }

    /// The serial number in upper-case hex, as IOS prints it.
    #[must_use]
    pub fn serial_hex(&self) -> String {
        hex_upper(self.serial())
    }

    /// The subjectPublicKeyInfo.
    pub(crate) fn spki(&self) -> &x509_cert::spki::SubjectPublicKeyInfoOwned {
        self.inner.tbs_certificate().subject_public_key_info()
    }

    /// The certified key as the engine's [`crate::keys::PublicKey`] (the key that makes the SSH
    /// signatures under an `x509v3-*` algorithm).
    pub fn public_key(&self) -> Result<crate::keys::PublicKey, PkiError> {
        super::spki::engine_key(self.spki())
    }

    /// Whether basicConstraints says cA=TRUE.
    #[must_use]
    pub fn is_ca(&self) -> bool {
        matches!(self.exts.basic, Some((true, _)))
    }
}

pub(crate) fn hex_upper(b: &[u8]) -> String {
    let b = match b {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => b,
    };
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The byte range of the first element (tbsCertificate) inside the outer SEQUENCE.
pub(crate) fn tbs_range(der: &[u8]) -> Option<core::ops::Range<usize>> {
    let mut r = SliceReader::new(der).ok()?;
    let outer = Header::decode(&mut r).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let start = usize::try_from(u32::from(r.position())).ok()?;
    let tbs = r.tlv_bytes().ok()?;
    Some(start..start + tbs.len())
}

fn parse_exts(list: &[x509_cert::ext::Extension]) -> Result<Exts, PkiError> {
    let mut e = Exts::default();
    let mut seen: Vec<&ObjectIdentifier> = Vec::with_capacity(list.len());
    for ext in list {
        // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
        // extension."
        if seen.contains(&&ext.extn_id) {
            return Err(PkiError::malformed("duplicate certificate extension"));
        }
        seen.push(&ext.extn_id);
        let v = ext.extn_value.as_bytes();
        let bad = |what| move |_| PkiError::malformed(what);
        match ext.extn_id {
            oid::EXT_BASIC_CONSTRAINTS => {
                let bc = BasicConstraints::from_der(v).map_err(bad("basicConstraints"))?;
                e.basic = Some((bc.ca, bc.path_len_constraint));
            }
            oid::EXT_KEY_USAGE => {
                e.key_usage = Some(KeyUsage::from_der(v).map_err(bad("keyUsage"))?);
            }
            oid::EXT_EXTENDED_KEY_USAGE => {
                let eku = ExtendedKeyUsage::from_der(v).map_err(bad("extKeyUsage"))?;
                e.eku = Some(eku.0);
            }
            oid::EXT_SUBJECT_ALT_NAME => {
                let san = SubjectAltName::from_der(v).map_err(bad("subjectAltName"))?;
                e.san = Some(san.0);
            }
            oid::EXT_NAME_CONSTRAINTS => {
                e.name_constraints =
                    Some(NameConstraints::from_der(v).map_err(bad("nameConstraints"))?);
            }
            oid::EXT_SUBJECT_KEY_ID => {
                let ski = SubjectKeyIdentifier::from_der(v).map_err(bad("subjectKeyIdentifier"))?;
                e.subject_key_id = Some(ski.0.as_bytes().to_vec());
            }
            oid::EXT_AUTHORITY_KEY_ID => {
                let aki =
                    AuthorityKeyIdentifier::from_der(v).map_err(bad("authorityKeyIdentifier"))?;
                e.authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
            }
            oid::EXT_OCSP_NOCHECK => e.ocsp_nocheck = true,
            // Recognised without effect on validation: no certificate policy is required
            // (RFC 5280 §6.1.1 with user-initial-policy-set = any-policy), and distribution
            // points and access descriptions are where to fetch things, which a sans-IO engine
            // leaves to its driver.
            oid::EXT_CERTIFICATE_POLICIES
            | oid::EXT_CRL_DISTRIBUTION_POINTS
            | oid::EXT_AUTHORITY_INFO_ACCESS
            | oid::EXT_ISSUER_ALT_NAME => {}
            _ => {
                // RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it
                // encounters a critical extension it does not recognize".
                if ext.critical && e.unknown_critical.is_none() {
                    e.unknown_critical = Some(ext.extn_id);
                }
            }
        }
    }
    Ok(e)
}
