//! The fuzz targets' code, in one library so that two builds share it: cargo-fuzz's
//! (`fuzz_targets/*.rs`, one line each) and the engine's own `tests/fuzz_regressions.rs`, which
//! includes this file with `#[path]` and replays `fuzz/regressions/` and the seeds through the
//! very same functions in a normal `cargo test`, without cargo-fuzz or nightly features.
//!
//! How the targets get past the first key exchange (README.md says why this way): a real
//! handshake in memory between the target engine and a peer engine, both with fixed seeds;
//! after it, the fuzz input is a list of plaintext payloads that the peer seals with its real
//! keys and sequence numbers (through the engine's `test-hooks` raw-payload call), so the
//! target opens them as it would any peer's packets. No fuzz-only code is in the engine.
//!
//! Only the engine (with its `test-hooks` feature) and std are used.
#![allow(clippy::missing_panics_doc)]

pub mod app;
pub mod fixtures;
pub mod ops;
pub mod seeds;
pub mod session;
pub mod targets;
pub mod templates;

/// A target: one input in, a panic if the engine misbehaved.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz_targets/NAME.rs`, `fuzz/regressions/NAME/` and
/// `fuzz/seeds/NAME/` call it.
pub const TARGETS: &[(&str, Target)] = &[
    ("client_input", targets::wire::client_input),
    ("server_input", targets::wire::server_input),
    ("client_post_kex", targets::post_kex::client_post_kex),
    ("server_post_kex", targets::post_kex::server_post_kex),
    ("userauth_server", targets::post_kex::userauth_server),
    ("channels_server", targets::post_kex::channels_server),
    ("channels_client", targets::post_kex::channels_client),
    ("x509_chain", targets::pki::x509_chain),
    ("revocation", targets::pki::revocation),
    ("key_files", targets::files::key_files),
    ("key_lines", targets::files::key_lines),
    ("decoders", targets::wire::decoders),
    ("transfer", targets::transfer::transfer),
];

/// Runs target `name` on `data`; `false` if there is no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}
