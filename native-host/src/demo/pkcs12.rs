//! Writing a PKCS#12 file (RFC 7292) of a key and its chain, laid out as OpenSSL 3's
//! `openssl pkcs12 -export -certpbe NONE` does: the key in a pkcs8ShroudedKeyBag (PBES2,
//! PBKDF2-HMAC-SHA-256, AES-256-CBC, by pkcs8), the certificates in plain certBags, and an
//! HMAC-SHA-256 integrity MAC keyed by the PKCS#12 derivation (Appendix B) — the layout current
//! browsers and OS key stores import. Tested against OpenSSL (`tests/demo_dev_ca.rs`) and the
//! engine's reader (`sshgate::pki::Pkcs12`, below).
//!
//! RustCrypto's `pkcs12` crate is a pre-release pinned to a pre-release `cms` (see the engine's
//! `src/pki/pkcs12`), so the handful of PFX structures are declared here with der's derive.

use anyhow::anyhow;
use der::asn1::{Any, ObjectIdentifier as Oid, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence, ValueOrd};
use hmac::{KeyInit, Mac};
use pkcs8::pkcs5::pbes2;
use sha2::{Digest, Sha256};
use x509_cert::spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const SHROUDED_KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.22.1");
const LOCAL_KEY_ID: Oid = Oid::new_unwrap("1.2.840.113549.1.9.21");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");

/// PBKDF2 and MAC iterations: OpenSSL's default (the passphrase is random, not a word).
const ITERATIONS: u32 = 2048;

/// `ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY }`.
#[derive(Sequence)]
struct ContentInfo {
    content_type: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: Any,
}

/// `Attribute ::= SEQUENCE { attrId, attrValues SET OF ANY }`.
#[derive(Sequence, ValueOrd)]
struct Attribute {
    id: Oid,
    values: SetOfVec<Any>,
}

/// `SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT ANY, bagAttributes SET OF Attribute }`.
#[derive(Sequence)]
struct SafeBag {
    id: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    value: Any,
    attributes: SetOfVec<Attribute>,
}

/// `CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT OCTET STRING }`.
#[derive(Sequence)]
struct CertBag {
    id: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    value: OctetString,
}

/// `DigestInfo ::= SEQUENCE { digestAlgorithm, digest OCTET STRING }`.
#[derive(Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER }`.
#[derive(Sequence)]
struct MacData {
    mac: DigestInfo,
    salt: OctetString,
    iterations: u32,
}

/// `PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData }`.
#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: ContentInfo,
    mac_data: MacData,
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow!("OS random number generator: {e}"))?;
    Ok(b)
}

/// A `data` ContentInfo around `der`.
fn data(der: &[u8]) -> anyhow::Result<ContentInfo> {
    Ok(ContentInfo {
        content_type: DATA,
        content: Any::encode_from(&OctetString::new(der)?)?,
    })
}

/// The bag attribute tying the key to its certificate (what importers pair them by).
fn local_key_id(id: &[u8]) -> anyhow::Result<SetOfVec<Attribute>> {
    let mut values = SetOfVec::new();
    values.insert(Any::encode_from(&OctetString::new(id)?)?)?;
    let mut attrs = SetOfVec::new();
    attrs.insert(Attribute {
        id: LOCAL_KEY_ID,
        values,
    })?;
    Ok(attrs)
}

/// RFC 7292 Appendix B.2 with SHA-256 (u = 32, v = 64): `n` bytes for purpose `id` (3 = MAC).
fn derive(pass: &str, salt: &[u8], id: u8, iterations: u32, n: usize) -> Zeroizing<Vec<u8>> {
    const V: usize = 64;
    // B.1: the password as a BMPString with its two-byte terminator.
    let mut bmp = Zeroizing::new(Vec::new());
    for u in pass.encode_utf16() {
        bmp.extend_from_slice(&u.to_be_bytes());
    }
    bmp.extend_from_slice(&[0, 0]);
    let fill = |src: &[u8]| -> Zeroizing<Vec<u8>> {
        Zeroizing::new(
            src.iter()
                .copied()
                .cycle()
                .take(src.len().div_ceil(V) * V)
                .collect(),
        )
    };
    let mut i = fill(salt);
    i.extend_from_slice(&fill(&bmp));
    let mut out = Zeroizing::new(Vec::new());
    loop {
        let mut a = Zeroizing::new(
            Sha256::new()
                .chain_update([id; V])
                .chain_update(&*i)
                .finalize(),
        );
        for _ in 1..iterations {
            *a = Sha256::digest(*a);
        }
        out.extend_from_slice(&a);
        if out.len() >= n {
            out.truncate(n);
            return out;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
        let b: Vec<u8> = a.iter().copied().cycle().take(V).collect();
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for k in (0..V).rev() {
                let s = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = s.to_le_bytes()[0];
                carry = s >> 8;
            }
        }
    }
}

/// The DER of a PKCS#12 file holding `key_pkcs8` (a PKCS#8 `PrivateKeyInfo`) and `chain` (its
/// certificate first), protected by `pass`.
pub fn write(key_pkcs8: &[u8], chain: &[Vec<u8>], pass: &str) -> anyhow::Result<Vec<u8>> {
    let leaf = chain
        .first()
        .ok_or_else(|| anyhow!("PKCS#12: no certificate"))?;
    let key_id = Sha256::digest(leaf);

    let params = pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        ITERATIONS,
        &random::<16>()?,
        random::<16>()?,
    )
    .map_err(|e| anyhow!("PBES2 parameters: {e}"))?;
    let shrouded = pkcs8::PrivateKeyInfoRef::try_from(key_pkcs8)
        .and_then(|k| k.encrypt_with_params(params, pass.as_bytes()))
        .map_err(|e| anyhow!("encrypting the PKCS#12 key: {e}"))?;
    let key_bags = vec![SafeBag {
        id: SHROUDED_KEY_BAG,
        value: Any::from_der(shrouded.as_bytes())?,
        attributes: local_key_id(&key_id)?,
    }];

    let mut cert_bags = Vec::new();
    for (n, der) in chain.iter().enumerate() {
        let bag = CertBag {
            id: X509_CERTIFICATE,
            value: OctetString::new(der.as_slice())?,
        };
        cert_bags.push(SafeBag {
            id: CERT_BAG,
            value: Any::encode_from(&bag)?,
            attributes: if n == 0 {
                local_key_id(&key_id)?
            } else {
                SetOfVec::new()
            },
        });
    }

    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo; each SafeContents is SEQUENCE OF SafeBag.
    let auth_safe = vec![data(&cert_bags.to_der()?)?, data(&key_bags.to_der()?)?].to_der()?;

    let salt = random::<16>()?;
    let mac_key = derive(pass, &salt, 3, ITERATIONS, 32);
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key)
        .map_err(|_| anyhow!("HMAC key"))?;
    mac.update(&auth_safe);
    let pfx = Pfx {
        version: 3,
        auth_safe: data(&auth_safe)?,
        mac_data: MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierOwned {
                    oid: SHA256,
                    parameters: Some(Any::null()),
                },
                digest: OctetString::new(mac.finalize().into_bytes().as_slice())?,
            },
            salt: OctetString::new(salt.as_slice())?,
            iterations: ITERATIONS,
        },
    };
    Ok(pfx.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::issue::{self, Kind};
    use p256::pkcs8::EncodePrivateKey;
    use sshgate::pki::Pkcs12;

    #[test]
    fn derivation_depends_on_purpose_salt_and_password() {
        let a = derive("pw", b"salt", 3, 10, 32);
        assert_eq!(a.len(), 32);
        assert_ne!(*a, *derive("pw", b"salt", 1, 10, 32));
        assert_ne!(*a, *derive("pw", b"tlas", 3, 10, 32));
        assert_ne!(*a, *derive("px", b"salt", 3, 10, 32));
        // More than one hash block extends the output, never changes its prefix.
        assert_eq!(&derive("pw", b"salt", 3, 10, 80)[..32], &a[..]);
    }

    /// The engine's reader (its own DER walker, PBES2 and MAC code) opens what this writes.
    #[test]
    fn the_engine_reads_it_back() {
        let ca = issue::new_key().unwrap();
        let root = issue::issue(Kind::Root, "CN=r", ca.verifying_key(), "CN=r", &ca, 1).unwrap();
        let key = issue::new_key().unwrap();
        let leaf =
            issue::issue(Kind::Client, "CN=lab", key.verifying_key(), "CN=r", &ca, 1).unwrap();
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let der = write(pkcs8.as_bytes(), &[leaf.clone(), root.clone()], "s3cret").unwrap();
        let p = Pkcs12::from_der(&der, "s3cret").unwrap();
        assert_eq!(p.certificate.unwrap().der(), &leaf[..]);
        assert_eq!(p.chain.len(), 1);
        assert_eq!(p.chain[0].der(), &root[..]);
        assert!(p.key.is_some());
        assert!(matches!(
            Pkcs12::from_der(&der, "wrong"),
            Err(sshgate::pki::PkiError::Passphrase)
        ));
    }
}
