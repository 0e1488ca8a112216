//! What the `authorized_keys` line that let a user in allows for the session (sshd(8)'s
//! AUTHORIZED_KEYS FILE FORMAT): a forced `command=` and whether a PTY may be had. The options
//! checked at login (`from=`, `expiry-time=`) are the engine's
//! (`sshgate::keys::authorized_keys::AuthorizedKey::source_allowed` / `expired_at`); the
//! forwarding restrictions hold anyway, since a device forwards nothing.

use sshgate::keys::authorized_keys::{AuthorizedKey, Permission};

/// Rules for one authenticated connection; the default (password login, a key without options,
/// an IOS key hash) restricts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRules {
    /// `command="..."`: run this instead of what the client asks (the request is kept in
    /// `SSH_ORIGINAL_COMMAND`).
    pub forced_command: Option<String>,
    /// `pty` unless `no-pty` or `restrict` (without a later `pty`).
    pub pty: bool,
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules {
            forced_command: None,
            pty: true,
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
    }
}
