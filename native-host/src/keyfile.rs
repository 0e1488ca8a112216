//! Key files on disk: which kind of key a name asks for, OpenSSH public key lines, and writing
//! private keys the way `ssh-keygen` does (mode 0600, parent directories created).

use anyhow::{Context, bail};
use base64ct::{Base64, Encoding};
use sshgate::crypto::EngineRng;
use sshgate::keys::{KeyKind, PrivateKey, PublicKey};
use std::io::Write;
use std::path::Path;

/// Default RSA size, as `ssh-keygen` and IOS `crypto key generate rsa modulus 3072`.
pub const DEFAULT_RSA_BITS: usize = 3072;

/// The kind for `ssh-keygen -t TYPE [-b BITS]`: `ed25519`, `ecdsa` (256, 384 or 521 bits),
/// `rsa` (2048 to 16384 bits) or the legacy `dsa` (1024 bits).
pub fn kind_from_type(ty: &str, bits: Option<usize>) -> anyhow::Result<KeyKind> {
    Ok(match (ty.to_ascii_lowercase().as_str(), bits) {
        ("ed25519", None | Some(256)) => KeyKind::Ed25519,
        ("ed25519", Some(b)) => bail!("ed25519 keys have a fixed size; -b {b} is not allowed"),
        ("ecdsa", None | Some(256)) => KeyKind::EcdsaP256,
        ("ecdsa", Some(384)) => KeyKind::EcdsaP384,
        ("ecdsa", Some(521)) => KeyKind::EcdsaP521,
        ("ecdsa", Some(b)) => bail!("ecdsa keys are 256, 384 or 521 bits, not {b}"),
        ("rsa", None) => KeyKind::Rsa(DEFAULT_RSA_BITS),
        ("rsa", Some(b)) if (2048..=16384).contains(&b) => KeyKind::Rsa(b),
        ("rsa", Some(b)) => bail!("rsa keys are 2048 to 16384 bits, not {b}"),
        // Legacy, for old devices' peers only: ssh-dss is off unless the algorithm lists name it.
        ("dsa" | "dss", None | Some(1024)) => KeyKind::Dsa,
        ("dsa" | "dss", Some(b)) => bail!("dsa keys are 1024 bits, not {b}"),
        (other, _) => bail!("unknown key type {other:?} (ed25519, ecdsa, rsa or dsa)"),
    })
}

/// The kind a host key file's name implies (`ssh_host_ed25519_key`, `ssh_host_ecdsa_key`,
/// `ssh_host_rsa_key`): ed25519, ECDSA P-256, RSA 3072.
pub fn kind_from_file_name(path: &Path) -> Option<KeyKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.contains("ed25519") {
        Some(KeyKind::Ed25519)
    } else if name.contains("ecdsa") {
        Some(KeyKind::EcdsaP256)
    } else if name.contains("rsa") {
        Some(KeyKind::Rsa(DEFAULT_RSA_BITS))
    } else if name.contains("dsa") {
        // After "ecdsa", which contains it.
        Some(KeyKind::Dsa)
    } else {
        None
    }
}

/// `TYPE BASE64 [COMMENT]` from a key type name and blob.
#[must_use]
pub fn public_line_parts(key_type: &str, blob: &[u8], comment: &str) -> String {
    let mut line = format!("{key_type} {}", Base64::encode_string(blob));
    if !comment.is_empty() {
        line.push(' ');
        line.push_str(comment);
    }
    line
}

/// A key's OpenSSH public line (`ssh-ed25519 AAAA... comment`), as in `*.pub` and known_hosts.
#[must_use]
pub fn public_line(key: &PublicKey, comment: &str) -> String {
    public_line_parts(key.key_type(), &key.to_blob(), comment)
}

/// OpenSSH's short type label (`ED25519`, `ECDSA`, `RSA`) for messages.
#[must_use]
pub fn type_label(key_type: &str) -> String {
    match key_type {
        "ssh-ed25519" => "ED25519".into(),
        "ssh-rsa" => "RSA".into(),
        t if t.starts_with("ecdsa-") => "ECDSA".into(),
        t => t.to_ascii_uppercase(),
    }
}

/// Writes `contents` to a new file with `mode` (Unix), creating parent directories. Refuses to
/// overwrite.
pub fn write_new(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `FILE.pub` next to `FILE`.
#[must_use]
pub fn pub_path(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    s.into()
}

/// Generates a key of `kind` and writes `path` (0600) and `path.pub` (0644).
pub fn generate_and_write(kind: KeyKind, path: &Path, comment: &str) -> anyhow::Result<PrivateKey> {
    let mut rng = EngineRng::from_seed(crate::driver::os_seed()?);
    let key = PrivateKey::generate(kind, &mut rng)
        .map_err(|e| anyhow::anyhow!("generating {kind:?} key: {e:?}"))?;
    let pub_file = pub_path(path);
    if pub_file.exists() {
        bail!("{} already exists", pub_file.display());
    }
    write_new(path, &key.to_openssh(comment, &mut rng), 0o600)?;
    let mut line = public_line(&key.public(), comment);
    line.push('\n');
    write_new(&pub_file, &line, 0o644)?;
    Ok(key)
}

/// Reads an unencrypted private key in any format the engine reads (OpenSSH, PEM PKCS#1, SEC1,
/// PKCS#8), warning (as OpenSSH refuses) when others can read it.
pub fn read_private(path: &Path) -> anyhow::Result<PrivateKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "permissions 0{:o} for {} are too open; it should be 0600",
                mode & 0o777,
                path.display()
            );
        }
    }
    match PrivateKey::from_text(&text, None) {
        Ok((key, _comment)) => Ok(key),
        Err(sshgate::keys::KeyError::Passphrase) => bail!(
            "{}: the key is encrypted; host keys must be stored without a passphrase",
            path.display()
        ),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}

/// `user@host` for default key comments.
#[must_use]
pub fn default_comment() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names_and_types() {
        let k = |n: &str| kind_from_file_name(Path::new(n));
        assert_eq!(k("keys/ssh_host_ed25519_key"), Some(KeyKind::Ed25519));
        assert_eq!(k("ssh_host_ecdsa_key"), Some(KeyKind::EcdsaP256));
        assert_eq!(k("/etc/ssh/ssh_host_rsa_key"), Some(KeyKind::Rsa(3072)));
        assert_eq!(k("/etc/ssh/ssh_host_dsa_key"), Some(KeyKind::Dsa));
        assert_eq!(k("rsa_dir/host_key"), None, "only the file name counts");
        assert_eq!(
            kind_from_type("ecdsa", Some(521)).unwrap(),
            KeyKind::EcdsaP521
        );
        assert_eq!(
            kind_from_type("RSA", Some(4096)).unwrap(),
            KeyKind::Rsa(4096)
        );
        assert_eq!(kind_from_type("ed25519", None).unwrap(), KeyKind::Ed25519);
        assert!(kind_from_type("rsa", Some(1024)).is_err());
        assert_eq!(kind_from_type("dsa", None).unwrap(), KeyKind::Dsa);
        assert_eq!(kind_from_type("dss", Some(1024)).unwrap(), KeyKind::Dsa);
        assert!(kind_from_type("dsa", Some(2048)).is_err());
        assert!(kind_from_type("rsa1", None).is_err());
    }

    #[test]
    fn private_keys_load_in_openssh_and_pem_formats() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = EngineRng::from_seed([5; 32]);
        let key = PrivateKey::generate(KeyKind::EcdsaP256, &mut rng).unwrap();
        let openssh = dir.path().join("openssh");
        write_new(&openssh, &key.to_openssh("c", &mut rng), 0o600).unwrap();
        assert_eq!(read_private(&openssh).unwrap().public(), key.public());
        // `ssh-keygen -m PEM` output (the engine's fixture): a SEC1 key.
        let pem = dir.path().join("pem");
        let sec1 = include_str!("../../src/keys/tests/data/p256.sec1");
        write_new(&pem, sec1, 0o600).unwrap();
        assert_eq!(
            read_private(&pem).unwrap().key_type(),
            "ecdsa-sha2-nistp256"
        );
        let enc = dir.path().join("enc");
        let text = key
            .to_openssh_with_passphrase("c", "pw", 2, &mut rng)
            .unwrap();
        write_new(&enc, &text, 0o600).unwrap();
        let e = format!("{:#}", read_private(&enc).unwrap_err());
        assert!(e.contains("encrypted"), "{e}");
        let bad = dir.path().join("bad");
        write_new(&bad, "not a key", 0o600).unwrap();
        let e = format!("{:#}", read_private(&bad).unwrap_err());
        assert!(e.contains("no private key"), "{e}");
    }

    #[test]
    fn public_lines_and_files() {
        assert_eq!(
            public_line_parts("ssh-ed25519", &[0, 0, 0, 1], "me@box"),
            "ssh-ed25519 AAAAAQ== me@box"
        );
        assert_eq!(public_line_parts("ssh-rsa", b"x", ""), "ssh-rsa eA==");
        assert_eq!(type_label("ecdsa-sha2-nistp384"), "ECDSA");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a/b/key");
        write_new(&f, "secret", 0o600).unwrap();
        assert!(write_new(&f, "again", 0o600).is_err(), "no overwrite");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(pub_path(&f), dir.path().join("a/b/key.pub"));
    }
}
