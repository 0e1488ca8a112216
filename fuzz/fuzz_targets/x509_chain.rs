//! Certificate DER and chains validated against fixed trust anchors at a fixed time; identity
//! mapping and host name checks; RFC 6187 blobs.
//! (Details: `pki::x509_chain` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::pki::x509_chain(data));
