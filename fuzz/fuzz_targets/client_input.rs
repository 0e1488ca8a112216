//! A client fed a server's whole byte stream: version, KEXINIT, every kex method's reply, host keys
//! and RFC 6187 host certificates; recorded sessions go on to userauth and channels.
//! (Details: `wire::client_input` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::wire::client_input(data));
