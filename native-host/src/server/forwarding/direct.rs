//! `direct-tcpip` (RFC 4254 §7.2): the connection to the client's destination, made in its own
//! task. The name is resolved once, the addresses outside the allowlist's blocks dropped, and
//! only a checked address is connected to — nothing is resolved again between the check and
//! the connect.

use super::FwdMsg;
use super::permit::AddrFilter;
use crate::app_msg::AppMsg;
use sshgate::channel::{ChannelId, open_failure};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Where to connect, as the client asked.
pub struct Target {
    /// The host as written (a name or an address, IPv6 with or without brackets).
    pub host: String,
    /// The port (checked to fit 16 bits by the caller).
    pub port: u16,
}

/// Resolves, filters and connects within `deadline`, then reports on `app`.
pub fn spawn(
    channel: ChannelId,
    target: Target,
    filter: AddrFilter,
    deadline: Duration,
    app: mpsc::Sender<AppMsg>,
) {
    tokio::spawn(async move {
        let msg = match tokio::time::timeout(deadline, connect(&target, &filter)).await {
            Ok(Ok((stream, to))) => FwdMsg::Connected {
                channel,
                stream,
                to,
            },
            Ok(Err((code, reason))) => FwdMsg::ConnectFailed {
                channel,
                code,
                reason,
            },
            Err(_) => FwdMsg::ConnectFailed {
                channel,
                code: open_failure::CONNECT_FAILED,
                reason: format!("connect timed out after {} s", deadline.as_secs()),
            },
        };
        let _ = app.send(AppMsg::Forward(Box::new(msg))).await;
    });
}

async fn connect(
    t: &Target,
    filter: &AddrFilter,
) -> Result<(TcpStream, SocketAddr), (u32, String)> {
    let bare = t
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&t.host);
    let resolved: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, t.port)],
        Err(_) => tokio::net::lookup_host((bare, t.port))
            .await
            .map_err(|e| {
                (
                    open_failure::CONNECT_FAILED,
                    format!("name not resolved: {e}"),
                )
            })?
            .collect(),
    };
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| filter.admits(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err((
            open_failure::ADMINISTRATIVELY_PROHIBITED,
            "destination address not permitted".into(),
        ));
    }
    let mut last = String::from("no address");
    for addr in allowed {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok((s, addr)),
            Err(e) => last = format!("connect to {addr}: {e}"),
        }
    }
    Err((open_failure::CONNECT_FAILED, last))
}
