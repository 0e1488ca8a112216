//! FIDO security keys for JavaScript (OpenSSH PROTOCOL.u2f): the authorized_keys line of a
//! credential a browser registered (`navigator.credentials.create`), external signing on the
//! `Engine` (the query, the `signRequest` event, the answer), and the answer made from a WebAuthn
//! assertion (`navigator.credentials.get` with the SSH signed data as the challenge), which the
//! engine turns into a `webauthn-sk-ecdsa-sha2-nistp256@openssh.com` signature and checks
//! against the key before sending it. The browser calls stay in `js/webauthn.js`.

use super::engine::{Engine, js_error};
use super::events::obj;
use super::keys::{coded_error, key_error, public_key};
use crate::keys::{PublicKey, webauthn_signature_blob};
use wasm_bindgen::prelude::*;

/// DER SubjectPublicKeyInfo of a P-256 key up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (0 unused bits) }: what `AuthenticatorAttestationResponse.
/// getPublicKey()` returns for an ES256 credential, followed by the 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A comment as one line of printable text (an authorized_keys line ends at a newline).
fn clean_comment(comment: &str) -> String {
    comment
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `{ publicKey, fingerprint, application }` for a credential registered in a browser:
/// `spki` is `response.getPublicKey()` (an ES256 key), `application` the relying party ID it was
/// created for (what the authenticator hashes into every signature, so what the key line must
/// carry); `publicKey` is the `sk-ecdsa-sha2-nistp256@openssh.com` line with `comment`.
#[wasm_bindgen(js_name = securityKeyFromSpki)]
pub fn security_key_from_spki(
    spki: &[u8],
    application: &str,
    comment: &str,
) -> Result<JsValue, JsValue> {
    let point = spki
        .strip_prefix(&P256_SPKI_PREFIX[..])
        .filter(|p| p.len() == 65)
        .ok_or_else(|| {
            coded_error(
                "KEY_UNSUPPORTED",
                "the credential is not an ES256 (P-256) key: security keys sign as \
                 sk-ecdsa-sha2-nistp256@openssh.com",
            )
        })?;
    let key = PublicKey::security_key_ecdsa(point, application)
        .map_err(|e| key_error("security key", &e))?;
    Ok(info(&key, &clean_comment(comment)))
}

/// `{ publicKey, fingerprint, application }` of an `sk-ecdsa-sha2-nistp256@openssh.com` line
/// (throws `KEY_UNSUPPORTED` for another key type).
#[wasm_bindgen(js_name = securityKeyInfo)]
pub fn security_key_info(line: &str) -> Result<JsValue, JsValue> {
    let key = sk_key(line)?;
    Ok(info(&key, ""))
}

fn sk_key(line: &str) -> Result<PublicKey, JsValue> {
    let key = public_key(line)?;
    if key.security_key_application().is_none() {
        return Err(coded_error(
            "KEY_UNSUPPORTED",
            &format!(
                "{} is not a security key (sk-ecdsa-sha2-nistp256@openssh.com)",
                key.key_type()
            ),
        ));
    }
    Ok(key)
}

fn info(key: &PublicKey, comment: &str) -> JsValue {
    obj(&[
        ("publicKey", key.to_openssh_line(comment).into()),
        ("fingerprint", key.fingerprint_sha256().into()),
        (
            "application",
            key.security_key_application().unwrap_or_default().into(),
        ),
    ])
}

#[wasm_bindgen]
impl Engine {
    /// Public key authentication with a key whose private half is elsewhere (a security key
    /// in the browser): `publicKey` is its OpenSSH line; a `signRequest` event follows the
    /// server's PK_OK, answered with `answerSignRequest` or `answerSignRequestWebauthn`.
    /// `algorithm` overrides the name the request uses (default: the key type's).
    #[wasm_bindgen(js_name = authPublicKeyExternal)]
    pub fn auth_public_key_external(
        &mut self,
        user: &str,
        public_key_line: &str,
        algorithm: Option<String>,
    ) -> Result<(), JsValue> {
        let key = public_key(public_key_line)?;
        self.conn
            .auth_publickey_external(user, key, algorithm.as_deref())
            .map_err(|e| js_error(&e))
    }

    /// Answers `signRequest` `id` with a whole SSH signature blob; checked against the key
    /// first (a wrong one throws and the request stays open).
    #[wasm_bindgen(js_name = answerSignRequest)]
    pub fn answer_sign_request(&mut self, id: f64, signature: &[u8]) -> Result<(), JsValue> {
        self.conn
            .answer_sign_request(id as u64, signature)
            .map_err(|e| js_error(&e))
    }

    /// Answers `signRequest` `id` (whose bytes were `data`) with a WebAuthn assertion made with
    /// `challenge` = `data`: its `authenticatorData`, `clientDataJSON` and DER `signature`.
    #[wasm_bindgen(js_name = answerSignRequestWebauthn)]
    pub fn answer_sign_request_webauthn(
        &mut self,
        id: f64,
        data: &[u8],
        authenticator_data: &[u8],
        client_data_json: &[u8],
        signature: &[u8],
    ) -> Result<(), JsValue> {
        let blob = webauthn_signature_blob(data, authenticator_data, client_data_json, signature)
            .map_err(|e| {
            coded_error("SECURITY_KEY_FAILED", &format!("WebAuthn assertion: {e}"))
        })?;
        self.answer_sign_request(id, &blob)
    }
}
