//! Unauthenticated connections, bounded as OpenSSH bounds them: `MaxStartups start:rate:full`
//! (random early drop: below `start` every connection is served; from `start` one is dropped
//! with probability `rate`%, rising linearly to 100% at `full`) and `PerSourceMaxStartups` (at
//! most so many from one source, a source being the address masked to
//! `PerSourceNetBlockSize`, so an IPv6 client cannot take a fresh address of its /64 for each
//! connection).
//!
//! A connection counts from its admission until it authenticates or ends: the
//! [`StartupGuard`] it holds is dropped at either. A refused connection is told so in one line
//! (OpenSSH's words) and closed at once, before any key exchange, so it costs a descriptor for
//! no longer than the accept.

use super::config::ServerSection;
use super::hash_pool::PoolSettings;
use anyhow::{Context, bail};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `MaxStartups start:rate:full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxStartups {
    /// Unauthenticated connections served before dropping starts.
    pub start: usize,
    /// Percent dropped at `start`.
    pub rate: u32,
    /// From this many on, every new one is dropped.
    pub full: usize,
}

impl MaxStartups {
    /// OpenSSH's default, `10:30:100`.
    pub const DEFAULT: MaxStartups = MaxStartups {
        start: 10,
        rate: 30,
        full: 100,
    };

    /// `"start:rate:full"`, or `"n"` (drop every connection from the n-th on).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let num = |s: &str, what: &str| -> anyhow::Result<usize> {
            s.trim()
                .parse::<usize>()
                .with_context(|| format!("{what} {s:?} is not a number"))
        };
        let parts: Vec<&str> = text.split(':').collect();
        let m = match parts.as_slice() {
            [n] => {
                let n = num(n, "full")?;
                MaxStartups {
                    start: n,
                    rate: 100,
                    full: n,
                }
            }
            [start, rate, full] => MaxStartups {
                start: num(start, "start")?,
                rate: u32::try_from(num(rate, "rate")?).unwrap_or(u32::MAX),
                full: num(full, "full")?,
            },
            _ => bail!("expected start:rate:full (OpenSSH MaxStartups), e.g. \"10:30:100\""),
        };
        if m.full == 0 {
            bail!("full must be at least 1");
        }
        if m.start > m.full {
            bail!("start ({}) is more than full ({})", m.start, m.full);
        }
        if !(1..=100).contains(&m.rate) {
            bail!("rate must be 1 to 100 (percent)");
        }
        Ok(m)
    }

    /// Whether to drop a new connection when `open` unauthenticated ones are already there;
    /// `roll` is a uniform random number below 100.
    #[must_use]
    pub fn drops(&self, open: usize, roll: u32) -> bool {
        if open < self.start {
            return false;
        }
        if open >= self.full || self.rate >= 100 {
            return true;
        }
        // From `rate` at `start` to 100 at `full`, linearly (whole percents).
        let span = (self.full - self.start) as u64;
        let past = (open - self.start) as u64;
        let percent = u64::from(self.rate) + u64::from(100 - self.rate) * past / span;
        u64::from(roll) < percent
    }
}

/// `PerSourceNetBlockSize v4:v6`: prefix lengths that make one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netblock {
    /// IPv4 prefix length (0-32).
    pub v4: u8,
    /// IPv6 prefix length (0-128).
    pub v6: u8,
}

impl Default for Netblock {
    /// OpenSSH's default: each address its own source.
    fn default() -> Self {
        Netblock { v4: 32, v6: 128 }
    }
}

impl Netblock {
    /// `"v4:v6"` or `"v4"` (IPv6 then /128).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let bits = |s: &str, max: u8| -> anyhow::Result<u8> {
            match s.trim().parse::<u8>() {
                Ok(b) if b <= max => Ok(b),
                _ => bail!("{s:?} is not a prefix length of 0 to {max}"),
            }
        };
        match text.split(':').collect::<Vec<_>>().as_slice() {
            [v4] => Ok(Netblock {
                v4: bits(v4, 32)?,
                v6: 128,
            }),
            [v4, v6] => Ok(Netblock {
                v4: bits(v4, 32)?,
                v6: bits(v6, 128)?,
            }),
            _ => bail!(
                "expected v4:v6 prefix lengths (OpenSSH PerSourceNetBlockSize), e.g. \"32:64\""
            ),
        }
    }

    /// The source `ip` belongs to: its network at this block size. An IPv4 client on a dual-stack
    /// listener (`::ffff:a.b.c.d`) is the IPv4 address.
    #[must_use]
    pub fn source(&self, ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.v4)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.v6)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        }
    }
}

/// The limits on unauthenticated connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupLimits {
    /// `MaxStartups`.
    pub max: MaxStartups,
    /// `PerSourceMaxStartups`: `None` for no per-source limit.
    pub per_source: Option<usize>,
    /// `PerSourceNetBlockSize`.
    pub netblock: Netblock,
}

impl Default for StartupLimits {
    fn default() -> Self {
        StartupLimits {
            max: MaxStartups::DEFAULT,
            per_source: Some(DEFAULT_PER_SOURCE),
            netblock: Netblock::default(),
        }
    }
}

/// `per_source_max_startups`: a number or `"none"`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum PerSource {
    /// At most this many.
    Count(usize),
    /// `"none"`: no limit (OpenSSH's default).
    Word(String),
}

impl Default for PerSource {
    fn default() -> Self {
        PerSource::Count(DEFAULT_PER_SOURCE)
    }
}

impl PerSource {
    fn limit(&self) -> anyhow::Result<Option<usize>> {
        match self {
            PerSource::Count(0) => bail!("at least 1, or \"none\""),
            PerSource::Count(n) => Ok(Some(*n)),
            PerSource::Word(w) if w.eq_ignore_ascii_case("none") => Ok(None),
            PerSource::Word(w) => bail!("{w:?}: a number, or \"none\""),
        }
    }
}

impl ServerSection {
    /// `max_startups`, `per_source_max_startups` and `per_source_netblock`.
    pub fn startup_limits(&self) -> anyhow::Result<StartupLimits> {
        Ok(StartupLimits {
            max: MaxStartups::parse(&self.max_startups)
                .context("[server] max_startups (OpenSSH MaxStartups)")?,
            per_source: self
                .per_source_max_startups
                .limit()
                .context("[server] per_source_max_startups (OpenSSH PerSourceMaxStartups)")?,
            netblock: Netblock::parse(&self.per_source_netblock)
                .context("[server] per_source_netblock (OpenSSH PerSourceNetBlockSize)")?,
        })
    }

    /// The hashing pool's size (the queue's wait bound is the authentication time-out).
    #[must_use]
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            workers: self.password_checks.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
            queue: self.password_queue,
            max_wait: Duration::from_secs(self.timeout_seconds),
        }
    }

    /// How long a client may leave our output unread.
    #[must_use]
    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_seconds)
    }

    /// Checks the keys of this module and of the hashing pool.
    pub fn check_limits(&self) -> anyhow::Result<()> {
        self.startup_limits()?;
        if self.password_checks == Some(0) {
            bail!("[server] password_checks: at least 1");
        }
        if self.write_timeout_seconds == 0 {
            bail!("[server] write_timeout_seconds: at least 1");
        }
        Ok(())
    }
}

/// Unauthenticated connections one source may hold by default (OpenSSH has no limit; one
/// address holding all of `MaxStartups` would lock everyone else out).
pub const DEFAULT_PER_SOURCE: usize = 10;

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Past `MaxStartups`.
    MaxStartups,
    /// Past `PerSourceMaxStartups`.
    PerSource,
}

impl Refusal {
    /// The line the client gets (OpenSSH's).
    #[must_use]
    pub fn line(self) -> &'static [u8] {
        match self {
            Refusal::MaxStartups => b"Exceeded MaxStartups\r\n",
            Refusal::PerSource => b"Exceeded PerSourceMaxStartups\r\n",
        }
    }

    /// For the log.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::MaxStartups => "past MaxStartups",
            Refusal::PerSource => "past PerSourceMaxStartups",
        }
    }
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    /// Only sources with at least one connection: at most `full` entries.
    by_source: HashMap<IpAddr, usize>,
}

/// The unauthenticated connections of one server.
#[derive(Debug)]
pub struct Startups {
    limits: StartupLimits,
    open: Mutex<Open>,
}

impl Startups {
    /// No connections yet.
    #[must_use]
    pub fn new(limits: StartupLimits) -> Arc<Self> {
        Arc::new(Startups {
            limits,
            open: Mutex::new(Open::default()),
        })
    }

    /// Admits a new connection from `ip`, or says why not; `roll` (a uniform random number below
    /// 100) decides the random early drop.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, roll: u32) -> Result<StartupGuard, Refusal> {
        let source = self.limits.netblock.source(ip);
        let mut open = self.lock();
        if self.limits.max.drops(open.total, roll) {
            return Err(Refusal::MaxStartups);
        }
        let here = open.by_source.get(&source).copied().unwrap_or(0);
        if self.limits.per_source.is_some_and(|max| here >= max) {
            return Err(Refusal::PerSource);
        }
        open.total += 1;
        *open.by_source.entry(source).or_insert(0) += 1;
        Ok(StartupGuard {
            startups: self.clone(),
            source,
        })
    }

    /// Admits with a random roll from the operating system.
    pub fn admit_random(self: &Arc<Self>, ip: IpAddr) -> Result<StartupGuard, Refusal> {
        // A failing generator rolls 0: the drop then happens whenever it may.
        let roll = getrandom::u32().unwrap_or(0) % 100;
        self.admit(ip, roll)
    }

    /// Unauthenticated connections now.
    #[must_use]
    pub fn open(&self) -> usize {
        self.lock().total
    }

    fn release(&self, source: IpAddr) {
        let mut open = self.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_source.get_mut(&source) {
            *n -= 1;
            if *n == 0 {
                open.by_source.remove(&source);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One admitted, not yet authenticated connection; dropping it (at authentication, or when the
/// connection ends) frees its place.
#[derive(Debug)]
pub struct StartupGuard {
    startups: Arc<Startups>,
    source: IpAddr,
}

impl Drop for StartupGuard {
    fn drop(&mut self) {
        self.startups.release(self.source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_max_startups() {
        assert_eq!(
            MaxStartups::parse("10:30:100").unwrap(),
            MaxStartups::DEFAULT
        );
        assert_eq!(
            MaxStartups::parse("5").unwrap(),
            MaxStartups {
                start: 5,
                rate: 100,
                full: 5
            }
        );
        for bad in [
            "",
            "10:30",
            "a:30:100",
            "50:30:10",
            "10:0:100",
            "10:101:100",
            "0",
        ] {
            assert!(MaxStartups::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn random_early_drop_rises_linearly() {
        let m = MaxStartups::DEFAULT;
        // Below start: never; at full: always.
        assert!(!m.drops(9, 0));
        assert!(m.drops(100, 99));
        assert!(m.drops(1000, 99));
        // At start, 30%: rolls 0..29 drop.
        assert!(m.drops(10, 29));
        assert!(!m.drops(10, 30));
        // Half way (55 of 10..100): 30 + 70 * 45 / 90 = 65%.
        assert!(m.drops(55, 64));
        assert!(!m.drops(55, 65));
        // Counted over every roll: the fraction dropped is the percentage.
        let dropped = |open| (0..100).filter(|&r| m.drops(open, r)).count();
        assert_eq!(dropped(10), 30);
        assert_eq!(dropped(55), 65);
        assert_eq!(dropped(99), 99);
    }

    #[test]
    fn netblocks_group_sources() {
        let n = Netblock::parse("24:64").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(n.source(ip("192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(n.source(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(n.source(ip("::ffff:192.0.2.77")), ip("192.0.2.0"));
        let all = Netblock::parse("0:0").unwrap();
        assert_eq!(all.source(ip("198.51.100.1")), ip("0.0.0.0"));
        assert_eq!(Netblock::parse("32").unwrap(), Netblock::default());
        for bad in ["33:128", "32:129", "x", "1:2:3"] {
            assert!(Netblock::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn counts_until_released() {
        let s = Startups::new(StartupLimits {
            max: MaxStartups::parse("3").unwrap(),
            per_source: Some(2),
            netblock: Netblock::parse("32:64").unwrap(),
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b2: IpAddr = "2001:db8::2".parse().unwrap();
        let g1 = s.admit(a, 99).unwrap();
        let _g2 = s.admit(a, 99).unwrap();
        assert_eq!(s.admit(a, 99).unwrap_err(), Refusal::PerSource);
        let _g3 = s.admit(b, 99).unwrap();
        // Full: even a new source waits.
        assert_eq!(s.admit(b2, 99).unwrap_err(), Refusal::MaxStartups);
        assert_eq!(s.open(), 3);
        drop(g1);
        assert_eq!(s.open(), 2);
        // b and b2 are one /64: the second is still allowed (per source 2).
        let _g4 = s.admit(b2, 99).unwrap();
        assert_eq!(s.admit(a, 99).unwrap_err(), Refusal::MaxStartups);
        assert_eq!(s.lock().by_source.len(), 2);
    }

    fn server(lines: &str) -> anyhow::Result<ServerSection> {
        let text = format!("[server]\nhost_keys = [\"k/ssh_host_ed25519_key\"]\n{lines}\n");
        Ok(crate::server::config::DeviceFile::parse(&text)?.server)
    }

    #[test]
    fn config_keys() {
        let s = server("").unwrap();
        assert_eq!(s.startup_limits().unwrap(), StartupLimits::default());
        assert_eq!(s.write_timeout(), Duration::from_secs(300));
        assert_eq!(s.pool_settings().queue, 64);
        assert_eq!(s.pool_settings().max_wait, Duration::from_secs(120));
        let s = server(
            "max_startups = \"3:50:9\"\nper_source_max_startups = \"none\"\n\
             per_source_netblock = \"24:56\"\npassword_checks = 3\npassword_queue = 7\n\
             write_timeout_seconds = 9",
        )
        .unwrap();
        let l = s.startup_limits().unwrap();
        assert_eq!(
            (l.max, l.per_source, l.netblock),
            (
                MaxStartups {
                    start: 3,
                    rate: 50,
                    full: 9
                },
                None,
                Netblock { v4: 24, v6: 56 }
            )
        );
        assert_eq!((s.pool_settings().workers, s.pool_settings().queue), (3, 7));
        assert_eq!(s.write_timeout(), Duration::from_secs(9));
        for (bad, named) in [
            ("max_startups = \"9:30:3\"", "MaxStartups"),
            ("per_source_max_startups = 0", "PerSourceMaxStartups"),
            ("per_source_max_startups = \"all\"", "PerSourceMaxStartups"),
            ("per_source_netblock = \"33\"", "PerSourceNetBlockSize"),
            ("password_checks = 0", "password_checks"),
            ("write_timeout_seconds = 0", "write_timeout_seconds"),
        ] {
            let e = format!("{:#}", server(bad).unwrap_err());
            assert!(e.contains(named), "{bad}: {e}");
        }
    }

    #[test]
    fn no_per_source_limit() {
        let s = Startups::new(StartupLimits {
            max: MaxStartups::parse("100").unwrap(),
            per_source: None,
            netblock: Netblock::default(),
        });
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let guards: Vec<_> = (0..50).map(|_| s.admit(a, 0).unwrap()).collect();
        assert_eq!(s.open(), 50);
        drop(guards);
        assert_eq!(s.open(), 0);
        assert!(s.lock().by_source.is_empty());
    }
}
