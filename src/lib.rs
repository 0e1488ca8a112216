//! sshgate: a sans-IO SSH-2 engine, client and server, for the browser and native hosts.
//!
//! The engine does no I/O: it takes bytes, time and randomness from its driver and gives back
//! bytes, events and deadlines. See [`Connection`] for the run loop every driver follows.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Built without the server role, its code is unreachable by design (src/role_gate.rs); the
// default build, which has both roles, is the one checked for dead code.
#![cfg_attr(not(feature = "server"), allow(dead_code))]

pub mod channel;
pub mod config;
mod connection;
pub mod crypto;
mod error;
mod event;
pub mod kex;
pub mod keys;
pub mod msg;
pub mod pki;
mod role_gate;
pub mod scp;
pub mod sftp;
pub mod text;
pub mod time;
pub mod trace;
pub mod transport;
pub mod userauth;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod wire;

pub use config::{
    Algorithms, ClientConfig, CommonConfig, GexRange, KexLimits, RekeyLimits, ServerConfig,
};
pub use connection::Connection;
pub use error::{Error, Fault};
pub use event::{Event, HostKeyInfo};
pub use time::{Duration, Instant};
pub use trace::{TraceLevel, TraceStep};

/// Which end of the connection an engine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Opens the connection and authenticates to the server.
    Client,
    /// Accepts the connection and holds host keys.
    Server,
}
