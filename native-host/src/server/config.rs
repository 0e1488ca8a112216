//! The device config file (TOML), modelled on Cisco IOS `ip ssh ...` settings, and its conversion
//! into the engine's [`sshgate::CommonConfig`]. See `native-host/examples/device.toml`.

use super::pki_config::{self, CertificateProfile, TrustpointSection};
use super::users::{UserEntry, check_accounts, check_users};
use crate::algs::{AlgorithmSpecs, ListSpec};
use crate::keyfile;
use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use sshgate::keys::KeyKind;
use sshgate::{CommonConfig, Duration, RekeyLimits};
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFile {
    /// `[server]`
    pub server: ServerSection,
    /// `[algorithms]`
    #[serde(default)]
    pub algorithms: AlgorithmsSection,
    /// `[rekey]`
    #[serde(default)]
    pub rekey: RekeySection,
    /// `[[users]]`: IOS `username NAME privilege N secret ...` and `ip ssh pubkey-chain`.
    #[serde(default)]
    pub users: Vec<UserEntry>,
    /// `[websocket]`: SSH over WebSocket (and the page) from the device itself.
    #[serde(default)]
    pub websocket: Option<crate::web::settings::WebSettings>,
    /// `[[trustpoints]]`: IOS `crypto pki trustpoint NAME`.
    #[serde(default)]
    pub trustpoints: Vec<TrustpointSection>,
    /// `[certificate_profile]`: IOS `ip ssh server certificate profile`.
    #[serde(default)]
    pub certificate_profile: Option<CertificateProfile>,
    /// `[files]`: each user's file root for SCP and SFTP.
    #[serde(default)]
    pub files: Option<super::files::FilesSection>,
    /// `[scp]`: IOS `ip scp server enable`.
    #[serde(default)]
    pub scp: Option<super::files::ScpSection>,
    /// `[sftp]`: OpenSSH `Subsystem sftp internal-sftp`.
    #[serde(default)]
    pub sftp: Option<super::files::SftpSection>,
    /// `[snmp]`: IOS `snmp-server host ADDR COMMUNITY tty` (a trap when a session ends).
    #[serde(default)]
    pub snmp: Option<super::snmp_trap::SnmpSection>,
    /// `[metrics]`: Prometheus `/metrics` on its own HTTP listener.
    #[serde(default)]
    pub metrics: Option<super::metrics::MetricsSection>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Addresses to listen on (`host:port`).
    #[serde(default = "default_listen")]
    pub listen: Vec<String>,
    /// The device's name (IOS `hostname`), used in prompts and key comments.
    #[serde(default = "default_hostname")]
    pub hostname: String,
    /// Host key files, generated when absent.
    pub host_keys: Vec<HostKeySpec>,
    /// sshd's `HostCertificate`: OpenSSH host certificates (`ssh-keygen -s CA -h`), each of one
    /// of `host_keys` (see [`super::host_certs`]).
    #[serde(default)]
    pub host_certificates: Vec<PathBuf>,
    /// IOS `ip ssh time-out` (1-120 s, default 120): time allowed for authentication.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// IOS `ip ssh authentication-retries` (0-5, default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// IOS `banner login`: shown before authentication.
    #[serde(default)]
    pub banner: Option<String>,
    /// OpenSSH `MaxStartups` (`start:rate:full`): random early drop of unauthenticated
    /// connections. See [`super::startups`].
    #[serde(default = "default_max_startups")]
    pub max_startups: String,
    /// OpenSSH `PerSourceMaxStartups`: a number, or `"none"`.
    #[serde(default)]
    pub per_source_max_startups: super::startups::PerSource,
    /// OpenSSH `PerSourceNetBlockSize` (`v4:v6` prefix lengths).
    #[serde(default = "default_netblock")]
    pub per_source_netblock: String,
    /// Password checks hashed at once (default: the CPUs the server may use).
    #[serde(default)]
    pub password_checks: Option<usize>,
    /// Password checks waiting at most; beyond, an attempt is refused at once.
    #[serde(default = "default_password_queue")]
    pub password_queue: usize,
    /// Seconds a client may leave the server's output unread before it is dropped.
    #[serde(default = "default_write_timeout")]
    pub write_timeout_seconds: u64,
    /// OpenSSH `MaxSessions`: session channels open at once on one connection (1-64).
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// IOS `ip ssh stricthostkeycheck`, for the device CLI's own `ssh` command: off (IOS's
    /// default) accepts a new server's key and keeps it in memory; on accepts only keys in
    /// `known_hosts` (or kept earlier). A key that differs from a known one is refused either
    /// way.
    #[serde(default)]
    pub strict_host_key_check: bool,
    /// Server keys the device's own `ssh` knows (OpenSSH known_hosts format; IOS `ip ssh
    /// pubkey-chain` `server` entries). Read at start; keys accepted later are not written.
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// Forwarded channels and `tcpip-forward` listeners open at once on one connection.
    #[serde(default = "default_max_forwards")]
    pub max_forwards: usize,
    /// sshd's `TrustedUserCAKeys`: a file of CA public keys (one OpenSSH key a line) whose user
    /// certificates log in (see [`super::user_certs`]).
    #[serde(default)]
    pub trusted_user_ca_keys: Option<PathBuf>,
    /// IOS `debug ip ssh [detail|packet]` from the start: `ip-ssh`, `ip-ssh-detail`,
    /// `ip-ssh-packet` (see [`super::debug_trace`]).
    #[serde(default)]
    pub debug: Vec<String>,
}

/// A host key: a path (kind from the file name), or a table with an explicit type and size.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HostKeySpec {
    /// `"keys/ssh_host_ed25519_key"`
    Path(PathBuf),
    /// `{ path = "...", type = "rsa", bits = 4096 }`
    Table(HostKeyTable),
}

/// The table form of [`HostKeySpec`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostKeyTable {
    /// File path.
    pub path: PathBuf,
    /// `ed25519`, `ecdsa` or `rsa`.
    #[serde(rename = "type")]
    pub key_type: Option<String>,
    /// Size in bits (ecdsa 256/384/521, rsa 2048-16384).
    pub bits: Option<usize>,
}

/// `[algorithms]`: SSH names in preference order; absent lists take the engine's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmsSection {
    /// IOS `ip ssh server algorithm kex`.
    pub kex: Option<Vec<String>>,
    /// IOS `ip ssh server algorithm hostkey`.
    pub hostkey: Option<Vec<String>>,
    /// IOS `ip ssh server algorithm encryption`.
    pub cipher: Option<Vec<String>>,
    /// IOS `ip ssh server algorithm mac`.
    pub mac: Option<Vec<String>>,
}

/// `[rekey]`: IOS `ip ssh rekey volume` / `ip ssh rekey time`, here in bytes, packets, seconds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RekeySection {
    /// Bytes under one set of keys.
    pub bytes: Option<u64>,
    /// Packets under one set of keys.
    pub packets: Option<u64>,
    /// Seconds under one set of keys.
    pub seconds: Option<u64>,
}

/// How errors name the `[algorithms]` lists.
const CONFIG_LABELS: [&str; 4] = [
    "[algorithms] kex",
    "[algorithms] hostkey",
    "[algorithms] cipher",
    "[algorithms] mac",
];

fn default_listen() -> Vec<String> {
    vec!["127.0.0.1:2222".into()]
}
fn default_hostname() -> String {
    "sshgate".into()
}
fn default_timeout() -> u64 {
    120
}
fn default_retries() -> u32 {
    3
}
fn default_max_startups() -> String {
    "10:30:100".into()
}
fn default_netblock() -> String {
    "32:128".into()
}
fn default_password_queue() -> usize {
    64
}
fn default_write_timeout() -> u64 {
    300
}
fn default_max_sessions() -> usize {
    10
}
fn default_max_forwards() -> usize {
    32
}

impl DeviceFile {
    /// Parses and checks the file's text (names are checked by [`DeviceFile::common`]).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let f: DeviceFile = toml::from_str(text)?;
        let s = &f.server;
        if s.listen.is_empty() {
            bail!("[server] listen: no address");
        }
        if s.host_keys.is_empty() {
            bail!("[server] host_keys: at least one host key is needed");
        }
        if !(1..=64).contains(&s.max_sessions) {
            bail!("[server] max_sessions: expected 1-64");
        }
        if !(1..=256).contains(&s.max_forwards) {
            bail!("[server] max_forwards: expected 1-256");
        }
        if !(1..=120).contains(&s.timeout_seconds) {
            bail!("[server] timeout_seconds: 1 to 120 (IOS ip ssh time-out)");
        }
        if s.retries > 5 {
            bail!("[server] retries: 0 to 5 (IOS ip ssh authentication-retries)");
        }
        for (name, v) in [
            ("bytes", f.rekey.bytes),
            ("packets", f.rekey.packets),
            ("seconds", f.rekey.seconds),
        ] {
            if v == Some(0) {
                bail!("[rekey] {name}: must be positive");
            }
        }
        s.check_limits()?;
        check_users(&f.users)?;
        pki_config::check(&f.trustpoints, f.certificate_profile.as_ref())?;
        super::files::config::check(f.files.as_ref(), f.scp.as_ref(), f.sftp.as_ref())?;
        if let Some(ws) = &f.websocket {
            ws.check("[websocket]")?;
        }
        if let Some(snmp) = &f.snmp {
            snmp.check()?;
        }
        if let Some(m) = &f.metrics {
            m.check()?;
        }
        Ok(f)
    }

    /// Reads and parses a file, and checks the `run_as` accounts against this system (so a
    /// program that would run as root, or as an account serve cannot switch to, stops serve
    /// at start rather than at the first login).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let f = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        check_accounts(&f.users).with_context(|| format!("in {}", path.display()))?;
        Ok(f)
    }

    /// Each host key's path and the kind to generate if the file is absent.
    pub fn host_keys(&self) -> anyhow::Result<Vec<(PathBuf, KeyKind)>> {
        self.server
            .host_keys
            .iter()
            .map(|spec| match spec {
                HostKeySpec::Path(p) => keyfile::kind_from_file_name(p)
                    .map(|k| (p.clone(), k))
                    .ok_or_else(|| {
                        anyhow!(
                            "[server] host_keys: cannot tell the key type from {:?}; name it \
                             like ssh_host_ed25519_key or use {{ path = ..., type = ... }}",
                            p.display().to_string()
                        )
                    }),
                HostKeySpec::Table(t) => {
                    let kind = match &t.key_type {
                        Some(ty) => keyfile::kind_from_type(ty, t.bits)?,
                        None => keyfile::kind_from_file_name(&t.path).ok_or_else(|| {
                            anyhow!("[server] host_keys: {} needs a type", t.path.display())
                        })?,
                    };
                    Ok((t.path.clone(), kind))
                }
            })
            .collect()
    }

    /// The algorithm lists as overrides of the engine defaults (plain lists replace).
    #[must_use]
    pub fn algorithm_specs(&self) -> AlgorithmSpecs {
        let a = &self.algorithms;
        let spec = |l: &Option<Vec<String>>| l.clone().map(ListSpec::Replace);
        AlgorithmSpecs {
            kex: spec(&a.kex),
            host_key: spec(&a.hostkey),
            cipher: spec(&a.cipher),
            mac: spec(&a.mac),
        }
    }

    /// The engine settings: algorithms (every name checked) and re-key limits.
    pub fn common(&self) -> anyhow::Result<CommonConfig> {
        let algorithms = self
            .algorithm_specs()
            .build(CONFIG_LABELS)
            .map_err(anyhow::Error::msg)?;
        let mut rekey = RekeyLimits::default();
        let r = &self.rekey;
        rekey.bytes = r.bytes.unwrap_or(rekey.bytes);
        rekey.packets = r.packets.unwrap_or(rekey.packets);
        rekey.time = r.seconds.map_or(rekey.time, Duration::from_secs);
        Ok(CommonConfig {
            algorithms,
            rekey,
            ..CommonConfig::default()
        })
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
