//! `known_hosts` files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): looking a host key up, and
//! writing new entries. The engine sees only text: reading and appending the file is the
//! driver's job, and so is the salt of a hashed entry (the engine has no OS randomness).
//!
//! A line is `[@marker] hosts keytype base64 [comment]`:
//! - `hosts` is a comma list of names or patterns (`*`, `?`, `!negated`, see `host_pattern`),
//!   `[host]:port` for ports other than 22; or one hashed name `|1|base64(salt)|base64(hash)`,
//!   the hash being HMAC-SHA1 keyed with the salt over the name (what `ssh-keygen -H` and
//!   `HashKnownHosts yes` write);
//! - `@revoked` marks a key that must never be accepted. OpenSSH applies it to the hosts of
//!   its line; here it refuses the key for every host, which is stricter and never less safe
//!   (a revoked key is a compromised key);
//! - `@cert-authority` lines name a CA for OpenSSH host certificates: [`check_host_key`] skips
//!   them; [`check_host_certificate`] (in `known_hosts_cert.rs`) judges a certificate by them.
//!
//! Blank lines, `#` comments, lines that are too long or malformed, unknown markers and keys
//! that do not parse are skipped, as OpenSSH skips them.

use super::host_pattern;
use super::{KeyError, PublicKey};

#[path = "known_hosts_cert.rs"]
mod cert;
use base64ct::{Base64, Encoding};
pub use cert::{HostCertRefusal, HostCertStatus, check_host_certificate, has_cert_authority};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Longest line looked at (a 16384-bit RSA key is about 2.8 KiB of base64; long host lists
/// are fine, megabyte lines are not).
pub const MAX_LINE: usize = 64 * 1024;

/// Salt (and hash) length of a hashed name: SHA-1's output, as OpenSSH requires.
pub const HASH_SALT_LEN: usize = 20;

/// The prefix of a hashed host name.
const HASH_MAGIC: &str = "|1|";

/// What the file says about a host and its key. Line numbers are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// The host is listed with this key.
    Match(usize),
    /// The host is listed with a different key of the same type (line of the first such
    /// entry): the key has changed, or someone is in the middle.
    Mismatch(usize),
    /// The key is marked `@revoked`.
    Revoked(usize),
    /// Nothing about this host and key type (keys of other types may be listed: as in
    /// OpenSSH, a new key type is a new key, not a changed one).
    Unknown,
}

/// A line's marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Revoked,
    CertAuthority,
}

/// The fields of one usable line.
struct Entry<'a> {
    marker: Option<Marker>,
    hosts: &'a str,
    key_type: &'a str,
    key_b64: &'a str,
}

impl<'a> Entry<'a> {
    /// `None` for blank, comment, oversized and malformed lines.
    fn parse(line: &'a str) -> Option<Self> {
        if line.len() > MAX_LINE {
            return None;
        }
        let mut fields = line.split_ascii_whitespace();
        let mut first = fields.next()?;
        if first.starts_with('#') {
            return None;
        }
        let marker = match first {
            "@revoked" => Some(Marker::Revoked),
            "@cert-authority" => Some(Marker::CertAuthority),
            m if m.starts_with('@') => return None,
            _ => None,
        };
        if marker.is_some() {
            first = fields.next()?;
        }
        Some(Entry {
            marker,
            hosts: first,
            key_type: fields.next()?,
            key_b64: fields.next()?,
        })
    }

    /// Whether the host field names `name` (already `[host]:port` and lowercase).
    fn names(&self, name: &str) -> bool {
        match self.hosts.strip_prefix(HASH_MAGIC) {
            Some(hashed) => hashed_matches(hashed, name),
            None => host_pattern::list_matches(name, self.hosts),
        }
    }

    /// The key blob, if the base64 decodes.
    fn blob(&self) -> Option<Vec<u8>> {
        Base64::decode_vec(self.key_b64).ok()
    }
}

/// HMAC-SHA1 keyed with `salt` over `name`.
fn host_hash(salt: &[u8], name: &str) -> [u8; HASH_SALT_LEN] {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(salt).expect("HMAC takes any key");
    mac.update(name.as_bytes());
    mac.finalize().into_bytes().into()
}

/// `salt|hash` (after `|1|`) against `name`; malformed fields never match.
fn hashed_matches(salt_and_hash: &str, name: &str) -> bool {
    let Some((salt, hash)) = salt_and_hash.split_once('|') else {
        return false;
    };
    let decode = |b64: &str| {
        let mut buf = [0u8; HASH_SALT_LEN];
        match Base64::decode(b64, &mut buf) {
            Ok(b) if b.len() == HASH_SALT_LEN => Some(buf),
            _ => None,
        }
    };
    match (decode(salt), decode(hash)) {
        (Some(salt), Some(hash)) => crate::crypto::ct_eq(&host_hash(&salt, name), &hash),
        _ => false,
    }
}

/// The name OpenSSH looks up and writes for `host` on `port`: `host`, or `[host]:port` off
/// port 22, lowercased.
#[must_use]
pub fn host_port_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// First lines found for one name: where the key matched, where another key of its type did.
#[derive(Default)]
struct Found {
    matched: Option<usize>,
    mismatched: Option<usize>,
}

impl Found {
    fn status(&self) -> Option<HostKeyStatus> {
        match (self.matched, self.mismatched) {
            (Some(l), _) => Some(HostKeyStatus::Match(l)),
            (None, Some(l)) => Some(HostKeyStatus::Mismatch(l)),
            (None, None) => None,
        }
    }
}

/// Looks `key` up for `host` as the user typed it (a name or an address literal) on `port`,
/// and optionally for the address `ip` it resolved to (OpenSSH's `CheckHostIP`).
///
/// `@revoked` wins over everything. Then what the file says for the host name decides; the
/// address is consulted only when the name is not listed with a key of this type, so a
/// spoofed address can never turn a changed key into an accepted one.
#[must_use]
pub fn check_host_key(
    text: &str,
    host: &str,
    port: u16,
    ip: Option<&str>,
    key: &PublicKey,
) -> HostKeyStatus {
    let blob = key.to_blob();
    let key_type = key.key_type();
    let name = host_port_name(host, port);
    let ip_name = ip.map(|a| host_port_name(a, port));
    let (mut by_name, mut by_ip) = (Found::default(), Found::default());
    for (i, line) in text.lines().enumerate() {
        let Some(entry) = Entry::parse(line) else {
            continue;
        };
        if entry.key_type != key_type {
            continue;
        }
        let line_no = i + 1;
        match entry.marker {
            Some(Marker::Revoked) => {
                if entry.blob().is_some_and(|b| b == blob) {
                    return HostKeyStatus::Revoked(line_no);
                }
                continue;
            }
            Some(Marker::CertAuthority) => continue,
            None => {}
        }
        let for_name = entry.names(&name);
        let for_ip = ip_name.as_deref().is_some_and(|n| entry.names(n));
        if !for_name && !for_ip {
            continue;
        }
        let Some(stored) = entry.blob() else {
            continue;
        };
        // A stored key that does not parse (or whose blob names another type) is a
        // malformed line, not a changed key.
        let same = stored == blob;
        if !same && !PublicKey::from_blob(&stored).is_ok_and(|k| k.key_type() == key_type) {
            continue;
        }
        for (applies, found) in [(for_name, &mut by_name), (for_ip, &mut by_ip)] {
            if applies {
                let slot = if same {
                    &mut found.matched
                } else {
                    &mut found.mismatched
                };
                slot.get_or_insert(line_no);
            }
        }
    }
    by_name
        .status()
        .or_else(|| by_ip.status())
        .unwrap_or(HostKeyStatus::Unknown)
}

/// The `@cert-authority` lines whose hosts include `host` on `port` (skipped by
/// [`check_host_key`]; [`check_host_certificate`] looks for the certificate's CA among them).
#[must_use]
pub fn cert_authority_lines(text: &str, host: &str, port: u16) -> Vec<usize> {
    let name = host_port_name(host, port);
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let e = Entry::parse(line)?;
            (e.marker == Some(Marker::CertAuthority) && e.names(&name)).then_some(i + 1)
        })
        .collect()
}

/// The key types known_hosts `text` holds for `host` on `port` (plain lines, not `@revoked`
/// or `@cert-authority`), each once, in file order: what a client should ask the server for
/// first, as OpenSSH's `order_hostkeyalgs` does. Asking for the known type means a changed key
/// shows as a mismatch, instead of the server's key of another type arriving as a new one.
#[must_use]
pub fn key_types_for(text: &str, host: &str, port: u16) -> Vec<String> {
    let name = host_port_name(host, port);
    let mut types: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(e) = Entry::parse(line) else {
            continue;
        };
        if e.marker.is_none() && e.names(&name) && !types.iter().any(|t| t == e.key_type) {
            types.push(e.key_type.to_owned());
        }
    }
    types
}

/// Refuses names that would break the line or read as something else.
fn check_name(name: &str) -> Result<(), KeyError> {
    let bad = name.is_empty()
        || name.len() > 1024
        || name.starts_with(['@', '#', '|', '!'])
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    if bad {
        Err(KeyError::Malformed("host name for known_hosts"))
    } else {
        Ok(())
    }
}

/// A plain entry for `host` on `port` (and the address it resolved to, if given, as OpenSSH
/// writes with `CheckHostIP`): `host[,ip] keytype base64`, without a final newline.
pub fn format_entry(
    host: &str,
    port: u16,
    ip: Option<&str>,
    key: &PublicKey,
) -> Result<String, KeyError> {
    check_name(host)?;
    let mut names = host_port_name(host, port);
    if let Some(ip) = ip {
        check_name(ip)?;
        names.push(',');
        names.push_str(&host_port_name(ip, port));
    }
    Ok(format!("{names} {}", key.to_openssh_line("")))
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` for `host` on `port`. `salt` must be fresh
/// random bytes for each entry (the driver's RNG): a repeated salt lets entries be linked.
pub fn hashed_name(host: &str, port: u16, salt: &[u8; HASH_SALT_LEN]) -> Result<String, KeyError> {
    check_name(host)?;
    let hash = host_hash(salt, &host_port_name(host, port));
    Ok(format!(
        "{HASH_MAGIC}{}|{}",
        Base64::encode_string(salt),
        Base64::encode_string(&hash)
    ))
}

/// A hashed entry for `host` on `port`: `|1|salt|hash keytype base64`. OpenSSH hashes one name
/// per line, so an address gets its own entry (with its own salt).
pub fn format_hashed_entry(
    host: &str,
    port: u16,
    key: &PublicKey,
    salt: &[u8; HASH_SALT_LEN],
) -> Result<String, KeyError> {
    Ok(format!(
        "{} {}",
        hashed_name(host, port, salt)?,
        key.to_openssh_line("")
    ))
}

/// Every usable line whose hosts include `name` (markers included): what `ssh-keygen -F name`
/// lists, for the tests' cross-check against it.
#[cfg(test)]
pub(crate) fn lines_naming(text: &str, name: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| Entry::parse(line)?.names(name).then_some(i + 1))
        .collect()
}
