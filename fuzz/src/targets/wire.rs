//! Targets fed from the wire before any keys: each role's whole byte stream, and the
//! stand-alone decoders of wire structures.

use crate::app::App;
use crate::fixtures::{NOW, wide_client_config, wide_server_config};
use sshgate::internals::Reader;
use sshgate::keys::PublicKey;
use sshgate::pki::{BlobLimits, X509Blob};
use sshgate::transport::kexinit::KexInit;
use sshgate::{Connection, Instant};

/// Feeds `data` in pieces, answering events as the application after each, as a driver does.
/// A piece is never larger than the smallest packet (16 bytes), so the application answers
/// after every packet, as it did when the seeds were recorded: a reply that only follows an
/// answer (the channel confirmation after the session the client opens on USERAUTH_SUCCESS)
/// then comes after it in the replay too.
pub fn feed(conn: &mut Connection, data: &[u8]) {
    let mut app = App::new();
    let mut sink = Vec::new();
    for piece in data.chunks(16) {
        if conn.handle_input(piece, Instant::ZERO).is_err() {
            break;
        }
        app.settle(conn);
        while conn.poll_transmit(&mut sink) {
            sink.clear();
        }
    }
    crate::session::assert_not_ours(conn);
}

/// The client of `client_input` (seed and configuration fixed, so a recorded server stream
/// replays: seeds.rs).
#[must_use]
pub fn client() -> Connection {
    let mut c = Connection::client(wide_client_config(), Instant::ZERO, [1; 32]);
    c.set_wall_clock(NOW);
    c
}

/// The server of `server_input`.
#[must_use]
pub fn server() -> Connection {
    let mut s = Connection::server(wide_server_config(), Instant::ZERO, [1; 32]);
    s.set_wall_clock(NOW);
    s
}

/// A client (every algorithm, RFC 6187 host certificates trusted) fed a server's whole byte
/// stream: prelude lines, identification, KEXINIT and every key exchange method's replies,
/// host key and certificate chain checks with stapled OCSP; a recorded session (the seeds)
/// goes on through user authentication and channels.
pub fn client_input(data: &[u8]) {
    feed(&mut client(), data);
}

/// A server (every algorithm, Ed25519, P-256 and RSA host keys and a P-256 host certificate)
/// fed a client's whole byte stream: identification, KEXINIT negotiation and guesses, strict
/// kex, each method's init message (group-exchange sizes, DH values, ECDH points, ML-KEM).
pub fn server_input(data: &[u8]) {
    feed(&mut server(), data);
}

/// The decoders of wire structures: KEXINIT, public key blobs (whatever parses must
/// re-encode to the same bytes), RFC 6187 key blobs of every algorithm, the wire reader's
/// compound types, and the escaping of peer text for logs and terminals.
pub fn decoders(data: &[u8]) {
    let _ = KexInit::decode(data);
    if let Ok(key) = PublicKey::from_blob(data) {
        assert_eq!(
            key.to_blob(),
            data,
            "a public key blob re-encodes as it came"
        );
    }
    if let Some(alg) = X509Blob::peek_alg(data)
        && let Ok(blob) = X509Blob::decode(alg, data, &BlobLimits::default())
    {
        let _ = blob.leaf();
        let _ = blob.encode();
    }
    for alg in crate::fixtures::x509_algs() {
        let _ = X509Blob::decode(alg, data, &BlobLimits::default());
    }
    let mut r = Reader::new(data);
    let _ = r.name_list("l");
    let _ = r.mpint_positive("m");
    let _ = r.string("s");
    let _ = r.utf8("u");
    let _ = r.finish();
    let log = sshgate::text::bytes_for_log(data, 64);
    assert!(
        !log.contains('\n') && !log.contains('\x1b'),
        "log text is one safe line"
    );
    if let Ok(text) = core::str::from_utf8(data) {
        let shown = sshgate::text::for_terminal(text, 256);
        assert!(!shown.contains('\x1b'), "terminal text has no escape");
    }
}
