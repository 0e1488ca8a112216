//! Settings of a WebSocket/HTTP listener, shared by `bridge` (`[bridge]` in its file, or flags)
//! and `serve` (`[websocket]` in the device file): where to listen, TLS, who may connect, and
//! the limits. Also the start-up rule that plain `ws://` is for loopback only.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// One listener's settings (TOML table; every field optional but `listen` for a useful one).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Addresses to listen on (`host:port`).
    #[serde(default)]
    pub listen: Vec<String>,
    /// PEM certificate chain for `wss://` (with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificates: when set, clients must present a certificate they issued (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// Allow plain `ws://` on a non-loopback address (keystrokes stay SSH-encrypted, but the
    /// token and the page itself would travel in the clear).
    #[serde(default)]
    pub insecure_allow_plain: bool,
    /// Origins a browser page may connect from (`https://ssh.example.net`); `*` allows any.
    /// Empty: the listener's own origin (the `Origin` must name the host the request went to).
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Names the listener may be reached by (the `Host` header: `ssh.example.net`,
    /// `ssh.example.net:8443`, an address; `*` for any), besides loopback names and addresses
    /// and the address it is bound to (when not a wildcard). Against DNS rebinding: any other
    /// `Host` gets 421.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Bridge only: listen off loopback with no token and no client certificates (anyone who
    /// reaches the address can open connections to every target).
    #[serde(default)]
    pub insecure_no_auth: bool,
    /// Bearer token required in front of the SSH login (`Sec-WebSocket-Protocol: bearer.TOKEN`,
    /// `?token=TOKEN` or `Authorization: Bearer TOKEN`).
    pub token: Option<String>,
    /// Directory of static files served at `/` (the built page, `www/dist`).
    pub static_dir: Option<PathBuf>,
    /// Limits (`[....limits]`).
    #[serde(default)]
    pub limits: Limits,
}

/// Resource limits; the defaults suit a team-sized deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Open WebSocket sessions in all (503 beyond).
    pub max_sessions: usize,
    /// Open WebSocket sessions from one source address (429 beyond). IPv6 sources are counted
    /// by /64, since one host can pick any address in its prefix.
    pub max_sessions_per_source: usize,
    /// TCP connections in all, including those still in their TLS or HTTP handshake and plain
    /// page downloads; further ones are closed at once.
    pub max_connections: usize,
    /// Seconds for the TLS handshake plus the HTTP request head.
    pub handshake_timeout_seconds: u64,
    /// Seconds a session may move no data either way before it is closed (0 = never).
    pub idle_timeout_seconds: u64,
    /// Largest WebSocket message (and frame) accepted from a client, in bytes (close 1009).
    pub max_message_bytes: usize,
    /// Seconds to wait for a target's TCP connection (bridge).
    pub connect_timeout_seconds: u64,
    /// Seconds between WebSocket pings, which keep proxies and NATs from cutting a quiet
    /// terminal; a resumable socket silent for two of them counts as dropped.
    pub ws_ping_seconds: u64,
    /// Seconds a resumable session (`sshgate.resume.v1`, docs/resume-protocol.md) is kept
    /// after its WebSocket dropped, waiting for the client to come back (0 = resume off).
    pub resume_grace_seconds: u64,
    /// Bytes sent and not yet acknowledged that a resumable session keeps to replay (its
    /// memory bound, per direction); a full buffer stops reading the other side.
    pub resume_buffer_bytes: usize,
    /// Sessions waiting for a resume in all; past it a drop ends the session as without resume.
    pub resume_max_parked: usize,
    /// Sessions waiting for a resume from one source (IPv6: one /64).
    pub resume_max_parked_per_source: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 1024,
            max_sessions_per_source: 32,
            max_connections: 4096,
            handshake_timeout_seconds: 10,
            idle_timeout_seconds: 1800,
            // An SSH packet is at most ~35 KB; a client may batch several in one message.
            max_message_bytes: 1 << 20,
            connect_timeout_seconds: 10,
            ws_ping_seconds: 30,
            resume_grace_seconds: 60,
            resume_buffer_bytes: 1 << 20,
            resume_max_parked: 64,
            resume_max_parked_per_source: 4,
        }
    }
}

impl Limits {
    /// Handshake time-out.
    #[must_use]
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_seconds)
    }
    /// Idle time-out, if any.
    #[must_use]
    pub fn idle_timeout(&self) -> Option<Duration> {
        (self.idle_timeout_seconds > 0).then(|| Duration::from_secs(self.idle_timeout_seconds))
    }
    /// Target connect time-out.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_seconds)
    }

    /// WebSocket ping interval.
    #[must_use]
    pub fn ws_ping(&self) -> Duration {
        Duration::from_secs(self.ws_ping_seconds)
    }
    /// The resume settings, or `None` when resume is off.
    #[must_use]
    pub fn resume(&self) -> Option<crate::resume::ResumeSettings> {
        (self.resume_grace_seconds > 0).then(|| crate::resume::ResumeSettings {
            grace: Duration::from_secs(self.resume_grace_seconds),
            buffer: self.resume_buffer_bytes,
            max_parked: self.resume_max_parked,
            max_parked_per_source: self.resume_max_parked_per_source,
            ping: self.ws_ping(),
        })
    }

    /// Rejects limits that would make the listener useless.
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, v) in [
            ("max_sessions", self.max_sessions),
            ("max_sessions_per_source", self.max_sessions_per_source),
            ("max_connections", self.max_connections),
            ("max_message_bytes", self.max_message_bytes),
        ] {
            if v == 0 {
                bail!("limits: {name} must be positive");
            }
        }
        if self.max_message_bytes < 1024 {
            bail!("limits: max_message_bytes below 1024 cannot carry SSH packets");
        }
        if self.resume_grace_seconds > 0 && self.resume_buffer_bytes < 64 * 1024 {
            bail!("limits: resume_buffer_bytes below 65536 cannot hold one message");
        }
        if self.handshake_timeout_seconds == 0
            || self.connect_timeout_seconds == 0
            || self.ws_ping_seconds == 0
        {
            bail!("limits: time-outs must be positive");
        }
        Ok(())
    }
}

impl WebSettings {
    /// Whether TLS is configured.
    #[must_use]
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// Checks the settings as a whole: TLS files come in pairs, plain only where allowed.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        if self.listen.is_empty() {
            bail!("{what}: no listen address");
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) | (None, Some(_)) => {
                bail!("{what}: tls_cert and tls_key go together")
            }
            _ => {}
        }
        if self.client_ca.is_some() && !self.tls() {
            bail!("{what}: client_ca (mutual TLS) needs tls_cert and tls_key");
        }
        if let Some(t) = &self.token
            && t.is_empty()
        {
            bail!("{what}: the token is empty");
        }
        self.limits.check().with_context(|| what.to_string())?;
        super::host::check_list(&self.allow_hosts).with_context(|| what.to_string())?;
        for addr in &self.listen {
            check_plain_allowed(addr, self.tls(), self.insecure_allow_plain)
                .with_context(|| what.to_string())?;
        }
        Ok(())
    }
}

/// Plain `ws://` only on a loopback address, unless explicitly forced: the SSH session is
/// encrypted end to end either way, but a token, cookies and the page's own code are not.
pub fn check_plain_allowed(addr: &str, tls: bool, forced: bool) -> anyhow::Result<()> {
    if tls || forced || is_loopback(addr) {
        return Ok(());
    }
    bail!(
        "refusing plain ws:// on {addr}, which is not a loopback address: give a TLS certificate \
         and key (--tls-cert/--tls-key, or tls_cert/tls_key), or force it with \
         --insecure-allow-plain (insecure_allow_plain = true)"
    )
}

/// True for `127.x.y.z:port`, `[::1]:port` and `localhost:port`.
#[must_use]
pub fn is_loopback(addr: &str) -> bool {
    if let Ok(sa) = addr.parse::<SocketAddr>() {
        return sa.ip().is_loopback();
    }
    match addr.rsplit_once(':') {
        Some((host, _)) => {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        for a in [
            "127.0.0.1:8080",
            "127.9.9.9:1",
            "[::1]:443",
            "localhost:8080",
        ] {
            assert!(is_loopback(a), "{a}");
        }
        for a in [
            "0.0.0.0:8080",
            "[::]:443",
            "192.0.2.1:80",
            "example.net:443",
            "8080",
        ] {
            assert!(!is_loopback(a), "{a}");
        }
    }

    #[test]
    fn plain_refused_off_loopback_without_the_flag() {
        assert!(check_plain_allowed("127.0.0.1:8080", false, false).is_ok());
        let e = check_plain_allowed("0.0.0.0:8080", false, false).unwrap_err();
        assert!(e.to_string().contains("--insecure-allow-plain"), "{e}");
        assert!(check_plain_allowed("0.0.0.0:8080", false, true).is_ok());
        assert!(check_plain_allowed("0.0.0.0:8443", true, false).is_ok());
    }

    #[test]
    fn settings_check() {
        let mut s = WebSettings {
            listen: vec!["0.0.0.0:8080".into()],
            ..WebSettings::default()
        };
        assert!(s.check("bridge").is_err(), "plain on a public address");
        s.insecure_allow_plain = true;
        s.check("bridge").unwrap();
        s.tls_cert = Some("c.pem".into());
        assert!(s.check("bridge").is_err(), "certificate without key");
        s.tls_key = Some("k.pem".into());
        s.check("bridge").unwrap();
        s.tls_cert = None;
        s.tls_key = None;
        s.client_ca = Some("ca.pem".into());
        assert!(s.check("bridge").is_err(), "mutual TLS without TLS");
        s.client_ca = None;
        s.limits.max_message_bytes = 10;
        assert!(s.check("bridge").is_err());
        s.limits = Limits::default();
        s.token = Some(String::new());
        assert!(s.check("bridge").is_err(), "empty token");
        assert!(WebSettings::default().check("x").is_err(), "no address");
    }

    #[test]
    fn device_example_has_a_websocket_listener() {
        let f =
            crate::server::config::DeviceFile::parse(include_str!("../../examples/device.toml"))
                .unwrap();
        let ws = f.websocket.expect("[websocket] in the example");
        assert_eq!(ws.listen, ["127.0.0.1:8022"]);
        assert!(!ws.tls());
    }

    #[test]
    fn toml_form() {
        let s: WebSettings = toml::from_str(
            "listen = [\"127.0.0.1:1\"]\nallow_origins = [\"https://a.example\"]\n\
             [limits]\nmax_sessions = 5\n",
        )
        .unwrap();
        assert_eq!(s.limits.max_sessions, 5);
        assert_eq!(s.limits.max_sessions_per_source, 32, "others keep defaults");
        assert!(
            toml::from_str::<WebSettings>("lisen = []").is_err(),
            "typos refused"
        );
    }
}
