//! Local listeners for `-L` and `-D`: bound as OpenSSH binds them (loopback unless a bind
//! address or `GatewayPorts` says otherwise), each accepted socket handed to the connection
//! task as a [`ForwardMsg::Connection`] (for `-D` after its SOCKS request).

use super::spec::Target;
use super::{ForwardMsg, Pending, socks};
use crate::app_msg::AppMsg;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What a listener does with a connection.
#[derive(Debug, Clone)]
pub enum Accept {
    /// `-L`: forward it to this target.
    Forward(Target),
    /// `-D`: read its SOCKS request first.
    Socks,
}

/// How long a SOCKS client may take to say where it wants to go.
const SOCKS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// After a failed accept (out of descriptors), wait this long before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The addresses to listen on, as OpenSSH's `channel_fwd_bind_addr` for a client: none means
/// loopback (every interface with `GatewayPorts`), empty or `*` every interface, `localhost`
/// loopback, anything else that address.
fn bind_hosts(bind: Option<&str>, gateway_ports: bool) -> Vec<&str> {
    const ANY: [&str; 2] = ["::", "0.0.0.0"];
    const LOOPBACK: [&str; 2] = ["127.0.0.1", "::1"];
    match bind {
        None if gateway_ports => ANY.to_vec(),
        None | Some("localhost") => LOOPBACK.to_vec(),
        Some("" | "*") => ANY.to_vec(),
        Some(a) => vec![a],
    }
}

/// Binds the listeners for one forward: every address of the bind host, on `port` (0: one
/// chosen for the first, used for the rest). Succeeds if any address could be bound (IPv6
/// missing, or `::` already covering IPv4, is not an error), as OpenSSH.
pub fn listen(
    bind: Option<&str>,
    port: u16,
    gateway_ports: bool,
) -> std::io::Result<Vec<TcpListener>> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    let mut last_err = None;
    for host in bind_hosts(bind, gateway_ports) {
        match (host, port).to_socket_addrs() {
            Ok(a) => addrs.extend(a),
            Err(e) => last_err = Some(e),
        }
    }
    let mut out = Vec::new();
    let mut port = port;
    for mut addr in addrs {
        addr.set_port(port);
        match std::net::TcpListener::bind(addr).and_then(|l| {
            l.set_nonblocking(true)?;
            let bound = l.local_addr()?.port();
            Ok((TcpListener::from_std(l)?, bound))
        }) {
            Ok((l, bound)) => {
                port = bound;
                out.push(l);
            }
            Err(e) => last_err = Some(e),
        }
    }
    if out.is_empty() {
        return Err(last_err.unwrap_or_else(|| std::io::Error::other("no address to bind")));
    }
    Ok(out)
}

/// Accepts connections on `listener` until aborted.
pub fn spawn_accept(
    listener: TcpListener,
    accept: Accept,
    app: mpsc::Sender<AppMsg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (sock, peer) = match listener.accept().await {
                Ok(s) => s,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let _ = sock.set_nodelay(true);
            let originator = (peer.ip().to_string(), u32::from(peer.port()));
            match &accept {
                Accept::Forward(target) => {
                    let p = Pending {
                        stream: Box::new(sock),
                        target: target.clone(),
                        originator,
                        socks: None,
                    };
                    if app
                        .send(AppMsg::ClientForward(ForwardMsg::Connection(p)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Accept::Socks => {
                    let app = app.clone();
                    tokio::spawn(async move {
                        let mut sock = sock;
                        let req = tokio::time::timeout(
                            SOCKS_HANDSHAKE_TIMEOUT,
                            socks::handshake(&mut sock),
                        )
                        .await;
                        let Ok(Ok(req)) = req else {
                            return;
                        };
                        let p = Pending {
                            stream: Box::new(sock),
                            target: Target {
                                host: req.host,
                                port: req.port,
                            },
                            originator,
                            socks: Some(req.version),
                        };
                        let _ = app
                            .send(AppMsg::ClientForward(ForwardMsg::Connection(p)))
                            .await;
                    });
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses_as_openssh() {
        assert_eq!(bind_hosts(None, false), ["127.0.0.1", "::1"]);
        assert_eq!(bind_hosts(None, true), ["::", "0.0.0.0"]);
        assert_eq!(bind_hosts(Some("localhost"), true), ["127.0.0.1", "::1"]);
        assert_eq!(bind_hosts(Some("*"), false), ["::", "0.0.0.0"]);
        assert_eq!(bind_hosts(Some(""), false), ["::", "0.0.0.0"]);
        assert_eq!(bind_hosts(Some("10.1.2.3"), false), ["10.1.2.3"]);
    }
}
