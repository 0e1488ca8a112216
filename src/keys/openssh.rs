//! The OpenSSH private key file format (OpenSSH's `PROTOCOL.key`):
//!
//! ```text
//! -----BEGIN OPENSSH PRIVATE KEY-----
//! base64 of:
//!   "openssh-key-v1\0"
//!   string ciphername, string kdfname, string kdfoptions
//!   uint32 number of keys (1), string public key blob
//!   string private section (encrypted unless the cipher is "none"):
//!     uint32 checkint, uint32 checkint (equal; a wrong passphrase shows as a mismatch)
//!     string key type, key fields, string comment
//!     padding 1, 2, 3, ... up to the cipher block size (8 for "none")
//! -----END OPENSSH PRIVATE KEY-----
//! ```

use super::kdf;
use super::private::PrivateKey;
use super::secbuf::SecretWriter;
use super::{KeyError, PublicKey};
use crate::crypto::EngineRng;
use crate::wire::{Reader, Writer};
use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC: &[u8] = b"openssh-key-v1\0";
/// Base64 line width `ssh-keygen` writes.
const LINE: usize = 70;
/// Block size of the "none" cipher.
const NONE_BLOCK: usize = 8;
/// Largest file accepted (a 16384-bit RSA key is about 12 KiB).
const MAX_TEXT: usize = 256 * 1024;

/// Parses a file; `passphrase` is needed only if it is encrypted. Returns the key and comment.
pub(crate) fn decode(
    text: &str,
    passphrase: Option<&[u8]>,
) -> Result<(PrivateKey, String), KeyError> {
    let bytes = unarmor(text)?;
    let mut r = Reader::new(&bytes);
    if r.bytes(MAGIC.len(), "magic")? != MAGIC {
        return Err(KeyError::Malformed("not an openssh-key-v1 file"));
    }
    let cipher = r.string("cipher name")?;
    let kdf_name = r.string("KDF name")?;
    let kdf_options = r.string("KDF options")?;
    if r.u32("number of keys")? != 1 {
        return Err(KeyError::Unsupported("file with more than one key".into()));
    }
    let public_blob = r.string("public key")?;
    let section = r.string("private section")?;
    r.finish()?;

    let encrypted = match (cipher, kdf_name) {
        (b"none", b"none") if kdf_options.is_empty() => false,
        (b"none", _) => return Err(KeyError::Malformed("KDF without cipher")),
        (c, b"bcrypt") if c == kdf::CIPHER.as_bytes() => true,
        (c, k) => {
            return Err(KeyError::Unsupported(format!(
                "private key encryption {} with KDF {}",
                String::from_utf8_lossy(&c[..c.len().min(64)]),
                String::from_utf8_lossy(&k[..k.len().min(64)])
            )));
        }
    };
    let block = if encrypted { kdf::BLOCK } else { NONE_BLOCK };
    if !section.len().is_multiple_of(block) {
        return Err(KeyError::Malformed("private section length"));
    }
    let mut plain = Zeroizing::new(section.to_vec());
    if encrypted {
        let (salt, rounds) = kdf::read_options(kdf_options)?;
        let passphrase = passphrase.ok_or(KeyError::Passphrase)?;
        kdf::apply(passphrase, salt, rounds, &mut plain)?;
    }

    let mut r = Reader::new(&plain);
    let check1 = r.u32("check-int")?;
    let check2 = r.u32("check-int")?;
    if check1 != check2 {
        return Err(if encrypted {
            KeyError::Passphrase
        } else {
            KeyError::Malformed("check-ints differ")
        });
    }
    let key = PrivateKey::read_openssh_fields(&mut r)?;
    let comment = String::from_utf8_lossy(r.string("comment")?).into_owned();
    let padding = r.rest();
    if padding.len() >= block
        || !padding
            .iter()
            .enumerate()
            .all(|(i, &b)| usize::from(b) == i + 1)
    {
        return Err(KeyError::Malformed("private section padding"));
    }
    if PublicKey::from_blob(public_blob)? != key.public() {
        return Err(KeyError::Malformed(
            "public key differs from the private key",
        ));
    }
    Ok((key, comment))
}

/// Writes a file, encrypted if `encryption` gives a passphrase and bcrypt rounds.
pub(crate) fn encode(
    key: &PrivateKey,
    comment: &str,
    encryption: Option<(&[u8], u32)>,
    rng: &mut EngineRng,
) -> String {
    let block = if encryption.is_some() {
        kdf::BLOCK
    } else {
        NONE_BLOCK
    };
    let mut check = [0u8; 4];
    rng.fill(&mut check);
    let mut w = SecretWriter::with_capacity(key.openssh_fields_len_bound() + comment.len() + 64);
    w.raw(&check);
    w.raw(&check);
    key.write_openssh_fields(&mut w);
    w.string(comment.as_bytes());
    let mut pad = 1u8;
    while !w.len().is_multiple_of(block) {
        w.raw(&[pad]);
        pad += 1;
    }
    let mut section = w.into_inner();

    let mut out = Writer::new();
    out.raw(MAGIC);
    match encryption {
        Some((passphrase, rounds)) => {
            let mut salt = [0u8; kdf::SALT_LEN];
            rng.fill(&mut salt);
            kdf::apply(passphrase, &salt, rounds, &mut section)
                .expect("passphrase and rounds checked by the caller");
            out.string(kdf::CIPHER.as_bytes())
                .string(kdf::KDF.as_bytes())
                .string(&kdf::write_options(&salt, rounds));
        }
        None => {
            out.string(b"none").string(b"none").string(b"");
        }
    }
    out.u32(1).string(&key.public().to_blob());
    // The outer buffer holds the (plaintext, if unencrypted) section too: keep it zeroizing.
    let mut file = Zeroizing::new(out.into_vec());
    file.reserve_exact(4 + section.len());
    file.extend_from_slice(&u32::try_from(section.len()).expect("small").to_be_bytes());
    file.extend_from_slice(&section);
    armor(&file)
}

/// The bytes between the armor lines.
fn unarmor(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if text.len() > MAX_TEXT {
        return Err(KeyError::Malformed("private key file too long"));
    }
    let start = text
        .find(BEGIN)
        .ok_or(KeyError::Malformed("no BEGIN OPENSSH PRIVATE KEY line"))?
        + BEGIN.len();
    let len = text[start..]
        .find(END)
        .ok_or(KeyError::Malformed("no END OPENSSH PRIVATE KEY line"))?;
    // Sized once, so that no reallocation leaves a copy of the key text behind.
    let mut body = Zeroizing::new(String::with_capacity(len));
    body.extend(
        text[start..start + len]
            .chars()
            .filter(|c| !c.is_ascii_whitespace()),
    );
    Base64::decode_vec(&body)
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Malformed("private key base64"))
}

/// Base64 in 70-column lines between the armor lines, with a final newline.
fn armor(bytes: &[u8]) -> String {
    let b64 = Zeroizing::new(Base64::encode_string(bytes));
    let mut s = String::with_capacity(b64.len() + b64.len() / LINE + BEGIN.len() + END.len() + 4);
    s.push_str(BEGIN);
    s.push('\n');
    for chunk in b64.as_bytes().chunks(LINE) {
        // Base64 is ASCII, so every chunk boundary is a char boundary.
        s.push_str(core::str::from_utf8(chunk).expect("base64 is ASCII"));
        s.push('\n');
    }
    s.push_str(END);
    s.push('\n');
    s
}
