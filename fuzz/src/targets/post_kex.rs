//! Targets past the first key exchange (session.rs): the input's first byte picks the
//! algorithm suite, the rest is operations (ops.rs, session.rs `tag`) sent as the peer.

use crate::session::{Session, Stage};
use sshgate::Role;

fn session(role: Role, stage: Stage, data: &[u8]) {
    let Some((&suite, rest)) = data.split_first() else {
        return;
    };
    Session::new(role, stage, usize::from(suite)).run(rest);
}

/// A client with keys in place and its SERVICE_REQUEST sent: reaches SERVICE_ACCEPT and
/// EXT_INFO, the client's user authentication (every method it tries as the server's
/// answers lead it: certificates, public key, keyboard-interactive prompts, password and its
/// change), the client's channel layer once the input says USERAUTH_SUCCESS, re-key KEXINITs
/// and the generic messages.
pub fn client_post_kex(data: &[u8]) {
    session(Role::Client, Stage::Kex, data);
}

/// A server with keys in place, asked for nothing yet: reaches SERVICE_REQUEST, the phase
/// table's refusals of early messages, EXT_INFO, re-key KEXINIT and kex messages, PING and the
/// generic messages, and user authentication once the input asks for the service.
pub fn server_post_kex(data: &[u8]) {
    session(Role::Server, Stage::Kex, data);
}

/// A server whose `ssh-userauth` service was accepted: USERAUTH_REQUEST in every method
/// (none, password and its change, publickey queries and signed requests — the `SIGNED`
/// operation makes valid signatures — RFC 6187 certificate chains against the fixtures'
/// trustpoints, keyboard-interactive and INFO_RESPONSE), failures, the failure delay (`TIME`),
/// partial success, the time-out, and the channel layer after a success.
pub fn userauth_server(data: &[u8]) {
    session(Role::Server, Stage::Auth, data);
}

/// An authenticated server with a session channel open: channel opens of every type, channel
/// and global requests with the application's answers, data echoed against small windows,
/// window adjusts, EOF and CLOSE in every order, channel id reuse, and re-key KEXINITs.
pub fn channels_server(data: &[u8]) {
    session(Role::Server, Stage::Channels, data);
}

/// An authenticated client with a session (pty, shell) open and a `tcpip-forward` answered:
/// the server's data, extended data, window adjusts, exit-status / exit-signal, forwarded-tcpip
/// and x11 opens, global requests, answers to requests never sent, EOF and CLOSE.
pub fn channels_client(data: &[u8]) {
    session(Role::Client, Stage::Channels, data);
}
