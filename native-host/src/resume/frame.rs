//! Frames of `sshgate.resume.v1`: one per binary WebSocket message, a tag byte then big-endian
//! fields. Parsing borrows the message and checks every length, so a bad frame is an error and
//! never a panic or an allocation sized by the peer.

/// Largest DATA payload (the bridge's read chunk).
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// Length of a session id: 128 random bits.
pub const SID_LEN: usize = 16;

const DATA: u8 = 0x00;
const ACK: u8 = 0x01;
const SESSION: u8 = 0x02;
const RESUME: u8 = 0x03;
const RESUMED: u8 = 0x04;

/// A session id: compared whole, shown only by its first 4 bytes (ids are capabilities).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid(pub [u8; SID_LEN]);

impl std::fmt::Debug for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.0;
        write!(f, "{:02x}{:02x}{:02x}{:02x}…", p[0], p[1], p[2], p[3])
    }
}

/// One parsed frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Stream bytes, with the sender's count of bytes received from us.
    Data { ack: u64, payload: &'a [u8] },
    /// Only an acknowledgement.
    Ack { ack: u64 },
    /// Server → client: the id of a new session.
    Session { sid: Sid },
    /// Client → server: continue `sid`; `ack` = server bytes received, `pos` = bytes sent.
    Resume { sid: Sid, ack: u64, pos: u64 },
    /// Server → client: resumed; `ack` = client bytes the server has received.
    Resumed { ack: u64 },
}

/// Why a message is not a frame (the WebSocket closes with 1002).
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    Empty,
    UnknownTag(u8),
    BadLength,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

fn sid_at(b: &[u8], at: usize) -> Sid {
    let mut s = [0u8; SID_LEN];
    s.copy_from_slice(&b[at..at + SID_LEN]);
    Sid(s)
}

/// Parses one message.
pub fn parse(msg: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (&tag, body) = msg.split_first().ok_or(FrameError::Empty)?;
    let exact = |n: usize| {
        if body.len() == n {
            Ok(())
        } else {
            Err(FrameError::BadLength)
        }
    };
    match tag {
        DATA => {
            let payload = body.get(8..).ok_or(FrameError::BadLength)?;
            if payload.is_empty() || payload.len() > MAX_PAYLOAD {
                return Err(FrameError::BadLength);
            }
            Ok(Frame::Data {
                ack: u64_at(body, 0),
                payload,
            })
        }
        ACK => exact(8).map(|()| Frame::Ack {
            ack: u64_at(body, 0),
        }),
        SESSION => exact(SID_LEN).map(|()| Frame::Session {
            sid: sid_at(body, 0),
        }),
        RESUME => exact(SID_LEN + 16).map(|()| Frame::Resume {
            sid: sid_at(body, 0),
            ack: u64_at(body, SID_LEN),
            pos: u64_at(body, SID_LEN + 8),
        }),
        RESUMED => exact(8).map(|()| Frame::Resumed {
            ack: u64_at(body, 0),
        }),
        t => Err(FrameError::UnknownTag(t)),
    }
}

/// Encodes a frame into a new message.
pub fn encode(frame: &Frame<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 8 + SID_LEN + 16);
    match frame {
        Frame::Data { ack, payload } => {
            out.reserve(payload.len());
            out.push(DATA);
            out.extend_from_slice(&ack.to_be_bytes());
            out.extend_from_slice(payload);
        }
        Frame::Ack { ack } => {
            out.push(ACK);
            out.extend_from_slice(&ack.to_be_bytes());
        }
        Frame::Session { sid } => {
            out.push(SESSION);
            out.extend_from_slice(&sid.0);
        }
        Frame::Resume { sid, ack, pos } => {
            out.push(RESUME);
            out.extend_from_slice(&sid.0);
            out.extend_from_slice(&ack.to_be_bytes());
            out.extend_from_slice(&pos.to_be_bytes());
        }
        Frame::Resumed { ack } => {
            out.push(RESUMED);
            out.extend_from_slice(&ack.to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_round_trips() {
        let sid = Sid([7; SID_LEN]);
        let frames = [
            Frame::Data {
                ack: 5,
                payload: b"SSH-2.0-x\r\n",
            },
            Frame::Ack { ack: u64::MAX },
            Frame::Session { sid },
            Frame::Resume {
                sid,
                ack: 1 << 40,
                pos: 3,
            },
            Frame::Resumed { ack: 0 },
        ];
        for f in frames {
            assert_eq!(parse(&encode(&f)), Ok(f));
        }
    }

    #[test]
    fn bad_messages_are_errors() {
        assert_eq!(parse(&[]), Err(FrameError::Empty));
        assert_eq!(parse(&[9]), Err(FrameError::UnknownTag(9)));
        assert_eq!(parse(&[DATA, 0, 0]), Err(FrameError::BadLength));
        assert_eq!(
            parse(&[DATA, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError::BadLength)
        );
        assert_eq!(parse(&[ACK, 0]), Err(FrameError::BadLength));
        assert_eq!(parse(&[RESUMED; 10]), Err(FrameError::BadLength));
        let mut big = vec![DATA; 9 + MAX_PAYLOAD + 1];
        assert_eq!(parse(&big), Err(FrameError::BadLength));
        big.pop();
        assert!(parse(&big).is_ok());
        // Every truncation of a valid RESUME fails cleanly.
        let r = encode(&Frame::Resume {
            sid: Sid([1; SID_LEN]),
            ack: 1,
            pos: 2,
        });
        for n in 0..r.len() {
            assert!(parse(&r[..n]).is_err());
        }
    }

    #[test]
    fn sid_debug_shows_a_prefix_only() {
        assert_eq!(format!("{:?}", Sid([0xab; SID_LEN])), "abababab…");
    }
}
