//! Text the server chose, as the `ssh` command shows it: DEBUG and DISCONNECT messages, the
//! banner, keyboard-interactive names, instructions and prompts, the password-change prompt, its
//! version and extension values, method lists, certificate names. Shown raw, such text could
//! move the cursor, retitle the window or rewrite what the person sees (escape injection, even
//! before the host key is checked), so it goes through the engine's `sshgate::text`, as OpenSSH
//! passes it through `stravis(3)`: controls become visible `\ooo` escapes, never bytes the
//! terminal acts on.

/// Longest block shown (a banner of a few screens; a packet is at most 35,000 bytes anyway).
const BLOCK_MAX_CHARS: usize = 32 * 1024;

/// Longest one-line text (OpenSSH cuts DEBUG at 900 bytes and DISCONNECT at 400).
const LINE_MAX_CHARS: usize = 1024;

/// Text of several lines (banner, instruction, prompt): newlines and tabs kept.
#[must_use]
pub fn block(text: &str) -> String {
    sshgate::text::for_terminal(text, BLOCK_MAX_CHARS)
}

/// Text inside one line of ours (`Received disconnect ...: TEXT`): newlines escaped too.
#[must_use]
pub fn line(text: &str) -> String {
    sshgate::text::for_log(text, LINE_MAX_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        let evil = "hi\x1b]0;pwned\x07\x1b[2J\r\nnext\u{9b}1m";
        assert_eq!(block(evil), "hi\\033]0;pwned\\007\\033[2J\nnext\\u{009B}1m");
        assert_eq!(
            line(evil),
            "hi\\033]0;pwned\\007\\033[2J\\015\\012next\\u{009B}1m"
        );
        assert!(!block(evil).contains('\x1b') && !line(evil).contains('\x1b'));
        assert_eq!(
            block("Authorized access only.\n"),
            "Authorized access only.\n"
        );
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(5000);
        assert!(line(&long).len() < 1100);
        assert!(line(&long).ends_with("...[3976 more bytes]"));
    }
}
