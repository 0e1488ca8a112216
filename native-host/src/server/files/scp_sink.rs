//! `scp -t`: the client uploads. Each file is written to a temporary name beside its target
//! (mode 0600) and renamed over it only once all its bytes and the client's closing `\0` have
//! arrived, so a transfer cut short leaves no file that looks complete; a failed one is removed.
//! Modes keep the client's permission bits, never setuid, setgid or sticky; without `-p`, new
//! files and directories also lose group and other write (a umask of 022, as sshd's default).

use super::scp::{MAX_DEPTH, Step, Stop, Transfer, reason, shown};
use cap_std::fs::{OpenOptions, OpenOptionsExt};
use sshgate::scp::Record;
use std::fs::FileTimes;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// Distinguishes the temporary names of concurrent uploads.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Times from a `T` record: (mtime, atime).
type Times = Option<(u64, u64)>;

/// Where a record's file or directory goes.
struct Target {
    rel: PathBuf,
    shown: String,
}

impl<R: Read, W: Write> Transfer<R, W> {
    /// The whole upload.
    pub(super) fn sink_main(&mut self) -> Step<()> {
        let path = shown(&self.cmd.paths[0]);
        if self.root.limits().read_only {
            return self.warn(&format!("{path}: Read-only file system"));
        }
        let Ok(rel) = self.root.resolve("/", &path) else {
            return self.warn(&format!("{path}: Permission denied"));
        };
        let is_dir = self.root.dir().metadata(&rel).is_ok_and(|m| m.is_dir());
        if self.cmd.target_dir && !is_dir {
            return self.warn(&format!("{path}: Not a directory"));
        }
        self.send(&Record::Ok)?;
        self.sink(&rel, is_dir, &path, 0)
    }

    /// Records into `target` (a directory when `is_dir`, else the one file or directory the
    /// client sends) until `E` (below the top) or the client's EOF (at the top).
    fn sink(&mut self, target: &Path, is_dir: bool, shown: &str, depth: usize) -> Step<()> {
        let mut times: Times = None;
        loop {
            let Some(record) = self.read_record()? else {
                return if depth == 0 { Ok(()) } else { Err(Stop::Eof) };
            };
            let place = |name: &str| {
                if is_dir {
                    Target {
                        rel: target.join(name),
                        shown: format!("{}/{name}", shown.trim_end_matches('/')),
                    }
                } else {
                    Target {
                        rel: target.to_path_buf(),
                        shown: shown.to_owned(),
                    }
                }
            };
            match record {
                // The client could not read one of its files and goes on.
                Record::Warning(_) => self.note_failure(),
                Record::Fatal(_) => return Err(Stop::Fatal),
                Record::End if depth > 0 => return self.send(&Record::Ok),
                Record::Times { mtime, atime } => {
                    times = Some((mtime, atime));
                    self.send(&Record::Ok)?;
                    continue;
                }
                Record::Dir { mode, name } => {
                    if !self.cmd.recursive {
                        return Err(Stop::Protocol("received directory without -r".into()));
                    }
                    if depth >= MAX_DEPTH {
                        return Err(Stop::Protocol("directories nested too deep".into()));
                    }
                    self.sink_dir(&place(&name), mode, times, depth)?;
                }
                Record::File { mode, size, name } => {
                    self.sink_file(&place(&name), mode, size, times)?;
                }
                Record::Ok | Record::End => {
                    return Err(Stop::Protocol("expected control record".into()));
                }
            }
            times = None;
        }
    }

    /// A `D` record: the directory made (or found), its contents, then its mode and times.
    fn sink_dir(&mut self, t: &Target, mode: u32, times: Times, depth: usize) -> Step<()> {
        let new = match self.root.dir().metadata(&t.rel) {
            Ok(m) if m.is_dir() => false,
            Ok(_) => return self.warn(&format!("{}: Not a directory", t.shown)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !self.may_create() {
                    return self.warn(&format!("{}: Disk quota exceeded", t.shown));
                }
                if let Err(e) = self.root.dir().create_dir(&t.rel) {
                    return self.warn(&format!("{}: {}", t.shown, reason(&e)));
                }
                true
            }
            Err(e) => return self.warn(&format!("{}: {}", t.shown, reason(&e))),
        };
        // Writable by us while the contents arrive, whatever the client's mode says.
        if new {
            let _ = self.set_dir_attrs(&t.rel, 0o700, None);
        }
        self.send(&Record::Ok)?;
        self.sink(&t.rel, true, &t.shown, depth + 1)?;
        let final_mode = if self.cmd.preserve {
            Some(mode & 0o777)
        } else {
            new.then_some((mode & 0o755) | 0o700)
        };
        let times = times.filter(|_| self.cmd.preserve);
        if let Some(m) = final_mode
            && let Err(e) = self.set_dir_attrs(&t.rel, m, times)
        {
            return self.warn(&format!("{}: set mode: {}", t.shown, reason(&e)));
        }
        self.log("receive", &t.shown, 0, "directory done");
        Ok(())
    }

    fn set_dir_attrs(&self, rel: &Path, mode: u32, times: Times) -> io::Result<()> {
        // A descriptor that can take fchmod/futimens (cap-std's `open_dir` gives an O_PATH one).
        let dir = self
            .root
            .dir()
            .open_with(rel, OpenOptions::new().read(true))?
            .into_std();
        dir.set_permissions(std::fs::Permissions::from_mode(mode))?;
        if let Some(t) = times {
            dir.set_times(file_times(t))?;
        }
        Ok(())
    }

    /// A `C` record: checks, the bytes to a temporary file, the client's `\0`, the rename.
    fn sink_file(&mut self, t: &Target, mode: u32, size: u64, times: Times) -> Step<()> {
        let limit = self.root.limits().max_file_bytes;
        if size > limit {
            self.log("receive", &t.shown, size, "refused: above max_file_bytes");
            return self.warn(&format!("{}: File too large", t.shown));
        }
        match self.root.dir().metadata(&t.rel) {
            Ok(m) if m.is_dir() => return self.warn(&format!("{}: Is a directory", t.shown)),
            Ok(m) if !m.is_file() => {
                return self.warn(&format!("{}: Not a regular file", t.shown));
            }
            // Replacing a file creates nothing new.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !self.may_create() {
                    self.log("receive", &t.shown, size, "refused: max_files");
                    return self.warn(&format!("{}: Disk quota exceeded", t.shown));
                }
            }
            Err(e) => return self.warn(&format!("{}: {}", t.shown, reason(&e))),
        }
        let temp = temp_name(&t.rel);
        let file = self.root.dir().open_with(
            &temp,
            OpenOptions::new().write(true).create_new(true).mode(0o600),
        );
        let mut file = match file {
            Ok(f) => f.into_std(),
            Err(e) => return self.warn(&format!("{}: {}", t.shown, reason(&e))),
        };
        // From here the temporary file goes unless it is renamed.
        let outcome = self.receive_into(&mut file, size);
        let kept = match outcome {
            Ok(Ok(())) => {
                let final_mode = if self.cmd.preserve {
                    mode & 0o777
                } else {
                    mode & 0o755
                };
                finish(&file, final_mode, times.filter(|_| self.cmd.preserve))
                    .and_then(|()| self.root.dir().rename(&temp, self.root.dir(), &t.rel))
                    .map_err(|e| reason(&e))
            }
            Ok(Err(why)) => Err(why),
            Err(stop) => {
                let _ = self.root.dir().remove_file(&temp);
                self.log("receive", &t.shown, size, "cut short");
                return Err(stop);
            }
        };
        drop(file);
        match kept {
            Ok(()) => {
                self.log("receive", &t.shown, size, "ok");
                self.send(&Record::Ok)
            }
            Err(why) => {
                let _ = self.root.dir().remove_file(&temp);
                self.log("receive", &t.shown, size, &why);
                if why.is_empty() {
                    // The client reported its own failure already.
                    self.note_failure();
                    Ok(())
                } else {
                    self.warn(&format!("{}: {why}", t.shown))
                }
            }
        }
    }

    /// Acknowledges the `C` record, copies `size` bytes into `file`, reads the client's
    /// closing record. The inner error is the reason to give the client (empty: the client
    /// already said it failed); the outer one ends the transfer.
    fn receive_into(&mut self, file: &mut std::fs::File, size: u64) -> Step<Result<(), String>> {
        self.send(&Record::Ok)?;
        let mut left = size;
        let mut write_error: Option<io::Error> = None;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX);
            let chunk = self.data(want)?;
            let n = chunk.len();
            // After a write error the rest is read and dropped, so the stream stays in step.
            if write_error.is_none()
                && let Err(e) = file.write_all(chunk)
            {
                write_error = Some(e);
            }
            self.consume(n);
            left -= n as u64;
        }
        match self.read_record()? {
            Some(Record::Ok) => {}
            Some(Record::Warning(_)) => return Ok(Err(String::new())),
            Some(Record::Fatal(_)) => return Err(Stop::Fatal),
            None => return Err(Stop::Eof),
            Some(_) => return Err(Stop::Protocol("expected an acknowledgement".into())),
        }
        Ok(match write_error {
            Some(e) => Err(reason(&e)),
            None => Ok(()),
        })
    }
}

/// `.NAME.scp-PID-N` beside `rel`: hidden, and not the name the client asked for.
fn temp_name(rel: &Path) -> PathBuf {
    let name = rel
        .file_name()
        .map_or_else(|| "upload".into(), |n| n.to_string_lossy().into_owned());
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = format!(".{name}.scp-{}-{n}", std::process::id());
    match rel.parent() {
        Some(p) => p.join(temp),
        None => PathBuf::from(temp),
    }
}

/// The final mode and (with `-p`) times of a received file.
fn finish(file: &std::fs::File, mode: u32, times: Times) -> io::Result<()> {
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    if let Some(t) = times {
        file.set_times(file_times(t))?;
    }
    Ok(())
}

fn file_times((mtime, atime): (u64, u64)) -> FileTimes {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    FileTimes::new()
        .set_modified(at(mtime))
        .set_accessed(at(atime))
}
