//! The bridge's settings: command-line flags over an optional TOML file (`--config`, see
//! `native-host/examples/bridge.toml`), and the target list — the only places the bridge will
//! ever connect to. A page names a target; it never gives an address.

use crate::web::settings::{WebSettings, is_loopback};
use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `bridge`. Flags given replace the file's values; lists given replace its lists
/// (targets are merged: a flag target replaces a file target of the same name).
#[derive(Debug, Args, Default, Clone)]
pub struct BridgeArgs {
    /// Settings and targets (TOML; see native-host/examples/bridge.toml).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (host:port); repeatable [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<String>,
    /// A target the page may ask for: NAME=HOST:PORT; repeatable.
    #[arg(long, value_name = "NAME=HOST:PORT")]
    pub target: Vec<String>,
    /// Directory of static files served at / (the built page, www/dist).
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// PEM certificate chain for wss:// (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates issued by these PEM CA certificates (mutual TLS).
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Allow plain ws:// on a non-loopback address.
    #[arg(long)]
    pub insecure_allow_plain: bool,
    /// Origin a page may connect from (https://host[:port]); repeatable; `*` for any
    /// [default: the bridge's own origin].
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// A name the bridge may be reached by (the Host header: NAME, NAME:PORT or an address),
    /// besides loopback and its own bound address; repeatable; `*` for any. Against DNS
    /// rebinding: requests naming anything else get 421.
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Listen on a non-loopback address with no token and no client certificates: anyone who
    /// reaches it can open connections to every target.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Bearer token required before the SSH login [env: SSHGATE_BRIDGE_TOKEN].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Open sessions in all [default: 1024].
    #[arg(long, value_name = "N")]
    pub max_sessions: Option<usize>,
    /// Open sessions from one source address [default: 32].
    #[arg(long, value_name = "N")]
    pub max_sessions_per_source: Option<usize>,
    /// Seconds without data either way before a session is closed; 0 = never [default: 1800].
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,
    /// Seconds for the TLS handshake and the HTTP request [default: 10].
    #[arg(long, value_name = "SECS")]
    pub handshake_timeout: Option<u64>,
    /// Largest WebSocket message from a client, bytes [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Seconds a session whose WebSocket dropped waits for its client to resume it
    /// (sshgate.resume.v1); 0 turns resume off [default: 60].
    #[arg(long, value_name = "SECS")]
    pub resume_grace: Option<u64>,
    /// Seconds between WebSocket pings [default: 30].
    #[arg(long, value_name = "SECS")]
    pub ws_ping: Option<u64>,
}

/// The environment variable that may carry the token (kept out of `ps` output).
pub const TOKEN_ENV: &str = "SSHGATE_BRIDGE_TOKEN";

/// The file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeFile {
    /// `[bridge]`: listener settings, `[bridge.limits]`.
    #[serde(default)]
    pub bridge: WebSettings,
    /// `[[targets]]`.
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// One target.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// What the page asks for (`/ssh/NAME`): letters, digits, `.`, `-`, `_`.
    pub name: String,
    /// `host:port` the bridge connects to.
    pub address: String,
    /// Shown next to the name in the page's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Everything the bridge runs with.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Listener settings.
    pub web: WebSettings,
    /// Targets by name.
    pub targets: BTreeMap<String, Target>,
}

impl BridgeFile {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// Parses `NAME=HOST:PORT`.
pub fn parse_target_flag(s: &str) -> anyhow::Result<Target> {
    let Some((name, address)) = s.split_once('=') else {
        bail!("--target {s:?}: expected NAME=HOST:PORT");
    };
    Ok(Target {
        name: name.trim().to_string(),
        address: address.trim().to_string(),
        description: None,
    })
}

/// Checks a target's name and address form (the address is resolved when a session connects).
pub fn check_target(t: &Target) -> anyhow::Result<()> {
    let name_ok = !t.name.is_empty()
        && t.name.len() <= 64
        && t.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !name_ok {
        bail!(
            "target name {:?}: 1-64 letters, digits, '.', '-' or '_'",
            t.name
        );
    }
    let port_ok = t
        .address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok {
        bail!(
            "target {}: address {:?} is not HOST:PORT",
            t.name,
            t.address
        );
    }
    Ok(())
}

/// The listen addresses off loopback that nobody has to prove anything to reach: with no token
/// and no client certificates, whoever reaches them can have the bridge dial every target.
#[must_use]
pub fn unauthenticated_public(web: &WebSettings) -> Vec<&str> {
    if web.token.is_some() || web.client_ca.is_some() {
        return Vec::new();
    }
    web.listen
        .iter()
        .map(String::as_str)
        .filter(|a| !is_loopback(a))
        .collect()
}

/// Refuses a listener off loopback without a token or mutual TLS, unless `insecure_no_auth`.
pub fn check_auth(web: &WebSettings) -> anyhow::Result<()> {
    match unauthenticated_public(web).first() {
        Some(addr) if !web.insecure_no_auth => bail!(
            "bridge: refusing to listen on {addr}, which is not a loopback address, with no \
             token and no client certificates: anyone who can reach it could open connections \
             to every target. Set a token (--token, SSHGATE_BRIDGE_TOKEN or token = ...) or \
             mutual TLS (--client-ca, client_ca = ...), listen on loopback behind a proxy, or \
             accept the risk with --insecure-no-auth (insecure_no_auth = true)"
        ),
        _ => Ok(()),
    }
}

impl BridgeConfig {
    /// The file (if any) with the flags over it, checked.
    pub fn resolve(args: &BridgeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(p) => BridgeFile::load(p)?,
            None => BridgeFile::default(),
        };
        Self::merge(file, args, std::env::var(TOKEN_ENV).ok())
    }

    /// [`BridgeConfig::resolve`] without the file system and environment.
    pub fn merge(
        file: BridgeFile,
        a: &BridgeArgs,
        env_token: Option<String>,
    ) -> anyhow::Result<Self> {
        let mut web = file.bridge;
        if !a.listen.is_empty() {
            web.listen.clone_from(&a.listen);
        }
        if web.listen.is_empty() {
            web.listen = vec!["127.0.0.1:8080".into()];
        }
        let or = |flag: &Option<PathBuf>, file: &mut Option<PathBuf>| {
            if flag.is_some() {
                file.clone_from(flag);
            }
        };
        or(&a.static_dir, &mut web.static_dir);
        or(&a.tls_cert, &mut web.tls_cert);
        or(&a.tls_key, &mut web.tls_key);
        or(&a.client_ca, &mut web.client_ca);
        web.insecure_allow_plain |= a.insecure_allow_plain;
        if !a.allow_origin.is_empty() {
            web.allow_origins.clone_from(&a.allow_origin);
        }
        if !a.allow_host.is_empty() {
            web.allow_hosts.clone_from(&a.allow_host);
        }
        web.insecure_no_auth |= a.insecure_no_auth;
        // The flag, then the environment, then the file.
        if let Some(t) = a.token.clone().or(env_token.filter(|t| !t.is_empty())) {
            web.token = Some(t);
        }
        let l = &mut web.limits;
        l.max_sessions = a.max_sessions.unwrap_or(l.max_sessions);
        l.max_sessions_per_source = a
            .max_sessions_per_source
            .unwrap_or(l.max_sessions_per_source);
        l.idle_timeout_seconds = a.idle_timeout.unwrap_or(l.idle_timeout_seconds);
        l.handshake_timeout_seconds = a.handshake_timeout.unwrap_or(l.handshake_timeout_seconds);
        l.max_message_bytes = a.max_message_bytes.unwrap_or(l.max_message_bytes);
        l.resume_grace_seconds = a.resume_grace.unwrap_or(l.resume_grace_seconds);
        l.ws_ping_seconds = a.ws_ping.unwrap_or(l.ws_ping_seconds);
        check_auth(&web)?;
        web.check("bridge")?;

        let mut targets = BTreeMap::new();
        for t in file.targets {
            check_target(&t)?;
            if targets.insert(t.name.clone(), t.clone()).is_some() {
                bail!("target {} is listed twice", t.name);
            }
        }
        for flag in &a.target {
            let t = parse_target_flag(flag)?;
            check_target(&t)?;
            targets.insert(t.name.clone(), t);
        }
        if targets.is_empty() {
            bail!("bridge: no targets (give --target NAME=HOST:PORT or [[targets]] in --config)");
        }
        Ok(BridgeConfig { web, targets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../examples/bridge.toml");

    fn args(f: impl FnOnce(&mut BridgeArgs)) -> BridgeArgs {
        let mut a = BridgeArgs {
            target: vec!["r1=127.0.0.1:22".into()],
            ..BridgeArgs::default()
        };
        f(&mut a);
        a
    }

    #[test]
    fn example_file_parses() {
        let f: BridgeFile = toml::from_str(EXAMPLE).unwrap();
        assert!(f.targets.iter().any(|t| t.name == "router1"));
        assert!(f.bridge.tls());
        for t in &f.targets {
            check_target(t).unwrap();
        }
        // As shipped it starts: nothing off loopback without a token, nothing insecure forced.
        let c = BridgeConfig::merge(f, &BridgeArgs::default(), None).unwrap();
        assert!(unauthenticated_public(&c.web).is_empty());
        assert!(!c.web.insecure_no_auth && !c.web.insecure_allow_plain);
        assert!(!c.web.allow_hosts.is_empty(), "allow_hosts is shown");
    }

    #[test]
    fn off_loopback_wants_a_token_or_mutual_tls() {
        let open = |f: fn(&mut BridgeArgs)| {
            let a = args(|a| {
                a.listen = vec!["127.0.0.1:8443".into(), "0.0.0.0:8443".into()];
                a.tls_cert = Some("c.pem".into());
                a.tls_key = Some("k.pem".into());
                f(a);
            });
            BridgeConfig::merge(BridgeFile::default(), &a, None)
        };
        let e = open(|_| {}).unwrap_err().to_string();
        assert!(
            e.contains("0.0.0.0:8443") && e.contains("--insecure-no-auth"),
            "{e}"
        );
        let c = open(|a| a.insecure_no_auth = true).unwrap();
        assert_eq!(unauthenticated_public(&c.web), ["0.0.0.0:8443"]);
        let c = open(|a| a.token = Some("t".into())).unwrap();
        assert!(unauthenticated_public(&c.web).is_empty());
        let c = open(|a| a.client_ca = Some("ca.pem".into())).unwrap();
        assert!(unauthenticated_public(&c.web).is_empty());
        // The environment's token counts as a token.
        let a = args(|a| {
            a.listen = vec!["[::]:8443".into()];
            a.insecure_allow_plain = true;
        });
        BridgeConfig::merge(BridgeFile::default(), &a, Some("env".into())).unwrap();
        let file: BridgeFile = toml::from_str(
            "[bridge]\nlisten = [\"[::]:8443\"]\ninsecure_allow_plain = true\n\
             insecure_no_auth = true\nallow_hosts = [\"ssh.example.net\"]\n",
        )
        .unwrap();
        let c = BridgeConfig::merge(file, &args(|_| {}), None).unwrap();
        assert_eq!(c.web.allow_hosts, ["ssh.example.net"]);
        let a = args(|a| a.allow_host = vec!["https://x".into()]);
        assert!(BridgeConfig::merge(BridgeFile::default(), &a, None).is_err());
    }

    #[test]
    fn flags_over_file() {
        let file: BridgeFile = toml::from_str(
            "[bridge]\nlisten = [\"127.0.0.1:9000\"]\ntoken = \"from-file\"\n\
             [bridge.limits]\nmax_sessions = 7\n\
             [[targets]]\nname = \"r1\"\naddress = \"192.0.2.1:22\"\ndescription = \"core\"\n",
        )
        .unwrap();
        let a = args(|a| {
            a.target = vec!["r2=192.0.2.2:2222".into(), "r1=192.0.2.9:22".into()];
            a.max_sessions_per_source = Some(3);
        });
        let c = BridgeConfig::merge(file.clone(), &a, Some("from-env".into())).unwrap();
        assert_eq!(c.web.listen, ["127.0.0.1:9000"]);
        assert_eq!(c.web.token.as_deref(), Some("from-env"), "env over file");
        assert_eq!(
            (
                c.web.limits.max_sessions,
                c.web.limits.max_sessions_per_source
            ),
            (7, 3)
        );
        assert_eq!(
            c.targets["r1"].address, "192.0.2.9:22",
            "flag replaces file target"
        );
        assert_eq!(c.targets["r2"].address, "192.0.2.2:2222");
        let a = args(|a| a.token = Some("flag".into()));
        let c = BridgeConfig::merge(file, &a, Some("from-env".into())).unwrap();
        assert_eq!(c.web.token.as_deref(), Some("flag"));
    }

    #[test]
    fn defaults_and_refusals() {
        let c = BridgeConfig::merge(BridgeFile::default(), &args(|_| {}), None).unwrap();
        assert_eq!(c.web.listen, ["127.0.0.1:8080"]);
        assert!(c.web.token.is_none());
        let none = BridgeArgs::default();
        assert!(
            BridgeConfig::merge(BridgeFile::default(), &none, None).is_err(),
            "no targets"
        );
        for bad in [
            "r1",
            "=h:22",
            "bad name=h:22",
            "r1=h",
            "r1=h:0",
            "r1=:22",
            "r1=h:99999",
        ] {
            let a = args(|a| a.target = vec![bad.into()]);
            assert!(
                BridgeConfig::merge(BridgeFile::default(), &a, None).is_err(),
                "{bad}"
            );
        }
        let public = args(|a| {
            a.listen = vec!["0.0.0.0:8080".into()];
            a.token = Some("t".into());
        });
        let e = BridgeConfig::merge(BridgeFile::default(), &public, None).unwrap_err();
        assert!(format!("{e:#}").contains("--insecure-allow-plain"), "{e:#}");
        let forced = args(|a| {
            a.listen = vec!["0.0.0.0:8080".into()];
            a.insecure_allow_plain = true;
            a.token = Some("t".into());
        });
        BridgeConfig::merge(BridgeFile::default(), &forced, None).unwrap();
        let dup: BridgeFile = toml::from_str(
            "[[targets]]\nname = \"a\"\naddress = \"h:1\"\n[[targets]]\nname = \"a\"\naddress = \"h:2\"\n",
        )
        .unwrap();
        assert!(BridgeConfig::merge(dup, &BridgeArgs::default(), None).is_err());
    }
}
