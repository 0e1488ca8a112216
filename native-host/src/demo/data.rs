//! The demo's data directory (default `./demo-data`, mode 0700), filled on first start and
//! reused after:
//!
//! ```text
//! lab-password                  the demo user's password, printed on every start   0600
//! device.toml                   the device server's settings, with lab's argon2 hash 0600
//! host_keys/ssh_host_*_key      the device's host keys (made by the device server)  0600
//! ca/root_ecdsa_key             the dev CA's root key                               0600
//! ca/router1_ecdsa_key          the device certificate's key                        0600
//! ```
//!
//! The dev CA's certificates (root, and router1's server certificate for RFC 6187 x509v3 host
//! keys) would be made by [`issue_certificates`]; the engine verifies certificates but has no
//! X.509 writer, so until one exists only the keys do.

use crate::keyfile;
use crate::server::config::{DeviceFile, HostKeySpec};
use crate::server::passwords;
use anyhow::Context;
use sshgate::keys::{KeyKind, PrivateKey};
use std::path::{Path, PathBuf};

/// The demo device's name: the target name and the prompt.
pub const DEVICE: &str = "router1";
/// The demo user.
pub const USER: &str = "lab";
const PASSWORD_FILE: &str = "lab-password";
const DEVICE_FILE: &str = "device.toml";

/// What a start needs from the directory.
pub struct DemoData {
    /// The directory.
    pub dir: PathBuf,
    /// `lab`'s password.
    pub password: String,
    /// The device settings, host key paths made absolute.
    pub device: DeviceFile,
    /// Whether this start created the password (first start).
    pub created: bool,
}

/// Creates what is missing and loads the rest.
pub fn prepare(dir: &Path) -> anyhow::Result<DemoData> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    set_mode(dir, 0o700)?;
    let pw_path = dir.join(PASSWORD_FILE);
    let dev_path = dir.join(DEVICE_FILE);
    let created = !pw_path.exists();
    let password = if created {
        let pw = random_password()?;
        keyfile::write_new(&pw_path, &format!("{pw}\n"), 0o600)?;
        // A device file without its password file is stale: it gets the new hash.
        let _ = std::fs::remove_file(&dev_path);
        keyfile::write_new(
            &dev_path,
            &device_toml(&passwords::hash_password(&pw)?),
            0o600,
        )?;
        pw
    } else {
        warn_if_open(&pw_path);
        std::fs::read_to_string(&pw_path)
            .with_context(|| format!("reading {}", pw_path.display()))?
            .trim()
            .to_string()
    };
    let mut device = DeviceFile::load(&dev_path)?;
    if let Some(hash) = device
        .users
        .iter()
        .find(|u| u.name == USER)
        .and_then(|u| u.password_hash.as_deref())
        && !passwords::verify_password(hash, &password)
    {
        tracing::warn!(
            "{} does not match the hash in {}: delete both to start afresh",
            pw_path.display(),
            dev_path.display()
        );
    }
    // Paths in the device file are relative to the data directory, wherever the demo runs.
    for spec in &mut device.server.host_keys {
        let p = match spec {
            HostKeySpec::Path(p) => p,
            HostKeySpec::Table(t) => &mut t.path,
        };
        if p.is_relative() {
            *p = dir.join(&*p);
        }
    }
    // The device server writes its host keys there; nobody else needs to list them.
    let host_keys = dir.join("host_keys");
    std::fs::create_dir_all(&host_keys)
        .with_context(|| format!("creating {}", host_keys.display()))?;
    set_mode(&host_keys, 0o700)?;
    dev_ca(dir)?;
    Ok(DemoData {
        dir: dir.to_path_buf(),
        password,
        device,
        created,
    })
}

/// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I, 2/Z, 5/S): about 90 bits.
fn random_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("OS random number generator: {e}"))?;
        // Rejection sampling: only bytes below a multiple of the alphabet size, so no bias.
        let limit = 256 - 256 % ALPHABET.len();
        for x in b {
            if usize::from(x) < limit && out.len() < 16 {
                out.push(char::from(ALPHABET[usize::from(x) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

fn device_toml(hash: &str) -> String {
    format!(
        "# The sshgate demo's device server (written on first start; edit freely, or delete it\n\
         # together with lab-password to start afresh). `listen` is not used: the demo picks a\n\
         # loopback port and points the bridge's target \"{DEVICE}\" at it.\n\
         [server]\n\
         listen = [\"127.0.0.1:0\"]\n\
         hostname = \"{DEVICE}\"\n\
         host_keys = [\"host_keys/ssh_host_ed25519_key\", \"host_keys/ssh_host_ecdsa_key\"]\n\
         banner = \"sshgate demo device. Log in as {USER} with the password the demo printed.\\n\"\n\n\
         [[users]]\n\
         name = \"{USER}\"\n\
         privilege = 15\n\
         password_hash = \"{hash}\"\n"
    )
}

/// The dev CA's keys, generated with the engine's key generation.
fn dev_ca(dir: &Path) -> anyhow::Result<()> {
    let ca = dir.join("ca");
    let root_path = ca.join("root_ecdsa_key");
    let device_path = ca.join(format!("{DEVICE}_ecdsa_key"));
    let load = |path: &Path, comment: &str| -> anyhow::Result<PrivateKey> {
        if path.exists() {
            keyfile::read_private(path)
        } else {
            let k = keyfile::generate_and_write(KeyKind::EcdsaP256, path, comment)?;
            tracing::info!(path = %path.display(), "generated dev CA key");
            Ok(k)
        }
    };
    let root = load(&root_path, "sshgate demo dev CA root")?;
    let device = load(
        &device_path,
        &format!("sshgate demo {DEVICE} certificate key"),
    )?;
    set_mode(&ca, 0o700)?;
    issue_certificates(&root, &device, &ca);
    Ok(())
}

/// TODO(X.509 issue): make `ca/root.crt` (self-signed, CA:true) and `ca/router1.crt` (subject
/// CN=router1, SAN DNS:router1, signed by the root) with `src/pki`, and serve router1 with an
/// `x509v3-ecdsa-sha2-nistp256` host key (RFC 6187) made from `ca/router1_ecdsa_key` and that
/// chain, so the page can trust the demo CA instead of a fingerprint. The engine reads, verifies
/// and serves certificates (`serve`'s `[certificate_profile]`), but cannot write one: this needs
/// a certificate writer (or the `openssl` CLI at first start), and the page a way to pass
/// `host_trust` to its engine.
fn issue_certificates(_root: &PrivateKey, _device: &PrivateKey, _ca_dir: &Path) {}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("setting mode {mode:o} on {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

fn warn_if_open(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "{} is readable by others; it should be 0600",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_random_and_plain() {
        let a = random_password().unwrap();
        let b = random_password().unwrap();
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"0O1lI2Z5S".contains(c))
        );
    }

    #[test]
    fn first_start_then_reuse() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let first = prepare(&dir).unwrap();
        assert!(first.created);
        let again = prepare(&dir).unwrap();
        assert!(!again.created);
        assert_eq!(first.password, again.password);
        let user = &again.device.users[0];
        assert!(passwords::verify_password(
            user.password_hash.as_deref().unwrap(),
            &again.password
        ));
        match &again.device.server.host_keys[0] {
            HostKeySpec::Path(p) => assert!(p.starts_with(&dir), "{}", p.display()),
            other => panic!("{other:?}"),
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            for f in [
                "lab-password",
                "device.toml",
                "ca/root_ecdsa_key",
                "ca/router1_ecdsa_key",
            ] {
                assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
            }
        }
    }
}
