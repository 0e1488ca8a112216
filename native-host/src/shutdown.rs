//! One shutdown signal (SIGTERM or ctrl-c) shared by every part of a process — the device
//! server loop, its WebSocket listener, the bridge — each waiting on its own clone.

use tokio::sync::watch;

/// A clonable "shutting down" flag.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Set by the first SIGTERM or ctrl-c.
    #[must_use]
    pub fn on_signal() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            crate::server::listener::shutdown_signal().await;
            let _ = tx.send(true);
        });
        Shutdown(rx)
    }

    /// Resolves once shutdown has begun (at once if it already has).
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            // A dropped sender means nobody can ask any more: wait forever.
            if rx.wait_for(|down| *down).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
