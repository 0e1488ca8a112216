//! Private and public key files of every format with passphrases, PKCS#12 and PKCS#8; what loads
//! must round-trip.
//! (Details: `files::key_files` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::files::key_files(data));
