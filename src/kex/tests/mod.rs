//! Tests for key exchange: full exchanges for every method, known answers, hostile input,
//! group checks (kex timing is measured by bench/).

mod groups;
mod hostile;
mod roundtrip;
mod vectors;

use super::ephemeral::ClientSecret;
use super::*;
use crate::crypto::EngineRng;

/// A generator with a fixed seed derived from `tag`.
fn rng(tag: u8) -> EngineRng {
    EngineRng::from_seed([tag; 32])
}

/// Decodes hex, ignoring whitespace.
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// An SSH `string` by hand (length prefix + bytes), independent of `Writer`.
fn ssh_string(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

/// An SSH `mpint` of a non-negative magnitude by hand, independent of `Writer`.
fn ssh_mpint(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    let mut m = b[start..].to_vec();
    if m.first().is_some_and(|&x| x & 0x80 != 0) {
        m.insert(0, 0);
    }
    ssh_string(&m)
}

/// The group a test uses for `alg`: the server's choice for GEX (2048..8192, preferring `n`),
/// passed through the client's checks exactly as a client would receive it.
fn gex_group(alg: KexAlg, n: u32) -> Option<DhGroup> {
    alg.is_group_exchange().then(|| {
        let chosen = DhGroup::choose(2048, n, 8192).unwrap();
        DhGroup::from_server(&chosen.p, &chosen.g, 2048, 8192).unwrap()
    })
}

/// Both sides of one exchange: (client public, server public, client K, server K).
fn exchange(
    alg: KexAlg,
    group: Option<&DhGroup>,
    client_rng: &mut EngineRng,
    server_rng: &mut EngineRng,
) -> (Vec<u8>, Vec<u8>, SharedSecret, SharedSecret) {
    let client = ClientEphemeral::generate(alg, group, client_rng).unwrap();
    let e = client.public().to_vec();
    let (f, k_server) = server_exchange(alg, group, &e, server_rng).unwrap();
    let k_client = client.finish(&f).unwrap();
    (e, f, k_client, k_server)
}
