//! The stand-alone decoders: KEXINIT, public key blobs, OpenSSH key files and lines, the wire
//! reader's compound types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sshgate::keys::{PrivateKey, PublicKey};
use sshgate::transport::kexinit::KexInit;
use sshgate::wire::Reader;

fuzz_target!(|data: &[u8]| {
    let _ = KexInit::decode(data);
    if let Ok(key) = PublicKey::from_blob(data) {
        // Whatever parses must re-encode to the same bytes.
        assert_eq!(key.to_blob(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_openssh_line(text);
        let _ = PrivateKey::from_openssh(text);
    }
    let mut r = Reader::new(data);
    let _ = r.name_list("l");
    let _ = r.mpint_positive("m");
    let _ = r.string("s");
});
