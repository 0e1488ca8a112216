//! Limits around key exchange, in memory: how many exchanges the peer may start (before and
//! after authentication), the Diffie-Hellman values that give a trivial K, the re-key limits
//! that no configuration can raise past what a cipher bears, and what a re-key the peer never
//! finishes may hold and for how long.

mod common;

use common::{Dir, Pair, cleartext_packet, cleartext_payloads, host_key, scripted_kexinit};
use sshgate::internals::Reader;
use sshgate::kex::DhGroup;
use sshgate::keys::KeyKind;
use sshgate::msg::{self, reason};
use sshgate::transport::cipher::CipherAlg;
use sshgate::wire::Writer;
use sshgate::{
    Algorithms, ClientConfig, Connection, Duration, Error, Fault, Instant, KexLimits, RekeyLimits,
    ServerConfig,
};
use std::sync::Arc;

fn server_cfg() -> ServerConfig {
    ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        ..ServerConfig::default()
    }
}

fn pair() -> Pair {
    let mut p = Pair::new(ClientConfig::default(), server_cfg());
    p.drive();
    assert!(p.client.is_established());
    p
}

fn refused(e: &Error, what: &str) {
    assert_eq!(e.fault, Fault::Policy, "{e}");
    assert_eq!(e.reason, reason::KEY_EXCHANGE_FAILED, "{e}");
    assert!(e.description.contains(what), "{e}");
}

// --- rationing of the peer's key exchanges (D(HE)at) ---

#[test]
fn a_kexinit_flood_before_authentication_ends_the_connection() {
    let mut p = pair();
    // The first exchange and one re-key are allowed...
    p.client.rekey();
    p.drive();
    assert!(p.server_error.is_none(), "{:?}", p.server_error);
    assert_eq!(Pair::kex_completions(&p.server_events), 2);
    // ...the next KEXINIT ends the connection, before the server computes anything for it.
    p.client.rekey();
    p.drive();
    let e = p.server.close_reason().expect("server disconnects").clone();
    refused(&e, "before authentication");
    assert_eq!(Pair::kex_completions(&p.server_events), 2);
    // The client is told why.
    let told = p.client.close_reason().expect("client sees the DISCONNECT");
    assert_eq!(told.fault, Fault::PeerDisconnected);
    assert!(told.description.contains("before authentication"), "{told}");
}

#[test]
fn the_client_rations_a_server_that_keeps_re_keying() {
    let mut p = pair();
    p.server.rekey();
    p.drive();
    assert!(p.client_error.is_none());
    p.server.rekey();
    p.drive();
    refused(
        p.client.close_reason().expect("client disconnects"),
        "before authentication",
    );
}

#[test]
fn after_authentication_the_peer_re_keys_in_bursts_then_at_a_rate() {
    let mut p = pair();
    p.authenticate();
    let limits = KexLimits::default();
    // The server's own re-keys cost it nothing of what it allows the client (they are the
    // client's to ration).
    for _ in 0..limits.burst - 1 {
        p.server.rekey();
        p.drive();
    }
    assert!(p.server_error.is_none() && p.client_error.is_none());
    // The client's: a burst...
    for _ in 0..limits.burst {
        p.client.rekey();
        p.drive();
    }
    assert!(p.server_error.is_none(), "{:?}", p.server_error);
    // ...then one per `refill_after`.
    p.advance(limits.refill_after);
    p.client.rekey();
    p.drive();
    assert!(p.server_error.is_none(), "{:?}", p.server_error);
    p.client.rekey();
    p.drive();
    refused(
        p.server.close_reason().expect("server disconnects"),
        "re-keys too often",
    );
}

// --- Diffie-Hellman values that give a trivial K ---

fn raw_kexinit(kex: &str) -> Vec<u8> {
    scripted_kexinit(&[kex], false).encode([7; 16])
}

fn output(conn: &mut Connection) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while conn.poll_transmit(&mut out) {}
    cleartext_payloads(&out)
}

fn add_one(v: &[u8]) -> Vec<u8> {
    let mut v = v.to_vec();
    for b in v.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            return v;
        }
    }
    v.insert(0, 1);
    v
}

/// 0, 1, p-1, p, p+1: RFC 4253 §8's range and the two values that make K trivial.
fn edge_values(p: &[u8]) -> Vec<Vec<u8>> {
    let mut p_minus_1 = p.to_vec();
    *p_minus_1.last_mut().unwrap() &= !1; // p is odd
    vec![vec![], vec![1], p_minus_1, p.to_vec(), add_one(p)]
}

/// The server's last output is a cleartext DISCONNECT with `code`.
fn disconnect_code(payloads: &[Vec<u8>]) -> u32 {
    let last = payloads.last().expect("output");
    assert_eq!(last[0], msg::DISCONNECT);
    Reader::new(&last[1..]).u32("reason").unwrap()
}

#[test]
fn a_client_sending_e_at_the_edges_gets_a_clean_refusal() {
    for pick in 0..5 {
        // A scripted client: group exchange for a 2048-bit group, then a chosen e.
        let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
        let mut wire = b"SSH-2.0-raw\r\n".to_vec();
        wire.extend(cleartext_packet(&raw_kexinit(
            "diffie-hellman-group-exchange-sha256",
        )));
        let mut w = Writer::message(msg::KEX_DH_GEX_REQUEST);
        w.u32(2048).u32(2048).u32(8192);
        wire.extend(cleartext_packet(w.as_slice()));
        server.handle_input(&wire, Instant::ZERO).unwrap();
        let payloads = output(&mut server);
        let group = payloads.last().unwrap();
        assert_eq!(group[0], msg::KEX_REPLY_31, "GEX_GROUP");
        let mut r = Reader::new(&group[1..]);
        let p = r.mpint_positive("p").unwrap().to_vec();
        let e = edge_values(&p).swap_remove(pick);
        let mut w = Writer::message(msg::KEX_DH_GEX_INIT);
        w.mpint(&e);
        let err = server
            .handle_input(&cleartext_packet(w.as_slice()), Instant::ZERO)
            .unwrap_err();
        assert_eq!(err.fault, Fault::Peer, "{err}");
        assert_eq!(err.reason, reason::KEY_EXCHANGE_FAILED, "{err}");
        assert_eq!(
            disconnect_code(&output(&mut server)),
            reason::KEY_EXCHANGE_FAILED
        );
    }
}

#[test]
fn a_server_sending_f_at_the_edges_gets_a_clean_refusal() {
    let group = DhGroup::choose(2048, 3072, 8192).unwrap();
    for f in edge_values(&group.p) {
        // A scripted server: group exchange, then a reply with a chosen f (the signature is
        // never looked at: f is refused first).
        let mut client =
            Connection::client(Arc::new(ClientConfig::default()), Instant::ZERO, [4; 32]);
        let mut wire = b"SSH-2.0-raw\r\n".to_vec();
        wire.extend(cleartext_packet(&raw_kexinit(
            "diffie-hellman-group-exchange-sha256",
        )));
        client.handle_input(&wire, Instant::ZERO).unwrap();
        let sent = output(&mut client);
        assert_eq!(sent.last().unwrap()[0], msg::KEX_DH_GEX_REQUEST);
        let mut w = Writer::message(msg::KEX_REPLY_31);
        w.mpint(&group.p).mpint(&group.g);
        client
            .handle_input(&cleartext_packet(w.as_slice()), Instant::ZERO)
            .unwrap();
        assert_eq!(output(&mut client)[0][0], msg::KEX_DH_GEX_INIT);
        let mut w = Writer::message(msg::KEX_DH_GEX_REPLY);
        w.string(&host_key(KeyKind::Ed25519).public().to_blob())
            .mpint(&f)
            .string(b"not a signature");
        let err = client
            .handle_input(&cleartext_packet(w.as_slice()), Instant::ZERO)
            .unwrap_err();
        assert_eq!(err.reason, reason::KEY_EXCHANGE_FAILED, "{err}");
        assert!(err.description.contains("public value"), "{err}");
        assert_eq!(
            disconnect_code(&output(&mut client)),
            reason::KEY_EXCHANGE_FAILED
        );
    }
}

// --- re-key limits no configuration can raise ---

/// Re-key limits far above anything safe, on both sides.
fn huge() -> RekeyLimits {
    RekeyLimits {
        bytes: u64::MAX,
        packets: u64::MAX,
        time: Duration::from_secs(u64::MAX / 4),
    }
}

fn huge_pair(cipher: CipherAlg) -> Pair {
    let algorithms = Algorithms {
        cipher: vec![cipher],
        ..Algorithms::with_legacy()
    };
    let mut c = ClientConfig::default();
    c.common.rekey = huge();
    c.common.algorithms = algorithms.clone();
    let mut s = server_cfg();
    s.common.rekey = huge();
    s.common.algorithms = algorithms;
    let mut p = Pair::new(c, s);
    p.authenticate();
    p
}

#[test]
fn the_configured_limits_are_clamped_to_what_the_cipher_bears() {
    let huge = huge();
    for c in [
        CipherAlg::ChaCha20Poly1305,
        CipherAlg::Aes128Gcm,
        CipherAlg::Aes256Ctr,
        CipherAlg::Aes128Cbc,
    ] {
        // RFC 4344 §3.2: 2^(128/4) blocks of 16 bytes.
        assert_eq!(RekeyLimits::max_bytes(c), 64 << 30, "{c:?}");
        let l = huge.clamped(c, c);
        assert_eq!((l.bytes, l.packets), (64 << 30, 1 << 31), "{c:?}");
    }
    // 2^(64/4) blocks of 8 bytes.
    assert_eq!(RekeyLimits::max_bytes(CipherAlg::TripleDesCbc), 512 << 10);
    let l = huge.clamped(CipherAlg::Aes128Ctr, CipherAlg::TripleDesCbc);
    assert_eq!(l.bytes, 512 << 10);
    // What is below the maxima stays.
    let d = RekeyLimits::default();
    assert_eq!(d.clamped(CipherAlg::Aes128Gcm, CipherAlg::Aes128Gcm), d);
    assert_eq!(l.time, huge.time);
}

#[test]
fn a_huge_byte_limit_still_re_keys_before_the_cipher_wears_out() {
    // 3DES: 2^16 blocks of 8 bytes, so 2 MiB of traffic needs at least three re-keys whatever
    // the configuration says; and the server's rationing lets the client re-key that often.
    let mut p = huge_pair(CipherAlg::TripleDesCbc);
    for _ in 0..64 {
        p.client.send_ignore(&[0; 32 * 1024]);
        p.drive();
    }
    assert!(p.client_error.is_none() && p.server_error.is_none());
    let n = Pair::kex_completions(&p.client_events);
    assert!(n >= 3, "only {n} re-keys after 2 MiB of 3DES");
    assert_eq!(Pair::ignores(&p.server_events).len(), 64);
}

#[test]
fn a_huge_packet_limit_still_re_keys_before_the_sequence_number_wraps() {
    let mut p = huge_pair(CipherAlg::ChaCha20Poly1305);
    // As if 2^31 - 1 packets had gone out under these keys (pushing them would take hours).
    p.client
        .pretend_packets_for_tests(RekeyLimits::MAX_PACKETS - 1, 0);
    p.client.send_ignore(b"the 2^31st packet");
    p.drive();
    assert_eq!(Pair::kex_completions(&p.client_events), 1, "no re-key");
    assert!(p.client_error.is_none() && p.server_error.is_none());
}

#[test]
fn a_peer_sending_past_2_to_the_32_packets_under_one_key_is_refused() {
    let mut p = huge_pair(CipherAlg::ChaCha20Poly1305);
    // The server never hears the client's re-key (its bytes are dropped) and goes on sending:
    // the 2^32+1st packet under one key would reuse a chacha20-poly1305 nonce.
    p.tamper = Some(Box::new(|dir, _, buf| {
        if dir == Dir::ClientToServer {
            buf.clear();
        }
    }));
    p.client.pretend_packets_for_tests(0, 1 << 32);
    p.server.send_ignore(b"one too many");
    p.drive();
    let e = p.client.close_reason().expect("client refuses");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR, "{e}");
    assert!(e.description.contains("2^32"), "{e}");
}

#[test]
fn we_never_seal_past_2_to_the_32_packets_under_one_key() {
    let mut p = huge_pair(CipherAlg::ChaCha20Poly1305);
    p.client.pretend_packets_for_tests(1 << 32, 0);
    p.client.send_ignore(b"would reuse a nonce");
    let mut out = Vec::new();
    assert!(
        !p.client.poll_transmit(&mut out),
        "sealed {} bytes",
        out.len()
    );
    let e = p.client.close_reason().expect("client stops");
    refused(e, "2^32");
}

// --- a re-key the peer never finishes ---

/// An authenticated pair with a session open, whose server has started a re-key that the
/// client never hears of (every byte to it is dropped from now on).
fn stalled_rekey() -> (
    Pair,
    sshgate::channel::ChannelId,
    sshgate::channel::ChannelId,
) {
    use sshgate::Event;
    use sshgate::channel::ChannelEvent;
    let mut p = pair();
    p.authenticate();
    let c = p.client.open_session().unwrap();
    p.drive();
    let s = p
        .server_events
        .drain(..)
        .find_map(|e| match e {
            Event::Channel(ChannelEvent::OpenRequest { channel, .. }) => Some(channel),
            _ => None,
        })
        .unwrap();
    p.server.accept_channel(s).unwrap();
    p.drive();
    p.tamper = Some(Box::new(|dir, _, buf| {
        if dir == Dir::ServerToClient {
            buf.clear();
        }
    }));
    p.server.rekey();
    p.drive();
    (p, c, s)
}

#[test]
fn output_waits_unheld_while_the_peer_does_not_finish_our_re_key_and_the_deadline_ends_it() {
    use sshgate::Event;
    use sshgate::channel::ChannelEvent;
    let (mut p, c, s) = stalled_rekey();
    let chunk = vec![7u8; 32 * 1024];
    let start = p.now;
    for _ in 0..100 {
        // The application keeps writing: nothing is taken, so nothing piles up...
        assert_eq!(p.server.send_data(s, &chunk).unwrap(), 0);
        // ...while the client goes on as if nothing happened, and the server's application
        // consumes what arrives (its window adjustments wait behind the exchange).
        p.client.send_data(c, &chunk[..1000]).unwrap();
        p.drive();
        for e in std::mem::take(&mut p.server_events) {
            if let Event::Channel(ChannelEvent::Data { channel, data }) = e {
                p.server.consume(channel, data.len()).unwrap();
            }
        }
        let (n, bytes) = p.server.held_output_for_tests();
        assert!(
            n <= 100 && bytes <= 16 * 1024,
            "held {n} payloads, {bytes} bytes"
        );
        p.advance(Duration::from_secs(1));
    }
    // The key exchange time-out (120 s by default) ends it; not before.
    assert!(!p.server.is_closed(), "{:?}", p.server.close_reason());
    let deadline = p.server.poll_timeout().expect("the key exchange deadline");
    assert!(deadline <= start + KexLimits::default().timeout + Duration::from_secs(1));
    p.advance(deadline - p.now);
    refused(
        p.server.close_reason().expect("server gives up"),
        "not finished",
    );
}

#[test]
fn a_peer_that_floods_requests_during_our_re_key_hits_the_held_cap() {
    let (mut p, _, _) = stalled_rekey();
    // Every ping wants a pong, and the pongs must wait for the exchange.
    for i in 0..10_000u32 {
        p.client.send_ping(&i.to_be_bytes());
        p.drive();
        let (n, bytes) = p.server.held_output_for_tests();
        assert!(
            n <= 4096 && bytes <= 1 << 20,
            "held {n} payloads, {bytes} bytes"
        );
        if p.server.is_closed() {
            break;
        }
    }
    refused(
        p.server.close_reason().expect("server gives up"),
        "held back",
    );
}
