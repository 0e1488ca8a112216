//! `sshgate-host serve` as an administrator sees it, with the real OpenSSH client:
//! - SIGTERM: an open session is told "server shutting down" and the server exits cleanly;
//! - IOS ChPass: a user whose password has expired changes it through keyboard-interactive,
//!   typed in a real terminal (`tmux`): a mismatch is retried, the new password works at once
//!   and the old one no longer does.

mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{
    ProcessGuard, SHELL_COMMAND, TempDir, Tmux, current_user, free_port, password_hash,
    require_openssh_client, require_tool, run_with_timeout, sshgate_bin, wait_for_port,
};

const OLD: &str = "old-password-1";
const NEW: &str = "new-password-2";

struct Server {
    guard: ProcessGuard,
    port: u16,
    dir: TempDir,
}

/// A server with `lab` (CLI, password OLD, expired if `expired`) and `ops` (a shell).
fn server(label: &str, expired: bool) -> Server {
    require_openssh_client();
    require_tool("/usr/bin/sshpass", "apt-get install sshpass");
    let dir = TempDir::new(label);
    let port = free_port();
    let hash = password_hash(OLD);
    let config = format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"router1\"\n\
         host_keys = [{hk:?}]\n\n\
         [[users]]\nname = \"lab\"\nprivilege = 1\npassword_hash = {hash:?}\npassword_expired = {expired}\n\n\
         [[users]]\nname = \"ops\"\npassword_hash = {hash:?}\ncommand = {SHELL_COMMAND:?}\n\
         run_as = {:?}\n",
        current_user(),
        hk = dir.join("ssh_host_ed25519_key").display().to_string(),
    );
    let path = dir.join("device.toml");
    std::fs::write(&path, config).unwrap();
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let guard = ProcessGuard::spawn(
        "sshgate-host serve",
        Command::new(sshgate_bin())
            .arg("serve")
            .arg("--config")
            .arg(&path)
            .stderr(log),
    );
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(
        wait_for_port(addr, Duration::from_secs(30)),
        "server did not listen on {addr}"
    );
    Server { guard, port, dir }
}

fn ssh_base(port: u16) -> Vec<String> {
    [
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "PubkeyAuthentication=no",
        "-p",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([port.to_string()])
    .collect()
}

/// `ssh user@127.0.0.1 command` with `password` through sshpass; (exit code, stdout, stderr).
fn exec(s: &Server, user: &str, password: &str, command: &str) -> (Option<i32>, String, String) {
    let mut cmd = Command::new("/usr/bin/sshpass");
    cmd.arg("-p").arg(password).arg("/usr/bin/ssh");
    cmd.args(ssh_base(s.port));
    cmd.args([
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
    ]);
    cmd.arg(format!("{user}@127.0.0.1")).arg(command);
    let out = run_with_timeout(&mut cmd, &s.dir, user, Duration::from_secs(20));
    (
        out.status.and_then(|st| st.code()),
        out.stdout.clone(),
        out.stderr.clone(),
    )
}

#[test]
fn sigterm_tells_open_sessions_and_exits_cleanly() {
    let mut s = server("serve-sigterm", false);
    let mut cmd = Command::new("/usr/bin/sshpass");
    cmd.arg("-p").arg(OLD).arg("/usr/bin/ssh");
    cmd.args(ssh_base(s.port));
    cmd.args(["ops@127.0.0.1", "echo started; sleep 60"]);
    let out_path = s.dir.join("ssh.out");
    let err_path = s.dir.join("ssh.err");
    let mut ssh = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("ssh");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&out_path)
        .unwrap_or_default()
        .contains("started")
    {
        assert!(Instant::now() < deadline, "session did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = rustix::process::Pid::from_raw(i32::try_from(s.guard.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = ssh.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "ssh still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        err.contains("server shutting down"),
        "ssh was not told: status {status:?}, stderr:\n{err}"
    );
    assert_eq!(status.code(), Some(255), "stderr:\n{err}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let served = loop {
        if let Some(st) = s.guard.exited() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(s.dir.join("serve.log")).unwrap_or_default();
    assert!(
        served.success(),
        "serve exited with {served:?}; log:\n{log}"
    );
    assert!(log.contains("shutting down"), "log:\n{log}");
}

#[test]
fn expired_password_is_changed_through_keyboard_interactive() {
    let s = server("serve-chpass", true);
    let ssh = format!(
        "/usr/bin/ssh {} -o PreferredAuthentications=keyboard-interactive lab@127.0.0.1; sleep 30",
        ssh_base(s.port).join(" ")
    );
    let t = Tmux::start(&format!("chpass{}", s.port), &ssh);
    t.wait_for("Password:", 1);
    t.type_line(OLD);
    // The seed's wording, then two different new passwords: refused and asked again.
    let screen = t.wait_for("New Password:", 1);
    assert!(screen.contains("Your password has expired."), "{screen}");
    t.type_line(NEW);
    t.wait_for("Re-enter New password:", 1);
    t.type_line("something-else");
    let screen = t.wait_for("New Password:", 2);
    assert!(
        screen.contains("The New and Re-entered passwords have to be the same."),
        "{screen}"
    );
    t.type_line(NEW);
    t.wait_for("Re-enter New password:", 2);
    t.type_line(NEW);
    // Logged in: the privilege-1 prompt of the device CLI.
    t.wait_for("router1>", 1);
    t.type_line("exit");
    drop(t);

    let (code, out, err) = exec(&s, "lab", NEW, "show users");
    assert_eq!(code, Some(0), "new password refused: {err}");
    assert!(out.contains("lab"), "{out}");
    // sshpass reports a refused password as its status 5.
    let (code, _, err) = exec(&s, "lab", OLD, "show users");
    assert_eq!(code, Some(5), "old password still accepted: {err}");
    assert!(err.contains("Permission denied"), "{err}");
}
