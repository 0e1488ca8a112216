//! Public keys: SSH blobs, verification, `authorized_keys`-style lines.

use super::fingerprint;
use super::scheme::{SignatureScheme, decode_signature_blob};
use super::sig_dsa::DsaPublic;
use super::sig_ecdsa::{Curve, EcPublic};
use super::sig_ed25519;
use super::sig_rsa::RsaPublic;
use super::sk_ecdsa::{SK_ECDSA_P256, SkEcdsaPublic, SkVerified};
use super::{DEFAULT_MIN_RSA_BITS, HostKeyAlg, KeyError, KeyKind};
use crate::wire::{Reader, Writer};
use base64ct::{Base64, Encoding};

/// Longest public key line accepted by [`PublicKey::from_openssh_line`].
const MAX_LINE: usize = 64 * 1024;

/// A public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    inner: PublicInner,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PublicInner {
    Ed25519(ed25519_dalek::VerifyingKey),
    Ecdsa(EcPublic),
    Rsa(RsaPublic),
    Dsa(DsaPublic),
    /// A FIDO security key (`sk-ecdsa-sha2-nistp256@openssh.com`): it signs only through
    /// [`PublicKey::verify_security_key`]'s format, never as a plain algorithm.
    SkEcdsa(SkEcdsaPublic),
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PublicKey")
            .field("type", &self.key_type())
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint_sha256())
            .finish()
    }
}

impl PublicKey {
    pub(crate) fn from_inner(inner: PublicInner) -> Self {
        PublicKey { inner }
    }

    /// Parses an SSH public key blob (RFC 4253 §6.6).
    pub fn from_blob(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let key_type = r.string("key type")?;
        let inner = if key_type == b"ssh-ed25519" {
            PublicInner::Ed25519(sig_ed25519::public_from_bytes(r.string("Ed25519 key")?)?)
        } else if key_type == b"ssh-rsa" {
            PublicInner::Rsa(RsaPublic::read_blob_fields(&mut r)?)
        } else if key_type == b"ssh-dss" {
            PublicInner::Dsa(DsaPublic::read_blob_fields(&mut r)?)
        } else if let Some(curve) = Curve::from_key_type(key_type) {
            PublicInner::Ecdsa(EcPublic::read_blob_fields(curve, &mut r)?)
        } else if key_type == SK_ECDSA_P256.as_bytes() {
            PublicInner::SkEcdsa(SkEcdsaPublic::read_blob_fields(&mut r)?)
        } else {
            return Err(KeyError::Unsupported(format!(
                "key type {}",
                String::from_utf8_lossy(&key_type[..key_type.len().min(64)])
            )));
        };
        r.finish()?;
        Ok(PublicKey { inner })
    }

    /// The SSH public key blob.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(self.key_type().as_bytes());
        match &self.inner {
            PublicInner::Ed25519(k) => {
                w.string(k.as_bytes());
            }
            PublicInner::Ecdsa(k) => k.write_blob_fields(&mut w),
            PublicInner::Rsa(k) => k.write_blob_fields(&mut w),
            PublicInner::Dsa(k) => k.write_blob_fields(&mut w),
            PublicInner::SkEcdsa(k) => k.write_blob_fields(&mut w),
        }
        w.into_vec()
    }

    /// An Ed25519 key from its 32-byte encoding.
    pub fn from_ed25519_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        Ok(Self::from_inner(PublicInner::Ed25519(
            sig_ed25519::public_from_bytes(bytes)?,
        )))
    }

    /// An ECDSA key from its uncompressed SEC1 point; `kind` names the curve.
    pub fn from_ecdsa_sec1(kind: KeyKind, point: &[u8]) -> Result<Self, KeyError> {
        let curve = match kind {
            KeyKind::EcdsaP256 => Curve::P256,
            KeyKind::EcdsaP384 => Curve::P384,
            KeyKind::EcdsaP521 => Curve::P521,
            other => return Err(KeyError::Unsupported(format!("{other:?} is not ECDSA"))),
        };
        Ok(Self::from_inner(PublicInner::Ecdsa(EcPublic::from_sec1(
            curve, point,
        )?)))
    }

    /// An RSA key from the big-endian magnitudes of its exponent and modulus.
    pub fn from_rsa_components(e: &[u8], n: &[u8]) -> Result<Self, KeyError> {
        let strip = |v: &[u8]| -> Vec<u8> { v.iter().copied().skip_while(|&b| b == 0).collect() };
        Ok(Self::from_inner(PublicInner::Rsa(
            RsaPublic::from_components(&strip(e), &strip(n))?,
        )))
    }

    /// Key format name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...).
    pub fn key_type(&self) -> &'static str {
        match &self.inner {
            PublicInner::Ed25519(_) => "ssh-ed25519",
            PublicInner::Ecdsa(k) => k.curve().key_type(),
            PublicInner::Rsa(_) => "ssh-rsa",
            PublicInner::Dsa(_) => "ssh-dss",
            PublicInner::SkEcdsa(_) => SK_ECDSA_P256,
        }
    }

    /// The kind of key (RSA with its modulus size).
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            PublicInner::Ed25519(_) => KeyKind::Ed25519,
            PublicInner::Ecdsa(k) => match k.curve() {
                Curve::P256 => KeyKind::EcdsaP256,
                Curve::P384 => KeyKind::EcdsaP384,
                Curve::P521 => KeyKind::EcdsaP521,
            },
            PublicInner::Rsa(k) => KeyKind::Rsa(k.bits()),
            PublicInner::Dsa(_) => KeyKind::Dsa,
            PublicInner::SkEcdsa(_) => KeyKind::SkEcdsaP256,
        }
    }

    /// Whether signatures of `alg` can be made with this key type (for `x509v3-rsa2048-sha256`
    /// also: of at least 2048 bits). For `x509v3-*` this says nothing of a certificate: the
    /// caller must have one for the key.
    pub fn supports(&self, alg: HostKeyAlg) -> bool {
        match alg {
            HostKeyAlg::X509(x) => x.fits(self),
            // A certificate algorithm needs a certificate, not just its key.
            HostKeyAlg::OpenSshCert(_) => false,
            _ => self.supports_scheme(alg.scheme()),
        }
    }

    /// Whether signatures of `scheme` can be made with this key type.
    #[must_use]
    pub fn supports_scheme(&self, scheme: SignatureScheme) -> bool {
        scheme.key_type() == self.key_type()
    }

    /// Verifies a signature blob (`string alg-name, string sig`) of `alg` over `data`.
    /// RSA keys below [`DEFAULT_MIN_RSA_BITS`] are refused.
    pub fn verify(&self, alg: HostKeyAlg, data: &[u8], sig_blob: &[u8]) -> Result<(), KeyError> {
        self.verify_with_min_rsa_bits(alg, data, sig_blob, DEFAULT_MIN_RSA_BITS)
    }

    /// As [`PublicKey::verify`], refusing RSA keys below `min_rsa_bits` with
    /// [`KeyError::TooSmall`]. The name inside the blob must be exactly `alg.name()` (for
    /// `x509v3-*`, one of the names RFC 6187 §3 and its implementations use).
    pub fn verify_with_min_rsa_bits(
        &self,
        alg: HostKeyAlg,
        data: &[u8],
        sig_blob: &[u8],
        min_rsa_bits: usize,
    ) -> Result<(), KeyError> {
        if let HostKeyAlg::X509(x) = alg {
            return x.verify(self, data, sig_blob, min_rsa_bits);
        }
        // An OpenSSH certificate's key signs under the plain algorithm's name.
        let alg = alg.openssh_cert().map_or(alg, |c| c.plain());
        self.check_usable(alg.scheme(), min_rsa_bits)?;
        let (name, raw) = decode_signature_blob(sig_blob)?;
        if name != alg.name() {
            return Err(KeyError::BadSignature);
        }
        self.verify_raw(alg.scheme(), data, raw, min_rsa_bits)
    }

    /// Verifies a raw signature (the inner `string signature` of a blob, see
    /// [`SignatureScheme`]) of `scheme` over `data`.
    pub fn verify_raw(
        &self,
        scheme: SignatureScheme,
        data: &[u8],
        raw: &[u8],
        min_rsa_bits: usize,
    ) -> Result<(), KeyError> {
        self.check_usable(scheme, min_rsa_bits)?;
        match (&self.inner, scheme.hash()) {
            (PublicInner::Ed25519(k), _) => sig_ed25519::verify(k, data, raw),
            (PublicInner::Ecdsa(k), _) => k.verify(data, raw),
            (PublicInner::Rsa(k), Some(hash)) => k.verify(hash, data, raw, min_rsa_bits),
            (PublicInner::Rsa(_), None) => Err(KeyError::Unsupported("RSA without hash".into())),
            (PublicInner::Dsa(k), _) => k.verify(data, raw),
            // Unreachable past check_usable: no plain scheme has this key type.
            (PublicInner::SkEcdsa(_), _) => Err(KeyError::Unsupported(
                "a security key signs only in its own format".into(),
            )),
        }
    }

    fn check_usable(&self, scheme: SignatureScheme, min_rsa_bits: usize) -> Result<(), KeyError> {
        if !self.supports_scheme(scheme) {
            return Err(KeyError::Unsupported(format!(
                "{scheme:?} signature with a {} key",
                self.key_type()
            )));
        }
        match &self.inner {
            PublicInner::Rsa(k) if k.bits() < min_rsa_bits => Err(KeyError::TooSmall(k.bits())),
            _ => Ok(()),
        }
    }

    /// `SHA256:<base64 without padding>` as OpenSSH prints it.
    pub fn fingerprint_sha256(&self) -> String {
        fingerprint::sha256(&self.to_blob())
    }

    /// Colon-separated lowercase hex of MD5(blob), as `ssh-keygen -E md5` prints it after `MD5:`.
    #[must_use]
    pub fn fingerprint_md5(&self) -> String {
        fingerprint::md5(&self.to_blob())
    }

    /// Key size in bits (modulus bits for RSA, curve size for ECDSA, 256 for Ed25519, 1024 for
    /// DSA).
    pub fn bits(&self) -> usize {
        match &self.inner {
            PublicInner::Ed25519(_) => 256,
            PublicInner::Ecdsa(k) => k.curve().bits(),
            PublicInner::Rsa(k) => k.bits(),
            PublicInner::Dsa(_) => 1024,
            PublicInner::SkEcdsa(_) => 256,
        }
    }

    /// A security key (`sk-ecdsa-sha2-nistp256@openssh.com`) from its uncompressed P-256 point
    /// and the application (for a WebAuthn credential, the relying party ID) it is bound to.
    pub fn security_key_ecdsa(point: &[u8], application: &str) -> Result<Self, KeyError> {
        Ok(Self::from_inner(PublicInner::SkEcdsa(SkEcdsaPublic::new(
            point,
            application,
        )?)))
    }

    /// A security key's application (relying party), or `None` for other keys.
    #[must_use]
    pub fn security_key_application(&self) -> Option<&str> {
        match &self.inner {
            PublicInner::SkEcdsa(k) => Some(k.application()),
            _ => None,
        }
    }

    /// Verifies a security key signature blob over `data`: `sk-ecdsa-sha2-nistp256@openssh.com`
    /// or `webauthn-sk-ecdsa-sha2-nistp256@openssh.com` (OpenSSH PROTOCOL.u2f), as sshd's
    /// `ssh_ecdsa_sk_verify` does. Returns the flags and counter: whether the user's presence
    /// (or verification) is required is the caller's policy.
    pub fn verify_security_key(
        &self,
        data: &[u8],
        sig_blob: &[u8],
    ) -> Result<SkVerified, KeyError> {
        match &self.inner {
            PublicInner::SkEcdsa(k) => k.verify(data, sig_blob),
            _ => Err(KeyError::Unsupported(format!(
                "{} is not a security key",
                self.key_type()
            ))),
        }
    }

    /// Parses `type base64-blob [comment]` (a `.pub` file line or a basic `authorized_keys`
    /// line without options).
    pub fn from_openssh_line(line: &str) -> Result<Self, KeyError> {
        Self::parse_openssh_line(line).map(|(k, _)| k)
    }

    /// As [`PublicKey::from_openssh_line`], also returning the comment (empty if none).
    pub fn parse_openssh_line(line: &str) -> Result<(Self, String), KeyError> {
        if line.len() > MAX_LINE {
            return Err(KeyError::Malformed("public key line too long"));
        }
        let line = line.trim();
        let (key_type, rest) = line
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(KeyError::Malformed("public key line"))?;
        let rest = rest.trim_start();
        let (b64, comment) = rest
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((rest, ""));
        let blob = Base64::decode_vec(b64).map_err(|_| KeyError::Malformed("public key base64"))?;
        let key = PublicKey::from_blob(&blob)?;
        if key.key_type() != key_type {
            return Err(KeyError::Malformed("key type differs from the blob's"));
        }
        Ok((key, comment.trim().to_owned()))
    }

    /// `type base64-blob comment` (without the comment if it is empty).
    #[must_use]
    pub fn to_openssh_line(&self, comment: &str) -> String {
        let mut s = format!(
            "{} {}",
            self.key_type(),
            Base64::encode_string(&self.to_blob())
        );
        if !comment.is_empty() {
            s.push(' ');
            s.push_str(comment);
        }
        s
    }
}
