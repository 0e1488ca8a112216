//! One audit line per connection when it ends, on the target `sshgate::audit` (so a filter such
//! as `RUST_LOG=info,sshgate::audit=info` or a log router can pick it out): who, from where,
//! how they logged in, bytes both ways, how long, and how it ended. The same facts go to the
//! SNMP trap (IOS `snmp-server host ... tty`) for connections that logged in.

use super::counted::ByteCounts;
use super::session::ServeContext;
use super::snmp_trap::SessionClosed;
use crate::driver::Ending;
use sshgate::Fault;
use sshgate::msg::reason;
use std::net::SocketAddr;
use std::time::Duration;

/// Everything known about a connection that ended.
pub struct ConnectionEnd<'a> {
    /// IOS's connection number (`show ssh`), the tty line of the trap.
    pub number: u32,
    /// The user (the one asked for, if authentication never succeeded).
    pub user: Option<&'a str>,
    /// The last authentication method tried (the one that succeeded, once logged in).
    pub method: Option<&'static str>,
    /// Whether the user logged in.
    pub authenticated: bool,
    /// The OpenSSH certificate that logged in (key id, serial, CA), as sshd names it.
    pub certificate: Option<&'a str>,
    /// Failed authentication attempts.
    pub auth_failures: u32,
    /// The client.
    pub peer: SocketAddr,
    /// Serve's end.
    pub local: Option<SocketAddr>,
    /// Bytes both ways.
    pub bytes: &'a ByteCounts,
    /// From accept to end.
    pub elapsed: Duration,
    /// How the driver saw it end.
    pub ending: &'a Ending,
}

/// How a connection ended, in one word, and the detail.
#[must_use]
pub fn how(end: &ConnectionEnd<'_>) -> (&'static str, String) {
    let failed_login = !end.authenticated && end.auth_failures > 0;
    match end.ending {
        Ending::Engine(e) => {
            let detail = format!("{} (reason {})", e.description, e.reason);
            let word = match e.fault {
                // A policy end or the peer giving up after failed attempts: the login failed.
                Fault::Policy | Fault::PeerDisconnected if failed_login => "auth-failure",
                // The authentication time-out is the one policy end with a deadline.
                Fault::Policy if e.description.contains("Timeout") => "timeout",
                Fault::PeerDisconnected
                    if end.authenticated && e.reason == reason::BY_APPLICATION =>
                {
                    "normal"
                }
                Fault::PeerDisconnected => "peer-disconnect",
                Fault::Peer => "protocol-error",
                Fault::Policy => "policy",
                _ => "closed-by-server",
            };
            (word, detail)
        }
        Ending::PeerClosed if failed_login => ("auth-failure", end.ending.to_string()),
        Ending::PeerClosed => ("peer-closed", end.ending.to_string()),
        Ending::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            ("timeout", end.ending.to_string())
        }
        Ending::Io(_) => ("error", end.ending.to_string()),
        Ending::Shutdown => ("shutdown", end.ending.to_string()),
    }
}

/// Logs the audit line and sends the trap of a logged-in session.
pub fn connection_ended(ctx: &ServeContext, end: &ConnectionEnd<'_>) {
    let (ended, detail) = how(end);
    let user = end.user.map_or_else(String::new, super::auth::log_text);
    let local = end.local.map_or_else(String::new, |a| a.to_string());
    tracing::info!(
        target: "sshgate::audit",
        line = end.number,
        %user,
        peer = %end.peer,
        %local,
        method = end.method.unwrap_or("none"),
        authenticated = end.authenticated,
        certificate = end.certificate.unwrap_or_default(),
        auth_failures = end.auth_failures,
        bytes_in = end.bytes.received(),
        bytes_out = end.bytes.sent(),
        duration_ms = u64::try_from(end.elapsed.as_millis()).unwrap_or(u64::MAX),
        ended,
        detail = %super::auth::log_text(&detail),
        "session ended"
    );
    if let (Some(traps), true) = (&ctx.traps, end.authenticated) {
        traps.session_closed(&SessionClosed {
            line: end.number,
            user: end.user.unwrap_or_default(),
            peer: end.peer,
            local: end.local,
            bytes_in: end.bytes.received(),
            bytes_out: end.bytes.sent(),
            elapsed: end.elapsed,
            peer_closed: matches!(end.ending, Ending::PeerClosed)
                || matches!(end.ending, Ending::Engine(e) if e.fault == Fault::PeerDisconnected),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end<'a>(
        ending: &'a Ending,
        bytes: &'a ByteCounts,
        authenticated: bool,
    ) -> ConnectionEnd<'a> {
        ConnectionEnd {
            number: 0,
            user: Some("lab"),
            method: Some("password"),
            authenticated,
            certificate: None,
            auth_failures: u32::from(!authenticated),
            peer: "127.0.0.1:5000".parse().unwrap(),
            local: None,
            bytes,
            elapsed: Duration::from_secs(1),
            ending,
        }
    }

    #[test]
    fn endings_are_named() {
        let b = ByteCounts::default();
        let mut e = sshgate::Error::peer(reason::BY_APPLICATION, "disconnected by user");
        e.fault = Fault::PeerDisconnected;
        let bye = Ending::Engine(e);
        assert_eq!(how(&end(&bye, &b, true)).0, "normal");
        assert_eq!(how(&end(&bye, &b, false)).0, "auth-failure");
        assert_eq!(how(&end(&Ending::PeerClosed, &b, true)).0, "peer-closed");
        let stalled = Ending::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "x"));
        assert_eq!(how(&end(&stalled, &b, true)).0, "timeout");
        assert_eq!(how(&end(&Ending::Shutdown, &b, true)).0, "shutdown");
    }
}
