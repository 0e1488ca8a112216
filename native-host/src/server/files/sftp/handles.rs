//! The open handles of one SFTP session: files and directory listings, by a 4-byte id that is
//! never reused within the session, at most [`MAX_HANDLES`] at once.

use cap_std::fs::ReadDir;
use std::collections::HashMap;
use std::path::PathBuf;

/// Handles open at once per session (OpenSSH's sftp-server allows 512 in its table; the
/// client keeps one or two).
pub const MAX_HANDLES: usize = 256;

/// An open file.
pub struct FileHandle {
    pub file: std::fs::File,
    /// Where the file is, relative to the root (its final name).
    pub path: PathBuf,
    /// The upload goes to this temporary name beside `path`, renamed over it at CLOSE.
    pub temp: Option<PathBuf>,
    pub writable: bool,
    pub append: bool,
    /// Opened for writing and created by this open (removed if the upload is refused).
    pub created: bool,
    /// A write past `max_file_bytes` was refused: the file is not kept.
    pub doomed: bool,
    /// Bytes moved through this handle, for the log.
    pub bytes_read: u64,
    pub bytes_written: u64,
}

/// An open directory listing.
pub struct DirHandle {
    pub path: PathBuf,
    pub entries: ReadDir,
}

/// A handle's object.
pub enum Handle {
    File(FileHandle),
    Dir(DirHandle),
}

/// The table.
#[derive(Default)]
pub struct Handles {
    open: HashMap<u32, Handle>,
    next: u32,
}

impl Handles {
    /// Whether another handle may be opened.
    pub fn full(&self) -> bool {
        self.open.len() >= MAX_HANDLES
    }

    /// Keeps `h`; its handle string.
    pub fn insert(&mut self, h: Handle) -> [u8; 4] {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.open.insert(id, h);
        id.to_be_bytes()
    }

    fn key(handle: &[u8]) -> Option<u32> {
        Some(u32::from_be_bytes(handle.try_into().ok()?))
    }

    pub fn get_mut(&mut self, handle: &[u8]) -> Option<&mut Handle> {
        self.open.get_mut(&Self::key(handle)?)
    }

    pub fn file(&mut self, handle: &[u8]) -> Option<&mut FileHandle> {
        match self.get_mut(handle)? {
            Handle::File(f) => Some(f),
            Handle::Dir(_) => None,
        }
    }

    pub fn remove(&mut self, handle: &[u8]) -> Option<Handle> {
        self.open.remove(&Self::key(handle)?)
    }

    /// Every handle still open (the session ended).
    pub fn drain(&mut self) -> impl Iterator<Item = Handle> + '_ {
        self.open.drain().map(|(_, h)| h)
    }
}
