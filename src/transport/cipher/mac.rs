//! HMAC over `uint32 seq || packet` (RFC 4253 §6.4), keyed once per key exchange.

use super::MacAlg;
use crate::crypto::ct_eq;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

/// A keyed MAC; each packet clones the keyed state rather than re-running the key schedule.
#[derive(Clone)]
pub(super) enum MacState {
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
    Sha1(Hmac<Sha1>),
    Md5(Hmac<Md5>),
}

impl MacState {
    pub(super) fn new(alg: MacAlg, key: &[u8]) -> Self {
        // Key lengths come from our own derivation (MacAlg::key_len), so new_from_slice cannot fail;
        // HMAC takes keys of any length anyway.
        match alg {
            MacAlg::HmacSha256Etm | MacAlg::HmacSha256 => {
                MacState::Sha256(Hmac::new_from_slice(key).expect("HMAC accepts any key length"))
            }
            MacAlg::HmacSha512Etm | MacAlg::HmacSha512 => {
                MacState::Sha512(Hmac::new_from_slice(key).expect("HMAC accepts any key length"))
            }
            MacAlg::HmacSha1Etm | MacAlg::HmacSha1 | MacAlg::HmacSha1_96 => {
                MacState::Sha1(Hmac::new_from_slice(key).expect("HMAC accepts any key length"))
            }
            MacAlg::HmacMd5 | MacAlg::HmacMd5_96 => {
                MacState::Md5(Hmac::new_from_slice(key).expect("HMAC accepts any key length"))
            }
        }
    }

    /// Appends the (possibly truncated) tag over `seq || out[from..]` to `out`.
    pub(super) fn sign_appending(&self, seq: u32, from: usize, tag_len: usize, out: &mut Vec<u8>) {
        let full = self.compute(seq, &out[from..]);
        out.extend_from_slice(&full[..tag_len]);
    }

    /// The full-length tag over `seq || data` (callers truncate to the algorithm's length).
    pub(super) fn tag(&self, seq: u32, data: &[u8]) -> [u8; MAX_TAG] {
        self.compute(seq, data)
    }

    /// Constant-time check of `tag` over `seq || data`.
    pub(super) fn verify(&self, seq: u32, data: &[u8], tag: &[u8]) -> bool {
        let full = self.compute(seq, data);
        tag.len() <= MAX_TAG && ct_eq(&full[..tag.len()], tag)
    }

    /// The full tag, in a fixed buffer so the per-packet path does not allocate.
    fn compute(&self, seq: u32, data: &[u8]) -> [u8; MAX_TAG] {
        let mut out = [0u8; MAX_TAG];
        macro_rules! run {
            ($m:expr) => {{
                let mut m = $m.clone();
                m.update(&seq.to_be_bytes());
                m.update(data);
                let t = m.finalize().into_bytes();
                out[..t.len()].copy_from_slice(&t);
            }};
        }
        match self {
            MacState::Sha256(m) => run!(m),
            MacState::Sha512(m) => run!(m),
            MacState::Sha1(m) => run!(m),
            MacState::Md5(m) => run!(m),
        }
        out
    }
}

/// The longest tag (HMAC-SHA-512).
const MAX_TAG: usize = 64;
