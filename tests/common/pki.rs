//! The X.509 test PKI (`tests/x509/make-pki.sh`, built with the `openssl` CLI on first use and
//! cached under the temp directory by the script's hash) and helpers to load its files. Without
//! the CLI the tests fail: they never skip.

use sshgate::keys::PrivateKey;
use sshgate::pki::{Certificate, CertifiedKey, Trustpoint, load_certificates};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

/// 2030-01-01T00:00:00Z: inside every "good" certificate's 2020..2099 validity.
pub const NOW: u64 = 1_893_456_000;

const SCRIPT: &str = include_str!("../x509/make-pki.sh");

/// The PKI's directory (built once per script version; parallel test binaries build into
/// private directories and rename, so none sees half a PKI).
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        for b in SCRIPT.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let dir = std::env::temp_dir().join(format!("sshgate-x509-pki-{h:016x}"));
        if dir.join("READY").exists() {
            return dir;
        }
        let ok = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "the X.509 tests need the openssl CLI (apt-get install openssl)"
        );
        let tmp = dir.with_extension(format!("{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/x509/make-pki.sh");
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
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(dir.join("READY").exists(), "no PKI at {}", dir.display());
        dir
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
