//! The replay buffer of one direction: bytes sent but not yet acknowledged, bounded. The sender
//! stops reading its source while [`Replay::room`] is 0 (back-pressure, never an overflow).

use std::collections::VecDeque;

/// Bytes sent and not yet acknowledged, with the stream offsets they cover.
#[derive(Debug)]
pub struct Replay {
    buf: VecDeque<u8>,
    /// Offset of `buf[0]` in the stream (= bytes the peer has acknowledged).
    acked: u64,
    cap: usize,
}

/// An acknowledgement or resume position the buffer cannot honour (close 4416).
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfRange;

impl Replay {
    pub fn new(cap: usize) -> Self {
        Replay {
            buf: VecDeque::new(),
            acked: 0,
            cap,
        }
    }

    /// Total bytes sent (the stream's write offset).
    pub fn sent(&self) -> u64 {
        self.acked + self.buf.len() as u64
    }

    /// Bytes sent and not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes may be sent before an acknowledgement.
    pub fn room(&self) -> usize {
        self.cap.saturating_sub(self.buf.len())
    }

    /// Records bytes as sent; the caller sends at most [`Replay::room`] bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.len() <= self.room());
        self.buf.extend(bytes);
    }

    /// Releases bytes up to `ack`. Acks that go backwards or past what was sent are errors.
    pub fn ack(&mut self, ack: u64) -> Result<(), OutOfRange> {
        if ack < self.acked || ack > self.sent() {
            return Err(OutOfRange);
        }
        let n = usize::try_from(ack - self.acked).map_err(|_| OutOfRange)?;
        self.buf.drain(..n);
        self.acked = ack;
        Ok(())
    }

    /// After a reconnect: acknowledges up to `ack` and returns what to send again, in order.
    pub fn replay_from(&mut self, ack: u64) -> Result<Vec<u8>, OutOfRange> {
        self.ack(ack)?;
        Ok(self.buf.iter().copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_release_and_replay_returns_the_rest() {
        let mut r = Replay::new(10);
        r.push(b"hello");
        r.push(b"world");
        assert_eq!(r.room(), 0);
        r.ack(3).unwrap();
        assert_eq!(r.room(), 3);
        assert_eq!(r.replay_from(5).unwrap(), b"world");
        assert_eq!(r.sent(), 10);
    }

    #[test]
    fn acks_out_of_range_are_refused() {
        let mut r = Replay::new(10);
        r.push(b"abc");
        assert_eq!(r.ack(4), Err(OutOfRange));
        r.ack(2).unwrap();
        assert_eq!(r.ack(1), Err(OutOfRange));
        assert_eq!(r.replay_from(u64::MAX), Err(OutOfRange));
        assert_eq!(r.replay_from(2).unwrap(), b"c");
    }
}
