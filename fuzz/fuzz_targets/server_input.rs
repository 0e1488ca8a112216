//! A server engine fed arbitrary bytes after a valid identification line: version parsing,
//! cleartext packet framing, the phase table and KEXINIT/kex decoders must end in Ok or a clean
//! error, never a panic or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sshgate::keys::{KeyKind, PrivateKey};
use sshgate::{Connection, Instant, ServerConfig};
use std::sync::{Arc, OnceLock};

fn config() -> Arc<ServerConfig> {
    static CFG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut rng = sshgate::crypto::EngineRng::from_seed([7; 32]);
        let key = PrivateKey::generate(KeyKind::Ed25519, &mut rng).expect("ed25519 keygen");
        Arc::new(ServerConfig { host_keys: vec![Arc::new(key)], ..ServerConfig::default() })
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let mut server = Connection::server(config(), Instant::ZERO, [1; 32]);
    let mut input = b"SSH-2.0-fuzz\r\n".to_vec();
    input.extend_from_slice(data);
    // Feed in two pieces so the incremental paths run too.
    let (a, b) = input.split_at(input.len() / 2);
    if server.handle_input(a, Instant::ZERO).is_ok() {
        let _ = server.handle_input(b, Instant::ZERO);
    }
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) {}
    while server.poll_event().is_some() {}
});
