//! What the device CLI shows ([`DeviceState`] and its rows), and the server's implementation:
//! settings from the device file, and a registry of the live sessions that the session code
//! fills in (login) and empties (logout).

use super::config::DeviceFile;
use sshgate::keys::HostKeyAlg;
use sshgate::{Algorithms, ServerConfig};
use std::sync::Mutex;

/// One SSH connection, as `show ssh` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    /// Connection number.
    pub id: u32,
    /// `2.0`.
    pub version: String,
    /// Client-to-server cipher.
    pub encryption_in: String,
    /// Server-to-client cipher.
    pub encryption_out: String,
    /// Client-to-server MAC ([`mac_display`] for AEAD ciphers).
    pub hmac_in: String,
    /// Server-to-client MAC.
    pub hmac_out: String,
    /// `Session started`.
    pub state: String,
    /// Authenticated user.
    pub username: String,
}

/// The SSH server settings, as `show ip ssh` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshSettings {
    /// IOS `ip ssh time-out`.
    pub timeout_secs: u64,
    /// IOS `ip ssh authentication-retries`.
    pub retries: u32,
    /// Host key algorithms offered.
    pub hostkey_algorithms: Vec<String>,
    /// Key exchange algorithms offered.
    pub kex_algorithms: Vec<String>,
    /// Ciphers offered.
    pub encryption: Vec<String>,
    /// MACs offered.
    pub macs: Vec<String>,
    /// Authentication methods (`publickey`, `password`, `keyboard-interactive`).
    pub auth_methods: Vec<String>,
    /// Public key algorithms accepted for user authentication.
    pub pubkey_algorithms: Vec<String>,
}

/// One terminal line in use, as `show users` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLine {
    /// Absolute line number (the session's connection number).
    pub number: u32,
    /// `vty 0`.
    pub line: String,
    /// Logged-in user.
    pub user: String,
    /// `idle`, or the host of an outgoing connection.
    pub host: String,
    /// Idle time, `hh:mm:ss`.
    pub idle: String,
    /// Peer address.
    pub location: String,
}

/// What the CLI shows about the running server; implemented by the server around its sessions.
pub trait DeviceState: Send + Sync {
    /// Open SSH connections.
    fn ssh_connections(&self) -> Vec<ConnectionRow>;
    /// Server settings.
    fn ssh_settings(&self) -> SshSettings;
    /// Lines in use.
    fn users(&self) -> Vec<UserLine>;
    /// `disconnect ssh N`: closes connection `id` (inbound or outbound); false if there is none.
    fn disconnect_ssh(&self, _id: u32) -> bool {
        false
    }
}

/// Closes one connection when called (`disconnect ssh N`).
pub type Closer = std::sync::Arc<dyn Fn() + Send + Sync>;

/// One connection the device opened (its own `ssh` command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundInfo {
    /// The `show ssh` rows' data: IN is what the device receives (the remote's
    /// server-to-client direction), OUT what it sends.
    pub connection: ConnectionRow,
    /// The line (inbound connection number) whose user opened it.
    pub line: u32,
    /// The host as typed, for `show users`' Host(s) column.
    pub host: String,
}

/// Authentication methods the device offers, in IOS's `show ip ssh` order.
pub const AUTH_METHODS: [&str; 3] = ["publickey", "password", "keyboard-interactive"];

/// `show ip ssh` settings from the device file and the engine configuration it resolves to:
/// the host key algorithms the server can offer (plain keys, and `x509v3-*` for its host
/// certificate), and the public key algorithms users may sign with (the same list the engine
/// sends as `server-sig-algs`: `x509v3-*` only with `trustpoint verify`).
#[must_use]
pub fn settings_from_config(file: &DeviceFile, cfg: &ServerConfig) -> SshSettings {
    let algs: &Algorithms = &cfg.common.algorithms;
    let publics: Vec<_> = cfg.host_keys.iter().map(|k| k.public()).collect();
    let hostkey = algs
        .host_key
        .iter()
        .filter(|a| match a {
            HostKeyAlg::X509(x) => cfg.host_certificates.iter().any(|c| c.fits(*x)),
            HostKeyAlg::OpenSshCert(c) => cfg
                .openssh_host_certificates
                .iter()
                .any(|cert| c.fits(cert) && publics.contains(&cert.key)),
            _ => publics.iter().any(|p| p.supports(**a)),
        })
        .map(|a| a.name().to_owned())
        .collect();
    let pubkey = algs
        .host_key
        .iter()
        .filter(|a| a.x509().is_none() || !cfg.auth.trustpoints.is_empty())
        // The certificate names come after the plain ones, and only with user CAs.
        .filter(|a| a.openssh_cert().is_none())
        .map(|a| a.name().to_owned())
        .collect();
    let pubkey = with_user_certificates(pubkey, cfg);
    SshSettings {
        timeout_secs: file.server.timeout_seconds,
        retries: file.server.retries,
        pubkey_algorithms: pubkey,
        hostkey_algorithms: hostkey,
        kex_algorithms: algs.kex.iter().map(|a| a.name().to_owned()).collect(),
        encryption: algs.cipher.iter().map(|a| a.name().to_owned()).collect(),
        macs: algs.mac.iter().map(|a| a.name().to_owned()).collect(),
        auth_methods: AUTH_METHODS.map(String::from).to_vec(),
    }
}

/// With `trusted_user_ca_keys`, the OpenSSH certificate names users may log in with, after
/// the plain ones they sign as (what the engine lists in `server-sig-algs`).
fn with_user_certificates(mut pubkey: Vec<String>, cfg: &ServerConfig) -> Vec<String> {
    if cfg.auth.openssh_certificates {
        let plain: Vec<&str> = pubkey.iter().map(String::as_str).collect();
        let certs = sshgate::userauth::openssh_cert::names_for(&plain);
        pubkey.extend(certs.into_iter().map(String::from));
    }
    pubkey
}

/// One logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The `show ssh` rows' data (its `id` is the line number too).
    pub connection: ConnectionRow,
    /// Peer address, for `show users`.
    pub location: String,
    /// When the user last typed (for the idle column).
    pub last_active: std::time::Instant,
}

/// Settings plus the live sessions; share it in an `Arc` between sessions.
#[derive(Default)]
pub struct DeviceRegistry {
    settings: SshSettings,
    sessions: Mutex<Vec<SessionInfo>>,
    /// Connections the device's users opened with `ssh`.
    outbound: Mutex<Vec<OutboundInfo>>,
    /// How to close each connection, by number.
    closers: Mutex<std::collections::HashMap<u32, Closer>>,
    /// The device's known hosts for its own `ssh` (known_hosts text, kept in memory: IOS
    /// keeps the keys it accepted in its running configuration, `ip ssh pubkey-chain`).
    known_hosts: Mutex<String>,
    /// IOS `ip ssh stricthostkeycheck`: only known keys are accepted.
    strict_host_keys: bool,
}

impl DeviceRegistry {
    /// A registry with no sessions.
    #[must_use]
    pub fn new(settings: SshSettings) -> Self {
        DeviceRegistry {
            settings,
            sessions: Mutex::new(Vec::new()),
            outbound: Mutex::new(Vec::new()),
            closers: Mutex::new(std::collections::HashMap::new()),
            known_hosts: Mutex::new(String::new()),
            strict_host_keys: false,
        }
    }

    /// The device's own `ssh`: known hosts to start from, and whether only they are trusted
    /// (IOS `ip ssh stricthostkeycheck`).
    #[must_use]
    pub fn with_known_hosts(mut self, strict: bool, text: String) -> Self {
        self.strict_host_keys = strict;
        let mut text = text;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        self.known_hosts = Mutex::new(text);
        self
    }

    /// Whether the device's own `ssh` accepts only known host keys.
    #[must_use]
    pub fn strict_host_keys(&self) -> bool {
        self.strict_host_keys
    }

    /// Records a session (replacing one with the same id).
    pub fn add(&self, info: SessionInfo) {
        let mut s = self.lock();
        s.retain(|o| o.connection.id != info.connection.id);
        s.push(info);
        s.sort_by_key(|o| o.connection.id);
    }

    /// Forgets a session.
    pub fn remove(&self, id: u32) {
        self.lock().retain(|o| o.connection.id != id);
        self.set_closer(id, None);
    }

    /// Records (or updates, after a re-key) an outbound connection.
    pub fn add_outbound(&self, info: OutboundInfo) {
        let mut o = guard(&self.outbound);
        o.retain(|x| x.connection.id != info.connection.id);
        o.push(info);
        o.sort_by_key(|x| x.connection.id);
    }

    /// Forgets an outbound connection.
    pub fn remove_outbound(&self, id: u32) {
        guard(&self.outbound).retain(|x| x.connection.id != id);
        self.set_closer(id, None);
    }

    /// How `disconnect ssh id` closes connection `id` (`None` forgets it).
    pub fn set_closer(&self, id: u32, closer: Option<Closer>) {
        let mut c = guard(&self.closers);
        match closer {
            Some(f) => {
                c.insert(id, f);
            }
            None => {
                c.remove(&id);
            }
        }
    }

    /// What the device's known hosts say about `key` for `host` on `port`.
    #[must_use]
    pub fn host_key_status(
        &self,
        host: &str,
        port: u16,
        key: &sshgate::keys::PublicKey,
    ) -> sshgate::keys::known_hosts::HostKeyStatus {
        sshgate::keys::known_hosts::check_host_key(&guard(&self.known_hosts), host, port, None, key)
    }

    /// Adds `key` for `host` on `port` to the device's known hosts.
    pub fn remember_host_key(&self, host: &str, port: u16, key: &sshgate::keys::PublicKey) {
        if let Ok(line) = sshgate::keys::known_hosts::format_entry(host, port, None, key) {
            let mut k = guard(&self.known_hosts);
            k.push_str(&line);
            k.push('\n');
        }
    }

    /// Records input on a session at `at` (its idle time restarts).
    pub fn touch(&self, id: u32, at: std::time::Instant) {
        if let Some(s) = self.lock().iter_mut().find(|o| o.connection.id == id) {
            s.last_active = at;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SessionInfo>> {
        guard(&self.sessions)
    }
}

impl std::fmt::Debug for DeviceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRegistry")
            .field("settings", &self.settings)
            .field("sessions", &*self.lock())
            .field("outbound", &*guard(&self.outbound))
            .finish_non_exhaustive()
    }
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl DeviceState for DeviceRegistry {
    fn ssh_connections(&self) -> Vec<ConnectionRow> {
        let mut rows: Vec<ConnectionRow> =
            self.lock().iter().map(|s| s.connection.clone()).collect();
        rows.extend(guard(&self.outbound).iter().map(|o| o.connection.clone()));
        rows.sort_by_key(|r| r.id);
        rows
    }

    fn disconnect_ssh(&self, id: u32) -> bool {
        // Called outside the lock: the closer may take it.
        let closer = guard(&self.closers).get(&id).cloned();
        closer.is_some_and(|close| {
            close();
            true
        })
    }

    fn ssh_settings(&self) -> SshSettings {
        self.settings.clone()
    }

    fn users(&self) -> Vec<UserLine> {
        // IOS numbers vty lines from 0 in login order; a line running `ssh` shows its host.
        let outbound = guard(&self.outbound).clone();
        self.lock()
            .iter()
            .enumerate()
            .map(|(i, s)| UserLine {
                number: s.connection.id,
                line: format!("vty {i}"),
                user: s.connection.username.clone(),
                host: outbound
                    .iter()
                    .find(|o| o.line == s.connection.id)
                    .map_or_else(|| "idle".into(), |o| o.host.clone()),
                idle: idle_hms(s.last_active.elapsed().as_secs()),
                location: s.location.clone(),
            })
            .collect()
    }
}

/// `hh:mm:ss` for an idle time in seconds (hours are not wrapped).
#[must_use]
pub fn idle_hms(secs: u64) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::device_cli::{CliContext, DeviceCli};
    use std::sync::Arc;

    fn session(id: u32, user: &str) -> SessionInfo {
        SessionInfo {
            connection: ConnectionRow {
                id,
                version: "2.0".into(),
                encryption_in: "aes256-ctr".into(),
                encryption_out: "aes256-ctr".into(),
                hmac_in: "hmac-sha2-256".into(),
                hmac_out: "hmac-sha2-256".into(),
                state: "Session started".into(),
                username: user.into(),
            },
            location: "127.0.0.1".into(),
            last_active: std::time::Instant::now(),
        }
    }

    #[test]
    fn settings_from_example() {
        let f = DeviceFile::parse(include_str!("../../examples/device.toml")).unwrap();
        let mut rng = sshgate::crypto::EngineRng::from_seed([3; 32]);
        let mut key = |k| Arc::new(sshgate::keys::PrivateKey::generate(k, &mut rng).unwrap());
        let cfg = ServerConfig {
            common: f.common().unwrap(),
            host_keys: vec![
                key(sshgate::keys::KeyKind::Ed25519),
                key(sshgate::keys::KeyKind::EcdsaP256),
            ],
            ..ServerConfig::default()
        };
        let s = settings_from_config(&f, &cfg);
        assert_eq!((s.timeout_secs, s.retries), (120, 3));
        assert_eq!(s.encryption[0], "chacha20-poly1305@openssh.com");
        assert_eq!(s.kex_algorithms[0], "mlkem768x25519-sha256");
        // Host keys: what the keys can sign (no RSA key, no certificate here); user keys: the
        // whole list, without x509v3 (no trustpoint verify).
        assert_eq!(s.hostkey_algorithms, ["ssh-ed25519", "ecdsa-sha2-nistp256"]);
        assert!(
            s.pubkey_algorithms
                .iter()
                .all(|a| !a.starts_with("x509v3-"))
        );
        assert!(s.pubkey_algorithms.contains(&"rsa-sha2-512".to_string()));
        assert_eq!(s.macs.len(), 4);
        assert_eq!(
            s.auth_methods.join(","),
            "publickey,password,keyboard-interactive"
        );
    }

    #[test]
    fn registry_feeds_the_cli() {
        let reg = Arc::new(DeviceRegistry::new(SshSettings::default()));
        reg.add(session(3, "ops"));
        reg.add(session(1, "lab"));
        let earlier = std::time::Instant::now()
            .checked_sub(std::time::Duration::from_secs(3725))
            .expect("the clock goes back an hour");
        reg.touch(3, earlier);
        let mut cli = DeviceCli::new(CliContext {
            hostname: "router1".into(),
            privilege: 15,
            line_number: 1,
            state: reg.clone(),
        });
        let users = cli.feed_line("show users").text;
        assert!(users.contains("*  1 vty 0     lab "), "{users}");
        assert!(
            users.contains("   3 vty 1     ops        idle                 01:02:05 127.0.0.1"),
            "{users}"
        );
        assert_eq!(cli.feed_line("show ssh").text.lines().count(), 6);
        reg.remove(3);
        assert_eq!(cli.feed_line("show ssh").text.lines().count(), 4);
        assert!(!cli.feed_line("show users").text.contains("ops"));
    }
}
