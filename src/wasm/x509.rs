//! RFC 6187 X.509 for JavaScript: a certificate credential for user authentication (PKCS#12
//! bytes + passphrase, or a PEM chain + private key), the server certificate check of the
//! `hostKey` event as a plain object, a stable code for every refusal reason, and the trusted
//! CAs of the client options.
//!
//! Secrets cross the boundary as owned copies (`Vec<u8>`, `String`) held in `Zeroizing`, so the
//! wasm heap copy is wiped when the call returns; the private key itself wipes on drop.

use super::events::obj;
use super::keys::{coded_error, private_key};
use crate::pki::{
    Certificate, CertificateCheck, CertifiedKey, Identity, MAX_PEM_BYTES, MAX_PKCS12_BYTES, Pkcs12,
    PkiError, Revocation, Trustpoint, UsernameField, load_certificates, to_pem,
};
use js_sys::Array;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A stable code for each reason a certificate (or a chain, or a PKCS#12 file) is refused:
/// what `certificate.refusal.code` and `SshError.refusal` carry.
pub(crate) fn refusal_code(e: &PkiError) -> &'static str {
    match e {
        PkiError::Malformed { .. } => "MALFORMED",
        PkiError::TooManyCertificates { .. } => "TOO_MANY_CERTIFICATES",
        PkiError::Expired { .. } => "EXPIRED",
        PkiError::NotYetValid { .. } => "NOT_YET_VALID",
        PkiError::MissingIntermediate { .. } => "MISSING_INTERMEDIATE",
        PkiError::UntrustedIssuer { .. } => "UNTRUSTED_ISSUER",
        PkiError::WrongPurpose { .. } => "WRONG_PURPOSE",
        PkiError::NoDigitalSignature { .. } => "NO_DIGITAL_SIGNATURE",
        PkiError::NotACa { .. } => "NOT_A_CA",
        PkiError::PathLenExceeded { .. } => "PATH_LENGTH_EXCEEDED",
        PkiError::NameConstraintViolation { .. } => "NAME_CONSTRAINT_VIOLATION",
        PkiError::WeakSignatureAlgorithm { .. } => "WEAK_SIGNATURE_ALGORITHM",
        PkiError::UnsupportedAlgorithm { .. } => "UNSUPPORTED_ALGORITHM",
        PkiError::SignatureAlgorithmMismatch { .. } => "SIGNATURE_ALGORITHM_MISMATCH",
        PkiError::BadSignature { .. } => "BAD_SIGNATURE",
        PkiError::WeakKey { .. } => "WEAK_KEY",
        PkiError::Revoked { .. } => "REVOKED",
        PkiError::RevocationUnknown { .. } => "REVOCATION_UNKNOWN",
        PkiError::UnknownCriticalExtension { .. } => "UNKNOWN_CRITICAL_EXTENSION",
        PkiError::BudgetExceeded { .. } => "BUDGET_EXCEEDED",
        PkiError::UsernameFieldMissing => "USERNAME_FIELD_MISSING",
        PkiError::HostNameMismatch { .. } => "HOST_NAME_MISMATCH",
        PkiError::KeyAlgorithmMismatch { .. } => "KEY_ALGORITHM_MISMATCH",
        PkiError::Passphrase => "PASSPHRASE",
        PkiError::NoClock => "NO_CLOCK",
        PkiError::KeyMismatch => "KEY_MISMATCH",
    }
}

/// A credential that could not be loaded: a wrong passphrase is `KEY_PASSPHRASE` (as for a
/// key file, so a page asks again); anything else `CERTIFICATE_INVALID` with the reason's code.
fn credential_error(what: &str, e: &PkiError) -> JsValue {
    let code = match e {
        PkiError::Passphrase => "KEY_PASSPHRASE",
        _ => "CERTIFICATE_INVALID",
    };
    let err = coded_error(code, &format!("{what}: {e}"));
    let _ = js_sys::Reflect::set(&err, &"refusal".into(), &refusal_code(e).into());
    err
}

fn strings<T: ToString>(v: &[T]) -> JsValue {
    v.iter()
        .map(|x| JsValue::from_str(&x.to_string()))
        .collect::<Array>()
        .into()
}

/// Seconds since the epoch as JS milliseconds (what `new Date(ms)` takes).
fn ms(secs: u64) -> JsValue {
    JsValue::from_f64(secs as f64 * 1000.0)
}

/// One certificate as a person needs to judge it: names, issuer, validity, and its PEM (so a
/// CA certificate can be kept as trusted).
fn certificate(c: &Certificate) -> JsValue {
    let id = Identity::from_certificate(c);
    obj(&[
        ("subject", c.subject().into()),
        ("issuer", c.issuer().into()),
        ("serial", id.serial.as_str().into()),
        ("notBefore", ms(c.not_before())),
        ("notAfter", ms(c.not_after())),
        ("commonNames", strings(&id.common_names)),
        ("dnsNames", strings(&id.dns_names)),
        ("ipAddresses", strings(&id.ip_addresses)),
        ("emails", strings(&id.emails)),
        ("isCa", c.is_ca().into()),
        ("pem", to_pem("CERTIFICATE", c.der()).into()),
    ])
}

fn refusal(e: &PkiError) -> JsValue {
    obj(&[
        ("code", refusal_code(e).into()),
        ("message", e.to_string().into()),
    ])
}

/// The `certificate` field of the `hostKey` event: the leaf's details (also when refused),
/// the chain sent, and the outcome against the trusted CAs and the host name.
pub(crate) fn check_to_js(c: &CertificateCheck) -> JsValue {
    let leaf = c.leaf.as_ref().map_or(JsValue::NULL, certificate);
    let sent: Array = c.sent.iter().map(certificate).collect();
    let (valid, refused, anchor) = match &c.outcome {
        Ok(v) => (
            true,
            JsValue::NULL,
            v.chain.last().map_or(JsValue::NULL, |a| a.subject().into()),
        ),
        Err(e) => (false, refusal(e), JsValue::NULL),
    };
    obj(&[
        ("algorithm", c.alg.name().into()),
        ("leaf", leaf),
        ("chain", sent.into()),
        ("ocspResponses", JsValue::from_f64(c.ocsp_responses as f64)),
        ("valid", valid.into()),
        ("trustedBy", anchor),
        ("refusal", refused),
    ])
}

/// The client's trust anchors from `trustedCAs`: PEM texts, each with one or more
/// certificates. Given at all, even empty, they turn the `x509v3-*` host key algorithms on: a
/// page with no CA kept yet still sees the server's certificate (refused, with its reason)
/// and can let the person trust its CA. `crls` (PEM `X509 CRL` texts) and `revocation` (`none`,
/// `crl`, `ocsp`, `ocsp-crl`, the IOS `revocation-check` modes; `crl` when CRLs are given and
/// no mode is) decide how the server's chain is checked for revocation.
pub(crate) fn trusted_cas(
    list: &[String],
    crls: &[String],
    revocation: Option<&str>,
    soft_fail: bool,
) -> Result<Arc<Trustpoint>, JsError> {
    let mut t = Trustpoint::default();
    for (i, pem) in list.iter().enumerate() {
        let before = t.anchors.len();
        t.add_anchors(pem.as_bytes())
            .map_err(|e| JsError::new(&format!("trustedCAs[{i}]: {e}")))?;
        // Text without a CERTIFICATE block would silently trust nothing: say so.
        if t.anchors.len() == before {
            return Err(JsError::new(&format!(
                "trustedCAs[{i}]: no CERTIFICATE block in the PEM text"
            )));
        }
    }
    for (i, pem) in crls.iter().enumerate() {
        let before = t.crls.len();
        t.add_crls(pem.as_bytes())
            .map_err(|e| JsError::new(&format!("crls[{i}]: {e}")))?;
        if t.crls.len() == before {
            return Err(JsError::new(&format!(
                "crls[{i}]: no X509 CRL block in the PEM text"
            )));
        }
    }
    t.policy.revocation = match revocation {
        None if crls.is_empty() => Revocation::None,
        None => Revocation::Crl,
        Some(name) => Revocation::from_name(name).ok_or_else(|| {
            JsError::new(&format!(
                "revocation: {name:?} is not one of {}",
                Revocation::names()
            ))
        })?,
    };
    t.policy.revocation_soft_fail = soft_fail;
    Ok(Arc::new(t))
}

/// An X.509 certificate with its private key, for `Engine.authCertificate` (RFC 6187
/// `x509v3-*` user authentication).
#[wasm_bindgen]
pub struct CertificateCredential {
    inner: Arc<CertifiedKey>,
}

#[wasm_bindgen]
impl CertificateCredential {
    /// From a PKCS#12 file (`.p12` / `.pfx`) and its passphrase (files exported without one
    /// open with none). Throws `KEY_PASSPHRASE` when it is wrong, `CERTIFICATE_INVALID` else.
    #[wasm_bindgen(js_name = fromPkcs12)]
    pub fn from_pkcs12(
        bytes: Vec<u8>,
        passphrase: Option<String>,
    ) -> Result<CertificateCredential, JsValue> {
        let bytes = Zeroizing::new(bytes);
        let pass = Zeroizing::new(passphrase.unwrap_or_default());
        if bytes.len() > MAX_PKCS12_BYTES {
            return Err(credential_error(
                "PKCS#12 file",
                &PkiError::malformed("PKCS#12 file too large"),
            ));
        }
        let c = Pkcs12::from_der(&bytes, &pass)
            .and_then(CertifiedKey::from_pkcs12)
            .map_err(|e| credential_error("PKCS#12 file", &e))?;
        Ok(CertificateCredential { inner: Arc::new(c) })
    }

    /// From a PEM certificate chain (its own certificate first, then each issuer) and the
    /// private key's file text (any format a key file may have; `passphrase` if encrypted).
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(
        chain: &str,
        key: String,
        passphrase: Option<String>,
    ) -> Result<CertificateCredential, JsValue> {
        let key = Zeroizing::new(key);
        let pass = passphrase.map(Zeroizing::new);
        if chain.len() > MAX_PEM_BYTES {
            return Err(credential_error(
                "certificate chain",
                &PkiError::malformed("PEM text too large"),
            ));
        }
        let certs = load_certificates(chain.as_bytes())
            .and_then(|c| {
                // Text with no CERTIFICATE block is a wrong file, said before the key is read.
                if c.is_empty() {
                    Err(PkiError::malformed("no CERTIFICATE block"))
                } else {
                    Ok(c)
                }
            })
            .map_err(|e| credential_error("certificate chain", &e))?;
        let key = private_key(&key, pass.as_deref().map(String::as_str))?;
        let c = CertifiedKey::new(Arc::new(key), certs)
            .map_err(|e| credential_error("certificate chain with its key", &e))?;
        Ok(CertificateCredential { inner: Arc::new(c) })
    }

    /// The certificate's details: `{ subject, issuer, serial, notBefore, notAfter,
    /// commonNames, dnsNames, ipAddresses, emails, isCa, pem, algorithms, keyType,
    /// fingerprint, chainLength }`.
    #[wasm_bindgen(getter)]
    pub fn info(&self) -> JsValue {
        let o = certificate(self.inner.leaf());
        let public = self.inner.key().public();
        let algs: Vec<&str> = self.inner.algorithms().iter().map(|a| a.name()).collect();
        for (k, v) in [
            ("algorithms", strings(&algs)),
            ("keyType", public.key_type().into()),
            ("fingerprint", public.fingerprint_sha256().into()),
            (
                "chainLength",
                JsValue::from_f64(self.inner.certificates().len() as f64),
            ),
        ] {
            let _ = js_sys::Reflect::set(&o, &k.into(), &v);
        }
        o
    }

    /// The login name the certificate gives, as a server maps it by default (IOS
    /// `authorization username subjectname commonname`): the subject's common name.
    #[wasm_bindgen(js_name = userName)]
    pub fn user_name(&self) -> Result<String, JsValue> {
        Identity::from_certificate(self.inner.leaf())
            .username(&UsernameField::CommonName)
            .map_err(|e| credential_error("the login name from the certificate", &e))
    }
}

impl CertificateCredential {
    pub(crate) fn certified(&self) -> Arc<CertifiedKey> {
        self.inner.clone()
    }
}
