//! Which names a request may reach a listener by (the `Host` header), against DNS rebinding.
//!
//! A page on `http://evil.test:8080/` can make `evil.test` resolve to 127.0.0.1 a moment later;
//! its requests then reach a loopback listener with `Host: evil.test:8080` and
//! `Origin: http://evil.test:8080`, which agree with each other, so an Origin check alone lets
//! them through. The browser cannot lie about `Host`, though: it is the name in the page's URL.
//! So every request must name the listener by a name it is known by — loopback names and
//! addresses, the literal address it is bound to, or a name the configuration lists
//! (`allow_hosts`, `--allow-host`) — or it gets 421 Misdirected Request, for every route, before
//! any upgrade and before any connection to a target.

use super::server::{ConnInfo, RefusalHook};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The metrics label of a refused `Host`.
pub const REFUSAL: &str = "host";

/// One `allow_hosts` entry: a name or address, with a port if the entry gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: Host,
    port: Option<u16>,
}

/// A host, normalised: lower case, no trailing dot, addresses parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    fn is_loopback(&self) -> bool {
        match self {
            Host::Name(n) => n == "localhost",
            Host::Ip(IpAddr::V4(v4)) => v4.is_loopback(),
            Host::Ip(IpAddr::V6(v6)) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }
}

/// Splits `host[:port]` (`[v6]` or `[v6]:port` for IPv6) into a normalised host and port.
/// `None` for anything that is not such a thing (empty, a bare IPv6 address, a path, spaces).
fn parse(text: &str) -> Option<(Host, Option<u16>)> {
    let text = text.trim();
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip: std::net::Ipv6Addr = inside.parse().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse::<u16>().ok()?),
        };
        return Some((Host::Ip(IpAddr::V6(ip)), port));
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().ok()?)),
            None => (text, None),
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let name_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !name_ok {
        return None;
    }
    Some(match host.parse::<IpAddr>() {
        Ok(ip) => (Host::Ip(ip), port),
        Err(_) => (Host::Name(host), port),
    })
}

/// The names a listener answers to.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// `*` was listed: any `Host` (for a proxy in front that checks names itself).
    any: bool,
    /// `allow_hosts`.
    entries: Vec<Entry>,
    /// The listeners' own addresses, wildcards left out.
    bound: Vec<IpAddr>,
}

impl HostPolicy {
    /// The policy for `allow_hosts` on listeners bound to `bound`.
    pub fn new(allow_hosts: &[String], bound: &[SocketAddr]) -> anyhow::Result<Self> {
        check_list(allow_hosts)?;
        let entries = allow_hosts
            .iter()
            .filter(|h| h.as_str() != "*")
            .filter_map(|h| parse(h).map(|(host, port)| Entry { host, port }))
            .collect();
        Ok(HostPolicy {
            any: allow_hosts.iter().any(|h| h == "*"),
            entries,
            bound: bound
                .iter()
                .map(SocketAddr::ip)
                .filter(|ip| !ip.is_unspecified())
                .collect(),
        })
    }

    /// Whether a request naming `host` (a `Host` header or a URI's authority) may go on.
    #[must_use]
    pub fn allows(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        let Some((h, port)) = parse(host) else {
            return false;
        };
        if h.is_loopback() {
            return true;
        }
        if let Host::Ip(ip) = &h
            && self.bound.contains(ip)
        {
            return true;
        }
        self.entries
            .iter()
            .any(|e| e.host == h && (e.port.is_none() || e.port == port))
    }

    /// Checks a request: its `Host` header (required; HTTP/1.1 clients always send it) and, for
    /// an absolute-form request target, the URI's authority too.
    fn admits(&self, req: &Request) -> Result<(), String> {
        let Some(host) = req.headers().get(header::HOST) else {
            return Err("(no Host header)".into());
        };
        let host = host.to_str().unwrap_or("");
        if !self.allows(host) {
            return Err(host.to_string());
        }
        if let Some(authority) = req.uri().authority()
            && !self.allows(authority.as_str())
        {
            return Err(authority.to_string());
        }
        Ok(())
    }

    /// `router` with every request (routes, static files, the fallback) checked first.
    pub fn guard(self, router: Router, on_refused: Option<RefusalHook>) -> Router {
        let st = Arc::new((self, on_refused));
        router.layer(axum::middleware::from_fn_with_state(st, check))
    }
}

/// Checks `allow_hosts` entries (at start, so a typo is an error, not a silent refusal).
pub fn check_list(allow_hosts: &[String]) -> anyhow::Result<()> {
    for h in allow_hosts {
        if h != "*" && parse(h).is_none() {
            anyhow::bail!(
                "allow_hosts: {h:?} is not a host name or address (NAME, NAME:PORT, \
                 ADDRESS, [IPv6] or [IPv6]:PORT; \"*\" for any)"
            );
        }
    }
    Ok(())
}

async fn check(
    State(st): State<Arc<(HostPolicy, Option<RefusalHook>)>>,
    req: Request,
    next: Next,
) -> Response {
    let (policy, hook) = &*st;
    if let Err(host) = policy.admits(&req) {
        let peer = req.extensions().get::<ConnInfo>().map(|i| i.peer);
        tracing::info!(
            source = ?peer,
            host = %sshgate::text::for_log(&host, 128),
            "request refused: Host not allowed (allow_hosts)"
        );
        if let Some(f) = hook {
            f(REFUSAL);
        }
        return (StatusCode::MISDIRECTED_REQUEST, "host not allowed\n").into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(list: &[&str], bound: &[&str]) -> HostPolicy {
        let list: Vec<String> = list.iter().map(|s| (*s).to_string()).collect();
        let bound: Vec<SocketAddr> = bound.iter().map(|b| b.parse().unwrap()).collect();
        HostPolicy::new(&list, &bound).unwrap()
    }

    #[test]
    fn loopback_by_default_with_or_without_port() {
        let p = policy(&[], &["0.0.0.0:8080"]);
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.:1",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.9.9.9:80",
            "[::1]",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:8080",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for refused in [
            "evil.test",
            "evil.test:8080",
            "127.0.0.1.evil.test",
            "localhost.evil.test:8080",
            "0.0.0.0:8080",
            "192.0.2.1:8080",
            "",
            "::1",
            "[::1]x",
            "a b",
            "localhost:99999",
            "evil.test/x",
        ] {
            assert!(!p.allows(refused), "{refused:?}");
        }
    }

    #[test]
    fn the_bound_address_unless_a_wildcard() {
        let p = policy(&[], &["192.0.2.7:8443", "[2001:db8::7]:8443", "[::]:9"]);
        assert!(p.allows("192.0.2.7:8443"));
        assert!(p.allows("192.0.2.7"));
        assert!(p.allows("[2001:db8::7]:8443"));
        assert!(!p.allows("192.0.2.8:8443"));
        assert!(!p.allows("[::]:9"));
    }

    #[test]
    fn configured_names() {
        let p = policy(
            &["ssh.example.net", "ops.example:8443", "[2001:db8::1]"],
            &[],
        );
        assert!(p.allows("SSH.example.net:443"));
        assert!(p.allows("ssh.example.net"));
        assert!(p.allows("ops.example:8443"));
        assert!(!p.allows("ops.example:8080"), "the entry names a port");
        assert!(!p.allows("ops.example"));
        assert!(p.allows("[2001:db8::1]:80"));
        assert!(p.allows("localhost:1"), "loopback stays allowed");
        assert!(!p.allows("evil.test"));
        assert!(policy(&["*"], &[]).allows("evil.test:8080"));
    }

    #[test]
    fn bad_entries_are_refused_at_start() {
        for bad in [
            "",
            "https://ssh.example.net",
            "a b",
            "h:port",
            "2001:db8::1",
        ] {
            assert!(check_list(&[bad.to_string()]).is_err(), "{bad:?}");
        }
        check_list(&["*".into(), "h.example:1".into(), "[::1]:2".into()]).unwrap();
    }
}
