//! Known answers: RFC 8032, fingerprints and signatures made by OpenSSH and OpenSSL.

use super::fixtures::*;
use super::*;
use crate::wire::{Reader, Writer};
use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha512};

#[test]
fn rfc8032_test_1() {
    let secret = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let signature = hex(concat!(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ));
    let key = PrivateKey::from_ed25519_seed(&secret.clone().try_into().unwrap());
    let expected_public = PublicKey::from_ed25519_bytes(&public).unwrap();
    assert_eq!(key.public(), expected_public);
    let mut w = Writer::new();
    w.string(b"ssh-ed25519").string(&public);
    assert_eq!(expected_public.to_blob(), w.into_vec());

    let blob = key.sign(HostKeyAlg::SshEd25519, b"", &mut rng(1)).unwrap();
    assert_eq!(blob, encode_signature_blob("ssh-ed25519", &signature));
    expected_public
        .verify(HostKeyAlg::SshEd25519, b"", &blob)
        .unwrap();
    assert!(
        expected_public
            .verify(HostKeyAlg::SshEd25519, b"x", &blob)
            .is_err()
    );
}

#[test]
fn fingerprints_match_ssh_keygen() {
    for (line, sha, md5) in [
        (ED25519_PUB, ED25519_SHA256, ED25519_MD5),
        (P256_PUB, P256_SHA256, P256_MD5),
        (RSA2048_PUB, RSA2048_SHA256, RSA2048_MD5),
        (RSA1024_PUB, RSA1024_SHA256, RSA1024_MD5),
    ] {
        let key = PublicKey::from_openssh_line(line).unwrap();
        assert_eq!(key.fingerprint_sha256(), sha);
        assert_eq!(key.fingerprint_md5(), md5);
        assert!(format!("{key:?}").contains(sha));
    }
}

#[test]
fn rsa_1024_is_parsed_but_refused_for_verification() {
    let key = PublicKey::from_openssh_line(RSA1024_PUB).unwrap();
    assert_eq!(key.bits(), 1024);
    assert_eq!(key.kind(), KeyKind::Rsa(1024));
    let bogus = encode_signature_blob("rsa-sha2-512", &[1u8; 128]);
    for alg in [
        HostKeyAlg::RsaSha2_512,
        HostKeyAlg::RsaSha2_256,
        HostKeyAlg::SshRsa,
    ] {
        assert_eq!(key.verify(alg, b"m", &bogus), Err(KeyError::TooSmall(1024)));
    }
    // With the minimum lowered the key is usable and the bogus signature is what fails.
    assert_eq!(
        key.verify_with_min_rsa_bits(HostKeyAlg::RsaSha2_512, b"m", &bogus, 1024),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn rsa_pkcs1_signatures_equal_openssl_bytes() {
    let key = PrivateKey::from_openssh(RSA2048_FILE).unwrap();
    let public = key.public();
    let msg = SIGNED_MESSAGE.as_bytes();
    for (alg, expected) in [
        (HostKeyAlg::SshRsa, RSA2048_PKCS1_SHA1),
        (HostKeyAlg::RsaSha2_256, RSA2048_PKCS1_SHA256),
        (HostKeyAlg::RsaSha2_512, RSA2048_PKCS1_SHA512),
    ] {
        let expected = hex(expected);
        let raw = key.sign_raw(alg.scheme(), msg, &mut rng(3)).unwrap();
        assert_eq!(raw, expected, "{alg:?}");
        let blob = encode_signature_blob(alg.name(), &expected);
        public.verify(alg, msg, &blob).unwrap();
    }
}

/// The signature blob and the signed data of an `ssh-keygen -Y sign` signature (PROTOCOL.sshsig).
fn sshsig(armored: &str, message: &[u8]) -> (PublicKey, Vec<u8>, Vec<u8>) {
    let b64: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let bytes = Base64::decode_vec(&b64).unwrap();
    let mut r = Reader::new(&bytes);
    assert_eq!(r.bytes(6, "magic").unwrap(), b"SSHSIG");
    assert_eq!(r.u32("version").unwrap(), 1);
    let public = PublicKey::from_blob(r.string("key").unwrap()).unwrap();
    let namespace = r.string("namespace").unwrap();
    let reserved = r.string("reserved").unwrap();
    let hash_alg = r.string("hash").unwrap();
    assert_eq!(hash_alg, b"sha512");
    let sig = r.string("signature").unwrap().to_vec();
    r.finish().unwrap();
    let mut signed = Writer::new();
    signed
        .raw(b"SSHSIG")
        .string(namespace)
        .string(reserved)
        .string(hash_alg)
        .string(&Sha512::digest(message));
    (public, signed.into_vec(), sig)
}

#[test]
fn signatures_made_by_ssh_keygen_verify() {
    for (armored, pub_line, alg) in [
        (ED25519_SSHSIG, ED25519_PUB, HostKeyAlg::SshEd25519),
        (P256_SSHSIG, P256_PUB, HostKeyAlg::EcdsaSha2Nistp256),
        (RSA2048_SSHSIG, RSA2048_PUB, HostKeyAlg::RsaSha2_512),
    ] {
        let (public, signed, sig) = sshsig(armored, SIGNED_MESSAGE.as_bytes());
        assert_eq!(public, PublicKey::from_openssh_line(pub_line).unwrap());
        public.verify(alg, &signed, &sig).unwrap();
        let mut tampered = signed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            public.verify(alg, &tampered, &sig),
            Err(KeyError::BadSignature)
        );
    }
}
