//! Algorithm name lists as users write them: OpenSSH's `-o Ciphers=...` forms (a full list, or
//! `+names` to append to the default set, `-names` to remove from it, `^names` to put first) and
//! the device config's plain lists. Names are SSH names; a legacy algorithm is usable when named.

use sshgate::Algorithms;
use sshgate::kex::KexAlg;
use sshgate::keys::HostKeyAlg;
use sshgate::transport::cipher::{CipherAlg, MacAlg};

/// One list option's value, not yet checked against the engine's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSpec {
    /// Exactly these, in this order.
    Replace(Vec<String>),
    /// `+a,b`: the default set, then these.
    Append(Vec<String>),
    /// `-a,b`: the default set without these.
    Remove(Vec<String>),
    /// `^a,b`: these, then the rest of the default set.
    Prepend(Vec<String>),
}

impl ListSpec {
    /// Parses `a,b`, `+a,b`, `-a,b` or `^a,b`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let (make, rest): (fn(Vec<String>) -> ListSpec, &str) = match value.chars().next() {
            Some('+') => (ListSpec::Append, &value[1..]),
            Some('-') => (ListSpec::Remove, &value[1..]),
            Some('^') => (ListSpec::Prepend, &value[1..]),
            _ => (ListSpec::Replace, value),
        };
        let names: Vec<String> = rest.split(',').map(|s| s.trim().to_string()).collect();
        if names.iter().any(String::is_empty) {
            return Err(format!("empty algorithm name in list {value:?}"));
        }
        Ok(make(names))
    }

    fn names(&self) -> &[String] {
        match self {
            ListSpec::Replace(n)
            | ListSpec::Append(n)
            | ListSpec::Remove(n)
            | ListSpec::Prepend(n) => n,
        }
    }
}

/// Applies `spec` to `defaults`, looking names up with `lookup`. `what` names the kind of
/// algorithm in errors (`unknown cipher "foo"`).
pub fn resolve<T: Copy + PartialEq>(
    spec: &ListSpec,
    defaults: &[T],
    what: &str,
    lookup: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    let mut named = Vec::new();
    for n in spec.names() {
        let alg = lookup(n).ok_or_else(|| format!("unknown {what} {n:?}"))?;
        if !named.contains(&alg) {
            named.push(alg);
        }
    }
    let list: Vec<T> = match spec {
        ListSpec::Replace(_) => named,
        ListSpec::Append(_) => {
            let mut l = defaults.to_vec();
            l.extend(named.into_iter().filter(|a| !defaults.contains(a)));
            l
        }
        ListSpec::Remove(_) => defaults
            .iter()
            .copied()
            .filter(|a| !named.contains(a))
            .collect(),
        ListSpec::Prepend(_) => {
            let mut l = named.clone();
            l.extend(defaults.iter().copied().filter(|a| !named.contains(a)));
            l
        }
    };
    if list.is_empty() {
        return Err(format!("no {what} left to offer"));
    }
    Ok(list)
}

/// Optional overrides of each of the four lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlgorithmSpecs {
    /// Key exchange methods.
    pub kex: Option<ListSpec>,
    /// Host key algorithms.
    pub host_key: Option<ListSpec>,
    /// Ciphers (both directions).
    pub cipher: Option<ListSpec>,
    /// MACs (both directions).
    pub mac: Option<ListSpec>,
}

/// How the client's errors name the four lists (its `-o` option names).
pub const OPTION_LABELS: [&str; 4] = ["KexAlgorithms", "HostKeyAlgorithms", "Ciphers", "MACs"];

impl AlgorithmSpecs {
    /// The engine's default set with these overrides applied. `labels` name the kex, host key,
    /// cipher and MAC lists in errors (`Ciphers: unknown cipher "foo"`).
    pub fn build(&self, labels: [&str; 4]) -> Result<Algorithms, String> {
        let mut a = Algorithms::default();
        let label = |i: usize| move |e: String| format!("{}: {e}", labels[i]);
        if let Some(s) = &self.kex {
            a.kex = resolve(s, &a.kex, "key exchange algorithm", KexAlg::from_name)
                .map_err(label(0))?;
        }
        if let Some(s) = &self.host_key {
            a.host_key = resolve(s, &a.host_key, "host key algorithm", HostKeyAlg::from_name)
                .map_err(label(1))?;
        }
        if let Some(s) = &self.cipher {
            a.cipher = resolve(s, &a.cipher, "cipher", CipherAlg::from_name).map_err(label(2))?;
        }
        if let Some(s) = &self.mac {
            a.mac = resolve(s, &a.mac, "MAC", MacAlg::from_name).map_err(label(3))?;
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: &[&str] = &["a", "b", "c"];

    fn lookup(n: &str) -> Option<&'static str> {
        ["a", "b", "c", "old"].into_iter().find(|x| *x == n)
    }

    fn run(v: &str) -> Result<Vec<&'static str>, String> {
        resolve(&ListSpec::parse(v)?, DEFAULTS, "cipher", lookup)
    }

    #[test]
    fn list_forms() {
        assert_eq!(run("c,a").unwrap(), ["c", "a"]);
        assert_eq!(run("+old").unwrap(), ["a", "b", "c", "old"]);
        assert_eq!(run("+b").unwrap(), ["a", "b", "c"]);
        assert_eq!(run("-b").unwrap(), ["a", "c"]);
        assert_eq!(run("^old,c").unwrap(), ["old", "c", "a", "b"]);
        assert_eq!(run("old").unwrap(), ["old"], "legacy usable when named");
        assert_eq!(run("a,a,b").unwrap(), ["a", "b"]);
    }

    #[test]
    fn errors_name_the_bad_name() {
        assert_eq!(run("a,rot13").unwrap_err(), "unknown cipher \"rot13\"");
        assert_eq!(run("+rot13").unwrap_err(), "unknown cipher \"rot13\"");
        assert_eq!(run("-a,b,c").unwrap_err(), "no cipher left to offer");
        assert!(ListSpec::parse("a,,b").is_err());
        assert!(ListSpec::parse("").is_err());
        assert!(ListSpec::parse("+").is_err());
    }

    #[test]
    fn engine_names_resolve() {
        let specs = AlgorithmSpecs {
            cipher: Some(ListSpec::parse("+aes128-cbc").unwrap()),
            mac: Some(ListSpec::parse("hmac-sha1-96").unwrap()),
            ..AlgorithmSpecs::default()
        };
        let a = specs.build(OPTION_LABELS).unwrap();
        assert_eq!(a.cipher.last(), Some(&CipherAlg::Aes128Cbc));
        assert_eq!(a.mac, [MacAlg::HmacSha1_96]);
        // Old devices' algorithms, and IOS's MAC names for two of them.
        let old = AlgorithmSpecs {
            kex: Some(ListSpec::parse("+diffie-hellman-group1-sha1").unwrap()),
            host_key: Some(ListSpec::parse("ssh-dss").unwrap()),
            mac: Some(ListSpec::parse("hmac-md5-128,hmac-md5-96,hmac-sha1-160").unwrap()),
            ..AlgorithmSpecs::default()
        };
        let a = old.build(OPTION_LABELS).unwrap();
        assert_eq!(a.kex.last(), Some(&KexAlg::DhGroup1Sha1));
        assert_eq!(a.host_key, [HostKeyAlg::SshDss]);
        assert_eq!(
            a.mac,
            [MacAlg::HmacMd5, MacAlg::HmacMd5_96, MacAlg::HmacSha1]
        );
        let bad = AlgorithmSpecs {
            kex: Some(ListSpec::parse("curve25519-sha256,nope-kex").unwrap()),
            ..AlgorithmSpecs::default()
        };
        assert_eq!(
            bad.build(OPTION_LABELS).unwrap_err(),
            "KexAlgorithms: unknown key exchange algorithm \"nope-kex\""
        );
    }
}
