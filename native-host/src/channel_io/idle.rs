//! Waiting for input without holding a buffer: an idle session should cost almost nothing, and
//! a 32 or 64 KiB read buffer per stream, parked in a pending `read`, is most of what an idle
//! session would otherwise hold.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads at or under this size mean the source has gone quiet (a keystroke, a prompt, a
/// control message): wait with [`readable`] before the next read instead of with a buffer.
pub const QUIET_READ: usize = 1024;

/// Resolves once `src` has something to read, EOF or an error (the read that follows tells
/// which). A zero-length read waits for readiness in tokio's sockets, pipes and `AsyncFd`
/// PTYs and consumes nothing; where it returns at once instead, the caller's real read simply
/// waits with its buffer, as it would have without this.
pub async fn readable<R: AsyncRead + Unpin>(src: &mut R) -> std::io::Result<()> {
    src.read(&mut []).await.map(|_| ())
}
