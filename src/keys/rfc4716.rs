//! The SSH public key file format of RFC 4716 (`ssh-keygen -e`, and what many network devices
//! and commercial SSH products import and export):
//!
//! ```text
//! ---- BEGIN SSH2 PUBLIC KEY ----
//! Comment: "256-bit ECDSA, converted by me@host from OpenSSH"
//! AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOy/bw4nVT5urkVK5z
//! k3QWg0YHnfXxLRRuWLiyOqk+Ozz/iMOZ/1I3ts+oi5uxVo51e8TtuiQxJIN5PzxxOlPZo=
//! ---- END SSH2 PUBLIC KEY ----
//! ```
//!
//! Headers are `Tag: value` lines before the body; a line ending in `\` continues on the next
//! (§3.3). Only `Comment` is kept; other headers are allowed and ignored (§3.3.1, §3.3.2).

use super::{KeyError, PublicKey};
use base64ct::{Base64, Encoding};

pub(crate) const BEGIN: &str = "---- BEGIN SSH2 PUBLIC KEY ----";
const END: &str = "---- END SSH2 PUBLIC KEY ----";
/// Header tags are at most 64 bytes (§3.3); values at most 1024 (§3.3).
const MAX_TAG: usize = 64;
const MAX_VALUE: usize = 1024;

/// Parses the first RFC 4716 block in `text`, returning the key and its comment.
pub(crate) fn decode(text: &str) -> Result<(PublicKey, String), KeyError> {
    let mut lines = text.lines().map(str::trim);
    lines
        .by_ref()
        .find(|&l| l == BEGIN)
        .ok_or(KeyError::Malformed("no BEGIN SSH2 PUBLIC KEY line"))?;
    let mut comment = String::new();
    let mut b64 = String::new();
    let mut ended = false;
    // A header being continued: its tag and the value so far.
    let mut open: Option<(&str, String)> = None;
    for line in lines.by_ref() {
        if line == END {
            ended = true;
            break;
        }
        if let Some((tag, mut value)) = open.take() {
            let (part, more) = match line.strip_suffix('\\') {
                Some(p) => (p, true),
                None => (line, false),
            };
            value.push_str(part);
            if value.len() > MAX_VALUE {
                return Err(KeyError::Malformed("RFC 4716 header too long"));
            }
            if more {
                open = Some((tag, value));
            } else if tag.eq_ignore_ascii_case("Comment") {
                comment = unquote(&value);
            }
            continue;
        }
        if b64.is_empty()
            && let Some((tag, value)) = line.split_once(':')
        {
            if tag.is_empty() || tag.len() > MAX_TAG {
                return Err(KeyError::Malformed("RFC 4716 header tag"));
            }
            let value = value.trim_start();
            match value.strip_suffix('\\') {
                Some(part) => open = Some((tag, part.to_owned())),
                None if tag.eq_ignore_ascii_case("Comment") => comment = unquote(value),
                None => {}
            }
            continue;
        }
        b64.push_str(line);
    }
    if !ended || open.is_some() {
        return Err(KeyError::Malformed("no END SSH2 PUBLIC KEY line"));
    }
    let blob = Base64::decode_vec(&b64).map_err(|_| KeyError::Malformed("RFC 4716 base64"))?;
    Ok((PublicKey::from_blob(&blob)?, comment))
}

/// A header value without its surrounding double quotes (§3.3.2 allows them).
fn unquote(v: &str) -> String {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAICTiucMtBjI6jLTCuYJLTT0adzfvgsdWF04ic7qrJBgU";

    #[test]
    fn headers_continuations_and_refusals() {
        let text = format!(
            "{BEGIN}\nx-Private: a\\\nb\nComment: \"one \\\ntwo\"\n{}\n{}\n{END}\n",
            &KEY[..40],
            &KEY[40..]
        );
        let (key, comment) = decode(&text).unwrap();
        assert_eq!(comment, "one two");
        assert_eq!(key.key_type(), "ssh-ed25519");
        assert!(decode(&format!("{BEGIN}\n{KEY}\n")).is_err(), "no END");
        assert!(decode(&format!("{BEGIN}\nComment: a\\\n{END}\n")).is_err());
        assert!(decode(&format!("{BEGIN}\nAAAA!\n{END}\n")).is_err());
        let long_tag = format!("{BEGIN}\n{}: v\n{KEY}\n{END}\n", "t".repeat(65));
        assert_eq!(
            decode(&long_tag).unwrap_err(),
            KeyError::Malformed("RFC 4716 header tag")
        );
        let long_value = format!("{BEGIN}\nC: {}\n{KEY}\n{END}\n", "v\\\n".repeat(1100));
        assert_eq!(
            decode(&long_value).unwrap_err(),
            KeyError::Malformed("RFC 4716 header too long")
        );
    }
}
