//! Who a user's program runs as (`run_as` in `[[users]]`): the OS account, looked up as sshd
//! looks up a login (getpwnam, getgrouplist), and the child's credentials dropped before exec
//! as sshd's `do_setusercontext` / `permanently_set_uid` do: supplementary groups, then the
//! primary group, then the user id, then a check that root cannot be had back.
//!
//! A program never runs as root by accident: serve running as root needs `run_as` for every
//! user with a program (`run_as = "root"` written out to mean it), and serve running as
//! another user can only run programs as itself.

use anyhow::{anyhow, bail};
use nix::unistd::{Gid, Uid, User};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The only `run_as` value that may run a program with uid 0.
pub const ROOT: &str = "root";

/// An OS account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Every group the account is in, the primary one included (getgrouplist).
    pub groups: Vec<u32>,
    /// Home directory.
    pub home: PathBuf,
    /// Login shell (for `SHELL`; the program itself runs under `/bin/sh -c`).
    pub shell: PathBuf,
}

impl Account {
    /// The account called `name`.
    pub fn by_name(name: &str) -> anyhow::Result<Account> {
        let user = User::from_name(name)
            .map_err(|e| anyhow!("looking up account {name:?}: {e}"))?
            .ok_or_else(|| anyhow!("no account {name:?} on this system"))?;
        Self::from_user(user)
    }

    /// The account serve runs as (its effective user id); an id without a passwd entry gets
    /// its number as name, `/` as home and `/bin/sh` as shell.
    pub fn current() -> anyhow::Result<Account> {
        let uid = Uid::effective();
        match User::from_uid(uid).map_err(|e| anyhow!("looking up uid {uid}: {e}"))? {
            Some(user) => Self::from_user(user),
            None => {
                let gid = Gid::effective().as_raw();
                Ok(Account {
                    name: uid.to_string(),
                    uid: uid.as_raw(),
                    gid,
                    groups: vec![gid],
                    home: "/".into(),
                    shell: "/bin/sh".into(),
                })
            }
        }
    }

    fn from_user(user: User) -> anyhow::Result<Account> {
        let c_name = CString::new(user.name.as_bytes())?;
        let groups = nix::unistd::getgrouplist(&c_name, user.gid)
            .map_err(|e| anyhow!("groups of account {:?}: {e}", user.name))?;
        Ok(Account {
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            groups: groups.into_iter().map(Gid::as_raw).collect(),
            home: user.dir,
            shell: user.shell,
            name: user.name,
        })
    }
}

/// Whether serve runs with effective uid 0.
#[must_use]
pub fn serve_is_root() -> bool {
    Uid::effective().is_root()
}

/// Who runs a program, decided before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account (environment: USER, HOME, SHELL; working directory).
    pub account: Account,
    /// Switch to the account before exec (serve is root); otherwise the program runs as serve.
    pub switch: bool,
    /// `run_as = "root"` was written: uid 0 is meant.
    pub root_allowed: bool,
}

/// The identity a `[[users]]` entry's program gets: `run_as`, or serve's own account. Refused:
/// serve is root and `run_as` is missing; `run_as` names an account with uid 0 other than
/// `root`; serve is not root and `run_as` names another account (it could not switch).
pub fn resolve(user: &str, run_as: Option<&str>) -> anyhow::Result<Identity> {
    let who = format!("[[users]] {user:?}");
    let root = serve_is_root();
    let Some(name) = run_as else {
        if root {
            bail!(
                "{who}: its program would run as root (serve runs as root): add \
                 run_as = \"nobody\" (or another account) to run it as that account, or \
                 run_as = \"root\" if it must run as root"
            );
        }
        return Ok(Identity {
            account: Account::current().map_err(|e| anyhow!("{who}: {e}"))?,
            switch: false,
            root_allowed: false,
        });
    };
    let account = Account::by_name(name).map_err(|e| anyhow!("{who}: run_as: {e}"))?;
    if account.uid == 0 && name != ROOT {
        bail!("{who}: run_as = {name:?} is uid 0: write run_as = \"root\" to run it as root");
    }
    if !root {
        let own = Uid::effective().as_raw();
        if account.uid != own {
            bail!(
                "{who}: run_as = {name:?}: serve runs as uid {own}, not root, and cannot switch \
                 to another account; run serve as root or remove run_as"
            );
        }
    }
    Ok(Identity {
        account,
        switch: root,
        root_allowed: name == ROOT,
    })
}

/// What the child does between fork and exec, prepared before the fork: nothing is allocated
/// in the child.
#[derive(Debug)]
pub struct ChildSetup {
    /// Switch to these ids (groups, gid, uid), or keep serve's.
    ids: Option<(Vec<Gid>, Gid, Uid)>,
    home: CString,
}

impl ChildSetup {
    /// For `identity`; fails only on a home path with a NUL byte.
    pub fn new(identity: &Identity) -> io::Result<ChildSetup> {
        let a = &identity.account;
        let ids = identity.switch.then(|| {
            let groups = a.groups.iter().copied().map(Gid::from_raw).collect();
            (groups, Gid::from_raw(a.gid), Uid::from_raw(a.uid))
        });
        let home = CString::new(a.home.as_os_str().as_bytes())?;
        Ok(ChildSetup { ids, home })
    }

    /// The uid the program will have.
    #[must_use]
    pub fn uid(&self) -> u32 {
        self.ids
            .as_ref()
            .map_or_else(|| Uid::effective().as_raw(), |(_, _, u)| u.as_raw())
    }

    /// Runs in the child after fork, before exec: set the groups, the gid, the uid (the order
    /// matters: after setuid the others are no longer allowed), make sure root cannot be had
    /// back, and go to the home directory (`/` when it is missing or closed to the account,
    /// as sshd does). Only system calls: safe between fork and exec.
    pub fn apply(&self) -> io::Result<()> {
        if let Some((groups, gid, uid)) = &self.ids {
            nix::unistd::setgroups(groups)?;
            nix::unistd::setgid(*gid)?;
            nix::unistd::setuid(*uid)?;
            // Root could be had back: refuse to exec (an error from a kind, so that nothing
            // is allocated here).
            if !uid.is_root() && nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
        }
        if rustix::process::chdir(self.home.as_c_str()).is_err() {
            rustix::process::chdir(c"/")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_found_with_their_groups() {
        let root = Account::by_name("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert!(root.groups.contains(&0), "{root:?}");
        assert!(Account::by_name("no-such-account-sshgate").is_err());
        let me = Account::current().unwrap();
        assert_eq!(me.uid, Uid::effective().as_raw());
    }

    #[test]
    fn root_needs_run_as_and_non_root_cannot_switch() {
        if serve_is_root() {
            let e = format!("{:#}", resolve("monitor", None).unwrap_err());
            assert!(e.contains("\"monitor\"") && e.contains("run_as"), "{e}");
            let id = resolve("monitor", Some("root")).unwrap();
            assert!(id.switch && id.root_allowed && id.account.uid == 0);
            if let Ok(nobody) = Account::by_name("nobody") {
                let id = resolve("monitor", Some("nobody")).unwrap();
                assert!(id.switch && !id.root_allowed);
                assert_eq!(id.account, nobody);
                let setup = ChildSetup::new(&id).unwrap();
                assert_eq!(setup.uid(), nobody.uid);
            }
        } else {
            let id = resolve("monitor", None).unwrap();
            assert!(!id.switch && !id.root_allowed);
            let e = format!("{:#}", resolve("monitor", Some("root")).unwrap_err());
            assert!(e.contains("cannot switch"), "{e}");
        }
        let e = format!(
            "{:#}",
            resolve("m", Some("no-such-account-sshgate")).unwrap_err()
        );
        assert!(e.contains("no account"), "{e}");
    }
}
