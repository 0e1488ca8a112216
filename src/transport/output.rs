//! The send path: sealing payloads, holding them during key exchange, re-key accounting.

use super::Transport;
use crate::Error;
use crate::msg::{self, DISCONNECT, IGNORE, PING, UNIMPLEMENTED, reason};
use crate::wire::Writer;

/// RFC 4253 §7.1: between sending KEXINIT and NEWKEYS only generic transport messages (1..=19,
/// but not SERVICE_REQUEST/ACCEPT) and kex messages (20..=49, but not a second KEXINIT) may go out.
fn may_send_during_kex(msg: u8) -> bool {
    matches!(msg, 1..=4 | 21..=49)
}

/// Most bytes held while a key exchange runs. Channel data is not taken then (the application
/// waits for `Writable`), so what is held is control traffic — answers to the peer's requests,
/// window adjustments, the application's requests — and a peer that keeps asking while it
/// never finishes the exchange would otherwise grow it without end.
const MAX_HELD_BYTES: usize = 1 << 20;

/// Most payloads held while a key exchange runs (each one also costs an allocation).
const MAX_HELD_MESSAGES: usize = 4096;

impl Transport {
    /// Sends `payload`, or holds it until the running key exchange has sent NEWKEYS.
    pub(crate) fn send(&mut self, payload: Vec<u8>) {
        if self.closed.is_some() {
            return;
        }
        if self.holds_output() && !may_send_during_kex(payload[0]) {
            self.hold(payload);
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
        if self.holds_output() && !may_send_during_kex(msg) {
            self.hold(parts.concat());
            return;
        }
        self.seal_parts(parts);
    }

    /// Keeps `payload` for after our NEWKEYS, within the bounds above: one that would not fit
    /// ends the connection instead.
    fn hold(&mut self, payload: Vec<u8>) {
        let bytes = self.held_bytes + payload.len();
        if bytes > MAX_HELD_BYTES || self.held.len() >= MAX_HELD_MESSAGES {
            let n = self.held.len() + 1;
            self.fail(Error::policy(
                reason::KEY_EXCHANGE_FAILED,
                format!(
                    "{n} messages ({bytes} bytes) held back while the peer does not finish \
                     the key exchange"
                ),
            ));
            return;
        }
        self.held_bytes = bytes;
        self.held.push_back(payload);
    }

    /// Seals one payload now, whatever the kex state (the kex machine's own messages).
    pub(crate) fn seal(&mut self, payload: &[u8]) {
        self.seal_parts(&[payload]);
    }

    fn seal_parts(&mut self, parts: &[&[u8]]) {
        // RFC 4344 §3.1 (SHOULD re-key at least once every 2^32 outgoing packets), and for
        // chacha20-poly1305 a must: the sequence number (RFC 4253 §6.4, wrapping after 2^32) is
        // its nonce (OpenSSH PROTOCOL.chacha20poly1305), so one key never seals more.
        // Re-keying starts long before; should the peer never finish it, the connection ends
        // here, without another packet (the DISCONNECT too would need a fresh nonce).
        if self.usage.sent_under_key >= super::PACKETS_PER_KEY {
            self.fail(Error::policy(
                reason::KEY_EXCHANGE_FAILED,
                "2^32 packets sent under one key and the peer did not re-key",
            ));
            return;
        }
        let before = self.out.len();
        if self.trace.packets() {
            self.trace_sent(parts);
        }
        self.sealer
            .seal_parts(self.send_seq, parts, &mut self.rng, &mut self.out);
        self.send_seq = self.send_seq.wrapping_add(1);
        self.usage.sent_under_key += 1;
        self.count((self.out.len() - before) as u64);
    }

    /// Records a packet about to be sealed (IOS `send: len N (includes padlen P)`).
    fn trace_sent(&mut self, parts: &[&[u8]]) {
        let payload_len: usize = parts.iter().map(|p| p.len()).sum();
        let padlen = self.sealer.padding_for(payload_len);
        let msg = parts.iter().find_map(|p| p.first()).copied().unwrap_or(0);
        self.trace.packet(|| crate::trace::TraceStep::PacketSent {
            msg,
            len: u32::try_from(1 + payload_len + padlen).unwrap_or(u32::MAX),
            padlen: u8::try_from(padlen).unwrap_or(u8::MAX),
        });
    }

    /// Sends what was held during a key exchange, in order.
    pub(crate) fn flush_held(&mut self) {
        self.held_bytes = 0;
        while let Some(p) = self.held.pop_front() {
            self.seal(&p);
        }
    }

    /// Counts traffic under the current keys and starts a re-key when a limit is reached
    /// (before authentication only the ciphers' own limits: see `rekey_limits`).
    pub(crate) fn count(&mut self, bytes: u64) {
        self.usage.bytes += bytes;
        self.usage.packets += 1;
        self.traffic = self.traffic.saturating_add(bytes);
        if !self.first_kex_done || self.kex.is_some() || self.closed.is_some() {
            return;
        }
        let limits = self.rekey_limits();
        if self.usage.bytes >= limits.bytes || self.usage.packets >= limits.packets {
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
