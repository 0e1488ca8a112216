//! Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)–(c)): DNS names, e-mail addresses, IP
//! addresses and directory names of every certificate below a constraining CA must lie inside its
//! permitted subtrees (of that name type, where it has any) and outside its excluded subtrees.

use super::names::attributes;
use super::{CertName, Certificate, PkiError, oid};
use der::Encode;
use x509_cert::ext::pkix::constraints::NameConstraints;
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;

/// A name of a certificate, as the constraints see it.
enum Subject<'a> {
    Dns(String),
    Email(String),
    Ip(&'a [u8]),
    Dir(Vec<Vec<u8>>),
    /// A name type this implementation cannot check (URI, otherName, ...): refused only if the
    /// CA constrains that type.
    Other(u8),
}

fn kind(g: &GeneralName) -> u8 {
    match g {
        GeneralName::OtherName(_) => 0,
        GeneralName::Rfc822Name(_) => 1,
        GeneralName::DnsName(_) => 2,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EdiPartyName(_) => 5,
        GeneralName::UniformResourceIdentifier(_) => 6,
        GeneralName::IpAddress(_) => 7,
        GeneralName::RegisteredId(_) => 8,
    }
}

fn rdns(name: &x509_cert::name::Name) -> Vec<Vec<u8>> {
    name.as_ref()
        .iter()
        .map(|r| r.to_der().unwrap_or_default())
        .collect()
}

fn subjects(cert: &Certificate) -> Vec<(Subject<'_>, u8)> {
    let mut v = Vec::new();
    let subject = cert.x509().tbs_certificate().subject();
    if !subject.is_empty() {
        v.push((Subject::Dir(rdns(subject)), 4));
    }
    // RFC 5280 §4.2.1.10: legacy emailAddress attributes in the subject are rfc822Names too.
    for (o, text) in attributes(subject) {
        if o == oid::AT_EMAIL_ADDRESS {
            v.push((Subject::Email(text.to_ascii_lowercase()), 1));
        }
    }
    for g in cert.exts.san.iter().flatten() {
        let s = match g {
            GeneralName::DnsName(d) => Subject::Dns(d.as_str().to_ascii_lowercase()),
            GeneralName::Rfc822Name(e) => Subject::Email(e.as_str().to_ascii_lowercase()),
            GeneralName::IpAddress(ip) => Subject::Ip(ip.as_bytes()),
            GeneralName::DirectoryName(n) => Subject::Dir(rdns(n)),
            other => Subject::Other(kind(other)),
        };
        v.push((s, kind(g)));
    }
    v
}

/// `name` equals `domain` or is a subdomain of it; a constraint with a leading dot
/// (`.example.com`, the OpenSSL form) matches subdomains only.
fn dns_within(name: &str, constraint: &str) -> bool {
    let name = name.trim_end_matches('.');
    let c = constraint.trim_end_matches('.').to_ascii_lowercase();
    if c.is_empty() {
        return true;
    }
    if let Some(sub) = c.strip_prefix('.') {
        return name.len() > sub.len() && name.ends_with(&c);
    }
    name == c
        || (name.len() > c.len()
            && name.ends_with(&c)
            && name.as_bytes()[name.len() - c.len() - 1] == b'.')
}

/// A wildcard `*.rest` could stand for a name in the excluded `constraint` when `rest` is inside
/// it, or when the constraint is exactly one label below `rest`.
fn wildcard_may_hit(name: &str, constraint: &str) -> bool {
    let Some(rest) = name.strip_prefix("*.") else {
        return false;
    };
    let c = constraint.trim_start_matches('.').to_ascii_lowercase();
    dns_within(rest, &c)
        || c.strip_suffix(rest)
            .and_then(|p| p.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.'))
}

/// A (possibly wildcard) DNS name against a subtree: for a permitted subtree every name the
/// wildcard stands for must be inside; for an excluded one, any of them being inside is a hit.
fn dns_match(name: &str, constraint: &str, excluded: bool) -> bool {
    match name.strip_prefix("*.") {
        None => dns_within(name, constraint),
        Some(rest) => {
            let parent = constraint
                .trim_start_matches('.')
                .eq_ignore_ascii_case(rest);
            dns_within(rest, constraint)
                || parent
                || (excluded && wildcard_may_hit(name, constraint))
        }
    }
}

/// RFC 5280 §4.2.1.10: a mailbox constraint matches that address; a host matches every mailbox
/// on it; a leading dot matches every mailbox in its subdomains.
fn email_within(addr: &str, constraint: &str) -> bool {
    let c = constraint.to_ascii_lowercase();
    if c.contains('@') {
        return addr == c;
    }
    let Some((_, host)) = addr.rsplit_once('@') else {
        return false;
    };
    if c.starts_with('.') {
        dns_within(host, &c)
    } else {
        host == c
    }
}

fn ip_within(ip: &[u8], constraint: &[u8]) -> bool {
    if constraint.len() != 2 * ip.len() {
        return false;
    }
    let (addr, mask) = constraint.split_at(ip.len());
    ip.iter()
        .zip(addr)
        .zip(mask)
        .all(|((i, a), m)| i & m == a & m)
}

/// `Some(true)` inside, `Some(false)` outside, `None` if the subtree is of another name type.
fn within(s: &Subject<'_>, t: &GeneralSubtree, excluded: bool) -> Option<bool> {
    Some(match (s, &t.base) {
        (Subject::Dns(n), GeneralName::DnsName(c)) => dns_match(n, c.as_str(), excluded),
        (Subject::Email(n), GeneralName::Rfc822Name(c)) => email_within(n, c.as_str()),
        (Subject::Ip(n), GeneralName::IpAddress(c)) => ip_within(n, c.as_bytes()),
        (Subject::Dir(n), GeneralName::DirectoryName(c)) => {
            let c = rdns(c);
            c.len() <= n.len() && n[..c.len()] == c[..]
        }
        (Subject::Other(k), b) if *k == kind(b) => !excluded,
        _ => return None,
    })
}

fn text(s: &Subject<'_>) -> String {
    match s {
        Subject::Dns(d) => format!("DNS:{d}"),
        Subject::Email(e) => format!("email:{e}"),
        Subject::Ip(ip) => match ip.len() {
            4 => format!(
                "IP:{}",
                core::net::Ipv4Addr::from([ip[0], ip[1], ip[2], ip[3]])
            ),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(ip);
                format!("IP:{}", core::net::Ipv6Addr::from(a))
            }
            _ => "IP:(malformed)".into(),
        },
        Subject::Dir(_) => "DirName".into(),
        Subject::Other(k) => format!("GeneralName[{k}]"),
    }
}

/// Checks `cert` (at `depth`) against the constraints `nc` of a CA above it.
pub(crate) fn check(
    cert: &Certificate,
    depth: usize,
    nc: &NameConstraints,
) -> Result<(), PkiError> {
    let violation = |s: &Subject<'_>| PkiError::NameConstraintViolation {
        which: CertName {
            depth,
            subject: cert.subject().to_owned(),
        },
        name: text(s),
    };
    for t in nc
        .permitted_subtrees
        .iter()
        .chain(&nc.excluded_subtrees)
        .flatten()
    {
        // RFC 5280 §4.2.1.10: "minimum MUST be zero, and maximum MUST be absent".
        if t.minimum != 0 || t.maximum.is_some() {
            return Err(PkiError::malformed("nameConstraints minimum/maximum"));
        }
    }
    for (s, k) in subjects(cert) {
        if let Some(permitted) = &nc.permitted_subtrees {
            let of_type: Vec<_> = permitted.iter().filter(|t| kind(&t.base) == k).collect();
            if !of_type.is_empty() && !of_type.iter().any(|t| within(&s, t, false) == Some(true)) {
                return Err(violation(&s));
            }
        }
        if let Some(excluded) = &nc.excluded_subtrees
            && excluded.iter().any(|t| within(&s, t, true) == Some(true))
        {
            return Err(violation(&s));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(dns_within("a.example.com", ".example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(wildcard_may_hit("*.example.com", "bad.example.com"));
        assert!(!wildcard_may_hit("*.example.com", "a.bad.example.com"));
    }

    #[test]
    fn email_and_ip_subtrees() {
        assert!(email_within("a@example.com", "example.com"));
        assert!(!email_within("a@x.example.com", "example.com"));
        assert!(email_within("a@x.example.com", ".example.com"));
        assert!(email_within("a@example.com", "a@example.com"));
        assert!(ip_within(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_within(&[11, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_within(&[10, 1, 2, 3], &[0; 32]));
    }
}
