//! Wire decoders: KEXINIT, public key blobs (round-trip), RFC 6187 blobs, the wire reader, peer
//! text escaping.
//! (Details: `wire::decoders` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::wire::decoders(data));
