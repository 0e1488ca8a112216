//! The interactive built-in CLI on one channel: [`LineEditor`] plus [`DeviceCli`], raw
//! terminal bytes in, bytes for the channel out (pure; the session code does the I/O).

use super::device_cli::{DeviceCli, SshRequest};
use super::line_editor::{EditEvent, LineEditor};

/// Bytes to send, and whether the session is over (close the channel after sending them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionOutput {
    /// Echo, command output and prompts, in order.
    pub bytes: Vec<u8>,
    /// `exit`/`logout`/`quit` or Ctrl-D: the CLI is done.
    pub exit: bool,
    /// An `ssh` command to run: the terminal is the remote session's until it ends, then
    /// [`CliSession::prompt`]. Nothing after its line was taken.
    pub outbound: Option<SshRequest>,
}

/// One interactive CLI session.
pub struct CliSession {
    editor: LineEditor,
    cli: DeviceCli,
    done: bool,
}

impl CliSession {
    /// A session around `cli`.
    #[must_use]
    pub fn new(cli: DeviceCli) -> Self {
        CliSession {
            editor: LineEditor::new(),
            cli,
            done: false,
        }
    }

    /// What to send when the shell starts: an optional MOTD (`\n` becomes `\r\n`) and the
    /// first prompt.
    #[must_use]
    pub fn start(&self, motd: Option<&str>) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(m) = motd {
            out.extend_from_slice(crlf(m).as_bytes());
            if !m.ends_with('\n') {
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(self.cli.prompt().as_bytes());
        out
    }

    /// The prompt, for when an `ssh` session gave the terminal back.
    #[must_use]
    pub fn prompt(&self) -> Vec<u8> {
        self.cli.prompt().into_bytes()
    }

    /// Processes typed bytes (at most one line: an `ssh` line stops there); input after the
    /// session ended is ignored.
    pub fn feed(&mut self, input: &[u8]) -> SessionOutput {
        let mut out = SessionOutput {
            bytes: Vec::new(),
            exit: self.done,
            outbound: None,
        };
        if self.done {
            return out;
        }
        for ev in self.editor.feed(input) {
            match ev {
                EditEvent::Echo(b) => out.bytes.extend_from_slice(&b),
                EditEvent::Line(line) => {
                    let r = self.cli.feed_line(&line);
                    out.bytes.extend_from_slice(r.text.as_bytes());
                    if r.exit {
                        self.done = true;
                        out.exit = true;
                        return out;
                    }
                    if let Some(req) = self.cli.take_outbound() {
                        out.outbound = Some(req);
                        return out;
                    }
                    out.bytes.extend_from_slice(self.cli.prompt().as_bytes());
                }
                EditEvent::Cancel => out.bytes.extend_from_slice(self.cli.prompt().as_bytes()),
                EditEvent::Eof => {
                    out.bytes.extend_from_slice(b"\r\n");
                    self.done = true;
                    out.exit = true;
                    return out;
                }
            }
        }
        out
    }
}

/// `\n` (not already after `\r`) as `\r\n`: the user's terminal is raw (also the device's own
/// `ssh` command's messages, `outbound_ssh.rs`).
pub(crate) fn crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = '\0';
    for c in s.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::device_cli::CliContext;
    use crate::server::device_state::{DeviceRegistry, SshSettings};
    use std::sync::Arc;

    fn session() -> CliSession {
        CliSession::new(DeviceCli::new(CliContext {
            hostname: "router1".into(),
            privilege: 15,
            line_number: 1,
            state: Arc::new(DeviceRegistry::new(SshSettings::default())),
        }))
    }

    fn text(o: &SessionOutput) -> String {
        String::from_utf8(o.bytes.clone()).unwrap()
    }

    #[test]
    fn start_with_motd() {
        let s = session();
        assert_eq!(s.start(None), b"router1#");
        assert_eq!(s.start(Some("Hi\nthere\r\n")), b"Hi\r\nthere\r\nrouter1#");
        assert_eq!(s.start(Some("Hi")), b"Hi\r\nrouter1#");
    }

    #[test]
    fn a_typed_session() {
        let mut s = session();
        let o = s.feed(b"sh sessions\r");
        assert_eq!(text(&o), "sh sessions\r\n% No connections open\r\nrouter1#");
        assert!(!o.exit);
        // Pasted lines run in order, each followed by a prompt.
        let o = s.feed(b"\r\nshow\rsh x\x03");
        assert_eq!(
            text(&o),
            "\r\nrouter1#show\r\n% Incomplete command.\r\n\r\nrouter1#sh x^C\r\nrouter1#"
        );
        let o = s.feed(b"exit\rshow ssh\r");
        assert_eq!((text(&o).as_str(), o.exit), ("exit\r\n", true));
        assert_eq!(
            s.feed(b"show ssh\r"),
            SessionOutput {
                bytes: vec![],
                exit: true,
                outbound: None,
            }
        );
    }

    #[test]
    fn ctrl_d_ends() {
        let mut s = session();
        let o = s.feed(b"\x04");
        assert_eq!((o.bytes.as_slice(), o.exit), (&b"\r\n"[..], true));
    }
}
