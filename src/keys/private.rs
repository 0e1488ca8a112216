//! Private keys: generation, signing, and the per-type fields of OpenSSH private key files.

use super::public::{PublicInner, PublicKey};
use super::scheme::{SignatureScheme, encode_signature_blob};
use super::secbuf::SecretWriter;
use super::sig_dsa::DsaPrivate;
use super::sig_ecdsa::{Curve, EcPrivate};
use super::{HostKeyAlg, KeyError, KeyKind, openssh, sig_ed25519, sig_rsa};
use crate::crypto::EngineRng;
use crate::wire::Reader;
use rsa::RsaPrivateKey;
use rsa::traits::PublicKeyParts;

/// A private key. Secret material is zeroized on drop.
#[derive(Clone)]
pub struct PrivateKey {
    inner: PrivateInner,
}

/// The key types; each crate type zeroizes its secrets when dropped.
#[derive(Clone)]
enum PrivateInner {
    Ed25519(ed25519_dalek::SigningKey),
    Ecdsa(EcPrivate),
    Rsa(Box<RsaPrivateKey>),
    Dsa(Box<DsaPrivate>),
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let public = self.public();
        f.debug_struct("PrivateKey")
            .field("type", &public.key_type())
            .field("bits", &public.bits())
            .field("fingerprint", &public.fingerprint_sha256())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a key with the injected RNG.
    pub fn generate(kind: KeyKind, rng: &mut EngineRng) -> Result<Self, KeyError> {
        let inner = match kind {
            KeyKind::Ed25519 => PrivateInner::Ed25519(sig_ed25519::generate(rng)),
            KeyKind::EcdsaP256 => PrivateInner::Ecdsa(EcPrivate::generate(Curve::P256, rng)),
            KeyKind::EcdsaP384 => PrivateInner::Ecdsa(EcPrivate::generate(Curve::P384, rng)),
            KeyKind::EcdsaP521 => PrivateInner::Ecdsa(EcPrivate::generate(Curve::P521, rng)),
            KeyKind::Rsa(bits) => PrivateInner::Rsa(Box::new(sig_rsa::generate(bits, rng)?)),
            KeyKind::Dsa => PrivateInner::Dsa(Box::new(DsaPrivate::generate(rng)?)),
            KeyKind::SkEcdsaP256 => {
                return Err(KeyError::Unsupported(
                    "security keys are made by an authenticator".into(),
                ));
            }
        };
        Ok(PrivateKey { inner })
    }

    /// An Ed25519 key from its 32-byte secret seed (RFC 8032 §5.1.5).
    #[must_use]
    pub fn from_ed25519_seed(seed: &[u8; 32]) -> Self {
        PrivateKey {
            inner: PrivateInner::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)),
        }
    }

    /// An RSA key checked by `sig_rsa` (PEM and PKCS#8 files).
    pub(crate) fn from_rsa(key: RsaPrivateKey) -> Self {
        PrivateKey {
            inner: PrivateInner::Rsa(Box::new(key)),
        }
    }

    /// A DSA key checked by `sig_dsa` (`BEGIN DSA PRIVATE KEY` files).
    pub(crate) fn from_dsa(key: DsaPrivate) -> Self {
        PrivateKey {
            inner: PrivateInner::Dsa(Box::new(key)),
        }
    }

    /// An ECDSA key (SEC1 and PKCS#8 files).
    pub(crate) fn from_ec(key: EcPrivate) -> Self {
        PrivateKey {
            inner: PrivateInner::Ecdsa(key),
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey::from_inner(match &self.inner {
            PrivateInner::Ed25519(k) => PublicInner::Ed25519(k.verifying_key()),
            PrivateInner::Ecdsa(k) => PublicInner::Ecdsa(k.public()),
            PrivateInner::Rsa(k) => PublicInner::Rsa(sig_rsa::public_of(k)),
            PrivateInner::Dsa(k) => PublicInner::Dsa(k.public()),
        })
    }

    /// The kind of key (RSA with its modulus size).
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.public().kind()
    }

    /// Key format name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...).
    #[must_use]
    pub fn key_type(&self) -> &'static str {
        match &self.inner {
            PrivateInner::Ed25519(_) => "ssh-ed25519",
            PrivateInner::Ecdsa(k) => k.curve().key_type(),
            PrivateInner::Rsa(_) => "ssh-rsa",
            PrivateInner::Dsa(_) => "ssh-dss",
        }
    }

    /// Signs `data` with `alg`, returning a signature blob (`string alg-name, string sig`).
    /// For `x509v3-*` the name inside is RFC 6187 §3's ([`crate::pki::X509Alg::sign`]).
    pub fn sign(
        &self,
        alg: HostKeyAlg,
        data: &[u8],
        rng: &mut EngineRng,
    ) -> Result<Vec<u8>, KeyError> {
        if let HostKeyAlg::X509(x) = alg {
            return x.sign(self, data, rng);
        }
        // An OpenSSH certificate's key signs under the plain algorithm's name.
        let alg = alg.openssh_cert().map_or(alg, |c| c.plain());
        let raw = self.sign_raw(alg.scheme(), data, rng)?;
        Ok(encode_signature_blob(alg.name(), &raw))
    }

    /// A raw signature of `scheme` over `data` (the inner `string signature` of a blob, see
    /// [`SignatureScheme`]). RSA is blinded with `rng`; ECDSA and DSA nonces are deterministic
    /// (RFC 6979); Ed25519 is deterministic by definition.
    pub fn sign_raw(
        &self,
        scheme: SignatureScheme,
        data: &[u8],
        rng: &mut EngineRng,
    ) -> Result<Vec<u8>, KeyError> {
        if scheme.key_type() != self.key_type() {
            return Err(KeyError::Unsupported(format!(
                "{scheme:?} signature with a {} key",
                self.key_type()
            )));
        }
        match (&self.inner, scheme.hash()) {
            (PrivateInner::Ed25519(k), _) => Ok(sig_ed25519::sign(k, data)),
            (PrivateInner::Ecdsa(k), _) => Ok(k.sign(data)),
            (PrivateInner::Rsa(k), Some(hash)) => sig_rsa::sign(k, hash, data, rng),
            (PrivateInner::Rsa(_), None) => Err(KeyError::Unsupported("RSA without hash".into())),
            (PrivateInner::Dsa(k), _) => k.sign(data),
        }
    }

    /// Parses an unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` file. An encrypted one gives
    /// [`KeyError::Passphrase`].
    pub fn from_openssh(text: &str) -> Result<Self, KeyError> {
        openssh::decode(text, None).map(|(k, _)| k)
    }

    /// Parses an OpenSSH private key file, encrypted (`aes256-ctr` with the `bcrypt` KDF) or
    /// not; a wrong passphrase gives [`KeyError::Passphrase`].
    pub fn from_openssh_with_passphrase(text: &str, passphrase: &str) -> Result<Self, KeyError> {
        openssh::decode(text, Some(passphrase.as_bytes())).map(|(k, _)| k)
    }

    /// Parses an OpenSSH private key file, returning the key and its comment.
    pub fn parse_openssh(text: &str, passphrase: Option<&str>) -> Result<(Self, String), KeyError> {
        openssh::decode(text, passphrase.map(str::as_bytes))
    }

    /// Writes an unencrypted OpenSSH private key file.
    pub fn to_openssh(&self, comment: &str, rng: &mut EngineRng) -> String {
        openssh::encode(self, comment, None, rng)
    }

    /// Writes an OpenSSH private key file encrypted with `aes256-ctr`, the key derived from
    /// `passphrase` by `bcrypt_pbkdf` with `rounds` rounds (`ssh-keygen` uses 16).
    pub fn to_openssh_with_passphrase(
        &self,
        comment: &str,
        passphrase: &str,
        rounds: u32,
        rng: &mut EngineRng,
    ) -> Result<String, KeyError> {
        if passphrase.is_empty() {
            return Err(KeyError::Passphrase);
        }
        if rounds == 0 || rounds > super::kdf::MAX_ROUNDS {
            return Err(KeyError::Unsupported(format!("{rounds} bcrypt rounds")));
        }
        Ok(openssh::encode(
            self,
            comment,
            Some((passphrase.as_bytes(), rounds)),
            rng,
        ))
    }

    /// Reads the key type and private fields of an OpenSSH private key section.
    pub(crate) fn read_openssh_fields(r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let key_type = r.string("private key type")?;
        let inner = if key_type == b"ssh-ed25519" {
            PrivateInner::Ed25519(sig_ed25519::read_private(r)?)
        } else if key_type == b"ssh-rsa" {
            PrivateInner::Rsa(Box::new(sig_rsa::read_private(r)?))
        } else if key_type == b"ssh-dss" {
            PrivateInner::Dsa(Box::new(DsaPrivate::read_private(r)?))
        } else if let Some(curve) = Curve::from_key_type(key_type) {
            PrivateInner::Ecdsa(EcPrivate::read_private(curve, r)?)
        } else {
            return Err(KeyError::Unsupported(format!(
                "private key type {}",
                String::from_utf8_lossy(&key_type[..key_type.len().min(64)])
            )));
        };
        Ok(PrivateKey { inner })
    }

    /// Writes the key type and private fields of an OpenSSH private key section.
    pub(crate) fn write_openssh_fields(&self, w: &mut SecretWriter) {
        w.string(self.key_type().as_bytes());
        match &self.inner {
            PrivateInner::Ed25519(k) => sig_ed25519::write_private(k, w),
            PrivateInner::Ecdsa(k) => k.write_private(w),
            PrivateInner::Rsa(k) => sig_rsa::write_private(k, w),
            PrivateInner::Dsa(k) => k.write_private(w),
        }
    }

    /// Upper bound on what [`PrivateKey::write_openssh_fields`] writes.
    pub(crate) fn openssh_fields_len_bound(&self) -> usize {
        match &self.inner {
            PrivateInner::Ed25519(_) | PrivateInner::Ecdsa(_) => 512,
            // Five mpints of at most 129 bytes each.
            PrivateInner::Dsa(_) => 5 * (4 + 129) + 64,
            PrivateInner::Rsa(k) => sig_rsa::private_len_bound(k.size()),
        }
    }
}
