//! A server fed a client's whole byte stream: version, KEXINIT negotiation, guesses, strict kex,
//! every kex method's init; recorded sessions go on to userauth and channels.
//! (Details: `wire::server_input` in fuzz/src/targets/.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sshgate_fuzz::targets::wire::server_input(data));
