//! User authentication with the real OpenSSH client against `sshgate-host serve`: password
//! (through `sshpass`), keyboard-interactive, and public keys of each type, plus the refusals.
//! Each run is judged from `ssh -v`'s own account of how it authenticated.

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{
    ProcessGuard, RunOutput, TempDir, free_port, require_openssh_client, require_ssh_keygen,
    require_tool, run_with_timeout, ssh_keygen, sshgate_bin, wait_for_port,
};

const PASSWORD: &str = "correct horse battery staple";

/// `sshgate-host passwd` reading the password twice from standard input.
fn password_hash(pw: &str) -> String {
    let mut child = Command::new(sshgate_bin())
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sshgate-host passwd");
    writeln!(child.stdin.take().unwrap(), "{pw}\n{pw}").unwrap();
    let out = child.wait_with_output().expect("passwd output");
    assert!(out.status.success(), "passwd failed: {out:?}");
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2id$"), "unexpected hash {hash:?}");
    hash
}

struct Server {
    _guard: ProcessGuard,
    port: u16,
    dir: TempDir,
}

/// A server with user `lab` (password + the given authorized keys).
fn server(label: &str, authorized: &[String]) -> Server {
    server_with(label, authorized, 120, 3)
}

/// [`server`] with IOS `ip ssh time-out` / `ip ssh authentication-retries` values.
fn server_with(label: &str, authorized: &[String], timeout: u32, retries: u32) -> Server {
    require_openssh_client();
    let dir = TempDir::new(label);
    let port = free_port();
    let keys: Vec<String> = authorized.iter().map(|k| format!("{k:?}")).collect();
    let config = format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"lab-router\"\n\
         host_keys = [{hk:?}]\ntimeout_seconds = {timeout}\nretries = {retries}\n\
         banner = \"Authorized access only.\"\n\n\
         [[users]]\nname = \"lab\"\nprivilege = 15\npassword_hash = {hash:?}\nauthorized_keys = [{keys}]\n",
        hk = dir.join("ssh_host_ed25519_key").display().to_string(),
        hash = password_hash(PASSWORD),
        keys = keys.join(", "),
    );
    let path = dir.join("device.toml");
    std::fs::write(&path, config).unwrap();
    let guard = ProcessGuard::spawn(
        "sshgate-host serve",
        Command::new(sshgate_bin())
            .arg("serve")
            .arg("--config")
            .arg(&path),
    );
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(
        wait_for_port(addr, Duration::from_secs(30)),
        "server did not listen on {addr}"
    );
    Server {
        _guard: guard,
        port,
        dir,
    }
}

fn ssh_args(port: u16, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "-v",
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-p",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(port.to_string());
    a.extend(extra.iter().map(|s| s.to_string()));
    a.extend(["lab@127.0.0.1".to_string(), "true".to_string()]);
    a
}

fn with_sshpass(s: &Server, label: &str, password: &str, method: &str) -> RunOutput {
    require_tool("/usr/bin/sshpass", "apt-get install sshpass");
    let mut cmd = Command::new("/usr/bin/sshpass");
    cmd.arg("-p").arg(password).arg("/usr/bin/ssh");
    cmd.args(ssh_args(
        s.port,
        &[
            "-o",
            &format!("PreferredAuthentications={method}"),
            "-o",
            "PubkeyAuthentication=no",
        ],
    ));
    run_with_timeout(&mut cmd, &s.dir, label, Duration::from_secs(20))
}

fn authenticated_with(out: &RunOutput, method: &str) -> bool {
    out.stderr.contains("Authenticated to 127.0.0.1")
        && out.stderr.contains(&format!("using \"{method}\""))
}

#[test]
fn password_login_through_sshpass() {
    let s = server("login-password", &[]);
    let ok = with_sshpass(&s, "good", PASSWORD, "password");
    assert!(authenticated_with(&ok, "password"), "{}", ok.report(40));
    // The login banner (IOS `banner login`) is shown before authentication.
    assert!(
        ok.stderr.contains("Authorized access only."),
        "{}",
        ok.report(40)
    );
    let bad = with_sshpass(&s, "bad", "not the password", "password");
    assert!(
        !bad.stderr.contains("Authenticated to"),
        "{}",
        bad.report(40)
    );
    assert!(
        bad.stderr.contains("Permission denied"),
        "{}",
        bad.report(40)
    );
}

#[test]
fn keyboard_interactive_login_through_sshpass() {
    let s = server("login-kbdint", &[]);
    let ok = with_sshpass(&s, "good", PASSWORD, "keyboard-interactive");
    assert!(
        authenticated_with(&ok, "keyboard-interactive"),
        "{}",
        ok.report(40)
    );
    let bad = with_sshpass(&s, "bad", "nope", "keyboard-interactive");
    assert!(
        !bad.stderr.contains("Authenticated to"),
        "{}",
        bad.report(40)
    );
}

#[test]
fn publickey_login_for_each_key_type() {
    require_ssh_keygen();
    let keydir = TempDir::new("login-keys");
    let kinds = [
        ("ed25519", None),
        ("ecdsa", Some(256)),
        ("ecdsa", Some(384)),
        ("rsa", Some(3072)),
    ];
    let mut paths = Vec::new();
    let mut lines = Vec::new();
    for (i, (t, bits)) in kinds.iter().enumerate() {
        let p = keydir.join(format!("id_{t}_{i}"));
        ssh_keygen(t, *bits, &p);
        let public =
            std::fs::read_to_string(format!("{}.pub", p.display())).expect("public key file");
        lines.push(public.trim().to_string());
        paths.push(p);
    }
    let stranger = keydir.join("id_stranger");
    ssh_keygen("ed25519", None, &stranger);
    let s = server("login-publickey", &lines);
    for (p, (t, bits)) in paths.iter().zip(kinds) {
        let mut cmd = Command::new("/usr/bin/ssh");
        let key = p.display().to_string();
        cmd.args(ssh_args(
            s.port,
            &[
                "-i",
                &key,
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "PreferredAuthentications=publickey",
            ],
        ));
        let out = run_with_timeout(
            &mut cmd,
            &s.dir,
            &format!("{t}{bits:?}"),
            Duration::from_secs(20),
        );
        assert!(
            authenticated_with(&out, "publickey"),
            "{t} {bits:?}: {}",
            out.report(40)
        );
    }
    let mut cmd = Command::new("/usr/bin/ssh");
    let key = stranger.display().to_string();
    cmd.args(ssh_args(
        s.port,
        &[
            "-i",
            &key,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "PreferredAuthentications=publickey",
        ],
    ));
    let out = run_with_timeout(&mut cmd, &s.dir, "stranger", Duration::from_secs(20));
    assert!(
        !out.stderr.contains("Authenticated to"),
        "{}",
        out.report(40)
    );
    assert!(
        out.stderr.contains("Permission denied"),
        "{}",
        out.report(40)
    );
}

/// authorized_keys options, enforced: `no-pty` and `restrict` refuse the PTY, `command=` runs
/// instead of what the client asks, `from=` and a past `expiry-time=` refuse the key.
#[test]
fn authorized_keys_options_are_enforced() {
    require_ssh_keygen();
    let keydir = TempDir::new("login-key-options");
    let options = [
        ("nopty", "no-pty"),
        ("forced", r#"command="show ip ssh""#),
        ("elsewhere", r#"from="10.0.0.0/8,192.0.2.*""#),
        ("expired", r#"expiry-time="20200101""#),
        ("restricted", r#"from="127.0.0.0/8,!127.0.0.2",restrict"#),
    ];
    let mut lines = Vec::new();
    for (name, opts) in options {
        let p = keydir.join(format!("id_{name}"));
        ssh_keygen("ed25519", None, &p);
        let public = std::fs::read_to_string(p.with_extension("pub")).unwrap();
        lines.push(format!("{opts} {}", public.trim()));
    }
    let s = server("login-key-options", &lines);
    let run = |name: &str, tty: bool, command: &str| {
        let key = keydir.join(format!("id_{name}")).display().to_string();
        let mut args = ssh_args(
            s.port,
            &[
                "-i",
                &key,
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "PreferredAuthentications=publickey",
            ],
        );
        args.truncate(args.len() - 2); // drop "lab@127.0.0.1 true"
        if tty {
            args.push("-tt".into());
        }
        args.extend(["lab@127.0.0.1".to_string(), command.to_string()]);
        let mut cmd = Command::new("/usr/bin/ssh");
        cmd.args(args);
        run_with_timeout(&mut cmd, &s.dir, name, Duration::from_secs(20))
    };

    // (With -tt, OpenSSH makes a refused PTY fatal.)
    let out = run("nopty", true, "show users");
    assert!(authenticated_with(&out, "publickey"), "{}", out.report(40));
    assert!(
        out.stderr.contains("PTY allocation request failed"),
        "no-pty: {}",
        out.report(40)
    );
    let out = run("nopty", false, "show users");
    assert!(
        out.success() && out.stdout.contains("Line"),
        "no-pty without -t: {}",
        out.report(40)
    );

    let out = run("forced", false, "show users");
    assert!(out.success(), "{}", out.report(40));
    assert!(
        out.stdout.contains("SSH Enabled") && !out.stdout.contains("Line "),
        "command= runs instead of the request: {}",
        out.report(40)
    );

    for refused in ["elsewhere", "expired"] {
        let out = run(refused, false, "show users");
        assert!(
            !out.stderr.contains("Authenticated to") && out.stderr.contains("Permission denied"),
            "{refused}: {}",
            out.report(40)
        );
    }

    let out = run("restricted", true, "show users");
    assert!(authenticated_with(&out, "publickey"), "{}", out.report(40));
    assert!(
        out.stderr.contains("PTY allocation request failed"),
        "restrict: {}",
        out.report(40)
    );
}

/// The refusals a client sees: an unknown user is refused like a wrong password (no user
/// enumeration), more failures than `retries` disconnect with "Too many authentication failures",
/// and an idle login is cut at `timeout_seconds`.
#[test]
fn refusals_unknown_user_too_many_attempts_and_time_out() {
    require_ssh_keygen();
    let s = server_with("login-refusals", &[], 2, 2);
    let mut cmd = Command::new("/usr/bin/sshpass");
    cmd.arg("-p").arg(PASSWORD).arg("/usr/bin/ssh");
    let mut args = ssh_args(
        s.port,
        &[
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "PubkeyAuthentication=no",
        ],
    );
    let n = args.len();
    args[n - 2] = "nobody@127.0.0.1".into();
    cmd.args(&args);
    let out = run_with_timeout(&mut cmd, &s.dir, "unknown-user", Duration::from_secs(20));
    assert!(
        out.stderr.contains("Permission denied") && !out.stderr.contains("Authenticated to"),
        "unknown user: {}",
        out.report(40)
    );

    // Three keys the server does not know, two retries allowed.
    let s = server_with("login-too-many", &[], 120, 2);
    let mut extra = vec!["-o".to_string(), "BatchMode=yes".to_string()];
    for i in 0..3 {
        let k = s.dir.join(format!("id_unknown{i}"));
        ssh_keygen("ed25519", None, &k);
        extra.push("-i".into());
        extra.push(k.display().to_string());
    }
    extra.extend(
        [
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PreferredAuthentications=publickey",
        ]
        .map(String::from),
    );
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut cmd = Command::new("/usr/bin/ssh");
    cmd.args(ssh_args(s.port, &extra));
    let out = run_with_timeout(&mut cmd, &s.dir, "too-many", Duration::from_secs(20));
    assert_eq!(
        out.status.and_then(|c| c.code()),
        Some(255),
        "{}",
        out.report(40)
    );
    assert!(
        out.stderr.contains("Too many authentication failures"),
        "too many attempts: {}",
        out.report(40)
    );

    // Nobody types the password: the server ends the login after 2 s. OpenSSH reads its
    // password prompt without watching the socket, so it learns of the DISCONNECT when the
    // (late) password is sent.
    let s = server_with("login-time-out", &[], 2, 3);
    let line = format!(
        "/usr/bin/ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
         -o PreferredAuthentications=password -p {} lab@127.0.0.1 true",
        s.port
    );
    let t = support::Tmux::start(&format!("timeout{}", s.port), &line);
    t.wait_for("password:", 1);
    std::thread::sleep(Duration::from_millis(3500));
    t.type_line(PASSWORD);
    let code = t.wait_exit();
    let screen = t.screen();
    assert_eq!(code, 255, "{screen}");
    assert!(
        screen.contains("Timeout before authentication"),
        "the late password must meet the server's time-out: {screen}"
    );
    assert!(!screen.contains("Authenticated"), "{screen}");
}
