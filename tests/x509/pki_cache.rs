//! The X.509 test PKI's directory: `make-pki.sh` (next to this file) run once per version of the
//! script with the `openssl` CLI, cached under the temp directory by the script's hash. Shared,
//! through `#[path]`, by the engine's tests (`tests/common/pki.rs`) and the native host's
//! (`native-host/tests/support/x509.rs`), so both crates' test binaries find the same directory.
//! Without the CLI the tests fail: they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SCRIPT: &str = include_str!("make-pki.sh");

/// The PKI's directory, built on first use. Parallel test binaries build into private
/// directories and rename, so none sees half a PKI.
pub fn pki_dir() -> &'static Path {
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
        // The script text itself (`bash -c`), so no crate needs to know where the other keeps it.
        let out = Command::new("bash")
            .args(["-c", SCRIPT, "make-pki.sh"])
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
