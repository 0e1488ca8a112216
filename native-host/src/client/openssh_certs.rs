//! OpenSSH certificates in the `ssh` command, as OpenSSH's `ssh` uses them:
//! - user certificates: an identity `KEY` brings `KEY-cert.pub` if it exists, and each
//!   `-o CertificateFile=FILE` goes with the identity whose key it certifies; a certificate is
//!   offered before its plain key, which follows if the server refuses it;
//! - host certificates: judged against the `@cert-authority` and `@revoked` lines of
//!   known_hosts for the host as typed (`[host]:port` off port 22) at the system clock; one
//!   that no CA vouches for leaves the certified key to the plain known_hosts lookup
//!   ("No matching CA found. Retry with plain key"), unless it is revoked.

use super::host_key::Verdict;
use super::options::ClientSettings;
use super::peer_text;
use crate::keyfile::type_label;
use sshgate::HostKeyInfo;
use sshgate::keys::PrivateKey;
use sshgate::keys::known_hosts::{self, HostCertRefusal, HostCertStatus};
use sshgate::keys::openssh_cert::OpenSshCert;
use std::path::{Path, PathBuf};

/// Certificate files bigger than this are not certificates (an RSA-16384 one is ~6 KiB).
const MAX_CERT_FILE: u64 = 64 * 1024;

/// `path` with `-cert.pub` appended, as OpenSSH looks for an identity's certificate.
#[must_use]
pub fn beside(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-cert.pub");
    PathBuf::from(s)
}

/// Reads one certificate file; `None` if it is missing, `Err` if it is no certificate.
fn read(path: &Path) -> Result<Option<OpenSshCert>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if meta.len() > MAX_CERT_FILE {
        return Err("file too large for a certificate".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or("empty certificate file")?;
    OpenSshCert::from_openssh_line(line)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The certificates to offer with the identity at `path` holding `key`: `path-cert.pub`, then
/// the `CertificateFile`s that certify this key, each once. Unreadable ones are reported and
/// skipped, as OpenSSH does.
#[must_use]
pub fn for_identity(
    path: &Path,
    key: &PrivateKey,
    files: &[PathBuf],
) -> Vec<(PathBuf, OpenSshCert)> {
    let public = key.public();
    let mut out: Vec<(PathBuf, OpenSshCert)> = Vec::new();
    for (file, given) in
        std::iter::once((beside(path), false)).chain(files.iter().map(|f| (f.clone(), true)))
    {
        match read(&file) {
            Ok(Some(c)) if c.key == public => {
                if !out.iter().any(|(_, o)| o.to_blob() == c.to_blob()) {
                    out.push((file, c));
                }
            }
            Ok(Some(_)) => {}
            Ok(None) if given => eprintln!(
                "Warning: Certificate file {} not accessible: No such file or directory.",
                file.display()
            ),
            Ok(None) => {}
            Err(why) => eprintln!("Load certificate \"{}\": {why}", file.display()),
        }
    }
    out
}

/// `ED25519-CERT SHA256:... ID "id" (serial 7) CA ED25519 SHA256:...`, for debug lines.
#[must_use]
pub fn describe(cert: &OpenSshCert) -> String {
    let ca = cert.ca_key().map_or_else(
        |_| "(unparsable CA key)".to_string(),
        |k| format!("{} {}", type_label(k.key_type()), k.fingerprint_sha256()),
    );
    format!(
        "{}-CERT {} ID \"{}\" (serial {}) CA {ca}",
        type_label(cert.key.key_type()),
        cert.key.fingerprint_sha256(),
        peer_text::line(&cert.key_id),
        cert.serial
    )
}

fn debug(s: &ClientSettings, msg: &str) {
    if s.verbose > 0 {
        eprintln!("debug1: {msg}");
    }
}

/// The verdict on a server's host certificate, or `None` to judge the certified key as a
/// plain key.
#[must_use]
pub fn host_verdict(s: &ClientSettings, info: &HostKeyInfo) -> Option<Verdict> {
    let cert = info.openssh_certificate.as_deref()?;
    let path = s.known_hosts_path();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let now = crate::wall_clock::unix_now();
    let name = peer_text::line(&s.known_hosts_name());
    let label = type_label(cert.key.key_type());
    match known_hosts::check_host_certificate(&text, &s.host, s.port, cert, now) {
        HostCertStatus::Trusted(line) => {
            debug(
                s,
                &format!("Host '{name}' is known and matches the {label}-CERT host certificate."),
            );
            debug(s, &format!("Found CA key in {}:{line}", path.display()));
            Some(Verdict::Trusted)
        }
        HostCertStatus::Revoked(line) => {
            eprintln!(
                "Host certificate {} revoked by file {}:{line}",
                describe(cert),
                path.display()
            );
            Some(Verdict::Refused)
        }
        HostCertStatus::Refused(why) => {
            match why {
                // OpenSSH says these only at debug level: a CA for `*.lab` need not vouch
                // for every host it matches.
                HostCertRefusal::NoCertAuthority | HostCertRefusal::UnknownCa => {
                    debug(s, &format!("{why}: {}", describe(cert)));
                }
                _ => eprintln!("{}: {}", peer_text::line(&why.to_string()), describe(cert)),
            }
            debug(s, "No matching CA found. Retry with plain key");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sshgate::crypto::EngineRng;
    use sshgate::keys::KeyKind;

    /// A certificate of `key` signed by a fresh CA, made by `ssh-keygen -s` in `dir`.
    fn certify(dir: &Path, name: &str, key: &PrivateKey) -> String {
        let ca = dir.join(format!("{name}-ca"));
        let run = |args: &[&str]| {
            let out = std::process::Command::new("/usr/bin/ssh-keygen")
                .args(args)
                .output()
                .expect("ssh-keygen is needed (openssh-client)");
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        run(&["-q", "-t", "ed25519", "-N", "", "-f", ca.to_str().unwrap()]);
        let public = dir.join(format!("{name}.pub"));
        std::fs::write(&public, key.public().to_openssh_line("")).unwrap();
        run(&["-q", "-s", ca.to_str().unwrap(), "-I", name, "-n", "lab"]
            .into_iter()
            .chain([public.to_str().unwrap()])
            .collect::<Vec<_>>());
        std::fs::read_to_string(dir.join(format!("{name}-cert.pub"))).unwrap()
    }

    #[test]
    fn an_identity_brings_its_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = EngineRng::from_seed([3; 32]);
        let key = PrivateKey::generate(KeyKind::Ed25519, &mut rng).unwrap();
        let other = PrivateKey::generate(KeyKind::Ed25519, &mut rng).unwrap();
        let id = dir.path().join("id");
        assert_eq!(beside(&id), dir.path().join("id-cert.pub"));
        assert!(for_identity(&id, &key, &[]).is_empty());
        // Beside the key, written by ssh-keygen -s as `id-cert.pub`.
        certify(dir.path(), "id", &key);
        // CertificateFiles: one of this key (found), one of another key (not offered), one
        // that is the beside file again (offered once), and a missing one (warned about).
        let mine = certify(dir.path(), "mine", &key);
        let theirs = certify(dir.path(), "theirs", &other);
        let files = [
            dir.path().join("mine-cert.pub"),
            dir.path().join("theirs-cert.pub"),
            beside(&id),
            dir.path().join("missing-cert.pub"),
        ];
        let found = for_identity(&id, &key, &files);
        let names: Vec<_> = found.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(names, [beside(&id), files[0].clone()]);
        assert_eq!(found[1].1, OpenSshCert::from_openssh_line(&mine).unwrap());
        assert!(found.iter().all(|(_, c)| c.key == key.public()));
        assert_ne!(
            OpenSshCert::from_openssh_line(&theirs).unwrap().key,
            key.public()
        );
        // A file that is no certificate is skipped.
        std::fs::write(beside(&id), "junk\n").unwrap();
        assert_eq!(for_identity(&id, &key, &files).len(), 1);
    }
}
