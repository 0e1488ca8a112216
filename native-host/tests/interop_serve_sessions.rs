//! Sessions on `sshgate-host serve` with the real OpenSSH client:
//! - `exec` of a program (a user whose forced `command` runs the client's line): stdout as data, stderr as
//!   extended data, the exit status;
//! - `exec` of device CLI commands: `show ip ssh` from the configuration, `% Invalid input`
//!   with status 1;
//! - interactive PTY sessions typed into a real terminal (`tmux`): the device CLI's `show ssh`
//!   row of this very connection, then `exit`; a shell that sees the terminal's size in
//!   `pty-req` and again after the window is resized (`window-change`).

mod support;

use std::time::Duration;
use support::{DeviceServer, DeviceUser, SHELL_COMMAND, Tmux, run_with_timeout, start_device};

const LAB_PASSWORD: &str = "lab-password-1";
const RUN: Duration = Duration::from_secs(30);
/// Offered ciphers, so `show ip ssh` has a known line.
const CIPHERS: &str = "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr";

/// `lab` (device CLI, privilege 15, password or key) and `ops` (a shell, key).
fn device(label: &str) -> DeviceServer {
    let ciphers: Vec<String> = CIPHERS.split(',').map(|c| format!("{c:?}")).collect();
    let extra = format!("[algorithms]\ncipher = [{}]\n", ciphers.join(", "));
    start_device(
        label,
        &extra,
        &[
            DeviceUser {
                name: "lab",
                privilege: 15,
                password: Some(LAB_PASSWORD),
                key: true,
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "ops",
                privilege: 1,
                key: true,
                command: Some(SHELL_COMMAND),
                ..DeviceUser::default()
            },
        ],
    )
}

/// `ssh -i KEY user@127.0.0.1 LINE` with `LogLevel=ERROR` (so stderr is the remote's only).
fn exec(s: &DeviceServer, user: &str, line: &str) -> support::RunOutput {
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest(user))
        .arg(line);
    run_with_timeout(&mut cmd, &s.dir, &format!("{user}-exec"), RUN)
}

#[test]
fn exec_gives_stdout_stderr_and_exit_status() {
    let s = device("sessions-exec");
    let out = exec(&s, "ops", "echo out; echo err >&2; exit 7");
    let ctx = || format!("{}\n{}", out.report(20), s.report());
    assert_eq!(out.status.and_then(|st| st.code()), Some(7), "{}", ctx());
    assert_eq!(out.stdout, "out\n", "{}", ctx());
    assert_eq!(out.stderr, "err\n", "{}", ctx());

    // Output larger than one window (2 MiB) and both streams interleaved still arrive whole.
    let out = exec(
        &s,
        "ops",
        "i=0; while [ $i -lt 2000 ]; do echo line$i; echo oops$i >&2; i=$((i+1)); done; \
         head -c 3000000 /dev/zero | tr '\\0' x; exit 0",
    );
    assert_eq!(
        out.status.and_then(|st| st.code()),
        Some(0),
        "{}",
        out.report(5)
    );
    let want_err: String = (0..2000).map(|i| format!("oops{i}\n")).collect();
    let mut want_out: String = (0..2000).map(|i| format!("line{i}\n")).collect();
    want_out.push_str(&"x".repeat(3_000_000));
    assert!(
        out.stdout == want_out,
        "stdout differs ({} bytes)",
        out.stdout.len()
    );
    assert!(out.stderr == want_err, "stderr differs:\n{}", out.report(5));
}

#[test]
fn exec_runs_device_cli_commands() {
    let s = device("sessions-cli-exec");
    let out = exec(&s, "lab", "show ip ssh");
    let ctx = || format!("{}\n{}", out.report(20), s.report());
    assert_eq!(out.status.and_then(|st| st.code()), Some(0), "{}", ctx());
    let lines: Vec<&str> = out.stdout.split("\r\n").collect();
    assert_eq!(lines[0], "SSH Enabled - version 2.0", "{}", ctx());
    assert!(
        lines.contains(&format!("Encryption Algorithms:{CIPHERS}").as_str()),
        "{}",
        ctx()
    );
    assert!(
        lines.contains(&"Authentication timeout: 120 secs; Authentication retries: 3"),
        "{}",
        ctx()
    );

    // IOS's answer to a typo: the command echoed, a caret under the bad word, status 1.
    let out = exec(&s, "lab", "show bogus");
    assert_eq!(
        out.stdout,
        "show bogus\r\n     ^\r\n% Invalid input detected at '^' marker.\r\n",
        "{}",
        out.report(20)
    );
    assert_eq!(
        out.status.and_then(|st| st.code()),
        Some(1),
        "{}",
        out.report(20)
    );
}

/// `COMMAND; echo SSH-EXIT=$?` in a 120x40 tmux window (which keeps the screen afterwards).
fn terminal(s: &DeviceServer, name: &str, ssh_line: &str) -> Tmux {
    let name = format!("{name}{}", s.port);
    Tmux::start(&name, &format!("{ssh_line}; echo SSH-EXIT=$?"))
}

#[test]
fn pty_device_cli_shows_this_connection_and_exits() {
    let s = device("sessions-pty-cli");
    let cipher = "aes256-gcm@openssh.com";
    let ssh = format!(
        "{} -tt -c {cipher} {}",
        s.ssh_with_password_line(LAB_PASSWORD),
        DeviceServer::dest("lab")
    );
    let t = terminal(&s, "cli", &ssh);
    t.wait_for("router1#", 1);
    t.type_line("show ssh");
    let screen = t.wait_for("%No SSHv1 server connections running.", 1);
    // `0  2.0  IN  aes256-gcm@openssh.com  <hmac>  Session started  lab`, and the OUT row.
    let rows: Vec<Vec<&str>> = screen
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() >= 7 && w.last() == Some(&"lab"))
        .collect();
    for mode in ["IN", "OUT"] {
        assert!(
            rows.iter().any(|w| w[1] == "2.0"
                && w[2] == mode
                && w[3] == cipher
                && w[w.len() - 3..w.len() - 1] == ["Session", "started"]),
            "no {mode} row for lab with version 2.0 and {cipher}; screen:\n{screen}\n{}",
            s.report()
        );
    }
    t.wait_for("router1#", 2);
    t.type_line("exit");
    let screen = t.wait_for("SSH-EXIT=", 1);
    assert!(screen.contains("SSH-EXIT=0"), "{screen}\n{}", s.report());
    let log = s.log.all();
    assert!(log.contains("connection closed"), "{}", s.report());
}

#[test]
fn pty_shell_sees_the_terminal_size_and_its_changes() {
    let s = device("sessions-pty-resize");
    let mut ssh = s.ssh_with_key();
    ssh.args(["-tt", "-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"));
    let mut words = vec![ssh.get_program().to_string_lossy().into_owned()];
    words.extend(ssh.get_args().map(|a| a.to_string_lossy().into_owned()));
    let line: Vec<String> = words.iter().map(|w| support::shell_quote(w)).collect();
    let t = terminal(&s, "resize", &line.join(" "));
    // The size in `pty-req` is the window's; `stty size` prints rows then columns.
    t.type_line("echo SIZE=$(stty size) TERM=$TERM");
    let screen = t.wait_for("SIZE=40 120", 1);
    assert!(!screen.contains("TERM= "), "TERM not passed:\n{screen}");

    // A resize reaches the program as window-change → TIOCSWINSZ. The client sends it on
    // SIGWINCH, which may come after keys typed at once: ask until the answer changes.
    t.resize(100, 30);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        t.type_line("echo SIZE=$(stty size)");
        std::thread::sleep(Duration::from_millis(300));
        let screen = t.screen();
        if screen.contains("SIZE=30 100") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the shell never saw 100x30; screen:\n{screen}\n{}",
            s.report()
        );
    }
    t.type_line("exit 3");
    let screen = t.wait_for("SSH-EXIT=", 1);
    assert!(screen.contains("SSH-EXIT=3"), "{screen}\n{}", s.report());
}
