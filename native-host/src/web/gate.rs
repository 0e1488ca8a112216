//! Who may open a WebSocket (and read `/targets`, `/metrics`): the `Origin` allowlist, against
//! cross-site WebSocket hijacking, and the optional bearer token. Both are checked on the HTTP
//! request, before any upgrade and before any connection to a target. The `Host` was checked
//! before any route ([`super::host`]): `SameHost` compares the Origin with a name this listener
//! answers to, never with one a rebinding attacker chose (Origin and Host would both be theirs).

use axum::http::{HeaderMap, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Which origins may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPolicy {
    /// The `Origin` must name the host the request was sent to (`Host`), with the listener's
    /// scheme: the page served by this listener itself.
    SameHost,
    /// One of these (normalised `scheme://host[:port]`).
    List(Vec<String>),
    /// Any (`*`).
    Any,
}

impl OriginPolicy {
    /// From `allow_origins`: empty = same host; `*` anywhere = any.
    #[must_use]
    pub fn from_list(list: &[String]) -> Self {
        if list.is_empty() {
            OriginPolicy::SameHost
        } else if list.iter().any(|o| o == "*") {
            OriginPolicy::Any
        } else {
            OriginPolicy::List(list.iter().map(|o| normalise(o)).collect())
        }
    }

    /// Whether a request with these headers, on a TLS listener or not, may go on. A request
    /// without `Origin` is not from a browser page (browsers always send it on WebSocket
    /// handshakes), so cross-site hijacking does not apply and it is let through.
    #[must_use]
    pub fn allows(&self, headers: &HeaderMap, tls: bool) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = normalise(origin);
        match self {
            OriginPolicy::Any => true,
            OriginPolicy::List(list) => list.contains(&origin),
            OriginPolicy::SameHost => {
                let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
                    return false;
                };
                let scheme = if tls { "https" } else { "http" };
                origin == normalise(&format!("{scheme}://{host}"))
            }
        }
    }
}

/// Lower case, no trailing slash, no default port: `HTTPS://Host:443/` = `https://host`.
fn normalise(origin: &str) -> String {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if o.starts_with(scheme)
            && let Some(stripped) = o.strip_suffix(port)
        {
            return stripped.to_string();
        }
    }
    o
}

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// `Origin` not allowed: 403.
    Origin,
    /// Token missing or wrong: 401.
    Token,
}

impl Denied {
    /// The HTTP status.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Denied::Origin => StatusCode::FORBIDDEN,
            Denied::Token => StatusCode::UNAUTHORIZED,
        }
    }
    /// The metrics label.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Denied::Origin => "origin",
            Denied::Token => "token",
        }
    }
}

/// The `Sec-WebSocket-Protocol` prefix that carries a token: browsers cannot set headers on a
/// WebSocket, but they can offer subprotocols.
pub const BEARER_PROTOCOL_PREFIX: &str = "bearer.";

/// Origin policy plus optional token.
#[derive(Clone)]
pub struct Gate {
    origins: OriginPolicy,
    /// SHA-256 of the token: comparing digests in constant time hides the token's length too.
    token: Option<[u8; 32]>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("origins", &self.origins)
            .field("token", &self.token.is_some())
            .finish()
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl Gate {
    /// A gate with these origins and token.
    #[must_use]
    pub fn new(origins: OriginPolicy, token: Option<&str>) -> Self {
        Gate {
            origins,
            token: token.map(digest),
        }
    }

    /// Checks the origin, then the token (from the subprotocols, `?token=` in `query`, or
    /// `Authorization: Bearer`).
    pub fn check(&self, headers: &HeaderMap, query: Option<&str>, tls: bool) -> Result<(), Denied> {
        if !self.origins.allows(headers, tls) {
            return Err(Denied::Origin);
        }
        let Some(want) = &self.token else {
            return Ok(());
        };
        let mut ok = subtle::Choice::from(0);
        for candidate in token_candidates(headers, query) {
            ok |= digest(&candidate).ct_eq(want);
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(Denied::Token)
        }
    }
}

/// Every place a client may have put the token.
fn token_candidates(headers: &HeaderMap, query: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    for value in headers.get_all(header::SEC_WEBSOCKET_PROTOCOL) {
        if let Ok(s) = value.to_str() {
            for p in s.split(',') {
                if let Some(t) = p.trim().strip_prefix(BEARER_PROTOCOL_PREFIX) {
                    v.push(t.to_string());
                }
            }
        }
    }
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        && let Some(t) = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
    {
        v.push(t.trim().to_string());
    }
    if let Some(q) = query {
        for pair in q.split('&') {
            if let Some(t) = pair.strip_prefix("token=") {
                v.push(percent_decode(t));
            }
        }
    }
    v
}

/// `%XX` and `+` decoding for a query value (a bad escape is kept as is: it cannot match).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The subprotocol to answer with: browsers fail a handshake whose answer names none of the
/// offered ones. `ssh` is preferred; a bare `bearer.TOKEN` offer is echoed (the client knows it).
#[must_use]
pub fn pick_protocol(headers: &HeaderMap) -> Option<String> {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(',').map(|p| p.trim().to_string()))
        .filter(|p| !p.is_empty())
        .collect();
    offered
        .iter()
        .find(|p| p.eq_ignore_ascii_case("ssh"))
        .or_else(|| offered.first())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn same_host_origin() {
        let p = OriginPolicy::from_list(&[]);
        let ok = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(p.allows(&ok, false));
        assert!(
            !p.allows(&ok, true),
            "an http page may not use the wss listener"
        );
        let foreign = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!p.allows(&foreign, false));
        let tls = headers(&[
            ("host", "ssh.example.net"),
            ("origin", "https://SSH.example.net:443/"),
        ]);
        assert!(p.allows(&tls, true));
        assert!(
            p.allows(&headers(&[("host", "x")]), false),
            "no Origin: not a browser"
        );
        assert!(!p.allows(&headers(&[("origin", "null"), ("host", "x")]), false));
        assert!(
            !p.allows(&headers(&[("origin", "http://x")]), false),
            "no Host"
        );
    }

    #[test]
    fn origin_lists() {
        let p = OriginPolicy::from_list(&["https://ops.example/".into()]);
        assert!(p.allows(&headers(&[("origin", "https://ops.example")]), true));
        assert!(!p.allows(&headers(&[("origin", "https://ops.example.evil")]), true));
        let any = OriginPolicy::from_list(&["*".into()]);
        assert_eq!(any, OriginPolicy::Any);
        assert!(any.allows(&headers(&[("origin", "https://anything")]), true));
    }

    #[test]
    fn tokens_from_every_place() {
        let g = Gate::new(OriginPolicy::Any, Some("s3cret/+x"));
        assert_eq!(g.check(&headers(&[]), None, false), Err(Denied::Token));
        let proto = headers(&[("sec-websocket-protocol", "ssh, bearer.s3cret/+x")]);
        assert_eq!(g.check(&proto, None, false), Ok(()));
        let auth = headers(&[("authorization", "Bearer s3cret/+x")]);
        assert_eq!(g.check(&auth, None, false), Ok(()));
        assert_eq!(
            g.check(&headers(&[]), Some("a=1&token=s3cret%2F%2Bx"), false),
            Ok(())
        );
        assert_eq!(
            g.check(&headers(&[]), Some("token=s3cret"), false),
            Err(Denied::Token)
        );
        let wrong = headers(&[("sec-websocket-protocol", "bearer.nope")]);
        assert_eq!(g.check(&wrong, None, false), Err(Denied::Token));
        let open = Gate::new(OriginPolicy::Any, None);
        assert_eq!(open.check(&headers(&[]), None, false), Ok(()));
    }

    #[test]
    fn origin_before_token() {
        let g = Gate::new(OriginPolicy::List(vec!["https://a".into()]), Some("t"));
        let h = headers(&[("origin", "https://b"), ("authorization", "Bearer t")]);
        assert_eq!(g.check(&h, None, true), Err(Denied::Origin));
    }

    #[test]
    fn decoding_and_protocols() {
        assert_eq!(percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
        let h = headers(&[("sec-websocket-protocol", "bearer.t, ssh")]);
        assert_eq!(pick_protocol(&h).as_deref(), Some("ssh"));
        let h = headers(&[("sec-websocket-protocol", "bearer.t")]);
        assert_eq!(pick_protocol(&h).as_deref(), Some("bearer.t"));
        assert_eq!(pick_protocol(&headers(&[])), None);
    }
}
