//! A file's metadata as SFTP attributes, and the `ls -l` line READDIR sends with each name
//! (OpenSSH's `ls_file`: mode, links, owner, group, size, date, name; ids as numbers).

use cap_std::fs::{Metadata, MetadataExt};
use sshgate::sftp::Attrs;

/// The attributes OpenSSH's sftp-server sends: size, ids, mode, times.
pub fn from_metadata(m: &Metadata) -> Attrs {
    Attrs {
        size: Some(m.size()),
        uid_gid: Some((m.uid(), m.gid())),
        permissions: Some(m.mode()),
        atime_mtime: Some((clamp_time(m.atime()), clamp_time(m.mtime()))),
        extended: Vec::new(),
    }
}

/// SFTP v3 times are uint32 seconds.
fn clamp_time(t: i64) -> u32 {
    u32::try_from(t.max(0)).unwrap_or(u32::MAX)
}

/// `-rw-r--r--    1 1000     1000         1234 Jan  1 12:00 name`.
pub fn longname(name: &str, m: &Metadata, now: i64) -> String {
    let mode = m.mode();
    format!(
        "{} {:>4} {:<8} {:<8} {:>8} {} {}",
        mode_string(mode),
        m.nlink(),
        m.uid(),
        m.gid(),
        m.size(),
        date(m.mtime(), now),
        name
    )
}

fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170_000 {
        0o040_000 => 'd',
        0o120_000 => 'l',
        0o020_000 => 'c',
        0o060_000 => 'b',
        0o010_000 => 'p',
        0o140_000 => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let exec =
        |x: u32, special: u32, set: char, unset: char| match (mode & x != 0, mode & special != 0) {
            (true, true) => set,
            (false, true) => unset,
            (true, false) => 'x',
            (false, false) => '-',
        };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(exec(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(exec(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(exec(0o001, 0o1000, 't', 'T'));
    s
}

/// `Mon dd HH:MM` within six months of now, `Mon dd  YYYY` otherwise (UTC), as `ls`.
fn date(t: i64, now: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let month = MONTHS[(m - 1) as usize];
    if (now - t).abs() < 182 * 86_400 {
        format!("{month} {d:>2} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{month} {d:>2}  {y}")
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_dates_read_as_ls_writes_them() {
        assert_eq!(mode_string(0o100_644), "-rw-r--r--");
        assert_eq!(mode_string(0o040_755), "drwxr-xr-x");
        assert_eq!(mode_string(0o104_755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o041_777), "drwxrwxrwt");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        let t = 1_704_067_200; // 2024-01-01 00:00 UTC
        assert_eq!(date(t, t + 60), "Jan  1 00:00");
        assert_eq!(date(t, t + 400 * 86_400), "Jan  1  2024");
    }
}
