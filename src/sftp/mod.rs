//! The SFTP protocol, version 3 (draft-ietf-secsh-filexfer-02, as OpenSSH speaks it), sans-IO:
//! packets both ways ([`Request`] from a client, [`Response`] from a server), file attributes
//! ([`Attrs`]), the OpenSSH extensions (`PROTOCOL` §4: posix-rename, statvfs, fstatvfs, fsync,
//! hardlink, limits, lsetstat, expand-path) and a [`Framer`] that cuts a channel's byte stream
//! into whole packets with the length bounded before anything is buffered past it.
//!
//! Decoders borrow from the packet (a WRITE's data is a slice of it) and end with
//! `Reader::finish`, so trailing bytes are an error as everywhere in the engine. Nothing here
//! touches a file system: the native server (`native-host/src/server/files/sftp/`) and, later,
//! the browser client drive it.

mod attrs;
mod framer;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub use attrs::Attrs;
pub use framer::Framer;
pub use request::{ExtendedRequest, Request};
pub use response::{Limits, Name, Response, Statvfs, data_header};

use crate::wire::WireError;

/// The protocol version this module speaks.
pub const VERSION: u32 = 3;

/// Largest packet (length field's value) either side accepts: OpenSSH's `SFTP_MAX_MSG_LENGTH`.
pub const MAX_PACKET: usize = 256 * 1024;

/// Packet type numbers.
pub mod kind {
    #![allow(missing_docs)]
    pub const INIT: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const LSTAT: u8 = 7;
    pub const FSTAT: u8 = 8;
    pub const SETSTAT: u8 = 9;
    pub const FSETSTAT: u8 = 10;
    pub const OPENDIR: u8 = 11;
    pub const READDIR: u8 = 12;
    pub const REMOVE: u8 = 13;
    pub const MKDIR: u8 = 14;
    pub const RMDIR: u8 = 15;
    pub const REALPATH: u8 = 16;
    pub const STAT: u8 = 17;
    pub const RENAME: u8 = 18;
    pub const READLINK: u8 = 19;
    pub const SYMLINK: u8 = 20;
    pub const STATUS: u8 = 101;
    pub const HANDLE: u8 = 102;
    pub const DATA: u8 = 103;
    pub const NAME: u8 = 104;
    pub const ATTRS: u8 = 105;
    pub const EXTENDED: u8 = 200;
    pub const EXTENDED_REPLY: u8 = 201;
}

/// `SSH_FX_*` status codes.
pub mod status {
    #![allow(missing_docs)]
    pub const OK: u32 = 0;
    pub const EOF: u32 = 1;
    pub const NO_SUCH_FILE: u32 = 2;
    pub const PERMISSION_DENIED: u32 = 3;
    pub const FAILURE: u32 = 4;
    pub const BAD_MESSAGE: u32 = 5;
    pub const NO_CONNECTION: u32 = 6;
    pub const CONNECTION_LOST: u32 = 7;
    pub const OP_UNSUPPORTED: u32 = 8;

    /// OpenSSH's text for a code (`sftp-server.c` `status_to_message`).
    #[must_use]
    pub fn message(code: u32) -> &'static str {
        match code {
            OK => "Success",
            EOF => "End of file",
            NO_SUCH_FILE => "No such file",
            PERMISSION_DENIED => "Permission denied",
            FAILURE => "Failure",
            BAD_MESSAGE => "Bad message",
            NO_CONNECTION => "No connection",
            CONNECTION_LOST => "Connection lost",
            OP_UNSUPPORTED => "Operation unsupported",
            _ => "Unknown error",
        }
    }
}

/// `SSH_FXF_*` open flags.
pub mod open_flags {
    #![allow(missing_docs)]
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const APPEND: u32 = 0x04;
    pub const CREAT: u32 = 0x08;
    pub const TRUNC: u32 = 0x10;
    pub const EXCL: u32 = 0x20;
}

/// Extension names (OpenSSH `PROTOCOL` §4).
pub mod ext {
    #![allow(missing_docs)]
    pub const POSIX_RENAME: &str = "posix-rename@openssh.com";
    pub const STATVFS: &str = "statvfs@openssh.com";
    pub const FSTATVFS: &str = "fstatvfs@openssh.com";
    pub const HARDLINK: &str = "hardlink@openssh.com";
    pub const FSYNC: &str = "fsync@openssh.com";
    pub const LSETSTAT: &str = "lsetstat@openssh.com";
    pub const LIMITS: &str = "limits@openssh.com";
    pub const EXPAND_PATH: &str = "expand-path@openssh.com";
}

/// Why an SFTP packet was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SftpError {
    /// A field was missing, malformed, or bytes were left over.
    Wire(WireError),
    /// The length field is zero (no type byte).
    Empty,
    /// The length field is over the bound (the value is given).
    TooLong(u32),
    /// A packet type this direction does not carry; `id` when the packet had one to answer.
    UnknownType {
        /// The type byte.
        kind: u8,
        /// The request id, if the packet was long enough to hold one.
        id: Option<u32>,
    },
}

impl From<WireError> for SftpError {
    fn from(e: WireError) -> Self {
        SftpError::Wire(e)
    }
}

impl core::fmt::Display for SftpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SftpError::Wire(e) => write!(f, "sftp: {e}"),
            SftpError::Empty => write!(f, "sftp: empty packet"),
            SftpError::TooLong(n) => write!(f, "sftp: packet of {n} bytes is over the limit"),
            SftpError::UnknownType { kind, .. } => write!(f, "sftp: unknown packet type {kind}"),
        }
    }
}

impl std::error::Error for SftpError {}

/// Appends `body` (type byte and fields) to `out` behind its uint32 length.
fn frame(out: &mut Vec<u8>, body: &[u8]) {
    // Bodies are built from bounded fields; a length past u32 cannot come from this module.
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
}
