/// Appends RFC 4251 types to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }

    /// A writer whose first byte is the message number `msg`.
    #[must_use]
    pub fn message(msg: u8) -> Self {
        let mut w = Writer {
            buf: Vec::with_capacity(64),
        };
        w.u8(msg);
        w
    }

    /// The bytes written.
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Raw bytes.
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// A `byte`.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A `boolean`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// A `uint32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// A `uint64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// A `string`.
    pub fn string(&mut self, b: &[u8]) -> &mut Self {
        let len = u32::try_from(b.len()).expect("string longer than 4 GiB");
        self.u32(len).raw(b)
    }

    /// A `name-list`.
    pub fn name_list<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        let mut s = String::new();
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(n.as_ref());
        }
        self.string(s.as_bytes())
    }

    /// A non-negative `mpint` from big-endian magnitude bytes (leading zeros are stripped and a
    /// zero byte is added when the top bit is set, as RFC 4251 §5 requires).
    pub fn mpint(&mut self, magnitude: &[u8]) -> &mut Self {
        let start = magnitude
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(magnitude.len());
        let m = &magnitude[start..];
        if m.first().is_some_and(|b| b & 0x80 != 0) {
            let len = u32::try_from(m.len() + 1).expect("mpint too long");
            self.u32(len).u8(0).raw(m)
        } else {
            self.string(m)
        }
    }
}
