//! The send path: sealing payloads, holding them during key exchange, re-key accounting.

use super::Transport;
use crate::msg::{self, DISCONNECT, IGNORE, PING, UNIMPLEMENTED};
use crate::wire::Writer;

/// RFC 4253 §7.1: between sending KEXINIT and NEWKEYS only generic transport messages (1..=19,
/// but not SERVICE_REQUEST/ACCEPT) and kex messages (20..=49, but not a second KEXINIT) may go out.
fn may_send_during_kex(msg: u8) -> bool {
    matches!(msg, 1..=4 | 21..=49)
}

impl Transport {
    /// Sends `payload`, or holds it until the running key exchange has sent NEWKEYS.
    pub(crate) fn send(&mut self, payload: Vec<u8>) {
        if self.closed.is_some() {
            return;
        }
        let holding = self.kex.as_ref().is_some_and(|k| !k.sent_newkeys());
        if (holding || !self.held.is_empty()) && !may_send_during_kex(payload[0]) {
            self.held.push_back(payload);
            return;
        }
        self.seal(&payload);
    }

    /// [`Transport::send`] for a payload given in pieces: sealed straight from them, so the
    /// application's bytes are copied once, into the packet; held as one copy during a key
    /// exchange.
    pub(crate) fn send_parts(&mut self, parts: &[&[u8]]) {
        if self.closed.is_some() {
            return;
        }
        let Some(&msg) = parts.iter().find_map(|p| p.first()) else {
            return;
        };
        let holding = self.kex.as_ref().is_some_and(|k| !k.sent_newkeys());
        if (holding || !self.held.is_empty()) && !may_send_during_kex(msg) {
            self.held.push_back(parts.concat());
            return;
        }
        self.seal_parts(parts);
    }

    /// Seals one payload now, whatever the kex state (the kex machine's own messages).
    pub(crate) fn seal(&mut self, payload: &[u8]) {
        self.seal_parts(&[payload]);
    }

    fn seal_parts(&mut self, parts: &[&[u8]]) {
        let before = self.out.len();
        self.sealer
            .seal_parts(self.send_seq, parts, &mut self.rng, &mut self.out);
        self.send_seq = self.send_seq.wrapping_add(1);
        self.count((self.out.len() - before) as u64);
    }

    /// Sends what was held during a key exchange, in order.
    pub(crate) fn flush_held(&mut self) {
        while let Some(p) = self.held.pop_front() {
            self.seal(&p);
        }
    }

    /// Counts traffic under the current keys and starts a re-key when a limit is reached.
    pub(crate) fn count(&mut self, bytes: u64) {
        self.usage.bytes += bytes;
        self.usage.packets += 1;
        let limits = self.cfg.rekey;
        if self.first_kex_done
            && self.kex.is_none()
            && self.closed.is_none()
            && (self.usage.bytes >= limits.bytes || self.usage.packets >= limits.packets)
        {
            self.start_kex();
        }
    }

    pub(crate) fn send_disconnect(&mut self, reason: u32, description: &str) {
        let mut w = Writer::message(DISCONNECT);
        w.u32(reason).string(description.as_bytes()).string(b"");
        // DISCONNECT bypasses the held queue: it is the last thing we say.
        self.seal(w.as_slice());
    }

    pub(crate) fn send_unimplemented(&mut self, seq: u32) {
        let mut w = Writer::message(UNIMPLEMENTED);
        w.u32(seq);
        self.send(w.into_vec());
    }

    /// Sends SSH_MSG_IGNORE with `data` (also useful as a cheap keepalive).
    pub(crate) fn send_ignore(&mut self, data: &[u8]) {
        let mut w = Writer::message(IGNORE);
        w.string(data);
        self.send(w.into_vec());
    }

    /// Sends `ping@openssh.com`; the answer arrives as [`crate::Event::Pong`].
    pub(crate) fn send_ping(&mut self, data: &[u8]) {
        let mut w = Writer::message(PING);
        w.string(data);
        self.send(w.into_vec());
    }

    /// Asks the server for a service (client only).
    pub(crate) fn request_service(&mut self, name: &str) {
        let mut w = Writer::message(msg::SERVICE_REQUEST);
        w.string(name.as_bytes());
        self.requested_service = Some(name.to_string());
        self.send(w.into_vec());
    }
}
