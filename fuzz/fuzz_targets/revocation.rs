//! CRLs (DER and PEM) and stapled OCSP responses, parsed and checked for two fixed leaves under a
//! fixed trust anchor and time.
//! (Details: `pki::revocation` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::pki::revocation(data));
