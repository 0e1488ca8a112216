//! The forwarding allowlists of `[[users]]` and of authorized_keys lines: `permit_open`
//! (OpenSSH `PermitOpen` / `permitopen=`) and `permit_listen` (`PermitListen` /
//! `permitlisten=`).
//!
//! An entry is `host:port`. The host is `*` (any), a name (compared as written, without case,
//! before any resolution, as OpenSSH does), an address, or — our extension — an address block
//! `10.0.0.0/8` / `[fd00::/8]`; IPv6 addresses go in brackets. An address or block is checked
//! against the addresses the requested destination resolves to, so `127.0.0.1:8080` also
//! admits `localhost:8080`, but only ever connects to 127.0.0.1. The port is a number, `*` or
//! a range `8000-9000`. A `permit_listen` entry may leave the host out (`8000` means
//! `localhost:8000`, as in OpenSSH). `any` alone allows everything, `none` or an empty list
//! nothing.

use std::net::IpAddr;

/// An address block (`10.0.0.0/8`); a plain address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrBlock {
    base: IpAddr,
    prefix: u8,
}

impl AddrBlock {
    fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let base: IpAddr = addr.parse().ok()?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(AddrBlock { base, prefix })
    }

    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 one).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (a, b, bits) = match (self.base, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (
                u128::from(u32::from(a)) << 96,
                u128::from(u32::from(b)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), self.prefix),
            _ => return false,
        };
        let mask = if bits == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(bits))
        };
        a & mask == b & mask
    }
}

/// The host part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    Any,
    /// Lower case.
    Name(String),
    Block(AddrBlock),
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: HostRule,
    /// Inclusive; `*` is 0-65535.
    ports: (u16, u16),
}

/// A parsed list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermitList {
    any: bool,
    entries: Vec<Entry>,
}

/// How far a `permit_open` list lets a destination through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenMatch {
    /// No entry matches.
    Refused,
    /// A name, `*` or `any` matched: whatever address the name resolves to.
    AnyAddress,
    /// Only address entries matched: the addresses must be in one of these blocks.
    Within(Vec<AddrBlock>),
}

/// Which addresses a permitted `direct-tcpip` may connect to: in at least one block of every
/// set (one set per list that restricts by address; no sets, any address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrFilter {
    sets: Vec<Vec<AddrBlock>>,
}

impl AddrFilter {
    /// Whether the connection may go to `ip`.
    #[must_use]
    pub fn admits(&self, ip: IpAddr) -> bool {
        self.sets.iter().all(|s| s.iter().any(|b| b.contains(ip)))
    }

    /// Narrows the filter by one list's answer; `None` when the list refused.
    #[must_use]
    pub fn and(mut self, m: OpenMatch) -> Option<Self> {
        match m {
            OpenMatch::Refused => None,
            OpenMatch::AnyAddress => Some(self),
            OpenMatch::Within(blocks) => {
                self.sets.push(blocks);
                Some(self)
            }
        }
    }
}

/// `[v6]` or `v6` without brackets, as clients send hosts.
fn unbracket(h: &str) -> &str {
    h.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(h)
}

fn parse_ports(p: &str) -> Result<(u16, u16), String> {
    let num = |s: &str| -> Result<u16, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("bad port {s:?}"));
        }
        s.parse().map_err(|_| format!("port {s} above 65535"))
    };
    if p == "*" {
        return Ok((0, u16::MAX));
    }
    match p.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (num(lo)?, num(hi)?);
            if lo > hi {
                return Err(format!("port range {p}: low end above high end"));
            }
            Ok((lo, hi))
        }
        None => num(p).map(|n| (n, n)),
    }
}

fn parse_host(h: &str) -> Result<HostRule, String> {
    if h == "*" {
        return Ok(HostRule::Any);
    }
    let bare = unbracket(h);
    if let Some(block) = AddrBlock::parse(bare) {
        return Ok(HostRule::Block(block));
    }
    if bare.contains('/') || bare.contains(':') {
        return Err(format!("bad address or block {h:?}"));
    }
    let name_ok = !bare.is_empty()
        && bare.len() <= 253
        && bare
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !name_ok {
        return Err(format!("bad host name {h:?}"));
    }
    Ok(HostRule::Name(bare.to_ascii_lowercase()))
}

/// Splits `host:port`, `[v6]:port`, `[v6/len]:port`; `port` alone when `host_optional`.
fn split_entry(e: &str, host_optional: bool) -> Result<(Option<&str>, &str), String> {
    if let Some(rest) = e.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{e:?}: missing ]"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{e:?}: expected [address]:port"))?;
        return Ok((Some(host), port));
    }
    match e.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => Err(format!(
            "{e:?}: write an IPv6 address in brackets, [::1]:22"
        )),
        Some((host, port)) => Ok((Some(host), port)),
        None if host_optional => Ok((None, e)),
        None => Err(format!("{e:?}: expected host:port")),
    }
}

impl PermitList {
    fn parse(items: &[String], host_optional: bool) -> Result<Self, String> {
        let mut list = PermitList::default();
        for item in items {
            let item = item.trim();
            match item {
                "any" => list.any = true,
                "none" => {}
                _ => {
                    let (host, port) = split_entry(item, host_optional)?;
                    let host = parse_host(host.unwrap_or("localhost"))
                        .map_err(|e| format!("{item:?}: {e}"))?;
                    let ports = parse_ports(port).map_err(|e| format!("{item:?}: {e}"))?;
                    list.entries.push(Entry { host, ports });
                }
            }
        }
        if items.len() > 1 && items.iter().any(|i| matches!(i.trim(), "any" | "none")) {
            return Err("\"any\" and \"none\" stand alone".into());
        }
        Ok(list)
    }

    /// A `permit_open` list (every entry `host:port`).
    pub fn parse_open(items: &[String]) -> Result<Self, String> {
        Self::parse(items, false)
    }

    /// A `permit_listen` list (`[host:]port`).
    pub fn parse_listen(items: &[String]) -> Result<Self, String> {
        Self::parse(items, true)
    }

    /// How far this list lets a `direct-tcpip` to `host:port` (as the client wrote it)
    /// through.
    #[must_use]
    pub fn check_open(&self, host: &str, port: u32) -> OpenMatch {
        if self.any {
            return OpenMatch::AnyAddress;
        }
        let Ok(port) = u16::try_from(port) else {
            return OpenMatch::Refused;
        };
        let bare = unbracket(host);
        let literal: Option<IpAddr> = bare.parse().ok();
        let mut blocks = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| (e.ports.0..=e.ports.1).contains(&port))
        {
            match &e.host {
                HostRule::Any => return OpenMatch::AnyAddress,
                // A name entry matches the name as written, never an address literal.
                HostRule::Name(n) if literal.is_none() && bare.eq_ignore_ascii_case(n) => {
                    return OpenMatch::AnyAddress;
                }
                HostRule::Name(_) => {}
                // An address is checked now; a name when it is resolved.
                HostRule::Block(b) if literal.is_none_or(|ip| b.contains(ip)) => blocks.push(*b),
                HostRule::Block(_) => {}
            }
        }
        if blocks.is_empty() {
            OpenMatch::Refused
        } else {
            OpenMatch::Within(blocks)
        }
    }

    /// Whether this list allows a `tcpip-forward` of `address:port` (as the client wrote it).
    /// A request for port 0 (the server picks) needs an entry for port 0 or `*`.
    #[must_use]
    pub fn check_listen(&self, address: &str, port: u32) -> bool {
        if self.any {
            return true;
        }
        let Ok(port) = u16::try_from(port) else {
            return false;
        };
        let bare = unbracket(address);
        let literal: Option<IpAddr> = bare.parse().ok();
        self.entries.iter().any(|e| {
            let port_ok = if port == 0 {
                e.ports.0 == 0
            } else {
                (e.ports.0..=e.ports.1).contains(&port)
            };
            port_ok
                && match &e.host {
                    HostRule::Any => true,
                    HostRule::Name(n) => bare.eq_ignore_ascii_case(n),
                    HostRule::Block(b) => literal.is_some_and(|ip| b.contains(ip)),
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(items: &[&str]) -> PermitList {
        let v: Vec<String> = items.iter().map(|s| (*s).to_string()).collect();
        PermitList::parse_open(&v).unwrap()
    }

    fn listen(items: &[&str]) -> PermitList {
        let v: Vec<String> = items.iter().map(|s| (*s).to_string()).collect();
        PermitList::parse_listen(&v).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let b = AddrBlock::parse("10.0.0.0/8").unwrap();
        assert!(b.contains(ip("10.255.1.2")));
        assert!(!b.contains(ip("11.0.0.1")));
        assert!(b.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(!b.contains(ip("::1")));
        let one = AddrBlock::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = AddrBlock::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(
            AddrBlock::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(AddrBlock::parse("10.0.0.0/33").is_none());
        assert!(AddrBlock::parse("10.0.0.0/").is_none());
        assert!(AddrBlock::parse("10.0.0.0/+8").is_none());
    }

    #[test]
    fn open_entries_match_as_openssh_and_blocks_by_address() {
        let l = open(&[
            "10.0.0.0/8:22",
            "127.0.0.1:8080",
            "db.example.com:5432",
            "*:443",
            "[fd00::/8]:22",
        ]);
        assert_eq!(
            l.check_open("10.1.2.3", 22),
            OpenMatch::Within(vec![AddrBlock::parse("10.0.0.0/8").unwrap()])
        );
        assert_eq!(l.check_open("DB.Example.com", 5432), OpenMatch::AnyAddress);
        assert_eq!(l.check_open("db.example.com", 5433), OpenMatch::Refused);
        assert_eq!(l.check_open("anything.example", 443), OpenMatch::AnyAddress);
        assert_eq!(l.check_open("anything.example", 80), OpenMatch::Refused);
        assert_eq!(
            l.check_open("11.1.2.3", 22),
            OpenMatch::Refused,
            "a literal outside"
        );
        // A name is checked later against the blocks it resolves to.
        assert_eq!(
            l.check_open("gw", 22),
            OpenMatch::Within(vec![
                AddrBlock::parse("10.0.0.0/8").unwrap(),
                AddrBlock::parse("fd00::/8").unwrap()
            ])
        );
        assert!(matches!(
            l.check_open("localhost", 8080),
            OpenMatch::Within(_)
        ));
        assert!(matches!(
            l.check_open("[fd00::5]", 22),
            OpenMatch::Within(_)
        ));
        assert_eq!(l.check_open("10.1.2.3", 70_000), OpenMatch::Refused);
        // A name entry never matches an address literal.
        let n = open(&["localhost:80"]);
        assert_eq!(n.check_open("127.0.0.1", 80), OpenMatch::Refused);
        assert_eq!(n.check_open("localhost", 80), OpenMatch::AnyAddress);
        assert_eq!(open(&["any"]).check_open("x", 1), OpenMatch::AnyAddress);
        assert_eq!(open(&["none"]).check_open("x", 1), OpenMatch::Refused);
        assert_eq!(open(&[]).check_open("x", 1), OpenMatch::Refused);
        assert_eq!(open(&["h:*"]).check_open("h", 65535), OpenMatch::AnyAddress);
        assert_eq!(
            open(&["h:10-20"]).check_open("h", 15),
            OpenMatch::AnyAddress
        );
        assert_eq!(open(&["h:10-20"]).check_open("h", 21), OpenMatch::Refused);
    }

    #[test]
    fn filters_need_every_restricting_list() {
        let user = open(&["10.0.0.0/8:22"]).check_open("h", 22);
        let key = open(&["10.1.0.0/16:*"]).check_open("h", 22);
        let f = AddrFilter::default().and(user).unwrap().and(key).unwrap();
        assert!(f.admits(ip("10.1.9.9")));
        assert!(!f.admits(ip("10.2.9.9")), "outside the key's block");
        assert!(AddrFilter::default().and(OpenMatch::Refused).is_none());
        assert!(AddrFilter::default().admits(ip("192.0.2.1")));
    }

    #[test]
    fn listen_entries() {
        let l = listen(&["127.0.0.1:0", "localhost:8000-9000", "7000"]);
        assert!(l.check_listen("127.0.0.1", 0));
        assert!(
            !l.check_listen("localhost", 0),
            "no port-0 entry for localhost"
        );
        assert!(l.check_listen("LOCALHOST", 8500));
        assert!(!l.check_listen("localhost", 9001));
        assert!(
            l.check_listen("localhost", 7000),
            "a bare port is localhost's"
        );
        assert!(!l.check_listen("", 7000), "all interfaces is not localhost");
        assert!(!l.check_listen("127.0.0.1", 8500));
        assert!(listen(&["*:*"]).check_listen("", 0));
        assert!(listen(&["any"]).check_listen("0.0.0.0", 22));
        assert!(!listen(&[]).check_listen("localhost", 8000));
        assert!(listen(&["127.0.0.0/8:5000"]).check_listen("127.0.0.2", 5000));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "10.0.0.0/8",
            "host:",
            "host:x",
            "host:70000",
            "host:9-1",
            "::1:22",
            "[::1]22",
            "[::1:22",
            "bad host:22",
            "10.0.0.0/40:22",
            ":22",
        ] {
            assert!(PermitList::parse_open(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(PermitList::parse_open(&["any".into(), "h:1".into()]).is_err());
        assert!(PermitList::parse_listen(&["8000".into()]).is_ok());
        assert!(PermitList::parse_listen(&["[::1]:8000".into()]).is_ok());
    }
}
