//! Moving bytes between engine channels and the application: an ordered per-channel outbox
//! that respects the peer's window ([`outbox`]), and readers that turn a byte stream into
//! [`crate::app_msg::AppMsg::Output`] under a memory bound ([`reader`]) in recycled chunks
//! ([`pool`]), waiting for input without a buffer ([`idle`]), and a reader a relay can stop
//! ([`stoppable`]).

pub mod idle;
pub mod outbox;
pub mod pool;
pub mod reader;
pub mod stoppable;
