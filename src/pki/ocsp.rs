//! Stapled OCSP responses (RFC 6960), as an RFC 6187 §2.1 key blob carries them.
//!
//! RustCrypto's `x509-ocsp` is still on the der 0.7 generation, so the few structures needed are
//! read here with a small strict DER walker; certificates, names, times and algorithm
//! identifiers inside are handed to `der`/`x509-cert`.
//!
//! A response is accepted for a certificate when (RFC 6960 §3.2, §4.2.2.2): it is `successful`
//! and `id-pkix-ocsp-basic`; a SingleResponse's CertID names the certificate (issuer name hash,
//! issuer key hash, serial); it is signed by the issuer itself or by a responder certificate in
//! the response that the issuer signed and that carries `id-kp-OCSPSigning`; and
//! thisUpdate ≤ now ≤ nextUpdate.

use super::cert::tbs_range;
use super::checks;
use super::dw::{Der, SEQ};
use super::policy::Policy;
use super::sig;
use super::spki::{self, IssuerKey};
use super::{CertName, Certificate, oid};
use crate::crypto::HashAlg;
use der::Decode;
use der::asn1::{GeneralizedTime, ObjectIdentifier};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Largest OCSP response accepted.
pub const MAX_OCSP_BYTES: usize = 64 * 1024;

/// Most SingleResponses read from one response.
const MAX_SINGLE_RESPONSES: usize = 64;

/// Most responder certificates read from one response.
const MAX_RESPONDER_CERTS: usize = 4;

/// The `Err` of [`status`] for a response about other certificates.
pub(crate) const NOT_FOR_THIS: &str = "OCSP response is for another certificate";

/// A certificate's status as a responder reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OcspStatus {
    Good,
    Revoked,
    Unknown,
}

const MALFORMED: &str = super::dw::MALFORMED;

fn time(tlv: &[u8]) -> Result<u64, &'static str> {
    GeneralizedTime::from_der(tlv)
        .map(|t| t.to_unix_duration().as_secs())
        .map_err(|_| MALFORMED)
}

fn hash_of(alg_tlv: &[u8]) -> Result<HashAlg, &'static str> {
    let a = AlgorithmIdentifierOwned::from_der(alg_tlv).map_err(|_| MALFORMED)?;
    match a.oid {
        oid::SHA1 => Ok(HashAlg::Sha1),
        oid::SHA256 => Ok(HashAlg::Sha256),
        oid::SHA384 => Ok(HashAlg::Sha384),
        oid::SHA512 => Ok(HashAlg::Sha512),
        _ => Err("OCSP CertID hash algorithm unsupported"),
    }
}

fn key_bits(cert: &Certificate) -> &[u8] {
    cert.spki().subject_public_key.raw_bytes()
}

/// The parts of a BasicOCSPResponse the checks need.
struct Basic<'a> {
    tbs: &'a [u8],
    alg: AlgorithmIdentifierOwned,
    signature: &'a [u8],
    certs: Vec<&'a [u8]>,
}

fn basic(resp: &[u8]) -> Result<Basic<'_>, &'static str> {
    if resp.len() > MAX_OCSP_BYTES {
        return Err("OCSP response too large");
    }
    let mut outer = Der::new(Der::new(resp).expect(SEQ)?);
    // responseStatus ENUMERATED: 0 = successful (RFC 6960 §4.2.1).
    if outer.expect(0x0a)? != [0] {
        return Err("OCSP response status is not successful");
    }
    let mut rb = Der::new(Der::new(outer.expect(0xa0)?).expect(SEQ)?);
    let rtype = ObjectIdentifier::from_bytes(rb.expect(0x06)?).map_err(|_| MALFORMED)?;
    if rtype != oid::OCSP_BASIC {
        return Err("OCSP response type is not id-pkix-ocsp-basic");
    }
    let body = rb.expect(0x04)?;
    let range = tbs_range(body).ok_or(MALFORMED)?;
    let mut b = Der::new(Der::new(body).expect(SEQ)?);
    let tbs = b.expect_tlv(SEQ)?;
    if tbs != &body[range] {
        return Err(MALFORMED);
    }
    let alg = AlgorithmIdentifierOwned::from_der(b.expect_tlv(SEQ)?).map_err(|_| MALFORMED)?;
    let signature = match b.expect(0x03)? {
        [0, s @ ..] => s,
        _ => return Err(MALFORMED),
    };
    let mut certs = Vec::new();
    if b.peek_tag() == Some(0xa0) {
        let mut list = Der::new(Der::new(b.expect(0xa0)?).expect(SEQ)?);
        while !list.is_empty() {
            if certs.len() == MAX_RESPONDER_CERTS {
                return Err("too many OCSP responder certificates");
            }
            certs.push(list.expect_tlv(SEQ)?);
        }
    }
    Ok(Basic {
        tbs,
        alg,
        signature,
        certs,
    })
}

/// Whether the responder ID (`[1] Name` or `[2] KeyHash`) names `cert`.
fn responder_is(id: (u8, &[u8]), cert: &Certificate) -> bool {
    match id {
        (0xa1, name) => name == cert.subject_der(),
        (0xa2, kh) => Der::new(kh)
            .expect(0x04)
            .is_ok_and(|h| h == HashAlg::Sha1.digest(key_bits(cert))),
        _ => false,
    }
}

/// The key that signed the response: the issuer's, or an authorized delegated responder's.
fn signer_key(
    id: (u8, &[u8]),
    basic: &Basic<'_>,
    issuer: &Certificate,
    issuer_key: &IssuerKey,
    policy: &Policy,
    now: u64,
) -> Result<IssuerKey, &'static str> {
    if responder_is(id, issuer) {
        return Ok(issuer_key.clone());
    }
    for der in &basic.certs {
        let Ok(c) = Certificate::from_der(der) else {
            continue;
        };
        if !responder_is(id, &c) {
            continue;
        }
        // RFC 6960 §4.2.2.2: the delegated responder is issued directly by the CA that issued
        // the certificate in question and carries id-kp-OCSPSigning.
        let signed = c.issuer_der() == issuer.subject_der()
            && checks::sig_alg(c.x509().signature_algorithm(), || name(&c), policy).is_ok_and(
                |a| {
                    c.x509()
                        .signature()
                        .as_bytes()
                        .is_some_and(|s| sig::verify(issuer_key, a, c.tbs_der(), s))
                },
            );
        let eku = c
            .exts
            .eku
            .as_ref()
            .is_some_and(|l| l.contains(&oid::KP_OCSP_SIGNING));
        if !signed || !eku || checks::own(&c, 1, now).is_err() {
            return Err("OCSP responder not authorized by the issuer");
        }
        return spki::issuer_key(c.spki()).map_err(|_| "OCSP responder key unusable");
    }
    Err("OCSP responder not found")
}

fn name(c: &Certificate) -> CertName {
    CertName {
        depth: 1,
        subject: format!("OCSP responder {}", c.subject()),
    }
}

/// The status `resp` gives `cert` (issued by `issuer`). `Err(NOT_FOR_THIS)` if the response
/// does not cover it; other `Err`s say why an applicable response is unusable.
pub(crate) fn status(
    resp: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    issuer_key: &IssuerKey,
    policy: &Policy,
    now: u64,
) -> Result<OcspStatus, &'static str> {
    let basic = basic(resp)?;
    let mut rd = Der::new(Der::new(basic.tbs).expect(SEQ)?);
    if rd.peek_tag() == Some(0xa0) {
        // version [0] EXPLICIT INTEGER: only v1 (0) exists.
        if Der::new(rd.expect(0xa0)?).expect(0x02)? != [0] {
            return Err("OCSP response version");
        }
    }
    let (id_tag, id_val, _) = rd.next()?;
    let _produced_at = time(rd.expect_tlv(0x18)?)?;
    let mut responses = Der::new(rd.expect(SEQ)?);
    let mut found = None;
    let mut n = 0;
    while !responses.is_empty() {
        n += 1;
        if n > MAX_SINGLE_RESPONSES {
            return Err("too many OCSP single responses");
        }
        let mut single = Der::new(responses.expect(SEQ)?);
        let mut id = Der::new(single.expect(SEQ)?);
        let hash = hash_of(id.expect_tlv(SEQ)?)?;
        let name_hash = id.expect(0x04)?;
        let key_hash = id.expect(0x04)?;
        let serial = id.expect(0x02)?;
        if name_hash != hash.digest(cert.issuer_der())
            || key_hash != hash.digest(key_bits(issuer))
            || serial != cert.serial()
        {
            continue;
        }
        let status = match single.next()? {
            (0x80, [], _) => OcspStatus::Good,
            (0xa1, _, _) => OcspStatus::Revoked,
            (0x82, [], _) => OcspStatus::Unknown,
            _ => return Err(MALFORMED),
        };
        let this_update = time(single.expect_tlv(0x18)?)?;
        let next_update = if single.peek_tag() == Some(0xa0) {
            Some(time(Der::new(single.expect(0xa0)?).expect_tlv(0x18)?)?)
        } else {
            None
        };
        found = Some((status, this_update, next_update));
        break;
    }
    let Some((status, this_update, next_update)) = found else {
        return Err(NOT_FOR_THIS);
    };
    let key = signer_key((id_tag, id_val), &basic, issuer, issuer_key, policy, now)?;
    let alg = checks::sig_alg(&basic.alg, || name(issuer), policy)
        .map_err(|_| "OCSP response signed with a weak or unsupported algorithm")?;
    if !sig::verify(&key, alg, basic.tbs, basic.signature) {
        return Err("OCSP response signature does not verify");
    }
    // RFC 6960 §3.2 (4)–(5): thisUpdate sufficiently recent, nextUpdate (if set) not passed.
    if this_update > now.saturating_add(policy.ocsp_clock_skew) {
        return Err("OCSP response is not yet valid");
    }
    let expired = match next_update {
        Some(n) => n.saturating_add(policy.ocsp_clock_skew) < now,
        None => this_update.saturating_add(policy.ocsp_max_age) < now,
    };
    if expired {
        return Err("OCSP response is stale");
    }
    Ok(status)
}
