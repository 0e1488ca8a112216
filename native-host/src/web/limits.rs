//! Open-session accounting: a total and a per-source cap, taken when a WebSocket upgrade is
//! accepted and given back when the session's [`SessionSlot`] drops (whatever ends it).

use axum::http::StatusCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Which cap was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// All sessions taken: 503.
    Total,
    /// This source has its share: 429.
    PerSource,
}

impl Full {
    /// The HTTP status.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Full::Total => StatusCode::SERVICE_UNAVAILABLE,
            Full::PerSource => StatusCode::TOO_MANY_REQUESTS,
        }
    }
    /// The metrics label.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Full::Total => "total_limit",
            Full::PerSource => "source_limit",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// The caps and the current counts.
#[derive(Debug)]
pub struct SessionLimits {
    max_total: usize,
    max_per_source: usize,
    counts: Mutex<Counts>,
}

/// One open session; dropping it frees the place.
#[derive(Debug)]
pub struct SessionSlot {
    limits: Arc<SessionLimits>,
    source: IpAddr,
}

/// The key a source is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by /64.
#[must_use]
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl SessionLimits {
    /// Caps of `max_total` sessions, `max_per_source` from one source.
    #[must_use]
    pub fn new(max_total: usize, max_per_source: usize) -> Arc<Self> {
        Arc::new(SessionLimits {
            max_total,
            max_per_source,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// Takes a place for a session from `ip`, or says which cap is in the way.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<SessionSlot, Full> {
        let source = source_key(ip);
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mine = c.by_source.get(&source).copied().unwrap_or(0);
        if mine >= self.max_per_source {
            return Err(Full::PerSource);
        }
        if c.total >= self.max_total {
            return Err(Full::Total);
        }
        c.total += 1;
        *c.by_source.entry(source).or_insert(0) += 1;
        Ok(SessionSlot {
            limits: self.clone(),
            source,
        })
    }

    /// Sessions open now.
    #[must_use]
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut c = self.limits.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                // Keep the map as small as the set of sources with open sessions.
                c.by_source.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_release() {
        let l = SessionLimits::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let s1 = l.try_acquire(a).unwrap();
        let _s2 = l.try_acquire(a).unwrap();
        assert_eq!(l.try_acquire(a).unwrap_err(), Full::PerSource);
        let _s3 = l.try_acquire(b).unwrap();
        assert_eq!(l.try_acquire(b).unwrap_err(), Full::Total);
        assert_eq!(l.open(), 3);
        drop(s1);
        assert_eq!(l.open(), 2);
        let _s4 = l.try_acquire(a).unwrap();
        assert_eq!(Full::Total.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(Full::PerSource.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn ipv6_by_prefix() {
        let l = SessionLimits::new(10, 1);
        let _x = l.try_acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(
            l.try_acquire("2001:db8:1:2::ffff".parse().unwrap())
                .is_err()
        );
        assert!(l.try_acquire("2001:db8:1:3::1".parse().unwrap()).is_ok());
        let _m = l.try_acquire("::ffff:192.0.2.9".parse().unwrap()).unwrap();
        assert!(
            l.try_acquire("192.0.2.9".parse().unwrap()).is_err(),
            "mapped = v4"
        );
    }
}
