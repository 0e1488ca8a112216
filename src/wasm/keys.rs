//! Key helpers for JavaScript: known_hosts lookups and entries (the engine's
//! `keys::known_hosts`), and a private key file's description, so a page can ask for a
//! passphrase before connecting. Keys cross the boundary as OpenSSH text lines.

use super::events::obj;
use crate::keys::known_hosts::{self, HostKeyStatus};
use crate::keys::{KeyError, PrivateKey, PublicKey};
use wasm_bindgen::prelude::*;

/// A JS `Error` with a stable `code`.
pub(crate) fn coded_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

pub(super) fn key_error(what: &str, e: &KeyError) -> JsValue {
    let code = match e {
        KeyError::Passphrase => "KEY_PASSPHRASE",
        KeyError::Unsupported(_) => "KEY_UNSUPPORTED",
        _ => "KEY_INVALID",
    };
    coded_error(code, &format!("{what}: {e}"))
}

pub(crate) fn private_key(text: &str, passphrase: Option<&str>) -> Result<PrivateKey, JsValue> {
    let passphrase = passphrase.filter(|p| !p.is_empty());
    PrivateKey::from_text(text, passphrase)
        .map(|(k, _)| k)
        .map_err(|e| key_error("private key", &e))
}

pub(super) fn public_key(line: &str) -> Result<PublicKey, JsValue> {
    PublicKey::from_text(line)
        .map(|(k, _)| k)
        .map_err(|e| key_error("public key", &e))
}

/// What known_hosts `text` says about `publicKey` (an OpenSSH line) for `host` on `port`:
/// `{ status: 'match' | 'mismatch' | 'revoked' | 'unknown', line }` (1-based line, 0 if none).
#[wasm_bindgen(js_name = checkKnownHosts)]
pub fn check_known_hosts(
    text: &str,
    host: &str,
    port: u16,
    public_key_line: &str,
) -> Result<JsValue, JsValue> {
    let key = public_key(public_key_line)?;
    let (status, line) = match known_hosts::check_host_key(text, host, port, None, &key) {
        HostKeyStatus::Match(l) => ("match", l),
        HostKeyStatus::Mismatch(l) => ("mismatch", l),
        HostKeyStatus::Revoked(l) => ("revoked", l),
        HostKeyStatus::Unknown => ("unknown", 0),
    };
    Ok(obj(&[
        ("status", status.into()),
        ("line", JsValue::from_f64(line as f64)),
    ]))
}

/// The key types known_hosts `text` holds for `host` on `port`, in file order (plain lines
/// only): the `preferHostKeyTypes` client option, so the server is asked for a known key first.
#[wasm_bindgen(js_name = knownHostKeyTypes)]
#[must_use]
pub fn known_host_key_types(text: &str, host: &str, port: u16) -> Vec<String> {
    known_hosts::key_types_for(text, host, port)
}

/// A known_hosts line (no newline) for `host` on `port` with `publicKey` (an OpenSSH line).
#[wasm_bindgen(js_name = knownHostsEntry)]
pub fn known_hosts_entry(host: &str, port: u16, public_key_line: &str) -> Result<String, JsValue> {
    let key = public_key(public_key_line)?;
    known_hosts::format_entry(host, port, None, &key).map_err(|e| key_error("host name", &e))
}

/// `{ keyType, fingerprint, publicKey }` of a private key file (any format the engine reads);
/// throws with code `KEY_PASSPHRASE` when it is encrypted and `passphrase` is missing or wrong.
#[wasm_bindgen(js_name = privateKeyInfo)]
pub fn private_key_info(text: &str, passphrase: Option<String>) -> Result<JsValue, JsValue> {
    let public = private_key(text, passphrase.as_deref())?.public();
    Ok(obj(&[
        ("keyType", public.key_type().into()),
        ("fingerprint", public.fingerprint_sha256().into()),
        ("publicKey", public.to_openssh_line("").into()),
    ]))
}
