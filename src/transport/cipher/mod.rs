//! Packet protection (RFC 4253 §6, RFC 5647, OpenSSH PROTOCOL.chacha20poly1305 and ETM MACs):
//! one [`PacketSealer`] per outgoing direction and one [`PacketOpener`] per incoming direction.
//!
//! The opener checks every length before it reads further, verifies the MAC or tag before it
//! returns a payload (and, for ETM and AEAD modes, before it decrypts), and compares tags in
//! constant time. Cipher and MAC states live as long as their keys, so sealing a packet costs the
//! primitives and one copy of the payload, nothing more.

pub(crate) mod direction_keys;
pub(crate) mod keystream;
mod mac;
mod modes;
pub(crate) mod opener;
pub(crate) mod sealer;
#[cfg(test)]
mod tests;

// Public only with the `internals` feature (src/internals.rs): the benchmarks seal and open
// packets without a connection.
pub(crate) use direction_keys::DirectionKeys;
pub(crate) use opener::PacketOpener;
pub(crate) use sealer::PacketSealer;

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
    /// `hmac-md5` (legacy, RFC 4253 §6.4: old devices)
    HmacMd5,
    /// `hmac-md5-96` (legacy)
    HmacMd5_96,
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
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CipherAlg::ChaCha20Poly1305 => "chacha20-poly1305@openssh.com",
            CipherAlg::Aes128Gcm => "aes128-gcm@openssh.com",
            CipherAlg::Aes256Gcm => "aes256-gcm@openssh.com",
            CipherAlg::Aes128Ctr => "aes128-ctr",
            CipherAlg::Aes192Ctr => "aes192-ctr",
            CipherAlg::Aes256Ctr => "aes256-ctr",
            CipherAlg::Aes128Cbc => "aes128-cbc",
            CipherAlg::Aes192Cbc => "aes192-cbc",
            CipherAlg::Aes256Cbc => "aes256-cbc",
            CipherAlg::TripleDesCbc => "3des-cbc",
        }
    }

    /// By SSH name.
    #[must_use]
    pub fn from_name(n: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == n)
    }

    /// Key bytes (chacha20-poly1305@openssh.com takes two 256-bit keys).
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            CipherAlg::ChaCha20Poly1305 => 64,
            CipherAlg::Aes128Gcm | CipherAlg::Aes128Ctr | CipherAlg::Aes128Cbc => 16,
            CipherAlg::Aes192Ctr | CipherAlg::Aes192Cbc | CipherAlg::TripleDesCbc => 24,
            CipherAlg::Aes256Gcm | CipherAlg::Aes256Ctr | CipherAlg::Aes256Cbc => 32,
        }
    }

    /// IV bytes derived for this cipher.
    #[must_use]
    pub fn iv_len(self) -> usize {
        match self {
            CipherAlg::ChaCha20Poly1305 => 0,
            CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm => 12,
            CipherAlg::TripleDesCbc => 8,
            _ => 16,
        }
    }

    /// Cipher block size (8 for chacha20-poly1305 and 3DES, 16 for AES).
    #[must_use]
    pub fn block_size(self) -> usize {
        match self {
            CipherAlg::ChaCha20Poly1305 | CipherAlg::TripleDesCbc => 8,
            _ => 16,
        }
    }

    /// AEAD ciphers carry their own tag and ignore the negotiated MAC.
    #[must_use]
    pub fn is_aead(self) -> bool {
        matches!(
            self,
            CipherAlg::ChaCha20Poly1305 | CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm
        )
    }

    /// Legacy: off unless configured (CBC modes, 3DES).
    #[must_use]
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            CipherAlg::Aes128Cbc
                | CipherAlg::Aes192Cbc
                | CipherAlg::Aes256Cbc
                | CipherAlg::TripleDesCbc
        )
    }

    /// CBC chaining (every legacy cipher is a CBC mode).
    pub(crate) fn is_cbc(self) -> bool {
        self.is_legacy()
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
        MacAlg::HmacMd5,
        MacAlg::HmacMd5_96,
    ];

    /// Other names users give some MACs by (Cisco IOS's `ip ssh server algorithm mac` and
    /// `ssh -m`: `hmac-sha1-160`, `hmac-md5-128`): accepted by [`MacAlg::from_name`], never sent.
    pub const ALIASES: &'static [(&'static str, MacAlg)] = &[
        ("hmac-sha1-160", MacAlg::HmacSha1),
        ("hmac-md5-128", MacAlg::HmacMd5),
    ];

    /// SSH name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            MacAlg::HmacSha256Etm => "hmac-sha2-256-etm@openssh.com",
            MacAlg::HmacSha512Etm => "hmac-sha2-512-etm@openssh.com",
            MacAlg::HmacSha1Etm => "hmac-sha1-etm@openssh.com",
            MacAlg::HmacSha256 => "hmac-sha2-256",
            MacAlg::HmacSha512 => "hmac-sha2-512",
            MacAlg::HmacSha1 => "hmac-sha1",
            MacAlg::HmacSha1_96 => "hmac-sha1-96",
            MacAlg::HmacMd5 => "hmac-md5",
            MacAlg::HmacMd5_96 => "hmac-md5-96",
        }
    }

    /// By the name a user gives: the SSH name or one of the [`MacAlg::ALIASES`]. Negotiation
    /// uses [`MacAlg::from_wire_name`], so an alias is never taken from or sent to a peer.
    #[must_use]
    pub fn from_name(n: &str) -> Option<Self> {
        Self::from_wire_name(n).or_else(|| {
            Self::ALIASES
                .iter()
                .find(|(alias, _)| *alias == n)
                .map(|&(_, m)| m)
        })
    }

    /// By SSH name only, as in KEXINIT.
    #[must_use]
    pub fn from_wire_name(n: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == n)
    }

    /// Key bytes (the hash output length, RFC 4253 §6.4 and RFC 6668).
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            MacAlg::HmacSha256Etm | MacAlg::HmacSha256 => 32,
            MacAlg::HmacSha512Etm | MacAlg::HmacSha512 => 64,
            MacAlg::HmacSha1Etm | MacAlg::HmacSha1 | MacAlg::HmacSha1_96 => 20,
            MacAlg::HmacMd5 | MacAlg::HmacMd5_96 => 16,
        }
    }

    /// Tag bytes on the wire.
    #[must_use]
    pub fn tag_len(self) -> usize {
        match self {
            MacAlg::HmacSha1_96 | MacAlg::HmacMd5_96 => 12,
            other => other.key_len(),
        }
    }

    /// Encrypt-then-MAC variant.
    #[must_use]
    pub fn is_etm(self) -> bool {
        matches!(
            self,
            MacAlg::HmacSha256Etm | MacAlg::HmacSha512Etm | MacAlg::HmacSha1Etm
        )
    }

    /// Legacy: off unless configured (`hmac-sha1-96`, `hmac-md5`, `hmac-md5-96`).
    #[must_use]
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            MacAlg::HmacSha1_96 | MacAlg::HmacMd5 | MacAlg::HmacMd5_96
        )
    }
}

/// The protection of one direction, shared by the sealer and the opener; `B` is the block-mode
/// state, which differs between the two halves (CBC encrypts or decrypts).
enum Protection<B> {
    /// Before the first NEWKEYS.
    Clear,
    /// chacha20-poly1305@openssh.com.
    ChaCha(modes::ChaChaPoly),
    /// AES-GCM.
    Gcm(modes::GcmState),
    /// A block or CTR cipher with an HMAC.
    Block {
        /// The cipher state.
        mode: B,
        /// The keyed MAC.
        mac: Box<mac::MacState>,
        /// Tag bytes on the wire.
        tag_len: usize,
        /// Encrypt-then-MAC.
        etm: bool,
        /// The cipher's block size.
        block: usize,
    },
}

impl<B> Protection<B> {
    /// Builds a direction's state from derived keys; `mode` builds the CTR/CBC state.
    ///
    /// # Panics
    /// If the key or IV lengths do not match the algorithm (they come from our own derivation).
    fn new(keys: &DirectionKeys, mode: impl FnOnce(CipherAlg, &[u8], &[u8]) -> Option<B>) -> Self {
        let c = keys.cipher;
        let bad = "derived key and IV lengths match the cipher";
        if c == CipherAlg::ChaCha20Poly1305 {
            Protection::ChaCha(modes::ChaChaPoly::new(&keys.key).expect(bad))
        } else if c.is_aead() {
            Protection::Gcm(modes::GcmState::new(c, &keys.key, &keys.iv).expect(bad))
        } else {
            let mac_alg = keys.mac.expect("a non-AEAD cipher has a negotiated MAC");
            Protection::Block {
                mode: mode(c, &keys.key, &keys.iv).expect(bad),
                mac: Box::new(mac::MacState::new(mac_alg, &keys.mac_key)),
                tag_len: mac_alg.tag_len(),
                etm: mac_alg.is_etm(),
                block: c.block_size(),
            }
        }
    }
}

/// Padding for a payload: RFC 4253 §6 asks for 4..=255 bytes making the padded length a multiple
/// of `align`; `skip_len` is true when the 4-byte length is outside the aligned part (ETM, AEAD).
pub(crate) fn padding_len(payload: usize, align: usize, skip_len: bool) -> usize {
    let covered = if skip_len { 1 + payload } else { 5 + payload };
    let mut pad = align - covered % align;
    if pad < 4 {
        pad += align;
    }
    pad
}
