//! Rationing of the key exchanges the peer starts (the D(HE)at defence): a count before
//! authentication, a token bucket after. [`crate::KexLimits`] says what the limits are and why.

use crate::Error;
use crate::config::KexLimits;
use crate::msg::reason;
use crate::time::Instant;

/// What the peer has used of its key exchanges.
pub(super) struct KexBudget {
    /// Key exchanges counted before authentication, the first one included.
    before_auth: u32,
    /// After authentication: re-keys the peer may start now.
    tokens: u32,
    /// Time up to which refills are credited (`None` until authentication fills the bucket).
    time_mark: Option<Instant>,
    /// Traffic (bytes, both directions, whole connection) up to which refills are credited.
    bytes_mark: u64,
}

impl KexBudget {
    pub(super) fn new() -> Self {
        KexBudget {
            before_auth: 0,
            tokens: 0,
            time_mark: None,
            bytes_mark: 0,
        }
    }

    /// Counts one key exchange the peer starts (or the first one) and says whether it may run.
    /// `bytes_per_token` is the traffic that earns one re-key (the caller lowers the configured
    /// figure to what the negotiated cipher's byte limit needs).
    pub(super) fn admit(
        &mut self,
        limits: &KexLimits,
        authenticated: bool,
        now: Instant,
        traffic: u64,
        bytes_per_token: u64,
    ) -> Result<(), Error> {
        if !authenticated {
            self.before_auth = self.before_auth.saturating_add(1);
            if self.before_auth > limits.before_auth {
                return Err(Error::policy(
                    reason::KEY_EXCHANGE_FAILED,
                    format!(
                        "too many key exchanges before authentication (at most {})",
                        limits.before_auth
                    ),
                ));
            }
            return Ok(());
        }
        self.refill(limits, now, traffic, bytes_per_token);
        if self.tokens == 0 {
            return Err(Error::policy(
                reason::KEY_EXCHANGE_FAILED,
                format!(
                    "peer re-keys too often (at most {} at once, then one every {} s or {} MiB)",
                    limits.burst,
                    limits.refill_after.as_secs(),
                    bytes_per_token >> 20
                ),
            ));
        }
        self.tokens -= 1;
        Ok(())
    }

    /// Credits the time and traffic since the last refill; a full bucket banks nothing.
    fn refill(&mut self, limits: &KexLimits, now: Instant, traffic: u64, bytes_per_token: u64) {
        let Some(time_mark) = self.time_mark else {
            // Authentication has just happened: the bucket starts full.
            self.tokens = limits.burst;
            self.time_mark = Some(now);
            self.bytes_mark = traffic;
            return;
        };
        let by_time = earned((now - time_mark).as_nanos(), limits.refill_after.as_nanos());
        let by_bytes = earned(
            u128::from(traffic.saturating_sub(self.bytes_mark)),
            u128::from(bytes_per_token),
        );
        let room = limits.burst.saturating_sub(self.tokens);
        if by_time.saturating_add(by_bytes) >= room {
            self.tokens = limits.burst;
            self.time_mark = Some(now);
            self.bytes_mark = traffic;
            return;
        }
        // Less than `room` (a u32) each, so the products below stay small.
        self.tokens += by_time + by_bytes;
        self.time_mark = Some(time_mark + limits.refill_after * by_time);
        self.bytes_mark += bytes_per_token * u64::from(by_bytes);
    }
}

/// Whole `per`s in `amount`, at most `u32::MAX`; a zero `per` (a refill set to zero in
/// [`KexLimits`]) earns nothing.
fn earned(amount: u128, per: u128) -> u32 {
    if per == 0 {
        return 0;
    }
    u32::try_from(amount / per).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    const SECOND: Duration = Duration::from_secs(1);

    fn limits() -> KexLimits {
        KexLimits {
            before_auth: 2,
            burst: 3,
            refill_after: 10 * SECOND,
            refill_bytes: 1000,
            timeout: 120 * SECOND,
        }
    }

    fn at(secs: u64) -> Instant {
        Instant::ZERO + Duration::from_secs(secs)
    }

    #[test]
    fn before_authentication_only_the_first_and_one_more() {
        let mut b = KexBudget::new();
        assert!(b.admit(&limits(), false, at(0), 0, 1000).is_ok());
        assert!(b.admit(&limits(), false, at(0), 0, 1000).is_ok());
        let e = b
            .admit(&limits(), false, at(500), 1 << 40, 1000)
            .unwrap_err();
        assert_eq!(e.reason, reason::KEY_EXCHANGE_FAILED);
        assert!(e.description.contains("before authentication"), "{e}");
    }

    #[test]
    fn after_authentication_a_burst_then_time_or_traffic() {
        let l = limits();
        let mut b = KexBudget::new();
        for _ in 0..3 {
            b.admit(&l, true, at(100), 0, 1000).unwrap();
        }
        assert!(b.admit(&l, true, at(109), 999, 1000).is_err());
        // One earned by time...
        let mut b = KexBudget::new();
        for _ in 0..3 {
            b.admit(&l, true, at(100), 0, 1000).unwrap();
        }
        b.admit(&l, true, at(110), 0, 1000).unwrap();
        assert!(b.admit(&l, true, at(115), 0, 1000).is_err());
        // ...or by traffic, and the remainder carries over.
        let mut b = KexBudget::new();
        for _ in 0..3 {
            b.admit(&l, true, at(100), 0, 1000).unwrap();
        }
        b.admit(&l, true, at(100), 1500, 1000).unwrap();
        assert!(b.admit(&l, true, at(100), 1999, 1000).is_err());
        let mut b2 = KexBudget::new();
        for _ in 0..3 {
            b2.admit(&l, true, at(100), 0, 1000).unwrap();
        }
        b2.admit(&l, true, at(100), 1500, 1000).unwrap();
        b2.admit(&l, true, at(100), 2000, 1000).unwrap();
    }

    #[test]
    fn a_long_quiet_spell_refills_no_more_than_the_burst() {
        let l = limits();
        let mut b = KexBudget::new();
        b.admit(&l, true, at(0), 0, 1000).unwrap();
        for _ in 0..3 {
            b.admit(&l, true, at(1_000_000), u64::MAX, 1000).unwrap();
        }
        assert!(b.admit(&l, true, at(1_000_000), u64::MAX, 1000).is_err());
    }

    #[test]
    fn zero_refills_mean_never() {
        let l = KexLimits {
            refill_after: Duration::ZERO,
            burst: 1,
            ..limits()
        };
        let mut b = KexBudget::new();
        b.admit(&l, true, at(0), 0, 0).unwrap();
        assert!(b.admit(&l, true, at(1_000_000), u64::MAX, 0).is_err());
    }
}
