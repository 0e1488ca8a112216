//! The resume protocol (`sshgate.resume.v1`, docs/resume-protocol.md): the pieces the bridge and
//! serve's WebSocket listener share. Frames are parsed here; parking and replay build on them.

// The bridge and serve wire these in next; until then only the tests use them.
#![allow(dead_code)]

pub mod frame;
pub mod replay;

/// The WebSocket subprotocol a client offers to speak frames instead of raw SSH bytes.
pub const SUBPROTOCOL: &str = "sshgate.resume.v1";
