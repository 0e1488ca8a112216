//! The device's answer to a certificate login (RFC 6187 `x509v3-*` publickey): the engine has
//! validated the chain against the `trustpoint verify` trustpoints; this maps the certificate to
//! a login name (IOS `authorization username subjectname commonname`), checks it is an allowed
//! user, and logs each step in the words of the seed's `debug ip ssh detail` /
//! `debug crypto pki validation` trace, so an operator reads what a router would print.

use super::pki_config::UserMapping;
use super::users::UserEntry;
use sshgate::pki::{CertificateCheck, PkiError};
use sshgate::userauth::AuthVerdict;
use std::net::SocketAddr;

/// One certificate request as the session knows it.
pub struct CertRequest<'a> {
    /// The connection number (IOS `SSH2 <n>:`).
    pub number: u32,
    /// The client.
    pub peer: SocketAddr,
    /// The user name in the request.
    pub user: &'a str,
    /// A signed request (the engine verified the signature) rather than a query.
    pub signed: bool,
}

/// The login name from a valid certificate, or why there is none.
fn map_name(check: &CertificateCheck, mappings: &[UserMapping]) -> Result<String, String> {
    let v = check.validated().expect("called for a valid chain");
    let Some(m) = check.trustpoint.and_then(|i| mappings.get(i)) else {
        return Err("no trustpoint mapping for this certificate".into());
    };
    if let Some(p) = &m.subject_pattern
        && !v.identity.subject_matches(p)
    {
        return Err(format!(
            "Certificate subject {} does not match the subject pattern of trustpoint {}",
            v.identity.subject, m.trustpoint
        ));
    }
    match v.identity.username(&m.field) {
        Ok(name) => Ok(name),
        // The seed's wording, with the trustpoint named as IOS does.
        Err(e @ PkiError::UsernameFieldMissing) => Err(format!("{e} {}", m.trustpoint)),
        Err(e) => Err(e.to_string()),
    }
}

/// Decides `check` for `req`; returns the verdict and, when accepted, the login name taken from
/// the certificate.
pub fn decide(
    req: &CertRequest<'_>,
    check: &CertificateCheck,
    mappings: &[UserMapping],
    users: &[UserEntry],
) -> (AuthVerdict, Option<String>) {
    let n = req.number;
    let peer = req.peer;
    let user = req.user;
    // Names from the request and the certificate are the peer's text: escaped and cut.
    let shown = super::auth::log_text(user);
    tracing::info!(%peer, "SSH2 {n}: Received publickey algo = {}", check.alg);
    if req.signed {
        tracing::info!(%peer, "SSH2 {n}: Verifying signature for user '{shown}' in SSH2_MSG_USERAUTH_REQUEST");
    } else {
        tracing::info!(%peer, "SSH2 {n}: Verifying certificate for user '{shown}' in SSH2_MSG_USERAUTH_REQUEST");
    }
    tracing::info!(%peer, "SSH2 {n}: Verifying certificate for user '{shown}'");
    tracing::info!(%peer, "SSH2 {n}: Received a chain of {} certificate", check.certificates);
    tracing::info!(%peer, "SSH2 {n}: Received {} ocsp-response", check.ocsp_responses);
    tracing::info!(%peer, "SSH2 {n}: Starting PKI session for certificate verification");
    let reject = |why: &str| {
        tracing::warn!(%peer, "SSH2 {n}: {why}");
        tracing::warn!(%peer, "SSH2 {n}: Certificate authentication failed for user '{shown}'");
        (AuthVerdict::Reject, None)
    };
    if let Some(e) = check.refusal() {
        let subject = super::auth::log_text(check.subject.as_deref().unwrap_or("(unreadable)"));
        tracing::warn!(%peer, subject = %subject, "CRYPTO_PKI: {e}");
        return reject("Certificate verification failed");
    }
    let name = match map_name(check, mappings) {
        Ok(name) => name,
        Err(why) => return reject(&why),
    };
    if name != user {
        return reject(&format!(
            "User name '{shown}' does not match the certificate's '{}'",
            super::auth::log_text(&name)
        ));
    }
    if !users.iter().any(|u| u.name == name && u.certificate) {
        return reject(&format!(
            "User '{}' from the certificate is not an allowed user",
            super::auth::log_text(&name)
        ));
    }
    if req.signed {
        tracing::info!(%peer, "SSH2 {n}: Certificate status verified successfully");
        tracing::info!(%peer, "SSH2 {n}: Certificate authentication passed for user '{shown}'");
    } else {
        tracing::info!(%peer, "SSH2 {n}: Certificate status verified successfully");
    }
    (AuthVerdict::Accept, Some(name))
}
