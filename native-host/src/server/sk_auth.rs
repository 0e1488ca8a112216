//! serve's answer to a FIDO security key login: an `sk-ecdsa-sha2-nistp256@openssh.com` key
//! signed by a hardware key through OpenSSH (plain signature) or by a browser's WebAuthn API
//! (`webauthn-sk-ecdsa-sha2-nistp256@openssh.com`). The engine has verified the signature; this
//! decides as sshd's `userauth_pubkey` does: the key must be on one of the user's
//! authorized_keys lines that admits the client (`from=`, `expiry-time=`, not a
//! `cert-authority`), and a signature must say the user touched the key unless that line says
//! `no-touch-required`, and that the authenticator verified the user (PIN, biometrics) if it
//! says `verify-required`. Refusals are logged in sshd's words.

use super::session_rules::SessionRules;
use super::users::UserEntry;
use sshgate::keys::PublicKey;
use sshgate::keys::SkVerified;
use sshgate::keys::authorized_keys::{AuthorizedKey, KeyOption};
use sshgate::userauth::AuthVerdict;
use sshgate::{Connection, Error};
use std::net::IpAddr;

/// One security key request as the session knows it.
pub struct SkRequest<'a> {
    /// The request to answer.
    pub id: u64,
    /// The user name asked for.
    pub user: &'a str,
    /// The client's address.
    pub peer: IpAddr,
    /// The key (its application is the relying party it is bound to).
    pub key: &'a PublicKey,
    /// What the verified signature reported, or `None` for a query.
    pub signature: Option<&'a SkVerified>,
}

/// The first authorized_keys line of `entry` for `key` that admits `peer` at `unix_secs`.
fn admitting_line(
    entry: &UserEntry,
    key: &PublicKey,
    peer: IpAddr,
    unix_secs: u64,
) -> Option<AuthorizedKey> {
    entry.authorized().into_iter().find(|a| {
        a.key == *key
            && !a.is_cert_authority()
            && a.source_allowed(peer)
            && !a.expired_at(unix_secs)
    })
}

/// Why a verified signature does not satisfy `line`, in sshd's words, or `None`.
#[must_use]
pub fn unmet_requirement(line: &AuthorizedKey, sig: &SkVerified) -> Option<&'static str> {
    let has = |o: &KeyOption| line.options.contains(o);
    if !has(&KeyOption::NoTouchRequired) && !sig.user_present() {
        return Some("user presence (authenticator touch) requirement not met");
    }
    if has(&KeyOption::VerifyRequired) && !sig.user_verified() {
        return Some("user verification requirement not met");
    }
    None
}

/// Decides `req` for `entry` (`None`: an unknown user, refused like a key not listed); on an
/// accepted signature, records what the line allows in `rules`.
pub fn answer(
    conn: &mut Connection,
    req: &SkRequest<'_>,
    entry: Option<&UserEntry>,
    rules: &mut Option<SessionRules>,
) -> Result<(), Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let line = entry.and_then(|u| admitting_line(u, req.key, req.peer, now));
    let verdict = match (line, req.signature) {
        (None, _) => AuthVerdict::Reject,
        (Some(_), None) => AuthVerdict::Accept,
        (Some(line), Some(sig)) => decide_signed(req, &line, sig, rules),
    };
    conn.answer_auth(req.id, verdict)
}

fn decide_signed(
    req: &SkRequest<'_>,
    line: &AuthorizedKey,
    sig: &SkVerified,
    rules: &mut Option<SessionRules>,
) -> AuthVerdict {
    let peer = req.peer;
    let user = super::auth::log_text(req.user);
    let fingerprint = req.key.fingerprint_sha256();
    // The origin is the browser's word about which page asked; kept for the record.
    let origin = sig
        .webauthn_origin
        .as_deref()
        .map_or_else(String::new, super::auth::log_text);
    if let Some(why) = unmet_requirement(line, sig) {
        tracing::warn!(
            %peer, %user, %origin, flags = sig.flags,
            "public key ECDSA-SK {fingerprint} signature for {user} from {peer} rejected: {why}"
        );
        return AuthVerdict::Reject;
    }
    tracing::info!(
        %peer, %user, %origin, flags = sig.flags, counter = sig.counter,
        application = %super::auth::log_text(req.key.security_key_application().unwrap_or("")),
        "Accepted publickey for {user} from {peer}: ECDSA-SK {fingerprint}{}",
        if sig.webauthn_origin.is_some() { " (webauthn)" } else { "" }
    );
    *rules = Some(SessionRules::from_key(line));
    AuthVerdict::Accept
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfUAAAAJbG9jYWxob3N0";

    fn line(options: &str) -> AuthorizedKey {
        AuthorizedKey::parse(format!("{options} {KEY}").trim_start()).unwrap()
    }

    fn sig(flags: u8) -> SkVerified {
        SkVerified {
            flags,
            counter: 1,
            webauthn_origin: None,
        }
    }

    #[test]
    fn presence_and_verification_as_sshd_requires() {
        let plain = line("");
        assert!(unmet_requirement(&plain, &sig(0x01)).is_none());
        assert!(unmet_requirement(&plain, &sig(0x05)).is_none());
        assert!(
            unmet_requirement(&plain, &sig(0x04))
                .unwrap()
                .contains("presence")
        );
        let no_touch = line("no-touch-required");
        assert!(unmet_requirement(&no_touch, &sig(0x00)).is_none());
        let verify = line("verify-required");
        assert!(
            unmet_requirement(&verify, &sig(0x01))
                .unwrap()
                .contains("verification")
        );
        assert!(unmet_requirement(&verify, &sig(0x05)).is_none());
        let both = line("no-touch-required,verify-required");
        assert!(unmet_requirement(&both, &sig(0x04)).is_none());
        assert!(unmet_requirement(&both, &sig(0x00)).is_some());
    }
}
