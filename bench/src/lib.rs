//! Benchmark workloads for sshgate, shared by the native runner (`src/bin/transport.rs`) and the
//! wasm runner (`wasm/run.mjs`). Nothing here reads a clock: each runner times these functions
//! with its own clock (`std::time::Instant`, `performance.now()`), so both measure the same way.
//!
//! - [`seal_open_engine`]: the engine's `PacketSealer` + `PacketOpener`, one packet at a time.
//! - [`seal_open_raw`]: the same crypto done directly with the RustCrypto primitives (baseline).
//! - [`kex_once`]: one complete in-memory handshake between a client and a server `Connection`.
//! - [`Login`]: a whole login (handshake and publickey authentication), plain keys or X.509.

mod engine;
mod kex;
mod login;
mod pair;
mod primitives;
mod raw;

pub use engine::seal_open_engine;
pub use kex::{kex_once, kex_once_gex};
pub use login::{CertFiles, Login};
pub use primitives::primitive;
pub use raw::seal_open_raw;

/// Payload bytes per packet: the typical SSH channel data packet (OpenSSH's 32 KiB).
pub const PACKET_PAYLOAD: usize = 32768;

/// Cipher/MAC pairs measured: every cipher and every MAC at least once.
pub const TRANSPORT_CASES: &[(&str, &str)] = &[
    ("chacha20-poly1305@openssh.com", ""),
    ("aes128-gcm@openssh.com", ""),
    ("aes256-gcm@openssh.com", ""),
    ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"),
    ("aes192-ctr", "hmac-sha2-256-etm@openssh.com"),
    ("aes256-ctr", "hmac-sha2-256-etm@openssh.com"),
    ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"),
    ("aes256-ctr", "hmac-sha1-etm@openssh.com"),
    ("aes256-ctr", "hmac-sha2-256"),
    ("aes256-ctr", "hmac-sha2-512"),
    ("aes256-ctr", "hmac-sha1"),
    ("aes256-ctr", "hmac-sha1-96"),
    ("aes128-cbc", "hmac-sha2-256"),
    ("aes192-cbc", "hmac-sha2-256"),
    ("aes256-cbc", "hmac-sha2-256"),
    ("3des-cbc", "hmac-sha1"),
];

/// Key exchange methods measured (all of the engine's, default preference order).
pub const KEX_METHODS: &[&str] = &[
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group14-sha1",
];

/// Host key used for the key exchange table.
pub const KEX_HOST_KEY: &str = "ssh-ed25519";

/// Preferred group size the GEX rows ask for (`GexRange { min: 2048, n, max: 8192 }`); each GEX
/// method is also measured with the engine's default n = 3072.
pub const GEX_N: u32 = 2048;

/// Whether `kex` is a group exchange method (its rows carry a group size).
#[must_use]
pub fn is_gex(kex: &str) -> bool {
    kex.starts_with("diffie-hellman-group-exchange-")
}

/// Bytes to process per run for `cipher` when the runner asks for `total`: an eighth for 3DES,
/// which is many times slower than anything else (the ratio is what matters, not the volume).
#[must_use]
pub fn case_bytes(cipher: &str, total: usize) -> usize {
    if cipher == "3des-cbc" {
        total / 8
    } else {
        total
    }
}

/// A deterministic key of `len` bytes, different per `tag`.
pub(crate) fn fixed_key(len: usize, tag: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag))
        .collect()
}

/// The payload every packet carries: an SSH_MSG_CHANNEL_DATA-like message of `len` bytes.
pub(crate) fn payload(len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    if let Some(first) = p.first_mut() {
        *first = 94;
    }
    p
}

/// Packets of `packet_payload` bytes needed to carry `total_bytes` (at least one).
pub(crate) fn packet_count(total_bytes: usize, packet_payload: usize) -> usize {
    total_bytes.div_ceil(packet_payload.max(1)).max(1)
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    //! JS exports; `run.mjs` times them with `performance.now()`. `u64` results arrive as BigInt.
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console)]
        fn error(msg: &str);
    }

    /// Panics trap in wasm; this prints their message on the console first.
    #[wasm_bindgen]
    pub fn set_panic_hook() {
        std::panic::set_hook(Box::new(|info| error(&info.to_string())));
    }

    #[wasm_bindgen(js_name = seal_open_engine)]
    pub fn seal_open_engine(cipher: &str, mac: &str, total: usize, packet: usize) -> u64 {
        super::seal_open_engine(cipher, mac, total, packet)
    }

    #[wasm_bindgen(js_name = seal_open_raw)]
    pub fn seal_open_raw(cipher: &str, mac: &str, total: usize, packet: usize) -> u64 {
        super::seal_open_raw(cipher, mac, total, packet)
    }

    #[wasm_bindgen]
    pub fn primitive(name: &str, total: usize, message: usize) -> u64 {
        super::primitive(name, total, message)
    }

    #[wasm_bindgen(js_name = kex_once)]
    pub fn kex_once(kex: &str, host_key: &str) -> bool {
        super::kex_once(kex, host_key)
    }

    #[wasm_bindgen(js_name = kex_once_gex)]
    pub fn kex_once_gex(kex: &str, host_key: &str, gex_n: u32) -> bool {
        super::kex_once_gex(kex, host_key, gex_n)
    }

    /// `cipher<TAB>mac` lines, the same cases the native runner measures.
    #[wasm_bindgen]
    pub fn transport_cases() -> String {
        super::TRANSPORT_CASES
            .iter()
            .map(|(c, m)| format!("{c}\t{m}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Kex method names, one a line.
    #[wasm_bindgen]
    pub fn kex_methods() -> String {
        super::KEX_METHODS.join("\n")
    }

    #[wasm_bindgen]
    pub fn kex_host_key() -> String {
        super::KEX_HOST_KEY.to_string()
    }

    #[wasm_bindgen]
    pub fn gex_n() -> u32 {
        super::GEX_N
    }

    #[wasm_bindgen]
    pub fn is_gex(kex: &str) -> bool {
        super::is_gex(kex)
    }

    #[wasm_bindgen]
    pub fn case_bytes(cipher: &str, total: usize) -> usize {
        super::case_bytes(cipher, total)
    }

    #[wasm_bindgen]
    pub fn packet_payload() -> usize {
        super::PACKET_PAYLOAD
    }

    /// A login set up once, run many times ([`super::Login`]).
    #[wasm_bindgen]
    pub struct LoginBench(super::Login);

    #[wasm_bindgen]
    impl LoginBench {
        /// Plain ed25519 host and user keys.
        pub fn plain_ed25519() -> LoginBench {
            use sshgate::keys::{HostKeyAlg, KeyKind};
            LoginBench(super::Login::plain(
                KeyKind::Ed25519,
                HostKeyAlg::SshEd25519,
                KeyKind::Ed25519,
            ))
        }

        /// Certificates from PEM texts (the files of `tests/x509/make-pki.sh`); `host_alg` is
        /// the x509v3 host key algorithm.
        #[allow(clippy::too_many_arguments)]
        pub fn certificate(
            host_alg: &str,
            host_key: &str,
            host_chain: &str,
            host_root: &str,
            user_key: &str,
            user_chain: &str,
            user_root: &str,
        ) -> Result<LoginBench, String> {
            let alg = sshgate::keys::HostKeyAlg::from_name(host_alg)
                .ok_or_else(|| format!("unknown host key algorithm {host_alg}"))?;
            let files = super::CertFiles {
                host_key,
                host_chain,
                host_root,
                user_key,
                user_chain,
                user_root,
            };
            super::Login::certificate(&files, alg).map(LoginBench)
        }

        /// One login; true if it succeeded.
        pub fn run(&self) -> bool {
            self.0.run()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_baseline_runs_every_case() {
        for &(c, m) in TRANSPORT_CASES {
            let _ = seal_open_raw(c, m, 3 * PACKET_PAYLOAD, PACKET_PAYLOAD);
            let _ = seal_open_raw(c, m, 3 * 1000, 1000);
        }
    }

    #[test]
    fn engine_runs_every_case() {
        for &(c, m) in TRANSPORT_CASES {
            let _ = seal_open_engine(c, m, 3 * PACKET_PAYLOAD, PACKET_PAYLOAD);
        }
    }

    #[test]
    fn every_kex_method_completes() {
        for &k in KEX_METHODS {
            assert!(kex_once(k, KEX_HOST_KEY), "{k}");
        }
    }
}
