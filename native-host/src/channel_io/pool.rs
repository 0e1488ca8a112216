//! Recycled chunk buffers for the output readers. A chunk goes from a reader to the engine and
//! is free again once the engine has copied it into packets; allocating a fresh 64 KiB chunk
//! each time lets glibc trim the freed heap and fault the pages back in on the next read (tens
//! of thousands of page faults per GiB). A small process-wide free list keeps them instead,
//! bounded so that a burst leaves at most [`MAX_POOLED`] chunks behind.

use super::reader::CHUNK;
use std::sync::Mutex;

/// Chunks kept for reuse, at most.
pub const MAX_POOLED: usize = 16;

static FREE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for a chunk.
#[must_use]
pub fn take() -> Vec<u8> {
    let reused = FREE.lock().ok().and_then(|mut free| free.pop());
    reused.unwrap_or_else(|| Vec::with_capacity(CHUNK))
}

/// Returns a buffer that [`take`] gave out (others, of other sizes, are simply dropped).
pub fn give(mut buf: Vec<u8>) {
    if buf.capacity() != CHUNK {
        return;
    }
    buf.clear();
    if let Ok(mut free) = FREE.lock()
        && free.len() < MAX_POOLED
    {
        free.push(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_reused_and_the_pool_is_bounded() {
        let a = take();
        assert!(a.is_empty() && a.capacity() == CHUNK);
        // Other sizes are not kept.
        give(Vec::with_capacity(10));
        for _ in 0..MAX_POOLED + 5 {
            give(Vec::with_capacity(CHUNK));
        }
        let n = FREE.lock().unwrap().len();
        assert!(n <= MAX_POOLED, "{n}");
        let b = take();
        assert!(b.is_empty() && b.capacity() == CHUNK);
    }
}
