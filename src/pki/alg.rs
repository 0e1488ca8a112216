//! The X.509 public key algorithm names (RFC 6187 §3, plus the names asyncssh and PKIX-SSH
//! use) and their signature blobs.
//!
//! RFC 6187 §3 signs "according to the underlying signature algorithm": the signature blob is
//! `string signature-name, string signature` where the name is the *plain* scheme's name
//! (`ssh-rsa`, `rsa2048-sha256`, `ecdsa-sha2-nistp256`), not the `x509v3-` name. asyncssh strips
//! `x509v3-` when it signs (`SSHKey.sign`), PKIX-SSH's table (`ssh-xkalg.c`) has the same
//! signature names, and both use `ssh-ed25519` for `x509v3-ssh-ed25519`. The older
//! `x509v3-sign-rsa` (draft-ietf-secsh-transport ≤ 12, SSH.com, Maverick, PKIX-SSH's default)
//! carries a bare DER certificate as its key blob and signs RSA/SHA-1 under its own name.

use crate::crypto::EngineRng;
use crate::keys::{
    KeyError, PrivateKey, PublicKey, SignatureScheme, decode_signature_blob, encode_signature_blob,
};

/// An X.509v3 public key algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum X509Alg {
    /// `x509v3-ssh-ed25519` (asyncssh, PKIX-SSH; not in RFC 6187).
    SshEd25519,
    /// `x509v3-ecdsa-sha2-nistp256` (RFC 6187 §3.4).
    EcdsaNistp256,
    /// `x509v3-ecdsa-sha2-nistp384` (RFC 6187 §3.4).
    EcdsaNistp384,
    /// `x509v3-ecdsa-sha2-nistp521` (RFC 6187 §3.4).
    EcdsaNistp521,
    /// `x509v3-rsa2048-sha256` (RFC 6187 §3.3): RSA of at least 2048 bits, SHA-256.
    Rsa2048Sha256,
    /// `x509v3-ssh-rsa` (RFC 6187 §3.2): RSA with SHA-1 (legacy; what IOS offers).
    SshRsa,
    /// `x509v3-sign-rsa`: a bare DER certificate as the key blob, RSA with SHA-1 (legacy).
    SignRsa,
}

impl X509Alg {
    /// Every algorithm, in default preference order.
    pub const ALL: &'static [X509Alg] = &[
        X509Alg::SshEd25519,
        X509Alg::EcdsaNistp256,
        X509Alg::EcdsaNistp384,
        X509Alg::EcdsaNistp521,
        X509Alg::Rsa2048Sha256,
        X509Alg::SshRsa,
        X509Alg::SignRsa,
    ];

    /// The SSH name negotiated in KEXINIT and sent in SSH_MSG_USERAUTH_REQUEST.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            X509Alg::SshEd25519 => "x509v3-ssh-ed25519",
            X509Alg::EcdsaNistp256 => "x509v3-ecdsa-sha2-nistp256",
            X509Alg::EcdsaNistp384 => "x509v3-ecdsa-sha2-nistp384",
            X509Alg::EcdsaNistp521 => "x509v3-ecdsa-sha2-nistp521",
            X509Alg::Rsa2048Sha256 => "x509v3-rsa2048-sha256",
            X509Alg::SshRsa => "x509v3-ssh-rsa",
            X509Alg::SignRsa => "x509v3-sign-rsa",
        }
    }

    /// By SSH name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The signature primitive.
    #[must_use]
    pub fn scheme(self) -> SignatureScheme {
        match self {
            X509Alg::SshEd25519 => SignatureScheme::Ed25519,
            X509Alg::EcdsaNistp256 => SignatureScheme::EcdsaP256Sha256,
            X509Alg::EcdsaNistp384 => SignatureScheme::EcdsaP384Sha384,
            X509Alg::EcdsaNistp521 => SignatureScheme::EcdsaP521Sha512,
            X509Alg::Rsa2048Sha256 => SignatureScheme::RsaPkcs1Sha256,
            X509Alg::SshRsa | X509Alg::SignRsa => SignatureScheme::RsaPkcs1Sha1,
        }
    }

    /// SHA-1 signatures: off unless configured.
    #[must_use]
    pub fn is_legacy(self) -> bool {
        matches!(self, X509Alg::SshRsa | X509Alg::SignRsa)
    }

    /// Whether the key blob is the RFC 6187 §2.1 chain (`false`: a bare DER certificate).
    #[must_use]
    pub fn is_chain_format(self) -> bool {
        !matches!(self, X509Alg::SignRsa)
    }

    /// The name inside the signature blob (RFC 6187 §3).
    #[must_use]
    pub fn signature_name(self) -> &'static str {
        match self {
            X509Alg::SshEd25519 => "ssh-ed25519",
            X509Alg::EcdsaNistp256 => "ecdsa-sha2-nistp256",
            X509Alg::EcdsaNistp384 => "ecdsa-sha2-nistp384",
            X509Alg::EcdsaNistp521 => "ecdsa-sha2-nistp521",
            X509Alg::Rsa2048Sha256 => "rsa2048-sha256",
            X509Alg::SshRsa => "ssh-rsa",
            X509Alg::SignRsa => "x509v3-sign-rsa",
        }
    }

    /// Names accepted in a received signature blob: the RFC 6187 §3 name, the full `x509v3-`
    /// name (sent by some implementations), and for `x509v3-sign-rsa` also `ssh-rsa` (PKIX-SSH's
    /// compatibility setting for SSH.com peers). Every accepted name means the same scheme, so
    /// accepting several cannot downgrade the hash.
    fn accepts_signature_name(self, name: &str) -> bool {
        name == self.signature_name()
            || name == self.name()
            || (self == X509Alg::SignRsa && name == "ssh-rsa")
    }

    /// Whether a key can be used with this algorithm: the key type must fit the scheme, and
    /// `x509v3-rsa2048-sha256` needs at least 2048 bits (RFC 6187 §3.3).
    #[must_use]
    pub fn fits(self, key: &PublicKey) -> bool {
        key.supports_scheme(self.scheme()) && (self != X509Alg::Rsa2048Sha256 || key.bits() >= 2048)
    }

    /// The algorithms a key can be used with, in preference order.
    #[must_use]
    pub fn for_key(key: &PublicKey) -> Vec<X509Alg> {
        Self::ALL.iter().copied().filter(|a| a.fits(key)).collect()
    }

    /// Signs `data`, returning the signature blob `string signature-name, string signature`.
    pub fn sign(
        self,
        key: &PrivateKey,
        data: &[u8],
        rng: &mut EngineRng,
    ) -> Result<Vec<u8>, KeyError> {
        let raw = key.sign_raw(self.scheme(), data, rng)?;
        Ok(encode_signature_blob(self.signature_name(), &raw))
    }

    /// Verifies a signature blob made with the leaf certificate's key (`key`, as returned by
    /// chain validation). RSA keys below `min_rsa_bits` are refused.
    pub fn verify(
        self,
        key: &PublicKey,
        data: &[u8],
        sig_blob: &[u8],
        min_rsa_bits: usize,
    ) -> Result<(), KeyError> {
        if !self.fits(key) {
            return Err(KeyError::Unsupported(format!(
                "{} with a {} key of {} bits",
                self.name(),
                key.key_type(),
                key.bits()
            )));
        }
        let (name, raw) = decode_signature_blob(sig_blob)?;
        if !self.accepts_signature_name(name) {
            return Err(KeyError::BadSignature);
        }
        key.verify_raw(self.scheme(), data, raw, min_rsa_bits)
    }
}

impl core::fmt::Display for X509Alg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
