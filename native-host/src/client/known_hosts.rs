//! The `ssh` command's known_hosts: the file is read and appended here; what a line means
//! (plain and `|1|` hashed names, `[host]:port`, patterns and `!negation`, `@revoked`,
//! `@cert-authority`) is the engine's `sshgate::keys::known_hosts`, shared with the browser.

use sshgate::keys::PublicKey;
use sshgate::keys::known_hosts::{self as engine, HostKeyStatus};
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

/// `host`, or `[host]:port` as `ClientSettings::known_hosts_name` writes it, back into the
/// host and port the engine looks up.
fn split_name(name: &str) -> (&str, u16) {
    if let Some(rest) = name.strip_prefix('[')
        && let Some((host, port)) = rest.rsplit_once("]:")
        && let Ok(port) = port.parse()
    {
        return (host, port);
    }
    (name, 22)
}

/// Looks `name` (`host` or `[host]:port`) up in known_hosts `text` for a key of `key_type`
/// with `blob`.
#[must_use]
pub fn check(text: &str, name: &str, key_type: &str, blob: &[u8]) -> Status {
    // The blob comes from a key the engine parsed; anything else cannot be listed.
    let Ok(key) = PublicKey::from_blob(blob) else {
        return Status::Unknown;
    };
    if key.key_type() != key_type {
        return Status::Unknown;
    }
    let (host, port) = split_name(name);
    match engine::check_host_key(text, host, port, None, &key) {
        HostKeyStatus::Match(l) => Status::Known(l),
        HostKeyStatus::Mismatch(l) => Status::Changed(l),
        HostKeyStatus::Revoked(l) => Status::Revoked(l),
        _ => Status::Unknown,
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
    use crate::keyfile::public_line;
    use sshgate::keys::{KeyKind, PrivateKey};

    fn key(kind: KeyKind, seed: u8) -> PublicKey {
        let mut rng = sshgate::crypto::EngineRng::from_seed([seed; 32]);
        PrivateKey::generate(kind, &mut rng).unwrap().public()
    }

    fn entry(hosts: &str, k: &PublicKey) -> String {
        format!("{hosts} {}\n", public_line(k, "comment here"))
    }

    fn status(text: &str, name: &str, k: &PublicKey) -> Status {
        check(text, name, k.key_type(), &k.to_blob())
    }

    #[test]
    fn names_ports_and_changes() {
        let (k1, k2) = (key(KeyKind::Ed25519, 1), key(KeyKind::Ed25519, 2));
        let p = key(KeyKind::EcdsaP256, 3);
        let text = format!(
            "# comment\n\n{}{}{}",
            entry("router1,10.0.0.1", &k1),
            entry("[10.0.0.1]:2222", &k2),
            entry("router2", &p),
        );
        assert_eq!(status(&text, "router1", &k1), Status::Known(3));
        assert_eq!(status(&text, "10.0.0.1", &k1), Status::Known(3));
        assert_eq!(status(&text, "[10.0.0.1]:2222", &k2), Status::Known(4));
        assert_eq!(status(&text, "[10.0.0.1]:2222", &k1), Status::Changed(4));
        assert_eq!(status(&text, "10.0.0.1", &k2), Status::Changed(3));
        // Another key type for a known host is a new key, not a changed one (as OpenSSH).
        assert_eq!(status(&text, "router2", &k1), Status::Unknown);
        assert_eq!(status(&text, "router", &k1), Status::Unknown);
        assert_eq!(status(&text, "10.0.0.1:2222", &k2), Status::Unknown);
        // `[host]:22` is plain `host`.
        assert_eq!(status(&text, "[router1]:22", &k1), Status::Known(3));
        // What the engine adds: patterns and hashed names.
        let hashed = engine::format_hashed_entry("router9", 2200, &k1, &[7; 20]).unwrap();
        let more = format!("{text}*.lab,!x.lab {}\n{hashed}\n", public_line(&p, ""));
        assert_eq!(status(&more, "a.lab", &p), Status::Known(6));
        assert_eq!(status(&more, "x.lab", &p), Status::Unknown);
        assert_eq!(status(&more, "[router9]:2200", &k1), Status::Known(7));
        assert_eq!(status(&more, "[router9]:2200", &k2), Status::Changed(7));
    }

    #[test]
    fn markers_and_junk() {
        let (k2, r1) = (key(KeyKind::Ed25519, 2), key(KeyKind::EcdsaP384, 4));
        let text = format!(
            "garbage\n|1|abc=|def= ssh-ed25519 AAAA\n@cert-authority * {}\n@revoked * {}\n{}",
            public_line(&k2, ""),
            public_line(&r1, ""),
            entry("h", &r1),
        );
        assert_eq!(status(&text, "h", &r1), Status::Revoked(4));
        assert_eq!(status(&text, "h", &k2), Status::Unknown);
        // A key that does not decode is a malformed line (skipped), not a changed key.
        assert_eq!(
            status("h ssh-ed25519 !!notbase64", "h", &k2),
            Status::Unknown
        );
        assert_eq!(
            check("", "h", "ssh-ed25519", b"not a blob"),
            Status::Unknown
        );
        assert_eq!(check("", "h", "ssh-rsa", &k2.to_blob()), Status::Unknown);
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
