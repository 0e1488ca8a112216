//! The server role as a build option (cargo feature `server`, on by default).
//!
//! The npm package only ever connects out, yet a connection's state is an enum over both roles,
//! so the server's key exchange and user authentication would be linked into every page that
//! loads it. Server-only state carries a [`ServerRole`]; built without the feature, that type
//! has no values, the variants holding it can never exist, and the compiler drops their
//! branches (8.9 KB of the gzipped `.wasm`, bench/README.md). [`crate::Connection::server`] is
//! the one place a value is made.

/// Proof that this build plays the server role. Copied from the connection's server config
/// into each server-only variant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerRole(Gate);

/// Private, so that matches elsewhere do not see that it may be empty.
#[derive(Debug, Clone, Copy)]
enum Gate {
    #[cfg(feature = "server")]
    On,
}

#[cfg(feature = "server")]
impl ServerRole {
    /// The build has the server role.
    pub(crate) const ON: ServerRole = ServerRole(Gate::On);
}
