//! Fixed keys, certificates and configurations of the targets: everything is made once per
//! process (`OnceLock`), so an iteration pays only for what the input makes the engine do.
//!
//! `fixtures/pki/` is a copy of files `tests/x509/make-pki.sh` makes (the P-256 and Ed25519
//! hierarchies, a CRL of the P-256 intermediate that revokes `server_revoked`, and stapled OCSP
//! responses); `fixtures/rsa2048.pkcs8` is `src/keys/tests/data/rsa2048.pkcs8`. Test-only keys.

use sshgate::channel::ChannelConfig;
use sshgate::kex::KexAlg;
use sshgate::keys::{HostKeyAlg, PrivateKey};
use sshgate::pki::{Certificate, CertifiedKey, Revocation, Trustpoint, X509Alg};
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use sshgate::userauth::ServerAuthConfig;
use sshgate::{Algorithms, ClientConfig, CommonConfig, Duration, ServerConfig};
use std::sync::{Arc, OnceLock};

/// 2030-01-01T00:00:00Z, inside the fixtures' 2020..2099 validity: the wall clock of every
/// target that checks certificates.
pub const NOW: u64 = 1_893_456_000;

/// The user name the session targets log in with.
pub const USER: &str = "fuzz";
/// The password the application accepts (`expired` asks for a change, `partial` is a partial
/// success: app.rs).
pub const PASSWORD: &str = "secret";

macro_rules! pki {
    ($name:literal) => {
        include_bytes!(concat!("../fixtures/pki/", $name))
    };
}

pub const ROOT_P256: &[u8] = pki!("root_p256.der");
pub const INT_P256: &[u8] = pki!("int_p256.der");
pub const USER_P256: &[u8] = pki!("user_p256.der");
pub const SERVER_P256: &[u8] = pki!("server_p256.der");
pub const SERVER_REVOKED: &[u8] = pki!("server_revoked.der");
pub const ROOT_ED25519: &[u8] = pki!("root_ed25519.der");
pub const INT_ED25519: &[u8] = pki!("int_ed25519.der");
pub const USER_ED25519: &[u8] = pki!("user_ed25519.der");
pub const INT_P256_CRL: &[u8] = pki!("int_p256.crl.der");
pub const ROOT_P256_CRL: &[u8] = pki!("root_p256.crl.der");
pub const SERVER_P256_OCSP: &[u8] = pki!("server_p256.ocsp.der");
pub const SERVER_REVOKED_OCSP: &[u8] = pki!("server_revoked.ocsp.der");

fn text(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).expect("fixture is text")
}

fn key_file(bytes: &[u8]) -> Arc<PrivateKey> {
    Arc::new(
        PrivateKey::from_text(text(bytes), None)
            .expect("fixture key")
            .0,
    )
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("fixture certificate")
}

/// The Ed25519 host key of every server target.
pub fn host_key() -> Arc<PrivateKey> {
    static K: OnceLock<Arc<PrivateKey>> = OnceLock::new();
    K.get_or_init(|| Arc::new(PrivateKey::from_ed25519_seed(&[7; 32])))
        .clone()
}

/// The Ed25519 key clients log in with (the server application accepts any key).
pub fn user_key() -> Arc<PrivateKey> {
    static K: OnceLock<Arc<PrivateKey>> = OnceLock::new();
    K.get_or_init(|| Arc::new(PrivateKey::from_ed25519_seed(&[9; 32])))
        .clone()
}

/// `user_ed25519` with its chain to `root_ed25519`, and `user_p256` to `root_p256`.
pub fn user_certificates() -> &'static [Arc<CertifiedKey>; 2] {
    static C: OnceLock<[Arc<CertifiedKey>; 2]> = OnceLock::new();
    C.get_or_init(|| {
        let certified = |key: &[u8], chain: &[&[u8]]| {
            let chain = chain.iter().map(|d| cert(d)).collect();
            Arc::new(CertifiedKey::new(key_file(key), chain).expect("fixture chain"))
        };
        [
            certified(pki!("user_ed25519.key"), &[USER_ED25519, INT_ED25519]),
            certified(pki!("user_p256.key"), &[USER_P256, INT_P256]),
        ]
    })
}

/// The anchors `root_p256` and `root_ed25519` (and the CRLs when `revocation` asks for them).
#[must_use]
pub fn trustpoint(revocation: Revocation) -> Trustpoint {
    let mut t = Trustpoint {
        anchors: vec![cert(ROOT_P256), cert(ROOT_ED25519)],
        ..Trustpoint::default()
    };
    t.policy.revocation = revocation;
    if matches!(revocation, Revocation::Crl | Revocation::OcspThenCrl) {
        t.add_crls(INT_P256_CRL).expect("fixture CRL");
        t.add_crls(ROOT_P256_CRL).expect("fixture CRL");
    }
    t
}

/// The algorithm suites of the session targets, picked by an input's first byte: one key
/// exchange and host key (the cheapest: the handshake runs once per input), and each family
/// of packet protection (AEAD, ETM, encrypt-and-MAC), so a raw-bytes operation reaches each
/// opener's refusals.
pub const SUITES: [(CipherAlg, MacAlg); 4] = [
    (CipherAlg::ChaCha20Poly1305, MacAlg::HmacSha256Etm),
    (CipherAlg::Aes128Gcm, MacAlg::HmacSha256Etm),
    (CipherAlg::Aes128Ctr, MacAlg::HmacSha256Etm),
    (CipherAlg::Aes256Ctr, MacAlg::HmacSha512),
];

fn suite_common(suite: usize, software: &str) -> CommonConfig {
    let (cipher, mac) = SUITES[suite % SUITES.len()];
    CommonConfig {
        software: software.to_string(),
        algorithms: Algorithms {
            kex: vec![KexAlg::Curve25519Sha256],
            host_key: vec![HostKeyAlg::SshEd25519],
            cipher: vec![cipher],
            mac: vec![mac],
        },
        ..CommonConfig::default()
    }
}

/// Small windows and packets, so flow control is reached with short inputs.
fn channels() -> ChannelConfig {
    ChannelConfig {
        window: 4096,
        max_packet: 1024,
        max_channels: 8,
        allow_x11: true,
    }
}

fn server_auth() -> ServerAuthConfig {
    ServerAuthConfig {
        methods: ["publickey", "keyboard-interactive", "password", "none"]
            .map(String::from)
            .to_vec(),
        banner: Some("fuzz banner\n".into()),
        max_attempts: 6,
        failure_delay: Duration::from_secs(1),
        trustpoints: vec![Arc::new(trustpoint(Revocation::None))],
        // So the fuzzer reaches the OpenSSH certificate parser through publickey requests.
        openssh_certificates: true,
        ..ServerAuthConfig::default()
    }
}

/// A server of the session targets with suite `suite`.
pub fn server_config(suite: usize) -> Arc<ServerConfig> {
    static C: OnceLock<Vec<Arc<ServerConfig>>> = OnceLock::new();
    C.get_or_init(|| {
        (0..SUITES.len())
            .map(|s| {
                Arc::new(ServerConfig {
                    common: suite_common(s, "fuzz-server"),
                    host_keys: vec![host_key()],
                    auth: server_auth(),
                    channels: channels(),
                    ..ServerConfig::default()
                })
            })
            .collect()
    })[suite % SUITES.len()]
    .clone()
}

/// A client of the session targets with suite `suite`.
pub fn client_config(suite: usize) -> Arc<ClientConfig> {
    static C: OnceLock<Vec<Arc<ClientConfig>>> = OnceLock::new();
    C.get_or_init(|| {
        (0..SUITES.len())
            .map(|s| {
                Arc::new(ClientConfig {
                    common: suite_common(s, "fuzz-client"),
                    channels: channels(),
                    ..ClientConfig::default()
                })
            })
            .collect()
    })[suite % SUITES.len()]
    .clone()
}

/// The server of `server_input`: every algorithm, legacy ones too, and host keys of three
/// types plus a P-256 host certificate, so any KEXINIT a fuzzer writes can negotiate.
pub fn wide_server_config() -> Arc<ServerConfig> {
    static C: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    C.get_or_init(|| {
        let chain = vec![cert(SERVER_P256), cert(INT_P256)];
        let certified = CertifiedKey::new(key_file(pki!("server_p256.key")), chain)
            .and_then(|c| c.with_ocsp_responses(vec![SERVER_P256_OCSP.to_vec()]))
            .expect("fixture host certificate");
        Arc::new(ServerConfig {
            common: CommonConfig {
                software: "fuzz-server".into(),
                algorithms: Algorithms::with_legacy(),
                ..CommonConfig::default()
            },
            host_keys: vec![
                host_key(),
                key_file(pki!("server_p256.key")),
                key_file(include_bytes!("../fixtures/rsa2048.pkcs8")),
            ],
            host_certificates: vec![Arc::new(certified)],
            openssh_host_certificates: Vec::new(),
            auth: server_auth(),
            channels: channels(),
        })
    })
    .clone()
}

/// The client of `client_input`: every algorithm, and trust for RFC 6187 host certificates
/// (OCSP, then the CRLs), so `x509v3-*` host keys are offered and their chains checked.
pub fn wide_client_config() -> Arc<ClientConfig> {
    static C: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    C.get_or_init(|| {
        let mut trust = trustpoint(Revocation::OcspThenCrl);
        trust.policy.revocation_soft_fail = true;
        Arc::new(ClientConfig {
            common: CommonConfig {
                software: "fuzz-client".into(),
                algorithms: Algorithms::with_legacy(),
                ..CommonConfig::default()
            },
            host_trust: Some(Arc::new(trust)),
            host_name: Some("router1.example.com".into()),
            channels: channels(),
            ..ClientConfig::default()
        })
    })
    .clone()
}

/// Every `x509v3-*` algorithm, for the templates and the signed-request operation.
#[must_use]
pub fn x509_algs() -> Vec<X509Alg> {
    HostKeyAlg::X509_ALL
        .iter()
        .filter_map(|a| match a {
            HostKeyAlg::X509(x) => Some(*x),
            _ => None,
        })
        .collect()
}
