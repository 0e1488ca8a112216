//! The engine's notion of time.
//!
//! The engine never reads a clock: every call that depends on time takes an [`Instant`] from the
//! driver. `Instant` is a plain monotonic offset from an origin the driver chooses (process start,
//! `performance.now()`'s origin, or zero on a test's virtual clock), so it works the same natively,
//! on `wasm32-unknown-unknown` (where `std::time::Instant::now()` panics) and in replayed tests.

use core::ops::{Add, Sub};
pub use core::time::Duration;

/// A point on the driver's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// The instant `since_origin` after the driver's chosen origin.
    #[must_use]
    pub const fn from_duration(since_origin: Duration) -> Self {
        Instant(since_origin)
    }

    /// The instant `ms` milliseconds after the origin (handy for `performance.now()`).
    #[must_use]
    pub fn from_millis_f64(ms: f64) -> Self {
        let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
        Instant(Duration::from_secs_f64(ms / 1000.0))
    }

    /// Time since the origin.
    #[must_use]
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}
