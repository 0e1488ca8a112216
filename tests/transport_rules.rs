//! Transport-layer rules checked in memory: strict kex, guesses, re-key triggers, services,
//! extensions, refusals. Each test drives real client and server engines, sometimes with bytes
//! injected or rewritten on the wire.

mod common;

use common::{Dir, Pair, cleartext_packet, host_key, scripted_kexinit};
use sshgate::crypto::EngineRng;
use sshgate::internals::{ClientEphemeral, Reader};
use sshgate::kex::{self, KexAlg};
use sshgate::keys::KeyKind;
use sshgate::msg::{self, reason};
use sshgate::transport::cipher::CipherAlg;
use sshgate::transport::kexinit::{KEX_STRICT_C, KexInit};
use sshgate::wire::Writer;
use sshgate::{
    Algorithms, ClientConfig, Connection, Duration, Event, Fault, Instant, RekeyLimits,
    ServerConfig,
};
use std::sync::Arc;

fn server_cfg() -> ServerConfig {
    ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519), host_key(KeyKind::Rsa(2048))],
        ..ServerConfig::default()
    }
}

fn pair() -> Pair {
    Pair::new(ClientConfig::default(), server_cfg())
}

/// Splits `buf` after the version line and the first cleartext packet.
fn split_after_first_packet(buf: &[u8]) -> usize {
    let nl = buf.iter().position(|&b| b == b'\n').expect("version line") + 1;
    let len = u32::from_be_bytes(buf[nl..nl + 4].try_into().unwrap()) as usize;
    nl + 4 + len
}

#[test]
fn handshake_service_request_and_ext_info() {
    let mut p = pair();
    p.drive();
    assert!(p.client.is_established() && p.server.is_established());
    p.client.request_service("ssh-userauth");
    p.drive();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::ServiceAccepted(s) if s == "ssh-userauth"))
    );
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, Event::ServiceStarted(s) if s == "ssh-userauth"))
    );
    // RFC 8308: the server told the client which signature algorithms it accepts.
    let algs = p
        .client
        .server_sig_algs()
        .expect("server-sig-algs")
        .to_vec();
    assert!(
        algs.contains(&"ssh-ed25519".to_string()) && algs.contains(&"rsa-sha2-512".to_string()),
        "{algs:?}"
    );
    assert!(
        !algs.contains(&"ssh-rsa".to_string()),
        "legacy ssh-rsa offered by default"
    );
    // The client learnt the server's version; both saw a first kex.
    assert!(p.client_events.iter().any(|e| matches!(e, Event::PeerVersion { version, .. } if version.starts_with("SSH-2.0-sshgate"))));
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::KexComplete { initial: true, .. }))
    );
}

#[test]
fn unknown_service_is_refused_with_service_not_available() {
    let mut p = pair();
    p.drive();
    p.client.request_service("ssh-connection");
    p.drive();
    let e = p.server_error.expect("server refused");
    assert_eq!(e.reason, reason::SERVICE_NOT_AVAILABLE);
    assert_eq!(
        p.client_error.expect("client told").fault,
        Fault::PeerDisconnected
    );
}

#[test]
fn ping_gets_pong() {
    let mut p = pair();
    p.drive();
    p.client.send_ping(b"are you there");
    p.drive();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::Pong(d) if d == b"are you there"))
    );
}

#[test]
fn refused_host_key_ends_with_host_key_not_verifiable() {
    let mut p = pair();
    p.trust_host_key = false;
    p.drive();
    let e = p.client_error.expect("client refused");
    assert_eq!(e.reason, reason::HOST_KEY_NOT_VERIFIABLE);
    assert_eq!(e.fault, Fault::Policy);
    assert!(!p.client.is_established());
}

#[test]
fn host_key_event_carries_a_verifiable_fingerprint() {
    let mut p = pair();
    p.drive();
    let info = p
        .client_events
        .iter()
        .find_map(|e| {
            if let Event::HostKey(i) = e {
                Some(i.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(info.key, host_key(KeyKind::Ed25519).public());
    assert!(info.fingerprint.starts_with("SHA256:"));
}

#[test]
fn no_common_algorithm_fails_on_both_sides() {
    let mut c = ClientConfig::default();
    c.common.algorithms.cipher = vec![CipherAlg::Aes128Cbc];
    let mut p = Pair::new(c, server_cfg());
    p.drive();
    let e = p.client_error.or(p.server_error).expect("failure");
    assert_eq!(e.reason, reason::KEY_EXCHANGE_FAILED);
    assert!(e.description.contains("aes128-cbc"), "{e}");
}

#[test]
fn legacy_algorithms_are_off_by_default() {
    let d = Algorithms::default();
    assert!(!d.cipher.iter().any(|c| c.is_legacy()));
    assert!(!d.kex.contains(&KexAlg::DhGroup14Sha1) && !d.kex.contains(&KexAlg::DhGexSha1));
    assert!(!d.host_key.iter().any(|h| h.name() == "ssh-rsa"));
    assert!(!d.cipher.contains(&CipherAlg::TripleDesCbc));
}

// --- strict kex (Terrapin countermeasure) ---

fn inject_c2s(p: &mut Pair, at_first_packet_end: bool, payload: Vec<u8>) {
    let mut done = false;
    p.tamper = Some(Box::new(move |dir, sent, buf| {
        if dir != Dir::ClientToServer || done || sent != 0 {
            return;
        }
        done = true;
        let at = if at_first_packet_end {
            split_after_first_packet(buf)
        } else {
            buf.iter().position(|&b| b == b'\n').unwrap() + 1
        };
        let pkt = cleartext_packet(&payload);
        buf.splice(at..at, pkt);
    }));
}

#[test]
fn strict_kex_refuses_ignore_before_kexinit() {
    let mut p = pair();
    inject_c2s(&mut p, false, vec![msg::IGNORE, 0, 0, 0, 0]);
    p.drive();
    let e = p.server_error.expect("server must disconnect");
    assert!(e.description.contains("strict"), "{e}");
    assert!(!p.server.is_established());
}

#[test]
fn strict_kex_refuses_ignore_during_initial_kex() {
    let mut p = pair();
    inject_c2s(&mut p, true, vec![msg::IGNORE, 0, 0, 0, 0]);
    p.drive();
    let e = p.server_error.expect("server must disconnect");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
    assert!(e.description.contains("IGNORE"), "{e}");
}

#[test]
fn strict_kex_refuses_unknown_message_during_initial_kex() {
    let mut p = pair();
    inject_c2s(&mut p, true, vec![250, 1, 2, 3]);
    p.drive();
    let e = p.server_error.expect("server must disconnect");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
}

#[test]
fn without_strict_kex_ignore_during_kex_is_fine() {
    // Remove the strict marker from the client's KEXINIT in flight; the exchange hash then
    // differs, so only check the server got past the IGNORE (it fails later on the signature at
    // the client, which is the expected price of rewriting a KEXINIT).
    let mut p = pair();
    let mut done = false;
    p.tamper = Some(Box::new(move |dir, sent, buf| {
        if dir != Dir::ClientToServer || done || sent != 0 {
            return;
        }
        done = true;
        let nl = buf.iter().position(|&b| b == b'\n').unwrap() + 1;
        let end = split_after_first_packet(buf);
        let pkt = &buf[nl..end];
        let payload = &pkt[5..pkt.len() - pkt[4] as usize];
        let mut init = KexInit::decode(payload).unwrap();
        init.kex.retain(|k| k != KEX_STRICT_C);
        let mut new = cleartext_packet(&init.encode([0; 16]));
        new.extend(cleartext_packet(&[msg::IGNORE, 0, 0, 0, 0]));
        buf.splice(nl..end, new);
    }));
    p.drive();
    let ignored = p
        .server_events
        .iter()
        .any(|e| matches!(e, Event::Ignore(0)));
    assert!(
        ignored,
        "server did not take the IGNORE: {:?}",
        p.server_error
    );
}

// --- first_kex_packet_follows (RFC 4253 §7.1) ---

/// A scripted client: sends its version and a KEXINIT with a guess, then `then`, and returns the
/// server's cleartext replies as payloads.
fn scripted_guess(first_kex: &str, guessed: Vec<u8>) -> (Vec<Vec<u8>>, Option<sshgate::Error>) {
    let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
    let init = scripted_kexinit(&[first_kex, "curve25519-sha256"], true);
    let mut wire = b"SSH-2.0-scripted\r\n".to_vec();
    wire.extend(cleartext_packet(&init.encode([7; 16])));
    wire.extend(cleartext_packet(&guessed));
    // then a real curve25519 init
    let mut rng = EngineRng::from_seed([9; 32]);
    let eph = ClientEphemeral::generate(KexAlg::Curve25519Sha256, None, &mut rng).unwrap();
    let mut w = Writer::message(msg::KEX_INIT_30);
    kex::encode_public(KexAlg::Curve25519Sha256, eph.public(), &mut w);
    wire.extend(cleartext_packet(w.as_slice()));
    let err = server.handle_input(&wire, Instant::ZERO).err();
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) {}
    let nl = out.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut payloads = Vec::new();
    let mut rest = &out[nl..];
    while rest.len() >= 5 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        if rest[4] == 0 || 4 + len > rest.len() {
            break;
        }
        let pad = rest[4] as usize;
        payloads.push(rest[5..4 + len - pad].to_vec());
        rest = &rest[4 + len..];
        if payloads.last().is_some_and(|p| p[0] == msg::NEWKEYS) {
            break; // everything after is encrypted
        }
    }
    (payloads, err)
}

#[test]
fn a_wrong_guess_is_silently_dropped() {
    // The client's first choice is a method the server does not have, so its guessed packet
    // must be ignored and the real curve25519 init answered.
    let junk = vec![msg::KEX_INIT_30, 0, 0, 0, 3, 1, 2, 3];
    let (payloads, err) = scripted_guess("ecdh-sha2-nistp999@example", junk);
    assert!(err.is_none(), "{err:?}");
    let numbers: Vec<u8> = payloads.iter().map(|p| p[0]).collect();
    assert_eq!(numbers, vec![msg::KEXINIT, msg::KEX_REPLY_31, msg::NEWKEYS]);
    // the reply carries an ed25519 host key
    let mut r = Reader::new(&payloads[1][1..]);
    let ks = r.string("K_S").unwrap();
    assert_eq!(ks, host_key(KeyKind::Ed25519).public().to_blob().as_slice());
}

// --- re-key triggers ---

/// An authenticated pair (our own re-key limits apply from the login on) whose client has
/// `limits`; the server lets the client re-key as often as it likes, since these tests count
/// re-keys, not their rationing (tests/kex_limits.rs).
fn rekey_pair(limits: RekeyLimits) -> Pair {
    let mut c = ClientConfig::default();
    c.common.rekey = limits;
    let mut s = server_cfg();
    s.common.kex_limits.burst = u32::MAX;
    let mut p = Pair::new(c, s);
    p.authenticate();
    assert!(p.client.is_established());
    p
}

#[test]
fn rekeys_on_byte_count() {
    let mut p = rekey_pair(RekeyLimits {
        bytes: 64 * 1024,
        ..RekeyLimits::default()
    });
    for _ in 0..150 {
        p.client.send_ignore(&[0; 2000]);
        p.drive();
    }
    let n = Pair::kex_completions(&p.client_events);
    assert!(n >= 3, "only {n} re-keys after 300 kB with a 64 KiB limit");
    assert_eq!(
        Pair::ignores(&p.server_events).len(),
        150,
        "data lost across re-keys"
    );
}

#[test]
fn rekeys_on_packet_count() {
    let mut p = rekey_pair(RekeyLimits {
        packets: 50,
        ..RekeyLimits::default()
    });
    for _ in 0..200 {
        p.server.send_ignore(b"x");
        p.drive();
    }
    assert!(Pair::kex_completions(&p.client_events) >= 3);
    assert_eq!(Pair::ignores(&p.client_events).len(), 200);
}

#[test]
fn rekeys_on_elapsed_time_with_the_virtual_clock() {
    let mut p = rekey_pair(RekeyLimits {
        time: Duration::from_secs(60),
        ..RekeyLimits::default()
    });
    let deadline = p.client.poll_timeout().expect("re-key timer armed");
    assert_eq!(deadline, Instant::ZERO + Duration::from_secs(60));
    p.advance(Duration::from_secs(59));
    assert_eq!(Pair::kex_completions(&p.client_events), 0);
    p.advance(Duration::from_secs(2));
    assert_eq!(Pair::kex_completions(&p.client_events), 1);
    assert!(p.client.poll_timeout().unwrap() > p.now);
}

#[test]
fn our_own_limits_wait_for_authentication() {
    // Before the login a peer could make us re-key by sending traffic (or by waiting): our
    // limits start counting only once authenticated, as OpenSSH's do.
    let mut c = ClientConfig::default();
    c.common.rekey = RekeyLimits {
        bytes: 16 * 1024,
        packets: 20,
        time: Duration::from_secs(60),
    };
    let mut p = Pair::new(c, server_cfg());
    p.drive();
    for _ in 0..50 {
        p.server.send_ignore(&[0; 1000]);
        p.drive();
    }
    // (Within the server's 120 s login time.)
    p.advance(Duration::from_secs(100));
    assert_eq!(Pair::kex_completions(&p.client_events), 1);
    assert!(p.client_error.is_none() && p.server_error.is_none());
}

#[test]
fn data_sent_during_a_rekey_is_held_not_lost() {
    let mut p = pair();
    p.drive();
    p.client.rekey();
    // Client is mid-exchange: these must wait for NEWKEYS and then arrive in order.
    for i in 0..10u8 {
        p.client.send_ignore(&vec![i; usize::from(i) + 1]);
    }
    p.drive();
    assert_eq!(
        Pair::ignores(&p.server_events),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(Pair::kex_completions(&p.server_events), 2);
}

// --- refusals of malformed input ---

#[test]
fn oversized_packet_is_refused_before_allocation() {
    let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
    let mut wire = b"SSH-2.0-x\r\n".to_vec();
    wire.extend([0x7f, 0xff, 0xff, 0xff, 4]);
    let e = server.handle_input(&wire, Instant::ZERO).unwrap_err();
    assert_eq!(e.fault, Fault::Peer);
    assert!(e.description.contains("length"), "{e}");
}

#[test]
fn ssh1_client_is_refused_clearly() {
    let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
    let e = server
        .handle_input(b"SSH-1.5-old\r\n", Instant::ZERO)
        .unwrap_err();
    assert_eq!(e.reason, reason::PROTOCOL_VERSION_NOT_SUPPORTED);
    // the refusal is sent to the peer as a DISCONNECT after our own version line
    let mut out = Vec::new();
    server.poll_transmit(&mut out);
    assert!(
        out.windows(12).any(|w| w == b"SSH protocol"),
        "no readable reason sent"
    );
}

#[test]
fn truncated_and_random_kex_messages_never_panic() {
    // Every prefix of a valid KEXINIT, and junk method messages, fed to a fresh server.
    let init = scripted_kexinit(&["curve25519-sha256"], false).encode([0; 16]);
    for cut in 1..init.len() {
        let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
        let mut wire = b"SSH-2.0-x\r\n".to_vec();
        wire.extend(cleartext_packet(&init[..cut]));
        assert!(
            server.handle_input(&wire, Instant::ZERO).is_err(),
            "prefix {cut} accepted"
        );
    }
    let mut rng = EngineRng::from_seed([5; 32]);
    for i in 0..200 {
        let mut server = Connection::server(Arc::new(server_cfg()), Instant::ZERO, [3; 32]);
        let mut wire = b"SSH-2.0-x\r\n".to_vec();
        wire.extend(cleartext_packet(&init));
        let mut junk = vec![0u8; i % 64 + 1];
        rng.fill(&mut junk);
        junk[0] = msg::KEX_INIT_30;
        wire.extend(cleartext_packet(&junk));
        assert!(
            server.handle_input(&wire, Instant::ZERO).is_err(),
            "junk init {i} accepted"
        );
    }
}
