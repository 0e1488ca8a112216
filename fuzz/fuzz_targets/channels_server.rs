//! An authenticated server with a session open, fed channel and global messages, answered by a
//! fixed application (accept, echo, exit).
//! (Details: `post_kex::channels_server` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::post_kex::channels_server(data));
