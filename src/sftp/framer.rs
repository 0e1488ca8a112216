//! Cuts a byte stream (a channel's data) into SFTP packets: `uint32 length`, then that many
//! bytes (type and fields). The length is checked against the bound as soon as its four bytes
//! are in, so a peer cannot make us buffer more than one bounded packet.

use super::SftpError;

/// Collects stream bytes and hands out whole packets.
#[derive(Debug)]
pub struct Framer {
    pub(super) buf: Vec<u8>,
    /// Where the next packet's length field starts in `buf`.
    start: usize,
    max: usize,
}

impl Framer {
    /// A framer accepting packets of up to `max` bytes (the length field's value).
    #[must_use]
    pub fn new(max: usize) -> Self {
        Framer {
            buf: Vec::new(),
            start: 0,
            max,
        }
    }

    /// Adds bytes from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            // Only a partial packet is left (bounded): move it to the front.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that are not yet part of a packet handed out.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next whole packet (type byte and fields, without the length), `None` until one is
    /// complete. An empty or oversized length is an error; the stream cannot be resynchronised
    /// after it.
    pub fn next_packet(&mut self) -> Result<Option<&[u8]>, SftpError> {
        let rest = &self.buf[self.start..];
        let Some(head) = rest.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len == 0 {
            return Err(SftpError::Empty);
        }
        if len as usize > self.max {
            return Err(SftpError::TooLong(len));
        }
        let len = len as usize;
        if rest.len() < 4 + len {
            // Room for the packet being assembled, asked once.
            self.buf.reserve(4 + len - rest.len());
            return Ok(None);
        }
        // The front is reclaimed at the next push (a move of the partial packet left, if any).
        let s = self.start + 4;
        self.start = s + len;
        Ok(Some(&self.buf[s..self.start]))
    }
}
