//! The demo's data directory (default `./demo-data`, mode 0700), filled on first start and
//! reused after:
//!
//! ```text
//! lab-password                  the demo user's password, printed on every start   0600
//! device.toml                   the device server's settings, with lab's argon2 hash 0600
//! host_keys/ssh_host_*_key      the device's host keys (made by the device server)  0600
//! ca/                           the dev CA: ca.pem, router1.pem, user.pem, user.p12  0700
//! ```
//!
//! `ca/` is [`super::dev_ca`]'s: the root certificate to trust, the device's host certificate
//! (served as an RFC 6187 x509v3 host key) and lab's certificate, key and PKCS#12 file.
//! (A directory from before the CA issued certificates also holds `ca/root_ecdsa_key` and
//! `ca/router1_ecdsa_key`; nothing reads them.)

use super::dev_ca::{self, DevCa};
use crate::keyfile;
use crate::server::config::{DeviceFile, HostKeySpec};
use crate::server::passwords;
use crate::server::pki_config::{CertificateProfile, TrustpointSection};
use anyhow::Context;
use serde::Deserialize;
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
    /// The dev CA's files.
    pub ca: DevCa,
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
    let ca = dev_ca::prepare(dir, DEVICE, USER)?;
    add_dev_ca(&mut device, &ca)?;
    absolute_pki_paths(&mut device, dir);
    Ok(DemoData {
        dir: dir.to_path_buf(),
        password,
        device,
        created,
        ca,
    })
}

/// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I, 2/Z, 5/S): about 90 bits.
pub(super) fn random_password() -> anyhow::Result<String> {
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
         password_hash = \"{hash}\"\n\
         certificate = true\n\n{}",
        pki_toml(&format!("{DEVICE}.pem"), &format!("{DEVICE}-key.pem"))
    )
}

/// The dev CA in the device file: one trustpoint for both directions, as IOS would have it —
/// `trustpoint sign` presents the device's host certificate, `trustpoint verify` accepts users
/// it issued, the login name from the subject's CN (the default `username = "commonname"`).
fn pki_toml(device_chain: &str, device_key: &str) -> String {
    format!(
        "# The dev CA (ca/, made on first start): the device presents ca/{device_chain} as an\n\
         # x509v3 host key, and users log in with certificates from ca/{CA_CERT}, as the CN says.\n\
         [[trustpoints]]\n\
         name = \"{TRUSTPOINT}\"\n\
         ca_certificates = [\"ca/{CA_CERT}\"]\n\
         key = \"ca/{device_key}\"\n\
         certificate_chain = \"ca/{device_chain}\"\n\n\
         [certificate_profile.server]\n\
         trustpoint_sign = \"{TRUSTPOINT}\"\n\n\
         [certificate_profile.user]\n\
         trustpoint_verify = [\"{TRUSTPOINT}\"]\n",
        CA_CERT = dev_ca::CA_CERT,
    )
}

/// The trustpoint's name in the device file.
const TRUSTPOINT: &str = "demo-ca";

/// A device file from before the dev CA issued certificates has no X.509 settings: the demo's
/// are added (in memory; the file is the user's), and lab may log in by certificate.
fn add_dev_ca(device: &mut DeviceFile, ca: &DevCa) -> anyhow::Result<()> {
    if !device.trustpoints.is_empty() || device.certificate_profile.is_some() {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Pki {
        trustpoints: Vec<TrustpointSection>,
        certificate_profile: CertificateProfile,
    }
    let pki: Pki = toml::from_str(&pki_toml(&ca.device_chain, &ca.device_key))
        .context("the dev CA's settings")?;
    device.trustpoints = pki.trustpoints;
    device.certificate_profile = Some(pki.certificate_profile);
    for u in device.users.iter_mut().filter(|u| u.name == USER) {
        u.certificate = true;
    }
    tracing::info!("device.toml has no [[trustpoints]]: using the dev CA's");
    Ok(())
}

/// Paths in `[[trustpoints]]` are relative to the data directory, like the host keys.
fn absolute_pki_paths(device: &mut DeviceFile, dir: &Path) {
    let abs = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = dir.join(&*p);
        }
    };
    for t in &mut device.trustpoints {
        t.ca_certificates.iter_mut().for_each(abs);
        t.crls.iter_mut().for_each(abs);
        for p in [&mut t.key, &mut t.certificate_chain, &mut t.ocsp_response]
            .into_iter()
            .flatten()
        {
            abs(p);
        }
    }
}

pub(super) fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
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

    /// A device file from before the dev CA (no `[[trustpoints]]`) gets the CA's settings.
    #[test]
    fn an_older_device_file_gets_the_dev_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        prepare(&dir).unwrap();
        let path = dir.join(DEVICE_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let old = &text[..text.find("certificate = true").unwrap()];
        std::fs::write(&path, old).unwrap();
        let again = prepare(&dir).unwrap();
        assert!(DeviceFile::load(&path).unwrap().trustpoints.is_empty());
        assert_eq!(again.device.trustpoints[0].name, TRUSTPOINT);
        assert_eq!(
            again.device.trustpoints[0].key.as_deref(),
            Some(&*dir.join("ca/router1-key.pem"))
        );
        assert!(again.device.certificate_profile.is_some());
        assert!(again.device.users[0].certificate);
    }

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
        assert_eq!(first.ca.root_fingerprint, again.ca.root_fingerprint);
        assert_eq!(first.ca.p12_passphrase, again.ca.p12_passphrase);
        // The device file serves the dev CA, its paths made absolute.
        let tp = &again.device.trustpoints[0];
        assert_eq!(tp.ca_certificates, [dir.join("ca/ca.pem")]);
        assert_eq!(
            tp.certificate_chain.as_deref(),
            Some(&*dir.join("ca/router1.pem"))
        );
        assert!(again.device.users[0].certificate);
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
                "ca/ca-key.pem",
                "ca/router1-key.pem",
                "ca/user-key.pem",
                "ca/user.p12",
            ] {
                assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
            }
            assert_eq!(mode(&dir.join("ca")), 0o700);
        }
    }
}
