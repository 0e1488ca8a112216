//! Key fingerprints as `ssh-keygen -l` prints them.

use base64ct::{Base64Unpadded, Encoding};
use md5::{Digest, Md5};
use sha2::Sha256;

/// `SHA256:` followed by the unpadded standard base64 of SHA-256(blob).
pub(crate) fn sha256(blob: &[u8]) -> String {
    format!(
        "SHA256:{}",
        Base64Unpadded::encode_string(&Sha256::digest(blob))
    )
}

/// Colon-separated lowercase hex of MD5(blob).
pub(crate) fn md5(blob: &[u8]) -> String {
    let digest = Md5::digest(blob);
    let mut s = String::with_capacity(digest.len() * 3);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}
