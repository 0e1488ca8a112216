//! The WebSocket side of the host, shared by `bridge`, `serve` (its WebSocket listener) and
//! `demo`: settings and limits (`settings`), the HTTP(S) front (`server`, `tls`), who may
//! connect (`host`: the names a request may use, against DNS rebinding; `gate`: Origin
//! allowlist and bearer token; `limits`: open sessions in all and per source), static files (`files`), and the WebSocket as a byte stream for the engine driver
//! (`ws_io`). `device_ws` is `serve`'s route: SSH over a WebSocket into the device server.

pub mod device_ws;
pub mod files;
pub mod gate;
pub mod host;
pub mod limits;
pub mod server;
pub mod settings;
pub mod tls;
pub mod ws_io;

use settings::WebSettings;

/// The TLS acceptor the settings ask for, if any.
pub fn acceptor(s: &WebSettings) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(tls::acceptor(cert, key, s.client_ca.as_deref())?)),
        _ => Ok(None),
    }
}

/// The origin/token gate the settings ask for.
#[must_use]
pub fn gate(s: &WebSettings) -> gate::Gate {
    gate::Gate::new(
        gate::OriginPolicy::from_list(&s.allow_origins),
        s.token.as_deref(),
    )
}

/// The `Host` policy for the settings on these bound listeners.
pub fn host_policy(
    s: &WebSettings,
    listeners: &[tokio::net::TcpListener],
) -> anyhow::Result<host::HostPolicy> {
    let bound: Vec<std::net::SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    host::HostPolicy::new(&s.allow_hosts, &bound)
}
