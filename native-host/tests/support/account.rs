//! A local account with a password, for password and keyboard-interactive logins into `sshd`
//! (which checks real accounts). The account `sshgate-test` is created on first use (root only)
//! and given a fresh random password in every test process, so no known password ever exists
//! on the machine between runs.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The account's name.
pub const TEST_ACCOUNT: &str = "sshgate-test";

/// `(user, password)` of the test account; panics (never skips) if it cannot be set up.
pub fn test_account() -> (&'static str, &'static str) {
    static PASSWORD: OnceLock<String> = OnceLock::new();
    let pw = PASSWORD.get_or_init(|| {
        let uid = Command::new("id").arg("-u").output().expect("run id -u");
        assert!(
            String::from_utf8_lossy(&uid.stdout).trim() == "0",
            "the sshd password tests need a local account with a known password; creating \
             `{TEST_ACCOUNT}` needs root (run the tests as root, as CI does)"
        );
        let exists = Command::new("id")
            .arg(TEST_ACCOUNT)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run id")
            .success();
        if !exists {
            let out = Command::new("useradd")
                .args(["--create-home", "--shell", "/bin/sh", TEST_ACCOUNT])
                .output()
                .expect("run useradd");
            assert!(
                out.status.success(),
                "useradd {TEST_ACCOUNT} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut raw = [0u8; 12];
        getrandom::fill(&mut raw).expect("OS random numbers");
        let pw: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let mut child = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chpasswd");
        writeln!(child.stdin.take().unwrap(), "{TEST_ACCOUNT}:{pw}").unwrap();
        let out = child.wait_with_output().expect("chpasswd");
        assert!(
            out.status.success(),
            "chpasswd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pw
    });
    (TEST_ACCOUNT, pw.as_str())
}
