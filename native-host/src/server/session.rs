//! The server's per-connection event handler. The engine does the protocol; this logs and
//! answers the engine's questions (user authentication, for now).

use super::auth::on_auth_event;
use super::users::UserEntry;
use crate::driver::{Flow, Handler};
use sshgate::transport::cipher::MacAlg;
use sshgate::{Connection, Event};
use std::net::SocketAddr;
use std::sync::Arc;

/// One accepted connection.
pub struct ServerSession {
    peer: SocketAddr,
    users: Arc<Vec<UserEntry>>,
}

impl ServerSession {
    /// A session for a client at `peer`.
    #[must_use]
    pub fn new(peer: SocketAddr, users: Arc<Vec<UserEntry>>) -> Self {
        ServerSession { peer, users }
    }
}

fn mac_name(m: Option<MacAlg>) -> &'static str {
    m.map_or("<implicit>", MacAlg::name)
}

impl Handler<Connection> for ServerSession {
    fn on_event(&mut self, conn: &mut Connection, event: Event) -> Flow {
        let peer = self.peer;
        match event {
            Event::PeerVersion { version, .. } => {
                tracing::info!(%peer, client_version = %version, "client identified");
            }
            Event::KexComplete {
                algorithms: n,
                initial,
            } => tracing::info!(
                %peer,
                kex = n.kex.name(),
                hostkey = n.host_key.name(),
                cipher_c2s = n.cipher_c2s.name(),
                mac_c2s = mac_name(n.mac_c2s),
                cipher_s2c = n.cipher_s2c.name(),
                mac_s2c = mac_name(n.mac_s2c),
                rekey = !initial,
                "key exchange complete"
            ),
            Event::ServiceStarted(name) => {
                tracing::info!(%peer, service = %name, "service started");
            }
            Event::ExtInfo(exts) => {
                let names: Vec<&str> = exts.iter().map(|(n, _)| n.as_str()).collect();
                tracing::debug!(%peer, extensions = ?names, "client extensions");
            }
            Event::Auth(sshgate::userauth::AuthEvent::Success) => {
                tracing::info!(%peer, "user authenticated");
            }
            Event::Auth(ev) => {
                if let Err(e) = on_auth_event(conn, &self.users, ev) {
                    tracing::warn!(%peer, error = %e, "authentication answer refused");
                }
            }
            Event::Debug { message, .. } => {
                tracing::debug!(%peer, %message, "client debug message");
            }
            _ => {}
        }
        Flow::Continue
    }
}
