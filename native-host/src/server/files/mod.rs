//! File transfer on the device: SCP (IOS `ip scp server enable`) and the SFTP subsystem share
//! one configuration (`[files]`) and one rule for paths ([`root::FileRoot`]).
//!
//! Each user who may transfer files gets a directory of their own, which the client sees as `/`
//! (as OpenSSH's `ChrootDirectory` with `internal-sftp`): a client's absolute path is taken
//! inside it, `..` cannot climb above it, and every file is opened beneath it by the kernel
//! (cap-std: `openat2(RESOLVE_BENEATH)` where Linux has it, a checked component walk where not),
//! so a symlink that points out of the root is refused too.

pub mod config;
pub mod root;
pub mod scp;
mod scp_sink;
mod scp_source;
pub mod sftp;

pub use config::{FilesSection, ScpSection, SftpSection};
#[allow(unused_imports)]
pub use root::{FileRoot, Limits};
