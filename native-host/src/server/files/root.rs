//! One user's file root: the directory the client sees as `/`, and the mapping of a client's
//! path to a path beneath it.

use super::config::FilesSection;
use anyhow::{Context, bail};
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::path::{Component, Path, PathBuf};

/// What one session may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file a client may write.
    pub max_file_bytes: u64,
    /// Files and directories a session may create.
    pub max_files: u64,
    /// Downloads only.
    pub read_only: bool,
}

/// A user's root, open. Every file operation goes through [`FileRoot::dir`] with a path from
/// [`FileRoot::resolve`], so nothing is reached by an ambient (absolute) path after this.
#[derive(Debug)]
pub struct FileRoot {
    dir: Dir,
    path: PathBuf,
    limits: Limits,
}

impl FileRoot {
    /// Opens `user`'s root, creating its last component (0700) if missing; refuses users below
    /// `[files] privilege`.
    pub fn open(files: &FilesSection, user: &str, privilege: u8) -> anyhow::Result<Self> {
        if privilege < files.privilege {
            bail!(
                "privilege {privilege} is below [files] privilege {}",
                files.privilege
            );
        }
        let path = root_path(&files.root, user)?;
        if !path.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        let dir = Dir::open_ambient_dir(&path, ambient_authority())
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            dir,
            path,
            limits: Limits {
                max_file_bytes: files.max_file_bytes,
                max_files: files.max_files,
                read_only: files.read_only,
            },
        })
    }

    /// Opens an existing directory as a root (tests).
    #[cfg(test)]
    pub fn at(path: &Path, limits: Limits) -> anyhow::Result<Self> {
        let dir = Dir::open_ambient_dir(path, ambient_authority())
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            dir,
            path: path.to_path_buf(),
            limits,
        })
    }

    /// The root, to open paths beneath.
    #[must_use]
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Where the root is on the server (for logs only).
    #[must_use]
    pub fn host_path(&self) -> &Path {
        &self.path
    }

    /// The session's limits.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Maps a client's path (relative to `cwd`, or absolute from the root's `/`) to a path
    /// relative to the root, `.` for the root itself. `..` may not climb above the root, and a
    /// NUL byte is refused; symlinks are left to the kernel's beneath-the-root lookup.
    pub fn resolve(&self, cwd: &str, client: &str) -> anyhow::Result<PathBuf> {
        resolve(cwd, client)
    }

    /// The client's absolute view (`/a/b`) of a path from [`FileRoot::resolve`].
    #[must_use]
    pub fn client_path(rel: &Path) -> String {
        let mut s = String::from("/");
        let mut first = true;
        for c in rel.components() {
            if let Component::Normal(n) = c {
                if !first {
                    s.push('/');
                }
                s.push_str(&n.to_string_lossy());
                first = false;
            }
        }
        s
    }
}

/// `[files] root` with `%u` (and `%%`) expanded for `user`.
fn root_path(template: &str, user: &str) -> anyhow::Result<PathBuf> {
    // A user name becomes a path component: it must be one.
    if user.is_empty() || user == "." || user == ".." || user.contains(['/', '\0']) {
        bail!("user name {user:?} cannot name a directory");
    }
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => out.push_str(user),
            Some('%') => out.push('%'),
            other => bail!("[files] root: unknown token %{}", other.unwrap_or(' ')),
        }
    }
    Ok(PathBuf::from(out))
}

/// The lexical part of [`FileRoot::resolve`].
fn resolve(cwd: &str, client: &str) -> anyhow::Result<PathBuf> {
    if client.contains('\0') || cwd.contains('\0') {
        bail!("a path may not contain NUL");
    }
    let joined = if client.starts_with('/') {
        client.to_owned()
    } else {
        format!("{cwd}/{client}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    bail!("{client:?} leads above the root");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(PathBuf::from("."));
    }
    Ok(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_paths_stay_beneath_the_root() {
        assert_eq!(resolve("/", "/").unwrap(), PathBuf::from("."));
        assert_eq!(resolve("/", "a/b").unwrap(), PathBuf::from("a/b"));
        assert_eq!(resolve("/a", "b/../c").unwrap(), PathBuf::from("a/c"));
        assert_eq!(
            resolve("/a", "/etc/passwd").unwrap(),
            PathBuf::from("etc/passwd")
        );
        assert_eq!(resolve("/a/b", "../..").unwrap(), PathBuf::from("."));
        assert!(resolve("/", "..").is_err());
        assert!(resolve("/a", "../../x").is_err());
        assert!(resolve("/", "/../etc").is_err());
        assert!(resolve("/", "a\0b").is_err());
        assert_eq!(FileRoot::client_path(Path::new("a/c")), "/a/c");
        assert_eq!(FileRoot::client_path(Path::new(".")), "/");
    }

    #[test]
    fn root_template_takes_the_user_as_one_component() {
        assert_eq!(
            root_path("/srv/%u", "lab").unwrap(),
            PathBuf::from("/srv/lab")
        );
        assert_eq!(root_path("x%%/%u", "a").unwrap(), PathBuf::from("x%/a"));
        assert!(root_path("/srv/%u", "..").is_err());
        assert!(root_path("/srv/%u", "a/b").is_err());
        assert!(root_path("/srv/%x", "a").is_err());
    }

    #[test]
    fn a_symlink_out_of_the_root_is_refused_by_the_lookup() {
        let base = std::env::temp_dir().join(format!("sshgate-root-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(base.join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../secret", root.join("rel")).unwrap();
        std::fs::write(root.join("inside"), b"ok").unwrap();
        let limits = Limits {
            max_file_bytes: 1,
            max_files: 1,
            read_only: true,
        };
        let r = FileRoot::at(&root, limits).unwrap();
        assert!(r.dir().open("abs").is_err());
        assert!(r.dir().open("rel").is_err());
        assert!(r.dir().open("inside").is_ok());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
