//! `sshgate-host bridge`: WebSocket to TCP for the browser. The page opens
//! `wss://HOST/ssh/NAME`; the bridge checks who is asking (`web::gate`, `web::limits`), dials
//! the address listed for NAME and moves the SSH bytes both ways (`pump`), without ever seeing
//! inside them: the session is encrypted end to end between the page and the device.
//!
//! `config`: flags and TOML; `routes`: the HTTP side; `pump`: one session; `resumable`: one
//! session that survives a dropped WebSocket (`sshgate.resume.v1`); `metrics`: counters for
//! `/metrics`.

pub mod config;
pub mod metrics;
pub mod pump;
pub mod resumable;
pub mod routes;

pub use config::BridgeArgs;
use config::BridgeConfig;
use routes::BridgeState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::shutdown::Shutdown;
use crate::web::limits::SessionLimits;
use crate::web::server::HttpServer;

/// How long open sessions get to close at shutdown.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Runs the bridge until SIGTERM or ctrl-c.
pub async fn run(args: &BridgeArgs) -> anyhow::Result<()> {
    let cfg = BridgeConfig::resolve(args)?;
    Bridge::bind(cfg, Shutdown::on_signal()).await?.run().await;
    Ok(())
}

/// A bound bridge, not yet serving.
pub struct Bridge {
    server: HttpServer,
    router: axum::Router,
    limits: Arc<SessionLimits>,
    shutdown: Shutdown,
}

impl Bridge {
    /// Checks the configuration, loads TLS, binds the listeners.
    pub async fn bind(cfg: BridgeConfig, shutdown: Shutdown) -> anyhow::Result<Self> {
        let web = &cfg.web;
        if let Some(d) = &web.static_dir {
            crate::web::files::check_dir(d)?;
        }
        let l = &web.limits;
        let limits = SessionLimits::new(l.max_sessions, l.max_sessions_per_source);
        let metrics = Arc::new(metrics::Metrics::default());
        for t in cfg.targets.values() {
            tracing::info!(name = %t.name, address = %t.address, "bridge target");
        }
        tracing::info!(
            origins = ?web.allow_origins,
            hosts = ?web.allow_hosts,
            token = web.token.is_some(),
            mutual_tls = web.client_ca.is_some(),
            max_sessions = l.max_sessions,
            max_sessions_per_source = l.max_sessions_per_source,
            resume_grace_seconds = l.resume_grace_seconds,
            ws_ping_seconds = l.ws_ping_seconds,
            "bridge settings"
        );
        let state = Arc::new(BridgeState {
            targets: cfg.targets.clone(),
            gate: crate::web::gate(web),
            limits: limits.clone(),
            settings: l.clone(),
            metrics: metrics.clone(),
            shutdown: shutdown.clone(),
            resume: l.resume().map(crate::resume::hub::Hub::new),
        });
        let router = routes::router(state, web.static_dir.as_deref());
        let hook_metrics = metrics.clone();
        let listeners = crate::web::server::bind(&web.listen).await?;
        for addr in config::unauthenticated_public(web) {
            // Allowed by --insecure-no-auth only; said at every start, where it is seen.
            tracing::warn!(
                %addr,
                "INSECURE: listening on {addr}, which is not a loopback address, with no token \
                 and no client certificates (--insecure-no-auth): anyone who can reach it can \
                 open connections to every target"
            );
        }
        let server = HttpServer {
            hosts: crate::web::host_policy(web, &listeners)?,
            listeners,
            tls: crate::web::acceptor(web)?,
            handshake_timeout: l.handshake_timeout(),
            max_connections: l.max_connections,
            on_refused: Some(Arc::new(move |reason| hook_metrics.refused(reason))),
        };
        Ok(Bridge {
            server,
            router,
            limits,
            shutdown,
        })
    }

    /// The addresses actually bound (port 0 resolved).
    #[must_use]
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.server
            .listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until shutdown, then gives open sessions a moment to send their close frames.
    pub async fn run(self) {
        let Bridge {
            server,
            router,
            limits,
            shutdown,
        } = self;
        server.run(router, shutdown.wait()).await;
        tracing::info!(open = limits.open(), "bridge shutting down");
        let deadline = tokio::time::Instant::now() + DRAIN_TIME;
        while limits.open() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
