//! Tests of the keys module, with helpers shared by the files below.

mod authorized_keys;
mod blobs;
mod dsa;
mod files;
mod fixtures;
mod garble;
mod known_answers;
mod known_hosts;
mod known_hosts_certs;
mod openssh_certs;
mod pem_files;
mod security_key;
mod signing;
mod tool;
mod tool_pem;

use super::*;
use crate::crypto::EngineRng;
use std::sync::OnceLock;

/// A fixed-seed generator, different per `tag`.
fn rng(tag: u8) -> EngineRng {
    EngineRng::from_seed([tag; 32])
}

/// One RSA-2048 key per test binary (key generation is the slow part).
fn rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeyKind::Rsa(2048), &mut rng(42)).unwrap())
}

/// One generated DSA key per test binary (the domain parameters' prime search is slow too).
fn dsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeyKind::Dsa, &mut rng(43)).unwrap())
}

/// A generated key of every kind (RSA from [`rsa_key`], DSA from [`dsa_key`]).
fn every_key() -> Vec<PrivateKey> {
    let mut r = rng(1);
    let mut keys: Vec<PrivateKey> = [KeyKind::Ed25519, KeyKind::EcdsaP256, KeyKind::EcdsaP384]
        .into_iter()
        .chain([KeyKind::EcdsaP521])
        .map(|k| PrivateKey::generate(k, &mut r).unwrap())
        .collect();
    keys.push(rsa_key().clone());
    keys.push(dsa_key().clone());
    keys
}

/// A private key that can make `alg` signatures.
fn key_for(alg: HostKeyAlg) -> PrivateKey {
    every_key()
        .into_iter()
        .find(|k| k.public().supports(alg))
        .unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
