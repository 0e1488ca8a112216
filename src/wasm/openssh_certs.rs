//! OpenSSH certificates for JavaScript: a user certificate (`-cert.pub` line) with its private
//! key for `publickey` login, a server's host certificate as a plain object in the `hostKey`
//! event, and its judgement against known_hosts text (`@cert-authority`, `@revoked`) at the
//! caller's `Date.now()` — the engine's `keys::known_hosts::check_host_certificate`.

use super::engine::{Engine, js_error};
use super::events::obj;
use super::keys::{coded_error, private_key};
use crate::keys::known_hosts::{self, HostCertRefusal, HostCertStatus};
use crate::keys::openssh_cert::{CertType, OpenSshCert};
use base64ct::{Base64, Encoding};
use js_sys::Array;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A `-cert.pub` line (`type base64 [comment]`), or a JS error with code `CERTIFICATE_INVALID`.
fn parse_line(line: &str) -> Result<OpenSshCert, JsValue> {
    OpenSshCert::from_openssh_line(line.trim())
        .map_err(|e| coded_error("CERTIFICATE_INVALID", &format!("OpenSSH certificate: {e}")))
}

/// The certificate as an OpenSSH line, without a comment.
fn line_of(cert: &OpenSshCert) -> String {
    format!(
        "{} {}",
        cert.cert_type_name,
        Base64::encode_string(&cert.to_blob())
    )
}

/// `{ line, certType: 'user' | 'host', keyType, fingerprint, keyId, serial, principals,
/// validAfter, validBefore, caKeyType, caFingerprint, criticalOptions, extensions }`; times are
/// seconds since the epoch (`validBefore` is 2^64-1, as a number, for "forever").
pub(crate) fn cert_to_js(cert: &OpenSshCert) -> JsValue {
    let names = |v: &[(String, Vec<u8>)]| -> JsValue {
        v.iter()
            .map(|(n, _)| JsValue::from_str(n))
            .collect::<Array>()
            .into()
    };
    let ca = cert.ca_key().ok();
    obj(&[
        ("line", line_of(cert).into()),
        (
            "certType",
            match cert.cert_type {
                CertType::User => "user",
                CertType::Host => "host",
            }
            .into(),
        ),
        ("keyType", cert.key.key_type().into()),
        ("fingerprint", cert.key.fingerprint_sha256().into()),
        ("keyId", cert.key_id.as_str().into()),
        // Serials above 2^53 lose precision as numbers; the text keeps them exact.
        ("serial", cert.serial.to_string().into()),
        (
            "principals",
            cert.principals
                .iter()
                .map(|p| JsValue::from_str(p))
                .collect::<Array>()
                .into(),
        ),
        ("validAfter", JsValue::from_f64(cert.valid_after as f64)),
        ("validBefore", JsValue::from_f64(cert.valid_before as f64)),
        (
            "caKeyType",
            ca.as_ref().map_or(JsValue::NULL, |k| k.key_type().into()),
        ),
        (
            "caFingerprint",
            ca.as_ref()
                .map_or(JsValue::NULL, |k| k.fingerprint_sha256().into()),
        ),
        ("criticalOptions", names(&cert.critical_options)),
        ("extensions", names(&cert.extensions)),
    ])
}

/// A stable code for each refusal.
fn refusal_code(r: &HostCertRefusal) -> &'static str {
    match r {
        HostCertRefusal::NoCertAuthority => "NO_CERT_AUTHORITY",
        HostCertRefusal::UnknownCa => "UNKNOWN_CA",
        HostCertRefusal::BadSignature(_) => "BAD_SIGNATURE",
        HostCertRefusal::CaSignatureAlgorithm(_) => "CA_SIGNATURE_ALGORITHM",
        HostCertRefusal::NotHostCertificate => "NOT_HOST_CERTIFICATE",
        HostCertRefusal::WrongPrincipal => "WRONG_PRINCIPAL",
        HostCertRefusal::NotYetValid => "NOT_YET_VALID",
        HostCertRefusal::Expired => "EXPIRED",
        HostCertRefusal::CriticalOption(_) => "CRITICAL_OPTION",
    }
}

/// What known_hosts `text` says about the host certificate `certificateLine` of `host` on
/// `port` at `nowMs` (`Date.now()`): `{ status: 'trusted' | 'revoked' | 'refused', line,
/// reason, message }` (line 1-based, 0 if none; `reason` a code such as `WRONG_PRINCIPAL` or
/// `EXPIRED` when refused). A refused certificate's key may still be listed as a plain key.
#[wasm_bindgen(js_name = checkKnownHostsCertificate)]
pub fn check_known_hosts_certificate(
    text: &str,
    host: &str,
    port: u16,
    certificate_line: &str,
    now_ms: f64,
) -> Result<JsValue, JsValue> {
    let cert = parse_line(certificate_line)?;
    let now = (now_ms.max(0.0) / 1000.0) as u64;
    let (status, line, reason, message) =
        match known_hosts::check_host_certificate(text, host, port, &cert, now) {
            HostCertStatus::Trusted(l) => ("trusted", l, JsValue::NULL, String::new()),
            HostCertStatus::Revoked(l) => (
                "revoked",
                l,
                "REVOKED".into(),
                format!("revoked on line {l} of known_hosts"),
            ),
            HostCertStatus::Refused(r) => ("refused", 0, refusal_code(&r).into(), r.to_string()),
        };
    Ok(obj(&[
        ("status", status.into()),
        ("line", JsValue::from_f64(line as f64)),
        ("reason", reason),
        ("message", message.into()),
    ]))
}

/// Whether known_hosts `text` has a `@cert-authority` line for `host` on `port`: the client
/// option `openSshHostCertificates`, so host certificates are asked for.
#[wasm_bindgen(js_name = knownHostsHasCertAuthority)]
#[must_use]
pub fn known_hosts_has_cert_authority(text: &str, host: &str, port: u16) -> bool {
    known_hosts::has_cert_authority(text, host, port)
}

/// The fields of an OpenSSH certificate line (what `ssh-keygen -L` shows), or a JS error with
/// code `CERTIFICATE_INVALID`.
#[wasm_bindgen(js_name = openSshCertificateInfo)]
pub fn open_ssh_certificate_info(certificate_line: &str) -> Result<JsValue, JsValue> {
    parse_line(certificate_line).map(|c| cert_to_js(&c))
}

#[wasm_bindgen]
impl Engine {
    /// `publickey` with an OpenSSH user certificate: the private key file's text (any format
    /// `authPublicKey` reads, decrypted with `passphrase`) and its `-cert.pub` line. A
    /// certificate of another key throws (code `CERTIFICATE_INVALID`).
    #[wasm_bindgen(js_name = authOpenSshCertificate)]
    pub fn auth_openssh_certificate(
        &mut self,
        user: &str,
        key_text: &str,
        passphrase: Option<String>,
        certificate_line: &str,
    ) -> Result<(), JsValue> {
        let key = private_key(key_text, passphrase.as_deref())?;
        let cert = parse_line(certificate_line)?;
        if cert.key != key.public() {
            return Err(coded_error(
                "CERTIFICATE_INVALID",
                "the certificate is not for this private key",
            ));
        }
        self.conn
            .auth_openssh_certificate(user, Arc::new(key), &cert)
            .map_err(|e| js_error(&e))
    }
}
