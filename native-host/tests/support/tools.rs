//! Where the peers are, and the `require_*` checks: a missing peer fails the test loudly (with an
//! install hint), it never skips it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const SSHD: &str = "/usr/sbin/sshd";
pub const SSH: &str = "/usr/bin/ssh";
pub const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

const OPENSSH_HINT: &str = "install OpenSSH (Debian/Ubuntu: `apt-get install openssh-client \
     openssh-server`; Fedora: `dnf install openssh-clients openssh-server`)";

/// Our binary under test.
pub fn sshgate_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sshgate-host"))
}

/// The Python asyncssh peer script, `tests/interop/asyncssh_peer.py` at the workspace root.
pub fn asyncssh_peer_script() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/asyncssh_peer.py");
    p.canonicalize()
        .unwrap_or_else(|e| panic!("asyncssh peer script {} missing: {e}", p.display()))
}

/// The Python interpreter (`SSHGATE_PYTHON` overrides `python3` from PATH).
pub fn python() -> String {
    std::env::var("SSHGATE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Panics (never skips) if `path` is not an executable file.
pub fn require_tool(path: &str, install_hint: &str) {
    use std::os::unix::fs::PermissionsExt;
    match fs::metadata(path) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
        Ok(_) => panic!(
            "interop peer `{path}` exists but is not an executable file; {install_hint}. \
             These tests never skip: a test that cannot find its peer fails."
        ),
        Err(e) => panic!(
            "interop peer `{path}` not found ({e}); {install_hint}. \
             These tests never skip: a test that cannot find its peer fails."
        ),
    }
}

pub fn require_openssh_client() {
    require_tool(SSH, OPENSSH_HINT);
}

pub fn require_ssh_keygen() {
    require_tool(SSH_KEYGEN, OPENSSH_HINT);
}

/// sshd plus its runtime needs: an absolute path, and the privilege-separation directory.
pub fn require_sshd() {
    require_tool(SSHD, OPENSSH_HINT);
    require_ssh_keygen();
    let privsep = Path::new("/run/sshd");
    if !privsep.is_dir() {
        if let Err(e) = fs::create_dir_all(privsep) {
            panic!(
                "sshd needs its privilege-separation directory /run/sshd and it could not be \
                 created ({e}); run the interop tests as root or `mkdir -p -m 0755 /run/sshd`"
            );
        }
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(privsep, fs::Permissions::from_mode(0o755));
    }
}

/// Panics unless `python3` can import asyncssh with ML-KEM available.
pub fn require_asyncssh() {
    let out = Command::new(python())
        .args([
            "-c",
            "import asyncssh, sys\n\
             from asyncssh.crypto import mlkem_available\n\
             print(asyncssh.__version__)\n\
             sys.exit(0 if mlkem_available else 4)",
        ])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => panic!(
            "cannot run `{}` ({e}): the asyncssh interop tests need Python 3 with asyncssh \
             (`pip install asyncssh`); set SSHGATE_PYTHON to pick an interpreter",
            python()
        ),
        Ok(o) if o.status.code() == Some(4) => panic!(
            "asyncssh {} is installed but reports no ML-KEM support: it needs `cryptography` >= 44 \
             (`pip install -U asyncssh cryptography`)",
            String::from_utf8_lossy(&o.stdout).trim()
        ),
        Ok(o) if !o.status.success() => panic!(
            "`{} -c 'import asyncssh'` failed ({}): install it with `pip install asyncssh` \
             (needs `cryptography` >= 44 for ML-KEM). stderr:\n{}",
            python(),
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
}

/// The user the tests run as (`id -un`): the account sshd logs our key-based clients into.
pub fn current_user() -> String {
    let out = Command::new("id")
        .arg("-un")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run `id -un`: {e}"));
    assert!(out.status.success(), "`id -un` failed: {}", out.status);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
