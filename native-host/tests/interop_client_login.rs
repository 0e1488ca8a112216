//! `sshgate-host ssh` logging into the real OpenSSH `sshd`: public keys of every type, password
//! and keyboard-interactive (PAM) from `SSHPASS`, exec with its streams and exit status, 1 GiB in
//! each direction across re-keys, and the refusals. Each login is judged from both sides: our
//! exit status and output, and sshd's own `Accepted ... for USER` line.
//!
//! Runs without a controlling terminal (`setsid`), so nothing can prompt; the terminal cases
//! are in `interop_client_terminal.rs`.

mod support;

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use support::*;

/// sshd lines for password and keyboard-interactive logins: PAM on, both methods offered.
const PAM_LOGINS: &[&str] = &[
    "UsePAM yes",
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication yes",
];

/// `sshgate-host ssh -o StrictHostKeyChecking=no ... -p PORT <extra> DEST <command>`, no terminal.
fn client(dir: &TempDir, port: u16, extra: &[&str], dest: &str, command: &[&str]) -> Command {
    let mut cmd = sshgate_client_command(dir);
    cmd.args(["-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .args(["-p", &port.to_string()])
        .args(extra)
        .arg(dest)
        .args(command);
    cmd
}

fn run(dir: &TempDir, cmd: &mut Command, label: &str) -> RunOutput {
    run_with_timeout(cmd, dir, label, RUN_TIMEOUT)
}

/// Waits for sshd's `Accepted METHOD for USER` line after `mark`.
fn sshd_accepted(sshd: &Sshd, mark: u64, method: &str, user: &str) -> Result<String, String> {
    let needle = format!("Accepted {method} for {user} from 127.0.0.1");
    let text = sshd
        .log
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains(&needle));
    match text.lines().find(|l| l.contains(&needle)) {
        Some(line) => Ok(line.to_string()),
        None => Err(format!(
            "sshd never logged `{needle}`; sshd log (tail):\n{}",
            tail(&text, 40)
        )),
    }
}

#[test]
fn publickey_login_for_each_key_type() {
    let dir = TempDir::new("client-pubkey");
    let sshd = start_sshd(&dir);
    let user = current_user();
    // (type, bits, fingerprint label, file format: None = OpenSSH, else `ssh-keygen -m`).
    let cases = [
        ("ed25519", None, "ED25519", None),
        ("ecdsa", Some(256), "ECDSA", None),
        ("ecdsa", Some(384), "ECDSA", None),
        ("ecdsa", Some(521), "ECDSA", None),
        ("rsa", Some(3072), "RSA", None),
        ("rsa", Some(2048), "RSA", Some("PEM")),
        ("ecdsa", Some(256), "ECDSA", Some("PKCS8")),
    ];
    let mut failures = Failures::new("sshgate-host ssh -i KEY -> sshd", cases.len());
    for (ty, bits, label, format) in cases {
        let name = format!(
            "{ty}{}{}",
            bits.map_or(String::new(), |b| b.to_string()),
            format.map_or(String::new(), |f| format!("-{f}"))
        );
        let key = dir.join(format!("id_{name}"));
        ssh_keygen(ty, bits, &key);
        if let Some(f) = format {
            // Rewrite the private key file in that format (PKCS#1 / SEC1 for PEM).
            let out = Command::new(SSH_KEYGEN)
                .args(["-q", "-p", "-N", "", "-P", "", "-m", f, "-f"])
                .arg(&key)
                .output()
                .unwrap();
            assert!(out.status.success(), "ssh-keygen -p -m {f}: {out:?}");
            let text = std::fs::read_to_string(&key).unwrap();
            assert!(
                text.contains("-----BEGIN ") && !text.contains("OPENSSH"),
                "{text}"
            );
        }
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let mut ak = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("authorized_keys"))
            .unwrap();
        ak.write_all(public.as_bytes()).unwrap();
        let mark = sshd.log.mark();
        let out = run(
            &dir,
            client(
                &dir,
                sshd.port,
                &["-v", "-i", key.to_str().unwrap(), "-o", "BatchMode=yes"],
                &format!("{user}@127.0.0.1"),
                &["echo", "logged-in-with", &name],
            )
            .stdin(Stdio::null()),
            &format!("pubkey-{name}"),
        );
        let mut problems = Vec::new();
        if !out.success() || out.stdout != format!("logged-in-with {name}\n") {
            problems.push(format!(
                "exit {} stdout {:?} (want 0, \"logged-in-with {name}\\n\")",
                out.status_text(),
                out.stdout
            ));
        }
        if !out.stderr.contains("Authenticated to 127.0.0.1") {
            problems.push("-v never said `Authenticated to 127.0.0.1`".into());
        }
        match sshd_accepted(&sshd, mark, "publickey", &user) {
            Ok(line) if line.contains(&format!("ssh2: {label} SHA256:")) => {}
            Ok(line) => problems.push(format!("sshd accepted another key type: {line}")),
            Err(e) => problems.push(e),
        }
        if ty == "rsa" {
            // RFC 8332: sshd announced rsa-sha2-* in server-sig-algs, so SHA-1 is not used.
            let log = sshd.log.since(mark);
            if !log.contains("pkalg rsa-sha2-512") {
                problems.push("the RSA key did not sign with rsa-sha2-512".into());
            }
        }
        if problems.is_empty() {
            failures.pass(&name);
        } else {
            failures.add(
                &name,
                format!("{}\n{}", problems.join("\n"), out.report(30)),
            );
        }
    }
    failures.finish();
}

#[test]
fn password_and_keyboard_interactive_logins_from_sshpass() {
    let (user, password) = test_account();
    let dir = TempDir::new("client-password");
    let sshd = start_sshd_config(&dir, &[], PAM_LOGINS);
    for (method, sshd_method) in [
        ("password", "password"),
        ("keyboard-interactive", "keyboard-interactive/pam"),
    ] {
        let mark = sshd.log.mark();
        let pref = format!("PreferredAuthentications={method}");
        let out = run(
            &dir,
            client(
                &dir,
                sshd.port,
                &["-o", &pref],
                &format!("{user}@127.0.0.1"),
                &["id", "-un"],
            )
            .env("SSHPASS", password)
            .stdin(Stdio::null()),
            method,
        );
        assert!(
            out.success() && out.stdout == format!("{user}\n"),
            "{method} login: exit {}, stdout {:?}\n{}",
            out.status_text(),
            out.stdout,
            out.report(30)
        );
        sshd_accepted(&sshd, mark, sshd_method, user).unwrap();
    }
}

/// The public key in the `.pub` file `public` as a known_hosts line for 127.0.0.1 on `port`.
fn known_line(public: &std::path::Path, port: u16) -> String {
    let public = std::fs::read_to_string(public).unwrap();
    let mut fields = public.split_whitespace();
    let (ty, b64) = (fields.next().unwrap(), fields.next().unwrap());
    format!("[127.0.0.1]:{port} {ty} {b64}\n")
}

#[test]
fn the_host_key_type_known_hosts_holds_is_asked_for_first() {
    // sshd has ed25519, ECDSA and RSA host keys and would give ed25519 (first in our list);
    // known_hosts holds only its ECDSA P-384 key, so strict checking passes only if the
    // client asks for that type first, as OpenSSH does.
    let dir = TempDir::new("client-known-type");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let known = dir.join("known_hosts.strict");
    let sshd_key = dir.join("sshd-keys/ssh_host_ecdsa384_key.pub");
    std::fs::write(&known, known_line(&sshd_key, sshd.port)).unwrap();
    let strict = |label: &str, extra: &[&str]| {
        let mut cmd = sshgate_client_command(&dir);
        cmd.args(["-o", "StrictHostKeyChecking=yes", "-o"])
            .arg(format!("UserKnownHostsFile={}", known.display()))
            .args(extra)
            .args(["-p", &sshd.port.to_string(), "-i", key.to_str().unwrap()])
            .arg(format!("{}@127.0.0.1", current_user()))
            .arg("true")
            .stdin(Stdio::null());
        run(&dir, &mut cmd, label)
    };
    // Refused as OpenSSH refuses: exit status 255 and `says` on stderr.
    let refused = |out: &RunOutput, says: &str| {
        assert_eq!(
            out.status.and_then(|s| s.code()),
            Some(255),
            "{}",
            out.report(30)
        );
        assert!(out.stderr.contains(says), "{}", out.report(30));
    };
    let mark = sshd.log.mark();
    let out = strict("known-ecdsa384", &[]);
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(0),
        "{}",
        out.report(30)
    );
    let log = sshd.log.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains("host key algorithm")
    });
    assert!(
        log.contains("kex: host key algorithm: ecdsa-sha2-nistp384"),
        "sshd did not negotiate the known type:\n{}",
        tail(&log, 40)
    );

    // A different key of the known type under that name is a changed key: refused.
    let other = dir.join("other_ecdsa384");
    ssh_keygen("ecdsa", Some(384), &other);
    std::fs::write(&known, known_line(&other.with_extension("pub"), sshd.port)).unwrap();
    let out = strict("changed-ecdsa384", &[]);
    refused(&out, "REMOTE HOST IDENTIFICATION HAS CHANGED");

    // HostKeyAlgorithms given: the user's order stands, and the ed25519 key is not known.
    let out = strict(
        "own-order",
        &["-o", "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp384"],
    );
    refused(&out, "Host key verification failed");
}

#[test]
fn exec_gives_stdout_stderr_and_exit_status() {
    let dir = TempDir::new("client-exec");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let out = run(
        &dir,
        client(
            &dir,
            sshd.port,
            &["-i", key.to_str().unwrap()],
            &format!("{}@127.0.0.1", current_user()),
            &["echo out; echo err >&2; exit 7"],
        )
        .stdin(Stdio::null()),
        "exec-streams",
    );
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(7),
        "{}",
        out.report(30)
    );
    assert_eq!(out.stdout, "out\n", "{}", out.report(30));
    assert!(out.stderr.contains("err\n"), "{}", out.report(30));
    assert!(!out.stdout.contains("err"), "stderr leaked into stdout");

    // Standard input reaches the command and its end is an EOF (so `wc` finishes).
    let mut child = client(
        &dir,
        sshd.port,
        &["-i", key.to_str().unwrap()],
        &format!("{}@127.0.0.1", current_user()),
        &["wc", "-c"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&[b'x'; 100_000])
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "wc -c: {:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "100000");
}

#[test]
fn refusals_are_reported_as_openssh_reports_them() {
    let (user, password) = test_account();
    let dir = TempDir::new("client-refusals");
    let sshd = start_sshd_config(&dir, &[], &["MaxAuthTries 2", PAM_LOGINS[0], PAM_LOGINS[1]]);
    let dest = |u: &str| format!("{u}@127.0.0.1");
    let denied = |out: &RunOutput, what: &str| {
        assert_eq!(
            out.status.and_then(|s| s.code()),
            Some(255),
            "{what}: {}",
            out.report(30)
        );
        assert!(
            out.stderr.contains("Permission denied ("),
            "{what}: no `Permission denied`\n{}",
            out.report(30)
        );
    };

    let pw = ["-o", "PreferredAuthentications=password"];
    let out = run(
        &dir,
        client(&dir, sshd.port, &pw, &dest(user), &["true"]).env("SSHPASS", "wrong password"),
        "wrong-password",
    );
    denied(&out, "wrong password");
    let _ = password;

    let out = run(
        &dir,
        client(&dir, sshd.port, &pw, &dest("no-such-user-here"), &["true"])
            .env("SSHPASS", "whatever"),
        "unknown-user",
    );
    denied(&out, "unknown user");

    // A key sshd does not know.
    let stranger = dir.join("id_stranger");
    ssh_keygen("ed25519", None, &stranger);
    let out = run(
        &dir,
        client(
            &dir,
            sshd.port,
            &["-i", stranger.to_str().unwrap(), "-o", "BatchMode=yes"],
            &dest(&current_user()),
            &["true"],
        )
        .stdin(Stdio::null()),
        "wrong-key",
    );
    denied(&out, "wrong key");
    assert!(out.stderr.contains("Permission denied (publickey,password"));

    // More keys than MaxAuthTries: sshd disconnects, and we say what it said.
    let mut args = vec!["-o".to_string(), "BatchMode=yes".to_string()];
    for i in 0..3 {
        let k = dir.join(format!("id_extra{i}"));
        ssh_keygen("ed25519", None, &k);
        args.push("-i".into());
        args.push(k.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(
        &dir,
        client(&dir, sshd.port, &args, &dest(&current_user()), &["true"]).stdin(Stdio::null()),
        "too-many",
    );
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(255),
        "{}",
        out.report(30)
    );
    assert!(
        out.stderr.contains("Too many authentication failures"),
        "{}",
        out.report(30)
    );
}

/// A pseudo-random byte stream (xorshift64*), fast enough to feed 1 GiB.
fn fill(state: &mut u64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let v = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

const GIB: u64 = 1 << 30;

/// The hex sha256 a `sha256sum` line starts with.
fn sum_of(line: &str) -> String {
    line.split_whitespace().next().unwrap_or("").to_string()
}

#[test]
fn one_gib_each_way_across_rekeys() {
    let dir = TempDir::new("client-gib");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let base = [
        "-v",
        "-i",
        key.to_str().unwrap(),
        "-o",
        "RekeyLimit=256M",
        "-c",
        "aes128-gcm@openssh.com",
    ];
    let dest = format!("{}@127.0.0.1", current_user());

    // Download: the server hashes what it sends (to stderr), we hash what arrives.
    let mut child = client(
        &dir,
        sshd.port,
        &base,
        &dest,
        &[&format!(
            "{{ head -c {GIB} /dev/urandom | tee /dev/fd/3 | sha256sum >&2; }} 3>&1"
        )],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut h = Sha256::new();
    let mut n = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = stdout.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert!(out.status.success(), "download: {:?}\n{stderr}", out.status);
    assert_eq!(n, GIB, "download length");
    let theirs = stderr
        .lines()
        .find(|l| l.len() >= 64 && l.ends_with(" -"))
        .map(sum_of)
        .unwrap_or_default();
    assert_eq!(ours, theirs, "download checksum\n{stderr}");
    let kexes = stderr.matches("debug1: kex: algorithm:").count();
    assert!(
        kexes >= 4,
        "want re-keys during 1 GiB at 256M: {kexes} kex\n{stderr}"
    );

    // Upload: we hash what we send, the server hashes what arrives.
    let mut child = client(&dir, sshd.port, &base, &dest, &["sha256sum"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut h = Sha256::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..(GIB >> 20) {
            fill(&mut state, &mut buf);
            h.update(&buf);
            stdin.write_all(&buf).unwrap();
        }
        let sum: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        sum
    });
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "upload: {:?}\n{stderr}", out.status);
    assert_eq!(
        sum_of(&String::from_utf8_lossy(&out.stdout)),
        sent,
        "upload checksum"
    );
    let kexes = stderr.matches("debug1: kex: algorithm:").count();
    assert!(
        kexes >= 4,
        "want re-keys during the upload: {kexes}\n{stderr}"
    );
}
