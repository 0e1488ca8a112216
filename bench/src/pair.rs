//! The byte pump between an in-memory client and server that the whole-handshake workloads
//! (`kex`, `login`) share; each answers its own events.

use sshgate::{Connection, Error, Instant};

/// Hands each side's pending output to the other, once. `Ok(true)` if any bytes moved, `Err`
/// if either side refused what it was given.
pub(crate) fn exchange(
    c: &mut Connection,
    s: &mut Connection,
    now: Instant,
    buf: &mut Vec<u8>,
) -> Result<bool, Error> {
    let mut moved = false;
    buf.clear();
    if c.poll_transmit(buf) {
        moved = true;
        s.handle_input(buf, now)?;
    }
    buf.clear();
    if s.poll_transmit(buf) {
        moved = true;
        c.handle_input(buf, now)?;
    }
    Ok(moved)
}
