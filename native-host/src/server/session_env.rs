//! The environment of a session's program, made from nothing (OpenSSH session.c
//! `do_setup_env`): nothing of serve's own environment reaches it, only the account's names,
//! a fixed PATH, the terminal type, the client's accepted variables and the connection.

use super::run_as::Account;
use std::net::SocketAddr;

/// `PATH` for ordinary accounts (sshd's `_PATH_STDPATH` as Debian builds it, less games).
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// `PATH` for uid 0 (sshd's `SUPERUSER_PATH`).
pub const ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Everything the environment is made from.
#[derive(Debug)]
pub struct EnvInputs<'a> {
    /// Who runs the program.
    pub account: &'a Account,
    /// `env` requests the session accepted (LANG, LC_*), in order.
    pub client_env: &'a [(String, String)],
    /// The terminal type of `pty-req`, when there is a PTY.
    pub term: Option<&'a str>,
    /// The client's address.
    pub peer: SocketAddr,
    /// Serve's end of the connection, when known.
    pub local: Option<SocketAddr>,
    /// What the client asked for under a forced command (`SSH_ORIGINAL_COMMAND`).
    pub original_command: Option<&'a str>,
}

/// The whole environment (`SSH_TTY` is added by whoever opens the PTY). The client's variables
/// come first, so the fixed ones win on a clash, as in sshd.
#[must_use]
pub fn session_env(i: &EnvInputs<'_>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = i.client_env.to_vec();
    let mut set = |k: &str, v: String| {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v));
    };
    let a = i.account;
    set("USER", a.name.clone());
    set("LOGNAME", a.name.clone());
    set("HOME", a.home.to_string_lossy().into_owned());
    let path = if a.uid == 0 { ROOT_PATH } else { PATH };
    set("PATH", path.to_string());
    set("SHELL", a.shell.to_string_lossy().into_owned());
    if let Some(term) = i.term {
        set("TERM", term.to_string());
    }
    // Addresses without brackets, ports apart, as sshd writes them.
    let (peer_ip, peer_port) = (i.peer.ip().to_canonical(), i.peer.port());
    let (local_ip, local_port) = i.local.map_or_else(
        || ("UNKNOWN".to_string(), 0),
        |l| (l.ip().to_canonical().to_string(), l.port()),
    );
    set("SSH_CLIENT", format!("{peer_ip} {peer_port} {local_port}"));
    set(
        "SSH_CONNECTION",
        format!("{peer_ip} {peer_port} {local_ip} {local_port}"),
    );
    if let Some(original) = i.original_command {
        set("SSH_ORIGINAL_COMMAND", original.to_string());
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(uid: u32) -> Account {
        Account {
            name: "nobody".into(),
            uid,
            gid: 65534,
            groups: vec![65534],
            home: "/nonexistent".into(),
            shell: "/usr/sbin/nologin".into(),
        }
    }

    fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn made_from_the_account_and_the_connection_only() {
        let a = account(65534);
        let client = vec![
            ("LANG".to_string(), "C.UTF-8".to_string()),
            ("LC_TIME".to_string(), "de_DE".to_string()),
        ];
        let env = session_env(&EnvInputs {
            account: &a,
            client_env: &client,
            term: Some("xterm-256color"),
            peer: "192.0.2.7:50123".parse().unwrap(),
            local: Some("192.0.2.1:22".parse().unwrap()),
            original_command: Some("id; echo x"),
        });
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "LANG",
                "LC_TIME",
                "USER",
                "LOGNAME",
                "HOME",
                "PATH",
                "SHELL",
                "TERM",
                "SSH_CLIENT",
                "SSH_CONNECTION",
                "SSH_ORIGINAL_COMMAND"
            ]
        );
        assert_eq!(get(&env, "USER"), Some("nobody"));
        assert_eq!(get(&env, "HOME"), Some("/nonexistent"));
        assert_eq!(get(&env, "PATH"), Some(PATH));
        assert_eq!(get(&env, "SSH_CLIENT"), Some("192.0.2.7 50123 22"));
        assert_eq!(
            get(&env, "SSH_CONNECTION"),
            Some("192.0.2.7 50123 192.0.2.1 22")
        );
        assert_eq!(get(&env, "SSH_ORIGINAL_COMMAND"), Some("id; echo x"));
    }

    #[test]
    fn root_path_no_pty_ipv6_and_unknown_local() {
        let a = account(0);
        let env = session_env(&EnvInputs {
            account: &a,
            client_env: &[],
            term: None,
            peer: "[::ffff:127.0.0.1]:4000".parse().unwrap(),
            local: None,
            original_command: None,
        });
        assert_eq!(get(&env, "PATH"), Some(ROOT_PATH));
        assert_eq!(get(&env, "TERM"), None);
        assert_eq!(get(&env, "SSH_ORIGINAL_COMMAND"), None);
        assert_eq!(
            get(&env, "SSH_CONNECTION"),
            Some("127.0.0.1 4000 UNKNOWN 0")
        );
        let env = session_env(&EnvInputs {
            account: &a,
            client_env: &[],
            term: None,
            peer: "[2001:db8::5]:4000".parse().unwrap(),
            local: Some("[2001:db8::1]:2222".parse().unwrap()),
            original_command: None,
        });
        assert_eq!(
            get(&env, "SSH_CONNECTION"),
            Some("2001:db8::5 4000 2001:db8::1 2222")
        );
    }
}
