//! Per-source penalty: a client address whose connections failed authentication waits longer
//! before its next connection is served (like OpenSSH's `PerSourcePenalties`), so guessing
//! passwords from one address slows down without affecting anyone else. A success clears it;
//! old failures are forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Delay added per remembered failure.
const STEP: Duration = Duration::from_millis(500);
/// Longest delay.
const MAX_DELAY: Duration = Duration::from_secs(10);
/// Failures older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(600);
/// Addresses remembered at most (oldest dropped first), so a spray of sources cannot grow
/// memory without bound.
const MAX_SOURCES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
}

/// Failures by source address.
#[derive(Debug, Default)]
pub struct Penalties(Mutex<HashMap<IpAddr, Record>>);

impl Penalties {
    /// How long a new connection from `ip` waits before it is served.
    #[must_use]
    pub fn delay(&self, ip: IpAddr, now: Instant) -> Duration {
        let map = self.lock();
        match map.get(&ip) {
            Some(r) if now.duration_since(r.last) < MEMORY => {
                STEP.saturating_mul(r.failures).min(MAX_DELAY)
            }
            _ => Duration::ZERO,
        }
    }

    /// Records how a connection from `ip` ended: its failed attempts, and whether it logged in.
    pub fn record(&self, ip: IpAddr, failures: u32, authenticated: bool, now: Instant) {
        let mut map = self.lock();
        if authenticated {
            map.remove(&ip);
            return;
        }
        if failures == 0 {
            return;
        }
        map.retain(|_, r| now.duration_since(r.last) < MEMORY);
        if map.len() >= MAX_SOURCES
            && !map.contains_key(&ip)
            && let Some(oldest) = map.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        let r = map.entry(ip).or_insert(Record {
            failures: 0,
            last: now,
        });
        r.failures = r.failures.saturating_add(failures);
        r.last = now;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Record>> {
        self.0
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
        p.record(a, 3, false, t0);
        assert_eq!(p.delay(a, t0), STEP * 3);
        assert_eq!(p.delay(b, t0), Duration::ZERO, "other sources unaffected");
        p.record(a, 100, false, t0);
        assert_eq!(p.delay(a, t0), MAX_DELAY);
        assert_eq!(p.delay(a, t0 + MEMORY), Duration::ZERO, "forgotten");
        p.record(a, 0, true, t0);
        assert_eq!(p.delay(a, t0), Duration::ZERO, "a login clears it");
        p.record(b, 0, false, t0);
        assert_eq!(p.delay(b, t0), Duration::ZERO, "no failures, no record");
    }

    #[test]
    fn memory_is_bounded() {
        let p = Penalties::default();
        let t0 = Instant::now();
        for i in 0..(MAX_SOURCES as u32 + 50) {
            let ip = IpAddr::from(i.to_be_bytes());
            p.record(ip, 1, false, t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(p.lock().len(), MAX_SOURCES);
        // The newest is kept, the oldest gone.
        let newest = IpAddr::from((MAX_SOURCES as u32 + 49).to_be_bytes());
        assert!(p.lock().contains_key(&newest));
        assert!(!p.lock().contains_key(&IpAddr::from(0u32.to_be_bytes())));
    }
}
