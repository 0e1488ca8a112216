//! Line editing for the built-in CLI on a channel without a server-side PTY: raw terminal bytes
//! in, echo bytes and completed lines out (pure; no I/O).

/// Longest line kept; further characters are refused with a bell.
pub const MAX_LINE: usize = 1024;

/// What the caller does next, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditEvent {
    /// Bytes to send back to the terminal.
    Echo(Vec<u8>),
    /// A completed line (without its ending); the echo already ended the terminal line.
    Line(String),
    /// Ctrl-C: the line was discarded; show a new prompt.
    Cancel,
    /// Ctrl-D on an empty line: end the session.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    /// After ESC.
    Start,
    /// In `ESC [ ...` until a final byte.
    Csi,
    /// After `ESC O`: one more byte.
    Ss3,
}

/// The editor state of one session.
#[derive(Debug, Default)]
pub struct LineEditor {
    line: String,
    esc: Esc,
    /// The previous byte was `\r` (so a following `\n` or NUL is part of the same ending).
    after_cr: bool,
}

impl LineEditor {
    /// An empty editor.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The line typed so far.
    #[must_use]
    #[cfg(test)]
    pub fn pending(&self) -> &str {
        &self.line
    }

    /// Processes typed bytes; echo and events come out in the order they happen.
    pub fn feed(&mut self, input: &[u8]) -> Vec<EditEvent> {
        let mut out = Vec::new();
        let mut echo = Vec::new();
        for &b in input {
            let after_cr = std::mem::take(&mut self.after_cr);
            match self.esc {
                Esc::None => {}
                Esc::Start => {
                    self.esc = match b {
                        b'[' => Esc::Csi,
                        b'O' => Esc::Ss3,
                        _ => Esc::None, // Alt-<key>: dropped
                    };
                    continue;
                }
                Esc::Csi => {
                    if (0x40..=0x7e).contains(&b) {
                        self.esc = Esc::None;
                    }
                    continue;
                }
                Esc::Ss3 => {
                    self.esc = Esc::None;
                    continue;
                }
            }
            match b {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    echo.extend_from_slice(b"\r\n");
                    flush(&mut out, &mut echo);
                    out.push(EditEvent::Line(std::mem::take(&mut self.line)));
                }
                0x7f | 0x08 if !self.line.is_empty() => {
                    self.line.pop();
                    echo.extend_from_slice(b"\x08 \x08");
                }
                0x15 => {
                    // Ctrl-U: erase the whole line.
                    for _ in 0..self.line.len() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                    self.line.clear();
                }
                0x03 => {
                    self.line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    flush(&mut out, &mut echo);
                    out.push(EditEvent::Cancel);
                }
                0x04 if self.line.is_empty() => {
                    flush(&mut out, &mut echo);
                    out.push(EditEvent::Eof);
                }
                0x1b => self.esc = Esc::Start,
                0x20..=0x7e => {
                    if self.line.len() < MAX_LINE {
                        self.line.push(char::from(b));
                        echo.push(b);
                    } else {
                        echo.push(0x07);
                    }
                }
                b'\t' if self.line.len() < MAX_LINE => {
                    self.line.push(' ');
                    echo.push(b' ');
                }
                _ => {} // other control bytes and non-ASCII (IOS lines are ASCII)
            }
        }
        flush(&mut out, &mut echo);
        out
    }
}

fn flush(out: &mut Vec<EditEvent>, echo: &mut Vec<u8>) {
    if !echo.is_empty() {
        out.push(EditEvent::Echo(std::mem::take(echo)));
    }
}

#[cfg(test)]
mod tests {
    use super::EditEvent::{Cancel, Echo, Eof, Line};
    use super::*;

    fn line(s: &str) -> EditEvent {
        Line(s.into())
    }
    fn echo(b: &[u8]) -> EditEvent {
        Echo(b.to_vec())
    }

    #[test]
    fn typing_and_endings() {
        let mut e = LineEditor::new();
        assert_eq!(e.feed(b"sh"), [echo(b"sh")]);
        assert_eq!(e.pending(), "sh");
        assert_eq!(e.feed(b" ssh\r"), [echo(b" ssh\r\n"), line("sh ssh")]);
        // CRLF split across reads is one ending; so is CR NUL.
        assert_eq!(e.feed(b"\n"), []);
        assert_eq!(
            e.feed(b"a\r\nb\r\0c\n"),
            [
                echo(b"a\r\n"),
                line("a"),
                echo(b"b\r\n"),
                line("b"),
                echo(b"c\r\n"),
                line("c"),
            ]
        );
        assert_eq!(
            e.feed(b"\r\r"),
            [echo(b"\r\n"), line(""), echo(b"\r\n"), line("")]
        );
    }

    #[test]
    fn backspace_and_kill() {
        let mut e = LineEditor::new();
        assert_eq!(e.feed(b"shx\x7f\x08"), [echo(b"shx\x08 \x08\x08 \x08")]);
        assert_eq!(e.pending(), "s");
        assert_eq!(
            e.feed(b"\x7f\x7f"),
            [echo(b"\x08 \x08")],
            "nothing left to erase"
        );
        e.feed(b"ab");
        assert_eq!(e.feed(b"\x15"), [echo(b"\x08 \x08\x08 \x08")]);
        assert_eq!(e.pending(), "");
    }

    #[test]
    fn ctrl_c_and_ctrl_d() {
        let mut e = LineEditor::new();
        assert_eq!(e.feed(b"show\x03"), [echo(b"show^C\r\n"), Cancel]);
        assert_eq!(e.pending(), "");
        assert_eq!(
            e.feed(b"x\x04"),
            [echo(b"x")],
            "Ctrl-D ignored on a non-empty line"
        );
        e.feed(b"\x7f");
        assert_eq!(e.feed(b"\x04"), [Eof]);
    }

    #[test]
    fn escape_sequences_ignored() {
        let mut e = LineEditor::new();
        // Arrows (CSI and SS3 forms), Delete (ESC [ 3 ~), Alt-b, even split across reads.
        assert_eq!(e.feed(b"a\x1b[A\x1bOB\x1b[3~\x1bbb"), [echo(b"ab")]);
        assert_eq!(e.feed(b"\x1b["), []);
        assert_eq!(e.feed(b"1;5C"), []);
        assert_eq!(e.feed(b"c\r"), [echo(b"c\r\n"), line("abc")]);
        // Non-ASCII and stray controls are dropped; tab is a space.
        assert_eq!(e.feed("é\x01\tz".as_bytes()), [echo(b" z")]);
    }

    #[test]
    fn bounded() {
        let mut e = LineEditor::new();
        let long = vec![b'x'; MAX_LINE + 2];
        let ev = e.feed(&long);
        let Echo(bytes) = &ev[0] else { panic!() };
        assert_eq!(bytes.len(), MAX_LINE + 2);
        assert_eq!(&bytes[MAX_LINE..], b"\x07\x07");
        assert_eq!(e.pending().len(), MAX_LINE);
        assert_eq!(e.feed(b"\r")[1], line(&"x".repeat(MAX_LINE)));
    }
}
