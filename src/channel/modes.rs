//! Encoded terminal modes of `pty-req` (RFC 4254 §8): opcode bytes each followed by a `uint32`,
//! ended by `TTY_OP_END`. Opcodes 160..=255 have unknown argument layouts, so parsing stops there
//! (as OpenSSH does); everything before is kept.

use crate::wire::{Reader, Writer};

/// Most opcodes kept from one request (RFC 4254 defines fewer than 100).
const MAX_MODES: usize = 256;

/// Terminal mode opcodes the native host applies; the full list is RFC 4254 §8.
pub mod opcode {
    /// End of the list.
    pub const TTY_OP_END: u8 = 0;
    /// Interrupt character (usually ^C).
    pub const VINTR: u8 = 1;
    /// Quit character.
    pub const VQUIT: u8 = 2;
    /// Erase character.
    pub const VERASE: u8 = 3;
    /// Kill-line character.
    pub const VKILL: u8 = 4;
    /// End-of-file character.
    pub const VEOF: u8 = 5;
    /// Suspend character.
    pub const VSUSP: u8 = 10;
    /// Map CR to NL on input.
    pub const ICRNL: u8 = 36;
    /// Enable signals.
    pub const ISIG: u8 = 50;
    /// Canonical input (line editing).
    pub const ICANON: u8 = 51;
    /// Echo input.
    pub const ECHO: u8 = 53;
    /// Map NL to CR-NL on output.
    pub const ONLCR: u8 = 72;
    /// Input baud rate.
    pub const TTY_OP_ISPEED: u8 = 128;
    /// Output baud rate.
    pub const TTY_OP_OSPEED: u8 = 129;
}

/// Terminal modes as (opcode, value) pairs in the order received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalModes(pub Vec<(u8, u32)>);

impl TerminalModes {
    /// The value of `op`, if present.
    #[must_use]
    pub fn get(&self, op: u8) -> Option<u32> {
        self.0.iter().find(|(o, _)| *o == op).map(|(_, v)| *v)
    }

    /// Parses the encoded string. Malformed tails are dropped rather than refused: OpenSSH
    /// treats modes as advisory, and a peer's odd terminal must not cost it its session.
    #[must_use]
    pub fn decode(bytes: &[u8]) -> Self {
        let mut r = Reader::new(bytes);
        let mut modes = Vec::new();
        while modes.len() < MAX_MODES {
            let Ok(op) = r.u8("mode opcode") else { break };
            if op == opcode::TTY_OP_END || op >= 160 {
                break;
            }
            let Ok(value) = r.u32("mode value") else {
                break;
            };
            modes.push((op, value));
        }
        TerminalModes(modes)
    }

    /// The wire encoding, `TTY_OP_END` included.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        for &(op, value) in &self.0 {
            if op != opcode::TTY_OP_END && op < 160 {
                w.u8(op).u32(value);
            }
        }
        w.u8(opcode::TTY_OP_END);
        w.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_end() {
        let m = TerminalModes(vec![(opcode::ECHO, 1), (opcode::TTY_OP_OSPEED, 38400)]);
        let enc = m.encode();
        assert_eq!(enc.len(), 2 * 5 + 1);
        assert_eq!(TerminalModes::decode(&enc), m);
        assert_eq!(m.get(opcode::TTY_OP_OSPEED), Some(38400));
        assert_eq!(m.get(opcode::ICANON), None);
    }

    #[test]
    fn malformed_tails_are_dropped() {
        // Truncated value, opcode >= 160, missing end: each keeps what came before.
        assert_eq!(
            TerminalModes::decode(&[53, 0, 0, 0, 1, 51, 0]).0,
            vec![(53, 1)]
        );
        assert_eq!(
            TerminalModes::decode(&[53, 0, 0, 0, 1, 200, 1, 2, 3, 4, 50, 0, 0, 0, 1]).0,
            vec![(53, 1)]
        );
        assert!(TerminalModes::decode(&[]).0.is_empty());
        let long: Vec<u8> = (0..10_000).flat_map(|_| [53u8, 0, 0, 0, 1]).collect();
        assert_eq!(TerminalModes::decode(&long).0.len(), MAX_MODES);
    }
}
