//! A server past its first key exchange, fed the client's sealed payloads: service requests, early
//! messages, re-key, then userauth.
//! (Details: `post_kex::server_post_kex` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::post_kex::server_post_kex(data));
