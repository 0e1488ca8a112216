//! File attributes (draft-ietf-secsh-filexfer-02 §5): a flags word saying which fields follow.

use crate::wire::{Reader, WireError, Writer};

/// `SSH_FILEXFER_ATTR_*` flags.
pub mod flags {
    #![allow(missing_docs)]
    pub const SIZE: u32 = 0x0000_0001;
    pub const UIDGID: u32 = 0x0000_0002;
    pub const PERMISSIONS: u32 = 0x0000_0004;
    pub const ACMODTIME: u32 = 0x0000_0008;
    pub const EXTENDED: u32 = 0x8000_0000;
}

/// Extension pairs an ATTRS may carry, at most (each costs at least 8 bytes of input anyway).
const MAX_EXTENDED: u32 = 1024;

/// The attributes of a file; `None` fields are absent from the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Size in bytes.
    pub size: Option<u64>,
    /// Owner and group ids.
    pub uid_gid: Option<(u32, u32)>,
    /// Mode bits, file type included (`st_mode`).
    pub permissions: Option<u32>,
    /// Access and modification times, Unix seconds.
    pub atime_mtime: Option<(u32, u32)>,
    /// Extension pairs (type, data).
    pub extended: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Attrs {
    /// The flags word for the fields present.
    #[must_use]
    pub fn flags(&self) -> u32 {
        let mut f = 0;
        if self.size.is_some() {
            f |= flags::SIZE;
        }
        if self.uid_gid.is_some() {
            f |= flags::UIDGID;
        }
        if self.permissions.is_some() {
            f |= flags::PERMISSIONS;
        }
        if self.atime_mtime.is_some() {
            f |= flags::ACMODTIME;
        }
        if !self.extended.is_empty() {
            f |= flags::EXTENDED;
        }
        f
    }

    /// Reads attributes; unknown flag bits are refused (their fields' sizes are unknown).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let f = r.u32("attrs flags")?;
        if f & !(flags::SIZE
            | flags::UIDGID
            | flags::PERMISSIONS
            | flags::ACMODTIME
            | flags::EXTENDED)
            != 0
        {
            return Err(WireError::Invalid("attrs flags"));
        }
        let mut a = Attrs::default();
        if f & flags::SIZE != 0 {
            a.size = Some(r.u64("attrs size")?);
        }
        if f & flags::UIDGID != 0 {
            a.uid_gid = Some((r.u32("attrs uid")?, r.u32("attrs gid")?));
        }
        if f & flags::PERMISSIONS != 0 {
            a.permissions = Some(r.u32("attrs permissions")?);
        }
        if f & flags::ACMODTIME != 0 {
            a.atime_mtime = Some((r.u32("attrs atime")?, r.u32("attrs mtime")?));
        }
        if f & flags::EXTENDED != 0 {
            let n = r.u32("attrs extended count")?;
            if n > MAX_EXTENDED {
                return Err(WireError::Invalid("attrs extended count"));
            }
            for _ in 0..n {
                let t = r.string("attrs extended type")?.to_vec();
                let d = r.string("attrs extended data")?.to_vec();
                a.extended.push((t, d));
            }
        }
        Ok(a)
    }

    /// Appends the attributes.
    pub fn encode(&self, w: &mut Writer) {
        w.u32(self.flags());
        if let Some(s) = self.size {
            w.u64(s);
        }
        if let Some((u, g)) = self.uid_gid {
            w.u32(u).u32(g);
        }
        if let Some(p) = self.permissions {
            w.u32(p);
        }
        if let Some((a, m)) = self.atime_mtime {
            w.u32(a).u32(m);
        }
        if !self.extended.is_empty() {
            w.u32(u32::try_from(self.extended.len()).unwrap_or(u32::MAX));
            for (t, d) in &self.extended {
                w.string(t).string(d);
            }
        }
    }
}
