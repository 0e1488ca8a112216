use super::WireError;

/// A cursor over a received message. Every accessor checks the remaining length first.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread bytes, without consuming them.
    #[must_use]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Succeeds only if every byte has been read (decoders end with this).
    pub fn finish(&self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }

    /// `n` raw bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if n > self.remaining() {
            return Err(WireError::Truncated(what));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A fixed-size array of raw bytes.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N, what)?);
        Ok(a)
    }

    /// A `byte`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.bytes(1, what)?[0])
    }

    /// A `boolean`: RFC 4251 §5 says any non-zero value is TRUE.
    pub fn bool(&mut self, what: &'static str) -> Result<bool, WireError> {
        Ok(self.u8(what)? != 0)
    }

    /// A `uint32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A `uint64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A `string`: the length is checked against the bytes left before anything is sliced.
    pub fn string(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let len = self.u32(what)? as usize;
        self.bytes(len, what)
    }

    /// A `string` that must be UTF-8 (user names, descriptions, language tags).
    pub fn utf8(&mut self, what: &'static str) -> Result<&'a str, WireError> {
        core::str::from_utf8(self.string(what)?).map_err(|_| WireError::Invalid(what))
    }

    /// A `name-list`: comma-separated US-ASCII names, none empty (RFC 4251 §5).
    pub fn name_list(&mut self, what: &'static str) -> Result<Vec<&'a str>, WireError> {
        let raw = self.string(what)?;
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        // RFC 4251 §5: "A name MUST have a non-zero length, and it MUST NOT contain a comma".
        // Names are printable US-ASCII.
        if !raw.iter().all(|b| (0x21..=0x7e).contains(b)) {
            return Err(WireError::Invalid(what));
        }
        let s = core::str::from_utf8(raw).map_err(|_| WireError::Invalid(what))?;
        let names: Vec<&str> = s.split(',').collect();
        if names.iter().any(|n| n.is_empty() || n.len() > 64) {
            return Err(WireError::Invalid(what));
        }
        Ok(names)
    }

    /// An `mpint` that must be non-negative; returns its magnitude without leading zero bytes.
    pub fn mpint_positive(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let raw = self.string(what)?;
        if raw.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(WireError::Invalid(what));
        }
        // RFC 4251 §5: "Unnecessary leading bytes with the value 0 or 255 MUST NOT be included."
        if raw.len() >= 2 && raw[0] == 0 && raw[1] & 0x80 == 0 {
            return Err(WireError::Invalid(what));
        }
        let start = raw.iter().position(|&b| b != 0).unwrap_or(raw.len());
        Ok(&raw[start..])
    }
}
