//! The X.509 test PKI (`tests/x509/make-pki.sh`, built on first use: `tests/x509/pki_cache.rs`)
//! and helpers to load its files.

use sshgate::keys::PrivateKey;
use sshgate::pki::{Certificate, CertifiedKey, Trustpoint, load_certificates};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// 2030-01-01T00:00:00Z: inside every "good" certificate's 2020..2099 validity.
pub const NOW: u64 = 1_893_456_000;

#[path = "../x509/pki_cache.rs"]
mod pki_cache;

/// The PKI's directory, built on first use.
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        pki_cache::build_once("sshgate-x509-pki", include_str!("../x509/make-pki.sh"))
    })
}

/// A file of the PKI.
pub fn file(name: &str) -> Vec<u8> {
    let p = dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// `NAME.key` (PKCS#8 PEM).
pub fn key(name: &str) -> Arc<PrivateKey> {
    let text = String::from_utf8(file(&format!("{name}.key"))).expect("PEM text");
    Arc::new(PrivateKey::from_text(&text, None).expect("key").0)
}

/// The certificates of `FILE` (PEM), in order.
pub fn certs(file_name: &str) -> Vec<Certificate> {
    load_certificates(&file(file_name)).expect("certificates")
}

/// `NAME.key` with the chain `NAME.chain.pem` (leaf and intermediates).
pub fn certified(name: &str) -> Arc<CertifiedKey> {
    Arc::new(
        CertifiedKey::new(key(name), certs(&format!("{name}.chain.pem")))
            .unwrap_or_else(|e| panic!("{name}: {e}")),
    )
}

/// A trustpoint whose anchors are the roots in `roots` (`root_p256`, ...; `roots` for all five).
pub fn trust(roots: &[&str]) -> Trustpoint {
    let mut t = Trustpoint::default();
    for r in roots {
        t.add_anchors(&file(&format!("{r}.pem"))).expect("anchor");
    }
    t
}

/// The DER certificates of `FILE`.
pub fn ders(file_name: &str) -> Vec<Vec<u8>> {
    certs(file_name).iter().map(|c| c.der().to_vec()).collect()
}
