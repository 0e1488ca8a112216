//! Every kex × host key × cipher × MAC combination the engine offers completes a key exchange
//! in memory, then carries IGNORE packets both ways across two re-keys, one started by each side.

mod common;

use common::{Pair, all_host_keys};
use sshgate::kex::KexAlg;
use sshgate::keys::HostKeyAlg;
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use sshgate::{Algorithms, ClientConfig, Event, GexRange, ServerConfig};

fn mac_choices(c: CipherAlg) -> Vec<Option<MacAlg>> {
    if c.is_aead() {
        vec![None]
    } else {
        MacAlg::ALL.iter().copied().map(Some).collect()
    }
}

fn run_one(kex: KexAlg, hk: HostKeyAlg, cipher: CipherAlg, mac: Option<MacAlg>) {
    let mut client = ClientConfig::default();
    client.common.algorithms = Algorithms {
        kex: vec![kex],
        host_key: vec![hk],
        cipher: vec![cipher],
        // With an AEAD cipher the MAC list is not consulted; offer one anyway, as real clients do.
        mac: vec![mac.unwrap_or(MacAlg::HmacSha256Etm)],
    };
    // Smallest allowed group keeps the many group exchanges quick.
    client.gex = GexRange {
        min: 2048,
        n: 2048,
        max: 8192,
    };
    let mut server = ServerConfig::default();
    server.common.algorithms = Algorithms::with_legacy();
    server.host_keys = all_host_keys();
    let mut pair = Pair::new(client, server);
    pair.drive();
    let what = format!(
        "{} {} {} {:?}",
        kex.name(),
        hk.name(),
        cipher.name(),
        mac.map(|m| m.name())
    );
    assert!(
        pair.client_error.is_none(),
        "{what}: client {:?}",
        pair.client_error
    );
    assert!(
        pair.server_error.is_none(),
        "{what}: server {:?}",
        pair.server_error
    );
    assert!(
        pair.client.is_established() && pair.server.is_established(),
        "{what}: not established"
    );
    let negotiated = pair.client_events.iter().find_map(|e| match e {
        Event::KexComplete { algorithms, .. } => Some(*algorithms),
        _ => None,
    });
    let n = negotiated.unwrap_or_else(|| panic!("{what}: no KexComplete"));
    assert_eq!(
        (
            n.kex,
            n.host_key,
            n.cipher_c2s,
            n.cipher_s2c,
            n.mac_c2s,
            n.mac_s2c
        ),
        (kex, hk, cipher, cipher, mac, mac),
        "{what}"
    );
    assert_eq!(pair.client.session_id(), pair.server.session_id());

    for round in 0..3 {
        // IGNOREs both ways, sent while a re-key is starting, so some are held and released.
        pair.client.send_ignore(&[round; 100]);
        pair.server.send_ignore(&[round; 200]);
        match round {
            0 => pair.client.rekey(),
            1 => pair.server.rekey(),
            _ => {}
        }
        pair.client.send_ignore(&[round; 300]);
        pair.server.send_ignore(&[round; 400]);
        pair.drive();
    }
    assert!(
        pair.client_error.is_none() && pair.server_error.is_none(),
        "{what}: {:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    assert_eq!(
        Pair::kex_completions(&pair.client_events),
        3,
        "{what}: client kex count"
    );
    assert_eq!(
        Pair::kex_completions(&pair.server_events),
        3,
        "{what}: server kex count"
    );
    assert_eq!(
        Pair::ignores(&pair.server_events),
        vec![100, 300, 100, 300, 100, 300],
        "{what}"
    );
    assert_eq!(
        Pair::ignores(&pair.client_events),
        vec![200, 400, 200, 400, 200, 400],
        "{what}"
    );
}

fn run_kex(kex: KexAlg) {
    let mut count = 0;
    for &hk in HostKeyAlg::ALL {
        for &cipher in CipherAlg::ALL {
            for mac in mac_choices(cipher) {
                run_one(kex, hk, cipher, mac);
                count += 1;
            }
        }
    }
    assert_eq!(count, HostKeyAlg::ALL.len() * (3 + 7 * MacAlg::ALL.len()));
}

macro_rules! per_kex {
    ($($name:ident => $alg:expr),* $(,)?) => { $( #[test] fn $name() { run_kex($alg); } )* };
}

per_kex! {
    mlkem768x25519_sha256 => KexAlg::MlKem768X25519Sha256,
    curve25519_sha256 => KexAlg::Curve25519Sha256,
    curve25519_sha256_libssh => KexAlg::Curve25519Sha256Libssh,
    ecdh_sha2_nistp256 => KexAlg::EcdhSha2Nistp256,
    ecdh_sha2_nistp384 => KexAlg::EcdhSha2Nistp384,
    ecdh_sha2_nistp521 => KexAlg::EcdhSha2Nistp521,
    dh_gex_sha256 => KexAlg::DhGexSha256,
    dh_group16_sha512 => KexAlg::DhGroup16Sha512,
    dh_group14_sha256 => KexAlg::DhGroup14Sha256,
    dh_gex_sha1 => KexAlg::DhGexSha1,
    dh_group14_sha1 => KexAlg::DhGroup14Sha1,
    dh_group1_sha1 => KexAlg::DhGroup1Sha1,
}

#[test]
fn every_algorithm_is_covered_by_the_matrix() {
    assert_eq!(KexAlg::ALL.len(), 12);
    assert_eq!(HostKeyAlg::ALL.len(), 8);
    assert_eq!(CipherAlg::ALL.len(), 10);
    assert_eq!(MacAlg::ALL.len(), 9);
}
