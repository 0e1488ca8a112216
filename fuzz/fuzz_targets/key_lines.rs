//! known_hosts and authorized_keys text: lookups, options, and entries written by the engine found
//! again by it.
//! (Details: `files::key_lines` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::files::key_lines(data));
