//! `command` in `[[users]]` is a forced command (sshd's `ForceCommand`), with the real OpenSSH
//! client against `sshgate-host serve`:
//! - `exec`, `shell` (with and without a PTY) and `subsystem` all run the configured command,
//!   never the client's string, which is only in `SSH_ORIGINAL_COMMAND` (issue 11: `exec` of
//!   `id; echo INJECTED` used to run it, as root);
//! - an authorized_keys `command=`: for a device CLI user the one CLI command run for every
//!   request; for a user with `command` overridden by it, as sshd's `ForceCommand` overrides it;
//! - the program runs as `run_as` (uid, gid and groups of `nobody`, in `/` when its home is
//!   missing) with a clean environment: nothing of serve's (a canary variable), only the listed
//!   variables;
//! - `SSH_CONNECTION` names serve's end of the connection, for TCP and for serve's WebSocket
//!   listener alike;
//! - at load: `command` without `run_as` refused when serve is root, `run_as = "root"` allowed
//!   when written out; an account serve cannot switch to refused when it is not root.

mod bridge_support;
mod support;

use bridge_support::{Login, Shim, WsOpts, ssh_exec};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, TempDir, current_user, run_with_timeout, sshgate_bin,
    start_device_env,
};

const RUN: Duration = Duration::from_secs(30);
/// In serve's own environment: must never reach a program.
const CANARY: (&str, &str) = ("SSHGATE_CANARY_7F3A", "serve-secret");
/// What `monitor` is forced to run: a marker, its ids and directory, its whole environment.
const FORCED: &str =
    r#"echo forced; echo "ids=$(id -u) $(id -g) $(id -G)"; echo "cwd=$(pwd)"; env | sort"#;

fn root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `monitor` (forced command, run as nobody when serve is root, itself otherwise), `keyed`
/// (a user command and a key `command=`), `lab` (device CLI, key `command="show ip ssh"`).
fn device(label: &str) -> DeviceServer {
    let run_as = if root() {
        "nobody".to_string()
    } else {
        current_user()
    };
    start_device_env(
        label,
        "",
        &[
            DeviceUser {
                name: "monitor",
                privilege: 1,
                key: true,
                command: Some(FORCED),
                run_as: Some(&run_as),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "keyed",
                privilege: 1,
                key: true,
                key_options: Some(r#"command="echo key-command""#),
                command: Some("echo user-command"),
                run_as: Some(&run_as),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "lab",
                privilege: 15,
                key: true,
                key_options: Some(r#"command="show ip ssh""#),
                ..DeviceUser::default()
            },
        ],
        &[CANARY],
    )
}

/// `ssh -i KEY <args> user@127.0.0.1 <after>`.
fn ssh(s: &DeviceServer, user: &str, args: &[&str], after: &[&str]) -> support::RunOutput {
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .args(args)
        .arg(DeviceServer::dest(user))
        .args(after);
    run_with_timeout(&mut cmd, &s.dir, user, RUN)
}

/// The `NAME=value` lines of `env | sort` in `out` (CRs of a PTY removed).
fn env_of(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `id -u/-g/-G NAME` as the forced command prints its own.
fn ids_of(name: &str) -> String {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, name]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    format!("ids={} {} {}", id("-u"), id("-g"), id("-G"))
}

#[test]
fn exec_runs_the_forced_command_and_never_the_clients_string() {
    let s = device("forced-exec");
    let out = ssh(&s, "monitor", &[], &["id; echo INJECTED"]);
    let ctx = || format!("{}\n{}", out.report(40), s.report());
    assert!(out.success(), "{}", ctx());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"forced"), "{}", ctx());
    assert!(
        !lines.contains(&"INJECTED"),
        "the client's string ran:\n{}",
        ctx()
    );
    assert!(
        !out.stdout.contains("uid="),
        "the client's `id` ran:\n{}",
        ctx()
    );
    let env = env_of(&out.stdout);
    assert_eq!(
        env.get("SSH_ORIGINAL_COMMAND").map(String::as_str),
        Some("id; echo INJECTED"),
        "{}",
        ctx()
    );
}

#[test]
fn shell_and_subsystem_run_the_forced_command_too() {
    let s = device("forced-shell");
    // A shell without a PTY: no original command.
    let out = ssh(&s, "monitor", &["-T"], &[]);
    let ctx = || format!("{}\n{}", out.report(40), s.report());
    assert!(out.success(), "{}", ctx());
    assert_eq!(out.stdout.lines().next(), Some("forced"), "{}", ctx());
    let env = env_of(&out.stdout);
    assert!(!env.contains_key("SSH_ORIGINAL_COMMAND"), "{}", ctx());
    assert!(
        !env.contains_key("TERM") && !env.contains_key("SSH_TTY"),
        "{}",
        ctx()
    );

    // A shell in a PTY: TERM and SSH_TTY as sshd sets them.
    let out = ssh(&s, "monitor", &["-tt"], &[]);
    let ctx = || format!("{}\n{}", out.report(40), s.report());
    assert!(out.success(), "{}", ctx());
    assert!(out.stdout.starts_with("forced\r\n"), "{}", ctx());
    let env = env_of(&out.stdout);
    assert!(env.contains_key("TERM"), "{}", ctx());
    assert!(
        env.get("SSH_TTY")
            .is_some_and(|t| t.starts_with("/dev/pts/")),
        "{}",
        ctx()
    );
    assert!(!env.contains_key("SSH_ORIGINAL_COMMAND"), "{}", ctx());

    // A subsystem: its name is the original command.
    let out = ssh(&s, "monitor", &["-s"], &["sftp"]);
    let ctx = || format!("{}\n{}", out.report(40), s.report());
    assert!(out.success(), "{}", ctx());
    assert_eq!(out.stdout.lines().next(), Some("forced"), "{}", ctx());
    assert_eq!(
        env_of(&out.stdout)
            .get("SSH_ORIGINAL_COMMAND")
            .map(String::as_str),
        Some("sftp"),
        "{}",
        ctx()
    );
}

#[test]
fn authorized_keys_command_is_forced_and_the_users_command_wins_over_it() {
    let s = device("forced-keys");
    // A device CLI user: the key's command= is the CLI command, whatever was asked.
    for (args, after) in [
        (&[][..], &["show users"][..]),
        (&["-T"][..], &[][..]),
        (&["-s"][..], &["sftp"][..]),
    ] {
        let out = ssh(&s, "lab", args, after);
        let ctx = || format!("{}\n{}", out.report(20), s.report());
        assert!(out.success(), "{}", ctx());
        assert!(
            out.stdout.starts_with("SSH Enabled - version 2.0\r\n"),
            "{}",
            ctx()
        );
    }
    // A user with `command` and a key with command=: the user's, as ForceCommand beats a key.
    for (args, after) in [(&[][..], &["echo mine"][..]), (&["-T"][..], &[][..])] {
        let out = ssh(&s, "keyed", args, after);
        let ctx = || format!("{}\n{}", out.report(20), s.report());
        assert!(out.success(), "{}", ctx());
        assert_eq!(out.stdout, "user-command\n", "{}", ctx());
    }
}

#[test]
fn the_program_runs_as_run_as_with_a_clean_environment() {
    let s = device("forced-identity");
    let out = ssh(
        &s,
        "monitor",
        &["-o", "SetEnv=LANG=C.UTF-8 LC_TIME=C NOT_ACCEPTED=1"],
        &["whatever"],
    );
    let ctx = || format!("{}\n{}", out.report(60), s.report());
    assert!(out.success(), "{}", ctx());
    let account = if root() {
        "nobody".to_string()
    } else {
        current_user()
    };
    assert!(
        out.stdout.lines().any(|l| l == ids_of(&account)),
        "want {} (groups of {account} only)\n{}",
        ids_of(&account),
        ctx()
    );
    let env = env_of(&out.stdout);
    let get = |k: &str| env.get(k).map(String::as_str);
    if root() {
        // nobody's home, /nonexistent, is missing: the program starts in /, as with sshd.
        assert!(out.stdout.lines().any(|l| l == "cwd=/"), "{}", ctx());
        assert_eq!(get("HOME"), Some("/nonexistent"), "{}", ctx());
        assert_eq!(get("SHELL"), Some("/usr/sbin/nologin"), "{}", ctx());
    }
    assert!(
        !out.stdout.contains(CANARY.0),
        "serve's environment leaked\n{}",
        ctx()
    );
    assert_eq!(get("USER"), Some(account.as_str()), "{}", ctx());
    assert_eq!(get("LOGNAME"), Some(account.as_str()), "{}", ctx());
    assert_eq!(get("LANG"), Some("C.UTF-8"), "{}", ctx());
    assert_eq!(get("LC_TIME"), Some("C"), "{}", ctx());
    assert_eq!(get("SSH_ORIGINAL_COMMAND"), Some("whatever"), "{}", ctx());
    let want_path = if account == "root" {
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    } else {
        "/usr/local/bin:/usr/bin:/bin"
    };
    assert_eq!(get("PATH"), Some(want_path), "{}", ctx());
    let port = s.port.to_string();
    let conn: Vec<&str> = get("SSH_CONNECTION").unwrap_or("").split(' ').collect();
    assert!(
        conn.len() == 4 && conn[0] == "127.0.0.1" && conn[2] == "127.0.0.1" && conn[3] == port,
        "SSH_CONNECTION {conn:?}\n{}",
        ctx()
    );
    assert_eq!(
        get("SSH_CLIENT"),
        Some(format!("127.0.0.1 {} {port}", conn[1]).as_str()),
        "{}",
        ctx()
    );
    // Nothing else: the list sshd's do_setup_env makes (PWD is the shell's own).
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "HOME",
            "LANG",
            "LC_TIME",
            "LOGNAME",
            "PATH",
            "PWD",
            "SHELL",
            "SSH_CLIENT",
            "SSH_CONNECTION",
            "SSH_ORIGINAL_COMMAND",
            "USER"
        ],
        "{}",
        ctx()
    );
}

/// Runs `serve` on `users` (TOML) until it listens or exits; returns its exit status (None: it
/// started) and its log.
fn load(label: &str, users: &str) -> (Option<i32>, String) {
    let dir = TempDir::new(label);
    let port = support::free_port();
    let config = format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhost_keys = [{:?}]\n\n{users}",
        dir.join("ssh_host_ed25519_key").display().to_string()
    );
    let path = dir.join("device.toml");
    std::fs::write(&path, config).unwrap();
    let log = dir.join("serve.log");
    let mut guard = support::ProcessGuard::spawn(
        "sshgate-host serve",
        Command::new(sshgate_bin())
            .args(["serve", "--config"])
            .arg(&path)
            .stderr(std::fs::File::create(&log).unwrap()),
    );
    let addr = ([127, 0, 0, 1], port).into();
    let deadline = std::time::Instant::now() + RUN;
    let status = loop {
        if let Some(st) = guard.exited() {
            break Some(st.code().unwrap_or(-1));
        }
        if support::port_open(addr) {
            break None;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve neither started nor stopped"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, support::read_lossy(&log))
}

const KEY_LINE: &str = "authorized_keys = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl']";

#[test]
fn run_as_is_checked_at_load() {
    let user = |extra: &str| {
        format!(
            "[[users]]\nname = \"monitor\"\n{KEY_LINE}\ncommand = \"/usr/bin/top -b -n 1\"\n{extra}\n"
        )
    };
    if root() {
        // No run_as: refused, naming the user and the fix.
        let (status, log) = load("forced-load-none", &user(""));
        assert!(status.is_some_and(|c| c != 0), "serve started:\n{log}");
        assert!(
            log.contains("\"monitor\"") && log.contains("run_as = \"nobody\""),
            "{log}"
        );
        // Written out, root is allowed; so is an ordinary account.
        for ok in ["run_as = \"root\"", "run_as = \"nobody\""] {
            let (status, log) = load("forced-load-ok", &user(ok));
            assert_eq!(status, None, "{ok}: serve stopped:\n{log}");
        }
    } else {
        let (status, log) = load("forced-load-switch", &user("run_as = \"root\""));
        assert!(status.is_some_and(|c| c != 0), "serve started:\n{log}");
        assert!(log.contains("cannot switch"), "{log}");
    }
    // An account that does not exist, and run_as without a program.
    let (status, log) = load("forced-load-missing", &user("run_as = \"no-such-sshgate\""));
    assert!(
        status.is_some_and(|c| c != 0) && log.contains("no account"),
        "{log}"
    );
    let cli = format!("[[users]]\nname = \"lab\"\n{KEY_LINE}\nrun_as = \"nobody\"\n");
    let (status, log) = load("forced-load-cli", &cli);
    assert!(
        status.is_some_and(|c| c != 0) && log.contains("run_as without command"),
        "{log}"
    );
}

#[test]
fn run_as_the_own_account_runs_as_it_root_included_when_written() {
    // As root (here and in CI) this is `run_as = "root"`: uid 0, allowed because written out.
    let me = current_user();
    let s = start_device_env(
        "forced-root",
        "",
        &[DeviceUser {
            name: "admin",
            privilege: 15,
            key: true,
            command: Some("id -un"),
            run_as: Some(&me),
            ..DeviceUser::default()
        }],
        &[],
    );
    let out = ssh(&s, "admin", &[], &[]);
    assert_eq!(
        out.stdout,
        format!("{me}\n"),
        "{}\n{}",
        out.report(20),
        s.report()
    );
}

#[test]
fn ssh_connection_names_the_websocket_listener_for_websocket_clients() {
    let ws_port = support::free_port();
    let run_as = if root() {
        "nobody".to_string()
    } else {
        current_user()
    };
    let s = start_device_env(
        "forced-websocket",
        &format!("[websocket]\nlisten = [\"127.0.0.1:{ws_port}\"]\n"),
        &[DeviceUser {
            name: "monitor",
            privilege: 1,
            key: true,
            command: Some(FORCED),
            run_as: Some(&run_as),
            ..DeviceUser::default()
        }],
        &[],
    );
    assert!(
        support::wait_for_port(([127, 0, 0, 1], ws_port).into(), RUN),
        "no WebSocket listener\n{}",
        s.report()
    );
    let shim = Shim::start(&format!("ws://127.0.0.1:{ws_port}/ssh"), WsOpts::default());
    let out = ssh_exec(&s.dir, shim.port, "monitor", Login::Key(&s.key), "x");
    let ctx = || format!("{}\n{}", out.report(40), s.report());
    assert!(out.success(), "{}", ctx());
    let env = env_of(&out.stdout);
    let conn: Vec<&str> = env
        .get("SSH_CONNECTION")
        .map_or(vec![], |c| c.split(' ').collect());
    assert!(
        conn.len() == 4 && conn[2] == "127.0.0.1" && conn[3] == ws_port.to_string(),
        "SSH_CONNECTION {conn:?}, WebSocket listener on {ws_port}\n{}",
        ctx()
    );
}
