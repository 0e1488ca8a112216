//! `sshgate-host ssh` with OpenSSH certificates made by `ssh-keygen -s`, against the real
//! OpenSSH `sshd`:
//! - user certificates (`-i KEY` finds `KEY-cert.pub`; `-o CertificateFile`) accepted by sshd
//!   with `TrustedUserCAKeys`, for Ed25519, ECDSA and RSA (`rsa-sha2-512-cert-v01`); a
//!   certificate for another principal and an expired one refused by sshd;
//! - host certificates (`HostCertificate`) trusted through a known_hosts holding only an
//!   `@cert-authority` line, with no question; one for another host name, and a revoked one,
//!   refused.
//!
//! Each login is judged from both sides: our exit status and output, and sshd's log.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::*;

/// The certificate algorithms sshd takes for users and offers for hosts, then the plain ones.
const CERT_ALGS: &str = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,\
rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com";
const PLAIN_ALGS: &str = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";

fn all_algs() -> String {
    format!("{CERT_ALGS},{PLAIN_ALGS}")
}

/// `ssh-keygen -q -s CA -I ID ARGS KEY.pub` (writes `KEY-cert.pub`).
fn sign(ca: &Path, id: &str, args: &[&str], key: &Path) {
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-s"])
        .arg(ca)
        .args(["-I", id])
        .args(args)
        .arg(key.with_extension("pub"));
    let out = cmd.output().expect("run ssh-keygen -s");
    assert!(
        out.status.success(),
        "ssh-keygen -s {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cert_of(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push("-cert.pub");
    PathBuf::from(s)
}

/// `sshgate-host ssh -v -o BatchMode=yes -p PORT ARGS DEST true`, no terminal.
fn client(dir: &TempDir, port: u16, args: &[String], dest: &str, label: &str) -> RunOutput {
    let mut cmd = sshgate_client_command(dir);
    cmd.args(["-v", "-o", "BatchMode=yes", "-p", &port.to_string()])
        .args(args)
        .arg(dest)
        .args(["echo", "certs-ok"])
        .stdin(Stdio::null());
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

/// sshd's `Accepted publickey for USER ...` line after `mark`, if any.
fn accepted(sshd: &Sshd, mark: u64, user: &str) -> Option<String> {
    let needle = format!("Accepted publickey for {user} from 127.0.0.1");
    let text = sshd
        .log
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains(&needle));
    text.lines()
        .find(|l| l.contains(&needle))
        .map(str::to_string)
}

#[test]
fn user_certificates_are_accepted_by_sshd_and_wrong_ones_refused() {
    let dir = TempDir::new("client-user-certs");
    let user = current_user();
    let ca = dir.join("user_ca");
    ssh_keygen("ed25519", None, &ca);
    let ca_pub = ca.with_extension("pub");
    let trusted = format!("TrustedUserCAKeys {}", ca_pub.display());
    let accepted_algs = format!("PubkeyAcceptedAlgorithms {}", all_algs());
    let sshd = start_sshd_config(&dir, &[], &[&trusted, &accepted_algs]);
    let known_hosts = format!("UserKnownHostsFile={}", dir.join("known_hosts").display());
    let base = |extra: &[&str]| -> Vec<String> {
        ["-o", "StrictHostKeyChecking=no", "-o", &known_hosts]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let dest = format!("{user}@127.0.0.1");

    // (name, key type, bits, certificate label in sshd's log, how the certificate is found).
    let cases = [
        ("ed25519", "ed25519", None, "ED25519-CERT", false),
        ("ecdsa256", "ecdsa", Some(256), "ECDSA-CERT", false),
        ("rsa3072", "rsa", Some(3072), "RSA-CERT", false),
        ("ed25519-certfile", "ed25519", None, "ED25519-CERT", true),
    ];
    let mut failures = Failures::new("user certificate -> sshd", cases.len() + 2);
    for (name, ty, bits, label, certfile) in cases {
        let key = dir.join(format!("user_{name}"));
        ssh_keygen(ty, bits, &key);
        sign(&ca, &format!("id-{name}"), &["-n", &user], &key);
        let mut extra = vec!["-i".to_string(), key.display().to_string()];
        if certfile {
            // Elsewhere than beside the key: only CertificateFile finds it.
            let moved = dir.join(format!("elsewhere-{name}.pub"));
            std::fs::rename(cert_of(&key), &moved).unwrap();
            extra.extend(["-o".into(), format!("CertificateFile={}", moved.display())]);
        }
        let args: Vec<String> = base(&[]).into_iter().chain(extra).collect();
        let mark = sshd.log.mark();
        let out = client(&dir, sshd.port, &args, &dest, name);
        let mut problems = Vec::new();
        if !out.success() || out.stdout != "certs-ok\n" {
            problems.push(format!(
                "exit {} stdout {:?}",
                out.status_text(),
                out.stdout
            ));
        }
        match accepted(&sshd, mark, &user) {
            Some(l)
                if l.contains(&format!("{label} SHA256:"))
                    && l.contains(&format!("ID id-{name}")) => {}
            Some(l) => problems.push(format!("sshd accepted something else: {l}")),
            None => problems.push("sshd logged no `Accepted publickey`".into()),
        }
        if name == "rsa3072"
            && !sshd
                .log
                .since(mark)
                .contains("rsa-sha2-512-cert-v01@openssh.com")
        {
            problems.push("the RSA certificate was not offered as rsa-sha2-512-cert-v01".into());
        }
        if problems.is_empty() {
            failures.pass(name);
        } else {
            failures.add(
                name,
                format!(
                    "{}\n{}\nsshd:\n{}",
                    problems.join("\n"),
                    out.report(30),
                    tail(&sshd.log.since(mark), 30)
                ),
            );
        }
    }

    // Certificates sshd must refuse: another principal, and one that expired in 2020. The
    // plain key is not authorized, so nothing else can log in.
    for (name, args, sshd_says) in [
        (
            "wrong-principal",
            vec!["-n", "someone-else"],
            "name is not a listed principal",
        ),
        (
            "expired",
            vec!["-n", user.as_str(), "-V", "20200101:20200102"],
            "expired",
        ),
    ] {
        let key = dir.join(format!("user_{name}"));
        ssh_keygen("ed25519", None, &key);
        sign(&ca, &format!("id-{name}"), &args, &key);
        let all: Vec<String> = base(&["-i", key.to_str().unwrap()]);
        let mark = sshd.log.mark();
        let out = client(&dir, sshd.port, &all, &dest, name);
        let log = sshd
            .log
            .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains(sshd_says));
        let mut problems = Vec::new();
        if out.success() || out.stdout.contains("certs-ok") {
            problems.push("logged in".to_string());
        }
        if !out.stderr.contains("Permission denied") {
            problems.push("no `Permission denied` from us".into());
        }
        if !log.contains(sshd_says) {
            problems.push(format!("sshd never said `{sshd_says}`"));
        }
        if log.contains(&format!("Accepted publickey for {user}")) {
            problems.push("sshd accepted a key".into());
        }
        if problems.is_empty() {
            failures.pass(name);
        } else {
            failures.add(
                name,
                format!(
                    "{}\n{}\nsshd:\n{}",
                    problems.join("\n"),
                    out.report(30),
                    tail(&log, 30)
                ),
            );
        }
    }
    failures.finish();
}

#[test]
fn host_certificates_are_trusted_through_cert_authority_lines() {
    let dir = TempDir::new("client-host-certs");
    let user = current_user();
    let host_ca = dir.join("host_ca");
    ssh_keygen("ecdsa", Some(384), &host_ca);
    // start_sshd_config makes these host keys; make them first to certify them.
    let keydir = dir.join("sshd-keys");
    std::fs::create_dir_all(&keydir).unwrap();
    let mut lines = Vec::new();
    for (t, bits, name) in [
        ("ed25519", None, "ed25519"),
        ("ecdsa", Some(256), "ecdsa256"),
        ("rsa", Some(3072), "rsa"),
    ] {
        let key = keydir.join(format!("ssh_host_{name}_key"));
        ssh_keygen_if_absent(t, bits, &key);
        // Valid for `localhost` only: `127.0.0.1` is "another host name".
        sign(
            &host_ca,
            &format!("host-{name}"),
            &["-h", "-n", "localhost"],
            &key,
        );
        lines.push(format!("HostCertificate {}", cert_of(&key).display()));
    }
    let hk = all_algs();
    let extra: Vec<&str> = lines.iter().map(String::as_str).collect();
    let sshd = start_sshd_config(&dir, &[(Category::HostKey, &hk)], &extra);
    let ca_line = format!(
        "@cert-authority [localhost]:*,[127.0.0.1]:* {}",
        std::fs::read_to_string(host_ca.with_extension("pub"))
            .unwrap()
            .trim()
    );
    let known = dir.join("known_hosts_ca");
    std::fs::write(&known, format!("{ca_line}\n")).unwrap();
    let args = |extra: &[&str], file: &Path| -> Vec<String> {
        [
            "-i",
            client_key(&dir).to_str().unwrap(),
            "-o",
            &format!("UserKnownHostsFile={}", file.display()),
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
    };

    // (name, HostKeyAlgorithms or default, destination host, certificate label, should log in).
    let cases: [(&str, Option<&str>, &str, &str); 4] = [
        ("default", None, "localhost", "ED25519"),
        (
            "ecdsa",
            Some("ecdsa-sha2-nistp256-cert-v01@openssh.com"),
            "localhost",
            "ECDSA",
        ),
        (
            "rsa",
            Some("rsa-sha2-512-cert-v01@openssh.com"),
            "localhost",
            "RSA",
        ),
        ("other-name", None, "127.0.0.1", "ED25519"),
    ];
    let mut failures = Failures::new("sshd host certificate -> sshgate-host ssh", cases.len() + 1);
    for (name, algs, host, label) in cases {
        let hka;
        let extra: Vec<&str> = match algs {
            Some(a) => {
                hka = format!("HostKeyAlgorithms={a}");
                vec!["-o", &hka]
            }
            None => vec![],
        };
        let mark = sshd.log.mark();
        let out = client(
            &dir,
            sshd.port,
            &args(&extra, &known),
            &format!("{user}@{host}"),
            name,
        );
        let mut problems = Vec::new();
        let good = host == "localhost";
        if good {
            if !out.success() || out.stdout != "certs-ok\n" {
                problems.push(format!(
                    "exit {} stdout {:?}",
                    out.status_text(),
                    out.stdout
                ));
            }
            let said = format!("matches the {label}-CERT host certificate");
            if !out.stderr.contains(&said) {
                problems.push(format!("-v never said `{said}`"));
            }
            if accepted(&sshd, mark, &user).is_none() {
                problems.push("sshd logged no `Accepted publickey`".into());
            }
        } else {
            if out.success() || out.stdout.contains("certs-ok") {
                problems.push("logged in to a host its certificate does not name".into());
            }
            for said in [
                "Certificate invalid: name is not a listed principal",
                "No ED25519 host key is known for [127.0.0.1]",
            ] {
                if !out.stderr.contains(said) {
                    problems.push(format!("we never said `{said}`"));
                }
            }
        }
        // Nothing may have been added to known_hosts: the CA vouched, or we refused.
        let now = std::fs::read_to_string(&known).unwrap();
        if now.trim() != ca_line {
            problems.push(format!("known_hosts changed: {now:?}"));
        }
        if problems.is_empty() {
            failures.pass(name);
        } else {
            failures.add(
                name,
                format!(
                    "{}\n{}\nsshd:\n{}",
                    problems.join("\n"),
                    out.report(40),
                    tail(&sshd.log.since(mark), 20)
                ),
            );
        }
    }

    // The host key itself revoked: refused although the CA vouches for its certificate.
    let revoked = dir.join("known_hosts_revoked");
    let host_pub = std::fs::read_to_string(keydir.join("ssh_host_ed25519_key.pub")).unwrap();
    std::fs::write(
        &revoked,
        format!("{ca_line}\n@revoked * {}", host_pub.trim()),
    )
    .unwrap();
    let out = client(
        &dir,
        sshd.port,
        &args(&[], &revoked),
        &format!("{user}@localhost"),
        "revoked",
    );
    if out.success() || !out.stderr.contains("revoked by file") {
        failures.add(
            "revoked",
            format!("want a refusal naming the revocation\n{}", out.report(30)),
        );
    } else {
        failures.pass("revoked");
    }
    failures.finish();
}
