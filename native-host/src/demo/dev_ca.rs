//! The demo's dev CA in `DATA/ca/` (mode 0700): made on first start, checked and reused after.
//!
//! ```text
//! ca.pem                 the root certificate: trust it (the page's CA, `ssh --ca-file`)   0644
//! ca-key.pem             the root's key (PKCS#8 PEM)                                      0600
//! router1.pem            the device's host certificate, then the root (RFC 6187 chain)   0644
//! router1-key.pem        its key                                                          0600
//! user.pem               lab's certificate (CN=lab, secureShellClient), then the root    0644
//! user-key.pem           its key (`ssh --cert user.pem -i user-key.pem`)                 0600
//! user.p12               user.pem and user-key.pem as PKCS#12 (`ssh --pkcs12`, browsers) 0600
//! user.p12-passphrase    user.p12's passphrase, printed on every start                   0600
//! ```
//!
//! All keys are ECDSA P-256 (`x509v3-ecdsa-sha2-nistp256`). The root is kept for
//! [`issue::ROOT_DAYS`]: once a browser or a client trusts `ca.pem`, replacing it would break
//! that trust, so a root file that is unreadable, or whose key does not match, stops the start
//! (delete `ca/` to start afresh). The device and user certificates are reissued, with a warning,
//! when they are missing, expired or do not chain to the root with their key.

use super::issue::{self, Kind};
use super::pkcs12;
use crate::keyfile;
use anyhow::{Context, anyhow, bail};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sshgate::keys::PrivateKey;
use sshgate::pki::{CertifiedKey, Pkcs12, Purpose, Trustpoint, load_certificates, to_pem};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The root certificate's file name.
pub const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
/// The user's chain, key, PKCS#12 file and its passphrase.
pub const USER_CHAIN: &str = "user.pem";
/// The user's key.
pub const USER_KEY: &str = "user-key.pem";
/// The user's PKCS#12 file.
pub const USER_P12: &str = "user.p12";
const USER_P12_PASS: &str = "user.p12-passphrase";

/// The root's name.
const ROOT_DN: &str = "CN=sshgate demo dev CA,O=sshgate demo";

/// What the demo prints and configures.
pub struct DevCa {
    /// `DATA/ca`.
    pub dir: PathBuf,
    /// The device's chain and key file names in `dir` (for the trustpoint).
    pub device_chain: String,
    /// See `device_chain`.
    pub device_key: String,
    /// user.p12's passphrase.
    pub p12_passphrase: String,
    /// SHA-256 of the root certificate's DER, hex: how to tell a kept root from a new one.
    pub root_fingerprint: String,
}

/// Makes or checks the CA in `data/ca` for `device` (its host certificate names `device` and
/// the loopback names) and `user` (the certificate's CN).
pub fn prepare(data: &Path, device: &str, user: &str) -> anyhow::Result<DevCa> {
    let dir = data.join("ca");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    super::data::set_mode(&dir, 0o700)?;
    let (root_key, root_der, new_root) = root(&dir)?;
    let root_pem = to_pem("CERTIFICATE", &root_der);
    let mut anchors = Trustpoint::default();
    anchors
        .add_anchors(root_pem.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", dir.join(CA_CERT).display()))?;

    let device_chain = format!("{device}.pem");
    let device_key = format!("{device}-key.pem");
    let host = Leaf {
        chain: dir.join(&device_chain),
        key: dir.join(&device_key),
        subject: format!("CN={device},O=sshgate demo"),
        kind: || Kind::Server {
            dns: vec!["localhost".into(), device.into()],
            ips: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        },
        purpose: Purpose::SshServer,
    };
    host.ensure(new_root, &root_key, &root_pem, &anchors)?;
    let client = Leaf {
        chain: dir.join(USER_CHAIN),
        key: dir.join(USER_KEY),
        subject: format!("CN={user},O=sshgate demo"),
        kind: || Kind::Client,
        purpose: Purpose::SshClient,
    };
    let user_issued = client.ensure(new_root, &root_key, &root_pem, &anchors)?;
    let p12_passphrase = user_p12(&dir, user_issued)?;
    Ok(DevCa {
        dir,
        device_chain,
        device_key,
        p12_passphrase,
        root_fingerprint: hex(&<sha2::Sha256 as sha2::Digest>::digest(&root_der)),
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    SigningKey::from_pkcs8_pem(&text)
        .map_err(|e| anyhow!("{}: not a P-256 PKCS#8 key: {e}", path.display()))
}

fn write_key(path: &Path, key: &SigningKey) -> anyhow::Result<()> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow!("encoding {}: {e}", path.display()))?;
    keyfile::write_new(path, &pem, 0o600)
}

/// The engine's view of a key file, to compare with a certificate's key.
fn engine_key(path: &Path) -> anyhow::Result<PrivateKey> {
    keyfile::read_private(path)
}

/// The root: kept if `ca.pem` and `ca-key.pem` agree; a key without its certificate gets a new
/// self-signed one (nobody can trust a certificate that was never written); a certificate
/// without its key cannot sign, so the start stops. Returns whether the root is new.
fn root(dir: &Path) -> anyhow::Result<(SigningKey, Vec<u8>, bool)> {
    let cert_path = dir.join(CA_CERT);
    let key_path = dir.join(CA_KEY);
    let fresh = "delete the ca directory to start afresh";
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let key = read_key(&key_path)?;
            let certs = load_certificates(&read(&cert_path)?)
                .map_err(|e| anyhow!("{}: {e} ({fresh})", cert_path.display()))?;
            let [cert] = certs.as_slice() else {
                bail!(
                    "{}: expected one certificate ({fresh})",
                    cert_path.display()
                );
            };
            let public = cert
                .public_key()
                .map_err(|e| anyhow!("{}: {e}", cert_path.display()))?;
            if public != engine_key(&key_path)?.public() || !cert.is_ca() {
                bail!(
                    "{} is not the CA certificate of {} ({fresh})",
                    cert_path.display(),
                    key_path.display()
                );
            }
            let now = crate::wall_clock::unix_now();
            if now > cert.not_after() {
                bail!("the dev CA {} has expired ({fresh})", cert_path.display());
            }
            Ok((key, cert.der().to_vec(), false))
        }
        (false, has_key) => {
            let key = if has_key {
                tracing::warn!(path = %key_path.display(), "dev CA key without its certificate: issuing one");
                read_key(&key_path)?
            } else {
                let k = issue::new_key()?;
                write_key(&key_path, &k)?;
                k
            };
            let der = issue::issue(
                Kind::Root,
                ROOT_DN,
                key.verifying_key(),
                ROOT_DN,
                &key,
                issue::ROOT_DAYS,
            )?;
            keyfile::write_new(&cert_path, &to_pem("CERTIFICATE", &der), 0o644)?;
            tracing::info!(path = %cert_path.display(), "generated the dev CA");
            Ok((key, der, true))
        }
        (true, false) => bail!(
            "{} is there but its key {} is not ({fresh})",
            cert_path.display(),
            key_path.display()
        ),
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A certificate the root issues: its chain file (leaf, then root) and key file.
struct Leaf<K: Fn() -> Kind> {
    chain: PathBuf,
    key: PathBuf,
    subject: String,
    kind: K,
    purpose: Purpose,
}

impl<K: Fn() -> Kind> Leaf<K> {
    /// Keeps the files if they chain to the root now with their key; otherwise issues anew.
    /// Returns whether it issued.
    fn ensure(
        &self,
        new_root: bool,
        root_key: &SigningKey,
        root_pem: &str,
        anchors: &Trustpoint,
    ) -> anyhow::Result<bool> {
        if !new_root && self.chain.exists() && self.key.exists() {
            match self.check(anchors) {
                Ok(()) => return Ok(false),
                Err(e) => tracing::warn!(path = %self.chain.display(), "reissuing: {e:#}"),
            }
        }
        for p in [&self.chain, &self.key] {
            if p.exists() {
                std::fs::remove_file(p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
        let key = issue::new_key()?;
        let der = issue::issue(
            (self.kind)(),
            &self.subject,
            key.verifying_key(),
            ROOT_DN,
            root_key,
            issue::LEAF_DAYS,
        )?;
        write_key(&self.key, &key)?;
        let chain = to_pem("CERTIFICATE", &der) + root_pem;
        keyfile::write_new(&self.chain, &chain, 0o644)?;
        tracing::info!(path = %self.chain.display(), subject = %self.subject, "issued a dev CA certificate");
        Ok(true)
    }

    /// What a peer will check: the key is the leaf's, and the chain verifies under the root for
    /// the purpose, now.
    fn check(&self, anchors: &Trustpoint) -> anyhow::Result<()> {
        let certs = load_certificates(&read(&self.chain)?).map_err(|e| anyhow!("{e}"))?;
        let c = CertifiedKey::new(Arc::new(engine_key(&self.key)?), certs.clone())
            .map_err(|e| anyhow!("{} with {}: {e}", self.key.display(), self.chain.display()))?;
        let now = crate::wall_clock::unix_now();
        sshgate::pki::verify_certificates(&certs, &[], anchors, self.purpose, now)
            .map_err(|e| anyhow!("{}: {e}", c.leaf().subject()))?;
        Ok(())
    }
}

/// `user.p12` and its passphrase: written when the user certificate is new or the file does
/// not open to that certificate; the passphrase is kept while its file is.
fn user_p12(dir: &Path, user_issued: bool) -> anyhow::Result<String> {
    let p12_path = dir.join(USER_P12);
    let pass_path = dir.join(USER_P12_PASS);
    let pass = if pass_path.exists() {
        read_trimmed(&pass_path)?
    } else {
        let _ = std::fs::remove_file(&p12_path);
        let p = super::data::random_password()?;
        keyfile::write_new(&pass_path, &format!("{p}\n"), 0o600)?;
        p
    };
    let chain = load_certificates(&read(&dir.join(USER_CHAIN))?).map_err(|e| anyhow!("{e}"))?;
    if !user_issued && p12_path.exists() {
        let opened = Pkcs12::from_der(&read(&p12_path)?, &pass);
        match opened {
            Ok(p) if p.certificate.as_ref() == chain.first() => return Ok(pass),
            Ok(_) => {
                tracing::warn!(path = %p12_path.display(), "not user.pem's certificate: rewriting")
            }
            Err(e) => tracing::warn!(path = %p12_path.display(), "rewriting: {e}"),
        }
    }
    let _ = std::fs::remove_file(&p12_path);
    let key = read_key(&dir.join(USER_KEY))?;
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| anyhow!("encoding the user key: {e}"))?;
    let ders: Vec<Vec<u8>> = chain.iter().map(|c| c.der().to_vec()).collect();
    let der = pkcs12::write(pkcs8.as_bytes(), &ders, &pass)?;
    write_new_bytes(&p12_path, &der)?;
    Ok(pass)
}

fn read_trimmed(path: &Path) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .trim()
        .to_string())
}

/// A new binary file, mode 0600.
fn write_new_bytes(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}
