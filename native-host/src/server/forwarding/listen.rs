//! `tcpip-forward` (RFC 4254 §7.1): a listener on the device for the client, whose
//! connections become `forwarded-tcpip` channels. As OpenSSH with `GatewayPorts no`, it binds
//! loopback whatever address the client names (IPv6 loopback when it names `::1`, otherwise
//! 127.0.0.1), so a forward never opens a port to the network.

use super::FwdMsg;
use crate::app_msg::AppMsg;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A listener's accept loop; aborted when dropped (cancelled, or the connection ended).
pub struct Listening {
    /// The address as the client wrote it (for `forwarded-tcpip` and the cancel).
    pub address: String,
    /// The port bound (the chosen one for a request of port 0).
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The loopback address a request for `address` binds.
fn bind_ip(address: &str) -> IpAddr {
    let bare = address
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(address);
    if bare == "::1" {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
}

/// Binds for a request of `address:port` and starts accepting; connections are reported on
/// `app` as [`FwdMsg::Accepted`] with `id`.
pub fn bind(
    id: u64,
    address: &str,
    port: u16,
    app: &mpsc::Sender<AppMsg>,
) -> std::io::Result<Listening> {
    // Bound here, in the connection task, so the answer (with the chosen port) goes out in
    // the order of the requests; binding a loopback address does not block.
    let std_listener = std::net::TcpListener::bind(SocketAddr::new(bind_ip(address), port))?;
    std_listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    let bound = listener.local_addr()?.port();
    let app = app.clone();
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, from)) => {
                    let msg = FwdMsg::Accepted {
                        listener: id,
                        stream,
                        from,
                    };
                    // Waits while the connection task is busy: accepting slows down with it.
                    if app.send(AppMsg::Forward(Box::new(msg))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    // Out of descriptors and the like: do not spin.
                    tracing::warn!(error = %e, "forwarded port: accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });
    Ok(Listening {
        address: address.to_string(),
        port: bound,
        task,
    })
}
