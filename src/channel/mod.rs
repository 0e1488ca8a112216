//! The connection protocol (RFC 4254), both roles.
//! STUB: interface only.

use crate::Error;
use crate::Role;
use crate::connection::layer::Ctx;
use crate::time::Instant;

/// Settings for channels (window sizes, limits, what a server permits).
#[derive(Debug, Clone, Default)]
pub struct ChannelConfig {}

/// Something the connection protocol tells the application or asks it to decide.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChannelEvent {}

/// The channels and global requests of one connection.
pub(crate) struct Channels {}

impl Channels {
    pub(crate) fn new(_role: Role, _cfg: &ChannelConfig) -> Self {
        Channels {}
    }

    /// Handles a message numbered 80..=127 (admitted only once authenticated).
    pub(crate) fn handle(&mut self, _ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<(), Error> {
        Err(Error::protocol(format!(
            "message {}: the connection protocol is not available yet",
            payload[0]
        )))
    }

    /// The next instant this layer needs `handle_timeout` (keepalives).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Fires due timers.
    pub(crate) fn handle_timeout(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), Error> {
        Ok(())
    }
}
