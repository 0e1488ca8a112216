//! `sshgate-host ssh` with a standard output nobody reads: the client must hold the server back
//! (its receive window) instead of queueing the download in memory, and once the reader comes
//! back every byte must arrive, in order. The server is the real OpenSSH `sshd`.

mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;
use support::*;

/// What the download is: more than fits in any buffer the client may hold.
const BYTES: u64 = 256 * 1024 * 1024;
/// The client's growth allowed while its reader is stalled: its output queue (2 MiB), the
/// channel window (2 MiB), read buffers and slack for the allocator, far below `BYTES`.
const MAX_GROWTH_KB: u64 = 24 * 1024;

#[test]
fn a_stalled_stdout_holds_the_server_back_and_loses_nothing() {
    let dir = TempDir::new("client-backpressure");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let mut child = sshgate_client_command(&dir)
        .args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .args(["-p", &sshd.port.to_string(), "-i", key.to_str().unwrap()])
        .arg(format!("{}@127.0.0.1", current_user()))
        // A counting pattern, so a lost or reordered chunk shows.
        .arg(format!("seq 1 100000000 | head -c {BYTES}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sshgate-host ssh");
    let pid = child.id();
    // Logged in and started: the first bytes are there.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    stdout.read_exact(&mut first).expect("the download starts");
    let base = peak_kb(pid);
    // Nobody reads for a while: at loopback speed the whole download would be in memory by now
    // if the window did not stop it.
    std::thread::sleep(Duration::from_secs(4));
    let growth = peak_kb(pid).saturating_sub(base);
    assert!(
        growth <= MAX_GROWTH_KB,
        "the client grew by {growth} kB while its output was not read (limit {MAX_GROWTH_KB} kB)"
    );
    let mut rest = Vec::with_capacity(BYTES as usize);
    stdout.read_to_end(&mut rest).expect("read the download");
    let out = child.wait_with_output().expect("wait for the client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = first.to_vec();
    got.extend_from_slice(&rest);
    let expected = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("seq 1 100000000 | head -c {BYTES}"))
        .output()
        .expect("seq")
        .stdout;
    assert_eq!(got.len(), expected.len(), "bytes received");
    assert!(
        got == expected,
        "the download arrived changed or out of order"
    );
}
