//! Why a certificate, a chain, a key blob or a PKCS#12 file was refused.
//!
//! Every refusal is its own variant so that a server can log (and a test can assert) the exact
//! reason; the `Display` texts follow the wording of IOS `debug crypto pki validation` where one
//! exists, since that is what operators of the devices this engine talks to know.

use core::fmt;

/// Which certificate a refusal is about: its position in the path (0 = the leaf) and its subject
/// as an RFC 4514 string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertName {
    /// Position in the validated path, 0 for the peer's own (leaf) certificate.
    pub depth: usize,
    /// The subject DN (RFC 4514).
    pub subject: String,
}

impl fmt::Display for CertName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = if self.depth == 0 { "peer" } else { "CA" };
        write!(f, "{role} certificate {} ({})", self.depth, self.subject)
    }
}

/// Why the PKI layer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkiError {
    /// A DER, PEM, key blob, CRL, OCSP or PKCS#12 structure is malformed (the text says which).
    Malformed {
        /// What could not be decoded.
        what: &'static str,
    },
    /// More certificates (or OCSP responses, or bytes) than the configured limits allow.
    TooManyCertificates {
        /// How many were offered (or bytes, for a size refusal).
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate's validity ended before `now`.
    Expired {
        /// The certificate.
        which: CertName,
        /// Its notAfter, seconds since the Unix epoch.
        not_after: u64,
    },
    /// A certificate's validity starts after `now`.
    NotYetValid {
        /// The certificate.
        which: CertName,
        /// Its notBefore, seconds since the Unix epoch.
        not_before: u64,
    },
    /// Neither a trust anchor nor a certificate the peer sent is named as the issuer of this
    /// certificate: an intermediate is missing (or the CA is not a trustpoint).
    MissingIntermediate {
        /// The last certificate of the longest path that was built.
        which: CertName,
        /// Its issuer DN (RFC 4514), the certificate that is missing.
        issuer: String,
    },
    /// The path ends at a self-signed certificate that is not a trust anchor (depth 0: the
    /// peer's own certificate is self-signed). Certificates a peer sends never become trusted.
    UntrustedIssuer {
        /// The self-signed certificate.
        which: CertName,
    },
    /// The extended key usage does not allow the requested purpose.
    WrongPurpose {
        /// The certificate.
        which: CertName,
        /// The purpose asked for (`secureShellClient` / `secureShellServer`).
        wanted: &'static str,
    },
    /// The leaf has a keyUsage extension without digitalSignature (RFC 6187 §2.2.1).
    NoDigitalSignature {
        /// The certificate.
        which: CertName,
    },
    /// An issuing certificate is not a CA (no basicConstraints cA=TRUE, or keyUsage without
    /// keyCertSign / cRLSign where needed).
    NotACa {
        /// The certificate.
        which: CertName,
    },
    /// A CA's pathLenConstraint is smaller than the number of CAs below it.
    PathLenExceeded {
        /// The constraining CA.
        which: CertName,
        /// Its pathLenConstraint.
        max: u8,
    },
    /// A name in a certificate is outside a CA's permitted subtrees, or inside its excluded ones.
    NameConstraintViolation {
        /// The certificate whose name broke the constraint.
        which: CertName,
        /// The name, as text.
        name: String,
    },
    /// Signed with SHA-1 or MD5 while the policy refuses them.
    WeakSignatureAlgorithm {
        /// The certificate (or CRL/OCSP response) so signed.
        which: CertName,
        /// The signature algorithm OID.
        oid: String,
    },
    /// A signature algorithm that is not implemented (RSASSA-PSS, DSA, ...).
    UnsupportedAlgorithm {
        /// The OID.
        oid: String,
    },
    /// The outer signatureAlgorithm differs from the TBS `signature` field (RFC 5280 §4.1.1.2).
    SignatureAlgorithmMismatch {
        /// The certificate.
        which: CertName,
    },
    /// A certificate, CRL or OCSP signature does not verify.
    BadSignature {
        /// The signed object.
        which: CertName,
    },
    /// The issuer's key is of a type or size the policy refuses.
    WeakKey {
        /// The certificate whose key it is.
        which: CertName,
        /// Why.
        why: String,
    },
    /// Revoked, by a CRL or an OCSP response.
    Revoked {
        /// The certificate.
        which: CertName,
        /// Its serial number in hex.
        serial: String,
    },
    /// The policy requires a revocation check and none could be made (no CRL of that issuer,
    /// no usable OCSP response, or a CRL/OCSP response past its nextUpdate).
    RevocationUnknown {
        /// The certificate.
        which: CertName,
        /// Why.
        why: &'static str,
    },
    /// A critical extension this implementation does not process (RFC 5280 §4.2).
    UnknownCriticalExtension {
        /// The certificate.
        which: CertName,
        /// The extension OID.
        oid: String,
    },
    /// More signature checks than the budget allows were needed to find a path.
    BudgetExceeded {
        /// The budget.
        checks: usize,
    },
    /// The certificate has no field the configured username mapping asks for.
    UsernameFieldMissing,
    /// The host name the user typed matches no subjectAltName (or CN) of the server's certificate.
    HostNameMismatch {
        /// The host name asked for.
        host: String,
    },
    /// The key blob's algorithm does not fit the certificate's key.
    KeyAlgorithmMismatch {
        /// The algorithm name.
        alg: &'static str,
    },
    /// PKCS#12: the integrity MAC does not verify or the contents do not decrypt: the passphrase
    /// is wrong (or the file was altered).
    Passphrase,
    /// No wall-clock time was given to the connection (`Connection::set_wall_clock`), so no
    /// validity period can be checked.
    NoClock,
    /// The private key is not the one the (leaf) certificate certifies.
    KeyMismatch,
}

fn when(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FAILED: &str = "Certificate chain validation has failed.";
        match self {
            PkiError::Malformed { what } => write!(f, "Can not decode the certificate: {what}"),
            PkiError::TooManyCertificates { got, max } => {
                write!(
                    f,
                    "Received a chain of {got} certificate(s), at most {max} allowed"
                )
            }
            PkiError::Expired { which, not_after } => write!(
                f,
                "{FAILED} The {which} has expired. Validity period ended on {}",
                when(*not_after)
            ),
            PkiError::NotYetValid { which, not_before } => write!(
                f,
                "{FAILED} The {which} is not yet valid. Validity period starts on {}",
                when(*not_before)
            ),
            PkiError::MissingIntermediate { which, issuer } => write!(
                f,
                "{FAILED} No suitable trustpoints found: issuer {issuer} of the {which} is not \
                 a trustpoint and was not sent"
            ),
            PkiError::UntrustedIssuer { which } => {
                write!(
                    f,
                    "{FAILED} The {which} is self-signed and not a trustpoint"
                )
            }
            PkiError::WrongPurpose { which, wanted } => write!(
                f,
                "EKU validation failed: the {which} is not valid for {wanted}"
            ),
            PkiError::NoDigitalSignature { which } => {
                write!(
                    f,
                    "{FAILED} The {which} key usage does not allow digitalSignature"
                )
            }
            PkiError::NotACa { which } => write!(f, "{FAILED} The {which} is not a CA"),
            PkiError::PathLenExceeded { which, max } => write!(
                f,
                "{FAILED} Path length constraint {max} of the {which} exceeded"
            ),
            PkiError::NameConstraintViolation { which, name } => write!(
                f,
                "{FAILED} Name {name} of the {which} violates a CA's name constraints"
            ),
            PkiError::WeakSignatureAlgorithm { which, oid } => write!(
                f,
                "{FAILED} The {which} is signed with a weak algorithm ({oid})"
            ),
            PkiError::UnsupportedAlgorithm { oid } => {
                write!(f, "unsupported signature or key algorithm {oid}")
            }
            PkiError::SignatureAlgorithmMismatch { which } => write!(
                f,
                "{FAILED} The {which} signatureAlgorithm differs from its TBS signature field"
            ),
            PkiError::BadSignature { which } => {
                write!(f, "{FAILED} Signature of the {which} does not verify")
            }
            PkiError::WeakKey { which, why } => write!(f, "{FAILED} The {which}: {why}"),
            PkiError::Revoked { which, serial } => {
                write!(f, "{FAILED} The {which} (SN: {serial}) is revoked")
            }
            PkiError::RevocationUnknown { which, why } => write!(
                f,
                "{FAILED} Revocation status of the {which} unknown: {why}"
            ),
            PkiError::UnknownCriticalExtension { which, oid } => write!(
                f,
                "{FAILED} The {which} has an unknown critical extension {oid}"
            ),
            PkiError::BudgetExceeded { checks } => {
                write!(f, "{FAILED} No path found within {checks} signature checks")
            }
            PkiError::UsernameFieldMissing => f.write_str(
                "Could not find username field configured for certificate in trustpoint",
            ),
            PkiError::HostNameMismatch { host } => write!(
                f,
                "Host name {host} does not match the server's certificate"
            ),
            PkiError::KeyAlgorithmMismatch { alg } => {
                write!(f, "certificate key does not fit public key algorithm {alg}")
            }
            PkiError::Passphrase => f.write_str("PKCS#12 passphrase wrong or file altered"),
            PkiError::NoClock => {
                f.write_str("Certificate validity cannot be checked: no wall-clock time was given")
            }
            PkiError::KeyMismatch => {
                f.write_str("The private key does not match the certificate's public key")
            }
        }
    }
}

impl std::error::Error for PkiError {}

impl PkiError {
    /// A malformed structure.
    pub(crate) fn malformed(what: &'static str) -> Self {
        PkiError::Malformed { what }
    }
}

impl From<crate::wire::WireError> for PkiError {
    fn from(e: crate::wire::WireError) -> Self {
        match e {
            crate::wire::WireError::Truncated(what) | crate::wire::WireError::Invalid(what) => {
                PkiError::Malformed { what }
            }
            _ => PkiError::Malformed {
                what: "trailing bytes",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_print_as_utc() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::when(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }
}
