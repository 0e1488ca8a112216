//! OpenSSH certificates (PROTOCOL.certkeys): parsing and encoding of the
//! `*-cert-v01@openssh.com` key blobs for Ed25519, ECDSA P-256/384/521 and RSA.
//!
//! A certificate blob carries the subject key's fields inline (not as a nested blob), so the
//! parser rebuilds the plain key blob to get a [`PublicKey`]. Every length comes from
//! [`Reader`], which bounds it by what is left of the blob before anything is allocated.

use super::{KeyError, PublicKey};
use crate::wire::{Reader, Writer};

/// Most principals accepted in one certificate (OpenSSH allows 256).
pub const MAX_PRINCIPALS: usize = 256;
/// Most critical options or extensions accepted in one certificate.
pub const MAX_OPTIONS: usize = 64;

/// `type` field: a user or a host certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertType {
    /// SSH2_CERT_TYPE_USER (1)
    User,
    /// SSH2_CERT_TYPE_HOST (2)
    Host,
}

/// A parsed OpenSSH certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSshCert {
    /// The certificate key type, e.g. `ssh-ed25519-cert-v01@openssh.com`.
    pub cert_type_name: &'static str,
    /// The CA-chosen nonce.
    pub nonce: Vec<u8>,
    /// The certified (subject) key.
    pub key: PublicKey,
    /// Serial number.
    pub serial: u64,
    /// User or host.
    pub cert_type: CertType,
    /// Free-form key id (logged by servers).
    pub key_id: String,
    /// Principals (user or host names); empty means "any" in OpenSSH.
    pub principals: Vec<String>,
    /// Valid from (seconds since the epoch, inclusive).
    pub valid_after: u64,
    /// Valid until (seconds since the epoch, exclusive).
    pub valid_before: u64,
    /// Critical options: (name, data) in the order of the blob.
    pub critical_options: Vec<(String, Vec<u8>)>,
    /// Extensions: (name, data).
    pub extensions: Vec<(String, Vec<u8>)>,
    /// The CA's public key blob.
    pub signature_key: Vec<u8>,
    /// The CA's signature blob (`string alg, string sig`).
    pub signature: Vec<u8>,
    /// The blob up to (not including) the signature: what the CA signed.
    pub signed_data: Vec<u8>,
}

/// (certificate type name, plain key type name, number of inline key fields).
const CERT_TYPES: &[(&str, &str, usize)] = &[
    ("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", 1),
    (
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256",
        2,
    ),
    (
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384",
        2,
    ),
    (
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521",
        2,
    ),
    ("ssh-rsa-cert-v01@openssh.com", "ssh-rsa", 2),
];

/// Whether `name` is a certificate key type this module parses.
pub fn is_cert_type(name: &str) -> bool {
    CERT_TYPES.iter().any(|(n, _, _)| *n == name)
}

/// The certificate type name for a plain key type (`ssh-ed25519` ->
/// `ssh-ed25519-cert-v01@openssh.com`).
pub fn cert_type_for(key_type: &str) -> Option<&'static str> {
    CERT_TYPES
        .iter()
        .find(|(_, k, _)| *k == key_type)
        .map(|(c, _, _)| *c)
}

fn name_data_list(bytes: &[u8], what: &'static str) -> Result<Vec<(String, Vec<u8>)>, KeyError> {
    let mut r = Reader::new(bytes);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    while r.remaining() > 0 {
        if out.len() >= MAX_OPTIONS {
            return Err(KeyError::Malformed(what));
        }
        let name = r.utf8(what)?.to_string();
        // PROTOCOL.certkeys: names appear in lexical order, each at most once.
        if out
            .last()
            .is_some_and(|(prev, _)| prev.as_str() >= name.as_str())
        {
            return Err(KeyError::Malformed(what));
        }
        let data = r.string(what)?.to_vec();
        out.push((name, data));
    }
    Ok(out)
}

impl OpenSshCert {
    /// Parses a certificate key blob.
    pub fn from_blob(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let type_name = r.utf8("certificate type")?;
        let &(cert_type_name, plain, fields) = CERT_TYPES
            .iter()
            .find(|(n, _, _)| *n == type_name)
            .ok_or_else(|| KeyError::Unsupported(format!("certificate type {type_name}")))?;
        let nonce = r.string("certificate nonce")?.to_vec();
        let mut key_blob = Writer::new();
        key_blob.string(plain.as_bytes());
        for _ in 0..fields {
            key_blob.string(r.string("certificate key")?);
        }
        let key = PublicKey::from_blob(key_blob.as_slice())?;
        let serial = r.u64("certificate serial")?;
        let cert_type = match r.u32("certificate type field")? {
            1 => CertType::User,
            2 => CertType::Host,
            _ => return Err(KeyError::Malformed("certificate type field")),
        };
        let key_id = r.utf8("certificate key id")?.to_string();
        let mut pr = Reader::new(r.string("certificate principals")?);
        let mut principals = Vec::new();
        while pr.remaining() > 0 {
            if principals.len() >= MAX_PRINCIPALS {
                return Err(KeyError::Malformed("too many certificate principals"));
            }
            principals.push(pr.utf8("certificate principal")?.to_string());
        }
        let valid_after = r.u64("certificate valid_after")?;
        let valid_before = r.u64("certificate valid_before")?;
        let critical_options = name_data_list(
            r.string("certificate critical options")?,
            "certificate critical options",
        )?;
        let extensions = name_data_list(
            r.string("certificate extensions")?,
            "certificate extensions",
        )?;
        let _reserved = r.string("certificate reserved")?;
        let signature_key = r.string("certificate signature key")?.to_vec();
        let signed_len = blob.len() - r.remaining();
        let signature = r.string("certificate signature")?.to_vec();
        r.finish()?;
        // A CA key that is itself a certificate is refused (as OpenSSH).
        if Reader::new(&signature_key)
            .utf8("CA key type")
            .is_ok_and(is_cert_type)
        {
            return Err(KeyError::Unsupported(
                "certificate signed by a certificate".into(),
            ));
        }
        Ok(OpenSshCert {
            cert_type_name,
            nonce,
            key,
            serial,
            cert_type,
            key_id,
            principals,
            valid_after,
            valid_before,
            critical_options,
            extensions,
            signature_key,
            signature,
            signed_data: blob[..signed_len].to_vec(),
        })
    }

    /// The certificate blob (the signed part followed by the signature).
    pub fn to_blob(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(&self.signed_data).string(&self.signature);
        w.into_vec()
    }

    /// Parses an OpenSSH `-cert.pub` line (`type base64 [comment]`).
    pub fn from_openssh_line(line: &str) -> Result<Self, KeyError> {
        let mut parts = line.split_whitespace();
        let ty = parts
            .next()
            .ok_or(KeyError::Malformed("empty certificate line"))?;
        let b64 = parts
            .next()
            .ok_or(KeyError::Malformed("certificate line"))?;
        let blob = <base64ct::Base64 as base64ct::Encoding>::decode_vec(b64)
            .map_err(|_| KeyError::Malformed("certificate base64"))?;
        let cert = Self::from_blob(&blob)?;
        if cert.cert_type_name != ty {
            return Err(KeyError::Malformed(
                "certificate line type differs from its blob",
            ));
        }
        Ok(cert)
    }

    /// The CA's public key.
    pub fn ca_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_blob(&self.signature_key)
    }
}
