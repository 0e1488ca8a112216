//! Distinguished names as text (RFC 4514) and the DN patterns an application matches them with.

use super::oid;
use der::Encode;
use der::asn1::{Any, ObjectIdentifier};
use der::{Tag, Tagged};
use x509_cert::name::Name;

/// The short name RFC 4514 §3 (and OpenSSL, for `emailAddress`) prints for an attribute type.
fn short_name(o: &ObjectIdentifier) -> Option<&'static str> {
    Some(match *o {
        oid::AT_COMMON_NAME => "CN",
        oid::AT_SURNAME => "SN",
        oid::AT_SERIAL_NUMBER => "serialNumber",
        oid::AT_COUNTRY => "C",
        oid::AT_LOCALITY => "L",
        oid::AT_STATE => "ST",
        oid::AT_STREET => "STREET",
        oid::AT_ORGANIZATION => "O",
        oid::AT_ORG_UNIT => "OU",
        oid::AT_TITLE => "title",
        oid::AT_GIVEN_NAME => "GN",
        oid::AT_DOMAIN_COMPONENT => "DC",
        oid::AT_USER_ID => "UID",
        oid::AT_EMAIL_ADDRESS => "emailAddress",
        _ => return None,
    })
}

/// The text of a directory string (UTF8String, PrintableString, IA5String, VisibleString,
/// TeletexString read as Latin-1, BMPString); `None` for other types.
pub(crate) fn attr_text(v: &Any) -> Option<String> {
    let b = v.value();
    match v.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            core::str::from_utf8(b).ok().map(str::to_owned)
        }
        Tag::TeletexString => Some(b.iter().map(|&c| char::from(c)).collect()),
        Tag::BmpString if b.len().is_multiple_of(2) => {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

fn escape(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
}

/// Every attribute of a name as (type, text) in RDN order (the order of the encoding, most
/// significant first); values that are not strings come out as `#hex` of their DER.
pub(crate) fn attributes(name: &Name) -> Vec<(ObjectIdentifier, String)> {
    let mut v = Vec::new();
    for rdn in name.as_ref().iter() {
        for atv in rdn.iter() {
            let text = attr_text(&atv.value).unwrap_or_else(|| {
                let der = atv.value.to_der().unwrap_or_default();
                let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
                format!("#{hex}")
            });
            v.push((atv.oid, text));
        }
    }
    v
}

/// A name as an RFC 4514 string: RDNs last-to-first, separated by `,`, multi-valued RDNs
/// joined by `+`.
pub(crate) fn dn_string(name: &Name) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.as_ref().iter().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            match short_name(&atv.oid) {
                Some(s) => out.push_str(s),
                None => out.push_str(&atv.oid.to_string()),
            }
            out.push('=');
            match attr_text(&atv.value) {
                Some(t) => escape(&t, &mut out),
                None => {
                    out.push('#');
                    for b in atv.value.to_der().unwrap_or_default() {
                        out.push_str(&format!("{b:02x}"));
                    }
                }
            }
        }
    }
    out
}

/// A pattern over a subject DN: comma-separated `type=value` terms, each of which some attribute
/// of the DN must match. Types are short names (`CN`, `O`, `OU`, `emailAddress`, ... any case)
/// or dotted OIDs; values compare case-insensitively and `*` matches any run of characters.
/// `O=Example Corp,OU=*Admins` matches every DN with that O and an OU ending in "Admins",
/// whatever else it holds. (The role of an IOS `crypto pki certificate map` line.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnPattern {
    terms: Vec<(String, String)>,
}

impl DnPattern {
    /// Parses a pattern; `None` if a term has no `=` or the pattern is empty. A `\,` in a value
    /// stands for a comma.
    #[must_use]
    pub fn parse(pattern: &str) -> Option<Self> {
        let mut terms = Vec::new();
        let mut cur = String::new();
        let mut chars = pattern.chars().peekable();
        let mut push = |cur: &mut String| -> Option<()> {
            let (k, v) = cur.split_once('=')?;
            let k = k.trim();
            if k.is_empty() {
                return None;
            }
            terms.push((k.to_ascii_lowercase(), v.trim().to_lowercase()));
            cur.clear();
            Some(())
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&',') => {
                    cur.push(',');
                    chars.next();
                }
                ',' => push(&mut cur)?,
                _ => cur.push(c),
            }
        }
        if !cur.trim().is_empty() {
            push(&mut cur)?;
        }
        if terms.is_empty() {
            return None;
        }
        Some(DnPattern { terms })
    }

    /// Whether every term matches some attribute of `name`.
    #[must_use]
    pub fn matches(&self, name: &Name) -> bool {
        let attrs: Vec<(String, String)> = attributes(name)
            .into_iter()
            .map(|(o, v)| {
                let k = short_name(&o).map_or_else(|| o.to_string(), str::to_owned);
                (k.to_ascii_lowercase(), v.to_lowercase())
            })
            .collect();
        self.terms.iter().all(|(k, pat)| {
            attrs
                .iter()
                .any(|(ak, av)| ak == k && glob(pat.as_bytes(), av.as_bytes()))
        })
    }
}

/// `*`-only glob, iterative with one backtrack point (linear in practice, never exponential).
pub(crate) fn glob(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if p < pat.len() && pat[p] == s[i] {
            p += 1;
            i += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}
