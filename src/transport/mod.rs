//! The SSH transport layer (RFC 4253).
pub mod cipher;
