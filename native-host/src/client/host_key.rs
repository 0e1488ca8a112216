//! The host key decision, as OpenSSH's `check_host_key` makes and words it (and, first, an
//! RFC 6187 host certificate checked against `--ca-file`): known_hosts lookup, `StrictHostKeyChecking` (`yes`, like IOS `ip ssh stricthostkeycheck`, is the default;
//! `ask`, `accept-new`, `no`), the warning for a changed key, and remembering a key.

use super::known_hosts::{self, Status};
use super::options::{ClientSettings, StrictMode};
use super::peer_text;
use super::prompt::Question;
use crate::keyfile::{public_line_parts, type_label};
use sshgate::HostKeyInfo;

/// What to do with the server's host key.
pub enum Verdict {
    /// Go on.
    Trusted,
    /// Refuse (already explained on stderr).
    Refused,
    /// Ask the person: show `preface`, then `question`; `yes` or the fingerprint trusts it and
    /// adds it to known_hosts ([`remember`]).
    Ask {
        /// The lines before the question.
        preface: Vec<String>,
        /// `Are you sure you want to continue connecting (yes/no/[fingerprint])? `.
        question: Question,
    },
}

fn debug(s: &ClientSettings, msg: &str) {
    if s.verbose > 0 {
        eprintln!("debug1: {msg}");
    }
}

/// Decides on `info` for a connection made with `s`; `can_ask` says whether a person can answer.
#[must_use]
pub fn check(s: &ClientSettings, info: &HostKeyInfo, can_ask: bool) -> Verdict {
    if s.strict == StrictMode::No {
        debug(
            s,
            "Host key checking is disabled (StrictHostKeyChecking=no)",
        );
        return Verdict::Trusted;
    }
    // RFC 6187: a chain that a --ca-file CA signed, for the name typed, is trusted as is; a
    // refused one leaves the leaf key to known_hosts, and says why.
    if let Some(c) = &info.certificate {
        match c.validated() {
            Some(v) => {
                // The names are the certificate's: whoever made it chose them.
                debug(
                    s,
                    &format!(
                        "Server host certificate: {} {} (issuer {}, serial {}) is valid for '{}'",
                        info.algorithm.name(),
                        peer_text::line(&v.identity.subject),
                        peer_text::line(v.chain.last().map_or("", |a| a.subject())),
                        peer_text::line(&v.identity.serial),
                        peer_text::line(&s.host)
                    ),
                );
                return Verdict::Trusted;
            }
            None => {
                // A refusal quotes the names of a certificate nobody vouched for.
                let why = c.refusal().map(ToString::to_string).unwrap_or_default();
                eprintln!(
                    "Server host certificate not accepted: {}",
                    peer_text::line(&why)
                );
            }
        }
    }
    // An OpenSSH host certificate a @cert-authority vouches for (or that is revoked) is decided
    // here; any other falls back to its key as a plain key.
    if let Some(v) = super::openssh_certs::host_verdict(s, info) {
        return v;
    }
    let path = s.known_hosts_path();
    let lookup = s.known_hosts_name();
    let ty = info.key.key_type();
    let blob = info.key.to_blob();
    let label = type_label(ty);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    // The name as shown in messages (it reaches the terminal in warnings and questions).
    let name = peer_text::line(&lookup);
    match known_hosts::check(&text, &lookup, ty, &blob) {
        Status::Known(line) => {
            debug(
                s,
                &format!("Host '{name}' is known and matches the {label} host key."),
            );
            debug(s, &format!("Found key in {}:{line}", path.display()));
            Verdict::Trusted
        }
        Status::Unknown if s.strict == StrictMode::AcceptNew => {
            remember(s, info);
            Verdict::Trusted
        }
        Status::Unknown if s.strict == StrictMode::Ask && can_ask => Verdict::Ask {
            preface: vec![
                format!(
                    "The authenticity of host '{name} ({})' can't be established.",
                    peer_text::line(&s.host)
                ),
                format!("{label} key fingerprint is {}.", info.fingerprint),
                "This key is not known by any other names.".into(),
            ],
            question: Question {
                text: "Are you sure you want to continue connecting (yes/no/[fingerprint])? "
                    .into(),
                echo: true,
            },
        },
        Status::Unknown => {
            eprintln!(
                "No {label} host key is known for {name} and you have requested strict checking."
            );
            Verdict::Refused
        }
        Status::Changed(line) => {
            eprintln!("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
            eprintln!("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
            eprintln!("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
            eprintln!("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!");
            eprintln!("The fingerprint for the {label} key sent by the remote host is");
            eprintln!("{}.", info.fingerprint);
            eprintln!("Offending {label} key in {}:{line}", path.display());
            eprintln!("Host key for {name} has changed and you have requested strict checking.");
            Verdict::Refused
        }
        Status::Revoked(line) => {
            eprintln!(
                "Host key {ty} {} revoked by file {}:{line}",
                info.fingerprint,
                path.display()
            );
            Verdict::Refused
        }
    }
}

/// The question again, after an answer that was neither.
#[must_use]
pub fn retry_question() -> Question {
    Question {
        text: "Please type 'yes', 'no' or the fingerprint: ".into(),
        echo: true,
    }
}

/// Adds the host's key to the known_hosts file, as OpenSSH words it.
pub fn remember(s: &ClientSettings, info: &HostKeyInfo) {
    let path = s.known_hosts_path();
    let name = s.known_hosts_name();
    let ty = info.key.key_type();
    let line = format!("{name} {}", public_line_parts(ty, &info.key.to_blob(), ""));
    match known_hosts::append(&path, &line) {
        Ok(()) => eprintln!(
            "Warning: Permanently added '{}' ({}) to the list of known hosts.",
            peer_text::line(&name),
            type_label(ty)
        ),
        Err(e) => eprintln!(
            "Failed to add the host to the list of known hosts ({}): {e}",
            path.display()
        ),
    }
}
