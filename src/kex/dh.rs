//! Finite-field Diffie-Hellman (RFC 4253 §8, RFC 4419, RFC 8268) with constant-time modular
//! exponentiation from `crypto-bigint` (Montgomery form, fixed window, constant-time table lookup).
//!
//! The private exponent `x` has a fixed bit length (its top bit is set), so the exponentiation's
//! running time depends on that public length only: `pow_bounded_exp` is given the bound, which
//! keeps a 2048-bit exchange fast while staying independent of the exponent's value.

use super::groups::{MAX_GROUP_BITS, bit_len, in_open_range, trim};
use super::{DhGroup, KexError};
use crate::crypto::{EngineRng, HashAlg};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use std::sync::LazyLock;
use zeroize::Zeroizing;

/// The smallest modulus we compute with at all (policy minimums are the caller's; see
/// `DhGroup::from_server`). Below this the exponent sizing below would not make sense.
const MIN_GROUP_BITS: u32 = 1024;

/// Montgomery parameters of the shipped groups, computed once.
static SHIPPED_PARAMS: LazyLock<Vec<(Vec<u8>, BoxedMontyParams)>> = LazyLock::new(|| {
    super::groups::shipped()
        .iter()
        .filter_map(|(_, g)| Some((g.p.clone(), monty_params(&g.p)?)))
        .collect()
});

/// Montgomery parameters for an odd modulus (variable time: the modulus is public).
fn monty_params(p: &[u8]) -> Option<BoxedMontyParams> {
    let p = Odd::new(BoxedUint::from_be_slice_vartime(trim(p))).into_option()?;
    Some(BoxedMontyParams::new_vartime(p))
}

/// Parameters for `p`, from the cache when it is one of ours.
fn params_for(p: &[u8]) -> Option<BoxedMontyParams> {
    let p = trim(p);
    match SHIPPED_PARAMS.iter().find(|(q, _)| q.as_slice() == p) {
        Some((_, params)) => Some(params.clone()),
        None => monty_params(p),
    }
}

/// Length of the private exponent for a `p_bits`-bit group and the method's hash: twice the
/// hash size, at least 512 bits (what OpenSSH uses with SHA-256 for 2048–8192-bit groups, and
/// at least twice the strength of the largest of them), and always below `p`'s size so `x < p-1`.
fn exponent_bits(p_bits: u32, hash: HashAlg) -> u32 {
    let hash_bits = u32::try_from(hash.output_len() * 8).unwrap_or(u32::MAX);
    hash_bits.saturating_mul(2).max(512).min(p_bits - 2)
}

/// Checks a peer's public value: `1 < y < p-1`. RFC 4253 §8: "Values of 'e' or 'f' that are not
/// in the range [1, p-1] MUST NOT be sent or accepted by either side"; 1 and p-1 are refused too
/// (RFC 8268 §4, NIST SP 800-56A's full public key validation), since they generate the
/// subgroup {1, p-1} and would make `K` one of those two known values.
pub(super) fn check_public(group: &DhGroup, y: &[u8]) -> Result<(), KexError> {
    // `in_open_range` compares lengths first, so an oversized value is refused before any work.
    if in_open_range(y, &group.p) {
        Ok(())
    } else {
        Err(KexError::BadPublicValue(
            "DH public value not in 1 < y < p-1",
        ))
    }
}

/// One side's private exponent, with the group it belongs to.
pub(super) struct DhSecret {
    p: Vec<u8>,
    params: BoxedMontyParams,
    x: Zeroizing<BoxedUint>,
    x_bits: u32,
}

impl DhSecret {
    /// A fresh exponent for `group`, and the public value `g^x mod p` (magnitude, no leading zeros).
    pub(super) fn generate(
        group: &DhGroup,
        hash: HashAlg,
        rng: &mut EngineRng,
    ) -> Result<(Vec<u8>, DhSecret), KexError> {
        let p = trim(&group.p);
        let p_bits = bit_len(p);
        if !(MIN_GROUP_BITS..=MAX_GROUP_BITS).contains(&p_bits) {
            return Err(KexError::BadGroup("modulus size not supported"));
        }
        if !in_open_range(&group.g, p) {
            return Err(KexError::BadGroup("generator out of range"));
        }
        let params = params_for(p).ok_or(KexError::BadGroup("modulus is even"))?;

        let x_bits = exponent_bits(p_bits, hash);
        let x_len = x_bits.div_ceil(8) as usize;
        let mut raw = Zeroizing::new(vec![0u8; x_len]);
        rng.fill(&mut raw);
        // Keep exactly `x_bits` bits, the top one set: 2^(x_bits-1) <= x < 2^x_bits <= p-1.
        let top_bits = x_bits - 8 * (x_len as u32 - 1);
        raw[0] &= 0xff >> (8 - top_bits);
        raw[0] |= 1 << (top_bits - 1);
        let x = Zeroizing::new(
            BoxedUint::from_be_slice(&raw, x_bits)
                .map_err(|_| KexError::BadGroup("exponent size"))?,
        );

        let secret = DhSecret {
            p: p.to_vec(),
            params,
            x,
            x_bits,
        };
        let public = secret.power(trim(&group.g))?;
        let public = trim(&public).to_vec();
        Ok((public, secret))
    }

    /// `base^x mod p`, as fixed-length big-endian bytes (the width of the modulus' limbs).
    fn power(&self, base: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError> {
        let precision = self.params.bits_precision();
        let base = BoxedUint::from_be_slice(base, precision)
            .map_err(|_| KexError::BadPublicValue("DH value larger than the modulus"))?;
        let base = BoxedMontyForm::new(base, &self.params);
        let result = Zeroizing::new(base.pow_bounded_exp(&self.x, self.x_bits));
        let result = Zeroizing::new(result.retrieve());
        let bytes = Zeroizing::new(result.to_be_bytes());
        Ok(Zeroizing::new(bytes.to_vec()))
    }

    /// `K = y^x mod p` for the peer's `y`, checked first; `K` as fixed-length magnitude bytes.
    pub(super) fn agree(self, y: &[u8]) -> Result<Zeroizing<Vec<u8>>, KexError> {
        // RFC 4253 §8: values outside [1, p-1] "MUST NOT be sent or accepted"; see `check_public`.
        if !in_open_range(y, &self.p) {
            return Err(KexError::BadPublicValue(
                "DH public value not in 1 < y < p-1",
            ));
        }
        let k = self.power(trim(y))?;
        // A trivial K is known to anyone watching: refuse 1 and p-1. With a safe prime and
        // 1 < y < p-1 neither can occur, but a server's group need not be a safe prime (nor a
        // prime: primality is not tested), and there an element of order 2 or 4 (y = a square
        // root of -1 when p = a^2 + 1) gives K = p-1 for one exponent in four.
        if crate::crypto::ct_eq(&k, &fixed_width(&[1], k.len()))
            || crate::crypto::ct_eq(&k, &fixed_width(&minus_one(&self.p), k.len()))
        {
            return Err(KexError::DegenerateSecret);
        }
        Ok(k)
    }
}

/// `v` (big-endian magnitude, at most `width` bytes) left-padded with zeros to `width` bytes.
fn fixed_width(v: &[u8], width: usize) -> Vec<u8> {
    let v = trim(v);
    let mut out = vec![0u8; width.saturating_sub(v.len())];
    out.extend_from_slice(v);
    out
}

/// `p - 1` for an odd `p` (its last bit cleared: no borrow).
fn minus_one(p: &[u8]) -> Vec<u8> {
    let mut v = trim(p).to_vec();
    if let Some(last) = v.last_mut() {
        *last &= !1;
    }
    v
}
