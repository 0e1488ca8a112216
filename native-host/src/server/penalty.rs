//! Per-source penalty: a source (an address masked to `PerSourceNetBlockSize`) whose
//! connections failed authentication waits longer before the key exchange of its next
//! connection (like OpenSSH's `PerSourcePenalties`, which refuses instead of waiting), so
//! guessing passwords from one place slows down without affecting anyone else.
//!
//! Failures are recorded the moment they happen, not when the connection ends, so connections
//! opened in parallel from one source see each other's failures. A connection that ends without
//! trying to authenticate costs a little too (OpenSSH's `noauth` penalty), past a free allowance
//! (OpenSSH's `min` of 15 s at 1 s each: health checks and host-key mismatches happen). A
//! success clears the source; old penalties are forgotten; the table holds at most
//! [`MAX_SOURCES`] sources.

use super::startups::Netblock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Delay added per failed authentication attempt.
pub const FAILURE: Duration = Duration::from_millis(500);
/// Delay added per connection that ended without trying to authenticate (a scanner, a client
/// that gave up at the host key): small, since a legitimate client does it too...
pub const NO_AUTH: Duration = Duration::from_millis(100);
/// ... and only past this many.
pub const NO_AUTH_ALLOWANCE: u32 = 15;
/// Longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(10);
/// Penalties older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(600);
/// Sources remembered at most (oldest dropped first), so a spray of sources cannot grow memory
/// without bound.
pub const MAX_SOURCES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    no_auth: u32,
    last: Instant,
}

impl Record {
    fn delay(&self) -> Duration {
        let no_auth = self.no_auth.saturating_sub(NO_AUTH_ALLOWANCE);
        FAILURE
            .saturating_mul(self.failures)
            .saturating_add(NO_AUTH.saturating_mul(no_auth))
            .min(MAX_DELAY)
    }
}

/// Penalties by source.
#[derive(Debug, Default)]
pub struct Penalties {
    netblock: Netblock,
    map: Mutex<HashMap<IpAddr, Record>>,
}

impl Penalties {
    /// An empty table whose sources are addresses masked to `netblock`.
    #[must_use]
    pub fn new(netblock: Netblock) -> Self {
        Penalties {
            netblock,
            map: Mutex::default(),
        }
    }

    /// How long a new connection from `ip` waits before its key exchange.
    #[must_use]
    pub fn delay(&self, ip: IpAddr, now: Instant) -> Duration {
        let map = self.lock();
        match map.get(&self.netblock.source(ip)) {
            Some(r) if now.duration_since(r.last) < MEMORY => r.delay(),
            _ => Duration::ZERO,
        }
    }

    /// `n` failed authentication attempts from `ip`, just now.
    pub fn failed(&self, ip: IpAddr, n: u32, now: Instant) {
        self.add(ip, n, 0, now);
    }

    /// A connection from `ip` ended without trying to authenticate.
    pub fn no_auth(&self, ip: IpAddr, now: Instant) {
        self.add(ip, 0, 1, now);
    }

    /// Someone from `ip` logged in: the source is forgiven.
    pub fn succeeded(&self, ip: IpAddr) {
        self.lock().remove(&self.netblock.source(ip));
    }

    fn add(&self, ip: IpAddr, failures: u32, no_auth: u32, now: Instant) {
        if failures == 0 && no_auth == 0 {
            return;
        }
        let source = self.netblock.source(ip);
        let mut map = self.lock();
        if map.len() >= MAX_SOURCES && !map.contains_key(&source) {
            map.retain(|_, r| now.duration_since(r.last) < MEMORY);
            if map.len() >= MAX_SOURCES
                && let Some(oldest) = map.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let fresh = Record {
            failures: 0,
            no_auth: 0,
            last: now,
        };
        let r = map.entry(source).or_insert(fresh);
        if now.duration_since(r.last) >= MEMORY {
            *r = fresh;
        }
        r.failures = r.failures.saturating_add(failures);
        r.no_auth = r.no_auth.saturating_add(no_auth);
        r.last = now;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Record>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_grow_the_delay_success_clears_time_forgets() {
        let p = Penalties::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        assert_eq!(p.delay(a, t0), Duration::ZERO);
        p.failed(a, 3, t0);
        assert_eq!(p.delay(a, t0), FAILURE * 3);
        assert_eq!(p.delay(b, t0), Duration::ZERO, "other sources unaffected");
        p.failed(a, 100, t0);
        assert_eq!(p.delay(a, t0), MAX_DELAY);
        assert_eq!(p.delay(a, t0 + MEMORY), Duration::ZERO, "forgotten");
        p.failed(a, 1, t0 + MEMORY);
        assert_eq!(
            p.delay(a, t0 + MEMORY),
            FAILURE,
            "starts again from nothing"
        );
        p.succeeded(a);
        assert_eq!(p.delay(a, t0), Duration::ZERO, "a login clears it");
        p.failed(b, 0, t0);
        assert!(p.lock().is_empty(), "no failures, no record");
    }

    #[test]
    fn each_failure_is_seen_at_once_by_every_connection() {
        // Three connections from one source, each failing once while the others are open: the
        // fourth waits for all three, without any of them having ended.
        let p = Penalties::default();
        let a: IpAddr = "192.0.2.9".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            p.failed(a, 1, t0);
        }
        assert_eq!(p.delay(a, t0), FAILURE * 3);
    }

    #[test]
    fn no_auth_costs_less_and_only_past_the_allowance() {
        let p = Penalties::default();
        let a: IpAddr = "192.0.2.3".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..NO_AUTH_ALLOWANCE {
            p.no_auth(a, t0);
        }
        assert_eq!(p.delay(a, t0), Duration::ZERO);
        p.no_auth(a, t0);
        p.no_auth(a, t0);
        assert_eq!(p.delay(a, t0), NO_AUTH * 2);
        p.failed(a, 1, t0);
        assert_eq!(p.delay(a, t0), NO_AUTH * 2 + FAILURE);
        assert!(NO_AUTH < FAILURE);
    }

    #[test]
    fn a_netblock_is_one_source() {
        let p = Penalties::new(Netblock::parse("32:64").unwrap());
        let t0 = Instant::now();
        p.failed("2001:db8::1".parse().unwrap(), 2, t0);
        assert_eq!(
            p.delay("2001:db8::ffff".parse().unwrap(), t0),
            FAILURE * 2,
            "another address of the /64"
        );
        assert_eq!(
            p.delay("2001:db8:0:1::1".parse().unwrap(), t0),
            Duration::ZERO
        );
    }

    #[test]
    fn memory_is_bounded() {
        let p = Penalties::default();
        let t0 = Instant::now();
        for i in 0..(MAX_SOURCES as u32 + 50) {
            let ip = IpAddr::from(i.to_be_bytes());
            p.failed(ip, 1, t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(p.lock().len(), MAX_SOURCES);
        // The newest is kept, the oldest gone.
        let newest = IpAddr::from((MAX_SOURCES as u32 + 49).to_be_bytes());
        assert!(p.lock().contains_key(&newest));
        assert!(!p.lock().contains_key(&IpAddr::from(0u32.to_be_bytes())));
    }
}
