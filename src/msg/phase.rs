//! The phase table: which message numbers may arrive in which phase, for each role.
//!
//! Every incoming packet is checked here before any handler sees it (the check that stops the
//! libssh CVE-2018-10933 class of bug, where a client skipped authentication by sending
//! USERAUTH_SUCCESS to a server). A message outside its phases is a protocol error.

use super::numbers::*;
use crate::Role;

/// Where a connection is, as far as the next incoming message is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No key exchange has finished and the peer's first KEXINIT has not arrived.
    FirstKexInit,
    /// Key exchange: waiting for the peer's method message (`expected` is its number).
    KexMethod {
        /// The one method message number the current step accepts.
        expected: u8,
    },
    /// Key exchange: waiting for the peer's NEWKEYS.
    KexNewKeys,
    /// Keys are in place; no service has started (server awaits SERVICE_REQUEST, client SERVICE_ACCEPT).
    Transport,
    /// The `ssh-userauth` service is running.
    UserAuth,
    /// Authenticated: the connection protocol runs.
    Connection,
}

impl Phase {
    /// Whether a key exchange is under way on the peer's side (it sent KEXINIT, not yet NEWKEYS).
    #[must_use]
    pub fn in_kex(self) -> bool {
        matches!(
            self,
            Phase::FirstKexInit | Phase::KexMethod { .. } | Phase::KexNewKeys
        )
    }
}

const FIRST: u16 = 1 << 0;
const KEXM: u16 = 1 << 1;
const NEWK: u16 = 1 << 2;
const TRAN: u16 = 1 << 3;
const AUTH: u16 = 1 << 4;
const CONN: u16 = 1 << 5;
const KEX_ANY: u16 = FIRST | KEXM | NEWK;
const UP: u16 = TRAN | AUTH | CONN;
const ALL: u16 = KEX_ANY | UP;

fn bit(p: Phase) -> u16 {
    match p {
        Phase::FirstKexInit => FIRST,
        Phase::KexMethod { .. } => KEXM,
        Phase::KexNewKeys => NEWK,
        Phase::Transport => TRAN,
        Phase::UserAuth => AUTH,
        Phase::Connection => CONN,
    }
}

/// One row: message numbers `lo..=hi`, a name, and the phases in which a client and a server may
/// receive them. `strict` rows are the only ones admitted during a strict initial key exchange
/// (kex-strict-*-v00@openssh.com).
struct Row {
    lo: u8,
    hi: u8,
    name: &'static str,
    client: u16,
    server: u16,
    strict: bool,
}

const fn row(lo: u8, hi: u8, name: &'static str, client: u16, server: u16, strict: bool) -> Row {
    Row {
        lo,
        hi,
        name,
        client,
        server,
        strict,
    }
}

#[rustfmt::skip]
static TABLE: &[Row] = &[
    // RFC 4253 §11: DISCONNECT, IGNORE, UNIMPLEMENTED and DEBUG may arrive at any time; strict
    // kex only keeps DISCONNECT during the initial exchange.
    row(DISCONNECT, DISCONNECT, "DISCONNECT", ALL, ALL, true),
    row(IGNORE, IGNORE, "IGNORE", ALL, ALL, false),
    row(UNIMPLEMENTED, UNIMPLEMENTED, "UNIMPLEMENTED", ALL, ALL, false),
    row(DEBUG, DEBUG, "DEBUG", ALL, ALL, false),
    // RFC 4253 §10: only a client asks for a service, only a server accepts one. A server keeps
    // refusing a second request once a service runs.
    row(SERVICE_REQUEST, SERVICE_REQUEST, "SERVICE_REQUEST", 0, TRAN, false),
    row(SERVICE_ACCEPT, SERVICE_ACCEPT, "SERVICE_ACCEPT", TRAN, 0, false),
    // RFC 8308 §2.4: EXT_INFO right after NEWKEYS (and, from a server, before USERAUTH_SUCCESS).
    row(EXT_INFO, EXT_INFO, "EXT_INFO", TRAN | AUTH, TRAN | AUTH, false),
    // RFC 4253 §7.1: KEXINIT starts the first exchange or a re-exchange from any later phase,
    // but never a second one inside an exchange.
    row(KEXINIT, KEXINIT, "KEXINIT", FIRST | UP, FIRST | UP, true),
    row(NEWKEYS, NEWKEYS, "NEWKEYS", NEWK, NEWK, true),
    // Method messages: the exact number is checked against the step below.
    row(30, 49, "KEX method message", KEXM, KEXM, true),
    // RFC 4252: user authentication. Requests go to the server, answers to the client.
    row(USERAUTH_REQUEST, USERAUTH_REQUEST, "USERAUTH_REQUEST", 0, AUTH, false),
    row(USERAUTH_FAILURE, USERAUTH_BANNER, "USERAUTH reply", AUTH, 0, false),
    row(USERAUTH_60, USERAUTH_60, "USERAUTH method reply", AUTH, 0, false),
    row(USERAUTH_61, USERAUTH_61, "USERAUTH method response", 0, AUTH, false),
    row(62, 79, "USERAUTH method message", AUTH, AUTH, false),
    // RFC 4254: the connection protocol, only once authenticated. 101..=127 are reserved for
    // it but unassigned: they get SSH_MSG_UNIMPLEMENTED like any unknown number.
    row(GLOBAL_REQUEST, REQUEST_FAILURE, "global request message", CONN, CONN, false),
    row(CHANNEL_OPEN, CHANNEL_FAILURE, "channel message", CONN, CONN, false),
    // OpenSSH ping@openssh.com: after the first key exchange.
    row(PING, PONG, "PING/PONG", UP, UP, false),
];

fn find(msg: u8) -> Option<&'static Row> {
    TABLE.iter().find(|r| (r.lo..=r.hi).contains(&msg))
}

/// A printable name for `msg`, for errors and logs.
#[must_use]
pub fn message_name(msg: u8) -> &'static str {
    find(msg).map_or("unknown message", |r| r.name)
}

/// What to do with an incoming message number before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Hand it to its handler.
    Admit,
    /// Not a message we know at all: RFC 4253 §11.4 asks for SSH_MSG_UNIMPLEMENTED.
    Unrecognized,
    /// A known message in a phase where it may not arrive: protocol error, disconnect.
    Refuse,
}

/// Checks `msg` arriving at a `role` endpoint in `phase`. `strict_first_kex` is true while a strict
/// initial key exchange runs.
#[must_use]
pub fn admits(role: Role, phase: Phase, strict_first_kex: bool, msg: u8) -> Admission {
    let Some(r) = find(msg) else {
        // Unknown numbers during key exchange are errors (strict kex demands it; without strict
        // kex they are still not a method message we can act on).
        return if phase.in_kex() && strict_first_kex {
            Admission::Refuse
        } else {
            Admission::Unrecognized
        };
    };
    let phases = match role {
        Role::Client => r.client,
        Role::Server => r.server,
    };
    if phases & bit(phase) == 0 {
        return Admission::Refuse;
    }
    if strict_first_kex && !r.strict {
        return Admission::Refuse;
    }
    if let Phase::KexMethod { expected } = phase
        && (30..=49).contains(&msg)
        && msg != expected
    {
        return Admission::Refuse;
    }
    Admission::Admit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_cannot_skip_authentication() {
        // CVE-2018-10933: USERAUTH_SUCCESS sent to a server.
        for p in [Phase::Transport, Phase::UserAuth, Phase::Connection] {
            assert_eq!(
                admits(Role::Server, p, false, USERAUTH_SUCCESS),
                Admission::Refuse
            );
        }
        assert_eq!(
            admits(Role::Server, Phase::UserAuth, false, CHANNEL_OPEN),
            Admission::Refuse
        );
        assert_eq!(
            admits(Role::Server, Phase::Connection, false, CHANNEL_OPEN),
            Admission::Admit
        );
    }

    #[test]
    fn kex_steps_take_only_their_message() {
        let p = Phase::KexMethod {
            expected: KEX_REPLY_31,
        };
        assert_eq!(
            admits(Role::Client, p, false, KEX_REPLY_31),
            Admission::Admit
        );
        assert_eq!(
            admits(Role::Client, p, false, KEX_DH_GEX_REPLY),
            Admission::Refuse
        );
        assert_eq!(
            admits(Role::Client, p, false, SERVICE_ACCEPT),
            Admission::Refuse
        );
        assert_eq!(admits(Role::Client, p, false, KEXINIT), Admission::Refuse);
        assert_eq!(admits(Role::Client, p, false, IGNORE), Admission::Admit);
        assert_eq!(
            admits(Role::Client, Phase::Transport, false, NEWKEYS),
            Admission::Refuse
        );
    }

    #[test]
    fn strict_initial_kex_refuses_ignore_and_unknown() {
        let p = Phase::FirstKexInit;
        assert_eq!(admits(Role::Server, p, true, IGNORE), Admission::Refuse);
        assert_eq!(admits(Role::Server, p, true, DEBUG), Admission::Refuse);
        assert_eq!(admits(Role::Server, p, true, 250), Admission::Refuse);
        assert_eq!(admits(Role::Server, p, true, KEXINIT), Admission::Admit);
        assert_eq!(admits(Role::Server, p, false, IGNORE), Admission::Admit);
        assert_eq!(admits(Role::Server, p, false, 250), Admission::Unrecognized);
    }

    #[test]
    fn services_flow_one_way() {
        assert_eq!(
            admits(Role::Client, Phase::Transport, false, SERVICE_REQUEST),
            Admission::Refuse
        );
        assert_eq!(
            admits(Role::Server, Phase::Transport, false, SERVICE_ACCEPT),
            Admission::Refuse
        );
        assert_eq!(
            admits(Role::Server, Phase::UserAuth, false, SERVICE_REQUEST),
            Admission::Refuse
        );
    }
}
