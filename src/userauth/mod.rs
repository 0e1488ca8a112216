//! User authentication (RFC 4252, RFC 4256), both roles.
//! STUB: interface only.

use crate::Error;
use crate::Role;
use crate::connection::layer::{Ctx, Signal};
use crate::time::Instant;

/// Client-side settings for user authentication.
#[derive(Debug, Clone, Default)]
pub struct ClientAuthConfig {}

/// Server-side settings for user authentication.
#[derive(Debug, Clone, Default)]
pub struct ServerAuthConfig {}

/// Something user authentication tells the application or asks it to decide.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthEvent {}

/// The user-authentication layer of one connection.
pub(crate) struct UserAuth {}

impl UserAuth {
    pub(crate) fn new(
        _role: Role,
        _client: Option<&ClientAuthConfig>,
        _server: Option<&ServerAuthConfig>,
        _now: Instant,
    ) -> Self {
        UserAuth {}
    }

    /// Handles a message numbered 50..=79 (already admitted by the phase table).
    pub(crate) fn handle(&mut self, _ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<Signal, Error> {
        Err(Error::policy(
            crate::msg::reason::NO_MORE_AUTH_METHODS_AVAILABLE,
            format!(
                "message {}: user authentication is not available on this endpoint yet",
                payload[0]
            ),
        ))
    }

    /// The next instant this layer needs `handle_timeout` (authentication time-out, failure delay).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Fires due timers.
    pub(crate) fn handle_timeout(&mut self, _ctx: &mut Ctx<'_>) -> Result<Signal, Error> {
        Ok(Signal::default())
    }
}
