//! One SFTP session's requests, each answered in order: paths mapped through the user's
//! [`FileRoot`] (the client's `/` is the root, `..` stops there, the kernel refuses symlinks
//! out of it), the `[files]` limits applied, OpenSSH's status texts in the replies.

use super::Who;
use super::attrs::{from_metadata, longname};
use super::handles::{DirHandle, FileHandle, Handle, Handles};
use super::output::Output;
use crate::server::files::FileRoot;
use cap_std::fs::{DirBuilder, DirBuilderExt, OpenOptions, OpenOptionsExt, PermissionsExt};
use sshgate::sftp::{
    Attrs, ExtendedRequest, Limits, Name, Request, Response, SftpError, Statvfs, ext, open_flags,
    status,
};
use std::borrow::Cow;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest READ answered in full (OpenSSH's `SFTP_MAX_READ_LENGTH`); the client learns it
/// from `limits@openssh.com` and asks for that much per READ.
const MAX_READ: usize = sshgate::sftp::MAX_PACKET - 1024;
/// Names per READDIR reply (OpenSSH's sftp-server sends 100).
const NAMES_PER_READDIR: usize = 100;
/// The extensions announced in VERSION, with OpenSSH's version strings.
const EXTENSIONS: [(&str, &str); 8] = [
    (ext::POSIX_RENAME, "1"),
    (ext::STATVFS, "2"),
    (ext::FSTATVFS, "2"),
    (ext::HARDLINK, "1"),
    (ext::FSYNC, "1"),
    (ext::LSETSTAT, "1"),
    (ext::LIMITS, "1"),
    (ext::EXPAND_PATH, "1"),
];

/// Temporary upload names, unique in the process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A refused request: the status code and its text.
struct Fail(u32, Cow<'static, str>);

impl Fail {
    fn code(code: u32) -> Self {
        Fail(code, Cow::Borrowed(status::message(code)))
    }
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Self {
        // OpenSSH's errno_to_portable, with its generic texts.
        let code = match e.kind() {
            ErrorKind::NotFound => status::NO_SUCH_FILE,
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                status::PERMISSION_DENIED
            }
            ErrorKind::InvalidInput => status::BAD_MESSAGE,
            _ => status::FAILURE,
        };
        Fail::code(code)
    }
}

type Reply = Result<(), Fail>;

/// What the session moved, for the closing log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub created: u64,
}

/// One SFTP session's state.
pub struct Session {
    root: FileRoot,
    handles: Handles,
    pub out: Output,
    who: Who,
    initialized: bool,
    stats: Stats,
    scratch: Vec<u8>,
}

impl Session {
    pub fn new(root: FileRoot, out: Output, who: Who) -> Self {
        Session {
            root,
            handles: Handles::default(),
            out,
            who,
            initialized: false,
            stats: Stats::default(),
            scratch: Vec::with_capacity(1024),
        }
    }

    fn send(&mut self, r: &Response<'_>) {
        self.scratch.clear();
        r.encode(&mut self.scratch);
        self.out.put(&self.scratch);
    }

    fn status(&mut self, id: u32, code: u32, message: &str) {
        self.send(&Response::Status {
            id,
            code,
            message,
            language: "",
        });
    }

    fn ok(&mut self, id: u32) -> Reply {
        self.status(id, status::OK, status::message(status::OK));
        Ok(())
    }

    /// A refusal worth a line in serve's log (the client sees only the status).
    fn refused(&self, what: &str, path: &[u8]) -> Fail {
        let path = sshgate::text::for_log(&String::from_utf8_lossy(path), 256);
        tracing::info!(peer = %self.who.peer, user = %self.who.user, %path, "sftp: {what} refused");
        Fail::code(status::PERMISSION_DENIED)
    }

    /// The client's path as a path beneath the root.
    fn path(&self, p: &[u8]) -> Result<PathBuf, Fail> {
        let s = std::str::from_utf8(p).map_err(|_| Fail::code(status::NO_SUCH_FILE))?;
        self.root
            .resolve("/", s)
            .map_err(|_| self.refused("path above the root", p))
    }

    fn writable(&self, path: &[u8]) -> Reply {
        if self.root.limits().read_only {
            return Err(self.refused("write (read_only)", path));
        }
        Ok(())
    }

    /// Counts one more file or directory created (`max_files`).
    fn may_create(&self, path: &[u8]) -> Reply {
        if self.stats.created >= self.root.limits().max_files {
            let p = sshgate::text::for_log(&String::from_utf8_lossy(path), 256);
            tracing::info!(peer = %self.who.peer, user = %self.who.user, path = %p,
                "sftp: create refused: max_files");
            return Err(Fail(
                status::FAILURE,
                "Too many files created in this session".into(),
            ));
        }
        Ok(())
    }

    /// Handles one packet; `Err` ends the session (malformed input, as OpenSSH's sftp-server).
    pub fn handle(&mut self, packet: &[u8]) -> anyhow::Result<()> {
        let req = match Request::decode(packet) {
            Ok(r) => r,
            Err(SftpError::UnknownType { kind, id: Some(id) }) if self.initialized => {
                tracing::debug!(peer = %self.who.peer, kind, "sftp: unknown request type");
                self.status(
                    id,
                    status::OP_UNSUPPORTED,
                    status::message(status::OP_UNSUPPORTED),
                );
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(id) = req.id() else {
            anyhow::ensure!(!self.initialized, "a second INIT");
            self.initialized = true;
            let extensions: Vec<(&[u8], &[u8])> = EXTENSIONS
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
                .collect();
            self.send(&Response::Version {
                version: sshgate::sftp::VERSION,
                extensions,
            });
            return Ok(());
        };
        anyhow::ensure!(self.initialized, "a request before INIT");
        if let Err(Fail(code, message)) = self.dispatch(id, req) {
            self.status(id, code, &message);
        }
        Ok(())
    }

    fn dispatch(&mut self, id: u32, req: Request<'_>) -> Reply {
        match req {
            Request::Init { .. } => Ok(()),
            Request::Open {
                path,
                pflags,
                attrs,
                ..
            } => self.open(id, path, pflags, &attrs),
            Request::Close { handle, .. } => self.close(id, handle),
            Request::Read {
                handle,
                offset,
                len,
                ..
            } => self.read(id, handle, offset, len),
            Request::Write {
                handle,
                offset,
                data,
                ..
            } => self.write(id, handle, offset, data),
            Request::Stat { path, .. } => {
                let m = self.root.dir().metadata(self.path(path)?)?;
                self.attrs(id, &m)
            }
            Request::Lstat { path, .. } => {
                let m = self.root.dir().symlink_metadata(self.path(path)?)?;
                self.attrs(id, &m)
            }
            Request::Fstat { handle, .. } => {
                let m = match self.handles.get_mut(handle) {
                    Some(Handle::File(f)) => cap_std::fs::Metadata::from_file(&f.file)?,
                    Some(Handle::Dir(d)) => {
                        let p = d.path.clone();
                        self.root.dir().metadata(p)?
                    }
                    None => return Err(Fail::code(status::FAILURE)),
                };
                self.attrs(id, &m)
            }
            Request::Setstat { path, attrs, .. } => {
                self.writable(path)?;
                let rel = self.path(path)?;
                self.set_path(&rel, &attrs, true)?;
                self.ok(id)
            }
            Request::Fsetstat { handle, attrs, .. } => {
                self.writable(b"(handle)")?;
                self.set_handle(handle, &attrs)?;
                self.ok(id)
            }
            Request::Opendir { path, .. } => {
                if self.handles.full() {
                    return Err(Fail(status::FAILURE, "Too many open handles".into()));
                }
                let rel = self.path(path)?;
                let entries = self.root.dir().read_dir(&rel)?;
                let h = self
                    .handles
                    .insert(Handle::Dir(DirHandle { path: rel, entries }));
                self.send(&Response::Handle { id, handle: &h });
                Ok(())
            }
            Request::Readdir { handle, .. } => self.readdir(id, handle),
            Request::Remove { path, .. } => {
                self.writable(path)?;
                let rel = self.path(path)?;
                self.root.dir().remove_file(rel)?;
                self.ok(id)
            }
            Request::Mkdir { path, attrs, .. } => {
                self.writable(path)?;
                self.may_create(path)?;
                let rel = self.path(path)?;
                let mut b = DirBuilder::new();
                b.mode(attrs.permissions.map_or(0o777, |p| p & 0o7777));
                self.root.dir().create_dir_with(rel, &b)?;
                self.stats.created += 1;
                self.ok(id)
            }
            Request::Rmdir { path, .. } => {
                self.writable(path)?;
                let rel = self.path(path)?;
                self.root.dir().remove_dir(rel)?;
                self.ok(id)
            }
            Request::Realpath { path, .. } => {
                let rel = self.path(path)?;
                self.name_reply(id, &FileRoot::client_path(&rel))
            }
            Request::Rename { old, new, .. } => {
                self.writable(old)?;
                let (from, to) = (self.path(old)?, self.path(new)?);
                let dir = self.root.dir();
                // SFTP v3 RENAME does not replace (OpenSSH's sftp-server refuses an existing
                // target); posix-rename@openssh.com does.
                if dir.symlink_metadata(&to).is_ok() {
                    return Err(Fail::code(status::FAILURE));
                }
                dir.rename(from, dir, to)?;
                self.ok(id)
            }
            Request::Readlink { path, .. } => self.readlink(id, path),
            Request::Symlink { link, .. } => Err(self.refused("symlink", link)),
            Request::Extended { request, .. } => self.extended(id, request),
        }
    }

    fn attrs(&mut self, id: u32, m: &cap_std::fs::Metadata) -> Reply {
        self.send(&Response::Attrs {
            id,
            attrs: from_metadata(m),
        });
        Ok(())
    }

    fn name_reply(&mut self, id: u32, name: &str) -> Reply {
        self.send(&Response::Name {
            id,
            names: vec![Name {
                filename: name.as_bytes(),
                longname: name.as_bytes(),
                attrs: Attrs::default(),
            }],
        });
        Ok(())
    }

    fn open(&mut self, id: u32, path: &[u8], pflags: u32, attrs: &Attrs) -> Reply {
        let has = |f: u32| pflags & f != 0;
        let writes = has(open_flags::WRITE)
            || has(open_flags::APPEND)
            || has(open_flags::CREAT)
            || has(open_flags::TRUNC);
        if writes {
            self.writable(path)?;
        }
        if self.handles.full() {
            return Err(Fail(status::FAILURE, "Too many open handles".into()));
        }
        // `name/` names a directory: the lexical mapping drops the slash, so refuse here what
        // the kernel refuses sshd's sftp-server (EISDIR, ENOTDIR), rather than create `name`.
        if path.len() > 1 && path.ends_with(b"/") {
            return Err(Fail::code(status::FAILURE));
        }
        let rel = self.path(path)?;
        let dir = self.root.dir();
        let mode = attrs.permissions.map_or(0o666, |p| p & 0o7777);
        let existing = if has(open_flags::CREAT) {
            dir.symlink_metadata(&rel).ok()
        } else {
            None
        };
        let creating = has(open_flags::CREAT) && existing.is_none();
        if creating {
            self.may_create(path)?;
        }
        let read = has(open_flags::READ);
        let write = has(open_flags::WRITE) || has(open_flags::APPEND);
        // A whole-file upload goes to a temporary name, renamed over the target at CLOSE.
        let staged = write
            && has(open_flags::CREAT)
            && has(open_flags::TRUNC)
            && !has(open_flags::EXCL)
            && !has(open_flags::APPEND)
            && existing.as_ref().is_none_or(cap_std::fs::Metadata::is_file);
        let handle = if staged {
            if existing.is_some() {
                // The target must be writable by us, as an in-place truncation would need.
                dir.open_with(&rel, OpenOptions::new().write(true))?;
            }
            let temp = temp_name(&rel);
            let file = dir.open_with(
                &temp,
                OpenOptions::new()
                    .read(read)
                    .write(true)
                    .create_new(true)
                    .mode(mode),
            )?;
            FileHandle {
                file: file.into_std(),
                path: rel,
                temp: Some(temp),
                writable: true,
                append: false,
                created: creating,
                doomed: false,
                bytes_read: 0,
                bytes_written: 0,
            }
        } else {
            let mut o = OpenOptions::new();
            // Neither READ nor WRITE is O_RDONLY, as OpenSSH's flags_from_portable.
            o.read(read || !write)
                .write(has(open_flags::WRITE))
                .append(has(open_flags::APPEND))
                .truncate(has(open_flags::TRUNC));
            if has(open_flags::CREAT) {
                if has(open_flags::EXCL) {
                    o.create_new(true);
                } else {
                    o.create(true);
                }
            }
            o.mode(mode);
            let file = dir.open_with(&rel, &o)?;
            FileHandle {
                file: file.into_std(),
                path: rel,
                temp: None,
                writable: write,
                append: has(open_flags::APPEND),
                created: creating,
                doomed: false,
                bytes_read: 0,
                bytes_written: 0,
            }
        };
        if creating {
            self.stats.created += 1;
        }
        let h = self.handles.insert(Handle::File(handle));
        self.send(&Response::Handle { id, handle: &h });
        Ok(())
    }

    fn close(&mut self, id: u32, handle: &[u8]) -> Reply {
        match self.handles.remove(handle) {
            None => Err(Fail::code(status::FAILURE)),
            Some(Handle::Dir(_)) => self.ok(id),
            Some(Handle::File(f)) => {
                self.finish_file(f, true)?;
                self.ok(id)
            }
        }
    }

    /// A file handle closes: a staged upload is renamed into place (`commit`) or removed; a
    /// file refused for its size is removed if this session created it.
    fn finish_file(&mut self, f: FileHandle, commit: bool) -> Reply {
        self.stats.bytes_read += f.bytes_read;
        self.stats.bytes_written += f.bytes_written;
        let FileHandle {
            file,
            path,
            temp,
            doomed,
            created,
            ..
        } = f;
        drop(file);
        let dir = self.root.dir();
        let too_large = || {
            Fail(
                status::FAILURE,
                "File too large: the upload was removed".into(),
            )
        };
        match temp {
            Some(temp) if doomed || !commit => {
                let _ = dir.remove_file(&temp);
                if doomed {
                    return Err(too_large());
                }
                Ok(())
            }
            Some(temp) => {
                if let Err(e) = dir.rename(&temp, dir, &path) {
                    let _ = dir.remove_file(&temp);
                    return Err(e.into());
                }
                Ok(())
            }
            None if doomed && created => {
                let _ = dir.remove_file(&path);
                Err(too_large())
            }
            None => Ok(()),
        }
    }

    fn read(&mut self, id: u32, handle: &[u8], offset: u64, len: u32) -> Reply {
        let Some(f) = self.handles.file(handle) else {
            return Err(Fail::code(status::FAILURE));
        };
        let len = (len as usize).min(MAX_READ);
        match self.out.data(id, &f.file, offset, len) {
            Ok(0) => {
                self.status(id, status::EOF, status::message(status::EOF));
                Ok(())
            }
            Ok(n) => {
                f.bytes_read += n as u64;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn write(&mut self, id: u32, handle: &[u8], offset: u64, data: &[u8]) -> Reply {
        let max = self.root.limits().max_file_bytes;
        let Some(f) = self.handles.file(handle) else {
            return Err(Fail::code(status::FAILURE));
        };
        if !f.writable {
            return Err(Fail::code(status::PERMISSION_DENIED));
        }
        let start = if f.append {
            f.file.metadata()?.len()
        } else {
            offset
        };
        let end = start.saturating_add(data.len() as u64);
        if f.doomed || end > max {
            if !f.doomed {
                let path = FileRoot::client_path(&f.path);
                tracing::info!(peer = %self.who.peer, user = %self.who.user, %path, max,
                    "sftp: upload refused: max_file_bytes");
            }
            f.doomed = true;
            return Err(Fail(
                status::FAILURE,
                format!("File too large: the limit is {max} bytes").into(),
            ));
        }
        f.file.write_all_at(data, offset)?;
        f.bytes_written += data.len() as u64;
        self.ok(id)
    }

    fn readdir(&mut self, id: u32, handle: &[u8]) -> Reply {
        let Some(Handle::Dir(d)) = self.handles.get_mut(handle) else {
            return Err(Fail::code(status::FAILURE));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let mut entries: Vec<(String, String, Attrs)> = Vec::new();
        while entries.len() < NAMES_PER_READDIR {
            let Some(entry) = d.entries.next() else {
                break;
            };
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            // lstat, as OpenSSH's readdir: a symlink shows as a link.
            let Ok(m) = entry.metadata() else { continue };
            entries.push((longname(&name, &m, now), name, from_metadata(&m)));
        }
        if entries.is_empty() {
            self.status(id, status::EOF, status::message(status::EOF));
            return Ok(());
        }
        let names = entries
            .iter()
            .map(|(long, name, attrs)| Name {
                filename: name.as_bytes(),
                longname: long.as_bytes(),
                attrs: attrs.clone(),
            })
            .collect();
        self.send(&Response::Name { id, names });
        Ok(())
    }

    fn readlink(&mut self, id: u32, path: &[u8]) -> Reply {
        let rel = self.path(path)?;
        let target = self.root.dir().read_link_contents(&rel)?;
        // The client sees the root as `/`: an absolute target inside it is shown from there,
        // one outside it is not shown at all.
        let shown = if target.is_absolute() {
            match target.strip_prefix(self.root.host_path()) {
                Ok(inside) => FileRoot::client_path(inside),
                Err(_) => return Err(self.refused("readlink out of the root", path)),
            }
        } else {
            target.to_string_lossy().into_owned()
        };
        self.name_reply(id, &shown)
    }

    /// SETSTAT / lsetstat: size, mode, times; ids only when unchanged (as a non-root sshd).
    fn set_path(&mut self, rel: &Path, a: &Attrs, follow: bool) -> Reply {
        let dir = self.root.dir();
        let m = if follow {
            dir.metadata(rel)?
        } else {
            dir.symlink_metadata(rel)?
        };
        if m.is_symlink() {
            // Linux cannot change a link's mode; lsetstat on one is unsupported.
            return Err(Fail::code(status::OP_UNSUPPORTED));
        }
        check_ids(a, &m)?;
        if let Some(size) = a.size {
            dir.open_with(rel, OpenOptions::new().write(true))?
                .set_len(size)?;
        }
        if let Some(p) = a.permissions {
            dir.set_permissions(rel, cap_std::fs::Permissions::from_mode(p & 0o7777))?;
        }
        if let Some((at, mt)) = a.atime_mtime {
            let f = if m.is_dir() {
                dir.open_dir(rel)?.into_std_file()
            } else {
                dir.open(rel)?.into_std()
            };
            f.set_times(times(at, mt))?;
        }
        Ok(())
    }

    fn set_handle(&mut self, handle: &[u8], a: &Attrs) -> Reply {
        let file = match self.handles.get_mut(handle) {
            Some(Handle::File(f)) => &f.file,
            Some(Handle::Dir(d)) => {
                let p = d.path.clone();
                return self.set_path(&p, a, true);
            }
            None => return Err(Fail::code(status::FAILURE)),
        };
        let m = cap_std::fs::Metadata::from_file(file)?;
        check_ids(a, &m)?;
        if let Some(size) = a.size {
            file.set_len(size)?;
        }
        if let Some(p) = a.permissions {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(p & 0o7777))?;
        }
        if let Some((at, mt)) = a.atime_mtime {
            file.set_times(times(at, mt))?;
        }
        Ok(())
    }

    fn extended(&mut self, id: u32, req: ExtendedRequest<'_>) -> Reply {
        match req {
            ExtendedRequest::PosixRename { old, new } => {
                self.writable(old)?;
                let (from, to) = (self.path(old)?, self.path(new)?);
                let dir = self.root.dir();
                dir.rename(from, dir, to)?;
                self.ok(id)
            }
            ExtendedRequest::Hardlink { old, new } => {
                self.writable(new)?;
                self.may_create(new)?;
                let (from, to) = (self.path(old)?, self.path(new)?);
                let dir = self.root.dir();
                dir.hard_link(from, dir, to)?;
                self.stats.created += 1;
                self.ok(id)
            }
            ExtendedRequest::Statvfs { path } => {
                let rel = self.path(path)?;
                let f = self.root.dir().open(rel)?;
                self.statvfs(id, &f)
            }
            ExtendedRequest::Fstatvfs { handle } => match self.handles.get_mut(handle) {
                Some(Handle::File(f)) => {
                    let file = f.file.try_clone()?;
                    self.statvfs(id, &file)
                }
                Some(Handle::Dir(d)) => {
                    let p = d.path.clone();
                    let f = self.root.dir().open(p)?;
                    self.statvfs(id, &f)
                }
                None => Err(Fail::code(status::FAILURE)),
            },
            ExtendedRequest::Fsync { handle } => {
                let Some(f) = self.handles.file(handle) else {
                    return Err(Fail::code(status::FAILURE));
                };
                f.file.sync_all()?;
                self.ok(id)
            }
            ExtendedRequest::Lsetstat { path, attrs } => {
                self.writable(path)?;
                let rel = self.path(path)?;
                self.set_path(&rel, &attrs, false)?;
                self.ok(id)
            }
            ExtendedRequest::Limits => {
                let l = Limits {
                    max_packet_length: sshgate::sftp::MAX_PACKET as u64,
                    max_read_length: MAX_READ as u64,
                    max_write_length: MAX_READ as u64,
                    max_open_handles: super::handles::MAX_HANDLES as u64,
                };
                let data = l.encode();
                self.send(&Response::ExtendedReply { id, data: &data });
                Ok(())
            }
            ExtendedRequest::ExpandPath { path } => {
                // The user's home is the root.
                let p = match path {
                    b"~" => b"/".as_slice(),
                    p if p.starts_with(b"~/") => &p[1..],
                    p if p.starts_with(b"~") => return Err(Fail::code(status::NO_SUCH_FILE)),
                    p => p,
                };
                let rel = self.path(p)?;
                self.name_reply(id, &FileRoot::client_path(&rel))
            }
            ExtendedRequest::Other { .. } => Err(Fail::code(status::OP_UNSUPPORTED)),
        }
    }

    fn statvfs(&mut self, id: u32, fd: impl std::os::fd::AsFd) -> Reply {
        let s = rustix::fs::fstatvfs(fd).map_err(std::io::Error::from)?;
        let mut flag = 0;
        if s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) || self.root.limits().read_only
        {
            flag |= Statvfs::RDONLY;
        }
        if s.f_flag.contains(rustix::fs::StatVfsMountFlags::NOSUID) {
            flag |= Statvfs::NOSUID;
        }
        let v = Statvfs {
            bsize: s.f_bsize,
            frsize: s.f_frsize,
            blocks: s.f_blocks,
            bfree: s.f_bfree,
            bavail: s.f_bavail,
            files: s.f_files,
            ffree: s.f_ffree,
            favail: s.f_favail,
            fsid: s.f_fsid,
            flag,
            namemax: s.f_namemax,
        };
        let data = v.encode();
        self.send(&Response::ExtendedReply { id, data: &data });
        Ok(())
    }

    /// The session ended: every open handle is closed, staged uploads removed (nothing that
    /// did not reach CLOSE is left under its target's name).
    pub fn finish(&mut self) -> Stats {
        let open: Vec<Handle> = self.handles.drain().collect();
        for h in open {
            if let Handle::File(f) = h {
                let _ = self.finish_file(f, false);
            }
        }
        self.stats
    }
}

/// Changing owner or group needs root; asking for the current ones is a no-op.
fn check_ids(a: &Attrs, m: &cap_std::fs::Metadata) -> Reply {
    use cap_std::fs::MetadataExt;
    match a.uid_gid {
        Some((u, g)) if (u, g) != (m.uid(), m.gid()) => Err(Fail::code(status::PERMISSION_DENIED)),
        _ => Ok(()),
    }
}

fn times(atime: u32, mtime: u32) -> std::fs::FileTimes {
    let t = |s: u32| std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(s));
    std::fs::FileTimes::new()
        .set_accessed(t(atime))
        .set_modified(t(mtime))
}

/// `dir/.name.sftp-PID-N` beside `rel`: hidden, unique, in the same directory so the rename
/// at CLOSE stays on one file system.
fn temp_name(rel: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = rel
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // Long names are cut so the temporary one still fits NAME_MAX.
    let short: String = name.chars().take(200).collect();
    let temp = format!(".{short}.sftp-{}-{n}", std::process::id());
    match rel.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(temp),
        _ => PathBuf::from(temp),
    }
}
