//! A browser's WebAuthn assertion (`navigator.credentials.get` over the SSH signed data) turned
//! into a `webauthn-sk-ecdsa-sha2-nistp256@openssh.com` signature blob (OpenSSH PROTOCOL.u2f):
//! the DER ECDSA signature becomes `mpint r, mpint s`, the authenticator data gives the flags,
//! the counter and the extensions, the clientDataJSON travels as is with its origin beside it.
//! Pure conversion; the client checks the result against the key before sending it.

use super::KeyError;
use super::sk_ecdsa::{
    MAX_CLIENT_DATA, MAX_EXTENSIONS, SkSignature, WebauthnFields, client_data_challenge_prefix,
};
use crate::wire::Writer;
use base64ct::{Base64UrlUnpadded, Encoding};

/// rpIdHash (32), flags (1), signCount (4).
const AUTH_DATA_HEADER: usize = 37;
/// Flag: attested credential data follows (never in an assertion).
const FLAG_ATTESTED: u8 = 0x40;
/// A DER ECDSA-Sig-Value of P-256 is at most 72 bytes.
const MAX_DER_SIGNATURE: usize = 80;

/// The signature blob for the assertion `(authenticator_data, client_data_json, der_signature)`
/// that a browser made with `challenge` = `data` (the SSH signed data). The origin is read from
/// the clientDataJSON, which must start as sshd expects (`{"type":"webauthn.get",
/// "challenge":"<base64url(data)>","origin":"`).
pub fn webauthn_signature_blob(
    data: &[u8],
    authenticator_data: &[u8],
    client_data_json: &[u8],
    der_signature: &[u8],
) -> Result<Vec<u8>, KeyError> {
    if authenticator_data.len() < AUTH_DATA_HEADER
        || authenticator_data.len() > AUTH_DATA_HEADER + MAX_EXTENSIONS
    {
        return Err(KeyError::Malformed("authenticator data length"));
    }
    let flags = authenticator_data[32];
    if flags & FLAG_ATTESTED != 0 {
        return Err(KeyError::Malformed(
            "authenticator data with attested credential data",
        ));
    }
    let counter = u32::from_be_bytes([
        authenticator_data[33],
        authenticator_data[34],
        authenticator_data[35],
        authenticator_data[36],
    ]);
    if client_data_json.len() > MAX_CLIENT_DATA {
        return Err(KeyError::Malformed("clientDataJSON too long"));
    }
    let origin = origin_of(data, client_data_json)?;
    if der_signature.len() > MAX_DER_SIGNATURE {
        return Err(KeyError::Malformed("DER signature too long"));
    }
    let sig = p256::ecdsa::Signature::from_der(der_signature)
        .map_err(|_| KeyError::Malformed("DER ECDSA signature"))?;
    let (r, s) = sig.split_bytes();
    let mut ecdsa = Writer::new();
    ecdsa.mpint(&r).mpint(&s);
    Ok(SkSignature {
        ecdsa: ecdsa.into_vec(),
        flags,
        counter,
        webauthn: Some(WebauthnFields {
            origin: origin.to_owned(),
            client_data: client_data_json.to_vec(),
            extensions: authenticator_data[AUTH_DATA_HEADER..].to_vec(),
        }),
    }
    .encode())
}

/// The origin in a clientDataJSON whose first fields are the type and the challenge `data`
/// (the order WebAuthn's serialization fixes), up to its closing quote.
fn origin_of<'a>(data: &[u8], client_data_json: &'a [u8]) -> Result<&'a str, KeyError> {
    let head = format!(
        "{}{}\",\"origin\":\"",
        client_data_challenge_prefix(),
        Base64UrlUnpadded::encode_string(data)
    );
    let rest = client_data_json
        .strip_prefix(head.as_bytes())
        .ok_or(KeyError::Malformed(
            "clientDataJSON is not a webauthn.get over this data",
        ))?;
    let end = rest
        .iter()
        .position(|&b| b == b'"')
        .ok_or(KeyError::Malformed("clientDataJSON origin"))?;
    core::str::from_utf8(&rest[..end]).map_err(|_| KeyError::Malformed("clientDataJSON origin"))
}
