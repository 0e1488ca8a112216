//! The bridge's counters, rendered at `GET /metrics` in the Prometheus text format (0.0.4).
//! Every label value is known in advance, so each series exists (at 0) from the start and a
//! client cannot create new ones.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why a connection was refused before any connection to a target.
pub const REFUSALS: [&str; 12] = [
    "host",
    "unknown_target",
    "origin",
    "token",
    "source_limit",
    "total_limit",
    "not_websocket",
    "message_too_big",
    "text_message",
    "tls_handshake",
    "handshake_timeout",
    "connection_limit",
];

/// How a session ended (see `pump::Ending`).
pub const ENDINGS: [&str; 12] = [
    "client_closed",
    "target_closed",
    "idle_timeout",
    "message_too_big",
    "text_message",
    "connect_failed",
    "client_error",
    "target_error",
    "shutdown",
    "client_left_early",
    "resume_expired",
    "resume_refused",
];

/// Session duration histogram bounds, seconds: from a failed login to a working day.
const BUCKETS: [f64; 10] = [
    0.1, 1.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0,
];

/// All counters.
#[derive(Debug, Default)]
pub struct Metrics {
    sessions: AtomicU64,
    active: AtomicU64,
    refused: [AtomicU64; REFUSALS.len()],
    ended: [AtomicU64; ENDINGS.len()],
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_micros: AtomicU64,
}

fn index(list: &[&str], label: &str) -> usize {
    list.iter()
        .position(|l| *l == label)
        .unwrap_or_else(|| panic!("metrics label {label:?} is not in the fixed list"))
}

impl Metrics {
    /// A refusal, by its label in [`REFUSALS`].
    pub fn refused(&self, reason: &'static str) {
        self.refused[index(&REFUSALS, reason)].fetch_add(1, Ordering::Relaxed);
    }
    /// A session upgraded.
    pub fn session_started(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
    }
    /// A session ended, by its label in [`ENDINGS`], after `d`.
    pub fn session_ended(&self, how: &'static str, d: Duration) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        self.ended[index(&ENDINGS, how)].fetch_add(1, Ordering::Relaxed);
        let secs = d.as_secs_f64();
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.duration_micros.fetch_add(micros, Ordering::Relaxed);
    }
    /// Bytes from the client to the target.
    pub fn add_up(&self, n: usize) {
        self.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
    }
    /// Bytes from the target to the client.
    pub fn add_down(&self, n: usize) {
        self.bytes_down.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut o = String::new();
        let n = "sshgate_bridge_connections_total";
        family(&mut o, n, "counter", "WebSocket sessions accepted.");
        let _ = writeln!(o, "{n} {}", get(&self.sessions));
        let n = "sshgate_bridge_connections_active";
        family(&mut o, n, "gauge", "WebSocket sessions open now.");
        let _ = writeln!(o, "{n} {}", get(&self.active));
        let n = "sshgate_bridge_connections_refused_total";
        let help = "Connections refused before any connection to a target, by reason.";
        family(&mut o, n, "counter", help);
        for (label, v) in REFUSALS.iter().zip(&self.refused) {
            let _ = writeln!(o, "{n}{{reason=\"{label}\"}} {}", get(v));
        }
        let n = "sshgate_bridge_sessions_ended_total";
        family(&mut o, n, "counter", "Sessions ended, by how.");
        for (label, v) in ENDINGS.iter().zip(&self.ended) {
            let _ = writeln!(o, "{n}{{how=\"{label}\"}} {}", get(v));
        }
        let n = "sshgate_bridge_bytes_total";
        family(&mut o, n, "counter", "Bytes carried, by direction.");
        for (dir, v) in [
            ("client_to_target", &self.bytes_up),
            ("target_to_client", &self.bytes_down),
        ] {
            let _ = writeln!(o, "{n}{{direction=\"{dir}\"}} {}", get(v));
        }
        let n = "sshgate_bridge_session_duration_seconds";
        family(&mut o, n, "histogram", "Session durations.");
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(o, "{n}_bucket{{le=\"{bound}\"}} {}", get(b));
        }
        let count = get(&self.duration_count);
        let _ = writeln!(o, "{n}_bucket{{le=\"+Inf\"}} {count}");
        let sum = get(&self.duration_micros) as f64 / 1e6;
        let _ = writeln!(o, "{n}_sum {sum}\n{n}_count {count}");
        o
    }
}

/// A metric family's HELP and TYPE lines.
fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        m.refused("origin");
        m.refused("origin");
        m.session_started();
        m.add_up(10);
        m.add_down(2000);
        m.session_started();
        m.session_ended("target_closed", Duration::from_millis(1500));
        let t = m.render();
        for line in [
            "sshgate_bridge_connections_total 2",
            "sshgate_bridge_connections_active 1",
            "sshgate_bridge_connections_refused_total{reason=\"origin\"} 2",
            "sshgate_bridge_connections_refused_total{reason=\"token\"} 0",
            "sshgate_bridge_sessions_ended_total{how=\"target_closed\"} 1",
            "sshgate_bridge_bytes_total{direction=\"client_to_target\"} 10",
            "sshgate_bridge_bytes_total{direction=\"target_to_client\"} 2000",
            "sshgate_bridge_session_duration_seconds_bucket{le=\"1\"} 0",
            "sshgate_bridge_session_duration_seconds_bucket{le=\"10\"} 1",
            "sshgate_bridge_session_duration_seconds_bucket{le=\"+Inf\"} 1",
            "sshgate_bridge_session_duration_seconds_sum 1.5",
            "sshgate_bridge_session_duration_seconds_count 1",
            "# TYPE sshgate_bridge_session_duration_seconds histogram",
        ] {
            assert!(t.lines().any(|l| l == line), "missing {line:?} in\n{t}");
        }
    }

    #[test]
    #[should_panic(expected = "not in the fixed list")]
    fn unknown_label() {
        Metrics::default().refused("made_up");
    }
}
