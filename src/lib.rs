//! sshgate: a sans-IO SSH-2 engine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crypto;
pub mod kex;
pub mod keys;
pub mod time;
pub mod transport;
pub mod wire;
