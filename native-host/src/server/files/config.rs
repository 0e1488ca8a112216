//! `[files]`, `[scp]` and `[sftp]` in the device file.

use anyhow::bail;
use serde::Deserialize;

/// `[files]`: where each user's files live and what a session may write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSection {
    /// Each user's root directory; `%u` is replaced by the user name (OpenSSH
    /// `ChrootDirectory` tokens). Relative paths are taken from serve's working directory.
    /// The last component is created (mode 0700) at the first transfer if it is missing.
    pub root: String,
    /// The least IOS privilege level that may transfer files (IOS: SCP needs 15).
    #[serde(default = "default_privilege")]
    pub privilege: u8,
    /// Largest file a client may write, in bytes (a bigger upload is refused, its partial file
    /// removed).
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Files and directories a session may create.
    #[serde(default = "default_max_files")]
    pub max_files: u64,
    /// Downloads only.
    #[serde(default)]
    pub read_only: bool,
}

/// `[scp]`: IOS `ip scp server enable`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpSection {
    /// Accept `scp -t` / `scp -f` (the legacy protocol, OpenSSH `scp -O`, PuTTY `pscp -scp`).
    #[serde(default)]
    pub enable: bool,
}

/// `[sftp]`: OpenSSH `Subsystem sftp internal-sftp` (OpenSSH 9's `scp` uses it too).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpSection {
    /// Accept the `sftp` subsystem.
    #[serde(default)]
    pub enable: bool,
}

fn default_privilege() -> u8 {
    15
}

fn default_max_file_bytes() -> u64 {
    64 << 30
}

fn default_max_files() -> u64 {
    100_000
}

/// Checks the three sections together.
pub fn check(
    files: Option<&FilesSection>,
    scp: Option<&ScpSection>,
    sftp: Option<&SftpSection>,
) -> anyhow::Result<()> {
    let wanted = scp.is_some_and(|s| s.enable) || sftp.is_some_and(|s| s.enable);
    let Some(f) = files else {
        if wanted {
            bail!("[scp] / [sftp] enable needs a [files] section with a root");
        }
        return Ok(());
    };
    if f.root.trim().is_empty() {
        bail!("[files] root: empty");
    }
    if f.privilege > 15 {
        bail!("[files] privilege: 0 to 15");
    }
    if f.max_file_bytes == 0 || f.max_files == 0 {
        bail!("[files] max_file_bytes and max_files must be positive");
    }
    Ok(())
}
