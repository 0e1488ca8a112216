//! The client's X.509 side (RFC 6187): its own certificate identity (`-i KEY --cert CHAIN`, or
//! `--pkcs12 FILE` as the seed enrolls with `pkcs12`), the login name from the certificate's CN
//! (`--user-from-cert`, the seed's "Fill Userid From SC — Map: Common Name"), and the CAs
//! trusted to sign server certificates (`--ca-file`).
//!
//! The identity is loaded before connecting, asking a passphrase on the terminal if need be:
//! the login name may come from it, and the first request (`none`) already carries the name.

use super::identity::{self, Loaded};
use super::options::ClientSettings;
use super::prompt::{self, Question, Source};
use anyhow::{Context, anyhow, bail};
use sshgate::pki::{
    CertifiedKey, Identity, MAX_PKCS12_BYTES, Pkcs12, PkiError, Trustpoint, UsernameField,
    load_certificates,
};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The environment variable a PKCS#12 passphrase may come from (no terminal, or scripts).
pub const PKCS12_PASS_ENV: &str = "SSHGATE_PKCS12_PASS";

/// Passphrase attempts on the terminal, as OpenSSH allows for keys.
const ATTEMPTS: usize = 3;

fn read_bounded(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    if len > max as u64 {
        bail!("{}: larger than {max} bytes", path.display());
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Asks for a passphrase on the terminal (`None`: nobody can answer, or end of input).
fn ask(source: &Source, text: &str) -> Option<Zeroizing<String>> {
    if !matches!(source, Source::Terminal) {
        return None;
    }
    prompt::ask_now(&[Question::secret(text)])
        .ok()
        .and_then(|a| a.into_iter().next())
}

fn open_pkcs12(path: &Path, source: &Source) -> anyhow::Result<CertifiedKey> {
    let der = read_bounded(path, MAX_PKCS12_BYTES)?;
    let unlock = |pass: &str| -> Result<CertifiedKey, PkiError> {
        CertifiedKey::from_pkcs12(Pkcs12::from_der(&der, pass)?)
    };
    let what = |e: PkiError| anyhow!("{}: {e}", path.display());
    if let Ok(pass) = std::env::var(PKCS12_PASS_ENV) {
        return unlock(&pass).map_err(what);
    }
    // Files exported without a password open with the empty one.
    match unlock("") {
        Err(PkiError::Passphrase) => {}
        other => return other.map_err(what),
    }
    let text = format!("Enter passphrase for PKCS#12 file '{}': ", path.display());
    for _ in 0..ATTEMPTS {
        let Some(pass) = ask(source, &text) else {
            bail!(
                "{}: a passphrase is needed: set {PKCS12_PASS_ENV} or run on a terminal",
                path.display()
            );
        };
        match unlock(&pass) {
            Err(PkiError::Passphrase) => eprintln!("Bad passphrase."),
            other => return other.map_err(what),
        }
    }
    bail!("{}: wrong passphrase", path.display())
}

fn open_key_and_chain(key: &Path, chain: &Path, source: &Source) -> anyhow::Result<CertifiedKey> {
    let key = match identity::load(key) {
        Loaded::Key(k) => k,
        Loaded::NeedsPassphrase(text) => {
            let q = format!("Enter passphrase for key '{}': ", key.display());
            let pass = ask(source, &q)
                .ok_or_else(|| anyhow!("{}: encrypted, and no terminal to ask", key.display()))?;
            identity::unlock(&text, &pass).map_err(|e| anyhow!("{}: {e}", key.display()))?
        }
        Loaded::Missing => bail!("{}: no such file", key.display()),
        Loaded::Unusable(why) => bail!("{}: {why}", key.display()),
    };
    let certs = load_certificates(&read_bounded(chain, sshgate::pki::MAX_PEM_BYTES)?)
        .map_err(|e| anyhow!("{}: {e}", chain.display()))?;
    CertifiedKey::new(key, certs)
        .map_err(|e| anyhow!("{} with {}: {e}", chain.display(), key_name(&e)))
}

fn key_name(e: &PkiError) -> &'static str {
    match e {
        PkiError::KeyMismatch => "the -i key",
        _ => "its key",
    }
}

/// The certificate identity the settings name, if any.
pub fn load(s: &ClientSettings, source: &Source) -> anyhow::Result<Option<Arc<CertifiedKey>>> {
    let c = match (&s.pkcs12, &s.cert, s.identities.first()) {
        (Some(p12), _, _) => open_pkcs12(p12, source)?,
        (None, Some(chain), Some(key)) => open_key_and_chain(key, chain, source)?,
        (None, Some(_), None) => bail!("--cert needs the key with -i"),
        (None, None, _) => return Ok(None),
    };
    Ok(Some(Arc::new(c)))
}

/// The common name of the certificate, as the login name (`--user-from-cert`).
pub fn user_from(cert: &CertifiedKey) -> anyhow::Result<String> {
    Identity::from_certificate(cert.leaf())
        .username(&UsernameField::CommonName)
        .map_err(|e| anyhow!("--user-from-cert: {e}"))
}

/// The trust anchors of `--ca-file`, if any were given.
pub fn host_trust(s: &ClientSettings) -> anyhow::Result<Option<Arc<Trustpoint>>> {
    if s.ca_files.is_empty() {
        return Ok(None);
    }
    let mut t = Trustpoint::default();
    for f in &s.ca_files {
        t.add_anchors(&read_bounded(f, sshgate::pki::MAX_PEM_BYTES)?)
            .map_err(|e| anyhow!("--ca-file {}: {e}", f.display()))?;
    }
    for f in &s.crl_files {
        t.add_crls(&read_bounded(f, sshgate::pki::MAX_PEM_BYTES)?)
            .map_err(|e| anyhow!("--crl-file {}: {e}", f.display()))?;
    }
    if !s.crl_files.is_empty() {
        t.policy.revocation = sshgate::pki::Revocation::Crl;
    }
    Ok(Some(Arc::new(t)))
}
