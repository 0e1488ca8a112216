//! Reading the negotiated algorithms off OpenSSH-style debug output (`ssh -vv`, sshd's DEBUG3 log,
//! `sshgate-host ssh -v`) and collecting per-algorithm failures.

use super::algorithms::Expect;

/// First whitespace-delimited token after `marker`, for every line containing it.
pub fn values_after(text: &str, marker: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find(marker).map(|i| &l[i + marker.len()..]))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// `(cipher, mac)` from every `debug1: kex: <dir> cipher: C MAC: M compression: ...` line.
pub fn cipher_lines(text: &str, dir: &str) -> Vec<(String, String)> {
    let marker = format!("debug1: kex: {dir} cipher: ");
    text.lines()
        .filter_map(|l| l.find(&marker).map(|i| &l[i + marker.len()..]))
        .map(|rest| {
            let cipher = rest.split_whitespace().next().unwrap_or("").to_string();
            let mac = values_after(rest, " MAC: ").pop().unwrap_or_default();
            (cipher, mac)
        })
        .collect()
}

pub const KEX_MARKER: &str = "debug1: kex: algorithm: ";
pub const HOSTKEY_MARKER: &str = "debug1: kex: host key algorithm: ";
pub const SERVICE_ACCEPT_MARKER: &str = "debug1: SSH2_MSG_SERVICE_ACCEPT received";

/// Everything wrong with `text` (OpenSSH-style debug output of one connection) w.r.t. `e`.
pub fn negotiation_problems(text: &str, e: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    let mut one = |what: &str, marker: &str, want: &Option<String>| {
        if let Some(want) = want {
            let got = values_after(text, marker);
            if got.is_empty() {
                problems.push(format!("no `{marker}{want}` line"));
            } else if got.iter().any(|g| g != want) {
                problems.push(format!("{what}: expected {want}, log shows {got:?}"));
            }
        }
    };
    one("kex", KEX_MARKER, &e.kex);
    one("host key", HOSTKEY_MARKER, &e.hostkey);
    if e.cipher.is_some() || e.mac.is_some() {
        for dir in ["client->server", "server->client"] {
            let lines = cipher_lines(text, dir);
            if lines.is_empty() {
                problems.push(format!("no `debug1: kex: {dir} cipher: ... MAC: ...` line"));
                continue;
            }
            for (cipher, mac) in lines {
                if let Some(want) = &e.cipher
                    && &cipher != want
                {
                    problems.push(format!("{dir} cipher: expected {want}, log shows {cipher}"));
                }
                if let Some(want) = &e.mac
                    && &mac != want
                {
                    problems.push(format!("{dir} MAC: expected {want}, log shows {mac}"));
                }
            }
        }
    }
    problems
}

/// Collects per-algorithm failures of one category and panics once with all of them.
pub struct Failures {
    what: String,
    total: usize,
    items: Vec<String>,
}

impl Failures {
    pub fn new(what: impl Into<String>, total: usize) -> Self {
        Failures {
            what: what.into(),
            total,
            items: Vec::new(),
        }
    }
    pub fn add(&mut self, alg: &str, report: String) {
        eprintln!("FAIL [{}] {alg}", self.what);
        self.items
            .push(format!("=== [{}] {alg} ===\n{report}", self.what));
    }
    pub fn pass(&self, alg: &str) {
        eprintln!("ok   [{}] {alg}", self.what);
    }
    pub fn finish(self) {
        if !self.items.is_empty() {
            panic!(
                "{}: {} of {} failed\n\n{}",
                self.what,
                self.items.len(),
                self.total,
                self.items.join("\n")
            );
        }
    }
}
