//! OpenSSH user certificates into `sshgate-host serve` (`[server] trusted_user_ca_keys`, sshd's
//! `TrustedUserCAKeys`), with the real OpenSSH client and certificates signed by
//! `ssh-keygen -s`:
//! - ed25519, ECDSA and RSA user certificates log in (RSA signing as `rsa-sha2-*-cert-v01`);
//! - refused: a principal that is not the user, an expired or not yet valid certificate, a
//!   `source-address` that does not admit 127.0.0.1, an unknown critical option, a CA not in
//!   the file (the plain key under the certificate is not authorized either, so each refusal
//!   is the certificate's);
//! - `authorized_principals` replaces the user-name rule;
//! - a `cert-authority` line in a user's authorized_keys trusts its CA for that user, its
//!   `principals=` replacing the user-name rule and its `no-pty` narrowing the certificate's;
//! - `force-command` runs instead of the client's command; without `permit-pty` no PTY,
//!   without `permit-port-forwarding` no forwarding (the user's `permit_open` allows it);
//! - the log names the certificate's key id, serial and CA, as sshd's `Accepted publickey`
//!   line does.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, RunOutput, SSH, TempDir, require_ssh_keygen, run_with_timeout,
    ssh_keygen, start_device,
};

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const RUN: Duration = Duration::from_secs(30);
/// What `show ip ssh` prints first on the device CLI.
const SHOW_IP_SSH: &str = "SSH Enabled - version 2.0";

/// The CAs and the running device: `lab` (device CLI, privilege 15; the user-name rule),
/// `ops` (`authorized_principals = ["oncall"]`).
struct Lab {
    certs: TempDir,
    ca: PathBuf,
    other_ca: PathBuf,
    server: DeviceServer,
}

fn lab(label: &str) -> Lab {
    require_ssh_keygen();
    let certs = TempDir::new(&format!("{label}-ca"));
    let ca = certs.join("user_ca");
    let other_ca = certs.join("other_ca");
    ssh_keygen("ed25519", None, &ca);
    ssh_keygen("ed25519", None, &other_ca);
    let trusted = certs.join("trusted_user_ca_keys");
    // A comment and a blank line, as a hand-written TrustedUserCAKeys file has.
    let ca_pub = std::fs::read_to_string(certs.join("user_ca.pub")).unwrap();
    std::fs::write(&trusted, format!("# lab CA\n\n{ca_pub}")).unwrap();
    let extra = format!(
        "trusted_user_ca_keys = {:?}\n",
        trusted.display().to_string()
    );
    // `kid` trusts the other CA itself, as sshd's authorized_keys `cert-authority` lines.
    let other_pub = std::fs::read_to_string(certs.join("other_ca.pub")).unwrap();
    let kid_line = format!(
        r#"cert-authority,principals="ops-team",no-pty {}"#,
        other_pub.trim()
    );
    let kid = format!("authorized_keys = [{kid_line:?}]");
    let server = start_device(
        label,
        &extra,
        &[
            DeviceUser {
                name: "lab",
                privilege: 15,
                // Forwarding to serve itself, for the permit-port-forwarding test.
                extra: Some("certificate = true\npermit_open = [\"127.0.0.1:*\"]"),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "ops",
                privilege: 1,
                extra: Some(r#"authorized_principals = ["oncall"]"#),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "kid",
                privilege: 1,
                extra: Some(&kid),
                ..DeviceUser::default()
            },
        ],
    );
    Lab {
        certs,
        ca,
        other_ca,
        server,
    }
}

impl Lab {
    /// A new `key_type` key named `name`, signed by `ca` with `-I id-NAME -z serial` and
    /// `options`; returns the private key's path (the certificate is beside it).
    fn cert(&self, name: &str, key_type: &str, ca: &Path, options: &[&str]) -> PathBuf {
        let key = self.certs.join(name);
        let bits = (key_type == "rsa").then_some(3072);
        ssh_keygen(key_type, bits, &key);
        let mut cmd = Command::new(SSH_KEYGEN);
        cmd.args(["-q", "-s"])
            .arg(ca)
            .args(["-I", &format!("id-{name}"), "-z", "4242"])
            .args(options)
            .arg(key.with_extension("pub"));
        let out = cmd.output().expect("run ssh-keygen -s");
        assert!(
            out.status.success(),
            "ssh-keygen -s failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(key.with_file_name(format!("{name}-cert.pub")).exists());
        key
    }

    /// `ssh -i KEY -o CertificateFile=KEY-cert.pub <args> user@127.0.0.1 <after>`.
    fn ssh(&self, key: &Path, user: &str, args: &[&str], after: &[&str]) -> RunOutput {
        let cert = format!("{}-cert.pub", key.display());
        let mut cmd = Command::new(SSH);
        cmd.args(self.server.client_options())
            .arg("-i")
            .arg(key)
            .args(["-o", &format!("CertificateFile={cert}")])
            .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"])
            .args(["-o", "BatchMode=yes"])
            .args(["-o", "PreferredAuthentications=publickey"])
            .args(["-o", "LogLevel=ERROR"])
            .args(args)
            .arg(DeviceServer::dest(user))
            .args(after)
            .current_dir(self.server.dir.path());
        run_with_timeout(&mut cmd, &self.server.dir, user, RUN)
    }

    /// Logs in as `user` with `key` and checks `show ip ssh` ran.
    fn logs_in(&self, key: &Path, user: &str) {
        let out = self.ssh(key, user, &[], &["show ip ssh"]);
        let ctx = || format!("{}\n{}", out.report(20), self.server.report());
        assert!(out.success(), "{}", ctx());
        assert!(out.stdout.starts_with(SHOW_IP_SSH), "{}", ctx());
    }

    /// `user` with `key` is refused, and the log says `why`.
    fn refused(&self, key: &Path, user: &str, why: &str) {
        let mark = self.server.log.mark();
        let out = self.ssh(key, user, &[], &["show ip ssh"]);
        let log = self
            .server
            .log
            .wait_since(mark, Duration::from_secs(5), |l| l.contains(why));
        let ctx = || format!("{}\n{}", out.report(20), self.server.report());
        assert!(!out.success(), "logged in:\n{}", ctx());
        assert!(
            out.stderr.contains("Permission denied (publickey"),
            "{}",
            ctx()
        );
        assert!(!out.stdout.contains(SHOW_IP_SSH), "{}", ctx());
        assert!(
            log.contains("Certificate refused") && log.contains(why),
            "no refusal naming {why:?} in the log:\n{}",
            ctx()
        );
    }
}

#[test]
fn ed25519_user_certificate_logs_in_and_the_log_names_it() {
    let l = lab("cert-ed25519");
    let key = l.cert("alice", "ed25519", &l.ca, &["-n", "lab"]);
    let mark = l.server.log.mark();
    l.logs_in(&key, "lab");
    // The audit line at the end names the certificate too.
    let log = l.server.log.wait_since(mark, Duration::from_secs(5), |l| {
        l.contains("session ended")
    });
    assert!(
        log.lines().any(|l| l.contains("sshgate::audit")
            && l.contains("user=lab")
            && l.contains("ID id-alice (serial 4242)")),
        "{}",
        l.server.report()
    );
    // `show ip ssh` lists the certificate algorithms users may log in with.
    let out = l.ssh(&key, "lab", &[], &["show ip ssh"]);
    let pubkey_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Authentication Publickey Algorithms:"))
        .unwrap_or_default();
    assert!(
        pubkey_line.contains(",ssh-ed25519-cert-v01@openssh.com,")
            && pubkey_line.contains("rsa-sha2-512-cert-v01@openssh.com"),
        "{}",
        out.report(20)
    );
    assert!(
        log.contains("Accepted publickey for lab from 127.0.0.1 port ")
            && log.contains(" ssh2: ED25519-CERT SHA256:")
            && log.contains("ID id-alice (serial 4242) CA ED25519 SHA256:"),
        "{}",
        l.server.report()
    );
}

#[test]
fn ecdsa_and_rsa_user_certificates_log_in() {
    let l = lab("cert-ecdsa-rsa");
    let ecdsa = l.cert("ec", "ecdsa", &l.ca, &["-n", "lab"]);
    l.logs_in(&ecdsa, "lab");
    let rsa = l.cert("rs", "rsa", &l.ca, &["-n", "lab"]);
    let mark = l.server.log.mark();
    l.logs_in(&rsa, "lab");
    assert!(
        l.server.log.since(mark).contains("ssh2: RSA-CERT SHA256:"),
        "{}",
        l.server.report()
    );
}

#[test]
fn authorized_principals_replace_the_user_name() {
    let l = lab("cert-principals");
    let oncall = l.cert("oncall", "ed25519", &l.ca, &["-n", "oncall"]);
    let out = l.ssh(&oncall, "ops", &[], &["show ip ssh"]);
    assert!(
        out.success() && out.stdout.starts_with(SHOW_IP_SSH),
        "{}\n{}",
        out.report(20),
        l.server.report()
    );
    // The user's own name is not enough once the user lists principals.
    let named = l.cert("named", "ed25519", &l.ca, &["-n", "ops"]);
    l.refused(&named, "ops", "no principal");
}

#[test]
fn wrong_principal_expired_not_yet_valid_and_untrusted_ca_are_refused() {
    let l = lab("cert-refusals");
    let wrong = l.cert("wrong", "ed25519", &l.ca, &["-n", "admin,root"]);
    l.refused(&wrong, "lab", "no principal");
    let none = l.cert("none", "ed25519", &l.ca, &[]);
    l.refused(&none, "lab", "no principal");
    let expired = l.cert(
        "expired",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-V", "20200101:20200201"],
    );
    l.refused(&expired, "lab", "certificate not valid now");
    let future = l.cert(
        "future",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-V", "+52w:+53w"],
    );
    l.refused(&future, "lab", "certificate not valid now");
    let untrusted = l.cert("untrusted", "ed25519", &l.other_ca, &["-n", "lab"]);
    l.refused(
        &untrusted,
        "lab",
        "CA is not listed in trusted_user_ca_keys",
    );
}

#[test]
fn source_address_and_unknown_critical_options_are_enforced() {
    let l = lab("cert-options");
    let elsewhere = l.cert(
        "elsewhere",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-O", "source-address=10.0.0.0/8,192.0.2.1"],
    );
    l.refused(&elsewhere, "lab", "source-address 10.0.0.0/8,192.0.2.1");
    let here = l.cert(
        "here",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-O", "source-address=10.0.0.0/8,127.0.0.0/8"],
    );
    l.logs_in(&here, "lab");
    let unknown = l.cert(
        "unknown",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-O", "critical:frobnicate@example.com=yes"],
    );
    l.refused(
        &unknown,
        "lab",
        "unknown critical option frobnicate@example.com",
    );
}

#[test]
fn force_command_runs_instead_of_the_clients_and_no_pty_without_permit_pty() {
    let l = lab("cert-force");
    let forced = l.cert(
        "forced",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-O", "force-command=show ip ssh"],
    );
    let out = l.ssh(&forced, "lab", &[], &["show users"]);
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(out.success(), "{}", ctx());
    assert!(out.stdout.starts_with(SHOW_IP_SSH), "{}", ctx());

    // -O clear drops every extension, permit-pty included: the PTY request is refused (which
    // `ssh -tt` takes as fatal).
    let no_pty = l.cert("nopty", "ed25519", &l.ca, &["-n", "lab", "-O", "clear"]);
    let mark = l.server.log.mark();
    let out = l.ssh(&no_pty, "lab", &["-tt"], &["show ip ssh"]);
    let log = l
        .server
        .log
        .wait_since(mark, Duration::from_secs(5), |l| l.contains("PTY refused"));
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(log.contains("PTY refused"), "{}", ctx());
    assert!(
        out.stderr.contains("PTY allocation request failed"),
        "{}",
        ctx()
    );
    // With the default extensions the same request gets its PTY.
    let pty = l.cert("pty", "ed25519", &l.ca, &["-n", "lab"]);
    let out = l.ssh(&pty, "lab", &["-tt"], &["show ip ssh"]);
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(out.success(), "{}", ctx());
    assert!(
        !out.stderr.contains("PTY allocation request failed"),
        "{}",
        ctx()
    );
}

#[test]
fn no_forwarding_without_permit_port_forwarding() {
    let l = lab("cert-forward");
    let target = format!("127.0.0.1:{}", l.server.port);
    // The default extensions permit forwarding: `ssh -W` to serve itself reads its banner.
    let allowed = l.cert("fwd", "ed25519", &l.ca, &["-n", "lab"]);
    let out = l.ssh(&allowed, "lab", &["-W", &target], &[]);
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(out.stdout.starts_with("SSH-2.0-"), "{}", ctx());
    // -O no-port-forwarding drops it: the channel is refused.
    let denied = l.cert(
        "nofwd",
        "ed25519",
        &l.ca,
        &["-n", "lab", "-O", "no-port-forwarding"],
    );
    let out = l.ssh(&denied, "lab", &["-W", &target], &[]);
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(!out.stdout.contains("SSH-2.0-"), "{}", ctx());
    assert!(out.stderr.contains("stdio forwarding failed"), "{}", ctx());
}

#[test]
fn an_authorized_keys_cert_authority_line_trusts_its_ca_for_that_user() {
    let l = lab("cert-authority-line");
    let team = l.cert("team", "ed25519", &l.other_ca, &["-n", "ops-team"]);
    let out = l.ssh(&team, "kid", &[], &["show ip ssh"]);
    let ctx = || format!("{}\n{}", out.report(20), l.server.report());
    assert!(
        out.success() && out.stdout.starts_with(SHOW_IP_SSH),
        "{}",
        ctx()
    );
    // The line's no-pty narrows the certificate's permit-pty.
    let mark = l.server.log.mark();
    let _ = l.ssh(&team, "kid", &["-tt"], &["show ip ssh"]);
    let log = l
        .server
        .log
        .wait_since(mark, Duration::from_secs(5), |l| l.contains("PTY refused"));
    assert!(log.contains("PTY refused"), "{}", l.server.report());
    // principals= replaces the user name.
    let named = l.cert("kidname", "ed25519", &l.other_ca, &["-n", "kid"]);
    l.refused(&named, "kid", "no principal");
    // The line is kid's: the same certificate does not log in as lab.
    let team_lab = l.cert("teamlab", "ed25519", &l.other_ca, &["-n", "ops-team,lab"]);
    l.refused(&team_lab, "lab", "CA is not listed");
}
