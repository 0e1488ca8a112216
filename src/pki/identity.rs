//! Who a certificate names: common names, e-mail addresses, UPNs, DNS names and IP addresses;
//! the login name an application derives from them (IOS `authorization username subjectname
//! commonname` is the default), and the host name check a client makes on a server's
//! certificate (RFC 6125 §6.4: subjectAltName first, the CN only without one).

use super::names::{DnPattern, attributes, dn_string};
use super::{Certificate, PkiError, oid};
use core::net::IpAddr;
use der::asn1::{Any, Utf8StringRef};
use x509_cert::ext::pkix::name::GeneralName;

/// The names in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The subject DN (RFC 4514).
    pub subject: String,
    /// The subject's commonName values, most specific last (as encoded).
    pub common_names: Vec<String>,
    /// subjectAltName rfc822Name values, then any subject emailAddress attributes.
    pub emails: Vec<String>,
    /// Microsoft UPNs (subjectAltName otherName 1.3.6.1.4.1.311.20.2.3).
    pub upns: Vec<String>,
    /// subjectAltName dNSName values.
    pub dns_names: Vec<String>,
    /// subjectAltName iPAddress values.
    pub ip_addresses: Vec<IpAddr>,
    /// The serial number in upper-case hex.
    pub serial: String,
    subject_name: x509_cert::name::Name,
}

/// Which field of the certificate is the login name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UsernameField {
    /// The (last) commonName of the subject (IOS `subjectname commonname`, the default).
    #[default]
    CommonName,
    /// The first e-mail address (IOS `subjectname email`).
    Email,
    /// The part of the first e-mail address before `@`.
    EmailLocalPart,
    /// The first UPN.
    Upn,
    /// The part of the first UPN before `@`.
    UpnLocalPart,
    /// The whole subject DN (IOS `subjectname all`).
    Subject,
}

fn upn(value: &Any) -> Option<String> {
    Utf8StringRef::try_from(value)
        .ok()
        .map(|s| s.as_str().to_owned())
}

fn ip_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

impl Identity {
    /// The names of `cert`.
    #[must_use]
    pub fn from_certificate(cert: &Certificate) -> Self {
        let subject_name = cert.x509().tbs_certificate().subject().clone();
        let mut id = Identity {
            subject: dn_string(&subject_name),
            serial: cert.serial_hex(),
            ..Identity::default()
        };
        let mut dn_emails = Vec::new();
        for (o, text) in attributes(&subject_name) {
            match o {
                oid::AT_COMMON_NAME => id.common_names.push(text),
                oid::AT_EMAIL_ADDRESS => dn_emails.push(text),
                _ => {}
            }
        }
        for g in cert.exts.san.iter().flatten() {
            match g {
                GeneralName::Rfc822Name(e) => id.emails.push(e.as_str().to_owned()),
                GeneralName::DnsName(d) => id.dns_names.push(d.as_str().to_owned()),
                GeneralName::IpAddress(ip) => id.ip_addresses.extend(ip_of(ip.as_bytes())),
                GeneralName::OtherName(on) if on.type_id == oid::UPN => {
                    id.upns.extend(upn(&on.value));
                }
                _ => {}
            }
        }
        id.emails.extend(dn_emails);
        id.subject_name = subject_name;
        id
    }

    /// The login name from `field`; a certificate without that field gives
    /// [`PkiError::UsernameFieldMissing`] (IOS: "Could not find username field configured for
    /// certificate in trustpoint").
    pub fn username(&self, field: &UsernameField) -> Result<String, PkiError> {
        let local = |s: &String| s.split_once('@').map_or(s.as_str(), |(l, _)| l).to_owned();
        let v = match field {
            UsernameField::CommonName => self.common_names.last().cloned(),
            UsernameField::Email => self.emails.first().cloned(),
            UsernameField::EmailLocalPart => self.emails.first().map(local),
            UsernameField::Upn => self.upns.first().cloned(),
            UsernameField::UpnLocalPart => self.upns.first().map(local),
            UsernameField::Subject => Some(self.subject.clone()),
        };
        v.filter(|s| !s.is_empty())
            .ok_or(PkiError::UsernameFieldMissing)
    }

    /// Whether the subject DN matches `pattern`.
    #[must_use]
    pub fn subject_matches(&self, pattern: &DnPattern) -> bool {
        pattern.matches(&self.subject_name)
    }

    /// The client's check of a server certificate: `host` as the user typed it must match a
    /// subjectAltName dNSName (a `*` only as the whole left-most label, standing for exactly
    /// one label, never for a public suffix-like `*.com`) or iPAddress; the commonName is used
    /// only when the certificate has neither (RFC 6125 §6.4.4).
    pub fn verify_host_name(&self, host: &str) -> Result<(), PkiError> {
        let mismatch = || PkiError::HostNameMismatch {
            host: host.to_owned(),
        };
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        let bracketless = h.trim_start_matches('[').trim_end_matches(']');
        let have_san = !self.dns_names.is_empty() || !self.ip_addresses.is_empty();
        if let Ok(ip) = bracketless.parse::<IpAddr>() {
            let ok = if have_san {
                self.ip_addresses.contains(&ip)
            } else {
                self.common_names
                    .iter()
                    .any(|cn| cn.parse::<IpAddr>().ok() == Some(ip))
            };
            return if ok { Ok(()) } else { Err(mismatch()) };
        }
        if h.is_empty() {
            return Err(mismatch());
        }
        let names: &[String] = if have_san {
            &self.dns_names
        } else {
            &self.common_names
        };
        if names.iter().any(|n| dns_name_matches(n, &h)) {
            Ok(())
        } else {
            Err(mismatch())
        }
    }
}

/// One presented DNS name against the host (lower-case, no trailing dot).
fn dns_name_matches(presented: &str, host: &str) -> bool {
    let p = presented.trim_end_matches('.').to_ascii_lowercase();
    match p.strip_prefix("*.") {
        Some(rest) => {
            // At least two labels under the wildcard, and the host has exactly one more label.
            rest.contains('.')
                && !rest.contains('*')
                && host
                    .strip_suffix(rest)
                    .and_then(|l| l.strip_suffix('.'))
                    .is_some_and(|label| !label.is_empty() && !label.contains('.'))
        }
        None => !p.contains('*') && p == host,
    }
}

impl Identity {
    /// A name's text for an attribute OID other than the ones collected above (e.g. `OU`).
    #[must_use]
    pub fn attribute(&self, oid_dotted: &str) -> Vec<String> {
        attributes(&self.subject_name)
            .into_iter()
            .filter(|(o, _)| o.to_string() == oid_dotted)
            .map(|(_, t)| t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::dns_name_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_name_matches("*.example.com", "a.example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("a*.example.com", "ab.example.com"));
        assert!(dns_name_matches("Host.Example.com.", "host.example.com"));
    }
}
