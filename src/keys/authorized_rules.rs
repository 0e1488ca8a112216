//! The parts of an `authorized_keys` line's options a server checks at login time, as
//! sshd(8) does: `from="pattern-list"` against the client's address (wildcards, `!` negation and
//! CIDR blocks, OpenSSH's `match_host_and_ip` without DNS names, as with `UseDNS no`) and
//! `expiry-time="YYYYMMDD[HHMM[SS]][Z]"` against the caller's clock. Sans-IO: the address and
//! the time come from the caller.

use super::authorized_keys::{AuthorizedKey, KeyOption};
use super::host_pattern;
use std::net::IpAddr;

impl AuthorizedKey {
    /// Whether a client at `ip` may use this key: every `from=` option must admit it.
    #[must_use]
    pub fn source_allowed(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket is matched as the IPv4 address it is.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.options.iter().all(|o| match o {
            KeyOption::From(list) => address_matches(ip, list),
            _ => true,
        })
    }

    /// Whether the key has expired at `unix_secs` (seconds since 1970-01-01 UTC). A time
    /// without `Z` is read as UTC too (sshd reads it in the server's local time zone).
    #[must_use]
    pub fn expired_at(&self, unix_secs: u64) -> bool {
        self.options.iter().any(|o| match o {
            KeyOption::ExpiryTime(t) => expiry_unix(t).is_none_or(|at| unix_secs >= at),
            _ => false,
        })
    }
}

/// OpenSSH's `from=` semantics for an address: some pattern matches and no `!pattern` does;
/// a pattern with `/` is a CIDR block; a malformed block denies, as sshd refuses the whole line.
fn address_matches(ip: IpAddr, list: &str) -> bool {
    let text = ip.to_string();
    let mut positive = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        let matched = if pattern.contains('/') {
            match cidr_contains(pattern, ip) {
                Some(m) => m,
                None => return false,
            }
        } else {
            host_pattern::list_matches(&text, pattern)
        };
        if matched && negated {
            return false;
        }
        positive |= matched;
    }
    positive
}

/// `Some(true)` if `ip` is in the block `a.b.c.d/n` or `x::/n`, `None` if the block is malformed
/// (or has bits set past its prefix, which OpenSSH refuses too).
fn cidr_contains(block: &str, ip: IpAddr) -> Option<bool> {
    let (addr, bits) = block.split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    let net: IpAddr = addr.parse().ok()?;
    let width = if net.is_ipv4() { 32 } else { 128 };
    if bits > width {
        return None;
    }
    let as_bits = |a: IpAddr| match a {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    };
    // The address's `width` bits, of which the first `bits` are the network.
    let all: u128 = if width == 128 { !0 } else { (1 << width) - 1 };
    let mask = if bits == 0 {
        0
    } else {
        (all << (width - bits)) & all
    };
    let net = as_bits(net);
    if net & !mask & all != 0 {
        return None;
    }
    if net_family(ip) != width {
        return Some(false);
    }
    Some(as_bits(ip) & mask == net)
}

fn net_family(ip: IpAddr) -> u32 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// `YYYYMMDD[HHMM[SS]][Z]` as seconds since the epoch (UTC), `None` if it is not a date.
fn expiry_unix(t: &str) -> Option<u64> {
    let d = t.strip_suffix(['Z', 'z']).unwrap_or(t);
    if !matches!(d.len(), 8 | 12 | 14) || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| d.get(r).map_or(Some(0), |s| s.parse::<u64>().ok());
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = if d.len() >= 12 {
        (
            num(8..10)?,
            num(10..12)?,
            if d.len() == 14 { num(12..14)? } else { 0 },
        )
    } else {
        (0, 0, 0)
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to the date (Howard Hinnant's `days_from_civil`, for years ≥ 1970).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    fn line(options: &str) -> AuthorizedKey {
        AuthorizedKey::parse(&format!("{options} {KEY}")).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn from_patterns_cidr_and_negation() {
        let k = line(r#"from="10.0.0.0/8,!10.9.9.9,192.168.1.*,::1""#);
        assert!(k.source_allowed(ip("10.1.2.3")));
        assert!(!k.source_allowed(ip("10.9.9.9")), "negation vetoes");
        assert!(k.source_allowed(ip("192.168.1.77")));
        assert!(!k.source_allowed(ip("192.168.2.1")));
        assert!(k.source_allowed(ip("::1")));
        assert!(k.source_allowed(ip("::ffff:10.0.0.1")), "v4-mapped is v4");
        assert!(!k.source_allowed(ip("11.0.0.1")));
        assert!(
            line("").source_allowed(ip("203.0.113.5")),
            "no from= allows all"
        );
        // Malformed blocks never widen the list.
        assert!(!line(r#"from="10.0.0.1/8""#).source_allowed(ip("10.0.0.1")));
        assert!(!line(r#"from="10.0.0.0/33""#).source_allowed(ip("10.0.0.1")));
        assert!(!line(r#"from="*,!10.0.0.0/99""#).source_allowed(ip("1.2.3.4")));
        assert!(line(r#"from="2001:db8::/32""#).source_allowed(ip("2001:db8::7")));
        assert!(!line(r#"from="2001:db8::/32""#).source_allowed(ip("10.0.0.1")));
        assert!(line(r#"from="0.0.0.0/0""#).source_allowed(ip("8.8.8.8")));
        // Two from= options must both admit.
        let k = line(r#"from="10.*",from="*.5""#);
        assert!(k.source_allowed(ip("10.0.0.5")) && !k.source_allowed(ip("10.0.0.6")));
    }

    #[test]
    fn expiry_times() {
        // 2030-01-02 03:04:05 UTC = 1893553445.
        assert_eq!(expiry_unix("20300102030405Z"), Some(1_893_553_445));
        assert_eq!(expiry_unix("20300102"), Some(1_893_542_400));
        assert_eq!(expiry_unix("203001020304"), Some(1_893_553_440));
        assert_eq!(expiry_unix("19700101"), Some(0));
        assert_eq!(expiry_unix("20000229"), Some(951_782_400), "leap day");
        for bad in [
            "2030010",
            "20301301",
            "20300132",
            "20300102250000",
            "x0300102",
            "19691231",
        ] {
            assert_eq!(expiry_unix(bad), None, "{bad}");
        }
        let k = line(r#"expiry-time="20300102""#);
        assert!(!k.expired_at(1_893_542_399));
        assert!(k.expired_at(1_893_542_400));
        assert!(!line("no-pty").expired_at(u64::MAX));
    }
}
