//! `[[users]]` in the device file: IOS `username NAME privilege N secret ...` plus
//! `ip ssh pubkey-chain` / `username NAME` / `key-string` or `key-hash ssh-rsa <md5>`.

use super::passwords;
use super::session_rules::SessionRules;
use anyhow::{anyhow, bail};
use serde::Deserialize;
use sshgate::keys::PublicKey;
use sshgate::keys::authorized_keys::{AuthorizedKey, KeyOption};
use std::net::IpAddr;

/// One `[[users]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Login name.
    pub name: String,
    /// IOS privilege level 0-15 (default 1); 15 gives the `#` prompt, others `>`.
    #[serde(default = "default_privilege")]
    pub privilege: u8,
    /// PHC string (`sshgate-host passwd`; argon2id, or scrypt); absent = no password login.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// OpenSSH `authorized_keys` lines (options allowed), parsed by the engine's
    /// `sshgate::keys::authorized_keys`.
    #[serde(default)]
    pub authorized_keys: Vec<String>,
    /// IOS `key-hash ssh-rsa <MD5 of the key blob>`.
    #[serde(default)]
    pub key_hashes: Vec<KeyHash>,
    /// A forced command (sshd's `ForceCommand`): run as `/bin/sh -c COMMAND` for every
    /// `shell`, `exec` and `subsystem` instead of the built-in device CLI, the client's
    /// request kept in `SSH_ORIGINAL_COMMAND`; in a PTY when the client asks for one.
    #[serde(default)]
    pub command: Option<String>,
    /// The OS account `command` runs as (uid, gid, groups, home); needed when serve runs as
    /// root, `"root"` written out to run it as root.
    #[serde(default)]
    pub run_as: Option<String>,
    /// The password must be changed at the next login.
    #[serde(default)]
    pub password_expired: bool,
    /// May log in with a certificate (from a `trustpoint verify` CA) whose mapped name
    /// (IOS `authorization username subjectname ...`) is this user's.
    #[serde(default)]
    pub certificate: bool,
    /// sshd's `AuthorizedPrincipalsFile` for this user: the OpenSSH certificate principals
    /// that may log in as this user. Absent: the user's own name must be a principal.
    #[serde(default)]
    pub authorized_principals: Option<Vec<String>>,
    /// `direct-tcpip` destinations (OpenSSH `PermitOpen`, plus address blocks): see
    /// [`super::forwarding::permit`]. Empty: none.
    #[serde(default)]
    pub permit_open: Vec<String>,
    /// `tcpip-forward` listens (OpenSSH `PermitListen`), bound on loopback. Empty: none.
    #[serde(default)]
    pub permit_listen: Vec<String>,
}

/// IOS `key-hash <type> <hash>`: the MD5 of a public key blob, 32 hex digits (colons allowed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHash {
    /// Key type, e.g. `ssh-rsa` (the only one IOS takes).
    #[serde(rename = "type")]
    pub key_type: String,
    /// Hex MD5, as IOS prints it (`8FB4F858DD7E5AFB372780EC653DB371`) or as `ssh-keygen -E md5`.
    pub hash: String,
}

fn default_privilege() -> u8 {
    1
}

/// Key types IOS `key-hash` entries may name (the ones the engine supports).
const KEY_HASH_TYPES: [&str; 5] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
];

impl UserEntry {
    /// The IOS prompt character for this user: `#` at privilege 15, `>` otherwise.
    #[must_use]
    #[allow(dead_code)] // for the device CLI's prompt, wired with sessions
    pub fn prompt_char(&self) -> char {
        if self.privilege >= 15 { '#' } else { '>' }
    }

    /// The parsed `authorized_keys` lines that parse (the device file check refuses the
    /// others at load), with their options.
    #[must_use]
    pub fn authorized(&self) -> Vec<AuthorizedKey> {
        self.authorized_keys
            .iter()
            .filter_map(|l| AuthorizedKey::parse(l).ok())
            .collect()
    }

    /// Whether `key` may log in from `ip` at `unix_secs`, and under which rules: the first
    /// authorized_keys line for the key whose `from=` admits the address and whose
    /// `expiry-time` has not passed, else an IOS `key-hash` match (no rules).
    #[must_use]
    pub fn admit_key(&self, key: &PublicKey, ip: IpAddr, unix_secs: u64) -> Option<SessionRules> {
        let mut refused = None;
        for a in self.authorized() {
            if a.key != *key || a.is_cert_authority() {
                continue;
            }
            if !a.source_allowed(ip) {
                refused = Some("its from= option does not admit the client's address");
            } else if a.expired_at(unix_secs) {
                refused = Some("its expiry-time has passed");
            } else {
                return Some(SessionRules::from_key(&a));
            }
        }
        if self.key_hash_matches(key) {
            return Some(SessionRules::default());
        }
        if let Some(why) = refused {
            tracing::info!(user = %self.name, fingerprint = %key.fingerprint_sha256(), "key refused: {why}");
        }
        None
    }

    /// True when `key` matches one of `key_hashes`.
    #[must_use]
    pub fn key_hash_matches(&self, key: &PublicKey) -> bool {
        let md5 = key.fingerprint_md5().replace(':', "");
        self.key_hashes.iter().any(|h| {
            h.key_type == key.key_type() && normalize_hash(&h.hash).as_deref() == Some(&md5)
        })
    }

    fn check(&self) -> anyhow::Result<()> {
        let who = format!("[[users]] {:?}", self.name);
        if self.privilege > 15 {
            bail!("{who}: privilege {}: must be 0 to 15", self.privilege);
        }
        if let Some(phc) = &self.password_hash {
            passwords::check_phc(phc).map_err(|e| anyhow!("{who}: password_hash: {e}"))?;
        }
        for (i, line) in self.authorized_keys.iter().enumerate() {
            let entry = AuthorizedKey::parse(line)
                .map_err(|e| anyhow!("{who}: authorized_keys[{i}]: {e}"))?;
            let ignored = ignored_options(&entry);
            if !ignored.is_empty() {
                tracing::warn!(
                    "{who}: authorized_keys[{i}]: {} ignored, as by sshd with \
                     PermitUserEnvironment no",
                    ignored.join(", ")
                );
            }
        }
        super::forwarding::permit::PermitList::parse_open(&self.permit_open)
            .map_err(|e| anyhow!("{who}: permit_open: {e}"))?;
        super::forwarding::permit::PermitList::parse_listen(&self.permit_listen)
            .map_err(|e| anyhow!("{who}: permit_listen: {e}"))?;
        for (i, h) in self.key_hashes.iter().enumerate() {
            if !KEY_HASH_TYPES.contains(&h.key_type.as_str()) {
                bail!("{who}: key_hashes[{i}]: unknown key type {:?}", h.key_type);
            }
            if normalize_hash(&h.hash).is_none() {
                bail!("{who}: key_hashes[{i}]: hash must be 32 hex digits (MD5)");
            }
        }
        if self.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
            bail!("{who}: command is empty");
        }
        match (&self.run_as, &self.command) {
            (Some(name), _) if name.is_empty() || name.contains(['\0', ':', '/']) => {
                bail!("{who}: run_as {name:?}: not an account name");
            }
            (Some(_), None) => bail!(
                "{who}: run_as without command: the device CLI runs inside serve; remove \
                 run_as or give the user a command"
            ),
            _ => {}
        }
        if self.command.is_some()
            && let Some(i) = self.authorized().iter().position(|a| a.command().is_some())
        {
            tracing::warn!(
                "{who}: authorized_keys[{i}]: command= is overridden by the user's command, \
                 as sshd's ForceCommand overrides it"
            );
        }
        if self.password_hash.is_none()
            && self.authorized_keys.is_empty()
            && self.key_hashes.is_empty()
            && !self.certificate
            && self.authorized_principals.is_none()
        {
            bail!(
                "{who}: no password_hash, authorized_keys, key_hashes, certificate = true or \
                 authorized_principals: cannot log in"
            );
        }
        Ok(())
    }
}

/// Checks every user and that names are unique.
pub fn check_users(users: &[UserEntry]) -> anyhow::Result<()> {
    for (i, u) in users.iter().enumerate() {
        if u.name.is_empty() || u.name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("[[users]] #{}: bad name {:?}", i + 1, u.name);
        }
        if users[..i].iter().any(|o| o.name == u.name) {
            bail!("[[users]] {:?}: defined twice", u.name);
        }
        u.check()?;
    }
    Ok(())
}

/// Checks against this system what [`check_users`] cannot: every user with a program has an
/// account to run it as (see [`super::run_as::resolve`]: `run_as` is needed when serve runs as
/// root, and can only name serve's own account otherwise).
pub fn check_accounts(users: &[UserEntry]) -> anyhow::Result<()> {
    for u in users.iter().filter(|u| u.command.is_some()) {
        super::run_as::resolve(&u.name, u.run_as.as_deref())?;
    }
    Ok(())
}

/// Options serve reads but does not act on: `environment=` (sshd too ignores it unless
/// `PermitUserEnvironment` is on, its default being off).
fn ignored_options(entry: &AuthorizedKey) -> Vec<&'static str> {
    let any_env = entry
        .options
        .iter()
        .any(|o| matches!(o, KeyOption::Environment(_)));
    if any_env {
        vec!["environment="]
    } else {
        Vec::new()
    }
}

/// Lowercase hex without colons, if `h` is an MD5 in hex.
fn normalize_hash(h: &str) -> Option<String> {
    let hex: String = h.chars().filter(|&c| c != ':').collect();
    (hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
