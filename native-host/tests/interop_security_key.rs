//! FIDO security key logins (`sk-ecdsa-sha2-nistp256@openssh.com`) against real servers:
//! OpenSSH's `sshd` and `sshgate-host serve`. OpenSSH's own client signs with a security key
//! only through hardware, so the client is the engine with external signing
//! (`auth_publickey_external` / `SignRequest` / `answer_sign_request`) and the authenticator is
//! a software P-256 key that signs exactly what a FIDO2 authenticator signs: as a browser's
//! WebAuthn assertion (clientDataJSON whose challenge is the SSH signed data, authenticator
//! data with the RP ID hash, flags and counter: `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`)
//! or as OpenSSH's plain U2F/CTAP signature. Both servers must accept the same signatures and
//! refuse the same ones (no user presence; no user verification under `verify-required`).
//!
//! The real OpenSSH client signs too, through its `SecurityKeyProvider` middleware interface:
//! `support/sk_soft_provider.c` (built here with `cc` and OpenSSL's libcrypto) is a software
//! authenticator for `ssh-keygen -t ecdsa-sk` and `ssh`, whose keys (application `ssh:`) log into
//! serve with OpenSSH's own plain signatures.

mod support;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use sshgate::Event;
use sshgate::keys::{PublicKey, webauthn_signature_blob};
use sshgate::userauth::AuthEvent;
use sshgate::wire::Writer;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::*;

const WAIT: Duration = Duration::from_secs(20);
/// The relying party the page registers the credential for, and so the key's application.
const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:5173";
const UP: u8 = 0x01;
const UV: u8 = 0x04;

/// A software FIDO2 authenticator with one credential.
struct Authenticator {
    key: SigningKey,
    counter: u32,
}

impl Authenticator {
    fn new(seed: u8) -> Self {
        Authenticator {
            key: SigningKey::from_slice(&[seed; 32]).unwrap(),
            counter: 0,
        }
    }

    fn public(&self) -> PublicKey {
        let q = self.key.verifying_key().to_sec1_point(false);
        PublicKey::security_key_ecdsa(q.as_bytes(), RP).unwrap()
    }

    /// The authorized_keys line the page shows after registering.
    fn line(&self) -> String {
        format!(
            "{} {} webauthn@test",
            self.public().key_type(),
            Base64::encode_string(&self.public().to_blob())
        )
    }

    fn auth_data(&mut self, flags: u8) -> Vec<u8> {
        self.counter += 1;
        let mut a = Sha256::digest(RP.as_bytes()).to_vec();
        a.push(flags);
        a.extend_from_slice(&self.counter.to_be_bytes());
        a
    }

    /// What `navigator.credentials.get({ challenge: data })` returns, as the SSH blob.
    fn webauthn(&mut self, data: &[u8], flags: u8) -> Vec<u8> {
        let cdj = format!(
            "{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":false}}",
            Base64UrlUnpadded::encode_string(data)
        );
        let auth = self.auth_data(flags);
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(cdj.as_bytes()));
        let sig: Signature = self.key.sign(&signed);
        webauthn_signature_blob(data, &auth, cdj.as_bytes(), sig.to_der().as_bytes()).unwrap()
    }

    /// OpenSSH's plain security key signature (PROTOCOL.u2f), as a USB key makes it.
    fn plain(&mut self, data: &[u8], flags: u8) -> Vec<u8> {
        let mut signed = self.auth_data(flags);
        signed.extend_from_slice(&Sha256::digest(data));
        let sig: Signature = self.key.sign(&signed);
        let (r, s) = sig.split_bytes();
        let mut rs = Writer::new();
        rs.mpint(&r).mpint(&s);
        let mut w = Writer::new();
        w.string(b"sk-ecdsa-sha2-nistp256@openssh.com")
            .string(rs.as_slice())
            .u8(flags)
            .u32(self.counter);
        w.into_vec()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Logged in.
    Accepted,
    /// The key was accepted (PK_OK) but the signed request refused.
    SignatureRefused,
    /// The key itself was refused (no signature asked for).
    KeyRefused,
}

#[derive(Clone, Copy)]
enum Format {
    Webauthn,
    Plain,
}

/// One login as `user` with `a`'s key, its signature made with `flags`.
fn login(port: u16, user: &str, a: &mut Authenticator, format: Format, flags: u8) -> Outcome {
    let mut c = EngineClient::connect(port).expect("connect");
    c.handshake(WAIT).expect("handshake");
    c.conn
        .auth_publickey_external(user, a.public(), None)
        .expect("publickey query");
    let mut signed = false;
    let mut outcome = None;
    c.run_until(WAIT, |conn, ev| match ev {
        Event::Auth(AuthEvent::SignRequest { id, data, alg, .. }) => {
            assert_eq!(alg, "sk-ecdsa-sha2-nistp256@openssh.com");
            let blob = match format {
                Format::Webauthn => a.webauthn(data, flags),
                Format::Plain => a.plain(data, flags),
            };
            conn.answer_sign_request(*id, &blob)
                .expect("the engine takes the signature");
            signed = true;
            false
        }
        Event::Auth(AuthEvent::Success) => {
            outcome = Some(Outcome::Accepted);
            true
        }
        Event::Auth(AuthEvent::Failure { .. }) => {
            outcome = Some(if signed {
                Outcome::SignatureRefused
            } else {
                Outcome::KeyRefused
            });
            true
        }
        _ => false,
    })
    .expect("an answer to the login");
    c.conn.disconnect("done");
    let _ = c.flush();
    outcome.expect("an outcome")
}

/// serve with user `lab` whose authorized_keys are `lines`.
fn serve(label: &str, lines: &[String]) -> DeviceServer {
    let keys = toml_list(lines);
    let extra = format!("authorized_keys = {keys}");
    start_device(
        label,
        "",
        &[DeviceUser {
            name: "lab",
            privilege: 15,
            extra: Some(&extra),
            ..DeviceUser::default()
        }],
    )
}

/// sshd (public keys only; `PubkeyAcceptedAlgorithms` as OpenSSH 9.2's default has it for
/// these keys: the key type's name, not the webauthn one) whose authorized_keys are `lines`.
fn sshd(dir: &TempDir, lines: &[String]) -> Sshd {
    let s = start_sshd_config(
        dir,
        &[],
        &["PubkeyAcceptedAlgorithms sk-ecdsa-sha2-nistp256@openssh.com,ssh-ed25519"],
    );
    fs::write(dir.join("authorized_keys"), lines.join("\n") + "\n").unwrap();
    s
}

#[test]
fn sshd_accepts_webauthn_and_plain_signatures() {
    let dir = TempDir::new("sk-sshd-ok");
    let mut a = Authenticator::new(31);
    let s = sshd(&dir, &[a.line()]);
    let user = current_user();
    let mark = s.log.mark();
    assert_eq!(
        login(s.port, &user, &mut a, Format::Webauthn, UP | UV),
        Outcome::Accepted,
        "{}",
        tail(&s.log.all(), 40)
    );
    let text = s.log.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains("Accepted publickey")
    });
    assert!(text.contains("ECDSA-SK"), "{}", tail(&text, 40));
    assert_eq!(
        login(s.port, &user, &mut a, Format::Plain, UP),
        Outcome::Accepted,
        "{}",
        tail(&s.log.all(), 40)
    );
}

#[test]
fn sshd_requires_presence_and_verification_as_the_line_says() {
    let dir = TempDir::new("sk-sshd-flags");
    let mut a = Authenticator::new(32);
    let mut b = Authenticator::new(33);
    let mut c = Authenticator::new(34);
    let s = sshd(
        &dir,
        &[
            a.line(),
            format!("verify-required {}", b.line()),
            format!("no-touch-required {}", c.line()),
        ],
    );
    let user = current_user();
    let mark = s.log.mark();
    assert_eq!(
        login(s.port, &user, &mut a, Format::Webauthn, UV),
        Outcome::SignatureRefused
    );
    let text = s
        .log
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains("user presence"));
    assert!(text.contains("user presence"), "{}", tail(&text, 40));
    assert_eq!(
        login(s.port, &user, &mut b, Format::Webauthn, UP),
        Outcome::SignatureRefused
    );
    assert_eq!(
        login(s.port, &user, &mut b, Format::Webauthn, UP | UV),
        Outcome::Accepted
    );
    assert_eq!(
        login(s.port, &user, &mut c, Format::Webauthn, 0),
        Outcome::Accepted
    );
    let mut stranger = Authenticator::new(35);
    assert_eq!(
        login(s.port, &user, &mut stranger, Format::Webauthn, UP),
        Outcome::KeyRefused
    );
}

#[test]
fn serve_accepts_webauthn_and_plain_signatures() {
    let mut a = Authenticator::new(41);
    let s = serve("sk-serve-ok", &[a.line()]);
    let mark = s.log.mark();
    assert_eq!(
        login(s.port, "lab", &mut a, Format::Webauthn, UP | UV),
        Outcome::Accepted,
        "{}",
        s.report()
    );
    let text = s.log.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains("method=\"publickey\" authenticated=true")
    });
    assert!(
        text.contains("Accepted publickey for lab from 127.0.0.1: ECDSA-SK SHA256:"),
        "{}",
        s.report()
    );
    assert!(
        text.contains(ORIGIN),
        "the origin is logged: {}",
        s.report()
    );
    assert!(
        text.contains("method=\"publickey\" authenticated=true"),
        "the audit line: {}",
        s.report()
    );
    assert_eq!(
        login(s.port, "lab", &mut a, Format::Plain, UP),
        Outcome::Accepted,
        "{}",
        s.report()
    );
}

#[test]
fn serve_requires_presence_and_verification_as_the_line_says() {
    let mut a = Authenticator::new(42);
    let mut b = Authenticator::new(43);
    let mut c = Authenticator::new(44);
    let s = serve(
        "sk-serve-flags",
        &[
            a.line(),
            format!("verify-required {}", b.line()),
            format!("no-touch-required {}", c.line()),
        ],
    );
    let mark = s.log.mark();
    assert_eq!(
        login(s.port, "lab", &mut a, Format::Webauthn, UV),
        Outcome::SignatureRefused,
        "{}",
        s.report()
    );
    let text = s
        .log
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains("user presence"));
    assert!(
        text.contains("rejected: user presence (authenticator touch) requirement not met"),
        "{}",
        s.report()
    );
    assert_eq!(
        login(s.port, "lab", &mut a, Format::Plain, 0),
        Outcome::SignatureRefused
    );
    assert_eq!(
        login(s.port, "lab", &mut b, Format::Webauthn, UP),
        Outcome::SignatureRefused
    );
    assert!(
        s.log
            .all()
            .contains("rejected: user verification requirement not met"),
        "{}",
        s.report()
    );
    assert_eq!(
        login(s.port, "lab", &mut b, Format::Webauthn, UP | UV),
        Outcome::Accepted
    );
    assert_eq!(
        login(s.port, "lab", &mut c, Format::Plain, 0),
        Outcome::Accepted
    );
    let mut stranger = Authenticator::new(45);
    assert_eq!(
        login(s.port, "lab", &mut stranger, Format::Webauthn, UP),
        Outcome::KeyRefused
    );
    assert_eq!(
        login(s.port, "nobody", &mut a, Format::Webauthn, UP),
        Outcome::KeyRefused
    );
}

/// The software authenticator for OpenSSH (`SecurityKeyProvider`), built into `dir`.
fn soft_provider(dir: &TempDir) -> PathBuf {
    require_tool(
        "/usr/bin/cc",
        "install a C compiler and OpenSSL's headers (Debian: `apt-get install gcc libssl-dev`)",
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sk_soft_provider.c");
    let so = dir.join("sk_soft_provider.so");
    let out = Command::new("/usr/bin/cc")
        .args(["-Wall", "-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&src)
        .arg("-lcrypto")
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "building the software security key provider failed (Debian: apt-get install libssl-dev):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

/// `ssh-keygen -t ecdsa-sk -w PROVIDER [options]` into `dir/name`; returns the public line.
fn sk_keygen(dir: &TempDir, provider: &Path, name: &str, options: &[&str]) -> String {
    require_ssh_keygen();
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-t", "ecdsa-sk", "-w"]).arg(provider);
    for o in options {
        cmd.args(["-O", o]);
    }
    let out = cmd
        .args(["-N", "", "-C", name, "-f"])
        .arg(dir.join(name))
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen -t ecdsa-sk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(dir.join(format!("{name}.pub")))
        .unwrap()
        .trim()
        .to_string()
}

/// `ssh -i dir/name` (its security key through `provider`) to 127.0.0.1:`port` as `user`,
/// running `echo sk-ok`; `flags` makes the authenticator report those flags instead of the
/// asked ones.
fn ssh_sk(
    port: u16,
    dir: &TempDir,
    provider: &Path,
    name: &str,
    user: &str,
    flags: Option<u8>,
) -> RunOutput {
    let mut cmd = Command::new(SSH);
    cmd.args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .args(["-o", "ConnectTimeout=10", "-p", &port.to_string(), "-i"])
        .arg(dir.join(name))
        .arg("-o")
        .arg(format!("SecurityKeyProvider={}", provider.display()))
        .args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "BatchMode=yes",
        ])
        .args(["-o", "PreferredAuthentications=publickey"])
        .arg(format!("{user}@127.0.0.1"))
        .arg("echo sk-ok")
        .env_remove("SK_SOFT_FLAGS");
    if let Some(f) = flags {
        cmd.env("SK_SOFT_FLAGS", f.to_string());
    }
    run_with_timeout(&mut cmd, dir, &format!("ssh -i {name}"), RUN_TIMEOUT)
}

/// The same software authenticator against OpenSSH's own sshd: it is a faithful one (what
/// serve accepts from it, the reference accepts, and refuses the same).
#[test]
fn the_software_authenticator_satisfies_sshd() {
    let dir = TempDir::new("sk-openssh-sshd");
    let provider = soft_provider(&dir);
    let line = sk_keygen(&dir, &provider, "id_sk", &[]);
    let s = sshd(&dir, &[line]);
    let user = current_user();
    let r = ssh_sk(s.port, &dir, &provider, "id_sk", &user, None);
    assert!(r.success(), "{}\n{}", r.report(30), tail(&s.log.all(), 40));
    assert_eq!(r.stdout, "sk-ok\n");
    let r = ssh_sk(s.port, &dir, &provider, "id_sk", &user, Some(0));
    assert!(!r.success(), "{}", r.report(30));
    assert!(
        s.log.all().contains("user presence"),
        "{}",
        tail(&s.log.all(), 40)
    );
}

#[test]
fn openssh_security_keys_log_into_serve() {
    let dir = TempDir::new("sk-openssh-serve");
    let provider = soft_provider(&dir);
    let touch = sk_keygen(&dir, &provider, "id_sk", &[]);
    let no_touch = sk_keygen(&dir, &provider, "id_sk_nt", &["no-touch-required"]);
    let verify = sk_keygen(&dir, &provider, "id_sk_v", &["verify-required"]);
    assert!(
        touch.starts_with("sk-ecdsa-sha2-nistp256@openssh.com "),
        "{touch}"
    );
    let keys = toml_list(&[
        touch.clone(),
        format!("no-touch-required {no_touch}"),
        format!("verify-required {verify}"),
    ]);
    let extra = format!("authorized_keys = {keys}");
    let s = start_device(
        "sk-openssh",
        "",
        &[DeviceUser {
            name: "lab",
            privilege: 15,
            command: Some(SHELL_COMMAND),
            extra: Some(&extra),
            ..DeviceUser::default()
        }],
    );
    // A touched key (OpenSSH's plain sk signature, application "ssh:").
    let r = ssh_sk(s.port, &dir, &provider, "id_sk", "lab", None);
    assert!(r.success(), "{}\n{}", r.report(30), s.report());
    assert_eq!(r.stdout, "sk-ok\n");
    let log = s.log.all();
    assert!(
        log.contains("Accepted publickey for lab from 127.0.0.1: ECDSA-SK SHA256:"),
        "{}",
        s.report()
    );
    assert!(log.contains("application=ssh:"), "{}", s.report());
    // Not touched: refused as sshd refuses it.
    let r = ssh_sk(s.port, &dir, &provider, "id_sk", "lab", Some(0));
    assert!(!r.success(), "{}", r.report(30));
    assert!(
        s.log
            .all()
            .contains("rejected: user presence (authenticator touch) requirement not met"),
        "{}",
        s.report()
    );
    // A no-touch-required key on a no-touch-required line: in without a touch.
    let r = ssh_sk(s.port, &dir, &provider, "id_sk_nt", "lab", None);
    assert!(r.success(), "{}\n{}", r.report(30), s.report());
    // verify-required: the key asks for verification and gets it; without it, refused.
    let r = ssh_sk(s.port, &dir, &provider, "id_sk_v", "lab", None);
    assert!(r.success(), "{}\n{}", r.report(30), s.report());
    let r = ssh_sk(s.port, &dir, &provider, "id_sk_v", "lab", Some(1));
    assert!(!r.success(), "{}", r.report(30));
    assert!(
        s.log
            .all()
            .contains("rejected: user verification requirement not met"),
        "{}",
        s.report()
    );
}
