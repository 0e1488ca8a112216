//! The shared secret's encoding, the exchange hash `H` (RFC 4253 §8, RFC 4419 §3, RFC 5656 §4)
//! and key derivation (RFC 4253 §7.2).

use super::{ExchangeHashInput, KexAlg, SharedSecret, encode_public};
use crate::crypto::HashAlg;
use crate::wire::Writer;
use zeroize::Zeroizing;

impl SharedSecret {
    /// `K` as an `mpint` from big-endian magnitude bytes (leading zeros allowed).
    pub(super) fn mpint(magnitude: Zeroizing<Vec<u8>>) -> Self {
        SharedSecret {
            bytes: magnitude,
            is_string: false,
        }
    }

    /// `K` as a `string` (ML-KEM hybrids).
    pub(super) fn string(octets: Zeroizing<Vec<u8>>) -> Self {
        SharedSecret {
            bytes: octets,
            is_string: true,
        }
    }

    /// Writes `K` as it enters the exchange hash and key derivation.
    pub fn encode(&self, w: &mut Writer) {
        if self.is_string {
            w.string(&self.bytes);
        } else {
            w.mpint(&self.bytes);
        }
    }

    /// `K` encoded as by [`SharedSecret::encode`], in a buffer that is wiped when dropped.
    pub fn encoded(&self) -> Zeroizing<Vec<u8>> {
        // A fresh writer only ever reallocates after the 4-byte length (and a sign byte), so no
        // copy of the secret is left behind in freed memory.
        let mut w = Writer::new();
        self.encode(&mut w);
        Zeroizing::new(w.into_vec())
    }
}

/// Computes `H`.
///
/// `input.gex` must be present for group exchange methods (and is hashed whenever present).
pub fn exchange_hash(alg: KexAlg, input: &ExchangeHashInput<'_>) -> Vec<u8> {
    debug_assert_eq!(alg.is_group_exchange(), input.gex.is_some());
    let mut w = Writer::new();
    w.string(input.v_c)
        .string(input.v_s)
        .string(input.i_c)
        .string(input.i_s)
        .string(input.k_s);
    if let Some(gex) = &input.gex {
        w.u32(gex.min)
            .u32(gex.n)
            .u32(gex.max)
            .mpint(&gex.group.p)
            .mpint(&gex.group.g);
    }
    encode_public(alg, input.e, &mut w);
    encode_public(alg, input.f, &mut w);
    // The public part goes in first; `K` is hashed from its own wiped buffer.
    let mut h = alg.hash().hasher();
    h.update(w.as_slice());
    h.update(&input.k.encoded());
    h.finish()
}

/// RFC 4253 §7.2: `HASH(K || H || letter || session_id)` extended to `len` bytes.
///
/// `K1 = HASH(K || H || letter || session_id)`, `Kn = HASH(K || H || K1 || ... || Kn-1)`, the
/// concatenation truncated to `len`.
pub fn derive_key(
    hash: HashAlg,
    k: &SharedSecret,
    h: &[u8],
    letter: u8,
    session_id: &[u8],
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let out_len = hash.output_len();
    // Room for every block up front, so the output never reallocates (and leaves no copies).
    let mut out = Zeroizing::new(Vec::with_capacity(len.div_ceil(out_len) * out_len));
    let mut prefix = hash.hasher();
    prefix.update(&k.encoded());
    prefix.update(h);

    let mut first = prefix.clone();
    first.update(&[letter]);
    first.update(session_id);
    out.extend_from_slice(&Zeroizing::new(first.finish()));
    let mut next = prefix;
    while out.len() < len {
        // `next` has absorbed K || H || K1 || ... so far; extend it by the newest block.
        next.update(&out[out.len() - out_len..]);
        out.extend_from_slice(&Zeroizing::new(next.clone().finish()));
    }
    out.truncate(len);
    out
}
