//! The input format of the session targets: a list of operations, each
//! `tag: u8, length: u16 big-endian, body` (a length past the end takes what is left), so
//! libFuzzer's mutations of one body leave the others in place.

/// Most operations read from one input: a bound on the work one input can ask for.
pub const MAX_OPS: usize = 256;

/// The operations of `data`, in order.
pub fn ops(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = data;
    core::iter::from_fn(move || {
        let (&tag, after) = rest.split_first()?;
        let (len, after) = match after {
            [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
            _ => (after.len(), &[][..]),
        };
        let (body, tail) = after.split_at(len.min(after.len()));
        rest = tail;
        Some((tag, body))
    })
    .take(MAX_OPS)
}

/// One operation in the input format (for seeds and tests).
#[must_use]
pub fn op(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(body.len()).expect("an op body fits in 64 KiB");
    let mut v = vec![tag];
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(body);
    v
}
