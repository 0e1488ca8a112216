//! Errors that say who is at fault.

use crate::msg::reason;
use core::fmt;

/// Who caused a connection to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The peer sent something the protocol forbids, or that failed a check (MAC, signature).
    Peer,
    /// Local policy refused to go on (no common algorithm, host key not trusted, ...).
    Policy,
    /// The peer closed the connection with SSH_MSG_DISCONNECT.
    PeerDisconnected,
    /// The application closed the connection.
    Local,
    /// The application made a call the connection's state does not allow (no such channel,
    /// nothing waiting for that answer, a client call on a server). Only the call fails: the
    /// connection is untouched and goes on.
    Misuse,
}

/// Why a connection ended. Once an engine returns an `Error`, it has queued a DISCONNECT (where
/// one is due) and accepts no further input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Error {
    /// Who is at fault.
    pub fault: Fault,
    /// The RFC 4250 §4.2.2 reason code sent or received.
    pub reason: u32,
    /// A human-readable description.
    pub description: String,
}

impl Error {
    /// The peer broke the protocol.
    #[must_use]
    pub fn protocol(description: impl Into<String>) -> Self {
        Error {
            fault: Fault::Peer,
            reason: reason::PROTOCOL_ERROR,
            description: description.into(),
        }
    }

    /// The peer broke the protocol in a way that has a specific reason code.
    #[must_use]
    pub fn peer(reason: u32, description: impl Into<String>) -> Self {
        Error {
            fault: Fault::Peer,
            reason,
            description: description.into(),
        }
    }

    /// Local policy refused.
    #[must_use]
    pub fn policy(reason: u32, description: impl Into<String>) -> Self {
        Error {
            fault: Fault::Policy,
            reason,
            description: description.into(),
        }
    }

    /// An application call that does not fit the connection's state ([`Fault::Misuse`]).
    #[must_use]
    pub(crate) fn misuse(description: impl Into<String>) -> Self {
        Error {
            fault: Fault::Misuse,
            reason: reason::BY_APPLICATION,
            description: description.into(),
        }
    }

    /// Whether this error is a refused call that left the connection as it was.
    #[must_use]
    pub fn is_misuse(&self) -> bool {
        self.fault == Fault::Misuse
    }

    /// The application closed the connection.
    #[must_use]
    pub fn local(reason: u32, description: impl Into<String>) -> Self {
        Error {
            fault: Fault::Local,
            reason,
            description: description.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match self.fault {
            Fault::Peer => "peer protocol error",
            Fault::Policy => "refused by local policy",
            Fault::PeerDisconnected => "disconnected by peer",
            Fault::Local => "closed locally",
            Fault::Misuse => "call refused",
        };
        write!(f, "{who}: {} (reason {})", self.description, self.reason)
    }
}

impl std::error::Error for Error {}

impl From<crate::wire::WireError> for Error {
    fn from(e: crate::wire::WireError) -> Self {
        Error::protocol(format!("malformed message: {e}"))
    }
}
