//! A client engine fed arbitrary bytes from its "server": prelude lines, the identification
//! line and everything after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sshgate::{ClientConfig, Connection, Instant};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut client = Connection::client(Arc::new(ClientConfig::default()), Instant::ZERO, [2; 32]);
    for piece in data.chunks(97) {
        if client.handle_input(piece, Instant::ZERO).is_err() {
            break;
        }
        while let Some(ev) = client.poll_event() {
            if let sshgate::Event::HostKey(_) = ev {
                let _ = client.answer_host_key(true);
            }
        }
    }
    let mut out = Vec::new();
    while client.poll_transmit(&mut out) {}
});
