//! 1 GiB through one session channel of `sshgate-host serve`, each way, with the OpenSSH
//! client re-keying every 256 MiB (`RekeyLimit=256M`) while the data flows. The bytes are a
//! deterministic pseudo-random stream (AES-128-CTR keystream from `openssl enc` over zeros,
//! fixed key), so a lost, repeated or reordered packet changes the SHA-256 the far end reports;
//! the expected digest is the same stream hashed locally. The re-keys are counted from both
//! sides' logs: `ssh -v`'s `ssh_set_newkeys: rekeying` and serve's `rekey=true`.

mod support;

use std::fs::File;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};
use support::{DeviceServer, DeviceUser, SHELL_COMMAND, TempDir, require_tool, start_device};

const GIB: u64 = 1 << 30;
/// The client re-keys every 256 MiB of ciphertext in a direction: three times in 1 GiB.
const REKEY_LIMIT: &str = "256M";
const MIN_REKEYS: usize = 3;
/// Time for one transfer on a loaded two-core machine (it takes seconds when idle).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(180);
const OPENSSL: &str = "/usr/bin/openssl";

/// `sh` text writing the test stream (GIB bytes) to stdout.
fn generator() -> String {
    format!(
        "{OPENSSL} enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
         -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c {GIB}"
    )
}

/// `sh` text hashing stdin: `<hex> *stdin`.
fn digest() -> String {
    format!("{OPENSSL} dgst -sha256 -r")
}

/// The stream's SHA-256, computed here once.
fn expected() -> &'static str {
    static HEX: OnceLock<String> = OnceLock::new();
    HEX.get_or_init(|| {
        require_tool(OPENSSL, "apt-get install openssl");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{} | {}", generator(), digest()))
            .stdin(Stdio::null())
            .output()
            .expect("run the local generator");
        assert!(out.status.success(), "local generator: {out:?}");
        first_word(&String::from_utf8_lossy(&out.stdout))
    })
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_string()
}

fn device(label: &str) -> DeviceServer {
    require_tool(OPENSSL, "apt-get install openssl");
    start_device(
        label,
        "",
        &[DeviceUser {
            name: "ops",
            privilege: 1,
            key: true,
            command: Some(SHELL_COMMAND),
            ..DeviceUser::default()
        }],
    )
}

/// `ssh -v -o RekeyLimit=... ops@127.0.0.1 LINE`, stderr to a file in the test's directory.
fn ssh(s: &DeviceServer, label: &str, line: &str) -> (Command, std::path::PathBuf) {
    let err = s.dir.join(format!("{label}.ssh-v"));
    let mut cmd = s.ssh_with_key();
    cmd.args(["-v", "-o", &format!("RekeyLimit={REKEY_LIMIT}")])
        .arg(DeviceServer::dest("ops"))
        .arg(line)
        .stderr(File::create(&err).expect("create ssh log"));
    (cmd, err)
}

/// Waits for every child until `deadline`; kills all of them if it passes.
fn wait_all(children: &mut [(&str, Child)], deadline: Instant) -> Vec<ExitStatus> {
    let mut done: Vec<Option<ExitStatus>> = vec![None; children.len()];
    while done.iter().any(Option::is_none) {
        for (i, (_, c)) in children.iter_mut().enumerate() {
            if done[i].is_none() {
                done[i] = c.try_wait().expect("wait for a child");
            }
        }
        if Instant::now() >= deadline {
            for (_, c) in children.iter_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
            let names: Vec<&str> = children.iter().map(|(n, _)| *n).collect();
            panic!("{names:?} still running after {TRANSFER_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    done.into_iter().flatten().collect()
}

/// Re-keys the client reports (`ssh_set_newkeys: rekeying in|out`, one per re-key per
/// direction: counted in `direction`) and serve's `rekey=true` lines.
fn rekeys(ssh_log: &str, direction: &str, serve_log: &str) -> (usize, usize) {
    let client = ssh_log
        .matches(&format!("ssh_set_newkeys: rekeying {direction}"))
        .count();
    (client, serve_log.matches("rekey=true").count())
}

fn check_rekeys(s: &DeviceServer, ssh_log: &std::path::Path, direction: &str) {
    let ssh_text = support::read_lossy(ssh_log);
    let serve_text = s.log.all();
    let (client, server) = rekeys(&ssh_text, direction, &serve_text);
    assert!(
        client >= MIN_REKEYS && server >= MIN_REKEYS,
        "expected at least {MIN_REKEYS} re-keys, client saw {client}, serve logged {server}\n\
         --- ssh -v (tail) ---\n{}\n{}",
        support::tail(&ssh_text, 30),
        s.report()
    );
}

#[test]
fn gib_download_with_rekeys_arrives_intact() {
    let want = expected();
    let s = device("bulk-download");
    let (mut cmd, log) = ssh(&s, "download", &generator());
    let started = Instant::now();
    let mut client = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn ssh");
    let out_path = s.dir.join("download.sha256");
    let hasher = Command::new("sh")
        .arg("-c")
        .arg(digest())
        .stdin(client.stdout.take().expect("ssh stdout"))
        .stdout(File::create(&out_path).expect("create digest file"))
        .spawn()
        .expect("spawn openssl dgst");
    let status = wait_all(
        &mut [("ssh", client), ("openssl dgst", hasher)],
        started + TRANSFER_TIMEOUT,
    );
    eprintln!("download: 1 GiB in {:.1?}", started.elapsed());
    let got = first_word(&support::read_lossy(&out_path));
    assert!(
        status[0].success(),
        "ssh: {}\n--- ssh -v (tail) ---\n{}\n{}",
        status[0],
        support::tail(&support::read_lossy(&log), 30),
        s.report()
    );
    assert_eq!(got, want, "the received stream differs\n{}", s.report());
    check_rekeys(&s, &log, "in");
}

#[test]
fn gib_upload_with_rekeys_arrives_intact() {
    let want = expected();
    let s = device("bulk-upload");
    let (mut cmd, log) = ssh(&s, "upload", &digest());
    let started = Instant::now();
    let mut source = Command::new("sh")
        .arg("-c")
        .arg(generator())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the generator");
    let out_path = s.dir.join("upload.sha256");
    let client = cmd
        .stdin(source.stdout.take().expect("generator stdout"))
        .stdout(File::create(&out_path).expect("create digest file"))
        .spawn()
        .expect("spawn ssh");
    let status = wait_all(
        &mut [("generator", source), ("ssh", client)],
        started + TRANSFER_TIMEOUT,
    );
    eprintln!("upload: 1 GiB in {:.1?}", started.elapsed());
    assert!(
        status[1].success(),
        "ssh: {}\n--- ssh -v (tail) ---\n{}\n{}",
        status[1],
        support::tail(&support::read_lossy(&log), 30),
        s.report()
    );
    let got = first_word(&support::read_lossy(&out_path));
    assert_eq!(
        got,
        want,
        "the server hashed a different stream\n{}",
        s.report()
    );
    check_rekeys(&s, &log, "out");
}

/// The harness itself: a stream that differs in one byte has another digest, so a broken
/// transfer cannot pass by accident.
#[test]
fn digest_of_a_changed_stream_differs() {
    let want = expected();
    let dir = TempDir::new("bulk-selfcheck");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{{ {}; printf x; }} | tail -c +2 | {}",
            generator(),
            digest()
        ))
        .current_dir(dir.path())
        .output()
        .expect("run the changed generator");
    let got = first_word(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(want.len(), 64, "digest {want:?}");
    assert_ne!(got, want);
}
