//! Protocol version exchange (RFC 4253 §4.2).

use crate::Error;
use crate::Role;
use crate::msg::reason;

/// RFC 4253 §4.2: the identification line is at most 255 characters including CR LF.
const MAX_VERSION_LINE: usize = 255;
/// Lines a server may send before its identification; each bounded, their count bounded, so a
/// peer that never sends `SSH-` cannot make us buffer without end.
const MAX_PRELUDE_LINE: usize = 1024;
const MAX_PRELUDE_LINES: usize = 64;

/// Reads the peer's identification line, skipping (server-sent) lines before it.
#[derive(Debug)]
pub struct VersionReader {
    role: Role,
    prelude_lines: usize,
    /// Lines the server sent before its identification (shown to a user as a pre-banner).
    pub prelude: Vec<String>,
}

/// Outcome of feeding bytes to the [`VersionReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum VersionStep {
    /// More bytes are needed.
    NeedMore,
    /// The identification line (without CR LF) and how many input bytes it and the prelude used.
    Done {
        /// The peer's line, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2`.
        line: String,
        /// Bytes consumed from the buffer.
        consumed: usize,
    },
}

impl VersionReader {
    /// A reader for an endpoint of `role` (the peer is the other role).
    #[must_use]
    pub fn new(role: Role) -> Self {
        VersionReader {
            role,
            prelude_lines: 0,
            prelude: Vec::new(),
        }
    }

    /// Looks for complete lines at the front of `buf`.
    pub fn feed(&mut self, buf: &[u8]) -> Result<VersionStep, Error> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                let limit = if rest.starts_with(b"SSH-") {
                    MAX_VERSION_LINE
                } else {
                    MAX_PRELUDE_LINE
                };
                if rest.len() > limit {
                    return Err(bad("identification line too long"));
                }
                return Ok(VersionStep::NeedMore);
            };
            let mut line = &rest[..nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let consumed = pos + nl + 1;
            if line.starts_with(b"SSH-") {
                if nl + 1 > MAX_VERSION_LINE {
                    return Err(bad("identification line too long"));
                }
                let line = check_identification(line)?;
                return Ok(VersionStep::Done { line, consumed });
            }
            // RFC 4253 §4.2: "The server MAY send other lines of data before sending the version
            // string." A client may not.
            if self.role == Role::Server {
                return Err(bad("client sent data before its identification line"));
            }
            if nl + 1 > MAX_PRELUDE_LINE || self.prelude_lines >= MAX_PRELUDE_LINES {
                return Err(bad(
                    "too many or too long lines before the server's identification",
                ));
            }
            self.prelude_lines += 1;
            self.prelude
                .push(String::from_utf8_lossy(line).into_owned());
            pos = consumed;
        }
    }
}

fn bad(what: &str) -> Error {
    Error::peer(reason::PROTOCOL_ERROR, what.to_string())
}

/// Validates `SSH-protoversion-softwareversion SP comments`.
fn check_identification(line: &[u8]) -> Result<String, Error> {
    // RFC 4253 §4.2: printable US-ASCII; a NUL or other control byte is a broken or hostile peer.
    if line.iter().any(|&b| !(0x20..=0x7e).contains(&b)) {
        return Err(bad("identification line has non-printable characters"));
    }
    let text = String::from_utf8_lossy(line).into_owned();
    let proto = text[4..].split('-').next().unwrap_or("");
    match proto {
        // RFC 4253 §5.1: a server announcing 1.99 speaks both versions; we use 2.0.
        "2.0" | "1.99" => {}
        v if v.starts_with("1.") => {
            return Err(Error::peer(
                reason::PROTOCOL_VERSION_NOT_SUPPORTED,
                format!("peer speaks only SSH protocol 1 ({text}); SSH-1 is not supported"),
            ));
        }
        _ => {
            return Err(Error::peer(
                reason::PROTOCOL_VERSION_NOT_SUPPORTED,
                format!("unsupported protocol version in {text:?}"),
            ));
        }
    }
    if text.len() <= 4 + proto.len() + 1 {
        return Err(bad("identification line has no software version"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(r: &mut VersionReader, input: &[u8]) -> Result<(String, usize), Error> {
        match r.feed(input)? {
            VersionStep::Done { line, consumed } => Ok((line, consumed)),
            VersionStep::NeedMore => panic!("needs more"),
        }
    }

    #[test]
    fn accepts_openssh_and_cisco() {
        let mut r = VersionReader::new(Role::Client);
        let (l, n) = done(&mut r, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\0\0").unwrap();
        assert_eq!(l, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        assert_eq!(n, 40);
        let (l, _) = done(&mut r, b"SSH-1.99-Cisco-1.25\r\n").unwrap();
        assert_eq!(l, "SSH-1.99-Cisco-1.25");
        // bare LF is tolerated, as OpenSSH does
        assert!(done(&mut r, b"SSH-2.0-x\n").is_ok());
    }

    #[test]
    fn skips_server_prelude_but_not_client_prelude() {
        let mut r = VersionReader::new(Role::Client);
        let (l, n) = done(&mut r, b"hello\r\nworld\nSSH-2.0-srv\r\n").unwrap();
        assert_eq!(l, "SSH-2.0-srv");
        assert_eq!(n, 26);
        assert_eq!(r.prelude, vec!["hello", "world"]);
        let mut s = VersionReader::new(Role::Server);
        assert!(s.feed(b"hello\r\nSSH-2.0-cli\r\n").is_err());
    }

    #[test]
    fn refuses_ssh1_with_a_clear_error() {
        let mut r = VersionReader::new(Role::Client);
        let e = r.feed(b"SSH-1.5-OldServer\r\n").unwrap_err();
        assert_eq!(e.reason, reason::PROTOCOL_VERSION_NOT_SUPPORTED);
        assert!(e.description.contains("SSH protocol 1"), "{e}");
        assert!(r.feed(b"SSH-3.0-x\r\n").is_err());
        assert!(r.feed(b"SSH-2.0-\r\n").is_err());
        assert!(r.feed(b"SSH-2.0-a\0b\r\n").is_err());
    }

    #[test]
    fn bounds_line_length_and_count() {
        let mut r = VersionReader::new(Role::Client);
        let mut long = b"SSH-2.0-".to_vec();
        long.extend(std::iter::repeat_n(b'a', 300));
        assert!(r.feed(&long).is_err());
        let junk = vec![b'x'; 2000];
        assert!(r.feed(&junk).is_err());
        let mut many = Vec::new();
        for _ in 0..100 {
            many.extend_from_slice(b"line\r\n");
        }
        assert!(VersionReader::new(Role::Client).feed(&many).is_err());
        assert_eq!(
            VersionReader::new(Role::Client)
                .feed(b"SSH-2.0-ab")
                .unwrap(),
            VersionStep::NeedMore
        );
    }
}
