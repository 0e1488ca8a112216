//! `sshgate-host serve` as a device with `[[users]]` — the device CLI, or a program such as
//! `/bin/sh` — for the session tests, and the OpenSSH client command lines that log into it
//! (a generated ed25519 key, or a password through `sshpass`).

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::logs::{LogFile, tail};
use super::openssh::ssh_keygen;
use super::process::{ProcessGuard, port_open, start_with_retries};
use super::tempdir::TempDir;
use super::tools::{
    SSH, current_user, require_openssh_client, require_ssh_keygen, require_tool, sshgate_bin,
};

pub const SSHPASS: &str = "/usr/bin/sshpass";

/// `sshgate-host passwd`, reading the password twice from standard input: the PHC hash.
pub fn password_hash(pw: &str) -> String {
    let mut child = Command::new(sshgate_bin())
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sshgate-host passwd");
    writeln!(child.stdin.take().expect("stdin"), "{pw}\n{pw}").expect("write password");
    let out = child.wait_with_output().expect("passwd output");
    assert!(out.status.success(), "sshgate-host passwd failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8 hash")
        .trim()
        .to_string()
}

/// A `command` that runs what the client asks (`exec` lines through `sh`, a shell otherwise),
/// for tests that need a plain shell account: `command` is a forced command (sshd's
/// `ForceCommand`), the request only in `SSH_ORIGINAL_COMMAND`.
pub const SHELL_COMMAND: &str = r#"eval "${SSH_ORIGINAL_COMMAND:-exec /bin/sh}""#;

/// One `[[users]]` table.
#[derive(Default)]
pub struct DeviceUser<'a> {
    pub name: &'a str,
    pub privilege: u8,
    /// Logs in with this password.
    pub password: Option<&'a str>,
    /// Logs in with the server's client key ([`DeviceServer::key`]).
    pub key: bool,
    /// authorized_keys options before that key (`command="..."`, `no-pty`), if any.
    pub key_options: Option<&'a str>,
    /// Runs this instead of the device CLI (a forced command).
    pub command: Option<&'a str>,
    /// `run_as` for `command`; [`current_user`] when not given (as root, `root`, which serve
    /// wants written out).
    pub run_as: Option<&'a str>,
    /// More lines for the user's table, as TOML (`permit_open = [...]`).
    pub extra: Option<&'a str>,
}

/// A running `sshgate-host serve` whose log (stderr, level info) is [`DeviceServer::log`].
pub struct DeviceServer {
    pub port: u16,
    pub dir: TempDir,
    pub log: LogFile,
    /// The private key of every user with `key: true`.
    pub key: PathBuf,
    pub guard: ProcessGuard,
}

/// Starts serve on a free loopback port with hostname `router1`, an ed25519 host key, `extra`
/// (raw TOML tables such as `[rekey]`, placed before the users) and `users`.
pub fn start_device(label: &str, extra: &str, users: &[DeviceUser<'_>]) -> DeviceServer {
    start_device_env(label, extra, users, &[])
}

/// [`start_device`] with `env` added to serve's own environment.
pub fn start_device_env(
    label: &str,
    extra: &str,
    users: &[DeviceUser<'_>],
    env: &[(&str, &str)],
) -> DeviceServer {
    start_device_args(label, extra, users, env, &[])
}

/// [`start_device_env`] with `args` after `serve --config FILE` (e.g. `--debug ip-ssh`).
pub fn start_device_args(
    label: &str,
    extra: &str,
    users: &[DeviceUser<'_>],
    env: &[(&str, &str)],
    args: &[&str],
) -> DeviceServer {
    require_openssh_client();
    require_ssh_keygen();
    let dir = TempDir::new(label);
    let key = dir.join("id_ed25519");
    ssh_keygen("ed25519", None, &key);
    let public = fs::read_to_string(dir.join("id_ed25519.pub")).expect("client public key");
    let mut tables = String::new();
    for u in users {
        let _ = write!(
            tables,
            "\n[[users]]\nname = {:?}\nprivilege = {}\n",
            u.name, u.privilege
        );
        if let Some(pw) = u.password {
            let _ = writeln!(tables, "password_hash = {:?}", password_hash(pw));
        }
        if u.key {
            let line = match u.key_options {
                Some(o) => format!("{o} {}", public.trim()),
                None => public.trim().to_string(),
            };
            let _ = writeln!(tables, "authorized_keys = [{line:?}]");
        }
        if let Some(c) = u.command {
            let _ = writeln!(tables, "command = {c:?}");
            let run_as = u.run_as.map_or_else(current_user, str::to_string);
            let _ = writeln!(tables, "run_as = {run_as:?}");
        }
        if let Some(lines) = u.extra {
            let _ = writeln!(tables, "{lines}");
        }
    }
    let host_key = dir.join("ssh_host_ed25519_key");
    let (guard, port, log) = start_with_retries("sshgate-host serve", 3, |attempt, port| {
        let config = format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"router1\"\n\
             host_keys = [{:?}]\n\n{extra}\n{tables}",
            host_key.display().to_string()
        );
        let path = dir.join(format!("device-{attempt}.toml"));
        fs::write(&path, &config).expect("write device config");
        let log_path = dir.join(format!("serve-{attempt}.log"));
        let mut cmd = Command::new(sshgate_bin());
        cmd.arg("serve")
            .arg("--config")
            .arg(&path)
            .args(args)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).expect("create serve log"));
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
    DeviceServer {
        port,
        dir,
        log,
        key,
        guard,
    }
}

impl DeviceServer {
    /// Options every client run takes: no config files, no known hosts, this port.
    pub fn client_options(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            "-F",
            "/dev/null",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            "-p",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        v.push(self.port.to_string());
        v
    }

    /// `ssh <options> -i KEY ...` (append options, then [`DeviceServer::dest`] and a command).
    pub fn ssh_with_key(&self) -> Command {
        let mut cmd = Command::new(SSH);
        cmd.args(self.client_options())
            .arg("-i")
            .arg(&self.key)
            .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"])
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "PreferredAuthentications=publickey",
            ])
            .current_dir(self.dir.path());
        cmd
    }

    /// `sshpass -p PASSWORD ssh <options> ...` with password authentication only.
    pub fn ssh_with_password(&self, password: &str) -> Command {
        require_tool(SSHPASS, "apt-get install sshpass");
        let mut cmd = Command::new(SSHPASS);
        cmd.arg("-p")
            .arg(password)
            .arg(SSH)
            .args(self.client_options())
            .args(["-o", "PubkeyAuthentication=no"])
            .args(["-o", "PreferredAuthentications=password"])
            .current_dir(self.dir.path());
        cmd
    }

    /// The same `sshpass ... ssh ...` as one shell-quoted line, for a terminal (`tmux`).
    pub fn ssh_with_password_line(&self, password: &str) -> String {
        let cmd = self.ssh_with_password(password);
        let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
        words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `user@127.0.0.1`.
    pub fn dest(user: &str) -> String {
        format!("{user}@127.0.0.1")
    }

    /// The tail of the server log, for failure messages.
    pub fn report(&self) -> String {
        format!("--- serve log (tail) ---\n{}", tail(&self.log.all(), 40))
    }
}

/// `word` in single quotes for `sh`.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
