//! RFC 4254 §8 terminal modes ⇄ termios: the client sends its terminal's settings in `pty-req`
//! (as OpenSSH's `ssh` does) and the server applies them to the PTY before the program starts
//! (as `sshd` does), so keys like Backspace and Ctrl-C mean on the device what they mean locally.

use rustix::termios::{
    ControlModes, InputModes, LocalModes, OutputModes, SpecialCodeIndex, Termios,
};
use sshgate::channel::TerminalModes;

/// Control characters by opcode.
const CHARS: &[(u8, SpecialCodeIndex)] = &[
    (1, SpecialCodeIndex::VINTR),
    (2, SpecialCodeIndex::VQUIT),
    (3, SpecialCodeIndex::VERASE),
    (4, SpecialCodeIndex::VKILL),
    (5, SpecialCodeIndex::VEOF),
    (6, SpecialCodeIndex::VEOL),
    (7, SpecialCodeIndex::VEOL2),
    (8, SpecialCodeIndex::VSTART),
    (9, SpecialCodeIndex::VSTOP),
    (10, SpecialCodeIndex::VSUSP),
    (12, SpecialCodeIndex::VREPRINT),
    (13, SpecialCodeIndex::VWERASE),
    (14, SpecialCodeIndex::VLNEXT),
    (18, SpecialCodeIndex::VDISCARD),
];

const INPUT: &[(u8, InputModes)] = &[
    (30, InputModes::IGNPAR),
    (31, InputModes::PARMRK),
    (32, InputModes::INPCK),
    (33, InputModes::ISTRIP),
    (34, InputModes::INLCR),
    (35, InputModes::IGNCR),
    (36, InputModes::ICRNL),
    (37, InputModes::IUCLC),
    (38, InputModes::IXON),
    (39, InputModes::IXANY),
    (40, InputModes::IXOFF),
    (41, InputModes::IMAXBEL),
    (42, InputModes::IUTF8),
];

const LOCAL: &[(u8, LocalModes)] = &[
    (50, LocalModes::ISIG),
    (51, LocalModes::ICANON),
    (52, LocalModes::XCASE),
    (53, LocalModes::ECHO),
    (54, LocalModes::ECHOE),
    (55, LocalModes::ECHOK),
    (56, LocalModes::ECHONL),
    (57, LocalModes::NOFLSH),
    (58, LocalModes::TOSTOP),
    (59, LocalModes::IEXTEN),
    (60, LocalModes::ECHOCTL),
    (61, LocalModes::ECHOKE),
    (62, LocalModes::PENDIN),
];

const OUTPUT: &[(u8, OutputModes)] = &[
    (70, OutputModes::OPOST),
    (71, OutputModes::OLCUC),
    (72, OutputModes::ONLCR),
    (73, OutputModes::OCRNL),
    (74, OutputModes::ONOCR),
    (75, OutputModes::ONLRET),
];

const CONTROL: &[(u8, ControlModes)] = &[(92, ControlModes::PARENB), (93, ControlModes::PARODD)];

/// Opcodes of the character size bits.
const CS7: u8 = 90;
const CS8: u8 = 91;

/// RFC 4254 §8: a control character's "disabled" value.
const DISABLED: u32 = 255;

/// Applies `modes` to `t`; unknown opcodes are ignored (as sshd does).
pub fn apply(modes: &TerminalModes, t: &mut Termios) {
    for &(op, value) in &modes.0 {
        let on = value != 0;
        if let Some((_, idx)) = CHARS.iter().find(|(o, _)| *o == op) {
            // POSIX "disabled" is _POSIX_VDISABLE (0 on Linux).
            t.special_codes[*idx] = if value == DISABLED {
                0
            } else {
                u8::try_from(value).unwrap_or(0)
            };
        } else if let Some((_, f)) = INPUT.iter().find(|(o, _)| *o == op) {
            t.input_modes.set(*f, on);
        } else if let Some((_, f)) = LOCAL.iter().find(|(o, _)| *o == op) {
            t.local_modes.set(*f, on);
        } else if let Some((_, f)) = OUTPUT.iter().find(|(o, _)| *o == op) {
            t.output_modes.set(*f, on);
        } else if let Some((_, f)) = CONTROL.iter().find(|(o, _)| *o == op) {
            t.control_modes.set(*f, on);
        } else if (op == CS7 || op == CS8) && on {
            t.control_modes.remove(ControlModes::CSIZE);
            t.control_modes.insert(if op == CS8 {
                ControlModes::CS8
            } else {
                ControlModes::CS7
            });
        }
    }
}

/// The modes of `t`, for `pty-req`.
#[must_use]
pub fn encode(t: &Termios) -> TerminalModes {
    let mut m = Vec::new();
    for (op, idx) in CHARS {
        let c = t.special_codes[*idx];
        m.push((*op, if c == 0 { DISABLED } else { u32::from(c) }));
    }
    let flag = |set: bool| u32::from(set);
    m.extend(
        INPUT
            .iter()
            .map(|(op, f)| (*op, flag(t.input_modes.contains(*f)))),
    );
    m.extend(
        LOCAL
            .iter()
            .map(|(op, f)| (*op, flag(t.local_modes.contains(*f)))),
    );
    m.extend(
        OUTPUT
            .iter()
            .map(|(op, f)| (*op, flag(t.output_modes.contains(*f)))),
    );
    m.extend(
        CONTROL
            .iter()
            .map(|(op, f)| (*op, flag(t.control_modes.contains(*f)))),
    );
    let size = t.control_modes & ControlModes::CSIZE;
    m.push((CS7, flag(size == ControlModes::CS7)));
    m.push((CS8, flag(size == ControlModes::CS8)));
    TerminalModes(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PTY's termios, the real thing (no constructor exists for a blank one).
    fn termios() -> Termios {
        let (_pty, pts) = pty_process::blocking::open().expect("a PTY");
        rustix::termios::tcgetattr(&pts).expect("tcgetattr")
    }

    #[test]
    fn apply_then_encode_round_trips() {
        let mut t = termios();
        let wanted = TerminalModes(vec![
            (3, 8),        // VERASE = ^H
            (1, DISABLED), // VINTR off
            (53, 0),       // ECHO off
            (51, 1),       // ICANON on
            (36, 1),       // ICRNL on
            (72, 0),       // ONLCR off
            (CS7, 1),
            (200, 1), // unknown: ignored
        ]);
        apply(&wanted, &mut t);
        assert_eq!(t.special_codes[SpecialCodeIndex::VERASE], 8);
        assert_eq!(t.special_codes[SpecialCodeIndex::VINTR], 0);
        assert!(!t.local_modes.contains(LocalModes::ECHO));
        assert!(t.local_modes.contains(LocalModes::ICANON));
        assert!(!t.output_modes.contains(OutputModes::ONLCR));
        let back = encode(&t);
        for (op, v) in [
            (3, 8),
            (1, DISABLED),
            (53, 0),
            (51, 1),
            (36, 1),
            (72, 0),
            (CS7, 1),
            (CS8, 0),
        ] {
            assert_eq!(back.get(op), Some(v), "opcode {op}");
        }
    }
}
