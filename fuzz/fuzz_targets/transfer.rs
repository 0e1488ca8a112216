//! File transfer: SFTP packets (framer, requests, responses; round trips) and the legacy SCP
//! records and exec line.
//! (Details: `transfer::transfer` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::transfer::transfer(data));
