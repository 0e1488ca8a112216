//! The keys one direction of a connection is protected with.

use super::{CipherAlg, MacAlg};
use zeroize::Zeroizing;

/// Keys for one direction, as derived by key exchange (RFC 4253 §7.2).
pub struct DirectionKeys {
    /// The cipher.
    pub cipher: CipherAlg,
    /// The MAC; `None` exactly when the cipher is AEAD.
    pub mac: Option<MacAlg>,
    /// Encryption key, `cipher.key_len()` bytes.
    pub key: Zeroizing<Vec<u8>>,
    /// Initial IV, `cipher.iv_len()` bytes.
    pub iv: Zeroizing<Vec<u8>>,
    /// Integrity key, `mac.key_len()` bytes (empty for AEAD).
    pub mac_key: Zeroizing<Vec<u8>>,
}
