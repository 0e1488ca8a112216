//! The arguments of the device CLI's own `ssh` command, as IOS takes them:
//! `ssh [-v 2] [-c cipher] [-m mac] [-l user] [-p port] [-o numberofpasswordprompts n] host
//! [command]`. Pure parsing; `outbound_ssh.rs` runs the connection.
//!
//! Cipher and MAC names are IOS's: `3des` is `3des-cbc`, and the MAC aliases `hmac-sha1-160`
//! and `hmac-md5-128` are `hmac-sha1` and `hmac-md5` (mapped here, so they work whatever the
//! engine's own name parser knows). A name the engine does not implement is refused at its
//! word, as IOS refuses a keyword it does not know.

use sshgate::transport::cipher::{CipherAlg, MacAlg};

/// IOS's default `numberofpasswordprompts` (as OpenSSH's `NumberOfPasswordPrompts`).
pub const DEFAULT_PASSWORD_PROMPTS: u32 = 3;
/// IOS's range for `numberofpasswordprompts`.
const PROMPTS_RANGE: std::ops::RangeInclusive<u32> = 1..=5;

/// One `ssh` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshRequest {
    /// The host as typed.
    pub host: String,
    /// `-p` (22).
    pub port: u16,
    /// `-l`; without it the session's own user name (IOS).
    pub user: Option<String>,
    /// `-c`: the only cipher offered.
    pub cipher: Option<CipherAlg>,
    /// `-m`: the only MAC offered.
    pub mac: Option<MacAlg>,
    /// `-o numberofpasswordprompts n`.
    pub password_prompts: u32,
    /// The words after the host, run instead of a shell.
    pub command: Option<String>,
}

/// Why a line is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshParseError {
    /// The word at this byte offset of the line is wrong (IOS's caret goes there).
    Invalid(usize),
    /// The line ends where more is needed.
    Incomplete,
}

/// The IOS cipher name `name` as the engine's cipher.
#[must_use]
pub fn ios_cipher(name: &str) -> Option<CipherAlg> {
    let name = name.to_ascii_lowercase();
    let ssh = match name.as_str() {
        "3des" => "3des-cbc",
        "aes128-gcm" => "aes128-gcm@openssh.com",
        "aes256-gcm" => "aes256-gcm@openssh.com",
        other => other,
    };
    CipherAlg::from_name(ssh)
}

/// The SSH name of the IOS MAC name `name` (IOS writes the hash's output length on the full
/// ones).
#[must_use]
pub fn ios_mac_name(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "hmac-sha1-160" => "hmac-sha1".into(),
        "hmac-md5-128" => "hmac-md5".into(),
        _ => name,
    }
}

/// The IOS MAC name `name` as the engine's MAC.
#[must_use]
pub fn ios_mac(name: &str) -> Option<MacAlg> {
    MacAlg::from_name(&ios_mac_name(name))
}

/// Parses the words of `line` from byte `start` on (just after `ssh`).
pub fn parse(line: &str, start: usize) -> Result<SshRequest, SshParseError> {
    let mut words = line[start..]
        .split_ascii_whitespace()
        .map(|w| (w.as_ptr() as usize - line.as_ptr() as usize, w));
    let mut req = SshRequest {
        host: String::new(),
        port: 22,
        user: None,
        cipher: None,
        mac: None,
        password_prompts: DEFAULT_PASSWORD_PROMPTS,
        command: None,
    };
    let invalid = |at: usize| Err(SshParseError::Invalid(at));
    loop {
        let Some((at, word)) = words.next() else {
            return Err(SshParseError::Incomplete);
        };
        if !word.starts_with('-') {
            if !valid_host(word) {
                return invalid(at);
            }
            req.host = word.to_string();
            let rest = line[at + word.len()..].trim();
            req.command = (!rest.is_empty()).then(|| rest.to_string());
            return Ok(req);
        }
        let option = word.to_ascii_lowercase();
        let Some((vat, value)) = words.next() else {
            return if ["-v", "-c", "-m", "-l", "-p", "-o"].contains(&option.as_str()) {
                Err(SshParseError::Incomplete)
            } else {
                invalid(at)
            };
        };
        match option.as_str() {
            // Only version 2 exists here.
            "-v" if value == "2" => {}
            "-c" => match ios_cipher(value) {
                Some(c) => req.cipher = Some(c),
                None => return invalid(vat),
            },
            "-m" => match ios_mac(value) {
                Some(m) => req.mac = Some(m),
                None => return invalid(vat),
            },
            // IOS's `user:vrf` and `user:rotary` forms have nothing to select here.
            "-l" if !value.contains(':') && valid_user(value) => req.user = Some(value.into()),
            "-p" => match value.parse::<u16>() {
                Ok(p) if p > 0 => req.port = p,
                _ => return invalid(vat),
            },
            "-o" => {
                let lower = value.to_ascii_lowercase();
                if !"numberofpasswordprompts".starts_with(&lower) {
                    return invalid(vat);
                }
                let Some((nat, n)) = words.next() else {
                    return Err(SshParseError::Incomplete);
                };
                match n.parse::<u32>() {
                    Ok(n) if PROMPTS_RANGE.contains(&n) => req.password_prompts = n,
                    _ => return invalid(nat),
                }
            }
            "-v" | "-l" => return invalid(vat),
            _ => return invalid(at),
        }
    }
}

/// A host name or address literal: letters, digits and `.-:_` (nothing a terminal or a log
/// would read as something else).
fn valid_host(w: &str) -> bool {
    w.len() <= 253
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

/// A login name: printable, no spaces (bounded as OpenSSH bounds user names).
fn valid_user(w: &str) -> bool {
    !w.is_empty() && w.len() <= 256 && w.chars().all(|c| c.is_ascii_graphic())
}
