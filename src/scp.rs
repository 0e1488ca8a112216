//! The legacy SCP protocol (rcp's, as OpenSSH's `scp -O` and PuTTY's `pscp -scp` speak it),
//! sans-IO: the control records of one direction, the acknowledgements of the other, and the
//! `scp -t|-f` command line the copying side sends as its `exec` request.
//!
//! The side that sends files (source) writes `C<mode> <size> <name>\n` then the file's bytes
//! then `\0`; `D<mode> 0 <name>\n` ... `E\n` around a directory; `T<mtime> 0 <atime> 0\n`
//! before either to carry times. The receiving side (sink) answers each with `\0`, or
//! `\1message\n` (this one failed, go on) or `\2message\n` (stop). A line is at most
//! [`MAX_LINE`] bytes, checked before it is kept; a name is one path component.

use std::fmt;

/// Longest control line taken, newline included (OpenSSH's sink reads into a 2048-byte buffer;
/// a name may be longer than that on some systems).
pub const MAX_LINE: usize = 4096;

/// Highest mode a record may carry (permission, setuid, setgid and sticky bits).
pub const MAX_MODE: u32 = 0o7777;

/// One record of the protocol, either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `\0`: go on.
    Ok,
    /// `\1message\n`: this step failed, the transfer goes on.
    Warning(String),
    /// `\2message\n`: the transfer stops.
    Fatal(String),
    /// `C<mode> <size> <name>\n`: a file's bytes follow the sink's `\0`.
    File {
        /// Permission bits (at most [`MAX_MODE`]).
        mode: u32,
        /// Bytes that follow.
        size: u64,
        /// One path component.
        name: String,
    },
    /// `D<mode> 0 <name>\n`: the records up to the matching [`Record::End`] are inside.
    Dir {
        /// Permission bits (at most [`MAX_MODE`]).
        mode: u32,
        /// One path component.
        name: String,
    },
    /// `E\n`: the current directory is complete.
    End,
    /// `T<mtime> <usec> <atime> <usec>\n`: times of the next file or directory.
    Times {
        /// Modification time, seconds since the epoch.
        mtime: u64,
        /// Access time, seconds since the epoch.
        atime: u64,
    },
}

/// Why a record or command line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScpError {
    /// A line longer than [`MAX_LINE`].
    LineTooLong,
    /// A line whose first byte is no record type.
    UnknownRecord(u8),
    /// A mode that is not octal or above [`MAX_MODE`].
    BadMode,
    /// A size or time that is not a decimal number that fits.
    BadNumber(&'static str),
    /// A field not followed by its single space.
    NotDelimited(&'static str),
    /// A name that is empty, `.`, `..`, or holds `/`, NUL or a newline.
    BadName,
    /// A line that is not UTF-8 where text is needed.
    NotUtf8,
    /// The command line is not one scp's remote side accepts.
    BadCommand(&'static str),
}

impl fmt::Display for ScpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // OpenSSH's words where it has them (its sink's "protocol error: ...").
        match self {
            ScpError::LineTooLong => f.write_str("line too long"),
            ScpError::UnknownRecord(b) => write!(f, "unexpected <0x{b:02x}>"),
            ScpError::BadMode => f.write_str("bad mode"),
            ScpError::BadNumber(what) => write!(f, "{what} not a number"),
            ScpError::NotDelimited(what) => write!(f, "{what} not delimited"),
            ScpError::BadName => f.write_str("unexpected filename"),
            ScpError::NotUtf8 => f.write_str("name not UTF-8"),
            ScpError::BadCommand(why) => write!(f, "scp: {why}"),
        }
    }
}

impl std::error::Error for ScpError {}

/// Whether `name` may name a file in a record: one path component.
#[must_use]
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0', '\n'])
}

impl Record {
    /// The record's bytes. A name that is not one component is refused, and a message's
    /// newlines become spaces (the record ends at the first).
    pub fn encode(&self) -> Result<Vec<u8>, ScpError> {
        let text = match self {
            Record::Ok => return Ok(vec![0]),
            Record::Warning(m) => format!("\x01{}\n", one_line(m)),
            Record::Fatal(m) => format!("\x02{}\n", one_line(m)),
            Record::File { mode, size, name } => {
                check_out(*mode, name)?;
                format!("C{mode:04o} {size} {name}\n")
            }
            Record::Dir { mode, name } => {
                check_out(*mode, name)?;
                format!("D{mode:04o} 0 {name}\n")
            }
            Record::End => "E\n".to_owned(),
            Record::Times { mtime, atime } => format!("T{mtime} 0 {atime} 0\n"),
        };
        // What we write, the other side's decoder (ours too) must take: a name too long for a
        // line is refused here, not there.
        if text.len() > MAX_LINE {
            return Err(ScpError::LineTooLong);
        }
        Ok(text.into_bytes())
    }

    /// Parses one complete record: `\0` alone, or a line without its `\n`.
    pub fn parse(line: &[u8]) -> Result<Record, ScpError> {
        let Some((&kind, rest)) = line.split_first() else {
            return Err(ScpError::UnknownRecord(b'\n'));
        };
        if line.len() >= MAX_LINE {
            return Err(ScpError::LineTooLong);
        }
        match kind {
            0 if rest.is_empty() => Ok(Record::Ok),
            1 => Ok(Record::Warning(String::from_utf8_lossy(rest).into_owned())),
            2 => Ok(Record::Fatal(String::from_utf8_lossy(rest).into_owned())),
            b'E' if rest.is_empty() => Ok(Record::End),
            b'T' => parse_times(rest),
            b'C' | b'D' => {
                let (mode, rest) = parse_mode(rest)?;
                let (size, rest) = number(rest, "size")?;
                let name = std::str::from_utf8(rest).map_err(|_| ScpError::NotUtf8)?;
                if !valid_name(name) {
                    return Err(ScpError::BadName);
                }
                let name = name.to_owned();
                Ok(if kind == b'C' {
                    Record::File { mode, size, name }
                } else {
                    // A directory's size field means nothing (OpenSSH sends 0, reads none).
                    Record::Dir { mode, name }
                })
            }
            other => Err(ScpError::UnknownRecord(other)),
        }
    }
}

fn check_out(mode: u32, name: &str) -> Result<(), ScpError> {
    if mode > MAX_MODE {
        return Err(ScpError::BadMode);
    }
    if !valid_name(name) {
        return Err(ScpError::BadName);
    }
    Ok(())
}

/// A message as one line that fits a record: CR and LF become spaces, and it is cut (at a
/// character) so that kind byte, text and newline stay within [`MAX_LINE`].
fn one_line(m: &str) -> String {
    let mut end = m.len().min(MAX_LINE - 2);
    while !m.is_char_boundary(end) {
        end -= 1;
    }
    m[..end].replace(['\n', '\r'], " ")
}

/// Octal digits (at most six, value at most [`MAX_MODE`]) then a space.
fn parse_mode(s: &[u8]) -> Result<(u32, &[u8]), ScpError> {
    let digits = s.iter().take_while(|b| (b'0'..=b'7').contains(b)).count();
    if digits == 0 || digits > 6 {
        return Err(ScpError::BadMode);
    }
    let mode = s[..digits]
        .iter()
        .fold(0u32, |m, b| (m << 3) | u32::from(b - b'0'));
    if mode > MAX_MODE {
        return Err(ScpError::BadMode);
    }
    match s.get(digits) {
        Some(b' ') => Ok((mode, &s[digits + 1..])),
        _ => Err(ScpError::NotDelimited("mode")),
    }
}

/// Decimal digits that fit a u64, then a space.
fn number<'a>(s: &'a [u8], what: &'static str) -> Result<(u64, &'a [u8]), ScpError> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(ScpError::BadNumber(what));
    }
    let mut n: u64 = 0;
    for b in &s[..digits] {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(ScpError::BadNumber(what))?;
    }
    match s.get(digits) {
        Some(b' ') => Ok((n, &s[digits + 1..])),
        _ => Err(ScpError::NotDelimited(what)),
    }
}

/// `<mtime> <usec> <atime> <usec>` (the microseconds are checked, then dropped).
fn parse_times(s: &[u8]) -> Result<Record, ScpError> {
    let mut line = s.to_vec();
    line.push(b' ');
    let (mtime, rest) = number(&line, "mtime.sec")?;
    let (musec, rest) = number(rest, "mtime.usec")?;
    let (atime, rest) = number(rest, "atime.sec")?;
    let (ausec, rest) = number(rest, "atime.usec")?;
    // Times past i64 are no times a file system keeps.
    if !rest.is_empty() || musec > 999_999 || ausec > 999_999 {
        return Err(ScpError::NotDelimited("atime.usec"));
    }
    if i64::try_from(mtime).is_err() || i64::try_from(atime).is_err() {
        return Err(ScpError::BadNumber("time"));
    }
    Ok(Record::Times { mtime, atime })
}

/// Collects one record at a time from a byte stream, never holding more than [`MAX_LINE`].
#[derive(Debug, Default)]
pub struct Decoder {
    line: Vec<u8>,
}

impl Decoder {
    /// A decoder between records.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes bytes from `input` up to the end of one record. Returns how many were taken (the
    /// bytes after a record, a file's contents say, are left) and the record once complete.
    pub fn push(&mut self, input: &[u8]) -> (usize, Option<Result<Record, ScpError>>) {
        if self.line.is_empty() {
            match input.first() {
                None => return (0, None),
                // `\0` is a whole record.
                Some(0) => return (1, Some(Ok(Record::Ok))),
                Some(_) => {}
            }
        }
        let room = MAX_LINE - self.line.len();
        match input.iter().position(|&b| b == b'\n') {
            Some(i) if i < room => {
                self.line.extend_from_slice(&input[..i]);
                let line = std::mem::take(&mut self.line);
                (i + 1, Some(Record::parse(&line)))
            }
            _ if input.len() >= room => {
                self.line.clear();
                (input.len().min(room), Some(Err(ScpError::LineTooLong)))
            }
            _ => {
                self.line.extend_from_slice(input);
                (input.len(), None)
            }
        }
    }

    /// Bytes of an unfinished record held.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.line.len()
    }
}

/// Which way the remote side copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `-t`: receive files (the client uploads).
    Sink,
    /// `-f`: send files (the client downloads).
    Source,
}

/// The command line of scp's remote side: `scp [-r] [-p] [-d] [-v] -t|-f [--] path...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `-t` or `-f`.
    pub direction: Direction,
    /// `-r`: directories too.
    pub recursive: bool,
    /// `-p`: times and modes.
    pub preserve: bool,
    /// `-d`: the target must be a directory.
    pub target_dir: bool,
    /// `-v`.
    pub verbose: bool,
    /// The sink's one target, or the source's files.
    pub paths: Vec<String>,
}

/// Longest command line parsed (the engine bounds an exec line already; this bounds the words).
const MAX_COMMAND: usize = 64 * 1024;

impl Command {
    /// Parses an `exec` line: `None` when it does not run `scp` (another command), an error when
    /// it does but not as scp's remote side. Words are split as a POSIX shell would (quotes,
    /// backslashes), without expansions: no globbing, no variables.
    pub fn parse(line: &str) -> Option<Result<Command, ScpError>> {
        if line.len() > MAX_COMMAND {
            return None;
        }
        let words = match split_words(line) {
            Ok(w) => w,
            Err(e) => {
                return line
                    .split_whitespace()
                    .next()
                    .is_some_and(is_scp)
                    .then_some(Err(e));
            }
        };
        let (first, args) = words.split_first()?;
        if !is_scp(first) {
            return None;
        }
        Some(Self::from_args(args))
    }

    fn from_args(args: &[String]) -> Result<Command, ScpError> {
        let mut direction = None;
        let (mut recursive, mut preserve, mut target_dir, mut verbose) =
            (false, false, false, false);
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
                break;
            };
            for c in flags.chars() {
                match c {
                    't' | 'f' => {
                        let d = if c == 't' {
                            Direction::Sink
                        } else {
                            Direction::Source
                        };
                        if direction.is_some_and(|x| x != d) {
                            return Err(ScpError::BadCommand("both -t and -f"));
                        }
                        direction = Some(d);
                    }
                    'r' => recursive = true,
                    'p' => preserve = true,
                    'd' => target_dir = true,
                    'v' => verbose = true,
                    // Quiet: nothing is printed anyway.
                    'q' => {}
                    _ => return Err(ScpError::BadCommand("unknown option")),
                }
            }
            i += 1;
        }
        let direction = direction.ok_or(ScpError::BadCommand("neither -t nor -f"))?;
        let paths: Vec<String> = args[i..].to_vec();
        match (direction, paths.len()) {
            (_, 0) => return Err(ScpError::BadCommand("no path")),
            (Direction::Sink, n) if n > 1 => return Err(ScpError::BadCommand("ambiguous target")),
            _ => {}
        }
        Ok(Command {
            direction,
            recursive,
            preserve,
            target_dir,
            verbose,
            paths,
        })
    }

    /// The line to send as the `exec` request, each path single-quoted for the remote shell.
    #[must_use]
    pub fn to_line(&self) -> String {
        let mut s = String::from("scp");
        for (on, flag) in [
            (self.verbose, " -v"),
            (self.recursive, " -r"),
            (self.preserve, " -p"),
            (self.target_dir, " -d"),
        ] {
            if on {
                s.push_str(flag);
            }
        }
        s.push_str(match self.direction {
            Direction::Sink => " -t --",
            Direction::Source => " -f --",
        });
        for p in &self.paths {
            s.push_str(" '");
            s.push_str(&p.replace('\'', "'\\''"));
            s.push('\'');
        }
        s
    }
}

fn is_scp(word: &str) -> bool {
    word == "scp" || word.ends_with("/scp")
}

/// Splits a line into words as `sh` does for quoting only: `'...'` literal, `"..."` with
/// `\"`, `\\`, `\$`, `` \` `` escapes, `\x` outside quotes is `x`.
fn split_words(line: &str) -> Result<Vec<String>, ScpError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(ScpError::BadCommand("unterminated quote")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err(ScpError::BadCommand("unterminated quote")),
                        },
                        Some(c) => w.push(c),
                        None => return Err(ScpError::BadCommand("unterminated quote")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err(ScpError::BadCommand("trailing backslash")),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Record, ScpError> {
        Record::parse(s)
    }

    #[test]
    fn records_round_trip() {
        let all = [
            Record::Ok,
            Record::Warning("scp: a: No such file or directory".into()),
            Record::Fatal("scp: protocol error".into()),
            Record::File {
                mode: 0o644,
                size: u64::MAX,
                name: "a b.txt".into(),
            },
            Record::Dir {
                mode: 0o7755,
                name: "d".into(),
            },
            Record::End,
            Record::Times {
                mtime: 1_700_000_000,
                atime: 0,
            },
        ];
        for r in all {
            let bytes = r.encode().unwrap();
            let mut d = Decoder::new();
            let mut stream = bytes.clone();
            stream.extend_from_slice(b"rest");
            let (n, got) = d.push(&stream);
            assert_eq!(n, bytes.len(), "{r:?}");
            assert_eq!(got, Some(Ok(r)));
        }
        assert_eq!(
            Record::File {
                mode: 0o644,
                size: 5,
                name: "x".into()
            }
            .encode()
            .unwrap(),
            b"C0644 5 x\n"
        );
        assert_eq!(
            Record::Warning("two\nlines".into()).encode().unwrap(),
            b"\x01two lines\n"
        );
    }

    /// Found by the `transfer` fuzz target: a warning whose invalid UTF-8 grew (each bad byte
    /// becomes a three-byte U+FFFD) encoded to a line our own decoder refused.
    #[test]
    fn what_encode_writes_fits_a_line() {
        let long = "\u{fffd}".repeat(MAX_LINE);
        let bytes = Record::Fatal(long).encode().unwrap();
        assert!(bytes.len() <= MAX_LINE);
        let line = bytes.strip_suffix(b"\n").unwrap();
        assert!(matches!(parse(line), Ok(Record::Fatal(_))));
        let name = "n".repeat(MAX_LINE);
        let file = Record::File {
            mode: 0o644,
            size: 1,
            name,
        };
        assert_eq!(file.encode(), Err(ScpError::LineTooLong));
    }

    #[test]
    fn malformed_records_are_refused() {
        assert_eq!(parse(b"C0644 5 "), Err(ScpError::BadName));
        assert_eq!(parse(b"C0644 5 a/b"), Err(ScpError::BadName));
        assert_eq!(parse(b"C0644 5 .."), Err(ScpError::BadName));
        assert_eq!(parse(b"D0755 0 ."), Err(ScpError::BadName));
        assert_eq!(parse(b"C0644 5 a\0b"), Err(ScpError::BadName));
        assert_eq!(parse(b"C0844 5 a"), Err(ScpError::NotDelimited("mode")));
        assert_eq!(parse(b"C17777 5 a"), Err(ScpError::BadMode));
        assert_eq!(parse(b"C 5 a"), Err(ScpError::BadMode));
        assert_eq!(parse(b"C0644  5 a"), Err(ScpError::BadNumber("size")));
        assert_eq!(parse(b"C0644 -5 a"), Err(ScpError::BadNumber("size")));
        assert_eq!(
            parse(b"C0644 18446744073709551616 a"),
            Err(ScpError::BadNumber("size"))
        );
        assert_eq!(parse(b"C0644 5"), Err(ScpError::NotDelimited("size")));
        assert_eq!(parse(b"C0644"), Err(ScpError::NotDelimited("mode")));
        assert_eq!(parse(b"C0644 5 \xff"), Err(ScpError::NotUtf8));
        assert_eq!(parse(b"T1 0 2"), Err(ScpError::BadNumber("atime.usec")));
        assert_eq!(
            parse(b"T1 1000000 2 0"),
            Err(ScpError::NotDelimited("atime.usec"))
        );
        assert_eq!(
            parse(b"T1 0 2 0 3"),
            Err(ScpError::NotDelimited("atime.usec"))
        );
        assert_eq!(
            parse(b"T9223372036854775808 0 2 0"),
            Err(ScpError::BadNumber("time"))
        );
        assert_eq!(parse(b"Ex"), Err(ScpError::UnknownRecord(b'E')));
        assert_eq!(parse(b"X"), Err(ScpError::UnknownRecord(b'X')));
        assert_eq!(parse(b""), Err(ScpError::UnknownRecord(b'\n')));
        assert!(
            Record::File {
                mode: 0o10000,
                size: 0,
                name: "a".into()
            }
            .encode()
            .is_err()
        );
        assert!(
            Record::Dir {
                mode: 0o755,
                name: "a\nb".into()
            }
            .encode()
            .is_err()
        );
    }

    #[test]
    fn a_long_line_is_cut_before_it_is_kept() {
        let mut d = Decoder::new();
        let chunk = vec![b'C'; 1000];
        let mut taken = 0;
        let mut result = None;
        for _ in 0..10 {
            let (n, r) = d.push(&chunk);
            taken += n;
            assert!(d.pending() < MAX_LINE);
            if r.is_some() {
                result = r;
                break;
            }
        }
        assert_eq!(result, Some(Err(ScpError::LineTooLong)));
        assert_eq!(taken, MAX_LINE);
        // A line split over pushes is whole once its newline comes.
        let mut d = Decoder::new();
        assert_eq!(d.push(b"C0644 1"), (7, None));
        assert_eq!(
            d.push(b"2 f\nxyz"),
            (
                4,
                Some(Ok(Record::File {
                    mode: 0o644,
                    size: 12,
                    name: "f".into()
                }))
            )
        );
        assert_eq!(d.push(b"\0\0"), (1, Some(Ok(Record::Ok))));
    }

    #[test]
    fn remote_command_lines() {
        let c = Command::parse("scp -v -r -p -d -t -- /a b").unwrap();
        assert_eq!(c, Err(ScpError::BadCommand("ambiguous target")));
        let c = Command::parse("scp -r -p -d -t -- '/a b'")
            .unwrap()
            .unwrap();
        assert_eq!(c.direction, Direction::Sink);
        assert!(c.recursive && c.preserve && c.target_dir && !c.verbose);
        assert_eq!(c.paths, vec!["/a b".to_string()]);
        let c = Command::parse("scp -pf x \"y\\\"z\" w\\ v")
            .unwrap()
            .unwrap();
        assert_eq!(c.direction, Direction::Source);
        assert!(c.preserve);
        assert_eq!(c.paths, vec!["x", "y\"z", "w v"]);
        let c = Command::parse("/usr/bin/scp -f -- -dash").unwrap().unwrap();
        assert_eq!(c.paths, vec!["-dash"]);
        assert!(Command::parse("show version").is_none());
        assert!(Command::parse("scpx -t a").is_none());
        assert!(Command::parse("").is_none());
        assert_eq!(
            Command::parse("scp -t").unwrap(),
            Err(ScpError::BadCommand("no path"))
        );
        assert_eq!(
            Command::parse("scp a").unwrap(),
            Err(ScpError::BadCommand("neither -t nor -f"))
        );
        assert_eq!(
            Command::parse("scp -t -f a").unwrap(),
            Err(ScpError::BadCommand("both -t and -f"))
        );
        assert_eq!(
            Command::parse("scp -x -t a").unwrap(),
            Err(ScpError::BadCommand("unknown option"))
        );
        assert_eq!(
            Command::parse("scp -t 'a").unwrap(),
            Err(ScpError::BadCommand("unterminated quote"))
        );
        let c = Command {
            direction: Direction::Source,
            recursive: true,
            preserve: false,
            target_dir: false,
            verbose: false,
            paths: vec!["it's".into(), "-x".into()],
        };
        assert_eq!(c.to_line(), "scp -r -f -- 'it'\\''s' '-x'");
        assert_eq!(Command::parse(&c.to_line()).unwrap().unwrap(), c);
    }
}
