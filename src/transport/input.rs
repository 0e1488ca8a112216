//! The receive path: version line, packets, the phase check, and the generic messages.

use super::Transport;
use super::version::VersionStep;
use crate::error::Fault;
use crate::event::Event;
use crate::msg::{self, Admission, admits, message_name, reason};
use crate::time::Instant;
use crate::wire::Reader;
use crate::{Error, Role};

/// Upper bound on buffered, not yet parsed input: one maximal packet plus its MAC, plus slack.
/// A driver that keeps feeding a paused engine gets an error rather than unbounded memory.
const MAX_BUFFERED: usize = super::cipher::MAX_PACKET_LEN + 64 * 1024;

impl Transport {
    /// Takes bytes from the peer and processes every complete packet.
    pub(crate) fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Result<(), Error> {
        if let Some(e) = &self.closed {
            return Err(e.clone());
        }
        self.set_now(now);
        self.inbuf.extend_from_slice(bytes);
        match self.process() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Resumes after the application answered a question that paused input.
    pub(crate) fn resume(&mut self) -> Result<(), Error> {
        self.paused = false;
        match self.process() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn process(&mut self) -> Result<(), Error> {
        if self.peer_version.is_none() && !self.read_version()? {
            return Ok(());
        }
        let mut start = 0;
        let result = loop {
            if let Some(e) = &self.closed {
                // A handler ended the connection (e.g. too much held output).
                break Err(e.clone());
            }
            if self.paused {
                break Ok(());
            }
            let seq = self.recv_seq;
            let opened = match self.opener.open(seq, &mut self.inbuf[start..]) {
                Ok(Some(o)) => o,
                Ok(None) => break Ok(()),
                Err(e) => break Err(packet_error(e)),
            };
            let payload_range = (start + opened.payload.start)..(start + opened.payload.end);
            if self.trace.packets() {
                // The padding length byte is right before the payload (RFC 4253 §6).
                let padlen = self.inbuf[payload_range.start - 1];
                let msg = self.inbuf.get(payload_range.start).copied().unwrap_or(0);
                let len = 1 + payload_range.len() + usize::from(padlen);
                self.trace
                    .packet(|| crate::trace::TraceStep::PacketReceived {
                        msg,
                        len: u32::try_from(len).unwrap_or(u32::MAX),
                        padlen,
                    });
            }
            start += opened.consumed;
            self.recv_seq = self.recv_seq.wrapping_add(1);
            // RFC 4253 §6.4 / strict kex: the sequence number must not wrap during the first
            // exchange (the Terrapin attack depends on it).
            if self.recv_seq == 0 && !self.first_kex_done {
                break Err(Error::protocol(
                    "sequence number wrapped during the initial key exchange",
                ));
            }
            // A key may protect at most 2^32 packets a direction (the sequence number is
            // chacha20-poly1305's nonce): a peer that sends more without finishing a re-key
            // is refused rather than heard under a repeated nonce.
            self.usage.received_under_key += 1;
            if self.usage.received_under_key > super::PACKETS_PER_KEY {
                break Err(Error::protocol(
                    "peer sent 2^32 packets under one key without re-keying",
                ));
            }
            let payload = self.inbuf[payload_range].to_vec();
            self.count(opened.consumed as u64);
            if let Err(e) = self.dispatch(seq, payload) {
                break Err(e);
            }
        };
        self.inbuf.drain(..start);
        if result.is_ok() && self.inbuf.len() > MAX_BUFFERED {
            return Err(Error::protocol("peer sent more data than can be buffered"));
        }
        result
    }

    /// Returns true once the peer's identification line has been read.
    fn read_version(&mut self) -> Result<bool, Error> {
        match self.version_reader.feed(&self.inbuf)? {
            VersionStep::NeedMore => Ok(false),
            VersionStep::Done { line, consumed } => {
                self.inbuf.drain(..consumed);
                let prelude = core::mem::take(&mut self.version_reader.prelude);
                self.trace
                    .step(|| crate::trace::TraceStep::VersionReceived(line.clone()));
                self.events.push_back(Event::PeerVersion {
                    version: line.clone(),
                    prelude,
                });
                self.peer_version = Some(line);
                Ok(true)
            }
        }
    }

    fn dispatch(&mut self, seq: u32, payload: Vec<u8>) -> Result<(), Error> {
        let Some(&msg) = payload.first() else {
            return Err(Error::protocol("empty packet payload"));
        };
        if self.skip_guessed_packet && (30..=49).contains(&msg) {
            // RFC 4253 §7.1: "If the other party's guess was wrong ... the first key exchange
            // packet MUST be silently ignored".
            self.skip_guessed_packet = false;
            return Ok(());
        }
        let phase = self.phase();
        match admits(self.role, phase, self.strict_first_kex(), msg) {
            Admission::Admit => {}
            Admission::Unrecognized => {
                self.send_unimplemented(seq);
                return Ok(());
            }
            Admission::Refuse => {
                return Err(Error::protocol(format!(
                    "unexpected {} (message {msg}) while {}",
                    message_name(msg),
                    phase_text(phase)
                )));
            }
        }
        match msg {
            msg::DISCONNECT => Err(read_disconnect(&payload)),
            msg::IGNORE => {
                let mut r = Reader::new(&payload[1..]);
                let data = r.string("ignored data")?;
                self.events.push_back(Event::Ignore(data.len()));
                Ok(())
            }
            msg::UNIMPLEMENTED => {
                let mut r = Reader::new(&payload[1..]);
                r.u32("sequence number")?;
                r.finish()?;
                Ok(())
            }
            msg::DEBUG => {
                let mut r = Reader::new(&payload[1..]);
                let always_display = r.bool("always_display")?;
                let message = String::from_utf8_lossy(r.string("message")?).into_owned();
                r.string("language tag")?;
                self.events.push_back(Event::Debug {
                    always_display,
                    message,
                });
                Ok(())
            }
            msg::SERVICE_REQUEST => self.on_service_request(&payload),
            msg::SERVICE_ACCEPT => self.on_service_accept(&payload),
            msg::EXT_INFO => self.on_ext_info(&payload),
            msg::KEXINIT => self.on_kexinit(seq, payload),
            msg::NEWKEYS => self.on_newkeys(&payload),
            30..=49 => self.on_kex_method(msg, &payload),
            msg::PING => {
                let mut r = Reader::new(&payload[1..]);
                let data = r.string("ping data")?.to_vec();
                let mut w = crate::wire::Writer::message(msg::PONG);
                w.string(&data);
                self.send(w.into_vec());
                Ok(())
            }
            msg::PONG => {
                let mut r = Reader::new(&payload[1..]);
                let data = r.string("pong data")?.to_vec();
                self.events.push_back(Event::Pong(data));
                Ok(())
            }
            _ => {
                // RFC 4252 §5.1: after USERAUTH_SUCCESS the connection protocol starts. The
                // client's phase moves here, at the packet, because the next packet may already
                // be in this input (sshd sends `hostkeys-00@openssh.com` right behind it) and is
                // admitted before the user-authentication layer runs. Should that layer find the
                // success malformed, the connection fails before anything queued behind it runs.
                if self.role == Role::Client
                    && msg == msg::USERAUTH_SUCCESS
                    && phase == msg::Phase::UserAuth
                {
                    self.upper_phase = msg::Phase::Connection;
                }
                self.upper.push_back(payload);
                Ok(())
            }
        }
    }

    fn on_service_request(&mut self, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(&payload[1..]);
        let name = r.utf8("service name")?.to_string();
        r.finish()?;
        if name != "ssh-userauth" {
            return Err(Error::policy(
                reason::SERVICE_NOT_AVAILABLE,
                format!("service {name:?} not available"),
            ));
        }
        let mut w = crate::wire::Writer::message(msg::SERVICE_ACCEPT);
        w.string(name.as_bytes());
        self.send(w.into_vec());
        self.upper_phase = msg::Phase::UserAuth;
        self.events.push_back(Event::ServiceStarted(name));
        Ok(())
    }

    fn on_service_accept(&mut self, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(&payload[1..]);
        let name = r.utf8("service name")?.to_string();
        r.finish()?;
        if self.requested_service.as_deref() != Some(name.as_str()) {
            return Err(Error::protocol(format!(
                "server accepted service {name:?}, which was not requested"
            )));
        }
        self.requested_service = None;
        self.upper_phase = msg::Phase::UserAuth;
        self.events.push_back(Event::ServiceAccepted(name));
        Ok(())
    }
}

fn packet_error(e: super::cipher::PacketError) -> Error {
    use super::cipher::PacketError;
    match e {
        PacketError::MacMismatch => {
            Error::peer(reason::MAC_ERROR, "message authentication code incorrect")
        }
        PacketError::BadLength(n) => Error::protocol(format!("bad packet length {n}")),
        PacketError::BadPadding => Error::protocol("bad packet padding"),
    }
}

fn read_disconnect(payload: &[u8]) -> Error {
    let mut r = Reader::new(&payload[1..]);
    let code = r.u32("reason code").unwrap_or(0);
    let text = r
        .string("description")
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .unwrap_or_default();
    Error {
        fault: Fault::PeerDisconnected,
        reason: code,
        description: text,
    }
}

fn phase_text(p: msg::Phase) -> &'static str {
    match p {
        msg::Phase::FirstKexInit => "waiting for the first KEXINIT",
        msg::Phase::KexMethod { .. } => "in key exchange",
        msg::Phase::KexNewKeys => "waiting for NEWKEYS",
        msg::Phase::Transport => "no service has started",
        msg::Phase::UserAuth => "in user authentication",
        msg::Phase::Connection => "in the connection protocol",
    }
}

impl Role {
    /// The other side.
    #[must_use]
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}
