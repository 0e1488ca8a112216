//! A strict DER walker for the structures read by hand (OCSP, PKCS#8, PKCS#12): low tag
//! numbers only, definite minimal lengths, every length bounded by the bytes present.

/// SEQUENCE.
pub(crate) const SEQ: u8 = 0x30;
/// OCTET STRING.
pub(crate) const OCTETS: u8 = 0x04;
/// INTEGER.
pub(crate) const INT: u8 = 0x02;
/// OBJECT IDENTIFIER.
pub(crate) const OID: u8 = 0x06;

/// The error of every walker step.
pub(crate) const MALFORMED: &str = "malformed DER";

/// A cursor over DER elements.
pub(crate) struct Der<'a> {
    buf: &'a [u8],
}

impl<'a> Der<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Der { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    /// The next element: (tag, value, whole TLV).
    pub(crate) fn next(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), &'static str> {
        let b = self.buf;
        if b.len() < 2 || b[0] & 0x1f == 0x1f {
            return Err(MALFORMED);
        }
        let (len, hdr) = match b[1] {
            n @ 0..=0x7f => (usize::from(n), 2),
            n @ 0x81..=0x84 => {
                let k = usize::from(n & 0x7f);
                let bytes = b.get(2..2 + k).ok_or(MALFORMED)?;
                if bytes[0] == 0 {
                    return Err(MALFORMED);
                }
                let len = bytes.iter().fold(0usize, |a, &x| a << 8 | usize::from(x));
                if len < 0x80 {
                    return Err(MALFORMED);
                }
                (len, 2 + k)
            }
            _ => return Err(MALFORMED),
        };
        let end = hdr.checked_add(len).ok_or(MALFORMED)?;
        if end > b.len() {
            return Err(MALFORMED);
        }
        self.buf = &b[end..];
        Ok((b[0], &b[hdr..end], &b[..end]))
    }

    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        match self.next()? {
            (t, v, _) if t == tag => Ok(v),
            _ => Err(MALFORMED),
        }
    }

    pub(crate) fn expect_tlv(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        match self.next()? {
            (t, _, tlv) if t == tag => Ok(tlv),
            _ => Err(MALFORMED),
        }
    }
}

/// The single element of `tag` that makes up all of `buf`.
pub(crate) fn only(buf: &[u8], tag: u8) -> Result<&[u8], &'static str> {
    let mut d = Der::new(buf);
    let v = d.expect(tag)?;
    if !d.is_empty() {
        return Err(MALFORMED);
    }
    Ok(v)
}

/// An OBJECT IDENTIFIER element's value as an OID.
pub(crate) fn oid(v: &[u8]) -> Result<der::asn1::ObjectIdentifier, &'static str> {
    der::asn1::ObjectIdentifier::from_bytes(v).map_err(|_| MALFORMED)
}

/// A non-negative INTEGER's magnitude without leading zero bytes, refusing negative numbers.
pub(crate) fn uint(v: &[u8]) -> Result<&[u8], &'static str> {
    if v.is_empty() || v[0] & 0x80 != 0 {
        return Err(MALFORMED);
    }
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    Ok(&v[start..])
}

/// A small non-negative INTEGER (versions, iteration counts, key lengths).
pub(crate) fn small_uint(v: &[u8]) -> Result<u64, &'static str> {
    let m = uint(v)?;
    if m.len() > 8 {
        return Err(MALFORMED);
    }
    Ok(m.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
}
