//! `-R`: the `tcpip-forward` requests we send, the server's answers (in order, RFC 4254 §4),
//! and which `forwarded-tcpip` opens they allow. A channel the server opens for a port we did
//! not ask for (or whose request failed) is refused, as OpenSSH does.

use super::spec::{PortForward, Target};
use sshgate::Connection;
use sshgate::channel::GlobalRequest;
use std::collections::VecDeque;

/// One `-R` forward.
struct Granted {
    spec: PortForward,
    /// The address sent in the request.
    address: String,
    /// The port the server listens on (the one asked for, or the one it chose for 0).
    port: u32,
    /// The server said yes.
    active: bool,
}

/// The `-R` forwards of one connection.
#[derive(Default)]
pub struct Remote {
    forwards: Vec<Granted>,
    /// Indexes of requests not yet answered, oldest first.
    waiting: VecDeque<usize>,
}

/// The address sent for a bind address, as OpenSSH's `channel_rfwd_bind_host`: none means
/// `localhost` (the server's loopback), empty or `*` every interface.
fn bind_host(bind: Option<&str>) -> String {
    match bind {
        None => "localhost".into(),
        Some("" | "*") => String::new(),
        Some(a) => a.into(),
    }
}

impl Remote {
    /// Sends `tcpip-forward` for `spec`.
    pub fn request(&mut self, conn: &mut Connection, spec: PortForward) {
        let address = bind_host(spec.bind.as_deref());
        let port = u32::from(spec.port);
        let req = GlobalRequest::TcpipForward {
            address: address.clone(),
            port,
        };
        if conn.global_request(&req).is_ok() {
            self.waiting.push_back(self.forwards.len());
            self.forwards.push(Granted {
                spec,
                address,
                port,
                active: false,
            });
        }
    }

    /// The server answered the oldest request; false if it refused it.
    pub fn answered(
        &mut self,
        success: bool,
        bound_port: Option<u32>,
        quiet: bool,
        exit_on_failure: bool,
    ) -> bool {
        let Some(i) = self.waiting.pop_front() else {
            return true;
        };
        let g = &mut self.forwards[i];
        if !success {
            if exit_on_failure {
                eprintln!(
                    "Error: remote port forwarding failed for listen port {}",
                    g.spec.port
                );
            } else if !quiet {
                eprintln!(
                    "Warning: remote port forwarding failed for listen port {}",
                    g.spec.port
                );
            }
            return false;
        }
        g.active = true;
        if g.spec.port == 0 {
            match bound_port {
                Some(p) if p > 0 && p <= u32::from(u16::MAX) => {
                    g.port = p;
                    if !quiet {
                        eprintln!(
                            "Allocated port {p} for remote forward to {}:{}",
                            g.spec.target.host, g.spec.target.port
                        );
                    }
                }
                _ => {
                    // A port we cannot match connections to: as good as refused.
                    g.active = false;
                    eprintln!(
                        "Warning: remote port forwarding failed for listen port {}",
                        g.spec.port
                    );
                    return false;
                }
            }
        }
        true
    }

    /// Where a `forwarded-tcpip` connection to `address:port` goes: a granted forward on that
    /// port, the one with the same address first (as OpenSSH matches listen port and host).
    #[must_use]
    pub fn target_for(&self, address: &str, port: u32) -> Option<Target> {
        let all: Vec<&Granted> = self
            .forwards
            .iter()
            .filter(|g| g.active && g.port == port)
            .collect();
        all.iter()
            .find(|g| g.address == address)
            .or_else(|| all.first())
            .map(|g| g.spec.target.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_hosts() {
        assert_eq!(bind_host(None), "localhost");
        assert_eq!(bind_host(Some("*")), "");
        assert_eq!(bind_host(Some("")), "");
        assert_eq!(bind_host(Some("10.0.0.1")), "10.0.0.1");
    }
}
