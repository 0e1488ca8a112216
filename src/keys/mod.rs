//! Host and user keys and their signatures (RFC 4253 §6.6, RFC 5656, RFC 8332, RFC 8709),
//! key files (OpenSSH, PEM PKCS#1/SEC1/PKCS#8 plain and encrypted, SPKI, RFC 4716),
//! fingerprints, `known_hosts` and `authorized_keys`.
//!
//! Layout: [`HostKeyAlg`] is the wire name negotiated in KEXINIT; it maps to a
//! [`SignatureScheme`] (key type + hash), and the raw signature primitives
//! ([`PublicKey::verify_raw`], [`PrivateKey::sign_raw`]) work per scheme, so that the RFC 6187
//! `x509v3-*` algorithms can reuse them with their own wire names and key blobs.

pub mod authorized_keys;
mod authorized_rules;
pub mod cert_alg;
mod fingerprint;
mod formats;
mod host_pattern;
mod kdf;
pub mod known_hosts;
mod openssh;
pub mod openssh_cert;
pub mod openssh_cert_check;
mod pem;
mod pem_decrypt;
mod pkcs;
mod private;
mod public;
mod rfc4716;
mod scheme;
mod secbuf;
mod sig_dsa;
mod sig_ecdsa;
mod sig_ed25519;
mod sig_rsa;
pub mod sk_ecdsa;
mod webauthn;

#[cfg(test)]
mod tests;

pub use cert_alg::CertAlg;
pub use formats::KeyFormat;

/// A PKCS#8 `PrivateKeyInfo` in DER (RSA, EC P-256/384/521, Ed25519), e.g. from a PKCS#12 bag.
pub(crate) fn private_from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
    pkcs::private_from_pkcs8(der)
}
pub use private::PrivateKey;
pub use public::PublicKey;
pub use scheme::{SignatureScheme, decode_signature_blob, encode_signature_blob};
pub use sk_ecdsa::SkVerified;
pub use webauthn::webauthn_signature_blob;

use crate::pki::X509Alg;
use crate::wire::WireError;

/// RSA keys with a smaller modulus are refused by [`PublicKey::verify`].
pub const DEFAULT_MIN_RSA_BITS: usize = 2048;

/// Smallest RSA modulus [`PublicKey::from_blob`] parses at all (smaller ones are
/// [`KeyError::TooSmall`] right away); between this and the verification minimum a key can be
/// parsed, printed and fingerprinted, but not used to verify.
pub const MIN_PARSE_RSA_BITS: usize = 512;

/// Largest RSA modulus accepted anywhere (as OpenSSH).
pub const MAX_RSA_BITS: usize = 16384;

/// [`MAX_RSA_BITS`] in bytes.
const MAX_PARSE_RSA_BYTES: usize = MAX_RSA_BITS / 8;

/// Largest RSA modulus [`PrivateKey::generate`] makes.
pub const MAX_GENERATE_RSA_BITS: usize = 8192;

/// A public key algorithm as negotiated in KEXINIT and named in signatures.
///
/// The plain SSH algorithms carry the bare key as their key blob (RFC 4253 §6.6); the RFC 6187
/// `x509v3-*` ones ([`HostKeyAlg::X509`]) carry a certificate chain ([`crate::pki::X509Blob`])
/// and sign with the same primitives under their own signature names. Both kinds negotiate in
/// KEXINIT and name publickey user authentication, so they share this type; what differs is
/// where the key comes from (a key alone, or a key with its certificates).
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
    /// `ssh-dss`: 1024-bit DSA with SHA-1 (legacy, for old devices)
    SshDss,
    /// An RFC 6187 `x509v3-*` algorithm: the key blob is a certificate chain.
    X509(X509Alg),
    /// An OpenSSH `*-cert-v01@openssh.com` algorithm: the key blob is an OpenSSH certificate.
    OpenSshCert(CertAlg),
}

impl HostKeyAlg {
    /// Every plain algorithm (the key blob is the key itself), in default preference order.
    /// The certificate algorithms are in [`HostKeyAlg::X509_ALL`].
    pub const ALL: &'static [HostKeyAlg] = &[
        HostKeyAlg::SshEd25519,
        HostKeyAlg::EcdsaSha2Nistp256,
        HostKeyAlg::EcdsaSha2Nistp384,
        HostKeyAlg::EcdsaSha2Nistp521,
        HostKeyAlg::RsaSha2_512,
        HostKeyAlg::RsaSha2_256,
        HostKeyAlg::SshRsa,
        HostKeyAlg::SshDss,
    ];
    /// Every RFC 6187 algorithm, in default preference order (legacy SHA-1 ones last).
    pub const X509_ALL: &'static [HostKeyAlg] = &[
        HostKeyAlg::X509(X509Alg::SshEd25519),
        HostKeyAlg::X509(X509Alg::EcdsaNistp256),
        HostKeyAlg::X509(X509Alg::EcdsaNistp384),
        HostKeyAlg::X509(X509Alg::EcdsaNistp521),
        HostKeyAlg::X509(X509Alg::Rsa2048Sha256),
        HostKeyAlg::X509(X509Alg::SshRsa),
        HostKeyAlg::X509(X509Alg::SignRsa),
    ];
    /// Every OpenSSH certificate algorithm, in default preference order (SHA-1 last).
    pub const CERT_ALL: &'static [HostKeyAlg] = &[
        HostKeyAlg::OpenSshCert(CertAlg::Ed25519),
        HostKeyAlg::OpenSshCert(CertAlg::EcdsaP256),
        HostKeyAlg::OpenSshCert(CertAlg::EcdsaP384),
        HostKeyAlg::OpenSshCert(CertAlg::EcdsaP521),
        HostKeyAlg::OpenSshCert(CertAlg::RsaSha2_512),
        HostKeyAlg::OpenSshCert(CertAlg::RsaSha2_256),
        HostKeyAlg::OpenSshCert(CertAlg::SshRsa),
    ];
    /// SSH name.
    pub fn name(self) -> &'static str {
        match self {
            HostKeyAlg::SshEd25519 => "ssh-ed25519",
            HostKeyAlg::EcdsaSha2Nistp256 => "ecdsa-sha2-nistp256",
            HostKeyAlg::EcdsaSha2Nistp384 => "ecdsa-sha2-nistp384",
            HostKeyAlg::EcdsaSha2Nistp521 => "ecdsa-sha2-nistp521",
            HostKeyAlg::RsaSha2_512 => "rsa-sha2-512",
            HostKeyAlg::RsaSha2_256 => "rsa-sha2-256",
            HostKeyAlg::SshRsa => "ssh-rsa",
            HostKeyAlg::SshDss => "ssh-dss",
            HostKeyAlg::X509(x) => x.name(),
            HostKeyAlg::OpenSshCert(c) => c.name(),
        }
    }
    /// By SSH name (plain, `x509v3-*` and `*-cert-v01@openssh.com`).
    pub fn from_name(n: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == n)
            .or_else(|| X509Alg::from_name(n).map(HostKeyAlg::X509))
            .or_else(|| CertAlg::from_name(n).map(HostKeyAlg::OpenSshCert))
    }
    /// Legacy: off unless configured (`ssh-rsa`, `ssh-dss`, `x509v3-ssh-rsa`, `x509v3-sign-rsa`).
    pub fn is_legacy(self) -> bool {
        match self {
            HostKeyAlg::SshRsa | HostKeyAlg::SshDss => true,
            HostKeyAlg::X509(x) => x.is_legacy(),
            HostKeyAlg::OpenSshCert(c) => c.is_legacy(),
            _ => false,
        }
    }
    /// The RFC 6187 algorithm, for an `x509v3-*` name.
    #[must_use]
    pub fn x509(self) -> Option<X509Alg> {
        match self {
            HostKeyAlg::X509(x) => Some(x),
            _ => None,
        }
    }
    /// The OpenSSH certificate algorithm, for a `*-cert-v01@openssh.com` name.
    #[must_use]
    pub fn openssh_cert(self) -> Option<CertAlg> {
        match self {
            HostKeyAlg::OpenSshCert(c) => Some(c),
            _ => None,
        }
    }
    /// The signature primitive (key type and hash) behind this algorithm.
    #[must_use]
    pub fn scheme(self) -> SignatureScheme {
        match self {
            HostKeyAlg::SshEd25519 => SignatureScheme::Ed25519,
            HostKeyAlg::EcdsaSha2Nistp256 => SignatureScheme::EcdsaP256Sha256,
            HostKeyAlg::EcdsaSha2Nistp384 => SignatureScheme::EcdsaP384Sha384,
            HostKeyAlg::EcdsaSha2Nistp521 => SignatureScheme::EcdsaP521Sha512,
            HostKeyAlg::RsaSha2_512 => SignatureScheme::RsaPkcs1Sha512,
            HostKeyAlg::RsaSha2_256 => SignatureScheme::RsaPkcs1Sha256,
            HostKeyAlg::SshRsa => SignatureScheme::RsaPkcs1Sha1,
            HostKeyAlg::SshDss => SignatureScheme::DsaSha1,
            HostKeyAlg::X509(x) => x.scheme(),
            HostKeyAlg::OpenSshCert(c) => c.plain().scheme(),
        }
    }
    /// The key format name a key must have to be used with this algorithm (`ssh-rsa` for all
    /// three RSA algorithms, RFC 8332; the certified key's type for `x509v3-*`).
    #[must_use]
    pub fn key_type(self) -> &'static str {
        self.scheme().key_type()
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
    /// DSA, 1024 bits (`ssh-dss`, legacy).
    Dsa,
    /// A FIDO security key's P-256 key (`sk-ecdsa-sha2-nistp256@openssh.com`); only an
    /// authenticator makes one, so [`PrivateKey::generate`] refuses it.
    SkEcdsaP256,
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

impl core::fmt::Display for KeyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KeyError::Malformed(what) => write!(f, "malformed key or signature: {what}"),
            KeyError::Unsupported(what) => write!(f, "unsupported: {what}"),
            KeyError::TooSmall(bits) => write!(f, "RSA key of {bits} bits is too small"),
            KeyError::BadSignature => f.write_str("signature does not verify"),
            KeyError::Passphrase => f.write_str("passphrase missing or wrong"),
        }
    }
}

impl std::error::Error for KeyError {}

impl From<WireError> for KeyError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Truncated(what) | WireError::Invalid(what) => KeyError::Malformed(what),
            WireError::TrailingBytes(_) => KeyError::Malformed("trailing bytes"),
        }
    }
}
