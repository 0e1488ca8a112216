//! Tests of the PKI layer against a PKI that `make-pki.sh` builds with the `openssl` CLI when the
//! test binary first needs it. Without the CLI the tests fail: they never skip.

use super::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod chains;
mod pkcs12;
mod refusals;
mod revocation;
mod wire;

/// 2030-01-01T00:00:00Z: inside every "good" certificate's 2020..2099 validity.
pub(super) const NOW: u64 = 1_893_456_000;

#[path = "../../../tests/x509/pki_cache.rs"]
mod pki_cache;

/// The generated PKI's directory (this module's own `make-pki.sh`, built on first use and kept
/// for later runs by the script's hash).
pub(super) fn pki() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| pki_cache::build_once("sshgate-pki", include_str!("make-pki.sh")))
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
