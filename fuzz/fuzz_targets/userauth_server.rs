//! A server in user authentication, fed USERAUTH_REQUEST in every method (validly signed ones and
//! certificate chains too), answered by a fixed policy.
//! (Details: `post_kex::userauth_server` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::post_kex::userauth_server(data));
