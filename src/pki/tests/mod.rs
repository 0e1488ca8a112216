//! Tests of the PKI layer against a PKI that `make-pki.sh` builds with the `openssl` CLI when the
//! test binary first needs it. Without the CLI the tests fail: they never skip.

use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod chains;
mod pkcs12;
mod refusals;
mod revocation;
mod wire;

/// 2030-01-01T00:00:00Z: inside every "good" certificate's 2020..2099 validity.
pub(super) const NOW: u64 = 1_893_456_000;

static DIR: OnceLock<PathBuf> = OnceLock::new();

const SCRIPT: &str = include_str!("make-pki.sh");

/// The generated PKI's directory. It is keyed on the script's contents and reused by later test
/// runs (generation takes seconds); a run that finds none builds it in a private directory and
/// renames it into place, so parallel test processes never see half a PKI.
pub(super) fn pki() -> &'static Path {
    DIR.get_or_init(|| {
        let version = Command::new("openssl").arg("version").output();
        assert!(
            version.is_ok_and(|o| o.status.success()),
            "the PKI tests need the openssl CLI (apt-get install openssl)"
        );
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        for b in SCRIPT.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let dir = std::env::temp_dir().join(format!("sshgate-pki-{h:016x}"));
        if dir.join("READY").exists() {
            return dir;
        }
        let tmp = std::env::temp_dir().join(format!("sshgate-pki-{h:016x}.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pki/tests/make-pki.sh");
        let out = Command::new("bash")
            .arg(script)
            .arg(&tmp)
            .output()
            .expect("running bash for make-pki.sh");
        assert!(
            out.status.success() && tmp.join("READY").exists(),
            "make-pki.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another test process got there first.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(dir.join("READY").exists(), "no PKI at {}", dir.display());
        dir
    })
}

pub(super) fn file(name: &str) -> Vec<u8> {
    let p = pki().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

pub(super) fn der(name: &str) -> Vec<u8> {
    file(&format!("{name}.der"))
}

pub(super) fn cert(name: &str) -> Certificate {
    Certificate::from_der(&der(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A trustpoint with `root_<alg>` as its only anchor.
pub(super) fn trust(alg: &str) -> Trustpoint {
    Trustpoint::from_anchors(&file(&format!("root_{alg}.pem"))).expect("anchor")
}

pub(super) fn blob(alg: X509Alg, names: &[&str]) -> X509Blob {
    X509Blob::new(alg, names.iter().map(|n| der(n)).collect())
}

/// The seconds since the epoch now, for OCSP responses stamped at generation time.
pub(super) fn real_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 60
}
