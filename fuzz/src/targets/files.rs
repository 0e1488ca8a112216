//! The files and lines a driver reads for the engine: private and public key files of every
//! format (with passphrases), PKCS#12, known_hosts and authorized_keys.

use crate::fixtures::{NOW, host_key};
use sshgate::crypto::EngineRng;
use sshgate::keys::authorized_keys::{AuthorizedKey, Permission, parse_authorized_keys};
use sshgate::keys::known_hosts::{
    HostKeyStatus, cert_authority_lines, check_host_key, format_entry, format_hashed_entry,
    key_types_for,
};
use sshgate::keys::{PrivateKey, PublicKey};
use sshgate::pki::{CertifiedKey, Pkcs12, pkcs8_private_key};
use std::net::IpAddr;

/// The passphrases tried: none, the key fixtures' (`src/keys/tests/data/make.sh`), the PKI
/// fixtures' PKCS#12 one, and empty.
const PASSPHRASES: [Option<&str>; 4] = [None, Some("pem pass"), Some("s3cret"), Some("")];

/// Standard padded base64 (the fuzz crate keeps to the engine and std).
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A private key that parsed must write and read back as the same key.
fn round_trip(key: &PrivateKey, comment: &str) {
    let mut rng = EngineRng::from_seed([5; 32]);
    let text = key.to_openssh(comment, &mut rng);
    let (again, c) = PrivateKey::parse_openssh(&text, None).expect("our own file reads back");
    assert_eq!(
        again.public(),
        key.public(),
        "the key survives a round trip"
    );
    assert_eq!(c, comment, "the comment survives a round trip");
}

/// Key files. Byte 0 picks the passphrase; the rest is a key file in any format the engine
/// detects (OpenSSH with bcrypt, PEM PKCS#1/SEC1/PKCS#8, legacy `DEK-Info` and PBES2
/// encryption, RFC 4716, public lines, SPKI), the same bytes as the DER body of each PEM
/// label, a PKCS#12 file and a bare PKCS#8 key. Every private key that loads is written back
/// in OpenSSH format and must read back as itself.
pub fn key_files(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let pass = PASSPHRASES[usize::from(pick) % PASSPHRASES.len()];
    if let Ok(text) = core::str::from_utf8(rest) {
        if let Ok((key, comment)) = PrivateKey::from_text(text, pass) {
            round_trip(&key, &comment);
        }
        let _ = PrivateKey::parse_openssh(text, pass);
        if let Ok((key, comment)) = PublicKey::from_text(text) {
            let line = key.to_openssh_line(&comment);
            let again = PublicKey::from_openssh_line(&line).expect("our own line reads back");
            assert_eq!(again, key, "a public key survives a round trip");
        }
    }
    let b64 = base64(rest);
    for label in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
    ] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        if let Ok((key, comment)) = PrivateKey::from_text(&pem, pass) {
            round_trip(&key, &comment);
        }
    }
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = PublicKey::from_text(&pem);
    }
    if let Ok(p12) = Pkcs12::from_der(rest, pass.unwrap_or("")) {
        let _ = p12.chain_der();
        let _ = CertifiedKey::from_pkcs12(p12);
    }
    if let Ok(key) = pkcs8_private_key(rest) {
        round_trip(&key, "");
    }
}

/// known_hosts and authorized_keys text. The input is the whole file: looked up for a host
/// with the fixtures' host key (plain and `[host]:port` names, an address, `@revoked`,
/// `@cert-authority`, hashed names), and read as authorized_keys with every option asked
/// about. Each line is also a host name to write an entry for: an entry the engine writes
/// must be found again by its own lookup.
pub fn key_lines(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let key = host_key().public();
    for (host, port, ip) in [
        ("router1.example.com", 22, Some("192.0.2.1")),
        ("router1", 2222, None),
        ("192.0.2.1", 22, None),
    ] {
        let _ = check_host_key(&text, host, port, ip, &key);
        let _ = cert_authority_lines(&text, host, port);
        let _ = key_types_for(&text, host, port);
    }
    let ips: [IpAddr; 3] = [
        IpAddr::from([192, 0, 2, 1]),
        IpAddr::from([10, 1, 2, 3]),
        IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
    ];
    for (_, entry) in parse_authorized_keys(&text) {
        let Ok(ak) = entry else { continue };
        let _ = (ak.command(), ak.is_cert_authority(), ak.expired_at(NOW));
        for p in [
            Permission::AgentForwarding,
            Permission::PortForwarding,
            Permission::Pty,
            Permission::UserRc,
            Permission::X11Forwarding,
        ] {
            let _ = ak.allows(p);
        }
        for ip in ips {
            let _ = ak.source_allowed(ip);
        }
    }
    for line in text.lines().take(16) {
        let _ = AuthorizedKey::parse(line);
        let _ = PublicKey::parse_openssh_line(line);
        for port in [22, 2222] {
            if let Ok(entry) = format_entry(line, port, None, &key) {
                let found = check_host_key(&entry, line, port, None, &key);
                assert_eq!(found, HostKeyStatus::Match(1), "{entry:?} finds {line:?}");
            }
            if let Ok(entry) = format_hashed_entry(line, port, &key, &[7; 20]) {
                let found = check_host_key(&entry, line, port, None, &key);
                assert_eq!(found, HostKeyStatus::Match(1), "{entry:?} finds {line:?}");
            }
        }
    }
}
