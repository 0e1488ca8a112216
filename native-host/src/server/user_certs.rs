//! OpenSSH user certificates (PROTOCOL.certkeys), decided as sshd(8) does with
//! `TrustedUserCAKeys` and `AuthorizedPrincipalsFile`: the CA must be in `[server]
//! trusted_user_ca_keys` (or a `cert-authority` line of the user's authorized_keys, whose
//! `principals=` and options then apply too), the certificate a user certificate valid now (the system clock, no
//! slack, as sshd), one of its principals the user's name or, when the user has
//! `authorized_principals`, one of those; unknown critical options refuse it, `source-address`
//! must admit the client, `force-command` becomes the session's forced command and the
//! extensions say what the session may do (no PTY without `permit-pty`, no forwarding without
//! `permit-port-forwarding`). The engine has already parsed the certificate and verified the
//! request's signature with the certified key; this only decides, and logs in sshd's words.

use super::session_rules::SessionRules;
use super::users::UserEntry;
use anyhow::{Context, bail};
use sshgate::keys::PublicKey;
use sshgate::keys::authorized_keys::{AuthorizedKey, KeyOption};
use sshgate::keys::openssh_cert::{CertType, OpenSshCert};
use sshgate::keys::openssh_cert_check::{CertError, check};
use sshgate::userauth::AuthVerdict;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Most CA keys read from `trusted_user_ca_keys`.
const MAX_CAS: usize = 256;

/// Reads a `TrustedUserCAKeys` file: one OpenSSH public key a line (`type base64 [comment]`),
/// blank lines and `#` comments skipped. A line that is not a key stops serve at start
/// (sshd would skip it silently; a mistyped CA is better found at once).
pub fn load_cas(path: &Path) -> anyhow::Result<Vec<PublicKey>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("trusted_user_ca_keys {}", path.display()))?;
    let mut cas = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh_line(line).map_err(|e| {
            anyhow::anyhow!(
                "trusted_user_ca_keys {} line {}: {e}",
                path.display(),
                i + 1
            )
        })?;
        if cas.len() >= MAX_CAS {
            bail!(
                "trusted_user_ca_keys {}: more than {MAX_CAS} keys",
                path.display()
            );
        }
        cas.push(key);
    }
    if cas.is_empty() {
        bail!("trusted_user_ca_keys {}: no key", path.display());
    }
    Ok(cas)
}

/// One certificate request as the session knows it.
pub struct CertLogin<'a> {
    /// The client.
    pub peer: SocketAddr,
    /// The user name in the request.
    pub user: &'a str,
    /// A signed request (the engine verified the signature) rather than a query.
    pub signed: bool,
    /// Seconds since the epoch, from the system clock.
    pub now: u64,
}

/// The certificate as sshd's `Accepted publickey` line names it:
/// `ED25519-CERT SHA256:... ID key-id (serial N) CA ED25519 SHA256:...`.
#[must_use]
pub fn describe(cert: &OpenSshCert) -> String {
    let ca = cert.ca_key().map_or_else(
        |_| "(unreadable CA key)".to_string(),
        |k| format!("{} {}", short_type(k.key_type()), k.fingerprint_sha256()),
    );
    format!(
        "{}-CERT {} ID {} (serial {}) CA {ca}",
        short_type(cert.key.key_type()),
        cert.key.fingerprint_sha256(),
        super::auth::log_text(&cert.key_id),
        cert.serial
    )
}

/// OpenSSH's `sshkey_type` names (`ED25519`, `ECDSA`, `RSA`).
fn short_type(key_type: &str) -> &'static str {
    match key_type {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        "ssh-dss" => "DSA",
        t if t.starts_with("ecdsa-sha2-") => "ECDSA",
        t if t.starts_with("sk-ecdsa-") => "ECDSA-SK",
        t if t.starts_with("sk-ssh-ed25519") => "ED25519-SK",
        _ => "unknown",
    }
}

/// Decides a certificate request; returns the verdict and, when accepted, the session's rules.
#[must_use]
pub fn decide(
    req: &CertLogin<'_>,
    cert: &OpenSshCert,
    cas: &[PublicKey],
    users: &[UserEntry],
) -> (AuthVerdict, Option<SessionRules>) {
    let peer = req.peer;
    let user = super::auth::log_text(req.user);
    let what = describe(cert);
    match admit(req, cert, cas, users) {
        Ok(rules) => {
            if req.signed {
                // sshd's words: "Accepted publickey for USER from ADDR port N ssh2: ...".
                tracing::info!(%peer, %user,
                    "Accepted publickey for {user} from {} port {} ssh2: {what}",
                    peer.ip(), peer.port());
            }
            (AuthVerdict::Accept, Some(rules))
        }
        Err(why) => {
            tracing::info!(%peer, %user, "Certificate refused: {why}: {what}");
            (AuthVerdict::Reject, None)
        }
    }
}

/// Where the certificate's CA is trusted: `trusted_user_ca_keys`, or a `cert-authority` line
/// of the user's authorized_keys (with its options).
enum Trust {
    File,
    Line(Box<AuthorizedKey>),
}

/// The checks, in sshd's order; the error says why, in words for the log.
fn admit(
    req: &CertLogin<'_>,
    cert: &OpenSshCert,
    cas: &[PublicKey],
    users: &[UserEntry],
) -> Result<SessionRules, String> {
    // An unknown user is refused like a known one with no matching principal.
    let entry = users.iter().find(|u| u.name == req.user);
    let ca = cert
        .ca_key()
        .map_err(|e| format!("unreadable CA key: {e}"))?;
    let trust = if cas.contains(&ca) {
        Trust::File
    } else {
        // sshd: a `cert-authority` line for the CA in the user's own authorized_keys.
        let line = entry
            .into_iter()
            .flat_map(UserEntry::authorized)
            .find(|a| a.is_cert_authority() && a.key == ca);
        match line {
            Some(l) => Trust::Line(Box::new(l)),
            None => {
                return Err(
                    "CA is not listed in trusted_user_ca_keys or the user's authorized_keys".into(),
                );
            }
        }
    };
    let restrictions = check(
        cert,
        std::slice::from_ref(&ca),
        CertType::User,
        None,
        req.now,
    )
    .map_err(|e| match e {
        CertError::Expired => format!(
            "certificate not valid now (valid after {}, before {}, now {})",
            cert.valid_after, cert.valid_before, req.now
        ),
        e => e.to_string(),
    })?;
    let allowed = |list: &[String]| cert.principals.iter().any(|p| list.contains(p));
    let user = [req.user.to_string()];
    let principal_ok = entry.is_some_and(|u| match (&trust, &u.authorized_principals) {
        (Trust::File, Some(list)) => allowed(list),
        (Trust::File, None) => allowed(&user),
        (Trust::Line(l), _) => match line_principals(l) {
            Some(list) => allowed(&list),
            None => allowed(&user),
        },
    });
    if !principal_ok {
        return Err("no principal of the certificate is authorized for this user".into());
    }
    if let Some(list) = &restrictions.source_address {
        match source_allowed(list, req.peer.ip()) {
            Some(true) => {}
            Some(false) => {
                return Err(format!(
                    "source-address {} does not admit {}",
                    super::auth::log_text(list),
                    req.peer.ip()
                ));
            }
            None => return Err("invalid source-address".into()),
        }
    }
    let has = |name: &str| cert.extensions.iter().any(|(n, _)| n == name);
    let mut rules = SessionRules {
        forced_command: restrictions.force_command,
        pty: has("permit-pty"),
        port_forwarding: has("permit-port-forwarding"),
        permit_open: Vec::new(),
        permit_listen: Vec::new(),
    };
    if let Trust::Line(line) = &trust {
        rules = with_line(rules, line, req)?;
    }
    Ok(rules)
}

/// A `cert-authority` line's `principals="a,b"`, if it has one.
fn line_principals(line: &AuthorizedKey) -> Option<Vec<String>> {
    line.options.iter().find_map(|o| match o {
        KeyOption::Principals(p) => Some(p.split(',').map(str::to_string).collect()),
        _ => None,
    })
}

/// The certificate's rules narrowed by its `cert-authority` line, as sshd merges them: both
/// must allow a PTY or forwarding, `from=` and `expiry-time=` apply, and a `command=` that
/// differs from the certificate's `force-command` refuses it.
fn with_line(
    cert: SessionRules,
    line: &AuthorizedKey,
    req: &CertLogin<'_>,
) -> Result<SessionRules, String> {
    if !line.source_allowed(req.peer.ip()) {
        return Err("the cert-authority line's from= does not admit the client".into());
    }
    if line.expired_at(req.now) {
        return Err("the cert-authority line's expiry-time has passed".into());
    }
    let key = SessionRules::from_key(line);
    let forced_command = match (cert.forced_command, key.forced_command) {
        (Some(a), Some(b)) if a != b => {
            return Err("force-command differs from the cert-authority line's command=".into());
        }
        (a, b) => a.or(b),
    };
    Ok(SessionRules {
        forced_command,
        pty: cert.pty && key.pty,
        port_forwarding: cert.port_forwarding && key.port_forwarding,
        permit_open: key.permit_open,
        permit_listen: key.permit_listen,
    })
}

/// sshd's `addr_match_cidr_list`: whether `ip` is in one of the comma-separated blocks
/// (`a.b.c.d/n`, `x::/n`, or a bare address); `None` if the list is malformed, which refuses
/// the certificate.
#[must_use]
pub fn source_allowed(list: &str, ip: IpAddr) -> Option<bool> {
    // An IPv4 client seen through an IPv6 socket is matched as the IPv4 address it is.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let mut any = false;
    for block in list.split(',') {
        let (addr, bits) = match block.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u32>().ok()?)),
            None => (block, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let (net, width, mine) = match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (n.to_bits().into(), 32, Some(i.to_bits().into())),
            (IpAddr::V6(n), IpAddr::V6(i)) => (n.to_bits(), 128, Some(i.to_bits())),
            (IpAddr::V4(n), _) => (u128::from(n.to_bits()), 32, None),
            (IpAddr::V6(n), _) => (n.to_bits(), 128, None),
        };
        let bits = bits.unwrap_or(width);
        if bits > width {
            return None;
        }
        let all: u128 = if width == 128 { !0 } else { (1 << width) - 1 };
        let mask = if bits == 0 {
            0
        } else {
            (all << (width - bits)) & all
        };
        // Bits set past the prefix: OpenSSH refuses the list.
        if net & !mask & all != 0 {
            return None;
        }
        any |= mine.is_some_and(|m: u128| m & mask == net);
    }
    Some(any)
}

#[cfg(test)]
mod tests {
    use super::{load_cas, source_allowed};

    const CA: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl lab-ca";

    #[test]
    fn ca_files() {
        let dir = std::env::temp_dir().join(format!("sshgate-user-cas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ok = file("ok", &format!("# CAs\n\n{CA}\n  {CA}\n"));
        assert_eq!(load_cas(&ok).unwrap().len(), 2);
        let bad = file("bad", &format!("{CA}\nnot a key\n"));
        let e = load_cas(&bad).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let empty = file("empty", "# nothing\n");
        assert!(load_cas(&empty).unwrap_err().to_string().contains("no key"));
        assert!(load_cas(&dir.join("absent")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn source_address_lists() {
        let ip = |s: &str| s.parse().unwrap();
        assert_eq!(source_allowed("127.0.0.1", ip("127.0.0.1")), Some(true));
        assert_eq!(source_allowed("127.0.0.0/8", ip("127.9.9.9")), Some(true));
        assert_eq!(source_allowed("10.0.0.0/8,::1", ip("::1")), Some(true));
        assert_eq!(
            source_allowed("10.0.0.0/8", ip("::ffff:10.1.2.3")),
            Some(true)
        );
        assert_eq!(source_allowed("10.0.0.0/8", ip("127.0.0.1")), Some(false));
        assert_eq!(source_allowed("0.0.0.0/0", ip("192.0.2.1")), Some(true));
        assert_eq!(source_allowed("10.0.0.1/8", ip("10.0.0.1")), None);
        assert_eq!(source_allowed("10.0.0.0/33", ip("10.0.0.1")), None);
        assert_eq!(source_allowed("nonsense", ip("10.0.0.1")), None);
        assert_eq!(source_allowed("", ip("10.0.0.1")), None);
    }
}
