//! AES-CTR and AES-GCM keystream handed in by the driver (`Connection::supply_keystream`, what
//! the npm package does with WebCrypto): the keys go out only when asked for, supplied keystream
//! is used (wrong bytes break the connection as a wrong key would), the engine falls back to its
//! own AES where nothing (or too little) was supplied, and stale, gapped or oversized supplies
//! are refused.

mod common;

use aes::Aes128;
use common::{Pair, host_key};
use ctr::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use sshgate::keys::KeyKind;
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use sshgate::transport::keystream_offload::{KeystreamDirection, KeystreamKeys, KeystreamMode};
use sshgate::{ClientConfig, Event, Fault, ServerConfig};

fn pair(cipher: CipherAlg, mac: MacAlg, offload: bool) -> Pair {
    let mut client = ClientConfig::default();
    client.common.algorithms.cipher = vec![cipher];
    client.common.algorithms.mac = vec![mac];
    if offload {
        client.common.keystream_offload = vec![KeystreamMode::Ctr, KeystreamMode::Gcm];
    }
    let server = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        ..ServerConfig::default()
    };
    let mut p = Pair::new(client, server);
    p.drive();
    assert!(p.client.is_established(), "{:?}", p.client_error);
    p
}

fn keys(events: &[Event]) -> Vec<KeystreamKeys> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::KeystreamKeys(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

fn key_for(p: &Pair, direction: KeystreamDirection) -> KeystreamKeys {
    keys(&p.client_events)
        .into_iter()
        .rev()
        .find(|k| k.direction == direction)
        .expect("keys for that direction")
}

/// `len` keystream bytes from `offset`, made independently with the RustCrypto crates.
fn keystream(k: &KeystreamKeys, offset: u64, len: usize) -> Vec<u8> {
    let mut c = ctr::Ctr128BE::<Aes128>::new_from_slices(&k.key, &k.iv).unwrap();
    c.seek(offset);
    let mut out = vec![0u8; len];
    c.apply_keystream(&mut out);
    out
}

#[test]
fn keys_go_out_only_when_asked_and_only_for_aes() {
    let off = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256Etm, false);
    assert!(keys(&off.client_events).is_empty());
    assert!(
        off.client
            .keystream_progress(KeystreamDirection::Inbound)
            .is_some()
    );

    let chacha = pair(CipherAlg::ChaCha20Poly1305, MacAlg::HmacSha256Etm, true);
    assert!(keys(&chacha.client_events).is_empty());
    assert_eq!(
        chacha
            .client
            .keystream_progress(KeystreamDirection::Inbound),
        None
    );

    let gcm = pair(CipherAlg::Aes256Gcm, MacAlg::HmacSha256Etm, true);
    let k = key_for(&gcm, KeystreamDirection::Inbound);
    assert_eq!(
        (k.mode, k.key.len(), k.iv.len()),
        (KeystreamMode::Gcm, 32, 12)
    );

    // A mode not named hands out nothing.
    let mut client = ClientConfig::default();
    client.common.algorithms.cipher = vec![CipherAlg::Aes128Gcm];
    client.common.keystream_offload = vec![KeystreamMode::Ctr];
    let server = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        ..ServerConfig::default()
    };
    let mut gcm_not_named = Pair::new(client, server);
    gcm_not_named.drive();
    assert!(gcm_not_named.client.is_established());
    assert!(keys(&gcm_not_named.client_events).is_empty());

    let on = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256Etm, true);
    let k = keys(&on.client_events);
    assert_eq!(k.len(), 2, "{k:?}");
    for d in [KeystreamDirection::Inbound, KeystreamDirection::Outbound] {
        let k = key_for(&on, d);
        assert_eq!(
            (k.epoch, k.mode, k.key.len(), k.iv.len()),
            (1, KeystreamMode::Ctr, 16, 16)
        );
    }
    // The key never shows in debug output.
    let shown = format!("{:?}", key_for(&on, KeystreamDirection::Inbound));
    assert!(
        shown.contains("key_len: 16") && !shown.contains("key: "),
        "{shown}"
    );
}

/// Both directions run on supplied keystream, past its end on the engine's own AES, and back.
#[test]
fn supplied_keystream_carries_both_directions_and_runs_out_cleanly() {
    let mut p = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256Etm, true);
    for d in [KeystreamDirection::Inbound, KeystreamDirection::Outbound] {
        let k = key_for(&p, d);
        let used = p.client.keystream_progress(d).unwrap().used;
        // From a block boundary at or before the next byte, as js/keystream.js does.
        let start = used - used % 16;
        assert!(
            p.client
                .supply_keystream(k.epoch, d, start, &keystream(&k, start, 8192))
        );
        let pr = p.client.keystream_progress(d).unwrap();
        assert_eq!(
            (pr.epoch, pr.used, pr.supplied_end),
            (1, used, start + 8192)
        );
    }
    // 64 KiB each way: the first 8 KiB on supplied bytes, the rest on the engine's AES.
    for _ in 0..16 {
        p.server.send_ignore(&[0x5a; 4096]);
        p.client.send_ignore(&[0xa5; 4096]);
        p.drive();
    }
    assert!(p.client_error.is_none() && p.server_error.is_none());
    for d in [KeystreamDirection::Inbound, KeystreamDirection::Outbound] {
        let pr = p.client.keystream_progress(d).unwrap();
        assert!(pr.used > 64 * 1024, "{pr:?}");
        assert_eq!(pr.supplied_end, pr.used, "nothing left over");
        // Supplying again from where the engine stands works after its own AES ran.
        let k = key_for(&p, d);
        let start = pr.used - pr.used % 16;
        assert!(
            p.client
                .supply_keystream(k.epoch, d, start, &keystream(&k, start, 4096))
        );
    }
    p.server.send_ignore(&[1; 1000]);
    p.client.send_ignore(&[2; 1000]);
    p.drive();
    assert!(p.client_error.is_none() && p.server_error.is_none());
    let ignored = |ev: &[Event]| ev.iter().filter(|e| matches!(e, Event::Ignore(_))).count();
    assert_eq!(ignored(&p.client_events), 17);
    assert_eq!(ignored(&p.server_events), 17);
}

/// Supplied bytes really are what decrypts: one flipped keystream bit is a MAC failure.
#[test]
fn wrong_supplied_keystream_is_a_mac_failure() {
    let mut p = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256, true);
    let d = KeystreamDirection::Inbound;
    let k = key_for(&p, d);
    let used = p.client.keystream_progress(d).unwrap().used;
    let mut ks = keystream(&k, used, 4096);
    ks[100] ^= 0x01;
    assert!(p.client.supply_keystream(k.epoch, d, used, &ks));
    p.server.send_ignore(&[0; 1024]);
    p.drive();
    let err = p.client_error.expect("the client refused the packet");
    assert_eq!(err.fault, Fault::Peer, "{err}");
}

#[test]
fn stale_gapped_and_oversized_supplies_are_refused() {
    let mut p = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256Etm, true);
    let d = KeystreamDirection::Inbound;
    let k = key_for(&p, d);
    let used = p.client.keystream_progress(d).unwrap().used;
    // A gap after held bytes.
    assert!(
        p.client
            .supply_keystream(1, d, used, &keystream(&k, used, 64))
    );
    assert!(!p.client.supply_keystream(1, d, used + 80, &[0; 64]));
    p.server.send_ignore(&[3; 500]);
    p.drive();
    assert!(p.client_error.is_none(), "{:?}", p.client_error);
    let used = p.client.keystream_progress(d).unwrap().used;
    // A key that is not (or no longer) in use.
    assert!(!p.client.supply_keystream(2, d, used, &[0; 64]));
    // Bytes entirely behind what was used.
    assert!(!p.client.supply_keystream(1, d, 0, &[0; 16]));
    // More than 8 MiB held.
    assert!(
        !p.client
            .supply_keystream(1, d, used, &vec![0; (8 << 20) + 1])
    );
    assert_eq!(
        p.client.keystream_progress(d).unwrap().supplied_end,
        used,
        "nothing was kept"
    );

    // After a re-key the new keys go out as epoch 2 and epoch 1 is refused.
    p.client.rekey();
    p.drive();
    assert!(p.client_error.is_none() && p.server_error.is_none());
    let k2 = key_for(&p, d);
    assert_eq!(k2.epoch, 2);
    assert_ne!(k2.key, k.key);
    let used = p.client.keystream_progress(d).unwrap().used;
    assert!(
        !p.client
            .supply_keystream(1, d, used, &keystream(&k, used, 64))
    );
    assert!(
        p.client
            .supply_keystream(2, d, used, &keystream(&k2, used, 4096))
    );
    p.server.send_ignore(&[7; 2000]);
    p.drive();
    assert!(p.client_error.is_none(), "{:?}", p.client_error);
}

/// A driver that fell behind supplies from further on: the engine runs its own AES up to there
/// and then uses the supplied bytes (a flipped bit in them is caught, so they are used).
#[test]
fn keystream_supplied_ahead_is_used_from_where_it_starts() {
    for flip in [false, true] {
        let mut p = pair(CipherAlg::Aes128Ctr, MacAlg::HmacSha256, true);
        let d = KeystreamDirection::Inbound;
        let k = key_for(&p, d);
        let used = p.client.keystream_progress(d).unwrap().used;
        let ahead = used - used % 16 + 3000;
        let mut ks = keystream(&k, ahead, 8192);
        if flip {
            ks[10] ^= 0x80;
        }
        assert!(p.client.supply_keystream(k.epoch, d, ahead, &ks));
        let pr = p.client.keystream_progress(d).unwrap();
        assert_eq!((pr.used, pr.supplied_end), (used, ahead + 8192));
        for _ in 0..4 {
            p.server.send_ignore(&[9; 4000]);
        }
        p.drive();
        if flip {
            assert_eq!(p.client_error.expect("MAC failure").fault, Fault::Peer);
        } else {
            assert!(p.client_error.is_none(), "{:?}", p.client_error);
            let pr = p.client.keystream_progress(d).unwrap();
            assert!(
                pr.used > ahead + 8192 && pr.supplied_end == pr.used,
                "{pr:?}"
            );
        }
    }
}

/// GCM packet `index`'s keystream under `k` (nonce = iv + index; AES-CTR from nonce ‖ 1).
fn gcm_keystream(k: &KeystreamKeys, index: u64, len: usize) -> Vec<u8> {
    let mut block = [0u8; 16];
    block[..12].copy_from_slice(&k.iv);
    let c = u64::from_be_bytes(block[4..12].try_into().unwrap()).wrapping_add(index);
    block[4..12].copy_from_slice(&c.to_be_bytes());
    block[15] = 1;
    let mut out = vec![0u8; len];
    ctr::Ctr32BE::<Aes128>::new_from_slices(&k.key, &block)
        .unwrap()
        .apply_keystream(&mut out);
    out
}

/// GCM both ways on supplied packet keystreams, one too short (the engine does that packet
/// alone), then packets past what was supplied; a flipped bit is a tag failure; indexes already
/// past, repeated or too many are refused.
#[test]
fn gcm_packets_run_on_supplied_keystream() {
    for flip in [false, true] {
        let mut p = pair(CipherAlg::Aes128Gcm, MacAlg::HmacSha256Etm, true);
        for d in [KeystreamDirection::Inbound, KeystreamDirection::Outbound] {
            let k = key_for(&p, d);
            let next = p.client.keystream_progress(d).unwrap().used;
            for i in next..next + 6 {
                // Packet next+2 gets too little (the engine does it alone).
                let len = if i == next + 2 { 100 } else { 16 + 5000 };
                let mut ks = gcm_keystream(&k, i, len);
                // In the tag mask: GCM's tag covers the ciphertext, so only a wrong mask (or
                // key) shows; a wrong data keystream would only garble the plaintext.
                if flip && d == KeystreamDirection::Inbound && i == next {
                    ks[3] ^= 1;
                }
                assert!(p.client.supply_keystream(k.epoch, d, i, &ks));
            }
            assert!(!p.client.supply_keystream(k.epoch, d, next + 5, &[0; 64]));
            assert!(!p.client.supply_keystream(k.epoch, d, next + 3, &[0; 64]));
            let pr = p.client.keystream_progress(d).unwrap();
            assert_eq!((pr.used, pr.supplied_end), (next, next + 6));
        }
        // Pings out, pongs back (ping@openssh.com: the server echoes the data),
        // so decrypted plaintext is checked byte for byte in both directions.
        let data: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i.wrapping_mul(37); 3000]).collect();
        for d in &data {
            p.client.send_ping(d);
        }
        p.drive();
        if flip {
            assert_eq!(p.client_error.expect("tag failure").fault, Fault::Peer);
            continue;
        }
        assert!(p.client_error.is_none() && p.server_error.is_none());
        for d in [KeystreamDirection::Inbound, KeystreamDirection::Outbound] {
            let pr = p.client.keystream_progress(d).unwrap();
            assert!(pr.used >= 10 && pr.supplied_end == pr.used, "{pr:?}");
            // An index already past is refused; too many at once are too.
            assert!(!p.client.supply_keystream(1, d, pr.used - 1, &[0; 32]));
            let refused = (pr.used..pr.used + 300)
                .filter(|i| !p.client.supply_keystream(1, d, *i, &[0; 32]))
                .count();
            assert_eq!(refused, 300 - 256);
        }
        let pongs: Vec<Vec<u8>> = p
            .client_events
            .iter()
            .filter_map(|e| match e {
                Event::Pong(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(pongs, data);
    }
}
