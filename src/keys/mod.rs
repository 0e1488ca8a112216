//! Host and user keys and their signatures (RFC 4253 §6.6, RFC 5656, RFC 8332, RFC 8709),
//! OpenSSH private key files, fingerprints.
//! STUB: interface only; implemented in this folder.

use crate::crypto::EngineRng;

/// A public key algorithm as negotiated in KEXINIT and named in signatures.
/// RFC 6187 `x509v3-*` names join this list in the X.509 issue, carrying a certificate chain as the key blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKeyAlg {
    /// `ssh-ed25519`
    SshEd25519,
    /// `ecdsa-sha2-nistp256`
    EcdsaSha2Nistp256,
    /// `ecdsa-sha2-nistp384`
    EcdsaSha2Nistp384,
    /// `ecdsa-sha2-nistp521`
    EcdsaSha2Nistp521,
    /// `rsa-sha2-512`
    RsaSha2_512,
    /// `rsa-sha2-256`
    RsaSha2_256,
    /// `ssh-rsa`: RSA with SHA-1 (legacy)
    SshRsa,
}

impl HostKeyAlg {
    /// Every algorithm, in default preference order.
    pub const ALL: &'static [HostKeyAlg] = &[
        HostKeyAlg::SshEd25519,
        HostKeyAlg::EcdsaSha2Nistp256,
        HostKeyAlg::EcdsaSha2Nistp384,
        HostKeyAlg::EcdsaSha2Nistp521,
        HostKeyAlg::RsaSha2_512,
        HostKeyAlg::RsaSha2_256,
        HostKeyAlg::SshRsa,
    ];
    /// SSH name.
    pub fn name(self) -> &'static str {
        todo!()
    }
    /// By SSH name.
    pub fn from_name(_n: &str) -> Option<Self> {
        todo!()
    }
    /// Legacy: off unless configured (`ssh-rsa`).
    pub fn is_legacy(self) -> bool {
        todo!()
    }
}

/// The kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Ed25519.
    Ed25519,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// ECDSA on P-521.
    EcdsaP521,
    /// RSA with this many modulus bits.
    Rsa(usize),
}

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The blob or file is malformed (the text says where).
    Malformed(&'static str),
    /// Key type or algorithm not supported, or not usable with this key.
    Unsupported(String),
    /// RSA key below the configured minimum size.
    TooSmall(usize),
    /// The signature does not verify.
    BadSignature,
    /// Encrypted key: passphrase missing or wrong.
    Passphrase,
}

/// A public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {}

impl PublicKey {
    /// Parses an SSH public key blob (RFC 4253 §6.6).
    pub fn from_blob(_blob: &[u8]) -> Result<Self, KeyError> {
        todo!()
    }
    /// The SSH public key blob.
    pub fn to_blob(&self) -> Vec<u8> {
        todo!()
    }
    /// Key format name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...).
    pub fn key_type(&self) -> &'static str {
        todo!()
    }
    /// Whether signatures of `alg` can be made with this key type.
    pub fn supports(&self, _alg: HostKeyAlg) -> bool {
        todo!()
    }
    /// Verifies a signature blob (`string alg-name, string sig`) of `alg` over `data`.
    pub fn verify(&self, _alg: HostKeyAlg, _data: &[u8], _sig_blob: &[u8]) -> Result<(), KeyError> {
        todo!()
    }
    /// `SHA256:<base64 without padding>` as OpenSSH prints it.
    pub fn fingerprint_sha256(&self) -> String {
        todo!()
    }
    /// Key size in bits (modulus bits for RSA, curve size for ECDSA, 256 for Ed25519).
    pub fn bits(&self) -> usize {
        todo!()
    }
}

/// A private key. Secret material is zeroized on drop.
pub struct PrivateKey {}

impl PrivateKey {
    /// Generates a key with the injected RNG.
    pub fn generate(_kind: KeyKind, _rng: &mut EngineRng) -> Result<Self, KeyError> {
        todo!()
    }
    /// The public half.
    pub fn public(&self) -> PublicKey {
        todo!()
    }
    /// Signs `data` with `alg`, returning a signature blob (`string alg-name, string sig`).
    pub fn sign(
        &self,
        _alg: HostKeyAlg,
        _data: &[u8],
        _rng: &mut EngineRng,
    ) -> Result<Vec<u8>, KeyError> {
        todo!()
    }
    /// Parses an unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` file.
    pub fn from_openssh(_text: &str) -> Result<Self, KeyError> {
        todo!()
    }
    /// Writes an unencrypted OpenSSH private key file.
    pub fn to_openssh(&self, _comment: &str, _rng: &mut EngineRng) -> String {
        todo!()
    }
}

impl PublicKey {
    /// STUB (main only): `verify` with an explicit RSA minimum.
    pub fn verify_with_min_rsa_bits(
        &self,
        _alg: HostKeyAlg,
        _data: &[u8],
        _sig_blob: &[u8],
        _min: usize,
    ) -> Result<(), KeyError> {
        todo!()
    }
}
