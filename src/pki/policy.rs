//! What a validation is for and how strict it is: [`Purpose`], [`Policy`] and the
//! application's [`Trustpoint`] (trust anchors, CRLs and policy together, as an IOS
//! `crypto pki trustpoint` holds them).

use super::crl::Crl;
use super::pem::pem_or_der;
use super::{BlobLimits, Certificate, PkiError};

/// What the peer's certificate is being used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A user authenticating to our server (`id-kp-secureShellClient`).
    SshClient,
    /// A server's host key, checked by our client (`id-kp-secureShellServer`).
    SshServer,
}

impl Purpose {
    /// The RFC 6187 §2.2.2 key purpose name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Purpose::SshClient => "secureShellClient",
            Purpose::SshServer => "secureShellServer",
        }
    }
}

/// Which extended key usages are accepted besides the RFC 6187 §2.2.2 one for the purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EkuPolicy {
    /// Accept a leaf without an extendedKeyUsage extension (RFC 5280 §4.2.1.12: no restriction).
    pub allow_missing: bool,
    /// Accept `anyExtendedKeyUsage` (2.5.29.37.0).
    pub allow_any: bool,
    /// Accept TLS `clientAuth` for users and `serverAuth` for servers (field devices enrolled
    /// for TLS often carry only those).
    pub allow_tls: bool,
}

impl Default for EkuPolicy {
    fn default() -> Self {
        EkuPolicy {
            allow_missing: true,
            allow_any: true,
            allow_tls: false,
        }
    }
}

/// How revocation is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Revocation {
    /// No check (IOS `revocation-check none`).
    #[default]
    None,
    /// Every certificate below the anchor against the trustpoint's CRLs.
    Crl,
    /// The leaf against a stapled OCSP response from the key blob; CA certificates are checked
    /// too when the peer stapled responses for them.
    Ocsp,
    /// A stapled OCSP response where one fits, otherwise the CRLs, for every certificate below
    /// the anchor.
    OcspThenCrl,
}

impl Revocation {
    /// Each mode by the name of its IOS `revocation-check` setting, as serve's config and the npm
    /// package's `revocation` option spell it.
    const BY_NAME: [(&'static str, Revocation); 4] = [
        ("none", Revocation::None),
        ("crl", Revocation::Crl),
        ("ocsp", Revocation::Ocsp),
        ("ocsp-crl", Revocation::OcspThenCrl),
    ];

    /// The mode `name` names (`none`, `crl`, `ocsp`, `ocsp-crl`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::BY_NAME
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, mode)| mode)
    }

    /// The names [`Revocation::from_name`] takes, comma-separated, for error messages.
    #[must_use]
    pub fn names() -> String {
        Self::BY_NAME.map(|(n, _)| n).join(", ")
    }
}

/// Validation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Accept SHA-1 signatures on certificates, CRLs and OCSP responses (MD5 is never
    /// accepted: chosen-prefix MD5 collisions have forged CA certificates).
    pub allow_sha1: bool,
    /// Smallest RSA modulus accepted in any certificate of the path.
    pub min_rsa_bits: usize,
    /// Extended key usage rules for the leaf.
    pub eku: EkuPolicy,
    /// Revocation checking.
    pub revocation: Revocation,
    /// Accept a certificate whose revocation status could not be established (IOS
    /// `revocation-check crl none`); a certificate found revoked is refused regardless.
    pub revocation_soft_fail: bool,
    /// Most signature verifications spent looking for a path.
    pub max_signature_checks: usize,
    /// Most intermediate CAs between the leaf and the anchor.
    pub max_intermediates: usize,
    /// Seconds of clock difference tolerated on OCSP `thisUpdate` in the future.
    pub ocsp_clock_skew: u64,
    /// Oldest acceptable OCSP response without `nextUpdate`, in seconds after `thisUpdate`.
    pub ocsp_max_age: u64,
    /// Limits on the key blob.
    pub blob_limits: BlobLimits,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_sha1: false,
            min_rsa_bits: crate::keys::DEFAULT_MIN_RSA_BITS,
            eku: EkuPolicy::default(),
            revocation: Revocation::None,
            revocation_soft_fail: false,
            max_signature_checks: 32,
            max_intermediates: 6,
            ocsp_clock_skew: 300,
            ocsp_max_age: 7 * 86_400,
            blob_limits: BlobLimits::default(),
        }
    }
}

/// The application's trust: anchor certificates (the only trust; a peer's intermediates never
/// become trusted), the CRLs it has fetched, and the policy.
#[derive(Debug, Clone, Default)]
pub struct Trustpoint {
    /// Trust anchors (usually self-signed CA certificates).
    pub anchors: Vec<Certificate>,
    /// CRLs for [`Revocation::Crl`] / [`Revocation::OcspThenCrl`].
    pub crls: Vec<Crl>,
    /// How strictly to validate.
    pub policy: Policy,
}

impl Trustpoint {
    /// A trustpoint with the default policy and the anchors in `pem_or_der` (PEM with one or
    /// more `CERTIFICATE` blocks, or one DER certificate).
    pub fn from_anchors(pem_or_der_input: &[u8]) -> Result<Self, PkiError> {
        let mut t = Trustpoint::default();
        t.add_anchors(pem_or_der_input)?;
        Ok(t)
    }

    /// Adds the anchors in PEM or DER input.
    pub fn add_anchors(&mut self, input: &[u8]) -> Result<(), PkiError> {
        for der in pem_or_der(input, "CERTIFICATE")? {
            self.anchors.push(Certificate::from_der(&der)?);
        }
        Ok(())
    }

    /// Adds the CRLs in PEM (`X509 CRL` blocks) or DER input. Their signatures are checked when
    /// they are used, against the issuer in the path.
    pub fn add_crls(&mut self, input: &[u8]) -> Result<(), PkiError> {
        for der in pem_or_der(input, "X509 CRL")? {
            self.crls.push(Crl::from_der(&der)?);
        }
        Ok(())
    }
}

/// Certificates from PEM (one or many `CERTIFICATE` blocks) or DER input, in order.
pub fn load_certificates(input: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    pem_or_der(input, "CERTIFICATE")?
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect()
}
