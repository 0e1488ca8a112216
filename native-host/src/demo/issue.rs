//! Writing the dev CA's certificates with x509-cert's builder: a self-signed root, the device's
//! host certificate and the demo user's certificate, all P-256 (`x509v3-ecdsa-sha2-nistp256`,
//! which the engine offers natively and in the browser's wasm build).
//!
//! The builder's stock profiles are the CA/Browser Forum's TLS ones; SSH certificates (RFC 6187
//! §2.2) want their own key purposes, so [`Profile`] lists exactly the extensions each kind gets.
//! The OS supplies the randomness (keys, serial numbers) and the clock; the engine only reads and
//! verifies certificates.

use anyhow::{Context, anyhow};
use der::asn1::{Ia5String, OctetString};
use der::{DateTime, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

/// RFC 6187 §2.2.2 id-kp-secureShellClient.
const KP_SSH_CLIENT: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.21");
/// RFC 6187 §2.2.2 id-kp-secureShellServer.
const KP_SSH_SERVER: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.22");

/// How long the root lasts: a dev CA outlives many demos.
pub const ROOT_DAYS: u64 = 3650;
/// How long the device and user certificates last; an expired one is reissued at start-up.
pub const LEAF_DAYS: u64 = 397;
/// notBefore is set this far back, so a client whose clock is a little behind still accepts.
const BACKDATE: Duration = Duration::from_secs(3600);

/// What a certificate is for.
pub enum Kind {
    /// The self-signed root: CA, signs certificates and CRLs.
    Root,
    /// An SSH server's host certificate valid for these DNS names and addresses.
    Server {
        /// subjectAltName dNSName entries.
        dns: Vec<String>,
        /// subjectAltName iPAddress entries.
        ips: Vec<IpAddr>,
    },
    /// An SSH user's certificate (the login name is the subject's CN).
    Client,
}

/// The builder profile: subject, issuer and the extensions of [`Kind`].
struct Profile {
    subject: Name,
    issuer: Name,
    kind: Kind,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut out: Vec<Extension> = Vec::new();
        let subject = tbs.subject();
        // Key identifiers (SHA-1 of the key, RFC 5280 §4.2.1.2 method 1) let path building pick
        // the right issuer if the CA is ever re-keyed.
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        let aki = AuthorityKeyIdentifier::try_from(issuer_spk)?;
        let ca = matches!(self.kind, Kind::Root);
        // pathLen 0: the dev CA signs end entities only, so no intermediate can be slipped in.
        out.push(
            BasicConstraints {
                ca,
                path_len_constraint: ca.then_some(0),
            }
            .to_extension(subject, &out)?,
        );
        let usage = if ca {
            KeyUsages::KeyCertSign | KeyUsages::CRLSign
        } else {
            KeyUsages::DigitalSignature.into()
        };
        out.push(KeyUsage(usage).to_extension(subject, &out)?);
        match &self.kind {
            Kind::Root => {}
            Kind::Server { dns, ips } => {
                out.push(ExtendedKeyUsage(vec![KP_SSH_SERVER]).to_extension(subject, &out)?);
                let mut names = Vec::new();
                for d in dns {
                    names.push(GeneralName::DnsName(Ia5String::new(d)?));
                }
                for ip in ips {
                    let bytes = match ip {
                        IpAddr::V4(a) => a.octets().to_vec(),
                        IpAddr::V6(a) => a.octets().to_vec(),
                    };
                    names.push(GeneralName::IpAddress(OctetString::new(bytes)?));
                }
                out.push(SubjectAltName(names).to_extension(subject, &out)?);
            }
            Kind::Client => {
                out.push(ExtendedKeyUsage(vec![KP_SSH_CLIENT]).to_extension(subject, &out)?);
            }
        }
        out.push(ski.to_extension(subject, &out)?);
        if !ca {
            out.push(aki.to_extension(subject, &out)?);
        }
        Ok(out)
    }
}

/// A fresh P-256 key from the OS random number generator.
pub fn new_key() -> anyhow::Result<SigningKey> {
    loop {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| anyhow!("OS random number generator: {e}"))?;
        // Zero or at least the group order (probability ~2^-32) is not a scalar: draw again.
        if let Ok(k) = SigningKey::from_slice(&b) {
            zeroize::Zeroize::zeroize(&mut b);
            return Ok(k);
        }
    }
}

/// A positive 128-bit random serial (RFC 5280 §4.1.2.2: at most 20 octets, positive; CABF asks
/// for 64 random bits, so a re-issued certificate never repeats a serial).
fn serial() -> anyhow::Result<SerialNumber> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| anyhow!("OS random number generator: {e}"))?;
    b[0] = (b[0] & 0x7f) | 0x01;
    SerialNumber::new(&b).map_err(|e| anyhow!("serial number: {e}"))
}

fn time(unix: u64) -> anyhow::Result<Time> {
    let dt = DateTime::from_unix_duration(Duration::from_secs(unix))
        .map_err(|e| anyhow!("certificate time: {e}"))?;
    Ok(Time::from(dt))
}

/// Parses an RFC 4514 name such as `CN=lab,O=sshgate demo`.
pub fn name(dn: &str) -> anyhow::Result<Name> {
    Name::from_str(dn).map_err(|e| anyhow!("distinguished name {dn:?}: {e}"))
}

/// Issues a certificate for `key` with `subject`, signed by `issuer_key` under `issuer` (the
/// root signs itself: same name, same key), valid from now (less [`BACKDATE`]) for `days`.
/// Returns the DER.
pub fn issue(
    kind: Kind,
    subject: &str,
    key: &p256::ecdsa::VerifyingKey,
    issuer: &str,
    issuer_key: &SigningKey,
    days: u64,
) -> anyhow::Result<Vec<u8>> {
    let now = crate::wall_clock::unix_now();
    let validity = Validity::new(
        time(now.saturating_sub(BACKDATE.as_secs()))?,
        time(now + days * 86_400)?,
    );
    let spki = SubjectPublicKeyInfo::from_key(key).map_err(|e| anyhow!("public key: {e}"))?;
    let profile = Profile {
        subject: name(subject)?,
        issuer: name(issuer)?,
        kind,
    };
    let builder = CertificateBuilder::new(profile, serial()?, validity, spki)
        .map_err(|e| anyhow!("certificate for {subject}: {e}"))?;
    let cert = builder
        .build::<_, DerSignature>(issuer_key)
        .map_err(|e| anyhow!("signing the certificate for {subject}: {e}"))?;
    cert.to_der().context("encoding a certificate")
}
