//! What the `authorized_keys` line that let a user in allows for the session (sshd(8)'s
//! AUTHORIZED_KEYS FILE FORMAT): a forced `command=` and whether a PTY may be had. The options
//! checked at login (`from=`, `expiry-time=`) are the engine's
//! (`sshgate::keys::authorized_keys::AuthorizedKey::source_allowed` / `expired_at`); the
//! forwarding options (`no-port-forwarding`, `permitopen=`, `permitlisten=`) narrow what the
//! user's `permit_open` / `permit_listen` allow (see [`super::forwarding`]).

use sshgate::keys::authorized_keys::{AuthorizedKey, KeyOption, Permission};

/// Rules for one authenticated connection; the default (password login, a key without options,
/// an IOS key hash) restricts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRules {
    /// `command="..."`: run this instead of what the client asks (the request is kept in
    /// `SSH_ORIGINAL_COMMAND`).
    pub forced_command: Option<String>,
    /// `pty` unless `no-pty` or `restrict` (without a later `pty`).
    pub pty: bool,
    /// `port-forwarding` unless `no-port-forwarding` or `restrict` (without a later
    /// `port-forwarding`).
    pub port_forwarding: bool,
    /// The key's `permitopen="host:port"` options (empty: the key adds no restriction).
    pub permit_open: Vec<String>,
    /// The key's `permitlisten="[host:]port"` options.
    pub permit_listen: Vec<String>,
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules {
            forced_command: None,
            pty: true,
            port_forwarding: true,
            permit_open: Vec::new(),
            permit_listen: Vec::new(),
        }
    }
}

impl SessionRules {
    /// The rules of an authorized_keys line.
    #[must_use]
    pub fn from_key(key: &AuthorizedKey) -> Self {
        SessionRules {
            forced_command: key.command().map(str::to_string),
            pty: key.allows(Permission::Pty),
            port_forwarding: key.allows(Permission::PortForwarding),
            permit_open: key
                .options
                .iter()
                .filter_map(|o| match o {
                    KeyOption::PermitOpen(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
            permit_listen: key
                .options
                .iter()
                .filter_map(|o| match o {
                    KeyOption::PermitListen(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    fn rules(options: &str) -> SessionRules {
        SessionRules::from_key(&AuthorizedKey::parse(&format!("{options} {KEY}")).unwrap())
    }

    #[test]
    fn options_become_rules() {
        assert_eq!(rules(""), SessionRules::default());
        assert!(!rules("no-pty").pty);
        assert!(!rules("restrict").pty);
        assert!(rules("restrict,pty").pty, "a later pty turns it back on");
        assert!(!rules("pty,restrict").pty);
        assert_eq!(
            rules(r#"command="show ip ssh",no-pty"#)
                .forced_command
                .as_deref(),
            Some("show ip ssh")
        );
        assert!(!rules("no-port-forwarding").port_forwarding);
        assert!(!rules("restrict").port_forwarding);
        assert!(rules("restrict,port-forwarding").port_forwarding);
        let r = rules(r#"permitopen="127.0.0.1:22",permitopen="db:5432",permitlisten="8000""#);
        assert_eq!(r.permit_open, ["127.0.0.1:22", "db:5432"]);
        assert_eq!(r.permit_listen, ["8000"]);
    }
}
