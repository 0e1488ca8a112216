//! Text from a peer, made safe to show on a terminal or to write in a log.
//!
//! A peer chooses every byte of its identification line, its DEBUG and DISCONNECT texts, its
//! banner, prompts, user names and algorithm name-lists. Written raw, those bytes can move a
//! terminal's cursor, retitle the window, rewrite what the user sees (escape injection, before
//! the host key is even checked), forge log lines with a newline or hide text behind bidi
//! controls. As OpenSSH's `ssh` passes such text through `stravis(3)` with `VIS_SAFE |
//! VIS_OCTAL`, these functions keep printable characters and escape the rest:
//!
//! - C0 controls, DEL and backslash as `\ooo` / `\\` (vis's octal form), except what a mode
//!   keeps (newline and tab in [`for_terminal`]);
//! - C1 controls (U+0080–U+009F), bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//!   line and paragraph separators as `\u{XXXX}`;
//! - everything past `max_chars` characters cut, with a note of how much was left out, so a
//!   256 KB name-list cannot fill a log line.

/// Longest text, in characters, that [`for_log`] keeps by default.
pub const LOG_MAX_CHARS: usize = 256;

/// One line for a log: every control character escaped, newlines too, cut at `max_chars`.
#[must_use]
pub fn for_log(text: &str, max_chars: usize) -> String {
    escape(text, max_chars, false)
}

/// Text for a terminal: newlines and tabs kept (a banner has several lines; `\r\n` becomes
/// `\n`), every other control escaped, cut at `max_chars`.
#[must_use]
pub fn for_terminal(text: &str, max_chars: usize) -> String {
    escape(text, max_chars, true)
}

/// Bytes that should be text but may not be UTF-8 (an identification line, a name-list): read
/// lossily, then as [`for_log`].
#[must_use]
pub fn bytes_for_log(bytes: &[u8], max_chars: usize) -> String {
    for_log(&String::from_utf8_lossy(bytes), max_chars)
}

fn escape(text: &str, max_chars: usize, multi_line: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)) + 16);
    let mut chars = text.char_indices().peekable();
    let mut kept = 0usize;
    while let Some((at, c)) = chars.next() {
        if kept == max_chars {
            out.push_str(&format!("...[{} more bytes]", text.len() - at));
            break;
        }
        kept += 1;
        match c {
            '\n' | '\t' if multi_line => out.push(c),
            // A CR that ends a line is the line end a terminal expects; any other CR moves the
            // cursor back over what was already shown.
            '\r' if multi_line && matches!(chars.peek(), Some((_, '\n'))) => {}
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\{:03o}", c as u32)),
            c if needs_unicode_escape(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Characters that are not ASCII controls but still change how a terminal or an editor shows
/// what follows them.
fn needs_unicode_escape(c: char) -> bool {
    matches!(c as u32,
        0x80..=0x9f              // C1 controls: CSI (U+009B) and OSC (U+009D) on some terminals
        | 0x2028 | 0x2029        // line and paragraph separators
        | 0x202a..=0x202e        // bidi embeddings and overrides ("Trojan Source")
        | 0x2066..=0x2069        // bidi isolates
        | 0xfeff) // zero-width no-break space / BOM
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_kept() {
        assert_eq!(
            for_log("OpenSSH_9.2p1 Debian-2", 100),
            "OpenSSH_9.2p1 Debian-2"
        );
        assert_eq!(for_terminal("Grüße, 設備\n", 100), "Grüße, 設備\n");
    }

    #[test]
    fn escapes_and_csi_are_made_visible() {
        // Retitle the window, clear the screen, ring the bell.
        let evil = "\x1b]0;pwned\x07\x1b[2J";
        assert_eq!(for_terminal(evil, 100), "\\033]0;pwned\\007\\033[2J");
        assert_eq!(for_log("a\u{9b}31mb", 100), "a\\u{009B}31mb");
        assert_eq!(for_log("x\u{202e}gpj.exe", 100), "x\\u{202E}gpj.exe");
        assert_eq!(for_log("back\\slash", 100), "back\\\\slash");
    }

    #[test]
    fn newlines_split_log_lines_only_when_allowed() {
        let forged = "lab\nINFO accepted password for root";
        assert_eq!(
            for_log(forged, 100),
            "lab\\012INFO accepted password for root"
        );
        assert_eq!(
            for_terminal("line 1\r\nline 2\rover", 100),
            "line 1\nline 2\\015over"
        );
        assert_eq!(for_log("a\r\nb\tc", 100), "a\\015\\012b\\011c");
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let long = "a".repeat(300_000);
        let shown = for_log(&long, LOG_MAX_CHARS);
        assert_eq!(shown, format!("{}...[299744 more bytes]", "a".repeat(256)));
        assert_eq!(for_log("abc", 3), "abc");
        assert_eq!(for_log("abcd", 3), "abc...[1 more bytes]");
        assert_eq!(for_log("", 0), "");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_passed_through() {
        assert_eq!(
            bytes_for_log(b"SSH-2.0-\xff\x1b[31m", 100),
            "SSH-2.0-\u{fffd}\\033[31m"
        );
    }
}
