//! PEM armor (RFC 7468) as OpenSSL writes it, including the RFC 1421 headers of its legacy
//! encryption (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`).
//!
//! Only the armor is handled here: which label means which key structure is `formats.rs`'s job,
//! decryption `pem_decrypt.rs`'s, the DER inside `pkcs.rs`'s.

use super::KeyError;
use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

/// Largest key text accepted (a 16384-bit RSA key in PEM is about 12 KiB).
pub(crate) const MAX_TEXT: usize = 256 * 1024;
/// Most RFC 1421 headers kept from one block (OpenSSL writes two).
const MAX_HEADERS: usize = 8;
/// Longest label accepted (`ENCRYPTED PRIVATE KEY` is 21).
const MAX_LABEL: usize = 64;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// One armored block: its label, headers and decoded body. The body may be a key, so it is
/// zeroized on drop.
pub(crate) struct Block<'a> {
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl Block<'_> {
    /// The value of header `name` (names compare case-insensitively, as RFC 1421's do).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }
}

/// The label of a `-----BEGIN LABEL-----` line (upper-case letters, digits and spaces).
fn begin_label(line: &str) -> Option<&str> {
    let label = line.strip_prefix(BEGIN)?.strip_suffix(DASHES)?;
    let ok = !label.is_empty()
        && label.len() <= MAX_LABEL
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    ok.then_some(label)
}

/// The labels of the blocks in `text`, in order (text outside blocks is ignored, as OpenSSL
/// does: a file may start with `Bag Attributes` or an explanation).
pub(crate) fn labels(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|l| begin_label(l.trim()))
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// Decodes the first block labelled `label`. Lines with a `:` before the first base64 line are
/// headers; the body must be base64 up to a matching `-----END LABEL-----`.
pub(crate) fn decode<'a>(text: &'a str, label: &str) -> Result<Block<'a>, KeyError> {
    if text.len() > MAX_TEXT {
        return Err(KeyError::Malformed("key file too long"));
    }
    let mut lines = text.lines().map(str::trim);
    lines
        .by_ref()
        .find(|l| begin_label(l) == Some(label))
        .ok_or(KeyError::Malformed("no PEM BEGIN line"))?;
    let mut headers = Vec::new();
    // Sized once (never more than the text), so no reallocation leaves key text behind.
    let mut b64 = Zeroizing::new(String::with_capacity(text.len()));
    let mut in_headers = true;
    let mut ended = false;
    for line in lines {
        if let Some(rest) = line.strip_prefix(END) {
            if rest.strip_suffix(DASHES) != Some(label) {
                return Err(KeyError::Malformed("PEM END line does not match BEGIN"));
            }
            ended = true;
            break;
        }
        if in_headers {
            if let Some((name, value)) = line.split_once(':') {
                if headers.len() == MAX_HEADERS {
                    return Err(KeyError::Malformed("too many PEM headers"));
                }
                headers.push((name.trim(), value.trim()));
                continue;
            }
            in_headers = false;
        }
        if !line.bytes().all(is_base64) {
            return Err(KeyError::Malformed("PEM body is not base64"));
        }
        b64.push_str(line);
    }
    if !ended {
        return Err(KeyError::Malformed("no PEM END line"));
    }
    if b64.is_empty() {
        return Err(KeyError::Malformed("empty PEM body"));
    }
    let body = Base64::decode_vec(&b64)
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Malformed("PEM base64"))?;
    Ok(Block { headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_headers_and_refusals() {
        let text = "junk before\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
                    -----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\ndek-info: AES-128-CBC,00\r\n\r\nAAEC\r\nAw==\r\n-----END RSA PRIVATE KEY-----\r\n";
        assert_eq!(
            labels(text).collect::<Vec<_>>(),
            ["EC PARAMETERS", "RSA PRIVATE KEY"]
        );
        let b = decode(text, "RSA PRIVATE KEY").unwrap();
        assert_eq!(b.header("DEK-Info"), Some("AES-128-CBC,00"));
        assert_eq!(b.header("proc-type"), Some("4,ENCRYPTED"));
        assert_eq!(b.body.as_slice(), [0, 1, 2, 3]);

        let m = |t: &str| match decode(t, "X") {
            Err(KeyError::Malformed(w)) => w,
            other => panic!("{t:?}: {:?}", other.map(|b| b.body.len())),
        };
        assert_eq!(
            m("-----BEGIN Y-----\nAA==\n-----END Y-----"),
            "no PEM BEGIN line"
        );
        assert_eq!(m("-----BEGIN X-----\nAA==\n"), "no PEM END line");
        assert_eq!(
            m("-----BEGIN X-----\nAA==\n-----END Y-----"),
            "PEM END line does not match BEGIN"
        );
        assert_eq!(m("-----BEGIN X-----\n-----END X-----"), "empty PEM body");
        assert_eq!(
            m("-----BEGIN X-----\nAA==\nA:B\n-----END X-----"),
            "PEM body is not base64"
        );
        assert_eq!(m("-----BEGIN X-----\nAAA\n-----END X-----"), "PEM base64");
        let many = format!(
            "-----BEGIN X-----\n{}AA==\n-----END X-----",
            "a: b\n".repeat(9)
        );
        assert_eq!(m(&many), "too many PEM headers");
        assert!(begin_label("-----BEGIN lower-----").is_none());
        assert!(begin_label(&format!("-----BEGIN {}-----", "A".repeat(65))).is_none());
    }
}
