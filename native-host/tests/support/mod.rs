//! Shared harness for the interop tests against real peers (OpenSSH `ssh`/`sshd`, Python asyncssh).
//!
//! Principles:
//! - A missing peer is a FAILURE, never a skip: [`require_tool`], [`require_openssh_client`],
//!   [`require_sshd`] and [`require_asyncssh`] panic with an install hint.
//! - Everything a test creates lives in its own [`TempDir`] (kept, and its path printed, when the
//!   test panics, so the peer logs can be read afterwards; also kept if `SSHGATE_INTEROP_KEEP=1`).
//! - Every child process is owned by a [`ProcessGuard`] (killed on drop) or run through
//!   [`run_with_timeout`] (killed after [`RUN_TIMEOUT`]), so a hang fails instead of blocking CI.
//! - Ports come from [`free_port`]; servers are restarted on a fresh port if the bind races
//!   ([`start_with_retries`]).
//!
//! The log formats asserted on were read off OpenSSH 9.2p1 (Debian 12) — `ssh -vv` on stderr and
//! `sshd -D -e` with `LogLevel DEBUG3` on stderr — and are identical on both sides except that
//! sshd's pre-auth child appends ` [preauth]`:
//!
//! ```text
//! debug1: kex: algorithm: diffie-hellman-group14-sha1 [preauth]
//! debug1: kex: host key algorithm: ssh-rsa [preauth]
//! debug1: kex: client->server cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
//! debug1: kex: server->client cipher: aes128-cbc MAC: hmac-sha1-96 compression: none [preauth]
//! debug1: KEX done [preauth]
//! debug3: receive packet: type 5 [preauth]       (SERVICE_REQUEST)
//! debug3: send packet: type 6 [preauth]          (SERVICE_ACCEPT)
//! ```
//!
//! (`ssh` prints `server->client` before `client->server`; sshd the other way round. For AEAD
//! ciphers both print `MAC: <implicit>`.) The `ssh` client additionally prints
//! `debug1: SSH2_MSG_SERVICE_ACCEPT received`. `sshgate-host ssh -v` promises the same lines.
//!
//! Layout (everything is re-exported here; tests `use support::*`):
//! - `tools.rs`: peer paths and the `require_*` checks;
//! - `tempdir.rs`: [`TempDir`];
//! - `process.rs`: [`ProcessGuard`], [`run_with_timeout`], ports, the server start-up retry loop;
//! - `logs.rs`: [`LogFile`] (incremental reading and polling), [`tail`], [`read_lossy`];
//! - `algorithms.rs`: our algorithm lists, [`Category`], [`Expect`];
//! - `negotiation.rs`: parsing negotiated algorithms from debug output, [`Failures`];
//! - `openssh.rs`: the OpenSSH matrix, `ssh-keygen`, `ssh` runs and [`Sshd`];
//! - `asyncssh.rs`: the asyncssh peer server and client;
//! - `sshgate.rs`: our `sshgate-host serve` / `sshgate-host ssh`;
//! - `device.rs`: serve with `[[users]]` (device CLI or a program) and the client lines that log in;
//! - `engine_client.rs`: [`EngineClient`], a blocking client on the engine for misbehaving on
//!   purpose (stay after a failed password, never read);
//! - `tmux.rs`: [`Tmux`], a real terminal on a private tmux socket;
//! - `account.rs`: [`test_account`], a local user with a password for sshd's password logins;
//! - `x509.rs`: the X.509 test PKI, certificate `serve` configs and the asyncssh X.509 peer.
// Each test crate uses a different subset (of the items, and so of the re-exports).
#![allow(dead_code, unused_imports)]

mod account;
mod algorithms;
mod asyncssh;
mod device;
mod engine_client;
mod logs;
mod negotiation;
mod openssh;
mod process;
mod sshgate;
mod tempdir;
mod tmux;
mod tools;
mod x509;

pub use account::*;
pub use algorithms::*;
pub use asyncssh::*;
pub use device::*;
pub use engine_client::*;
pub use logs::*;
pub use negotiation::*;
pub use openssh::*;
pub use process::*;
pub use sshgate::*;
pub use tempdir::*;
pub use tmux::*;
pub use tools::*;
pub use x509::*;
