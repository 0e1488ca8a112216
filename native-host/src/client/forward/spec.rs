//! The forwarding arguments, read as OpenSSH's `parse_forward` and `parse_jump` read them:
//! `-L [bind_address:]port:host:hostport`, `-R [bind_address:]port:host:hostport`,
//! `-D [bind_address:]port`, `-W host:port`, `-J [user@]host[:port][,...]`. IPv6 addresses go
//! in brackets (`[::1]:8080:[::1]:80`); `/` may separate the fields instead of `:`, as
//! OpenSSH allows. Unix-domain socket forwards are not supported.

/// Where connections are forwarded to (`host:hostport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (as typed; resolved by whoever connects).
    pub host: String,
    /// Port.
    pub port: u16,
}

/// A `-L` or `-R` forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForward {
    /// `bind_address`, if given (`Some("")` for an empty one, meaning all interfaces).
    pub bind: Option<String>,
    /// The listening port (0: let the listener choose; -R prints the port it got).
    pub port: u16,
    /// Where accepted connections go.
    pub target: Target,
}

/// A `-D` forward: a SOCKS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicForward {
    /// `bind_address`, if given.
    pub bind: Option<String>,
    /// The listening port.
    pub port: u16,
}

/// One `-J` hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    /// `user@`, if given (otherwise the local user, as OpenSSH: not `-l`).
    pub user: Option<String>,
    /// Host name or address.
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
}

/// Splits `s` on `:` (or `/` when it has no `:`... as OpenSSH, either separator), keeping
/// bracketed IPv6 addresses whole and without their brackets.
fn fields(s: &str) -> Result<Vec<String>, String> {
    let sep = if s.contains('/') && !s.contains(':') {
        '/'
    } else {
        ':'
    };
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        if let Some(inner) = rest.strip_prefix('[') {
            let (addr, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("missing ']' in {s:?}"))?;
            out.push(addr.to_string());
            if after.is_empty() {
                return Ok(out);
            }
            rest = after
                .strip_prefix(sep)
                .ok_or_else(|| format!("bad field after ']' in {s:?}"))?;
        } else {
            match rest.split_once(sep) {
                Some((f, after)) => {
                    out.push(f.to_string());
                    rest = after;
                }
                None => {
                    out.push(rest.to_string());
                    return Ok(out);
                }
            }
        }
    }
}

fn port(v: &str, what: &str, zero_ok: bool) -> Result<u16, String> {
    v.parse::<u16>()
        .ok()
        .filter(|p| zero_ok || *p != 0)
        .ok_or_else(|| format!("Bad {what} port '{v}'"))
}

/// `[bind_address:]port:host:hostport` (`-L`, `-R`, and `LocalForward`/`RemoteForward` with
/// the space between the two halves).
pub fn parse_port_forward(spec: &str, flag: char) -> Result<PortForward, String> {
    let bad = || format!("Bad {} forwarding specification '{spec}'", kind(flag));
    let joined = spec.trim().replacen(char::is_whitespace, ":", 1);
    let f = fields(&joined).map_err(|_| bad())?;
    let (bind, rest) = match f.len() {
        3 => (None, &f[..]),
        4 => (Some(f[0].clone()), &f[1..]),
        _ => return Err(bad()),
    };
    if rest[1].is_empty() {
        return Err(bad());
    }
    Ok(PortForward {
        bind,
        port: port(&rest[0], "listen", true).map_err(|_| bad())?,
        target: Target {
            host: rest[1].clone(),
            port: port(&rest[2], "connect", false).map_err(|_| bad())?,
        },
    })
}

fn kind(flag: char) -> &'static str {
    match flag {
        'L' => "local",
        'R' => "remote",
        _ => "dynamic",
    }
}

/// `[bind_address:]port` (`-D`, `DynamicForward`).
pub fn parse_dynamic(spec: &str) -> Result<DynamicForward, String> {
    let bad = || format!("Bad dynamic forwarding specification '{spec}'");
    let f = fields(spec.trim()).map_err(|_| bad())?;
    let (bind, p) = match f.as_slice() {
        [p] => (None, p),
        [b, p] => (Some(b.clone()), p),
        _ => return Err(bad()),
    };
    Ok(DynamicForward {
        bind,
        port: port(p, "listen", false).map_err(|_| bad())?,
    })
}

/// `host:port` (`-W`).
pub fn parse_stdio(spec: &str) -> Result<Target, String> {
    let bad = || format!("Bad stdio forwarding specification '{spec}'");
    let f = fields(spec.trim()).map_err(|_| bad())?;
    match f.as_slice() {
        [h, p] if !h.is_empty() => Ok(Target {
            host: h.clone(),
            port: port(p, "connect", false).map_err(|_| bad())?,
        }),
        _ => Err(bad()),
    }
}

/// `[user@]host[:port][,...]` or `ssh://` URIs (`-J`, `ProxyJump`); `none` is no hop.
pub fn parse_jump(spec: &str) -> Result<Vec<JumpHost>, String> {
    if spec.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let bad = |h: &str| format!("Invalid -J argument '{h}'");
    let mut hops = Vec::new();
    for hop in spec.split(',') {
        let h = hop.trim();
        let h = h.strip_prefix("ssh://").unwrap_or(h).trim_end_matches('/');
        let (user, hostport) = match h.rsplit_once('@') {
            Some((u, rest)) if !u.is_empty() => (Some(u.to_string()), rest),
            Some(_) => return Err(bad(hop)),
            None => (None, h),
        };
        let (host, port) = if hostport.starts_with('[') {
            match fields(hostport).map_err(|_| bad(hop))?.as_slice() {
                [a] => (a.clone(), None),
                [a, p] => (a.clone(), Some(port(p, "", false).map_err(|_| bad(hop))?)),
                _ => return Err(bad(hop)),
            }
        } else {
            match hostport.split_once(':') {
                // More than one colon: a bare IPv6 address.
                Some((a, p)) if !p.contains(':') => (
                    a.to_string(),
                    Some(port(p, "", false).map_err(|_| bad(hop))?),
                ),
                _ => (hostport.to_string(), None),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad(hop));
        }
        hops.push(JumpHost { user, host, port });
    }
    Ok(hops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, port: u16) -> Target {
        Target {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn port_forwards() {
        let f = parse_port_forward("8080:localhost:80", 'L').unwrap();
        assert_eq!((f.bind, f.port, f.target), (None, 8080, t("localhost", 80)));
        let f = parse_port_forward("*:0:10.0.0.1:22", 'R').unwrap();
        assert_eq!(
            (f.bind, f.port, f.target),
            (Some("*".into()), 0, t("10.0.0.1", 22))
        );
        let f = parse_port_forward("[::1]:8080:[fe80::1]:80", 'L').unwrap();
        assert_eq!(
            (f.bind, f.port, f.target),
            (Some("::1".into()), 8080, t("fe80::1", 80))
        );
        let f = parse_port_forward(":8080:h:80", 'L').unwrap();
        assert_eq!(f.bind, Some(String::new()));
        let f = parse_port_forward("8080/h/80", 'L').unwrap();
        assert_eq!(f.target, t("h", 80));
        // LocalForward's form: "[bind:]port host:hostport".
        let f = parse_port_forward("127.0.0.1:8080 h:80", 'L').unwrap();
        assert_eq!(
            (f.bind, f.port, f.target),
            (Some("127.0.0.1".into()), 8080, t("h", 80))
        );
        for bad in [
            "8080",
            "8080:h",
            "x:h:80",
            "8080:h:0",
            "8080::80",
            "1:2:3:4:5",
            "[::1:80:h:1",
        ] {
            let e = parse_port_forward(bad, 'L').unwrap_err();
            assert!(
                e.contains("Bad local forwarding specification"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn dynamic_and_stdio() {
        assert_eq!(
            parse_dynamic("1080").unwrap(),
            DynamicForward {
                bind: None,
                port: 1080
            }
        );
        assert_eq!(
            parse_dynamic("[::]:1080").unwrap().bind.as_deref(),
            Some("::")
        );
        assert!(parse_dynamic("0").is_err());
        assert!(parse_dynamic("a:b:c").is_err());
        assert_eq!(parse_stdio("h:22").unwrap(), t("h", 22));
        assert_eq!(parse_stdio("[::1]:22").unwrap(), t("::1", 22));
        assert!(parse_stdio("h").is_err());
    }

    #[test]
    fn jumps() {
        let j = parse_jump("a@h1:2222,h2,ssh://b@[::1]:22,[fe80::2],::3").unwrap();
        assert_eq!(j.len(), 5);
        assert_eq!(
            j[0],
            JumpHost {
                user: Some("a".into()),
                host: "h1".into(),
                port: Some(2222)
            }
        );
        assert_eq!((j[1].user.as_deref(), j[1].port), (None, None));
        assert_eq!((j[2].host.as_str(), j[2].port), ("::1", Some(22)));
        assert_eq!((j[3].host.as_str(), j[3].port), ("fe80::2", None));
        assert_eq!((j[4].host.as_str(), j[4].port), ("::3", None));
        assert!(parse_jump("none").unwrap().is_empty());
        for bad in ["", "@h", "h:0", "h:x", "a,,b"] {
            assert!(parse_jump(bad).is_err(), "{bad}");
        }
    }
}
