//! The file-transfer decoders a peer's bytes reach: SFTP packets (the framer, then requests as
//! a server reads them and responses as a client reads them) and the legacy SCP protocol (its
//! records from a byte stream, and the `scp -t|-f` command line of an exec request).

use sshgate::scp::{Command, Decoder, Record};
use sshgate::sftp::{Framer, MAX_PACKET, Request, Response};

/// Everything at once on the same bytes: each decoder must end in a value or a clean error,
/// and whatever decodes must encode to something that decodes to the same value.
pub fn transfer(data: &[u8]) {
    sftp_stream(data);
    sftp_packet(data);
    scp_stream(data);
    if let Ok(line) = std::str::from_utf8(data) {
        scp_command(line);
    }
}

/// The stream as the server's framer sees it, in two pushes (a packet split across reads).
fn sftp_stream(data: &[u8]) {
    let mut framer = Framer::new(MAX_PACKET);
    let (a, b) = data.split_at(data.len() / 2);
    for part in [a, b] {
        framer.push(part);
        loop {
            match framer.next_packet() {
                Ok(Some(packet)) => {
                    let packet = packet.to_vec();
                    sftp_packet(&packet);
                }
                Ok(None) => break,
                // The stream cannot be resynchronised after a bad length.
                Err(_) => return,
            }
        }
    }
    assert!(
        framer.buffered() <= data.len(),
        "the framer holds only what came"
    );
}

/// One packet (type byte onwards) as a request and as a response.
fn sftp_packet(packet: &[u8]) {
    if let Ok(req) = Request::decode(packet) {
        let mut out = Vec::new();
        req.encode(&mut out);
        let again = Request::decode(&out[4..]).expect("an encoded request decodes");
        assert_eq!(again, req, "a request survives encode and decode");
    }
    if let Ok(resp) = Response::decode(packet) {
        let mut out = Vec::new();
        resp.encode(&mut out);
        let again = Response::decode(&out[4..]).expect("an encoded response decodes");
        assert_eq!(again, resp, "a response survives encode and decode");
    }
}

/// SCP records as a sink or source reads them, with file contents skipped as `C` announces.
fn scp_stream(mut data: &[u8]) {
    let mut decoder = Decoder::new();
    while !data.is_empty() {
        let (taken, record) = decoder.push(data);
        assert!(taken <= data.len());
        data = &data[taken..];
        match record {
            Some(Ok(r)) => {
                // Encoding may tidy a message (a CR or LF becomes a space, so the record ends
                // where it should): what it writes must parse back to itself.
                if let Ok(bytes) = r.encode() {
                    let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
                    let again = Record::parse(line).expect("an encoded record parses");
                    assert_eq!(
                        again.encode().ok(),
                        Some(bytes.clone()),
                        "{r:?} -> {again:?}"
                    );
                    if !matches!(r, Record::Warning(_) | Record::Fatal(_)) {
                        assert_eq!(again, r, "a record survives encode and parse");
                    }
                }
                if let Record::File { size, .. } = r {
                    let skip = usize::try_from(size).unwrap_or(usize::MAX).min(data.len());
                    data = &data[skip..];
                }
            }
            Some(Err(_)) => return,
            None if taken == 0 => return,
            None => {}
        }
    }
}

/// The exec line: what parses must survive `to_line` (the browser client's side).
fn scp_command(line: &str) {
    if let Some(Ok(cmd)) = Command::parse(line) {
        let again = Command::parse(&cmd.to_line());
        assert!(
            matches!(&again, Some(Ok(c)) if *c == cmd),
            "{line:?} -> {:?} -> {again:?}",
            cmd.to_line()
        );
    }
}
