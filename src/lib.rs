//! sshgate: a sans-IO SSH-2 engine, client and server, for the browser and native hosts.
//!
//! The engine does no I/O: it takes bytes, time and randomness from its driver and gives back
//! bytes, events and deadlines. See [`Connection`] for the run loop every driver follows; here it
//! is in full, as a blocking client that runs one command (`sshgate-host` drives the same calls
//! from tokio, the npm package from JavaScript):
//!
//! ```no_run
//! use sshgate::channel::{ChannelEvent, ChannelRequest};
//! use sshgate::userauth::AuthEvent;
//! use sshgate::{ClientConfig, Connection, Event, Instant};
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::TcpStream;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! # fn trusted(_: &sshgate::HostKeyInfo) -> bool { true }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The engine's clock is whatever the driver says; here, time since start.
//! let start = std::time::Instant::now();
//! let now = || Instant::from_duration(start.elapsed());
//! // 32 bytes from a CSPRNG (getrandom, the OS): the engine draws every key from them.
//! let seed = [0u8; 32];
//! let mut conn = Connection::client(Arc::new(ClientConfig::default()), now(), seed);
//! let mut socket = TcpStream::connect("192.0.2.1:22")?;
//! let (mut out, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
//! while !conn.is_closed() {
//!     // Steps 2 and 3: after every input, write what the engine has and answer its events
//!     // (answers make more output, so round again until both are empty).
//!     loop {
//!         while conn.poll_transmit(&mut out) {}
//!         socket.write_all(&out)?;
//!         out.clear();
//!         let Some(event) = conn.poll_event() else { break };
//!         match event {
//!             // Check the key against known_hosts (trusted() is yours).
//!             Event::HostKey(info) => conn.answer_host_key(trusted(&info))?,
//!             Event::KexComplete { initial: true, .. } => conn.request_service("ssh-userauth"),
//!             Event::ServiceAccepted(_) => conn.auth_password("admin", "secret")?,
//!             Event::Auth(AuthEvent::Success) => drop(conn.open_session()?),
//!             Event::Channel(ChannelEvent::Opened { channel }) => {
//!                 let exec = ChannelRequest::Exec { command: "show version".into() };
//!                 conn.channel_request(channel, &exec, false)?;
//!             }
//!             Event::Channel(ChannelEvent::Data { channel, data }) => {
//!                 std::io::stdout().write_all(&data)?;
//!                 // Gives the window back: the server may send this much more.
//!                 conn.consume(channel, data.len())?;
//!             }
//!             Event::Channel(ChannelEvent::Closed { .. }) => conn.disconnect("done"),
//!             _ => {}
//!         }
//!     }
//!     // Steps 4 and 1: wait for input, but no longer than the engine's next deadline.
//!     let wait = conn.poll_timeout().map(|at| at.saturating_duration_since(now()));
//!     socket.set_read_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
//!     match socket.read(&mut buf) {
//!         Ok(0) => break,
//!         Ok(n) => conn.handle_input(&buf[..n], now())?,
//!         Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
//!             conn.handle_timeout(now());
//!         }
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
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
#[cfg(feature = "internals")]
pub mod internals;
pub mod kex;
pub mod keys;
mod layer;
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
