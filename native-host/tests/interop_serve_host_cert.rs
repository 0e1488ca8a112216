//! An OpenSSH host certificate presented by `sshgate-host serve` (`[server] host_certificates`,
//! sshd's `HostCertificate`), checked by the real OpenSSH client: with a `@cert-authority`
//! known_hosts line for the host CA and `StrictHostKeyChecking=yes`, `ssh` connects without
//! knowing the device's key; with a line for another CA it refuses; a serve without the
//! certificate offers only the plain key, which that known_hosts does not know.

mod support;

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{
    LogFile, ProcessGuard, RunOutput, SSH, TempDir, port_open, require_openssh_client,
    require_ssh_keygen, run_with_timeout, ssh_keygen, sshgate_bin, start_with_retries, tail,
};

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const RUN: Duration = Duration::from_secs(30);

struct Device {
    port: u16,
    log: LogFile,
    _guard: ProcessGuard,
}

/// Starts serve with `host_key` and, if given, `cert` as its host certificate; `lab` logs in
/// with `client_key`.
fn serve(dir: &TempDir, host_key: &Path, cert: Option<&Path>, client_key: &Path) -> Device {
    serve_with(dir, host_key, cert, client_key, "")
}

/// [`serve`] with `tables` (TOML) at the end of the device file.
fn serve_with(
    dir: &TempDir,
    host_key: &Path,
    cert: Option<&Path>,
    client_key: &Path,
    tables: &str,
) -> Device {
    let public = fs::read_to_string(client_key.with_extension("pub")).unwrap();
    let certs = cert.map_or_else(String::new, |c| {
        format!("host_certificates = [{:?}]\n", c.display().to_string())
    });
    let (guard, port, log) = start_with_retries("sshgate-host serve", 3, |attempt, port| {
        let config = format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"router1\"\n\
             host_keys = [{:?}]\n{certs}\n[[users]]\nname = \"lab\"\nprivilege = 15\n\
             authorized_keys = [{:?}]\n{tables}",
            host_key.display().to_string(),
            public.trim()
        );
        let path = dir.join(format!("device-{attempt}.toml"));
        fs::write(&path, &config).unwrap();
        let log_path = dir.join(format!("serve-{attempt}.log"));
        let mut cmd = Command::new(sshgate_bin());
        cmd.arg("serve")
            .arg("--config")
            .arg(&path)
            .env_remove("RUST_LOG")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).unwrap());
        let mut guard = ProcessGuard::spawn("sshgate-host serve", &mut cmd);
        let log = LogFile::new(log_path);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        guard.await_startup(
            Duration::from_millis(50),
            |p| p.exited().is_none() && port_open(addr),
            |status| {
                format!(
                    "serve exited ({status}):\n{config}\n{}",
                    tail(&log.all(), 30)
                )
            },
            || format!("serve did not listen on {addr}:\n{}", tail(&log.all(), 30)),
        )?;
        Ok((guard, port, log))
    });
    Device {
        port,
        log,
        _guard: guard,
    }
}

/// `ssh -v` with only `known_hosts` and `StrictHostKeyChecking=yes`: `show ip ssh` as lab.
fn ssh(dir: &TempDir, d: &Device, known_hosts: &Path, client_key: &Path) -> RunOutput {
    let mut cmd = Command::new(SSH);
    cmd.args(["-v", "-F", "/dev/null"])
        .args(["-o", "StrictHostKeyChecking=yes"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"])
        .arg("-i")
        .arg(client_key)
        .args(["-p", &d.port.to_string(), "lab@127.0.0.1", "show ip ssh"])
        .current_dir(dir.path());
    run_with_timeout(&mut cmd, dir, "ssh", RUN)
}

/// A CA's `@cert-authority` line for every host.
fn cert_authority(dir: &TempDir, ca: &Path, name: &str) -> PathBuf {
    let ca_pub = fs::read_to_string(ca.with_extension("pub")).unwrap();
    let path = dir.join(name);
    fs::write(&path, format!("@cert-authority * {}", ca_pub.trim())).unwrap();
    path
}

#[test]
fn openssh_trusts_the_device_through_its_host_certificate() {
    require_openssh_client();
    require_ssh_keygen();
    let dir = TempDir::new("host-cert");
    let (host_ca, other_ca) = (dir.join("host_ca"), dir.join("other_ca"));
    ssh_keygen("ed25519", None, &host_ca);
    ssh_keygen("ed25519", None, &other_ca);
    let host_key = dir.join("ssh_host_ed25519_key");
    ssh_keygen("ed25519", None, &host_key);
    let client_key = dir.join("id_ed25519");
    ssh_keygen("ed25519", None, &client_key);
    let out = Command::new(SSH_KEYGEN)
        .args(["-q", "-s"])
        .arg(&host_ca)
        .args([
            "-h",
            "-I",
            "router1-host",
            "-z",
            "9",
            "-n",
            "127.0.0.1,router1",
        ])
        .arg(host_key.with_extension("pub"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let cert = dir.join("ssh_host_ed25519_key-cert.pub");
    let trusted = cert_authority(&dir, &host_ca, "known_hosts");
    let untrusted = cert_authority(&dir, &other_ca, "known_hosts_other");

    let d = serve(&dir, &host_key, Some(&cert), &client_key);
    let run = ssh(&dir, &d, &trusted, &client_key);
    let ctx = || format!("{}\n{}", run.report(30), tail(&d.log.all(), 30));
    assert!(run.success(), "{}", ctx());
    assert!(
        run.stdout.starts_with("SSH Enabled - version 2.0"),
        "{}",
        ctx()
    );
    assert!(
        run.stderr
            .contains("Server host certificate: ssh-ed25519-cert-v01@openssh.com")
            && run.stderr.contains(r#"serial 9 ID "router1-host""#),
        "{}",
        ctx()
    );
    assert!(
        run.stderr
            .contains("matches the ED25519-CERT host certificate"),
        "{}",
        ctx()
    );
    assert!(
        d.log
            .all()
            .contains(r#"hostkey="ssh-ed25519-cert-v01@openssh.com""#),
        "{}",
        ctx()
    );
    // The show ip ssh line lists the certificate algorithm first.
    assert!(
        run.stdout
            .contains("Hostkey Algorithms:ssh-ed25519-cert-v01@openssh.com,ssh-ed25519"),
        "{}",
        ctx()
    );

    // Another CA's line does not vouch for it.
    let run = ssh(&dir, &d, &untrusted, &client_key);
    let ctx = || format!("{}\n{}", run.report(30), tail(&d.log.all(), 30));
    assert!(!run.success(), "{}", ctx());
    assert!(
        run.stderr.contains("Host key verification failed"),
        "{}",
        ctx()
    );
    drop(d);

    // Only the certificate algorithm offered: serve starts, and the client takes it.
    let d = serve_with(
        &dir,
        &host_key,
        Some(&cert),
        &client_key,
        "[algorithms]\nhostkey = [\"ssh-ed25519-cert-v01@openssh.com\"]\n",
    );
    let run = ssh(&dir, &d, &trusted, &client_key);
    assert!(
        run.success(),
        "{}\n{}",
        run.report(30),
        tail(&d.log.all(), 30)
    );
    drop(d);

    // Without the certificate the plain key is all there is, and the CA line does not know it.
    let d = serve(&dir, &host_key, None, &client_key);
    let run = ssh(&dir, &d, &trusted, &client_key);
    let ctx = || format!("{}\n{}", run.report(30), tail(&d.log.all(), 30));
    assert!(!run.success(), "{}", ctx());
    assert!(
        run.stderr.contains("Host key verification failed"),
        "{}",
        ctx()
    );
}

#[test]
fn a_certificate_of_no_host_key_or_a_user_certificate_stops_serve() {
    require_ssh_keygen();
    let dir = TempDir::new("host-cert-bad");
    let ca = dir.join("ca");
    ssh_keygen("ed25519", None, &ca);
    let host_key = dir.join("ssh_host_ed25519_key");
    ssh_keygen("ed25519", None, &host_key);
    let stranger = dir.join("stranger");
    ssh_keygen("ed25519", None, &stranger);
    let sign = |key: &Path, host: bool| {
        let mut cmd = Command::new(SSH_KEYGEN);
        cmd.args(["-q", "-s"])
            .arg(&ca)
            .args(["-I", "x", "-n", "router1"]);
        if host {
            cmd.arg("-h");
        }
        let out = cmd.arg(key.with_extension("pub")).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        PathBuf::from(format!("{}-cert.pub", key.display()))
    };
    let foreign = sign(&stranger, true);
    let user_cert = sign(&host_key, false);
    for (cert, why) in [
        (&foreign, "none of the host keys"),
        (&user_cert, "a user certificate"),
    ] {
        let config = dir.join("bad.toml");
        fs::write(
            &config,
            format!(
                "[server]\nlisten = [\"127.0.0.1:1\"]\nhost_keys = [{:?}]\n\
                 host_certificates = [{:?}]\n",
                host_key.display().to_string(),
                cert.display().to_string()
            ),
        )
        .unwrap();
        let out = Command::new(sshgate_bin())
            .args(["serve", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(err.contains(why), "{why}: {err}");
    }
}
