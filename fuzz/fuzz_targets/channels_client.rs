//! An authenticated client with a session (pty, shell) open, fed the server's channel and global
//! messages.
//! (Details: `post_kex::channels_client` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::post_kex::channels_client(data));
