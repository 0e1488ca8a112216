//! Packet protection (RFC 4253 §6, RFC 5647, OpenSSH PROTOCOL.chacha20poly1305 and ETM MACs):
//! one [`PacketSealer`] per outgoing direction and one [`PacketOpener`] per incoming direction.
//! STUB: interface only; implemented in this folder.

use crate::crypto::EngineRng;
use zeroize::Zeroizing;

/// Largest `packet_length` accepted from a peer (OpenSSH's limit). RFC 4253 §6.1 asks for at least 35000.
pub const MAX_PACKET_LEN: usize = 256 * 1024;

/// An encryption algorithm (negotiated by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CipherAlg {
    /// `chacha20-poly1305@openssh.com`
    ChaCha20Poly1305,
    /// `aes128-gcm@openssh.com`
    Aes128Gcm,
    /// `aes256-gcm@openssh.com`
    Aes256Gcm,
    /// `aes128-ctr`
    Aes128Ctr,
    /// `aes192-ctr`
    Aes192Ctr,
    /// `aes256-ctr`
    Aes256Ctr,
    /// `aes128-cbc` (legacy)
    Aes128Cbc,
    /// `aes192-cbc` (legacy)
    Aes192Cbc,
    /// `aes256-cbc` (legacy)
    Aes256Cbc,
    /// `3des-cbc` (legacy)
    TripleDesCbc,
}

/// A MAC algorithm (negotiated by name; unused with AEAD ciphers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlg {
    /// `hmac-sha2-256-etm@openssh.com`
    HmacSha256Etm,
    /// `hmac-sha2-512-etm@openssh.com`
    HmacSha512Etm,
    /// `hmac-sha1-etm@openssh.com`
    HmacSha1Etm,
    /// `hmac-sha2-256`
    HmacSha256,
    /// `hmac-sha2-512`
    HmacSha512,
    /// `hmac-sha1`
    HmacSha1,
    /// `hmac-sha1-96` (legacy)
    HmacSha1_96,
}

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

/// A packet opened in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Bytes of the input buffer this packet occupied (length, body, MAC).
    pub consumed: usize,
    /// Where the payload is inside the (now decrypted) buffer.
    pub payload: core::ops::Range<usize>,
}

/// Why an incoming packet was refused. Every one of these ends the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// `packet_length` too small, too large, or not a multiple of the block size.
    BadLength(u32),
    /// `padding_length` under 4 or past the packet's end.
    BadPadding,
    /// MAC or AEAD tag did not verify.
    MacMismatch,
}

impl CipherAlg {
    /// Every cipher, in default preference order.
    pub const ALL: &'static [CipherAlg] = &[
        CipherAlg::ChaCha20Poly1305,
        CipherAlg::Aes128Gcm,
        CipherAlg::Aes256Gcm,
        CipherAlg::Aes128Ctr,
        CipherAlg::Aes192Ctr,
        CipherAlg::Aes256Ctr,
        CipherAlg::Aes128Cbc,
        CipherAlg::Aes192Cbc,
        CipherAlg::Aes256Cbc,
        CipherAlg::TripleDesCbc,
    ];
    /// SSH name.
    pub fn name(self) -> &'static str {
        todo!()
    }
    /// By SSH name.
    pub fn from_name(_n: &str) -> Option<Self> {
        todo!()
    }
    /// Key bytes.
    pub fn key_len(self) -> usize {
        todo!()
    }
    /// IV bytes derived for this cipher.
    pub fn iv_len(self) -> usize {
        todo!()
    }
    /// Cipher block size (8 for chacha20-poly1305 and 3DES, 16 for AES).
    pub fn block_size(self) -> usize {
        todo!()
    }
    /// AEAD ciphers carry their own tag and ignore the negotiated MAC.
    pub fn is_aead(self) -> bool {
        todo!()
    }
    /// Legacy: off unless configured (CBC modes, 3DES).
    pub fn is_legacy(self) -> bool {
        todo!()
    }
}

impl MacAlg {
    /// Every MAC, in default preference order.
    pub const ALL: &'static [MacAlg] = &[
        MacAlg::HmacSha256Etm,
        MacAlg::HmacSha512Etm,
        MacAlg::HmacSha1Etm,
        MacAlg::HmacSha256,
        MacAlg::HmacSha512,
        MacAlg::HmacSha1,
        MacAlg::HmacSha1_96,
    ];
    /// SSH name.
    pub fn name(self) -> &'static str {
        todo!()
    }
    /// By SSH name.
    pub fn from_name(_n: &str) -> Option<Self> {
        todo!()
    }
    /// Key bytes.
    pub fn key_len(self) -> usize {
        todo!()
    }
    /// Tag bytes on the wire.
    pub fn tag_len(self) -> usize {
        todo!()
    }
    /// Encrypt-then-MAC variant.
    pub fn is_etm(self) -> bool {
        todo!()
    }
    /// Legacy: off unless configured (`hmac-sha1-96`).
    pub fn is_legacy(self) -> bool {
        todo!()
    }
}

/// Outgoing packet protection for one direction.
pub struct PacketSealer {}

impl PacketSealer {
    /// No encryption, no MAC (before the first NEWKEYS).
    pub fn cleartext() -> Self {
        todo!()
    }
    /// From freshly derived keys.
    pub fn new(_keys: &DirectionKeys) -> Self {
        todo!()
    }
    /// Appends one complete binary packet carrying `payload` to `out`.
    pub fn seal(&mut self, _seq: u32, _payload: &[u8], _rng: &mut EngineRng, _out: &mut Vec<u8>) {
        todo!()
    }
}

/// Incoming packet protection for one direction.
pub struct PacketOpener {}

impl PacketOpener {
    /// No encryption, no MAC (before the first NEWKEYS).
    pub fn cleartext() -> Self {
        todo!()
    }
    /// From freshly derived keys.
    pub fn new(_keys: &DirectionKeys) -> Self {
        todo!()
    }
    /// Tries to open the packet at the front of `buf` in place; `Ok(None)` means more bytes are needed.
    pub fn open(&mut self, _seq: u32, _buf: &mut [u8]) -> Result<Option<Opened>, PacketError> {
        todo!()
    }
}
