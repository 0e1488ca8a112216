//! PKCS#12 / PFX files (RFC 7292): a private key with its certificate and chain, as
//! `openssl pkcs12 -export` (OpenSSL 3: PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC, an
//! HMAC-SHA-256 MAC; `-legacy`: SHA-1 PBEs with 3DES and RC2-40, an HMAC-SHA-1 MAC) and IOS
//! `crypto pki export ... pkcs12` write them.
//!
//! RustCrypto's `pkcs12` is a pre-release pinned to pre-release `cms`, and `p12-keystore` pulls
//! `x509-parser` and a second ASN.1 stack, so the few structures are read here with the strict
//! DER walker and the engine's existing primitives. Everything decrypted is zeroized; the MAC is
//! compared in constant time; every count and size is bounded.

mod kdf;
mod pbe;

use super::dw::{self, Der, INT, OCTETS, OID, SEQ};
use super::pkcs8::pkcs8_private_key;
use super::{Certificate, PkiError, oid, spki};
use crate::crypto::HashAlg;
use crate::keys::PrivateKey;
use pbe::PbeError;
use zeroize::Zeroizing;

/// Largest PKCS#12 file accepted.
pub const MAX_PKCS12_BYTES: usize = 1024 * 1024;

/// Most safe bags read from one file.
const MAX_BAGS: usize = 64;

/// The contents of a PKCS#12 file.
#[derive(Clone)]
pub struct Pkcs12 {
    /// The private key (the first key bag).
    pub key: Option<PrivateKey>,
    /// The certificate of that key.
    pub certificate: Option<Certificate>,
    /// The other certificates (the chain), in file order.
    pub chain: Vec<Certificate>,
}

impl core::fmt::Debug for Pkcs12 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs12")
            .field("key", &self.key)
            .field("certificate", &self.certificate)
            .field("chain", &self.chain)
            .finish()
    }
}

fn mal(what: &'static str) -> impl Fn(&'static str) -> PkiError {
    move |_| PkiError::malformed(what)
}

impl From<PbeError> for PkiError {
    fn from(e: PbeError) -> Self {
        match e {
            PbeError::Malformed(what) => PkiError::malformed(what),
            PbeError::Unsupported(what) => PkiError::UnsupportedAlgorithm { oid: what },
            PbeError::Passphrase => PkiError::Passphrase,
        }
    }
}

/// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`
/// checked over the AuthenticatedSafe's octets (RFC 7292 §4, §5.2).
fn check_mac(mac_data: &[u8], pass: &str, auth_safe: &[u8]) -> Result<(), PkiError> {
    let bad = mal("PKCS#12 MacData");
    let mut md = Der::new(mac_data);
    let mut di = Der::new(md.expect(SEQ).map_err(&bad)?);
    let mut alg = Der::new(di.expect(SEQ).map_err(&bad)?);
    let h = match dw::oid(alg.expect(OID).map_err(&bad)?).map_err(&bad)? {
        oid::SHA1 => HashAlg::Sha1,
        oid::SHA256 => HashAlg::Sha256,
        oid::SHA384 => HashAlg::Sha384,
        oid::SHA512 => HashAlg::Sha512,
        other => {
            return Err(PkiError::UnsupportedAlgorithm {
                oid: format!("PKCS#12 MAC {other}"),
            });
        }
    };
    let digest = di.expect(OCTETS).map_err(&bad)?;
    let salt = md.expect(OCTETS).map_err(&bad)?;
    let iterations = if md.peek_tag() == Some(INT) {
        pbe::iterations(md.expect(INT).map_err(&bad)?)?
    } else {
        1
    };
    if kdf::mac_ok(
        h,
        &kdf::bmp_password(pass),
        salt,
        iterations,
        auth_safe,
        digest,
    ) {
        Ok(())
    } else {
        Err(PkiError::Passphrase)
    }
}

/// `ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }`.
fn content_info(ci: &[u8]) -> Result<(der::asn1::ObjectIdentifier, &[u8]), PkiError> {
    let bad = mal("PKCS#12 ContentInfo");
    let mut d = Der::new(ci);
    let t = dw::oid(d.expect(OID).map_err(&bad)?).map_err(&bad)?;
    let content = d.expect(0xa0).map_err(&bad)?;
    Ok((t, content))
}

struct Bags {
    keys: Vec<PrivateKey>,
    certs: Vec<Certificate>,
    count: usize,
}

/// `SafeContents ::= SEQUENCE OF SafeBag`,
/// `SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OPTIONAL }`.
fn safe_contents(sc: &[u8], pass: &str, out: &mut Bags) -> Result<(), PkiError> {
    let bad = mal("PKCS#12 SafeBag");
    let mut list = Der::new(dw::only(sc, SEQ).map_err(&bad)?);
    while !list.is_empty() {
        out.count += 1;
        if out.count > MAX_BAGS {
            return Err(PkiError::TooManyCertificates {
                got: out.count,
                max: MAX_BAGS,
            });
        }
        let mut bag = Der::new(list.expect(SEQ).map_err(&bad)?);
        let id = dw::oid(bag.expect(OID).map_err(&bad)?).map_err(&bad)?;
        let value = bag.expect(0xa0).map_err(&bad)?;
        match id {
            oid::BAG_KEY => out.keys.push(pkcs8_private_key(value)?),
            oid::BAG_SHROUDED_KEY => {
                // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
                let mut epki = Der::new(dw::only(value, SEQ).map_err(&bad)?);
                let alg = epki.expect(SEQ).map_err(&bad)?;
                let data = epki.expect(OCTETS).map_err(&bad)?;
                let plain = pbe::decrypt(alg, pass, data)?;
                // A wrong passphrase that happens to unpad still gives garbage, not PKCS#8.
                out.keys
                    .push(pkcs8_private_key(&plain).map_err(|_| PkiError::Passphrase)?);
            }
            oid::BAG_CERT => {
                let mut cb = Der::new(dw::only(value, SEQ).map_err(&bad)?);
                let kind = dw::oid(cb.expect(OID).map_err(&bad)?).map_err(&bad)?;
                if kind == oid::CERT_X509 {
                    let inner = dw::only(cb.expect(0xa0).map_err(&bad)?, OCTETS).map_err(&bad)?;
                    out.certs.push(Certificate::from_der(inner)?);
                }
            }
            // CRL, secret and nested bags carry nothing an SSH identity needs.
            _ => {}
        }
    }
    Ok(())
}

/// `EncryptedData ::= SEQUENCE { version, EncryptedContentInfo }`,
/// `EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm,
/// encryptedContent [0] IMPLICIT OCTET STRING }`.
fn encrypted_data(ed: &[u8], pass: &str) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let bad = mal("PKCS#12 EncryptedData");
    let mut d = Der::new(dw::only(ed, SEQ).map_err(&bad)?);
    d.expect(INT).map_err(&bad)?;
    let mut eci = Der::new(d.expect(SEQ).map_err(&bad)?);
    eci.expect(OID).map_err(&bad)?;
    let alg = eci.expect(SEQ).map_err(&bad)?;
    let data = eci.expect(0x80).map_err(&bad)?;
    Ok(pbe::decrypt(alg, pass, data)?)
}

impl Pkcs12 {
    /// Opens a DER PKCS#12 file with `passphrase`. A wrong passphrase (or an altered file)
    /// gives [`PkiError::Passphrase`].
    pub fn from_der(der: &[u8], passphrase: &str) -> Result<Self, PkiError> {
        if der.len() > MAX_PKCS12_BYTES {
            return Err(PkiError::malformed("PKCS#12 file too large"));
        }
        let bad = mal("PKCS#12 PFX");
        let mut pfx = Der::new(dw::only(der, SEQ).map_err(&bad)?);
        if dw::small_uint(pfx.expect(INT).map_err(&bad)?).map_err(&bad)? != 3 {
            return Err(PkiError::malformed("PKCS#12 version"));
        }
        let (t, content) = content_info(pfx.expect(SEQ).map_err(&bad)?)?;
        // Only password integrity mode (RFC 7292 §4): authSafe is `data`.
        if t != oid::PKCS7_DATA {
            return Err(PkiError::UnsupportedAlgorithm {
                oid: format!("PKCS#12 authSafe {t}"),
            });
        }
        let auth_safe = dw::only(content, OCTETS).map_err(&bad)?;
        if !pfx.is_empty() {
            check_mac(pfx.expect(SEQ).map_err(&bad)?, passphrase, auth_safe)?;
        }
        let mut bags = Bags {
            keys: Vec::new(),
            certs: Vec::new(),
            count: 0,
        };
        let mut list = Der::new(dw::only(auth_safe, SEQ).map_err(&bad)?);
        while !list.is_empty() {
            let (t, content) = content_info(list.expect(SEQ).map_err(&bad)?)?;
            match t {
                oid::PKCS7_DATA => {
                    let sc = dw::only(content, OCTETS).map_err(&bad)?;
                    safe_contents(sc, passphrase, &mut bags)?;
                }
                oid::PKCS7_ENCRYPTED_DATA => {
                    let sc = encrypted_data(content, passphrase)?;
                    safe_contents(&sc, passphrase, &mut bags).map_err(|e| match e {
                        // Garbage from a wrong key that unpadded by chance.
                        PkiError::Malformed { .. } => PkiError::Passphrase,
                        other => other,
                    })?;
                }
                other => {
                    return Err(PkiError::UnsupportedAlgorithm {
                        oid: format!("PKCS#12 content {other}"),
                    });
                }
            }
        }
        let key = bags.keys.into_iter().next();
        let mut chain = bags.certs;
        let certificate = key.as_ref().and_then(|k| {
            let public = k.public();
            let i = chain
                .iter()
                .position(|c| spki::engine_key(c.spki()).is_ok_and(|p| p == public))?;
            Some(chain.remove(i))
        });
        Ok(Pkcs12 {
            key,
            certificate,
            chain,
        })
    }

    /// The leaf certificate followed by the chain, as DER, for an [`super::X509Blob`].
    #[must_use]
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        self.certificate
            .iter()
            .chain(&self.chain)
            .filter(|c| !c.is_self_issued() || self.certificate.as_ref() == Some(*c))
            .map(|c| c.der().to_vec())
            .collect()
    }
}
