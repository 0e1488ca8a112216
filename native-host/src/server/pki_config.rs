//! X.509 in the device file, as IOS configures it:
//!
//! - `[[trustpoints]]`: IOS `crypto pki trustpoint NAME` — the CA certificates, `revocation-check`
//!   (`none`, CRL files, stapled OCSP), `authorization username subjectname commonname` (how a
//!   login name comes from a user certificate), and the device's own identity under it (key and
//!   certificate chain, as `enrollment` + `rsakeypair` leave them; optionally an OCSP response
//!   to staple).
//! - `[certificate_profile]`: IOS `ip ssh server certificate profile` — `server` /
//!   `trustpoint sign NAME` (the host certificate) and `user` / `trustpoint verify NAME...`
//!   (the CAs of user certificates).
//!
//! Parsing checks names and references; [`load`] reads the files into the engine's
//! [`CertifiedKey`] and [`Trustpoint`]s at start-up.

use crate::keyfile;
use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use sshgate::pki::{CertifiedKey, DnPattern, Revocation, Trustpoint, UsernameField};
use sshgate::pki::{MAX_OCSP_BYTES, load_certificates};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One `[[trustpoints]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustpointSection {
    /// The trustpoint's name (IOS `crypto pki trustpoint NAME`).
    pub name: String,
    /// CA certificate files (PEM, one or more certificates each): the trust anchors.
    #[serde(default)]
    pub ca_certificates: Vec<PathBuf>,
    /// IOS `revocation-check`: `none` (default), `crl`, `ocsp`, `ocsp-crl`.
    #[serde(default, deserialize_with = "revocation_mode")]
    pub revocation: Revocation,
    /// CRL files (PEM or DER) for `crl` / `ocsp-crl`.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// Accept a certificate whose status cannot be established (IOS `revocation-check crl none`).
    #[serde(default)]
    pub revocation_soft_fail: bool,
    /// IOS `authorization username subjectname ...`: which field is the login name.
    #[serde(default)]
    pub username: UsernameMap,
    /// A DN pattern the user certificate's subject must match (`O=Example,OU=*Admins`; the
    /// role of an IOS certificate map).
    #[serde(default)]
    pub subject_pattern: Option<String>,
    /// Also accept the TLS purposes (clientAuth / serverAuth) in the extended key usage.
    #[serde(default)]
    pub allow_tls_purposes: bool,
    /// Accept SHA-1 signed certificates (legacy).
    #[serde(default)]
    pub allow_sha1: bool,
    /// The device's private key under this trustpoint (IOS `rsakeypair`), for `trustpoint sign`.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The device's certificate chain (PEM, its own certificate first), for `trustpoint sign`.
    #[serde(default)]
    pub certificate_chain: Option<PathBuf>,
    /// A DER OCSP response for the device's certificate, stapled to the host key.
    #[serde(default)]
    pub ocsp_response: Option<PathBuf>,
}

/// `revocation = "..."`, by the engine's names for the IOS `revocation-check` modes.
fn revocation_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Revocation, D::Error> {
    let name = String::deserialize(d)?;
    Revocation::from_name(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "revocation {name:?} is not one of {}",
            Revocation::names()
        ))
    })
}

/// IOS `authorization username subjectname {commonname | email | ...}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsernameMap {
    /// The subject's common name (the default).
    #[default]
    Commonname,
    /// The first e-mail address (subjectAltName rfc822Name, then the DN's emailAddress).
    Email,
    /// The part of that address before `@`.
    EmailLocal,
    /// The first Microsoft UPN (subjectAltName otherName).
    Upn,
    /// The part of the UPN before `@`.
    UpnLocal,
    /// The whole subject DN (IOS `subjectname all`).
    Subject,
}

impl UsernameMap {
    fn field(self) -> UsernameField {
        match self {
            UsernameMap::Commonname => UsernameField::CommonName,
            UsernameMap::Email => UsernameField::Email,
            UsernameMap::EmailLocal => UsernameField::EmailLocalPart,
            UsernameMap::Upn => UsernameField::Upn,
            UsernameMap::UpnLocal => UsernameField::UpnLocalPart,
            UsernameMap::Subject => UsernameField::Subject,
        }
    }
}

/// `[certificate_profile]`: IOS `ip ssh server certificate profile`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateProfile {
    /// `server` / `trustpoint sign NAME`.
    #[serde(default)]
    pub server: Option<ServerProfile>,
    /// `user` / `trustpoint verify NAME`.
    #[serde(default)]
    pub user: Option<UserProfile>,
}

/// `[certificate_profile.server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerProfile {
    /// The trustpoint whose identity (key and chain) is the host certificate.
    pub trustpoint_sign: String,
}

/// `[certificate_profile.user]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserProfile {
    /// The trustpoints user certificates are verified against, tried in order.
    pub trustpoint_verify: Vec<String>,
}

/// How a login name comes from a certificate validated by one trustpoint.
#[derive(Debug, Clone)]
pub struct UserMapping {
    /// The trustpoint's name (for logs).
    pub trustpoint: String,
    /// Which field is the login name.
    pub field: UsernameField,
    /// The subject must match this, if set.
    pub subject_pattern: Option<DnPattern>,
}

/// What the X.509 settings load into.
#[derive(Debug, Default)]
pub struct LoadedPki {
    /// The host certificate, with the name of its trustpoint.
    pub host_certificate: Option<(String, Arc<CertifiedKey>)>,
    /// The user trustpoints, in `trustpoint_verify` order.
    pub user_trustpoints: Vec<Arc<Trustpoint>>,
    /// The username mapping of each user trustpoint (same order).
    pub user_mappings: Vec<UserMapping>,
}

fn find<'a>(
    tps: &'a [TrustpointSection],
    name: &str,
    what: &str,
) -> anyhow::Result<&'a TrustpointSection> {
    tps.iter()
        .find(|t| t.name == name)
        .ok_or_else(|| anyhow!("[certificate_profile] {what}: no [[trustpoints]] named {name:?}"))
}

/// Checks the tables against each other (files are read by [`load`]).
pub fn check(
    tps: &[TrustpointSection],
    profile: Option<&CertificateProfile>,
) -> anyhow::Result<()> {
    for (i, t) in tps.iter().enumerate() {
        let who = format!("[[trustpoints]] {:?}", t.name);
        if t.name.is_empty() || t.name.chars().any(char::is_whitespace) {
            bail!("[[trustpoints]] #{}: bad name {:?}", i + 1, t.name);
        }
        if tps[..i].iter().any(|o| o.name == t.name) {
            bail!("{who}: defined twice");
        }
        if let Some(p) = &t.subject_pattern
            && DnPattern::parse(p).is_none()
        {
            bail!("{who}: subject_pattern {p:?}: expected type=value terms, comma-separated");
        }
        if matches!(t.revocation, Revocation::Crl | Revocation::OcspThenCrl) && t.crls.is_empty() {
            bail!("{who}: revocation = crl needs crls = [...]");
        }
        if t.key.is_some() != t.certificate_chain.is_some() {
            bail!("{who}: key and certificate_chain go together");
        }
    }
    let Some(profile) = profile else {
        return Ok(());
    };
    if let Some(s) = &profile.server {
        let t = find(tps, &s.trustpoint_sign, "server trustpoint_sign")?;
        if t.key.is_none() {
            bail!(
                "[certificate_profile] server trustpoint_sign {:?}: that trustpoint has no key and \
                 certificate_chain",
                t.name
            );
        }
    }
    if let Some(u) = &profile.user {
        if u.trustpoint_verify.is_empty() {
            bail!("[certificate_profile] user trustpoint_verify: at least one trustpoint");
        }
        for name in &u.trustpoint_verify {
            let t = find(tps, name, "user trustpoint_verify")?;
            if t.ca_certificates.is_empty() {
                bail!("[[trustpoints]] {name:?}: trustpoint_verify needs ca_certificates");
            }
        }
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The engine's trustpoint for `t`: anchors, CRLs and policy.
fn trustpoint(t: &TrustpointSection) -> anyhow::Result<Trustpoint> {
    let who = |p: &Path| format!("[[trustpoints]] {:?}: {}", t.name, p.display());
    let mut tp = Trustpoint::default();
    for p in &t.ca_certificates {
        tp.add_anchors(&read(p)?)
            .map_err(|e| anyhow!("{}: {e}", who(p)))?;
    }
    for p in &t.crls {
        tp.add_crls(&read(p)?)
            .map_err(|e| anyhow!("{}: {e}", who(p)))?;
    }
    tp.policy.revocation = t.revocation;
    tp.policy.revocation_soft_fail = t.revocation_soft_fail;
    tp.policy.eku.allow_tls = t.allow_tls_purposes;
    tp.policy.allow_sha1 = t.allow_sha1;
    Ok(tp)
}

/// The device's identity under `t`: its key, chain and stapled OCSP response.
fn identity(t: &TrustpointSection) -> anyhow::Result<CertifiedKey> {
    let (Some(key), Some(chain)) = (&t.key, &t.certificate_chain) else {
        bail!("[[trustpoints]] {:?}: no key and certificate_chain", t.name);
    };
    let who = format!("[[trustpoints]] {:?}", t.name);
    let k = keyfile::read_private(key).with_context(|| format!("{who}: key"))?;
    let certs =
        load_certificates(&read(chain)?).map_err(|e| anyhow!("{who}: {}: {e}", chain.display()))?;
    let mut c = CertifiedKey::new(Arc::new(k), certs)
        .map_err(|e| anyhow!("{who}: {} with {}: {e}", key.display(), chain.display()))?;
    if let Some(p) = &t.ocsp_response {
        let der = read(p)?;
        if der.len() > MAX_OCSP_BYTES {
            bail!(
                "{who}: {}: larger than an OCSP response may be",
                p.display()
            );
        }
        c = c
            .with_ocsp_responses(vec![der])
            .map_err(|e| anyhow!("{who}: {e}"))?;
    }
    Ok(c)
}

/// Reads the files the profile uses.
pub fn load(
    tps: &[TrustpointSection],
    profile: Option<&CertificateProfile>,
) -> anyhow::Result<LoadedPki> {
    let mut out = LoadedPki::default();
    let Some(profile) = profile else {
        return Ok(out);
    };
    if let Some(s) = &profile.server {
        let t = find(tps, &s.trustpoint_sign, "server trustpoint_sign")?;
        let c = identity(t)?;
        // Clients will refuse a host certificate outside its validity: say so at start-up.
        let now = crate::wall_clock::unix_now();
        let leaf = c.leaf();
        if now < leaf.not_before() || now > leaf.not_after() {
            tracing::warn!(
                trustpoint = %t.name,
                subject = %leaf.subject(),
                "the host certificate is not valid now (not before {}, not after {}, Unix seconds)",
                leaf.not_before(),
                leaf.not_after()
            );
        }
        tracing::info!(
            trustpoint = %t.name,
            subject = %c.leaf().subject(),
            certificates = c.certificates().len(),
            ocsp_responses = c.ocsp_responses().len(),
            "host certificate"
        );
        out.host_certificate = Some((t.name.clone(), Arc::new(c)));
    }
    if let Some(u) = &profile.user {
        for name in &u.trustpoint_verify {
            let t = find(tps, name, "user trustpoint_verify")?;
            let tp = trustpoint(t)?;
            tracing::info!(trustpoint = %t.name, anchors = tp.anchors.len(), crls = tp.crls.len(),
                revocation = ?t.revocation, username = ?t.username, "user certificate trustpoint");
            out.user_trustpoints.push(Arc::new(tp));
            out.user_mappings.push(UserMapping {
                trustpoint: t.name.clone(),
                field: t.username.field(),
                subject_pattern: t.subject_pattern.as_deref().and_then(DnPattern::parse),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "pki_config_tests.rs"]
mod tests;
