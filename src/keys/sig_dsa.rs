//! DSA (`ssh-dss`, RFC 4253 §6.6): FIPS 186-2 keys of 1024 bits with a 160-bit `q`, SHA-1
//! signatures as the 40-byte `r || s` blob, OpenSSH private key fields, key generation.
//!
//! Legacy only, for old network devices whose one host key is DSA: the arithmetic is RustCrypto's
//! `dsa` (on crypto-bigint, like `rsa`). Signatures use RFC 6979 deterministic `k`, so a weak or
//! repeated random number can never leak the key. Sizes are those OpenSSH insists on (exactly
//! 1024-bit `p`, 160-bit `q`), checked before any arithmetic, so a hostile key cannot make us
//! compute with a large modulus.

use super::KeyError;
use super::secbuf::SecretWriter;
use crate::crypto::{EngineRng, HashAlg};
use crate::wire::{Reader, Writer};
use crypto_bigint::BoxedUint;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use dsa::signature::hazmat::PrehashVerifier;
use dsa::{Components, KeySize, Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// `p` has exactly this many bits (FIPS 186-2; OpenSSH's `SSH_DSA_BITS`).
const P_BITS: u32 = 1024;
/// `q` has exactly this many bits (FIPS 186-2: the size of SHA-1's output).
const Q_BITS: u32 = 160;
/// Bytes of `r` and of `s` in a signature blob (RFC 4253 §6.6: "160 bits each").
const HALF: usize = 20;
/// The whole signature blob.
pub(crate) const SIGNATURE_LEN: usize = 2 * HALF;

/// A DSA public key with its canonical encodings (equality is on those).
#[derive(Clone)]
pub(crate) struct DsaPublic {
    key: VerifyingKey,
    p: Vec<u8>,
    q: Vec<u8>,
    g: Vec<u8>,
    y: Vec<u8>,
}

impl PartialEq for DsaPublic {
    fn eq(&self, other: &Self) -> bool {
        (&self.p, &self.q, &self.g, &self.y) == (&other.p, &other.q, &other.g, &other.y)
    }
}

impl Eq for DsaPublic {}

impl core::fmt::Debug for DsaPublic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DsaPublic(y={:02x?}...)", &self.y[..self.y.len().min(8)])
    }
}

/// Strips leading zero bytes.
fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[start..]
}

/// Bit length of a trimmed big-endian magnitude.
fn bits(v: &[u8]) -> u32 {
    match v.first() {
        None => 0,
        Some(&top) => u32::try_from(v.len() * 8).unwrap_or(u32::MAX) - top.leading_zeros(),
    }
}

/// A big-endian magnitude at `precision` bits (the caller has bounded its length).
fn uint(v: &[u8], precision: u32, what: &'static str) -> Result<BoxedUint, KeyError> {
    BoxedUint::from_be_slice(v, precision).map_err(|_| KeyError::Malformed(what))
}

/// `v` as exactly `HALF` big-endian bytes; `None` if it does not fit.
fn fixed(v: &BoxedUint) -> Option<[u8; HALF]> {
    let be = v.to_be_bytes();
    let (head, tail) = be.split_at(be.len().checked_sub(HALF)?);
    if head.iter().any(|&b| b != 0) {
        return None;
    }
    let mut out = [0u8; HALF];
    out.copy_from_slice(tail);
    Some(out)
}

impl DsaPublic {
    /// From the big-endian magnitudes of `p, q, g, y`. Checks: `p` odd and exactly 1024 bits,
    /// `q` odd and exactly 160 bits, `1 < g < p`, `1 < y < p` and `y^q = 1 mod p` (the crate's
    /// check that `y` is in the order-`q` subgroup). Primality is not tested, as OpenSSH does not.
    pub(crate) fn from_components(
        p: &[u8],
        q: &[u8],
        g: &[u8],
        y: &[u8],
    ) -> Result<Self, KeyError> {
        let (p, q, g, y) = (trim(p), trim(q), trim(g), trim(y));
        if bits(p) != P_BITS || bits(q) != Q_BITS {
            return Err(KeyError::Unsupported(format!(
                "DSA key with a {}-bit p and {}-bit q (only 1024/160)",
                bits(p),
                bits(q)
            )));
        }
        if p.last().is_none_or(|b| b & 1 == 0) || q.last().is_none_or(|b| b & 1 == 0) {
            return Err(KeyError::Malformed("DSA p or q even"));
        }
        // Anything longer than p is refused here, before it becomes a number.
        if g.len() > p.len() || y.len() > p.len() {
            return Err(KeyError::Malformed("DSA g or y above p"));
        }
        // g = 1 would make every signature's r = 1 whatever the key (the crate checks y's
        // order, not g's): g must generate the order-q subgroup, g^q = 1 with g > 1.
        if g.len() <= 1 && g.first().is_none_or(|&b| b < 2) {
            return Err(KeyError::Malformed("DSA generator"));
        }
        let components = Components::from_components(
            uint(p, P_BITS, "DSA p")?,
            uint(q, Q_BITS, "DSA q")?,
            uint(g, P_BITS, "DSA g")?,
        )
        .map_err(|_| KeyError::Malformed("DSA parameters"))?;
        let params = BoxedMontyParams::new_vartime(components.p().clone());
        let g_q = BoxedMontyForm::new((**components.g()).clone(), &params)
            .pow(components.q())
            .retrieve();
        if g_q != BoxedUint::one() {
            return Err(KeyError::Malformed("DSA generator"));
        }
        let key = VerifyingKey::from_components(components, uint(y, P_BITS, "DSA y")?)
            .map_err(|_| KeyError::Malformed("DSA public value"))?;
        Ok(DsaPublic {
            key,
            p: p.to_vec(),
            q: q.to_vec(),
            g: g.to_vec(),
            y: y.to_vec(),
        })
    }

    fn from_key(key: &VerifyingKey) -> Self {
        let c = key.components();
        let be = |v: &BoxedUint| trim(&v.to_be_bytes()).to_vec();
        DsaPublic {
            key: key.clone(),
            p: be(c.p()),
            q: be(c.q()),
            g: be(c.g()),
            y: be(key.y()),
        }
    }

    /// Blob fields after the key type: `mpint p, mpint q, mpint g, mpint y`.
    pub(crate) fn write_blob_fields(&self, w: &mut Writer) {
        w.mpint(&self.p)
            .mpint(&self.q)
            .mpint(&self.g)
            .mpint(&self.y);
    }

    /// Reads the blob fields after the key type.
    pub(crate) fn read_blob_fields(r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let p = r.mpint_positive("DSA p")?;
        let q = r.mpint_positive("DSA q")?;
        let g = r.mpint_positive("DSA g")?;
        let y = r.mpint_positive("DSA y")?;
        DsaPublic::from_components(p, q, g, y)
    }

    /// Verifies the 40-byte `r || s` signature of `data` (SHA-1). Any other length, `r` or `s`
    /// zero or not below `q`, is a bad signature.
    pub(crate) fn verify(&self, data: &[u8], raw: &[u8]) -> Result<(), KeyError> {
        if raw.len() != SIGNATURE_LEN {
            return Err(KeyError::BadSignature);
        }
        let (r, s) = raw.split_at(HALF);
        let q = self.key.components().q();
        let r = uint(r, Q_BITS, "DSA r").map_err(|_| KeyError::BadSignature)?;
        let s = uint(s, Q_BITS, "DSA s").map_err(|_| KeyError::BadSignature)?;
        // The crate checks these too; saying it here keeps the rule next to the format.
        if r >= **q || s >= **q {
            return Err(KeyError::BadSignature);
        }
        let sig = Signature::from_components(r, s).ok_or(KeyError::BadSignature)?;
        let hashed = HashAlg::Sha1.digest(data);
        self.key
            .verify_prehash(&hashed, &sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// A DSA private key (the crate zeroizes `x` on drop).
#[derive(Clone)]
pub(crate) struct DsaPrivate {
    key: SigningKey,
}

impl DsaPrivate {
    /// A fresh 1024/160 key: new domain parameters (FIPS 186-4 A.1.1.2 prime search) and `x`.
    #[allow(deprecated)] // 1024/160 is deprecated by NIST; it is the only size ssh-dss has.
    pub(crate) fn generate(rng: &mut EngineRng) -> Result<Self, KeyError> {
        let failed = |_| KeyError::Unsupported("DSA key generation failed".into());
        let components =
            Components::try_generate_from_rng_with_key_size(rng, KeySize::DSA_1024_160)
                .map_err(failed)?;
        let key =
            SigningKey::try_generate_from_rng_with_components(rng, components).map_err(failed)?;
        Ok(DsaPrivate { key })
    }

    /// From the magnitudes of `p, q, g, y, x`: the public checks of
    /// [`DsaPublic::from_components`], `0 < x < q`, and `y = g^x mod p`.
    pub(crate) fn from_parts(
        p: &[u8],
        q: &[u8],
        g: &[u8],
        y: &[u8],
        x: &[u8],
    ) -> Result<Self, KeyError> {
        let public = DsaPublic::from_components(p, q, g, y)?;
        let x = trim(x);
        if x.len() > HALF {
            return Err(KeyError::Malformed("DSA x not below q"));
        }
        let x = Zeroizing::new(uint(x, P_BITS, "DSA x")?);
        let c = public.key.components();
        let params = BoxedMontyParams::new_vartime(c.p().clone());
        let g_x = BoxedMontyForm::new((**c.g()).clone(), &params)
            .pow(&x)
            .retrieve();
        if g_x != **public.key.y() {
            return Err(KeyError::Malformed("DSA private key inconsistent"));
        }
        let key = SigningKey::from_components(public.key, (*x).clone())
            .map_err(|_| KeyError::Malformed("DSA x not below q"))?;
        Ok(DsaPrivate { key })
    }

    /// From the domain parameters and `x` alone (PKCS#8 files carry no `y`): `y = g^x mod p`,
    /// then the checks of [`DsaPrivate::from_parts`].
    pub(crate) fn from_params_and_x(
        p: &[u8],
        q: &[u8],
        g: &[u8],
        x: &[u8],
    ) -> Result<Self, KeyError> {
        let (p, g, x) = (trim(p), trim(g), trim(x));
        // Bound everything before computing with it; from_parts checks the rest.
        if bits(p) != P_BITS || p.last().is_none_or(|b| b & 1 == 0) {
            return Err(KeyError::Unsupported("DSA key other than 1024/160".into()));
        }
        if g.len() > p.len() || x.len() > HALF {
            return Err(KeyError::Malformed("DSA g or x out of range"));
        }
        let p_odd = crypto_bigint::Odd::new(uint(p, P_BITS, "DSA p")?)
            .into_option()
            .ok_or(KeyError::Malformed("DSA p even"))?;
        let params = BoxedMontyParams::new_vartime(p_odd);
        let x_big = Zeroizing::new(uint(x, P_BITS, "DSA x")?);
        let y = BoxedMontyForm::new(uint(g, P_BITS, "DSA g")?, &params)
            .pow(&x_big)
            .retrieve()
            .to_be_bytes();
        DsaPrivate::from_parts(p, q, g, &y, x)
    }

    /// The public half.
    pub(crate) fn public(&self) -> DsaPublic {
        DsaPublic::from_key(self.key.verifying_key())
    }

    /// The 40-byte `r || s` signature of `data` (SHA-1, RFC 6979 `k`).
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let hashed = HashAlg::Sha1.digest(data);
        let failed = || KeyError::Unsupported("DSA signing failed".into());
        let sig = self
            .key
            .sign_prehashed_rfc6979::<sha1::Sha1>(&hashed)
            .map_err(|_| failed())?;
        let mut out = Vec::with_capacity(SIGNATURE_LEN);
        out.extend_from_slice(&fixed(sig.r()).ok_or_else(failed)?);
        out.extend_from_slice(&fixed(sig.s()).ok_or_else(failed)?);
        Ok(out)
    }

    /// OpenSSH private fields after the key type: `mpint p, q, g, y, x`.
    pub(crate) fn read_private(r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let p = r.mpint_positive("DSA p")?;
        let q = r.mpint_positive("DSA q")?;
        let g = r.mpint_positive("DSA g")?;
        let y = r.mpint_positive("DSA y")?;
        let x = r.mpint_positive("DSA x")?;
        DsaPrivate::from_parts(p, q, g, y, x)
    }

    /// Writes the OpenSSH private fields (see [`DsaPrivate::read_private`]).
    pub(crate) fn write_private(&self, w: &mut SecretWriter) {
        let public = self.public();
        for v in [&public.p, &public.q, &public.g, &public.y] {
            w.mpint(v);
        }
        w.mpint(&Zeroizing::new(self.key.x().to_be_bytes().into_vec()));
    }
}
