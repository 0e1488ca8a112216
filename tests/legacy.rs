//! The algorithms old devices need (issue 12 item 6): `diffie-hellman-group1-sha1`, `hmac-md5`,
//! `hmac-md5-96`, `ssh-dss`. Off by default, last in `Algorithms::with_legacy()`, and each one
//! negotiates with either side being the one that insists on it.

mod common;

use common::{Pair, host_key};
use sshgate::kex::KexAlg;
use sshgate::keys::{HostKeyAlg, KeyKind};
use sshgate::msg::reason;
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use sshgate::{Algorithms, ClientConfig, Event, ServerConfig};

const NEW_KEX: KexAlg = KexAlg::DhGroup1Sha1;
const NEW_MACS: [MacAlg; 2] = [MacAlg::HmacMd5, MacAlg::HmacMd5_96];
const NEW_HOST_KEY: HostKeyAlg = HostKeyAlg::SshDss;

fn only(kex: KexAlg, host_key: HostKeyAlg, cipher: CipherAlg, mac: MacAlg) -> Algorithms {
    Algorithms {
        kex: vec![kex],
        host_key: vec![host_key],
        cipher: vec![cipher],
        mac: vec![mac],
    }
}

/// A pair where one side offers `strict` only and the other everything it has
/// (`with_legacy`), the server with an Ed25519 and a DSA host key; `client_strict` says which.
fn pair(strict: Algorithms, client_strict: bool) -> Pair {
    let mut client = ClientConfig::default();
    let mut server = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519), host_key(KeyKind::Dsa)],
        ..ServerConfig::default()
    };
    let (narrow, wide) = if client_strict {
        (&mut client.common, &mut server.common)
    } else {
        (&mut server.common, &mut client.common)
    };
    narrow.algorithms = strict;
    wide.algorithms = Algorithms::with_legacy();
    Pair::new(client, server)
}

fn negotiated(p: &Pair) -> sshgate::transport::kexinit::Negotiated {
    p.client_events
        .iter()
        .find_map(|e| match e {
            Event::KexComplete { algorithms, .. } => Some(*algorithms),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no kex: {:?} {:?}", p.client_error, p.server_error))
}

/// Connects, logs in, re-keys once from each side and carries data both ways.
fn exercise(p: &mut Pair, what: &str) {
    p.authenticate();
    p.client.rekey();
    p.client.send_ignore(&[1; 3000]);
    p.server.send_ignore(&[2; 3000]);
    p.drive();
    p.server.rekey();
    p.client.send_ignore(&[3; 50]);
    p.drive();
    assert!(
        p.client_error.is_none() && p.server_error.is_none(),
        "{what}: {:?} {:?}",
        p.client_error,
        p.server_error
    );
    assert_eq!(Pair::kex_completions(&p.client_events), 2, "{what}");
    assert_eq!(Pair::ignores(&p.server_events), [3000, 50], "{what}");
    assert_eq!(Pair::ignores(&p.client_events), [3000], "{what}");
}

#[test]
fn off_by_default_and_last_with_legacy() {
    let d = Algorithms::default();
    assert!(!d.kex.contains(&NEW_KEX));
    assert!(!d.host_key.contains(&NEW_HOST_KEY));
    assert!(NEW_MACS.iter().all(|m| !d.mac.contains(m)));

    let l = Algorithms::with_legacy();
    assert_eq!(l.kex.last(), Some(&NEW_KEX));
    assert!(l.mac.ends_with(&NEW_MACS));
    // ssh-dss after every plain algorithm; only the SHA-1 certificate algorithms follow it.
    let at = l.host_key.iter().position(|&a| a == NEW_HOST_KEY).unwrap();
    assert!(
        l.host_key[at + 1..]
            .iter()
            .all(|a| (a.x509().is_some() || a.openssh_cert().is_some()) && a.is_legacy())
    );
    assert!(l.host_key[..at].iter().all(|&a| a != NEW_HOST_KEY));
}

#[test]
fn group1_negotiates_either_way() {
    for client_strict in [true, false] {
        let strict = only(
            NEW_KEX,
            HostKeyAlg::SshEd25519,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacSha256,
        );
        let mut p = pair(strict, client_strict);
        p.drive();
        assert_eq!(
            negotiated(&p).kex,
            NEW_KEX,
            "client strict: {client_strict}"
        );
        exercise(&mut p, "group1");
    }
}

#[test]
fn hmac_md5_and_md5_96_negotiate_either_way() {
    for mac in NEW_MACS {
        for client_strict in [true, false] {
            let strict = only(
                KexAlg::Curve25519Sha256,
                HostKeyAlg::SshEd25519,
                CipherAlg::Aes128Ctr,
                mac,
            );
            let mut p = pair(strict, client_strict);
            p.drive();
            let n = negotiated(&p);
            assert_eq!((n.mac_c2s, n.mac_s2c), (Some(mac), Some(mac)));
            exercise(&mut p, mac.name());
        }
    }
}

#[test]
fn ssh_dss_host_key_negotiates_either_way() {
    for client_strict in [true, false] {
        let strict = only(
            KexAlg::Curve25519Sha256,
            NEW_HOST_KEY,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacSha256,
        );
        let mut p = pair(strict, client_strict);
        p.drive();
        assert_eq!(negotiated(&p).host_key, NEW_HOST_KEY);
        let info = p.client_events.iter().find_map(|e| match e {
            Event::HostKey(info) => Some(info.key.clone()),
            _ => None,
        });
        assert_eq!(info, Some(host_key(KeyKind::Dsa).public()));
        exercise(&mut p, "ssh-dss");
    }
}

/// What the seed's trace shows an old IOS image negotiating.
#[test]
fn the_old_ios_combination_group1_dss_aes128_cbc_hmac_md5() {
    for client_strict in [true, false] {
        let strict = only(NEW_KEX, NEW_HOST_KEY, CipherAlg::Aes128Cbc, MacAlg::HmacMd5);
        let mut p = pair(strict, client_strict);
        p.drive();
        let n = negotiated(&p);
        assert_eq!(
            (n.kex, n.host_key, n.cipher_c2s, n.mac_s2c),
            (
                NEW_KEX,
                NEW_HOST_KEY,
                CipherAlg::Aes128Cbc,
                Some(MacAlg::HmacMd5)
            )
        );
        exercise(&mut p, "old IOS");
    }
}

/// A peer with the default lists does not take any of them.
#[test]
fn default_peers_refuse_each_of_them() {
    let cases = [
        only(
            NEW_KEX,
            HostKeyAlg::SshEd25519,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacSha256,
        ),
        only(
            KexAlg::Curve25519Sha256,
            NEW_HOST_KEY,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacSha256,
        ),
        only(
            KexAlg::Curve25519Sha256,
            HostKeyAlg::SshEd25519,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacMd5,
        ),
        only(
            KexAlg::Curve25519Sha256,
            HostKeyAlg::SshEd25519,
            CipherAlg::Aes128Ctr,
            MacAlg::HmacMd5_96,
        ),
    ];
    for strict in cases {
        for client_strict in [true, false] {
            let mut client = ClientConfig::default();
            let mut server = ServerConfig {
                host_keys: vec![host_key(KeyKind::Ed25519), host_key(KeyKind::Dsa)],
                ..ServerConfig::default()
            };
            if client_strict {
                client.common.algorithms = strict.clone();
            } else {
                server.common.algorithms = strict.clone();
            }
            let mut p = Pair::new(client, server);
            p.drive();
            let e = p
                .client_error
                .or(p.server_error)
                .unwrap_or_else(|| panic!("{strict:?} negotiated with a default peer"));
            assert_eq!(e.reason, reason::KEY_EXCHANGE_FAILED, "{e}");
        }
    }
}
