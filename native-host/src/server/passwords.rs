//! Password hashes for `[[users]] password_hash`: PHC strings, `$argon2id$...` made by
//! `sshgate-host passwd`, and `$scrypt$...` (and argon2i/argon2d) accepted when verifying.

use anyhow::{Context, bail};
use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use scrypt::Scrypt;
use std::io::{BufRead, IsTerminal};

/// An argon2id hash (default parameters: m=19456 KiB, t=2, p=1) of a random throw-away
/// password, verified by [`dummy_verify`] so an unknown user costs what a known one does.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$E7dsD4Y9j80z0/9Zb/JV3g$\
                          eyzvgh6h8UDi9S4fK0bFiieg6uX89ir9OGxLWLY2IPM";

/// Longest password accepted (argon2 would take more, but a line editor or a client won't).
pub const MAX_PASSWORD: usize = 1024;

/// Hashes `password` as `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` with a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Checks that `phc` is a PHC string of a supported scheme (argon2id/i/d or scrypt).
pub fn check_phc(phc: &str) -> anyhow::Result<()> {
    let hash = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("not a PHC string: {e}"))?;
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => {
            argon2::Params::try_from(&hash).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        }
        "scrypt" => {
            scrypt::Params::try_from(&hash).map_err(|e| anyhow::anyhow!("scrypt: {e}"))?;
        }
        other => bail!("unsupported password hash scheme {other:?} (use argon2id or scrypt)"),
    }
    if hash.hash.is_none() || hash.salt.is_none() {
        bail!("PHC string without salt or hash");
    }
    Ok(())
}

/// True when `password` matches the PHC string `phc`; false for a wrong password and for a
/// string that does not parse (config loading rejects those with [`check_phc`]).
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD {
        dummy_verify(password);
        return false;
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let pw = password.as_bytes();
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Argon2::default().verify_password(pw, &hash).is_ok(),
        "scrypt" => Scrypt::default().verify_password(pw, &hash).is_ok(),
        _ => false,
    }
}

/// Costs what verifying against a freshly made hash costs, and always fails: for unknown
/// users, so that timing does not tell which user names exist.
pub fn dummy_verify(password: &str) {
    let n = password.len().min(MAX_PASSWORD);
    let ok = verify_password(DUMMY_HASH, &password[..floor_char_boundary(password, n)]);
    std::hint::black_box(ok);
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `sshgate-host passwd`: reads a password twice (no echo on a terminal; lines from stdin
/// otherwise) and prints its argon2id PHC string.
pub fn run_passwd() -> anyhow::Result<()> {
    let (first, second) = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ").context("reading the password")?;
        let b = rpassword::prompt_password("Again: ").context("reading the password")?;
        (a, b)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || -> anyhow::Result<String> {
            let line = lines
                .next()
                .context("standard input: expected the password twice")??;
            Ok(line.trim_end_matches('\r').to_owned())
        };
        (next()?, next()?)
    };
    println!("{}", hash_from_pair(&first, &second)?);
    Ok(())
}

/// Checks the two entries and hashes them.
pub fn hash_from_pair(first: &str, second: &str) -> anyhow::Result<String> {
    if first != second {
        bail!("the passwords differ");
    }
    if first.is_empty() {
        bail!("empty password");
    }
    if first.len() > MAX_PASSWORD {
        bail!("password longer than {MAX_PASSWORD} bytes");
    }
    hash_password(first)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use argon2::password_hash::CustomizedPasswordHasher;

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("s3cret pw").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        check_phc(&h).unwrap();
        assert!(verify_password(&h, "s3cret pw"));
        assert!(!verify_password(&h, "s3cret pX"));
        assert!(!verify_password(&h, ""));
        assert_ne!(h, hash_password("s3cret pw").unwrap(), "salted");
    }

    /// A cheap scrypt PHC string (log2 N = 10) of `password`, made at test time.
    pub(crate) fn scrypt_phc(password: &str) -> String {
        let params = scrypt::Params::new(10, 8, 1).unwrap();
        Scrypt::default()
            .hash_password_with_params(password.as_bytes(), b"0123456789abcdef", params)
            .unwrap()
            .to_string()
    }

    #[test]
    fn scrypt_verifies() {
        let h = scrypt_phc("hunter2");
        assert!(h.starts_with("$scrypt$ln=10,r=8,p=1$"), "{h}");
        check_phc(&h).unwrap();
        assert!(verify_password(&h, "hunter2"));
        assert!(!verify_password(&h, "hunter3"));
    }

    #[test]
    fn bad_strings() {
        assert!(!verify_password("not a hash", "x"));
        assert!(check_phc("not a hash").is_err());
        assert!(check_phc("$md5$abc").is_err());
        let e = check_phc("$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA").unwrap_err();
        assert!(e.to_string().contains("pbkdf2-sha256"), "{e}");
        assert!(!verify_password("$argon2id$v=19$m=19456,t=2,p=1", "x"));
    }

    #[test]
    fn dummy_costs_like_real() {
        check_phc(DUMMY_HASH).unwrap();
        let hash = PasswordHash::new(DUMMY_HASH).unwrap();
        // Same parameters as hash_password, so the same cost.
        let (p, d) = (
            argon2::Params::try_from(&hash).unwrap(),
            argon2::Params::default(),
        );
        assert_eq!(
            (p.m_cost(), p.t_cost(), p.p_cost()),
            (d.m_cost(), d.t_cost(), d.p_cost())
        );
        assert_eq!(hash.algorithm.as_str(), "argon2id");
        let real = hash_password("pw").unwrap();
        let t = std::time::Instant::now();
        assert!(!verify_password(&real, "wrong"));
        let real_cost = t.elapsed();
        let t = std::time::Instant::now();
        dummy_verify("wrong");
        dummy_verify(&"é".repeat(MAX_PASSWORD)); // long, cut on a char boundary
        let dummy_cost = t.elapsed() / 2;
        assert!(
            dummy_cost * 4 > real_cost,
            "{dummy_cost:?} vs {real_cost:?}"
        );
    }

    #[test]
    fn pair_checks() {
        assert!(hash_from_pair("a", "b").is_err());
        assert!(hash_from_pair("", "").is_err());
        assert!(
            hash_from_pair(&"x".repeat(MAX_PASSWORD + 1), &"x".repeat(MAX_PASSWORD + 1)).is_err()
        );
        let h = hash_from_pair("pw", "pw").unwrap();
        assert!(verify_password(&h, "pw"));
    }

    #[test]
    fn argon2_params_customized() {
        // Hashes with other argon2 parameters (e.g. from another tool) verify too.
        let p = argon2::Params::new(8, 1, 1, None).unwrap();
        let h = Argon2::default()
            .hash_password_with_params(b"pw", b"saltsaltsalt", p)
            .unwrap()
            .to_string();
        assert!(verify_password(&h, "pw"));
    }
}
