//! PEM (RFC 7468) and DER input: one or many `CERTIFICATE` blocks, `X509 CRL` blocks, or raw DER.

use super::PkiError;
use base64ct::{Base64, Encoding};

/// Largest text accepted by the PEM readers.
pub const MAX_PEM_BYTES: usize = 1024 * 1024;

/// Most blocks of one label read from one text.
pub const MAX_PEM_BLOCKS: usize = 256;

/// The DER contents of every `-----BEGIN <label>-----` block in `text`, in order. Text outside
/// blocks (OpenSSL's `subject=` lines, comments) is skipped; RFC 7468 §2 headers inside a block
/// are refused, as are unterminated blocks and bad base64.
pub fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    if text.len() > MAX_PEM_BYTES {
        return Err(PkiError::malformed("PEM text too large"));
    }
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        match &mut body {
            None if line == begin => body = Some(String::new()),
            None => {}
            Some(b) if line == end => {
                let der = Base64::decode_vec(b).map_err(|_| PkiError::malformed("PEM base64"))?;
                if out.len() == MAX_PEM_BLOCKS {
                    return Err(PkiError::TooManyCertificates {
                        got: out.len() + 1,
                        max: MAX_PEM_BLOCKS,
                    });
                }
                out.push(der);
                body = None;
            }
            Some(_) if line.contains(':') || line.starts_with("-----") => {
                return Err(PkiError::malformed("PEM block header or nested boundary"));
            }
            Some(b) => b.push_str(line),
        }
    }
    if body.is_some() {
        return Err(PkiError::malformed("PEM block without END line"));
    }
    Ok(out)
}

/// PEM text with `label` blocks, or (if the input does not look like text) one DER object.
pub(crate) fn pem_or_der(input: &[u8], label: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    if input.first() == Some(&0x30) {
        return Ok(vec![input.to_vec()]);
    }
    let text =
        core::str::from_utf8(input).map_err(|_| PkiError::malformed("neither PEM nor DER"))?;
    pem_blocks(text, label)
}

/// `-----BEGIN <label>-----` text for `der`, lines of 64 characters.
#[must_use]
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = Base64::encode_string(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(core::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}
