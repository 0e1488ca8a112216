//! Channel requests (RFC 4254 §6.2–§6.10, RFC 4335 `break`): their typed form, who may send
//! which, and their wire encoding after the `request type` and `want reply` fields.

use super::modes::TerminalModes;
use crate::Error;
use crate::Role;
use crate::wire::{Reader, Writer};

/// Longest terminal name, environment variable name, signal name or subsystem name.
const MAX_NAME: usize = 256;
/// Longest environment value, exit message or X11 auth field.
const MAX_VALUE: usize = 32 * 1024;
/// Longest `exec` command (OpenSSH's own limit is the packet size).
const MAX_COMMAND: usize = 128 * 1024;
/// Longest encoded terminal modes.
const MAX_MODES: usize = 4096;

/// A terminal size in characters and pixels (pixels are 0 when unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSize {
    /// Columns.
    pub cols: u32,
    /// Rows.
    pub rows: u32,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
}

/// `pty-req` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PtyRequest {
    /// `TERM` (e.g. `xterm-256color`).
    pub term: String,
    /// Initial size.
    pub size: WindowSize,
    /// Terminal modes.
    pub modes: TerminalModes,
}

/// `x11-req` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct X11Request {
    /// Forward only one connection.
    pub single_connection: bool,
    /// E.g. `MIT-MAGIC-COOKIE-1`.
    pub auth_protocol: String,
    /// The cookie, hex.
    pub auth_cookie: String,
    /// X11 screen number.
    pub screen: u32,
}

/// A channel request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelRequest {
    /// `pty-req` (client to server).
    Pty(PtyRequest),
    /// `x11-req` (client to server; refused unless allowed).
    X11(X11Request),
    /// `env` (client to server).
    Env {
        /// Variable name.
        name: String,
        /// Value.
        value: String,
    },
    /// `shell` (client to server).
    Shell,
    /// `exec` (client to server).
    Exec {
        /// The command line.
        command: String,
    },
    /// `subsystem` (client to server).
    Subsystem {
        /// E.g. `sftp`.
        name: String,
    },
    /// `window-change` (client to server).
    WindowChange(WindowSize),
    /// `xon-xoff` (server to client): whether the client may do flow control itself.
    XonXoff {
        /// The client may handle ^S/^Q locally.
        client_can_do: bool,
    },
    /// `signal` (client to server), name without `SIG` (e.g. `INT`).
    Signal {
        /// The signal name.
        name: String,
    },
    /// `exit-status` (server to client).
    ExitStatus {
        /// The command's exit status.
        code: u32,
    },
    /// `exit-signal` (server to client).
    ExitSignal {
        /// Signal name without `SIG`.
        signal: String,
        /// Whether a core was dumped.
        core_dumped: bool,
        /// Error message.
        message: String,
        /// Language tag.
        language: String,
    },
    /// `break` (RFC 4335, client to server): send a BREAK of this many milliseconds.
    Break {
        /// Length in milliseconds.
        millis: u32,
    },
}

impl ChannelRequest {
    /// The request type's wire name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ChannelRequest::Pty(_) => "pty-req",
            ChannelRequest::X11(_) => "x11-req",
            ChannelRequest::Env { .. } => "env",
            ChannelRequest::Shell => "shell",
            ChannelRequest::Exec { .. } => "exec",
            ChannelRequest::Subsystem { .. } => "subsystem",
            ChannelRequest::WindowChange(_) => "window-change",
            ChannelRequest::XonXoff { .. } => "xon-xoff",
            ChannelRequest::Signal { .. } => "signal",
            ChannelRequest::ExitStatus { .. } => "exit-status",
            ChannelRequest::ExitSignal { .. } => "exit-signal",
            ChannelRequest::Break { .. } => "break",
        }
    }

    /// The role that sends this request (the other one receives it).
    #[must_use]
    pub fn sender(&self) -> Role {
        match self {
            ChannelRequest::XonXoff { .. }
            | ChannelRequest::ExitStatus { .. }
            | ChannelRequest::ExitSignal { .. } => Role::Server,
            _ => Role::Client,
        }
    }

    /// Appends the type-specific fields.
    pub(crate) fn encode_fields(&self, w: &mut Writer) {
        match self {
            ChannelRequest::Pty(p) => {
                w.string(p.term.as_bytes());
                size_fields(w, &p.size);
                w.string(&p.modes.encode());
            }
            ChannelRequest::X11(x) => {
                w.bool(x.single_connection)
                    .string(x.auth_protocol.as_bytes())
                    .string(x.auth_cookie.as_bytes())
                    .u32(x.screen);
            }
            ChannelRequest::Env { name, value } => {
                w.string(name.as_bytes()).string(value.as_bytes());
            }
            ChannelRequest::Shell => {}
            ChannelRequest::Exec { command } => {
                w.string(command.as_bytes());
            }
            ChannelRequest::Subsystem { name } => {
                w.string(name.as_bytes());
            }
            ChannelRequest::WindowChange(size) => size_fields(w, size),
            ChannelRequest::XonXoff { client_can_do } => {
                w.bool(*client_can_do);
            }
            ChannelRequest::Signal { name } => {
                w.string(name.as_bytes());
            }
            ChannelRequest::ExitStatus { code } => {
                w.u32(*code);
            }
            ChannelRequest::ExitSignal {
                signal,
                core_dumped,
                message,
                language,
            } => {
                w.string(signal.as_bytes())
                    .bool(*core_dumped)
                    .string(message.as_bytes())
                    .string(language.as_bytes());
            }
            ChannelRequest::Break { millis } => {
                w.u32(*millis);
            }
        }
    }

    /// Parses the fields of request type `name`; `Ok(None)` for a type we do not know.
    pub(crate) fn decode(name: &str, r: &mut Reader<'_>) -> Result<Option<Self>, Error> {
        let req = match name {
            "pty-req" => {
                let term = text(r, MAX_NAME, "terminal type")?;
                let size = size_decode(r)?;
                let modes = bounded(r, MAX_MODES, "terminal modes")?;
                ChannelRequest::Pty(PtyRequest {
                    term,
                    size,
                    modes: TerminalModes::decode(modes),
                })
            }
            "x11-req" => ChannelRequest::X11(X11Request {
                single_connection: r.bool("single connection")?,
                auth_protocol: text(r, MAX_NAME, "x11 auth protocol")?,
                auth_cookie: text(r, MAX_VALUE, "x11 auth cookie")?,
                screen: r.u32("x11 screen")?,
            }),
            "env" => ChannelRequest::Env {
                name: text(r, MAX_NAME, "variable name")?,
                value: text(r, MAX_VALUE, "variable value")?,
            },
            "shell" => ChannelRequest::Shell,
            "exec" => ChannelRequest::Exec {
                command: text(r, MAX_COMMAND, "command")?,
            },
            "subsystem" => ChannelRequest::Subsystem {
                name: text(r, MAX_NAME, "subsystem name")?,
            },
            "window-change" => ChannelRequest::WindowChange(size_decode(r)?),
            "xon-xoff" => ChannelRequest::XonXoff {
                client_can_do: r.bool("client can do")?,
            },
            "signal" => ChannelRequest::Signal {
                name: text(r, MAX_NAME, "signal name")?,
            },
            "exit-status" => ChannelRequest::ExitStatus {
                code: r.u32("exit status")?,
            },
            "exit-signal" => ChannelRequest::ExitSignal {
                signal: text(r, MAX_NAME, "signal name")?,
                core_dumped: r.bool("core dumped")?,
                message: text(r, MAX_VALUE, "error message")?,
                language: text(r, MAX_NAME, "language tag")?,
            },
            "break" => ChannelRequest::Break {
                millis: r.u32("break length")?,
            },
            _ => return Ok(None),
        };
        r.finish()?;
        Ok(Some(req))
    }
}

fn size_fields(w: &mut Writer, s: &WindowSize) {
    w.u32(s.cols).u32(s.rows).u32(s.width_px).u32(s.height_px);
}

fn size_decode(r: &mut Reader<'_>) -> Result<WindowSize, Error> {
    Ok(WindowSize {
        cols: r.u32("columns")?,
        rows: r.u32("rows")?,
        width_px: r.u32("width")?,
        height_px: r.u32("height")?,
    })
}

/// A `string` no longer than `max`.
pub(crate) fn bounded<'a>(
    r: &mut Reader<'a>,
    max: usize,
    what: &'static str,
) -> Result<&'a [u8], Error> {
    let s = r.string(what)?;
    if s.len() > max {
        return Err(Error::protocol(format!("{what} longer than {max} bytes")));
    }
    Ok(s)
}

/// A `string` no longer than `max`, as text. Commands and terminal names are bytes on the wire;
/// invalid UTF-8 is replaced rather than refused, as shells and terminals see them as text.
pub(crate) fn text(r: &mut Reader<'_>, max: usize, what: &'static str) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(bounded(r, max, what)?).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(req: ChannelRequest) {
        let mut w = Writer::new();
        req.encode_fields(&mut w);
        let bytes = w.into_vec();
        let back = ChannelRequest::decode(req.name(), &mut Reader::new(&bytes)).unwrap();
        assert_eq!(back, Some(req.clone()));
        // Every strict prefix is refused cleanly (fields are all fixed or length-prefixed).
        for cut in 0..bytes.len() {
            assert!(
                ChannelRequest::decode(req.name(), &mut Reader::new(&bytes[..cut])).is_err(),
                "{} prefix {cut}",
                req.name()
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(ChannelRequest::decode(req.name(), &mut Reader::new(&longer)).is_err());
    }

    #[test]
    fn every_request_round_trips_and_refuses_truncation() {
        let size = WindowSize {
            cols: 80,
            rows: 24,
            width_px: 640,
            height_px: 480,
        };
        for req in [
            ChannelRequest::Pty(PtyRequest {
                term: "xterm-256color".into(),
                size,
                modes: TerminalModes(vec![(53, 0)]),
            }),
            ChannelRequest::X11(X11Request {
                single_connection: true,
                auth_protocol: "MIT-MAGIC-COOKIE-1".into(),
                auth_cookie: "00ff".into(),
                screen: 0,
            }),
            ChannelRequest::Env {
                name: "LANG".into(),
                value: "C.UTF-8".into(),
            },
            ChannelRequest::Exec {
                command: "show ssh".into(),
            },
            ChannelRequest::Subsystem {
                name: "sftp".into(),
            },
            ChannelRequest::WindowChange(size),
            ChannelRequest::XonXoff {
                client_can_do: false,
            },
            ChannelRequest::Signal { name: "INT".into() },
            ChannelRequest::ExitStatus { code: 3 },
            ChannelRequest::ExitSignal {
                signal: "KILL".into(),
                core_dumped: false,
                message: "killed".into(),
                language: String::new(),
            },
            ChannelRequest::Break { millis: 500 },
        ] {
            round_trip(req);
        }
    }

    #[test]
    fn shell_has_no_fields_and_unknown_types_are_none() {
        assert_eq!(
            ChannelRequest::decode("shell", &mut Reader::new(&[])).unwrap(),
            Some(ChannelRequest::Shell)
        );
        assert!(ChannelRequest::decode("shell", &mut Reader::new(&[1])).is_err());
        assert_eq!(
            ChannelRequest::decode("auth-agent-req@openssh.com", &mut Reader::new(&[])).unwrap(),
            None
        );
    }

    #[test]
    fn oversized_fields_are_refused() {
        let mut w = Writer::new();
        w.string(&vec![b'x'; MAX_NAME + 1]);
        let b = w.into_vec();
        assert!(ChannelRequest::decode("signal", &mut Reader::new(&b)).is_err());
    }
}
