//! serve's counters and gauges, and `[metrics]`: a plain-HTTP `/metrics` listener (loopback by
//! default, the same `Host` allowlist as the WebSocket listener) in Prometheus' text format.
//! Counters are atomics bumped where things happen (accept, authentication, the byte-counting
//! stream); rendering reads them, so a scrape never waits on a connection.

use crate::web::host::HostPolicy;
use crate::web::server::HttpServer;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// Serve `/metrics` (off by default).
    #[serde(default)]
    pub enable: bool,
    /// Addresses of the HTTP listener (default loopback only).
    #[serde(default = "default_listen")]
    pub listen: Vec<String>,
    /// Names besides loopback and the bound address that requests may use (`Host`).
    #[serde(default)]
    pub allow_hosts: Vec<String>,
}

fn default_listen() -> Vec<String> {
    vec!["127.0.0.1:9100".into()]
}

impl MetricsSection {
    /// Checks the section at start.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.enable && self.listen.is_empty() {
            anyhow::bail!("[metrics] listen: no address");
        }
        crate::web::host::check_list(&self.allow_hosts)
    }
}

/// Authentication methods counted apart (anything else is `other`).
const METHODS: [&str; 6] = [
    "password",
    "publickey",
    "keyboard-interactive",
    "certificate",
    "none",
    "other",
];

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    connections_total: AtomicU64,
    connections_open: AtomicI64,
    sessions_open: AtomicI64,
    /// Per [`METHODS`] entry: successes, failures.
    logins: [[AtomicU64; 2]; METHODS.len()],
    bytes_received: AtomicU64,
    bytes_sent: AtomicU64,
    startups_refused: AtomicU64,
    penalty_delays: AtomicU64,
}

/// Keeps a gauge up while alive (so an aborted connection task still brings it down).
pub struct GaugeGuard {
    metrics: Arc<Metrics>,
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.metrics
            .connections_open
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// A connection was accepted (past `MaxStartups`); counted open until the guard drops.
    pub fn connection(self: &Arc<Self>) -> GaugeGuard {
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        GaugeGuard {
            metrics: self.clone(),
        }
    }

    /// A login attempt's outcome; `method` as in the audit line.
    pub fn login(&self, method: &str, success: bool, count: u64) {
        let i = METHODS
            .iter()
            .position(|m| *m == method)
            .unwrap_or(METHODS.len() - 1);
        self.logins[i][usize::from(!success)].fetch_add(count, Ordering::Relaxed);
        if success {
            self.sessions_open.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An authenticated connection ended.
    pub fn logged_out(&self) {
        self.sessions_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Bytes read from a client.
    pub fn bytes_received(&self, n: u64) {
        self.bytes_received.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes written to a client.
    pub fn bytes_sent(&self, n: u64) {
        self.bytes_sent.fetch_add(n, Ordering::Relaxed);
    }

    /// A connection refused by `MaxStartups` / `PerSourceMaxStartups`.
    pub fn startup_refused(&self) {
        self.startups_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection held back for its source's earlier failures.
    pub fn penalty_delay(&self) {
        self.penalty_delays.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    #[must_use]
    pub fn render(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut one = |name: &str, kind: &str, help: &str, value: String| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        };
        one(
            "sshgate_connections_total",
            "counter",
            "Connections accepted.",
            get(&self.connections_total).to_string(),
        );
        one(
            "sshgate_connections_open",
            "gauge",
            "Connections open now.",
            self.connections_open.load(Ordering::Relaxed).to_string(),
        );
        one(
            "sshgate_sessions_open",
            "gauge",
            "Authenticated connections open now.",
            self.sessions_open.load(Ordering::Relaxed).to_string(),
        );
        one(
            "sshgate_received_bytes_total",
            "counter",
            "Bytes received from clients.",
            get(&self.bytes_received).to_string(),
        );
        one(
            "sshgate_sent_bytes_total",
            "counter",
            "Bytes sent to clients.",
            get(&self.bytes_sent).to_string(),
        );
        one(
            "sshgate_startups_refused_total",
            "counter",
            "Connections refused by MaxStartups or PerSourceMaxStartups.",
            get(&self.startups_refused).to_string(),
        );
        one(
            "sshgate_penalty_delays_total",
            "counter",
            "Connections delayed for their source's earlier authentication failures.",
            get(&self.penalty_delays).to_string(),
        );
        out.push_str(
            "# HELP sshgate_logins_total Authentication attempts by method and result.\n\
             # TYPE sshgate_logins_total counter\n",
        );
        for (method, counts) in METHODS.iter().zip(&self.logins) {
            for (result, c) in ["success", "failure"].iter().zip(counts) {
                let _ = writeln!(
                    out,
                    "sshgate_logins_total{{method=\"{method}\",result=\"{result}\"}} {}",
                    get(c)
                );
            }
        }
        out
    }
}

/// Binds `[metrics] listen`; the returned future serves `/metrics` until `shutdown`.
pub async fn bind(
    section: &MetricsSection,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let listeners = crate::web::server::bind(&section.listen).await?;
    let bound: Vec<_> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    let server = HttpServer {
        hosts: HostPolicy::new(&section.allow_hosts, &bound)?,
        listeners,
        tls: None,
        handshake_timeout: std::time::Duration::from_secs(10),
        // Scrapers are few: a handful of connections is plenty.
        max_connections: 16,
        on_refused: None,
    };
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics);
    Ok(server.run(router, shutdown))
}

async fn scrape(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_types_and_labels() {
        let m = Arc::new(Metrics::default());
        let guard = m.connection();
        m.login("password", false, 2);
        m.login("publickey", true, 1);
        m.login("gssapi-with-mic", false, 1);
        m.bytes_received(10);
        let text = m.render();
        assert!(
            text.contains(
                "# TYPE sshgate_connections_total counter\nsshgate_connections_total 1\n"
            )
        );
        assert!(text.contains("sshgate_connections_open 1\n"));
        assert!(text.contains("sshgate_sessions_open 1\n"));
        assert!(text.contains("sshgate_logins_total{method=\"password\",result=\"failure\"} 2\n"));
        assert!(text.contains("sshgate_logins_total{method=\"publickey\",result=\"success\"} 1\n"));
        assert!(text.contains("sshgate_logins_total{method=\"other\",result=\"failure\"} 1\n"));
        assert!(text.contains("sshgate_received_bytes_total 10\n"));
        drop(guard);
        assert!(m.render().contains("sshgate_connections_open 0\n"));
    }
}
