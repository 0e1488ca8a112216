//! A peer that tampers with bytes in flight: any flipped bit in a packet after NEWKEYS ends the
//! connection with a MAC/tag failure (or, for a length field that is not authenticated before it
//! is read, a bad length) and a clean DISCONNECT, for every cipher/MAC pair. Never a payload.

mod common;

use common::{Pair, host_key};
use sshgate::keys::KeyKind;
use sshgate::msg::reason;
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use sshgate::{Algorithms, ClientConfig, Event, Fault, ServerConfig};

fn established(cipher: CipherAlg, mac: Option<MacAlg>) -> Pair {
    let mut client = ClientConfig::default();
    client.common.algorithms = Algorithms::with_legacy();
    client.common.algorithms.cipher = vec![cipher];
    client.common.algorithms.mac = vec![mac.unwrap_or(MacAlg::HmacSha256)];
    let mut server = ServerConfig::default();
    server.common.algorithms = Algorithms::with_legacy();
    server.host_keys = vec![host_key(KeyKind::Ed25519)];
    let mut pair = Pair::new(client, server);
    pair.drive();
    assert!(pair.client.is_established(), "{:?}", pair.client_error);
    pair
}

fn pairs() -> Vec<(CipherAlg, Option<MacAlg>)> {
    let mut v = Vec::new();
    for &c in CipherAlg::ALL {
        if c.is_aead() {
            v.push((c, None));
        } else {
            v.extend(MacAlg::ALL.iter().map(|&m| (c, Some(m))));
        }
    }
    v
}

#[test]
fn flipped_bit_after_newkeys_is_caught_for_every_cipher_and_mac() {
    for (cipher, mac) in pairs() {
        // Bytes that decide the packet length: a flip there can make the reader wait for a
        // longer (bogus) packet or refuse the length before any tag can be checked. In CBC
        // without ETM the whole first block decides it.
        let etm = mac.is_some_and(|m| m.is_etm());
        let cbc = matches!(
            cipher,
            CipherAlg::Aes128Cbc
                | CipherAlg::Aes192Cbc
                | CipherAlg::Aes256Cbc
                | CipherAlg::TripleDesCbc
        );
        let length_zone = if cbc && !etm { cipher.block_size() } else { 4 };
        let probe = established(cipher, mac);
        let mut sample = Vec::new();
        let mut p = probe;
        p.server.send_ignore(&[0x55; 64]);
        p.server.poll_transmit(&mut sample);
        let len = sample.len();
        for pos in [0, 1, 3, 4, 5, len / 2, len - 17, len - 1] {
            for bit in [0x01u8, 0x80] {
                let what = format!(
                    "{} {:?} byte {pos} bit {bit:#x}",
                    cipher.name(),
                    mac.map(|m| m.name())
                );
                let mut pair = established(cipher, mac);
                let ignores_before = Pair::ignores(&pair.client_events).len();
                pair.server.send_ignore(&[0x55; 64]);
                let mut wire = Vec::new();
                pair.server.poll_transmit(&mut wire);
                assert_eq!(wire.len(), len);
                wire[pos] ^= bit;
                // Follow with more packets so a corrupted length has bytes to wait for.
                for _ in 0..4 {
                    pair.server.send_ignore(&[0xaa; 1000]);
                }
                pair.server.poll_transmit(&mut wire);
                let result = pair.client.handle_input(&wire, pair.now);
                while let Some(ev) = pair.client.poll_event() {
                    pair.client_events.push(ev);
                }
                assert_eq!(
                    Pair::ignores(&pair.client_events).len(),
                    ignores_before,
                    "{what}: tampered payload delivered"
                );
                match result {
                    Err(e) => {
                        assert_eq!(e.fault, Fault::Peer, "{what}");
                        if pos >= length_zone {
                            assert_eq!(e.reason, reason::MAC_ERROR, "{what}: {e}");
                        } else {
                            assert!(
                                matches!(e.reason, reason::MAC_ERROR | reason::PROTOCOL_ERROR),
                                "{what}: {e}"
                            );
                        }
                        // The client said so: the server receives a DISCONNECT it can read.
                        pair.drive();
                        let err = pair
                            .server_error
                            .clone()
                            .unwrap_or_else(|| panic!("{what}: server not told"));
                        assert_eq!(err.fault, Fault::PeerDisconnected, "{what}: {err}");
                        assert_eq!(err.reason, e.reason, "{what}");
                    }
                    Ok(()) => {
                        // Only an unauthenticated, encrypted length may leave the reader waiting
                        // for a (bogus) longer packet; it still delivered nothing.
                        assert!(pos < length_zone, "{what}: tampering not detected");
                    }
                }
            }
        }
    }
}

#[test]
fn garbage_after_the_version_line_is_a_clean_error() {
    let mut pair = established(CipherAlg::Aes128Ctr, Some(MacAlg::HmacSha256Etm));
    let err = pair.client.handle_input(&[0xff; 64], pair.now).unwrap_err();
    assert_eq!(err.fault, Fault::Peer);
    assert!(pair.client.is_closed());
    assert!(
        pair.client.handle_input(b"more", pair.now).is_err(),
        "input after close accepted"
    );
    let closed =
        std::iter::from_fn(|| pair.client.poll_event()).any(|e| matches!(e, Event::Closed(_)));
    assert!(closed);
}
