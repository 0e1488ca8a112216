//! Builds a test PKI with a `make-pki.sh` and the `openssl` CLI once per version of the script,
//! cached under the temp directory by the script's hash (generation takes seconds). Shared through
//! `#[path]` by the engine's unit tests (`src/pki/tests/`, their own validation-case PKI) and the
//! engine's and the native host's integration tests and the bench's login runner
//! (`tests/x509/make-pki.sh`, one cached directory for all three crates). Without the CLI the
//! tests fail: they never skip.

use std::path::PathBuf;
use std::process::Command;

/// The directory `script` (the text of a make-pki.sh) builds, as `<temp>/<prefix>-<hash>`. A run
/// that finds none builds it in a private directory and renames it into place, so parallel test
/// processes never see half a PKI.
pub fn build_once(prefix: &str, script: &str) -> PathBuf {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for b in script.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let dir = std::env::temp_dir().join(format!("{prefix}-{h:016x}"));
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
    // The script's text itself (`bash -c`), so no caller needs to know where the file lives.
    let out = Command::new("bash")
        .args(["-c", script, "make-pki.sh"])
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
}
