//! A connection's stream with its bytes counted both ways, for the audit line, the SNMP trap
//! (IOS `loctcpConnInBytes` / `loctcpConnOutBytes`) and the `/metrics` totals. The counts are
//! the SSH bytes on the wire (inside a WebSocket: the frames' payloads), updated as they move so
//! the totals of long sessions move too.

use super::metrics::Metrics;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes received and sent on one connection.
#[derive(Debug, Default)]
pub struct ByteCounts {
    received: AtomicU64,
    sent: AtomicU64,
}

impl ByteCounts {
    /// Bytes read from the client.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
    /// Bytes written to the client.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// `inner`, counting into `counts` and the server's `metrics`.
pub struct Counted<S> {
    inner: S,
    counts: Arc<ByteCounts>,
    metrics: Arc<Metrics>,
}

impl<S> Counted<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, counts: Arc<ByteCounts>, metrics: Arc<Metrics>) -> Self {
        Counted {
            inner,
            counts,
            metrics,
        }
    }

    fn wrote(&self, n: usize) {
        let n = n as u64;
        self.counts.sent.fetch_add(n, Ordering::Relaxed);
        self.metrics.bytes_sent(n);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        if n > 0 {
            self.counts.received.fetch_add(n, Ordering::Relaxed);
            self.metrics.bytes_received(n);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.wrote(n);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            self.wrote(n);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
