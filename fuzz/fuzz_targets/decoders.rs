//! The stand-alone decoders: KEXINIT, public key blobs, key files in every format (and their
//! DER inside PEM armor), known_hosts and authorized_keys lines, the wire reader's compound
//! types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sshgate::keys::authorized_keys::AuthorizedKey;
use sshgate::keys::known_hosts::check_host_key;
use sshgate::keys::{PrivateKey, PublicKey};
use sshgate::transport::kexinit::KexInit;
use sshgate::wire::Reader;

fuzz_target!(|data: &[u8]| {
    let _ = KexInit::decode(data);
    if let Ok(key) = PublicKey::from_blob(data) {
        // Whatever parses must re-encode to the same bytes.
        assert_eq!(key.to_blob(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_openssh_line(text);
        let _ = PrivateKey::from_openssh(text);
        let _ = PrivateKey::from_text(text, Some("pass"));
        let _ = PublicKey::from_text(text);
        let _ = AuthorizedKey::parse(text);
        let key = PrivateKey::from_ed25519_seed(&[7; 32]).public();
        let _ = check_host_key(text, "host", 2222, Some("192.0.2.1"), &key);
    }
    // The bytes as the DER body of each PEM label, so the DER decoders see them directly.
    let b64 = base64_encode(data);
    for label in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = PrivateKey::from_text(&pem, Some("pass"));
    }
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = PublicKey::from_text(&pem);
    }
    let mut r = Reader::new(data);
    let _ = r.name_list("l");
    let _ = r.mpint_positive("m");
    let _ = r.string("s");
});

/// Standard padded base64 (the fuzz crate keeps to the engine as its only dependency).
fn base64_encode(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
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
