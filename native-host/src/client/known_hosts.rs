//! A plain-text known_hosts: lines `host1,[host2]:port KEYTYPE BASE64 [comment]`, matched by
//! exact host name (`host`, or `[host]:port` off port 22). Hashed (`|1|`) entries and wildcard
//! patterns are not understood and never match; `@cert-authority` lines are skipped and a
//! matching `@revoked` line refuses the key.

use base64ct::{Base64, Encoding};
use std::path::Path;

/// What the file says about a host and a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The host is listed with this key (1-based line number).
    Known(usize),
    /// The host is listed with a different key of the same type (line of the first such entry).
    Changed(usize),
    /// The key is marked `@revoked` (line).
    Revoked(usize),
    /// Nothing about this host and key type.
    Unknown,
}

/// Looks `name` up in known_hosts `text` for a key of `key_type` with `blob`.
#[must_use]
pub fn check(text: &str, name: &str, key_type: &str, blob: &[u8]) -> Status {
    let mut changed = None;
    let mut known = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next().unwrap_or("");
        let marker = first.strip_prefix('@');
        if marker.is_some() {
            first = fields.next().unwrap_or("");
        }
        let (Some(ty), Some(b64)) = (fields.next(), fields.next()) else {
            continue;
        };
        let hosts_match = first.split(',').any(|h| h == name);
        let same_key = ty == key_type && Base64::decode_vec(b64).is_ok_and(|b| b == blob);
        match marker {
            Some("revoked") if same_key => return Status::Revoked(i + 1),
            Some(_) => continue,
            None => {}
        }
        if !hosts_match {
            continue;
        }
        if same_key {
            known.get_or_insert(i + 1);
        } else if ty == key_type {
            changed.get_or_insert(i + 1);
        }
    }
    match (known, changed) {
        (Some(l), _) => Status::Known(l),
        (None, Some(l)) => Status::Changed(l),
        (None, None) => Status::Unknown,
    }
}

/// Appends `line` to the file, creating it (and a 0700 parent directory) if needed.
pub fn append(path: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // Keep lines whole if the file lacks a final newline.
    let needs_nl = std::fs::read(path).is_ok_and(|t| !t.is_empty() && !t.ends_with(b"\n"));
    let mut s = String::new();
    if needs_nl {
        s.push('\n');
    }
    s.push_str(line);
    s.push('\n');
    f.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyfile::public_line_parts;

    const K1: &[u8] = b"\0\0\0\x0bssh-ed25519 key one";
    const K2: &[u8] = b"\0\0\0\x0bssh-ed25519 key two";
    const R1: &[u8] = b"\0\0\0\x07ssh-rsa rsa key";

    fn entry(hosts: &str, ty: &str, blob: &[u8]) -> String {
        format!("{hosts} {}\n", public_line_parts(ty, blob, "comment here"))
    }

    #[test]
    fn matches_plain_names() {
        let text = format!(
            "# comment\n\n{}{}{}",
            entry("router1,10.0.0.1", "ssh-ed25519", K1),
            entry("[10.0.0.1]:2222", "ssh-ed25519", K2),
            entry("router2", "ssh-rsa", R1),
        );
        assert_eq!(check(&text, "router1", "ssh-ed25519", K1), Status::Known(3));
        assert_eq!(
            check(&text, "10.0.0.1", "ssh-ed25519", K1),
            Status::Known(3)
        );
        assert_eq!(
            check(&text, "[10.0.0.1]:2222", "ssh-ed25519", K2),
            Status::Known(4)
        );
        assert_eq!(
            check(&text, "[10.0.0.1]:2222", "ssh-ed25519", K1),
            Status::Changed(4)
        );
        assert_eq!(
            check(&text, "10.0.0.1", "ssh-ed25519", K2),
            Status::Changed(3)
        );
        // Another key type for a known host is a new key, not a changed one (as OpenSSH).
        assert_eq!(check(&text, "router2", "ssh-ed25519", K1), Status::Unknown);
        assert_eq!(check(&text, "router", "ssh-ed25519", K1), Status::Unknown);
        assert_eq!(
            check(&text, "10.0.0.1:2222", "ssh-ed25519", K2),
            Status::Unknown
        );
    }

    #[test]
    fn markers_and_junk() {
        let text = format!(
            "garbage\n|1|abc=|def= ssh-ed25519 AAAA\n@cert-authority * {}@revoked * {}{}",
            public_line_parts("ssh-ed25519", K2, "\n"),
            public_line_parts("ssh-rsa", R1, "\n"),
            entry("h", "ssh-rsa", R1),
        );
        assert_eq!(check(&text, "h", "ssh-rsa", R1), Status::Revoked(4));
        assert_eq!(check(&text, "h", "ssh-ed25519", K2), Status::Unknown);
        assert_eq!(
            check("h ssh-ed25519 !!notbase64", "h", "ssh-ed25519", K1),
            Status::Changed(1)
        );
    }

    #[test]
    fn append_creates_and_keeps_lines_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        append(&path, "a ssh-ed25519 AAAA").unwrap();
        std::fs::write(&path, "a ssh-ed25519 AAAA").unwrap();
        append(&path, "b ssh-rsa BBBB").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "a ssh-ed25519 AAAA\nb ssh-rsa BBBB\n");
    }
}
