//! A client past its first key exchange, fed the server's sealed payloads: service accept,
//! EXT_INFO, every userauth answer, re-key, then channels.
//! (Details: `post_kex::client_post_kex` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::post_kex::client_post_kex(data));
