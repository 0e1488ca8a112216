//! Packets a server sends: VERSION and the replies, each with the id of its request.

use super::request::extension_pairs;
use super::{Attrs, SftpError, frame, kind};
use crate::wire::{Reader, WireError, Writer};

/// A server's packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Response<'a> {
    /// SSH_FXP_VERSION: the version spoken and the extensions offered.
    Version {
        version: u32,
        extensions: Vec<(&'a [u8], &'a [u8])>,
    },
    Status {
        id: u32,
        code: u32,
        message: &'a str,
        language: &'a str,
    },
    Handle {
        id: u32,
        handle: &'a [u8],
    },
    Data {
        id: u32,
        data: &'a [u8],
    },
    Name {
        id: u32,
        names: Vec<Name<'a>>,
    },
    Attrs {
        id: u32,
        attrs: Attrs,
    },
    /// SSH_FXP_EXTENDED_REPLY: what follows the id depends on the request
    /// ([`Statvfs`], [`Limits`], ...).
    ExtendedReply {
        id: u32,
        data: &'a [u8],
    },
}

/// One entry of an SSH_FXP_NAME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name<'a> {
    /// The name (a directory entry's file name, or a full path from REALPATH).
    pub filename: &'a [u8],
    /// An `ls -l` line for people (clients show it, never parse it).
    pub longname: &'a [u8],
    /// The entry's attributes.
    pub attrs: Attrs,
}

/// The smallest encoding of a NAME entry: two empty strings and a flags word.
const MIN_NAME: usize = 12;

impl<'a> Response<'a> {
    /// Decodes one packet (type byte and fields).
    pub fn decode(packet: &'a [u8]) -> Result<Self, SftpError> {
        let mut r = Reader::new(packet);
        let t = r.u8("sftp type")?;
        if t == kind::VERSION {
            let version = r.u32("sftp version")?;
            let extensions = extension_pairs(&mut r)?;
            return Ok(Response::Version {
                version,
                extensions,
            });
        }
        let id = match r.u32("sftp response id") {
            Ok(id) => id,
            Err(_) if !(kind::STATUS..=kind::ATTRS).contains(&t) && t != kind::EXTENDED_REPLY => {
                return Err(SftpError::UnknownType { kind: t, id: None });
            }
            Err(e) => return Err(e.into()),
        };
        let resp = match t {
            kind::STATUS => {
                let code = r.u32("status code")?;
                // Servers of draft 02's time may stop after the code.
                let (message, language) = if r.remaining() == 0 {
                    ("", "")
                } else {
                    (r.utf8("status message")?, r.utf8("status language")?)
                };
                Response::Status {
                    id,
                    code,
                    message,
                    language,
                }
            }
            kind::HANDLE => Response::Handle {
                id,
                handle: r.string("handle")?,
            },
            kind::DATA => Response::Data {
                id,
                data: r.string("data")?,
            },
            kind::NAME => {
                let count = r.u32("name count")? as usize;
                // Bounded by the bytes present before anything is reserved.
                if count > r.remaining() / MIN_NAME {
                    return Err(WireError::Truncated("name entries").into());
                }
                let mut names = Vec::with_capacity(count);
                for _ in 0..count {
                    names.push(Name {
                        filename: r.string("filename")?,
                        longname: r.string("longname")?,
                        attrs: Attrs::decode(&mut r)?,
                    });
                }
                Response::Name { id, names }
            }
            kind::ATTRS => Response::Attrs {
                id,
                attrs: Attrs::decode(&mut r)?,
            },
            kind::EXTENDED_REPLY => {
                let data = r.rest();
                r.bytes(data.len(), "extended reply")?;
                Response::ExtendedReply { id, data }
            }
            other => {
                return Err(SftpError::UnknownType {
                    kind: other,
                    id: Some(id),
                });
            }
        };
        r.finish()?;
        Ok(resp)
    }

    /// Appends the packet, length first.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new();
        match self {
            Response::Version {
                version,
                extensions,
            } => {
                w.u8(kind::VERSION).u32(*version);
                for (n, d) in extensions {
                    w.string(n).string(d);
                }
            }
            Response::Status {
                id,
                code,
                message,
                language,
            } => {
                w.u8(kind::STATUS)
                    .u32(*id)
                    .u32(*code)
                    .string(message.as_bytes())
                    .string(language.as_bytes());
            }
            Response::Handle { id, handle } => {
                w.u8(kind::HANDLE).u32(*id).string(handle);
            }
            Response::Data { id, data } => {
                // The large one: header then the bytes, without building it twice.
                out.extend_from_slice(&data_header(*id, data.len()));
                out.extend_from_slice(data);
                return;
            }
            Response::Name { id, names } => {
                w.u8(kind::NAME)
                    .u32(*id)
                    .u32(u32::try_from(names.len()).unwrap_or(u32::MAX));
                for n in names {
                    w.string(n.filename).string(n.longname);
                    n.attrs.encode(&mut w);
                }
            }
            Response::Attrs { id, attrs } => {
                w.u8(kind::ATTRS).u32(*id);
                attrs.encode(&mut w);
            }
            Response::ExtendedReply { id, data } => {
                w.u8(kind::EXTENDED_REPLY).u32(*id).raw(data);
            }
        }
        frame(out, w.as_slice());
    }
}

/// The 13 bytes in front of an SSH_FXP_DATA carrying `len` bytes (length, type, id, data
/// length), for a server that reads a file straight into its output after them.
#[must_use]
pub fn data_header(id: u32, len: usize) -> [u8; 13] {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    let mut h = [0u8; 13];
    h[..4].copy_from_slice(&(len.saturating_add(9)).to_be_bytes());
    h[4] = kind::DATA;
    h[5..9].copy_from_slice(&id.to_be_bytes());
    h[9..].copy_from_slice(&len.to_be_bytes());
    h
}

/// The reply to `statvfs@openssh.com` / `fstatvfs@openssh.com` (OpenSSH `PROTOCOL` §4.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Statvfs {
    pub bsize: u64,
    pub frsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub favail: u64,
    pub fsid: u64,
    pub flag: u64,
    pub namemax: u64,
}

impl Statvfs {
    /// `SSH2_FXE_STATVFS_ST_RDONLY`.
    pub const RDONLY: u64 = 1;
    /// `SSH2_FXE_STATVFS_ST_NOSUID`.
    pub const NOSUID: u64 = 2;

    fn fields(&self) -> [u64; 11] {
        [
            self.bsize,
            self.frsize,
            self.blocks,
            self.bfree,
            self.bavail,
            self.files,
            self.ffree,
            self.favail,
            self.fsid,
            self.flag,
            self.namemax,
        ]
    }

    /// The EXTENDED_REPLY's data.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        for v in self.fields() {
            w.u64(v);
        }
        w.into_vec()
    }

    /// Reads an EXTENDED_REPLY's data.
    pub fn decode(data: &[u8]) -> Result<Self, SftpError> {
        let mut r = Reader::new(data);
        let mut f = [0u64; 11];
        for v in &mut f {
            *v = r.u64("statvfs field")?;
        }
        r.finish()?;
        let [
            bsize,
            frsize,
            blocks,
            bfree,
            bavail,
            files,
            ffree,
            favail,
            fsid,
            flag,
            namemax,
        ] = f;
        Ok(Statvfs {
            bsize,
            frsize,
            blocks,
            bfree,
            bavail,
            files,
            ffree,
            favail,
            fsid,
            flag,
            namemax,
        })
    }
}

/// The reply to `limits@openssh.com` (OpenSSH `PROTOCOL` §4.8); 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet the server accepts.
    pub max_packet_length: u64,
    /// Largest READ it answers in full.
    pub max_read_length: u64,
    /// Largest WRITE it accepts.
    pub max_write_length: u64,
    /// Handles open at once.
    pub max_open_handles: u64,
}

impl Limits {
    /// The EXTENDED_REPLY's data.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.max_packet_length)
            .u64(self.max_read_length)
            .u64(self.max_write_length)
            .u64(self.max_open_handles);
        w.into_vec()
    }

    /// Reads an EXTENDED_REPLY's data.
    pub fn decode(data: &[u8]) -> Result<Self, SftpError> {
        let mut r = Reader::new(data);
        let l = Limits {
            max_packet_length: r.u64("max-packet-length")?,
            max_read_length: r.u64("max-read-length")?,
            max_write_length: r.u64("max-write-length")?,
            max_open_handles: r.u64("max-open-handles")?,
        };
        r.finish()?;
        Ok(l)
    }
}
