//! The calendar time the engine needs for certificates (`Connection::set_wall_clock`): the engine
//! itself only has the driver's monotonic clock.

/// Seconds since the Unix epoch by the system clock (0 if it reads before 1970).
#[must_use]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
