//! Packets a client sends: INIT and the requests, each with its id.

use super::{Attrs, SftpError, ext, frame, kind};
use crate::wire::{Reader, WireError, Writer};

/// Extension pairs a VERSION or INIT may carry, at most.
pub(super) const MAX_EXTENSIONS: usize = 256;

/// A client's packet. Paths and handles are the peer's bytes (SFTP v3 names are not required
/// to be UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Request<'a> {
    /// SSH_FXP_INIT: the client's version and extension pairs.
    Init {
        version: u32,
        extensions: Vec<(&'a [u8], &'a [u8])>,
    },
    Open {
        id: u32,
        path: &'a [u8],
        pflags: u32,
        attrs: Attrs,
    },
    Close {
        id: u32,
        handle: &'a [u8],
    },
    Read {
        id: u32,
        handle: &'a [u8],
        offset: u64,
        len: u32,
    },
    Write {
        id: u32,
        handle: &'a [u8],
        offset: u64,
        data: &'a [u8],
    },
    Lstat {
        id: u32,
        path: &'a [u8],
    },
    Fstat {
        id: u32,
        handle: &'a [u8],
    },
    Setstat {
        id: u32,
        path: &'a [u8],
        attrs: Attrs,
    },
    Fsetstat {
        id: u32,
        handle: &'a [u8],
        attrs: Attrs,
    },
    Opendir {
        id: u32,
        path: &'a [u8],
    },
    Readdir {
        id: u32,
        handle: &'a [u8],
    },
    Remove {
        id: u32,
        path: &'a [u8],
    },
    Mkdir {
        id: u32,
        path: &'a [u8],
        attrs: Attrs,
    },
    Rmdir {
        id: u32,
        path: &'a [u8],
    },
    Realpath {
        id: u32,
        path: &'a [u8],
    },
    Stat {
        id: u32,
        path: &'a [u8],
    },
    Rename {
        id: u32,
        old: &'a [u8],
        new: &'a [u8],
    },
    Readlink {
        id: u32,
        path: &'a [u8],
    },
    /// SSH_FXP_SYMLINK in OpenSSH's order: the link's target first, then the link's path (the
    /// reverse of the draft; every deployed server follows OpenSSH).
    Symlink {
        id: u32,
        target: &'a [u8],
        link: &'a [u8],
    },
    /// SSH_FXP_EXTENDED.
    Extended {
        id: u32,
        request: ExtendedRequest<'a>,
    },
}

/// An SSH_FXP_EXTENDED request's name and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ExtendedRequest<'a> {
    PosixRename {
        old: &'a [u8],
        new: &'a [u8],
    },
    Statvfs {
        path: &'a [u8],
    },
    Fstatvfs {
        handle: &'a [u8],
    },
    Hardlink {
        old: &'a [u8],
        new: &'a [u8],
    },
    Fsync {
        handle: &'a [u8],
    },
    Lsetstat {
        path: &'a [u8],
        attrs: Attrs,
    },
    Limits,
    ExpandPath {
        path: &'a [u8],
    },
    /// Any other extension: its name and the bytes after it.
    Other {
        name: &'a [u8],
        data: &'a [u8],
    },
}

impl<'a> Request<'a> {
    /// The request id (`None` for INIT).
    #[must_use]
    pub fn id(&self) -> Option<u32> {
        Some(match self {
            Request::Init { .. } => return None,
            Request::Open { id, .. }
            | Request::Close { id, .. }
            | Request::Read { id, .. }
            | Request::Write { id, .. }
            | Request::Lstat { id, .. }
            | Request::Fstat { id, .. }
            | Request::Setstat { id, .. }
            | Request::Fsetstat { id, .. }
            | Request::Opendir { id, .. }
            | Request::Readdir { id, .. }
            | Request::Remove { id, .. }
            | Request::Mkdir { id, .. }
            | Request::Rmdir { id, .. }
            | Request::Realpath { id, .. }
            | Request::Stat { id, .. }
            | Request::Rename { id, .. }
            | Request::Readlink { id, .. }
            | Request::Symlink { id, .. }
            | Request::Extended { id, .. } => *id,
        })
    }

    /// Decodes one packet (type byte and fields, as [`super::Framer`] gives it).
    pub fn decode(packet: &'a [u8]) -> Result<Self, SftpError> {
        let mut r = Reader::new(packet);
        let t = r.u8("sftp type")?;
        if t == kind::INIT {
            let version = r.u32("sftp version")?;
            let extensions = extension_pairs(&mut r)?;
            return Ok(Request::Init {
                version,
                extensions,
            });
        }
        let id = match r.u32("sftp request id") {
            Ok(id) => id,
            Err(_) if !is_request(t) => return Err(SftpError::UnknownType { kind: t, id: None }),
            Err(e) => return Err(e.into()),
        };
        let req = match t {
            kind::OPEN => Request::Open {
                id,
                path: r.string("path")?,
                pflags: r.u32("pflags")?,
                attrs: Attrs::decode(&mut r)?,
            },
            kind::CLOSE => Request::Close {
                id,
                handle: r.string("handle")?,
            },
            kind::READ => Request::Read {
                id,
                handle: r.string("handle")?,
                offset: r.u64("offset")?,
                len: r.u32("length")?,
            },
            kind::WRITE => Request::Write {
                id,
                handle: r.string("handle")?,
                offset: r.u64("offset")?,
                data: r.string("data")?,
            },
            kind::LSTAT => Request::Lstat {
                id,
                path: r.string("path")?,
            },
            kind::FSTAT => Request::Fstat {
                id,
                handle: r.string("handle")?,
            },
            kind::SETSTAT => Request::Setstat {
                id,
                path: r.string("path")?,
                attrs: Attrs::decode(&mut r)?,
            },
            kind::FSETSTAT => Request::Fsetstat {
                id,
                handle: r.string("handle")?,
                attrs: Attrs::decode(&mut r)?,
            },
            kind::OPENDIR => Request::Opendir {
                id,
                path: r.string("path")?,
            },
            kind::READDIR => Request::Readdir {
                id,
                handle: r.string("handle")?,
            },
            kind::REMOVE => Request::Remove {
                id,
                path: r.string("path")?,
            },
            kind::MKDIR => Request::Mkdir {
                id,
                path: r.string("path")?,
                attrs: Attrs::decode(&mut r)?,
            },
            kind::RMDIR => Request::Rmdir {
                id,
                path: r.string("path")?,
            },
            kind::REALPATH => Request::Realpath {
                id,
                path: r.string("path")?,
            },
            kind::STAT => Request::Stat {
                id,
                path: r.string("path")?,
            },
            kind::RENAME => Request::Rename {
                id,
                old: r.string("old path")?,
                new: r.string("new path")?,
            },
            kind::READLINK => Request::Readlink {
                id,
                path: r.string("path")?,
            },
            kind::SYMLINK => Request::Symlink {
                id,
                target: r.string("target path")?,
                link: r.string("link path")?,
            },
            kind::EXTENDED => {
                let name = r.string("extended request")?;
                let request = extended(name, &mut r)?;
                Request::Extended { id, request }
            }
            other => {
                return Err(SftpError::UnknownType {
                    kind: other,
                    id: Some(id),
                });
            }
        };
        r.finish()?;
        Ok(req)
    }

    /// Appends the packet, length first.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new();
        match self {
            Request::Init {
                version,
                extensions,
            } => {
                w.u8(kind::INIT).u32(*version);
                for (n, d) in extensions {
                    w.string(n).string(d);
                }
            }
            Request::Open {
                id,
                path,
                pflags,
                attrs,
            } => {
                w.u8(kind::OPEN).u32(*id).string(path).u32(*pflags);
                attrs.encode(&mut w);
            }
            Request::Close { id, handle } => {
                w.u8(kind::CLOSE).u32(*id).string(handle);
            }
            Request::Read {
                id,
                handle,
                offset,
                len,
            } => {
                w.u8(kind::READ)
                    .u32(*id)
                    .string(handle)
                    .u64(*offset)
                    .u32(*len);
            }
            Request::Write {
                id,
                handle,
                offset,
                data,
            } => {
                w.u8(kind::WRITE)
                    .u32(*id)
                    .string(handle)
                    .u64(*offset)
                    .string(data);
            }
            Request::Lstat { id, path } => one(&mut w, kind::LSTAT, *id, path),
            Request::Fstat { id, handle } => one(&mut w, kind::FSTAT, *id, handle),
            Request::Setstat { id, path, attrs } => {
                one(&mut w, kind::SETSTAT, *id, path);
                attrs.encode(&mut w);
            }
            Request::Fsetstat { id, handle, attrs } => {
                one(&mut w, kind::FSETSTAT, *id, handle);
                attrs.encode(&mut w);
            }
            Request::Opendir { id, path } => one(&mut w, kind::OPENDIR, *id, path),
            Request::Readdir { id, handle } => one(&mut w, kind::READDIR, *id, handle),
            Request::Remove { id, path } => one(&mut w, kind::REMOVE, *id, path),
            Request::Mkdir { id, path, attrs } => {
                one(&mut w, kind::MKDIR, *id, path);
                attrs.encode(&mut w);
            }
            Request::Rmdir { id, path } => one(&mut w, kind::RMDIR, *id, path),
            Request::Realpath { id, path } => one(&mut w, kind::REALPATH, *id, path),
            Request::Stat { id, path } => one(&mut w, kind::STAT, *id, path),
            Request::Rename { id, old, new } => {
                one(&mut w, kind::RENAME, *id, old);
                w.string(new);
            }
            Request::Readlink { id, path } => one(&mut w, kind::READLINK, *id, path),
            Request::Symlink { id, target, link } => {
                one(&mut w, kind::SYMLINK, *id, target);
                w.string(link);
            }
            Request::Extended { id, request } => {
                w.u8(kind::EXTENDED).u32(*id);
                encode_extended(&mut w, request);
            }
        }
        frame(out, w.as_slice());
    }
}

fn one(w: &mut Writer, t: u8, id: u32, s: &[u8]) {
    w.u8(t).u32(id).string(s);
}

/// Whether `t` is a request type this module knows (its id is then required).
fn is_request(t: u8) -> bool {
    (kind::OPEN..=kind::SYMLINK).contains(&t) || t == kind::EXTENDED
}

/// An INIT's or VERSION's extensions: `(name, data)` pairs.
pub type Extensions<'a> = Vec<(&'a [u8], &'a [u8])>;

/// The `(name, data)` pairs that fill the rest of an INIT or VERSION.
pub(super) fn extension_pairs<'a>(r: &mut Reader<'a>) -> Result<Extensions<'a>, SftpError> {
    let mut v = Vec::new();
    while r.remaining() > 0 {
        if v.len() >= MAX_EXTENSIONS {
            return Err(WireError::Invalid("too many extensions").into());
        }
        v.push((r.string("extension name")?, r.string("extension data")?));
    }
    Ok(v)
}

fn extended<'a>(name: &'a [u8], r: &mut Reader<'a>) -> Result<ExtendedRequest<'a>, SftpError> {
    let n = core::str::from_utf8(name).unwrap_or("");
    Ok(match n {
        ext::POSIX_RENAME => ExtendedRequest::PosixRename {
            old: r.string("old path")?,
            new: r.string("new path")?,
        },
        ext::STATVFS => ExtendedRequest::Statvfs {
            path: r.string("path")?,
        },
        ext::FSTATVFS => ExtendedRequest::Fstatvfs {
            handle: r.string("handle")?,
        },
        ext::HARDLINK => ExtendedRequest::Hardlink {
            old: r.string("old path")?,
            new: r.string("new path")?,
        },
        ext::FSYNC => ExtendedRequest::Fsync {
            handle: r.string("handle")?,
        },
        ext::LSETSTAT => ExtendedRequest::Lsetstat {
            path: r.string("path")?,
            attrs: Attrs::decode(r)?,
        },
        ext::LIMITS => ExtendedRequest::Limits,
        ext::EXPAND_PATH => ExtendedRequest::ExpandPath {
            path: r.string("path")?,
        },
        _ => {
            let data = r.rest();
            r.bytes(data.len(), "extended data")?;
            ExtendedRequest::Other { name, data }
        }
    })
}

fn encode_extended(w: &mut Writer, req: &ExtendedRequest<'_>) {
    match req {
        ExtendedRequest::PosixRename { old, new } => {
            w.string(ext::POSIX_RENAME.as_bytes())
                .string(old)
                .string(new);
        }
        ExtendedRequest::Statvfs { path } => {
            w.string(ext::STATVFS.as_bytes()).string(path);
        }
        ExtendedRequest::Fstatvfs { handle } => {
            w.string(ext::FSTATVFS.as_bytes()).string(handle);
        }
        ExtendedRequest::Hardlink { old, new } => {
            w.string(ext::HARDLINK.as_bytes()).string(old).string(new);
        }
        ExtendedRequest::Fsync { handle } => {
            w.string(ext::FSYNC.as_bytes()).string(handle);
        }
        ExtendedRequest::Lsetstat { path, attrs } => {
            w.string(ext::LSETSTAT.as_bytes()).string(path);
            attrs.encode(w);
        }
        ExtendedRequest::Limits => {
            w.string(ext::LIMITS.as_bytes());
        }
        ExtendedRequest::ExpandPath { path } => {
            w.string(ext::EXPAND_PATH.as_bytes()).string(path);
        }
        ExtendedRequest::Other { name, data } => {
            w.string(name).raw(data);
        }
    }
}
