//! RSA (RFC 4253 §6.6, RFC 8332): public keys, PKCS#1 v1.5 signatures with SHA-1/256/512,
//! key generation, OpenSSH private key fields.
//!
//! Private-key operations go through `RsaPrivateKey::sign_with_rng`, which blinds the
//! exponentiation with the injected RNG (the arithmetic of `rsa` 0.10 on crypto-bigint is
//! constant-time as well).

use super::secbuf::SecretWriter;
use super::{
    KeyError, MAX_GENERATE_RSA_BITS, MAX_PARSE_RSA_BYTES, MAX_RSA_BITS, MIN_PARSE_RSA_BITS,
};
use crate::crypto::{EngineRng, HashAlg};
use crate::wire::{Reader, Writer};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

/// The public exponent of generated keys.
const GENERATE_EXPONENT: u64 = 65537;

/// An RSA public key with its canonical encodings (equality is on those).
#[derive(Clone)]
pub(crate) struct RsaPublic {
    key: RsaPublicKey,
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
}

impl PartialEq for RsaPublic {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.e == other.e
    }
}

impl Eq for RsaPublic {}

impl core::fmt::Debug for RsaPublic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RsaPublic({} bits, e={:02x?})", self.bits, self.e)
    }
}

fn padding(hash: HashAlg) -> Pkcs1v15Sign {
    match hash {
        HashAlg::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        HashAlg::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlg::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlg::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    }
}

impl RsaPublic {
    /// From big-endian magnitudes of `e` and `n` (no leading zeros). Checks: modulus odd and
    /// between [`MIN_PARSE_RSA_BITS`] and [`MAX_RSA_BITS`]; `e` odd, `3 <= e <= 2^33 - 1`, `e < n`.
    pub(crate) fn from_components(e: &[u8], n: &[u8]) -> Result<Self, KeyError> {
        if n.len() > MAX_PARSE_RSA_BYTES {
            return Err(KeyError::Unsupported("RSA modulus too large".into()));
        }
        if e.is_empty() || e.len() > 8 {
            return Err(KeyError::Malformed("RSA public exponent"));
        }
        let n_big = BoxedUint::from_be_slice_vartime(n);
        let bits = n_big.bits_vartime() as usize;
        if bits < MIN_PARSE_RSA_BITS {
            return Err(KeyError::TooSmall(bits));
        }
        let e_big = BoxedUint::from_be_slice_vartime(e);
        let key =
            RsaPublicKey::new_with_size_limits(n_big, e_big, MIN_PARSE_RSA_BITS..=MAX_RSA_BITS)
                .map_err(|err| match err {
                    rsa::Error::ModulusTooSmall => KeyError::TooSmall(bits),
                    rsa::Error::ModulusTooLarge => {
                        KeyError::Unsupported("RSA modulus too large".into())
                    }
                    rsa::Error::PublicExponentTooSmall
                    | rsa::Error::PublicExponentTooLarge
                    | rsa::Error::InvalidExponent => KeyError::Malformed("RSA public exponent"),
                    _ => KeyError::Malformed("RSA public key"),
                })?;
        Ok(RsaPublic::from_key(key))
    }

    fn from_key(key: RsaPublicKey) -> Self {
        let n = key.n_bytes().into_vec();
        let e = key.e_bytes().into_vec();
        let bits = key.n().bits_vartime() as usize;
        RsaPublic { key, n, e, bits }
    }

    /// Modulus size in bits.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus, big-endian without leading zeros.
    pub(crate) fn n(&self) -> &[u8] {
        &self.n
    }

    /// The public exponent, big-endian without leading zeros.
    pub(crate) fn e(&self) -> &[u8] {
        &self.e
    }

    /// Blob fields after the key type: `mpint e, mpint n`.
    pub(crate) fn write_blob_fields(&self, w: &mut Writer) {
        w.mpint(&self.e).mpint(&self.n);
    }

    /// Reads the blob fields after the key type.
    pub(crate) fn read_blob_fields(r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let e = r.mpint_positive("RSA public exponent")?;
        let n = r.mpint_positive("RSA modulus")?;
        RsaPublic::from_components(e, n)
    }

    /// Verifies a PKCS#1 v1.5 signature of `data` under `hash`. Keys below `min_bits` are
    /// refused before anything else; a signature shorter than the modulus is left-padded with
    /// zeros (as OpenSSH does), a longer one refused.
    pub(crate) fn verify(
        &self,
        hash: HashAlg,
        data: &[u8],
        raw: &[u8],
        min_bits: usize,
    ) -> Result<(), KeyError> {
        if self.bits < min_bits {
            return Err(KeyError::TooSmall(self.bits));
        }
        let k = self.key.size();
        if raw.is_empty() || raw.len() > k {
            return Err(KeyError::BadSignature);
        }
        let mut sig = vec![0u8; k];
        sig[k - raw.len()..].copy_from_slice(raw);
        let hashed = hash.digest(data);
        self.key
            .verify(padding(hash), &hashed, &sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// A fresh key of `bits` bits, `e = 65537`.
pub(crate) fn generate(bits: usize, rng: &mut EngineRng) -> Result<RsaPrivateKey, KeyError> {
    if bits < super::DEFAULT_MIN_RSA_BITS {
        return Err(KeyError::TooSmall(bits));
    }
    if bits > MAX_GENERATE_RSA_BITS {
        return Err(KeyError::Unsupported(format!("RSA key of {bits} bits")));
    }
    RsaPrivateKey::new_with_exp(rng, bits, BoxedUint::from(GENERATE_EXPONENT))
        .map_err(|e| KeyError::Unsupported(format!("RSA key generation failed: {e}")))
}

/// The public half.
pub(crate) fn public_of(key: &RsaPrivateKey) -> RsaPublic {
    RsaPublic::from_key(key.to_public_key())
}

/// A blinded PKCS#1 v1.5 signature of `data` under `hash`, as many bytes as the modulus.
pub(crate) fn sign(
    key: &RsaPrivateKey,
    hash: HashAlg,
    data: &[u8],
    rng: &mut EngineRng,
) -> Result<Vec<u8>, KeyError> {
    let hashed = hash.digest(data);
    key.sign_with_rng(rng, padding(hash), &hashed)
        .map_err(|e| KeyError::Unsupported(format!("RSA signing failed: {e}")))
}

/// OpenSSH private fields after the key type: `mpint n, e, d, iqmp, p, q`. The key is
/// validated (`n = p q`, `d e = 1 mod p-1, q-1`), and `iqmp` must equal `q^-1 mod p`.
pub(crate) fn read_private(r: &mut Reader<'_>) -> Result<RsaPrivateKey, KeyError> {
    let n = r.mpint_positive("RSA modulus")?;
    let e = r.mpint_positive("RSA public exponent")?;
    let d = r.mpint_positive("RSA private exponent")?;
    let iqmp = r.mpint_positive("RSA iqmp")?;
    let p = r.mpint_positive("RSA prime p")?;
    let q = r.mpint_positive("RSA prime q")?;
    from_private_parts(n, e, d, iqmp, p, q)
}

/// A private key from the big-endian magnitudes of `n, e, d, iqmp, p, q`, with the checks of
/// [`read_private`]; PKCS#1 files (src/keys/pkcs.rs) come through here too, so every format
/// is held to the same validation.
pub(crate) fn from_private_parts(
    n: &[u8],
    e: &[u8],
    d: &[u8],
    iqmp: &[u8],
    p: &[u8],
    q: &[u8],
) -> Result<RsaPrivateKey, KeyError> {
    // The public checks (sizes, exponent) first, on public data only.
    let public = RsaPublic::from_components(e, n)?;
    let prec = u32::try_from(n.len() * 8).map_err(|_| KeyError::Malformed("RSA modulus"))?;
    let secret =
        |v: &[u8], what| BoxedUint::from_be_slice(v, prec).map_err(|_| KeyError::Malformed(what));
    let key = RsaPrivateKey::from_components(
        BoxedUint::from_be_slice_vartime(n),
        BoxedUint::from_be_slice_vartime(e),
        secret(d, "RSA private exponent")?,
        vec![secret(p, "RSA prime p")?, secret(q, "RSA prime q")?],
    )
    .map_err(|_| KeyError::Malformed("RSA private key inconsistent"))?;
    let expected = key
        .crt_coefficient()
        .ok_or(KeyError::Malformed("RSA private key inconsistent"))?;
    let given = secret(iqmp, "RSA iqmp")?;
    if given != expected {
        return Err(KeyError::Malformed("RSA iqmp"));
    }
    if public_of(&key) != public {
        return Err(KeyError::Malformed("RSA private key inconsistent"));
    }
    Ok(key)
}

/// Writes the OpenSSH private fields (see [`read_private`]).
pub(crate) fn write_private(key: &RsaPrivateKey, w: &mut SecretWriter) {
    let public = public_of(key);
    w.mpint(public.n());
    w.mpint(public.e());
    let be = |v: &BoxedUint| Zeroizing::new(v.to_be_bytes().into_vec());
    w.mpint(&be(key.d()));
    let iqmp = key.crt_coefficient().unwrap_or_else(BoxedUint::zero);
    w.mpint(&be(&iqmp));
    for prime in key.primes().iter().take(2) {
        w.mpint(&be(prime.as_ref()));
    }
}

/// Upper bound on the OpenSSH private fields of a key with a modulus of `n_len` bytes.
pub(crate) fn private_len_bound(n_len: usize) -> usize {
    6 * (n_len + 16) + 64
}
