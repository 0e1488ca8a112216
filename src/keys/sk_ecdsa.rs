//! FIDO security keys: `sk-ecdsa-sha2-nistp256@openssh.com` public keys and their signatures,
//! plain (U2F/CTAP: flags and counter) and `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`
//! (made by a browser's WebAuthn API: origin, clientDataJSON and extensions too), as OpenSSH's
//! PROTOCOL.u2f and `ssh-ecdsa-sk.c` define them.
//!
//! An authenticator never signs the SSH data itself. It signs
//! `SHA256(application) || flags || counter || extensions || SHA256(message)`, where the message
//! is the SSH signed data (plain) or the browser's clientDataJSON, whose `challenge` is the
//! base64url of the SSH signed data (webauthn). Verification rebuilds that buffer, so nothing
//! here parses JSON: like sshd, the clientDataJSON must start with the exact preamble the
//! challenge and origin give.

use super::KeyError;
use super::sig_ecdsa::{Curve, EcPublic};
use crate::wire::{Reader, Writer};
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

/// The key type (and plain signature) name.
pub const SK_ECDSA_P256: &str = "sk-ecdsa-sha2-nistp256@openssh.com";
/// The signature name of a signature made through WebAuthn (a browser).
pub const WEBAUTHN_SK_ECDSA_P256: &str = "webauthn-sk-ecdsa-sha2-nistp256@openssh.com";

/// Flag: the user touched the authenticator (user presence).
pub const FLAG_USER_PRESENT: u8 = 0x01;
/// Flag: the authenticator verified the user (PIN, biometrics).
pub const FLAG_USER_VERIFIED: u8 = 0x04;
/// Flag: attested credential data follows (registration only; refused in a signature).
const FLAG_ATTESTED: u8 = 0x40;
/// Flag: extension data follows the counter.
const FLAG_EXTENSIONS: u8 = 0x80;

/// Longest application string accepted (an RP ID or `ssh:...`; DNS names fit in 253).
const MAX_APPLICATION: usize = 1024;
/// Longest origin accepted (a URL origin).
const MAX_ORIGIN: usize = 1024;
/// Longest clientDataJSON accepted (the challenge is the SSH signed data in base64url, at most
/// a few hundred bytes; browsers add a few fields).
pub(crate) const MAX_CLIENT_DATA: usize = 8 * 1024;
/// Longest extension data accepted (CBOR the authenticator appended).
pub(crate) const MAX_EXTENSIONS: usize = 4 * 1024;

/// The public part of a security key: a P-256 point and the application (relying party) the
/// authenticator bound it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkEcdsaPublic {
    point: EcPublic,
    application: String,
}

impl SkEcdsaPublic {
    /// A key from its uncompressed SEC1 point and application.
    pub(crate) fn new(point: &[u8], application: &str) -> Result<Self, KeyError> {
        check_application(application.as_bytes())?;
        Ok(SkEcdsaPublic {
            point: EcPublic::from_sec1(Curve::P256, point)?,
            application: application.to_owned(),
        })
    }

    pub(crate) fn application(&self) -> &str {
        &self.application
    }

    /// Blob fields after the key type: `string "nistp256", string Q, string application`.
    pub(crate) fn read_blob_fields(r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let point = EcPublic::read_blob_fields(Curve::P256, r)?;
        let app = r.string("security key application")?;
        check_application(app)?;
        let application = core::str::from_utf8(app)
            .map_err(|_| KeyError::Malformed("security key application is not UTF-8"))?
            .to_owned();
        Ok(SkEcdsaPublic { point, application })
    }

    pub(crate) fn write_blob_fields(&self, w: &mut Writer) {
        self.point.write_blob_fields(w);
        w.string(self.application.as_bytes());
    }

    /// Verifies a signature blob of either name over `data` (sshd takes both whatever the
    /// algorithm the request named); returns what the authenticator reported.
    pub(crate) fn verify(&self, data: &[u8], blob: &[u8]) -> Result<SkVerified, KeyError> {
        let sig = SkSignature::decode(blob)?;
        let msg_hash: [u8; 32] = match &sig.webauthn {
            None => Sha256::digest(data).into(),
            Some(w) => {
                w.check(data, sig.flags)?;
                Sha256::digest(&w.client_data).into()
            }
        };
        let app_hash: [u8; 32] = Sha256::digest(self.application.as_bytes()).into();
        let exts = sig.webauthn.as_ref().map_or(&[][..], |w| &w.extensions[..]);
        let mut signed = Writer::new();
        signed
            .raw(&app_hash)
            .u8(sig.flags)
            .u32(sig.counter)
            .raw(exts)
            .raw(&msg_hash);
        self.point.verify(signed.as_slice(), &sig.ecdsa)?;
        Ok(SkVerified {
            flags: sig.flags,
            counter: sig.counter,
            webauthn_origin: sig.webauthn.map(|w| w.origin),
        })
    }
}

fn check_application(app: &[u8]) -> Result<(), KeyError> {
    if app.is_empty() || app.len() > MAX_APPLICATION || app.contains(&0) {
        return Err(KeyError::Malformed("security key application"));
    }
    Ok(())
}

/// What a verified security key signature says about how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkVerified {
    /// The authenticator's flags (see [`FLAG_USER_PRESENT`], [`FLAG_USER_VERIFIED`]).
    pub flags: u8,
    /// The authenticator's signature counter.
    pub counter: u32,
    /// For a `webauthn-sk-*` signature, the web origin that asked the browser for it.
    pub webauthn_origin: Option<String>,
}

impl SkVerified {
    /// The user touched the key (sshd requires it unless the authorized_keys line says
    /// `no-touch-required`).
    #[must_use]
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_USER_PRESENT != 0
    }

    /// The authenticator verified the user (`verify-required`).
    #[must_use]
    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_USER_VERIFIED != 0
    }
}

/// The webauthn-only fields of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebauthnFields {
    pub(crate) origin: String,
    pub(crate) client_data: Vec<u8>,
    pub(crate) extensions: Vec<u8>,
}

impl WebauthnFields {
    /// sshd's `webauthn_check_prepare_hash`: no quote in the origin, no attested data, the
    /// extension flag matching the extensions, and the clientDataJSON starting with
    /// `{"type":"webauthn.get","challenge":"<base64url(data)>","origin":"<origin>"`.
    fn check(&self, data: &[u8], flags: u8) -> Result<(), KeyError> {
        if self.origin.contains('"') {
            return Err(KeyError::Malformed("webauthn origin contains a quote"));
        }
        if flags & FLAG_ATTESTED != 0
            || (flags & FLAG_EXTENSIONS == 0) != self.extensions.is_empty()
        {
            return Err(KeyError::Malformed("webauthn flags"));
        }
        let preamble = client_data_preamble(data, &self.origin);
        if !self.client_data.starts_with(preamble.as_bytes()) {
            return Err(KeyError::BadSignature);
        }
        Ok(())
    }
}

/// The start of the clientDataJSON a browser makes for a `get` whose challenge is `data`.
pub(crate) fn client_data_preamble(data: &[u8], origin: &str) -> String {
    format!(
        "{}{}\",\"origin\":\"{origin}\"",
        client_data_challenge_prefix(),
        Base64UrlUnpadded::encode_string(data)
    )
}

/// `{"type":"webauthn.get","challenge":"`.
pub(crate) fn client_data_challenge_prefix() -> &'static str {
    "{\"type\":\"webauthn.get\",\"challenge\":\""
}

/// A security key signature blob, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkSignature {
    /// `mpint r, mpint s` (RFC 5656 encoding).
    pub(crate) ecdsa: Vec<u8>,
    pub(crate) flags: u8,
    pub(crate) counter: u32,
    /// Present for `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`.
    pub(crate) webauthn: Option<WebauthnFields>,
}

impl SkSignature {
    /// Parses either signature name (PROTOCOL.u2f), every field bounded, no trailing bytes.
    pub(crate) fn decode(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let name = r.string("signature algorithm")?;
        let webauthn = if name == WEBAUTHN_SK_ECDSA_P256.as_bytes() {
            true
        } else if name == SK_ECDSA_P256.as_bytes() {
            false
        } else {
            return Err(KeyError::BadSignature);
        };
        let ecdsa = r.string("security key ECDSA signature")?;
        // r and s are at most 33 bytes each with their mpint sign byte, 4 + 4 of lengths.
        if ecdsa.len() > 2 * (4 + 33) {
            return Err(KeyError::Malformed("security key ECDSA signature too long"));
        }
        let flags = r.u8("security key flags")?;
        let counter = r.u32("security key counter")?;
        let webauthn = if webauthn {
            let origin = r.string("webauthn origin")?;
            if origin.len() > MAX_ORIGIN {
                return Err(KeyError::Malformed("webauthn origin too long"));
            }
            let origin = core::str::from_utf8(origin)
                .map_err(|_| KeyError::Malformed("webauthn origin is not UTF-8"))?;
            let client_data = r.string("webauthn clientData")?;
            if client_data.len() > MAX_CLIENT_DATA {
                return Err(KeyError::Malformed("webauthn clientData too long"));
            }
            let extensions = r.string("webauthn extensions")?;
            if extensions.len() > MAX_EXTENSIONS {
                return Err(KeyError::Malformed("webauthn extensions too long"));
            }
            Some(WebauthnFields {
                origin: origin.to_owned(),
                client_data: client_data.to_vec(),
                extensions: extensions.to_vec(),
            })
        } else {
            None
        };
        r.finish()?;
        Ok(SkSignature {
            ecdsa: ecdsa.to_vec(),
            flags,
            counter,
            webauthn,
        })
    }

    /// The wire blob.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        let name = if self.webauthn.is_some() {
            WEBAUTHN_SK_ECDSA_P256
        } else {
            SK_ECDSA_P256
        };
        w.string(name.as_bytes())
            .string(&self.ecdsa)
            .u8(self.flags)
            .u32(self.counter);
        if let Some(wa) = &self.webauthn {
            w.string(wa.origin.as_bytes())
                .string(&wa.client_data)
                .string(&wa.extensions);
        }
        w.into_vec()
    }
}
