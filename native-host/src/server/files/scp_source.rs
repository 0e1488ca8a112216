//! `scp -f`: the client downloads. Files are opened beneath the root (a symlink out of it is
//! refused by the lookup), directories walked with `-r` in name order, modes sent without
//! setuid, setgid or sticky bits. A file that shrinks while it is sent is padded to its
//! announced size and reported as an error, as OpenSSH does, so the stream stays in step.

use super::scp::{CHUNK, MAX_DEPTH, Step, Transfer, reason, shown};
use sshgate::scp::{Record, valid_name};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

impl<R: Read, W: Write> Transfer<R, W> {
    /// The whole download: the client's first `\0`, then each path.
    pub(super) fn source_main(&mut self) -> Step<()> {
        match self.read_record()? {
            Some(Record::Ok) => {}
            None => return Ok(()),
            Some(_) => return Err(super::scp::Stop::Protocol("expected \\0".into())),
        }
        let paths: Vec<String> = self
            .cmd
            .paths
            .clone()
            .iter()
            .flat_map(|p| self.expand(&shown(p)))
            .collect();
        for path in paths {
            let Ok(rel) = self.root.resolve("/", &path) else {
                self.warn(&format!("{path}: Permission denied"))?;
                continue;
            };
            let name = self.record_name(&rel);
            match self.root.dir().metadata(&rel) {
                Ok(m) if m.is_dir() && self.cmd.recursive => {
                    self.send_dir(&rel, &name, &path, 0)?;
                }
                Ok(m) if m.is_file() => self.send_file(&rel, &name, &path)?,
                Ok(_) => self.warn(&format!("{path}: not a regular file"))?,
                Err(e) => self.warn(&format!("{path}: {}", reason(&e)))?,
            }
        }
        Ok(())
    }

    /// A `*`/`?` pattern in the last component, expanded as the remote shell would have done
    /// (OpenSSH's and PuTTY's clients leave that to it): the matching names in order, hidden
    /// ones only for a pattern that starts with `.`. The path as given when it exists, has no
    /// pattern, or nothing matches (its error then names it).
    fn expand(&self, path: &str) -> Vec<String> {
        let (dir, pattern) = path.rsplit_once('/').unwrap_or(("", path));
        if !pattern.contains(['*', '?']) {
            return vec![path.to_owned()];
        }
        let Ok(rel) = self.root.resolve("/", path) else {
            return vec![path.to_owned()];
        };
        if self.root.dir().symlink_metadata(&rel).is_ok() {
            return vec![path.to_owned()];
        }
        let relative = !path.starts_with('/');
        let parent = match (dir, relative) {
            ("", true) => ".",
            ("", false) => "/",
            (d, _) => d,
        };
        let entries = self
            .root
            .resolve("/", parent)
            .ok()
            .and_then(|p| self.root.dir().read_dir(p).ok());
        let mut names: Vec<String> = entries
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| (pattern.starts_with('.') || !n.starts_with('.')) && wildcard(pattern, n))
            .collect();
        if names.is_empty() {
            return vec![path.to_owned()];
        }
        names.sort();
        names
            .into_iter()
            .map(|n| {
                if dir.is_empty() && relative {
                    n
                } else {
                    format!("{dir}/{n}")
                }
            })
            .collect()
    }

    /// The name a record gives `rel`: its last component; the root's own directory name for
    /// the root (`.` is no name a client takes).
    fn record_name(&self, rel: &Path) -> String {
        rel.file_name()
            .or_else(|| self.root.host_path().file_name())
            .map_or_else(|| "root".into(), |n| n.to_string_lossy().into_owned())
    }

    /// One file: `T` (with `-p`), `C`, the bytes, `\0`.
    fn send_file(&mut self, rel: &Path, name: &str, shown: &str) -> Step<()> {
        let mut file = match self.root.dir().open(rel) {
            Ok(f) => f.into_std(),
            Err(e) => return self.warn(&format!("{shown}: {}", reason(&e))),
        };
        let meta = match file.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => return self.warn(&format!("{shown}: not a regular file")),
            Err(e) => return self.warn(&format!("{shown}: {}", reason(&e))),
        };
        if !valid_name(name) {
            return self.warn(&format!("{shown}: name cannot be sent"));
        }
        if self.cmd.preserve && !self.send_times(&meta)? {
            return Ok(());
        }
        let size = meta.len();
        self.send(&Record::File {
            mode: meta.mode() & 0o777,
            size,
            name: name.to_owned(),
        })?;
        if !self.ack()? {
            self.log("send", shown, size, "refused by the client");
            return Ok(());
        }
        let mut buf = vec![0u8; CHUNK];
        let mut left = size;
        let mut read_error: Option<io::Error> = None;
        while left > 0 {
            let n = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
            let got = if read_error.is_none() {
                match file.read(&mut buf[..n]) {
                    Ok(0) => {
                        read_error = Some(io::ErrorKind::UnexpectedEof.into());
                        0
                    }
                    Ok(k) => k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        read_error = Some(e);
                        0
                    }
                }
            } else {
                0
            };
            if got == 0 {
                // Padding for what could not be read.
                buf[..n].fill(0);
                self.write_data(&buf[..n])?;
                left -= n as u64;
            } else {
                self.write_data(&buf[..got])?;
                left -= got as u64;
            }
        }
        match read_error {
            None => self.send(&Record::Ok)?,
            Some(e) => {
                let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "file changed size".to_owned()
                } else {
                    reason(&e)
                };
                self.warn(&format!("{shown}: {why}"))?;
            }
        }
        let stored = self.ack()?;
        self.log(
            "send",
            shown,
            size,
            if stored { "ok" } else { "failed on the client" },
        );
        Ok(())
    }

    /// `T<mtime> 0 <atime> 0`; false if the client refused it.
    fn send_times(&mut self, meta: &std::fs::Metadata) -> Step<bool> {
        let secs = |s: i64| u64::try_from(s).unwrap_or(0);
        self.send(&Record::Times {
            mtime: secs(meta.mtime()),
            atime: secs(meta.atime()),
        })?;
        self.ack()
    }

    /// One directory (`-r`): `T` (with `-p`), `D`, its entries in name order, `E`.
    fn send_dir(&mut self, rel: &Path, name: &str, shown: &str, depth: usize) -> Step<()> {
        if depth >= MAX_DEPTH {
            return self.warn(&format!("{shown}: too many levels of directories"));
        }
        let dir = match self.root.dir().open_dir(rel) {
            Ok(d) => d,
            Err(e) => return self.warn(&format!("{shown}: {}", reason(&e))),
        };
        let entries = dir.entries().and_then(|it| {
            it.map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        });
        let meta = dir.into_std_file().metadata();
        let (meta, mut names) = match (meta, entries) {
            (Ok(m), Ok(n)) => (m, n),
            (Err(e), _) | (_, Err(e)) => return self.warn(&format!("{shown}: {}", reason(&e))),
        };
        names.sort();
        if !valid_name(name) {
            return self.warn(&format!("{shown}: name cannot be sent"));
        }
        if self.cmd.preserve && !self.send_times(&meta)? {
            return Ok(());
        }
        self.send(&Record::Dir {
            mode: meta.mode() & 0o777,
            name: name.to_owned(),
        })?;
        if !self.ack()? {
            return Ok(());
        }
        for entry in names {
            let Some(entry) = entry.to_str().map(str::to_owned) else {
                self.warn(&format!(
                    "{shown}/{}: name not UTF-8",
                    entry.to_string_lossy()
                ))?;
                continue;
            };
            let child = rel.join(&entry);
            let child_shown = format!("{}/{entry}", shown.trim_end_matches('/'));
            match self.root.dir().metadata(&child) {
                Ok(m) if m.is_dir() => self.send_dir(&child, &entry, &child_shown, depth + 1)?,
                Ok(m) if m.is_file() => self.send_file(&child, &entry, &child_shown)?,
                Ok(_) => self.warn(&format!("{child_shown}: not a regular file"))?,
                Err(e) => self.warn(&format!("{child_shown}: {}", reason(&e)))?,
            }
        }
        self.send(&Record::End)?;
        self.ack()?;
        self.log("send", shown, 0, "directory done");
        Ok(())
    }
}

/// `*` (any run) and `?` (any one character) against the whole of `name`.
fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    let (mut pi, mut si) = (0, 0);
    // The last `*` seen and where in `name` its run would end, to widen it on a mismatch.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards_match_as_the_shell_does() {
        assert!(wildcard("*.txt", "a.txt"));
        assert!(wildcard("*.txt", ".txt"));
        assert!(!wildcard("*.txt", "a.txt.bak"));
        assert!(wildcard("a?c*", "abc"));
        assert!(wildcard("*a*b*", "xxaxxbxx"));
        assert!(!wildcard("*a*b", "xxaxxbxxc"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("?", ""));
        assert!(wildcard("r*1*", "router1.cfg"));
    }
}
