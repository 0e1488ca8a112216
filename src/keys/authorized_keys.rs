//! `authorized_keys` lines (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"): `[options] keytype base64
//! [comment]`, the options parsed as OpenSSH's `auth-options.c` does, so a line OpenSSH
//! refuses is refused here too, with the reason.
//!
//! Options are a comma list without spaces outside double quotes. Names compare
//! case-insensitively. Flags: `restrict`, `cert-authority`, `no-touch-required`,
//! `verify-required`, and `[no-]agent-forwarding`, `[no-]port-forwarding`, `[no-]pty`,
//! `[no-]user-rc`, `[no-]x11-forwarding`. Valued options take a quoted string (`name="..."`,
//! where `\"` is a quote and any other backslash is kept): `command`, `environment`, `from`,
//! `permitopen`, `permitlisten`, `principals`, `expiry-time`, `tunnel`. Anything else is an
//! error, as in OpenSSH.
//!
//! The engine only parses: enforcing `from=` (needs the peer address), `expiry-time=` (a clock),
//! `command=` and the forwarding limits is the server driver's job.

use super::{KeyError, PublicKey};

/// Longest line accepted (as [`PublicKey::from_openssh_line`]).
pub const MAX_LINE: usize = 64 * 1024;

/// Key type names that start a line without options: the supported ones, and those OpenSSH
/// knows but this engine does not (so `sk-ssh-ed25519@openssh.com AAAA...` is "unsupported key
/// type", not "bad option").
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-dss",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];
const UNSUPPORTED_KEY_TYPES: &[&str] = &[
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
];

/// A permission a flag option turns on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `agent-forwarding`.
    AgentForwarding,
    /// `port-forwarding`.
    PortForwarding,
    /// `pty`.
    Pty,
    /// `user-rc`.
    UserRc,
    /// `x11-forwarding`.
    X11Forwarding,
}

impl Permission {
    const ALL: [(Permission, &'static str); 5] = [
        (Permission::AgentForwarding, "agent-forwarding"),
        (Permission::PortForwarding, "port-forwarding"),
        (Permission::Pty, "pty"),
        (Permission::UserRc, "user-rc"),
        (Permission::X11Forwarding, "x11-forwarding"),
    ];
}

/// One option, in the order written (order matters: `restrict,pty` allows a PTY, `pty,restrict`
/// does not).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOption {
    /// `restrict`: every permission off (later flags may turn some back on).
    Restrict,
    /// `cert-authority`: the key is a CA for user certificates, not a key to log in with.
    CertAuthority,
    /// `no-touch-required` (FIDO keys).
    NoTouchRequired,
    /// `verify-required` (FIDO keys).
    VerifyRequired,
    /// A permission flag: `pty` is `(Pty, true)`, `no-pty` is `(Pty, false)`.
    Flag(Permission, bool),
    /// `command="..."`: a forced command.
    Command(String),
    /// `environment="NAME=value"`.
    Environment(String),
    /// `from="pattern-list"`: the client addresses or names allowed.
    From(String),
    /// `permitopen="host:port"`.
    PermitOpen(String),
    /// `permitlisten="[host:]port"`.
    PermitListen(String),
    /// `principals="name,..."` (with `cert-authority`).
    Principals(String),
    /// `expiry-time="YYYYMMDD[HHMM[SS]][Z]"`.
    ExpiryTime(String),
    /// `tunnel="n"`.
    Tunnel(String),
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedKey {
    /// The options, in order.
    pub options: Vec<KeyOption>,
    /// The key.
    pub key: PublicKey,
    /// The comment (empty if none).
    pub comment: String,
}

impl AuthorizedKey {
    /// Parses one line. Blank and `#` lines are errors here; [`parse_authorized_keys`] skips
    /// them.
    pub fn parse(line: &str) -> Result<Self, KeyError> {
        if line.len() > MAX_LINE {
            return Err(KeyError::Malformed("authorized_keys line too long"));
        }
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            return Err(KeyError::Malformed("blank or comment line"));
        }
        let first = line.split([' ', '\t']).next().unwrap_or("");
        let (options, rest) = if is_key_type(first) {
            (Vec::new(), line)
        } else {
            let (opts, rest) = split_options(line)?;
            (parse_options(opts)?, rest.trim_start_matches([' ', '\t']))
        };
        let key_type = rest.split([' ', '\t']).next().unwrap_or("");
        if UNSUPPORTED_KEY_TYPES.contains(&key_type) {
            return Err(KeyError::Unsupported(format!("key type {key_type}")));
        }
        if !KEY_TYPES.contains(&key_type) {
            return Err(if rest.is_empty() {
                KeyError::Malformed("options without a key")
            } else {
                KeyError::Unsupported(format!("key type {}", clip(key_type)))
            });
        }
        let (key, comment) = PublicKey::parse_openssh_line(rest)?;
        Ok(AuthorizedKey {
            options,
            key,
            comment,
        })
    }

    /// Whether `permission` is granted: on unless a `restrict` or `no-...` flag turned it off
    /// and no later flag turned it back on (OpenSSH's order).
    #[must_use]
    pub fn allows(&self, permission: Permission) -> bool {
        self.options.iter().fold(true, |allowed, o| match o {
            KeyOption::Restrict => false,
            KeyOption::Flag(p, on) if *p == permission => *on,
            _ => allowed,
        })
    }

    /// The forced command, if any (the last one written, as OpenSSH keeps).
    #[must_use]
    pub fn command(&self) -> Option<&str> {
        self.options.iter().rev().find_map(|o| match o {
            KeyOption::Command(c) => Some(c.as_str()),
            _ => None,
        })
    }

    /// Whether the key is a certificate authority (`cert-authority`): it signs user
    /// certificates and must not be accepted as a plain key.
    #[must_use]
    pub fn is_cert_authority(&self) -> bool {
        self.options.contains(&KeyOption::CertAuthority)
    }
}

/// Every key line of an `authorized_keys` text with its 1-based line number; blank and `#`
/// lines are skipped, malformed ones reported.
#[must_use]
pub fn parse_authorized_keys(text: &str) -> Vec<(usize, Result<AuthorizedKey, KeyError>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, l)| (i + 1, AuthorizedKey::parse(l)))
        .collect()
}

fn is_key_type(s: &str) -> bool {
    KEY_TYPES.contains(&s) || UNSUPPORTED_KEY_TYPES.contains(&s)
}

/// At most 64 bytes of `s` for a message (cut on a character boundary).
fn clip(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The options field (up to the first space or tab outside quotes) and what follows.
fn split_options(line: &str) -> Result<(&str, &str), KeyError> {
    let bytes = line.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // `\"` is skipped whole, inside quotes or not (OpenSSH's
            // `sshkey_advance_past_options`).
            b'\\' if bytes.get(i + 1) == Some(&b'"') => i += 1,
            b'"' => quoted = !quoted,
            b' ' | b'\t' if !quoted => return Ok((&line[..i], &line[i..])),
            _ => {}
        }
        i += 1;
    }
    if quoted {
        Err(KeyError::Malformed("missing end quote in options"))
    } else {
        Ok((line, ""))
    }
}

/// `name` at the start of `s`, case-insensitively: the rest after it.
fn strip_name<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let head = s.get(..name.len())?;
    head.eq_ignore_ascii_case(name).then(|| &s[name.len()..])
}

/// OpenSSH's `opt_dequote`: a double-quoted string where `\"` is a quote; returns the value
/// and the rest after the closing quote.
fn dequote(s: &str) -> Result<(String, &str), KeyError> {
    let body = s.strip_prefix('"').ok_or(KeyError::Malformed(
        "option value without its opening quote",
    ))?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &body[i + 1..])),
            '\\' if body[i + 1..].starts_with('"') => {
                value.push('"');
                chars.next();
            }
            c => value.push(c),
        }
    }
    Err(KeyError::Malformed("missing end quote in an option value"))
}

/// Parses the options field.
fn parse_options(mut s: &str) -> Result<Vec<KeyOption>, KeyError> {
    let mut options = Vec::new();
    loop {
        let (option, rest) = parse_one(s)?;
        options.push(option);
        match rest.strip_prefix(',') {
            None if rest.is_empty() => return Ok(options),
            None => return Err(KeyError::Malformed("options must be separated by commas")),
            Some("") => return Err(KeyError::Malformed("unexpected end of options")),
            Some(next) => s = next,
        }
    }
}

/// One option at the start of `s`, and the rest.
fn parse_one(s: &str) -> Result<(KeyOption, &str), KeyError> {
    for (name, option) in [
        ("restrict", KeyOption::Restrict),
        ("cert-authority", KeyOption::CertAuthority),
        ("no-touch-required", KeyOption::NoTouchRequired),
        ("verify-required", KeyOption::VerifyRequired),
    ] {
        if let Some(rest) = strip_name(s, name).filter(|r| ends_name(r)) {
            return Ok((option, rest));
        }
    }
    for (permission, name) in Permission::ALL {
        let (on, after) = match strip_name(s, "no-") {
            Some(r) => (false, r),
            None => (true, s),
        };
        if let Some(rest) = strip_name(after, name).filter(|r| ends_name(r)) {
            return Ok((KeyOption::Flag(permission, on), rest));
        }
    }
    type Make = fn(String) -> KeyOption;
    type Valid = fn(&str) -> bool;
    let valued: [(&str, Make, Valid); 8] = [
        ("command", KeyOption::Command, |_| true),
        ("environment", KeyOption::Environment, valid_environment),
        ("from", KeyOption::From, |v| !v.is_empty()),
        ("permitopen", KeyOption::PermitOpen, |v| {
            valid_host_port(v, true)
        }),
        ("permitlisten", KeyOption::PermitListen, |v| {
            valid_host_port(v, false)
        }),
        ("principals", KeyOption::Principals, |v| !v.is_empty()),
        ("expiry-time", KeyOption::ExpiryTime, valid_expiry),
        ("tunnel", KeyOption::Tunnel, |v| {
            v == "any" || valid_number(v)
        }),
    ];
    for (name, make, valid) in valued {
        if let Some(rest) = strip_name(s, name).and_then(|r| r.strip_prefix('=')) {
            let (value, rest) = dequote(rest)?;
            if !valid(&value) {
                return Err(KeyError::Malformed("invalid option value"));
            }
            return Ok((make(value), rest));
        }
    }
    let name = s.split([',', '=']).next().unwrap_or(s);
    if name.is_empty() {
        return Err(KeyError::Malformed("empty option"));
    }
    Err(KeyError::Unsupported(format!(
        "authorized_keys option {:?}",
        clip(name)
    )))
}

/// A flag's name ends at a comma or the end of the options.
fn ends_name(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with(',')
}

fn valid_number(v: &str) -> bool {
    !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit())
}

/// `NAME=value` with a name of letters, digits and `_` (OpenSSH's check).
fn valid_environment(v: &str) -> bool {
    v.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// `host:port` (or `[v6]:port`), the port a number or `*`; for `permitlisten` the host part is
/// optional.
fn valid_host_port(v: &str, host_required: bool) -> bool {
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => (Some(h), p),
        None => (None, v),
    };
    let port_ok = port == "*" || valid_number(port);
    let host_ok = match host {
        Some(h) => !h.is_empty(),
        None => !host_required,
    };
    port_ok && host_ok
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally ending in `Z`.
fn valid_expiry(v: &str) -> bool {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    matches!(digits.len(), 8 | 12 | 14) && digits.bytes().all(|b| b.is_ascii_digit())
}
