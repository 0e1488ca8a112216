//! One entry point for key text in any supported format: [`PrivateKey::from_text`] and
//! [`PublicKey::from_text`] look at the armor and hand the text to the decoder for it, so a
//! driver (native or browser) never has to know which tool wrote a key file.

use super::{KeyError, PrivateKey, PublicKey, openssh, pem, pem_decrypt, pkcs, rfc4716};
use zeroize::Zeroizing;

/// The private key formats [`PrivateKey::from_text`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFormat {
    /// `BEGIN OPENSSH PRIVATE KEY` (OpenSSH's `PROTOCOL.key`), plain or bcrypt + aes256-ctr.
    OpenSsh,
    /// `BEGIN RSA PRIVATE KEY` (PKCS#1), plain or with OpenSSL's legacy PEM encryption.
    Pkcs1,
    /// `BEGIN EC PRIVATE KEY` (SEC1), plain or with OpenSSL's legacy PEM encryption.
    Sec1,
    /// `BEGIN PRIVATE KEY` (PKCS#8).
    Pkcs8,
    /// `BEGIN ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2).
    EncryptedPkcs8,
    /// `BEGIN DSA PRIVATE KEY` (OpenSSL's DSA structure, old `ssh-keygen -t dsa`), plain or
    /// with OpenSSL's legacy PEM encryption.
    Dsa,
}

impl KeyFormat {
    /// The format of the first private key block in `text`, if any (an `EC PARAMETERS` block
    /// that OpenSSL may write first is passed over).
    #[must_use]
    pub fn detect(text: &str) -> Option<Self> {
        Some(match first_label(text)? {
            "OPENSSH PRIVATE KEY" => KeyFormat::OpenSsh,
            "RSA PRIVATE KEY" => KeyFormat::Pkcs1,
            "EC PRIVATE KEY" => KeyFormat::Sec1,
            "PRIVATE KEY" => KeyFormat::Pkcs8,
            "ENCRYPTED PRIVATE KEY" => KeyFormat::EncryptedPkcs8,
            "DSA PRIVATE KEY" => KeyFormat::Dsa,
            _ => return None,
        })
    }
}

fn first_label(text: &str) -> Option<&str> {
    pem::labels(text).find(|&l| l != "EC PARAMETERS")
}

/// Why text without a private key block was refused, in words a user can act on.
fn no_private_key(text: &str) -> KeyError {
    let start = text.trim_start();
    if start.starts_with("PuTTY-User-Key-File-") {
        KeyError::Unsupported("PuTTY key files (convert with puttygen -O private-openssh)".into())
    } else if start.starts_with("---- BEGIN SSH2 PUBLIC KEY ----")
        || PublicKey::from_text(text).is_ok()
    {
        KeyError::Malformed("this is a public key, not a private key")
    } else {
        KeyError::Malformed("no private key (no BEGIN ... PRIVATE KEY line)")
    }
}

/// A malformed plaintext after decryption most likely means the passphrase was wrong (the
/// padding check passes by chance about once in 256 tries).
fn after_decryption(r: Result<PrivateKey, KeyError>) -> Result<PrivateKey, KeyError> {
    r.map_err(|e| match e {
        KeyError::Malformed(_) => KeyError::Passphrase,
        other => other,
    })
}

/// A PKCS#1, SEC1 or PKCS#8 block, decrypted first if it has legacy encryption headers.
fn legacy_pem(
    text: &str,
    label: &str,
    passphrase: Option<&[u8]>,
    parse: fn(&[u8]) -> Result<PrivateKey, KeyError>,
) -> Result<PrivateKey, KeyError> {
    let block = pem::decode(text, label)?;
    match pem_decrypt::legacy(&block, passphrase)? {
        Some(plain) => after_decryption(parse(&plain)),
        None => parse(&block.body),
    }
}

impl PrivateKey {
    /// Parses a private key file in any supported format (see [`KeyFormat`]), returning the
    /// key and its comment (only OpenSSH files have one; empty otherwise).
    ///
    /// An encrypted file needs `passphrase`; without one, or with a wrong one, the answer is
    /// [`KeyError::Passphrase`], so a driver can ask and try again. A passphrase given for a
    /// plain file is ignored (as `ssh-keygen -y -P` does).
    pub fn from_text(text: &str, passphrase: Option<&str>) -> Result<(Self, String), KeyError> {
        if text.len() > pem::MAX_TEXT {
            return Err(KeyError::Malformed("key file too long"));
        }
        let pass = passphrase.map(str::as_bytes);
        let label = first_label(text).ok_or_else(|| no_private_key(text))?;
        let key = match label {
            "OPENSSH PRIVATE KEY" => return openssh::decode(text, pass),
            "RSA PRIVATE KEY" => legacy_pem(text, label, pass, pkcs::rsa_private_from_pkcs1)?,
            "EC PRIVATE KEY" => {
                legacy_pem(text, label, pass, |d| pkcs::ec_private_from_sec1(d, None))?
            }
            "PRIVATE KEY" => legacy_pem(text, label, pass, pkcs::private_from_pkcs8)?,
            "ENCRYPTED PRIVATE KEY" => {
                let block = pem::decode(text, label)?;
                let plain: Zeroizing<Vec<u8>> = pem_decrypt::pbes2(&block.body, pass)?;
                after_decryption(pkcs::private_from_pkcs8(&plain))?
            }
            "DSA PRIVATE KEY" => legacy_pem(text, label, pass, pkcs::dsa_private_from_der)?,
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                return Err(KeyError::Malformed(
                    "this is a public key, not a private key",
                ));
            }
            other => return Err(KeyError::Unsupported(format!("PEM block {other}"))),
        };
        Ok((key, String::new()))
    }
}

impl PublicKey {
    /// Parses a public key in any supported text format, returning the key and its comment
    /// (empty if none): an OpenSSH line (`type base64 [comment]`, the first non-comment line of
    /// a `.pub` file), RFC 4716 (`---- BEGIN SSH2 PUBLIC KEY ----`, what `ssh-keygen -e`
    /// writes), `BEGIN PUBLIC KEY` (SPKI) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
    pub fn from_text(text: &str) -> Result<(Self, String), KeyError> {
        if text.len() > pem::MAX_TEXT {
            return Err(KeyError::Malformed("key file too long"));
        }
        if text.trim_start().starts_with(rfc4716::BEGIN) {
            return rfc4716::decode(text);
        }
        match pem::labels(text).next() {
            Some(label @ "PUBLIC KEY") => {
                let block = pem::decode(text, label)?;
                pkcs::public_from_spki(&block.body).map(|k| (k, String::new()))
            }
            Some(label @ "RSA PUBLIC KEY") => {
                let block = pem::decode(text, label)?;
                pkcs::rsa_public_from_pkcs1(&block.body).map(|k| (k, String::new()))
            }
            Some(label) if label.ends_with("PRIVATE KEY") => Err(KeyError::Malformed(
                "this is a private key; its public half is in the .pub file",
            )),
            Some(other) => Err(KeyError::Unsupported(format!("PEM block {other}"))),
            None => {
                let line = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'))
                    .ok_or(KeyError::Malformed("no public key"))?;
                PublicKey::parse_openssh_line(line)
            }
        }
    }
}
