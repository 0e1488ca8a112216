//! One complete key exchange between a client and a server `Connection` in memory, driven the way
//! `tests/common/mod.rs` drives its pair: transmit both ways, drain events, trust the host key.

use crate::pair::exchange;
use sshgate::crypto::EngineRng;
use sshgate::kex::KexAlg;
use sshgate::keys::{HostKeyAlg, KeyKind, PrivateKey};
use sshgate::{Algorithms, ClientConfig, Connection, Event, GexRange, Instant, ServerConfig};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// Host keys by kind, generated on first use (RSA generation is slow: keep it out of timings).
    static HOST_KEYS: RefCell<Vec<(String, Arc<PrivateKey>)>> = const { RefCell::new(Vec::new()) };
}

fn host_key(kind: KeyKind) -> Arc<PrivateKey> {
    let id = format!("{kind:?}");
    HOST_KEYS.with(|keys| {
        if let Some((_, k)) = keys.borrow().iter().find(|(k, _)| *k == id) {
            return k.clone();
        }
        let mut rng = EngineRng::from_seed([42; 32]);
        let key = Arc::new(PrivateKey::generate(kind, &mut rng).expect("host key generation"));
        keys.borrow_mut().push((id, key.clone()));
        key
    })
}

fn key_kind(alg: HostKeyAlg) -> KeyKind {
    match alg {
        HostKeyAlg::SshEd25519 => KeyKind::Ed25519,
        HostKeyAlg::EcdsaSha2Nistp256 => KeyKind::EcdsaP256,
        HostKeyAlg::EcdsaSha2Nistp384 => KeyKind::EcdsaP384,
        HostKeyAlg::EcdsaSha2Nistp521 => KeyKind::EcdsaP521,
        HostKeyAlg::RsaSha2_512 | HostKeyAlg::RsaSha2_256 | HostKeyAlg::SshRsa => {
            KeyKind::Rsa(2048)
        }
        HostKeyAlg::SshDss => KeyKind::Dsa,
        // Certificates need a chain, which this plain-key loop has none of.
        HostKeyAlg::X509(x) => panic!("{x} needs a certificate: not a plain key exchange"),
        HostKeyAlg::OpenSshCert(c) => {
            panic!("{} needs a certificate: not a plain key exchange", c.name())
        }
    }
}

/// One handshake with `kex` and `host_key` (SSH names); group exchange asks for n = [`crate::GEX_N`].
/// Returns whether both sides finished the key exchange.
#[must_use]
pub fn kex_once(kex: &str, host_key: &str) -> bool {
    kex_once_gex(kex, host_key, crate::GEX_N)
}

/// [`kex_once`] with the preferred group size `gex_n` (`GexRange { min: 2048, n: gex_n, max: 8192 }`).
#[must_use]
pub fn kex_once_gex(kex: &str, host_key_alg: &str, gex_n: u32) -> bool {
    let kex = KexAlg::from_name(kex).unwrap_or_else(|| panic!("unknown kex {kex}"));
    let hk = HostKeyAlg::from_name(host_key_alg)
        .unwrap_or_else(|| panic!("unknown host key algorithm {host_key_alg}"));
    let key = host_key(key_kind(hk));

    let mut client = ClientConfig::default();
    client.common.algorithms = Algorithms {
        kex: vec![kex],
        host_key: vec![hk],
        ..Algorithms::default()
    };
    client.gex = GexRange {
        min: 2048,
        n: gex_n,
        max: 8192,
    };
    let mut server = ServerConfig::default();
    server.common.algorithms = Algorithms::with_legacy();
    server.host_keys = vec![key];

    let now = Instant::ZERO;
    let mut c = Connection::client(Arc::new(client), now, [1; 32]);
    let mut s = Connection::server(Arc::new(server), now, [2; 32]);
    drive(&mut c, &mut s, now) && c.is_established() && s.is_established()
}

/// Moves bytes and answers the host key question until neither side has anything to say.
/// Returns false on an error on either side, or if it never settles.
fn drive(c: &mut Connection, s: &mut Connection, now: Instant) -> bool {
    let mut buf = Vec::new();
    for _ in 0..100_000 {
        let Ok(mut progressed) = exchange(c, s, now, &mut buf) else {
            return false;
        };
        while let Some(ev) = c.poll_event() {
            progressed = true;
            match ev {
                Event::HostKey(_) if c.answer_host_key(true).is_err() => return false,
                Event::Closed(_) => return false,
                _ => {}
            }
        }
        while let Some(ev) = s.poll_event() {
            progressed = true;
            if let Event::Closed(_) = ev {
                return false;
            }
        }
        if !progressed {
            return true;
        }
    }
    false // never settled
}
