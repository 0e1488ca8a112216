//! Password hashes for `[[users]] password_hash`: PHC strings, `$argon2id$...` made by
//! `sshgate-host passwd`, and `$scrypt$...` (and argon2i/argon2d) accepted when verifying.
//!
//! The server verifies with a [`Hasher`] per hashing thread (`hash_pool`), which keeps one
//! argon2 memory block for all its checks: 19 MiB allocated and freed per check on many threads
//! is what the allocator's arenas keep afterwards. Unknown users are verified against a
//! [`DummyHash`] made at start-up with the parameters of the most expensive configured hash,
//! so they cost what a real user does.

use anyhow::{Context, bail};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{CustomizedPasswordHasher, PasswordVerifier};
use argon2::{Argon2, Block, PasswordHasher};
use scrypt::Scrypt;
use std::io::{BufRead, IsTerminal};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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
/// string that does not parse (config loading rejects those with [`check_phc`]). Allocates its
/// own memory: for one-off checks (the demo); the server uses a [`Hasher`].
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    Hasher::new().verify(phc, password)
}

/// The hasher's memory is reserved with at least this many blocks (33 MiB; only the blocks a
/// hash uses are touched). Why: glibc serves a request above its mmap threshold with a mapping
/// of its own, returned to the system when freed, but it raises that threshold (up to 32 MiB)
/// to the size of each such block freed, after which 19 MiB blocks come from the heap and stay
/// in the process after `free` (what kept 2.6 GB after a burst of checks on many threads).
/// Above 32 MiB a block is always a mapping of its own, so [`Hasher::release`] gives it back.
const OWN_MAPPING_BLOCKS: usize = 33 * 1024;

/// Verifies passwords, keeping the argon2 memory between checks (one per thread).
#[derive(Default)]
pub struct Hasher {
    blocks: Vec<Block>,
}

impl Hasher {
    /// No memory until the first argon2 check.
    #[must_use]
    pub fn new() -> Self {
        Hasher::default()
    }

    /// True when `password` matches `phc`. A password longer than [`MAX_PASSWORD`] is refused
    /// after the same work on its first [`MAX_PASSWORD`] bytes, so its length tells nothing.
    pub fn verify(&mut self, phc: &str, password: &str) -> bool {
        let n = password.len().min(MAX_PASSWORD);
        let cut = &password[..floor_char_boundary(password, n)];
        let ok = self.verify_unbounded(phc, cut);
        ok && cut.len() == password.len()
    }

    /// Bytes of argon2 memory held now.
    #[cfg(test)]
    #[must_use]
    pub fn memory(&self) -> usize {
        self.blocks.len() * Block::SIZE
    }

    /// Gives the memory back (an idle thread).
    pub fn release(&mut self) {
        self.blocks = Vec::new();
    }

    fn verify_unbounded(&mut self, phc: &str, password: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return false;
        };
        let pw = password.as_bytes();
        match hash.algorithm.as_str() {
            "argon2id" | "argon2i" | "argon2d" => self.argon2(&hash, pw),
            "scrypt" => Scrypt::default().verify_password(pw, &hash).is_ok(),
            _ => false,
        }
    }

    /// argon2 in this hasher's memory, grown to the largest hash seen and wiped after use.
    fn argon2(&mut self, hash: &PasswordHash, pw: &[u8]) -> bool {
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let Ok(algorithm) = argon2::Algorithm::new(hash.algorithm.as_str()) else {
            return false;
        };
        let version = match hash.version.map(argon2::Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = argon2::Params::try_from(hash) else {
            return false;
        };
        let need = params.block_count();
        if self.blocks.len() < need {
            self.blocks = Vec::new();
            self.blocks.reserve_exact(need.max(OWN_MAPPING_BLOCKS));
            self.blocks.resize(need, Block::new());
        }
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        let ok = Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(pw, salt.as_ref(), &mut out, &mut self.blocks[..need])
            .is_ok();
        // The blocks are derived from the password.
        self.blocks[..need].fill(Block::new());
        ok && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
    }
}

/// A hash of a random throw-away password with the scheme and parameters of the most expensive
/// configured hash: what an unknown user (or a user without a password) is verified against.
#[derive(Debug, Clone)]
pub struct DummyHash(String);

impl DummyHash {
    /// Made for `configured` (the users' PHC strings); the parameters of `sshgate-host
    /// passwd` when there are none. Costs one hash.
    pub fn for_hashes<'a>(configured: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let costliest = configured
            .into_iter()
            .filter_map(|phc| PasswordHash::new(phc).ok())
            .filter_map(|h| cost(&h).map(|c| (c, h)))
            .max_by_key(|(c, _)| *c)
            .map(|(_, h)| h);
        let mut pw = Zeroizing::new([0u8; 24]);
        getrandom::fill(pw.as_mut()).map_err(|e| anyhow::anyhow!("random password: {e}"))?;
        let Some(like) = costliest else {
            let pw = Zeroizing::new(hex(pw.as_ref()));
            return Ok(DummyHash(hash_password(&pw)?));
        };
        let mut salt = vec![0u8; like.salt.as_ref().map_or(16, |s| s.as_ref().len())];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random salt: {e}"))?;
        let alg = like.algorithm.as_str();
        let made = if alg == "scrypt" {
            let params = scrypt::Params::try_from(&like).map_err(|e| anyhow::anyhow!("{e}"))?;
            Scrypt::default().hash_password_customized(pw.as_ref(), &salt, Some(alg), None, params)
        } else {
            let params = argon2::Params::try_from(&like).map_err(|e| anyhow::anyhow!("{e}"))?;
            Argon2::default().hash_password_customized(
                pw.as_ref(),
                &salt,
                Some(alg),
                like.version,
                params,
            )
        };
        Ok(DummyHash(
            made.map_err(|e| anyhow::anyhow!("dummy {alg} hash: {e}"))?
                .to_string(),
        ))
    }

    /// The PHC string.
    #[must_use]
    pub fn phc(&self) -> &str {
        &self.0
    }
}

/// A hash's work, in KiB of memory times passes over it, to compare schemes.
fn cost(hash: &PasswordHash) -> Option<u128> {
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => {
            let p = argon2::Params::try_from(hash).ok()?;
            Some(u128::from(p.m_cost()) * u128::from(p.t_cost()))
        }
        "scrypt" => {
            // 128 * r * N bytes, written once and read once, p times.
            let p = scrypt::Params::try_from(hash).ok()?;
            Some(u128::from(p.r()) * u128::from(p.n()) / 8 * 2 * u128::from(p.p()))
        }
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

    /// An argon2 PHC string of "pw" with these parameters (cheap ones, for tests).
    fn argon2_phc(alg: &str, m: u32, t: u32, out: Option<usize>) -> String {
        let p = argon2::Params::new(m, t, 1, out).unwrap();
        Argon2::default()
            .hash_password_customized(b"pw", b"saltsaltsalt", Some(alg), None, p)
            .unwrap()
            .to_string()
    }

    /// (algorithm, version, parameter string, salt length, output length) of a PHC string.
    fn shape(phc: &str) -> (String, Option<u32>, String, usize, usize) {
        let h = PasswordHash::new(phc).unwrap();
        (
            h.algorithm.to_string(),
            h.version,
            h.params.to_string(),
            h.salt.unwrap().as_ref().len(),
            h.hash.unwrap().len(),
        )
    }

    #[test]
    fn dummy_has_the_costliest_configured_parameters() {
        // argon2: m 64 KiB x t 3 beats m 128 x t 1 and a small scrypt (ln 4: 2 KiB x 2).
        let costly = argon2_phc("argon2i", 64, 3, Some(24));
        let hashes = [
            argon2_phc("argon2id", 128, 1, None),
            costly.clone(),
            Scrypt::default()
                .hash_password_with_params(
                    b"pw",
                    b"0123456789abcdef",
                    scrypt::Params::new(4, 8, 1).unwrap(),
                )
                .unwrap()
                .to_string(),
        ];
        let dummy = DummyHash::for_hashes(hashes.iter().map(String::as_str)).unwrap();
        check_phc(dummy.phc()).unwrap();
        assert_eq!(shape(dummy.phc()), shape(&costly));
        assert_ne!(dummy.phc(), costly, "its own salt and password");

        // scrypt ln 10 (1 MiB x 2) beats argon2id m 64 x t 1.
        let scrypt = scrypt_phc("x");
        let both = [argon2_phc("argon2id", 64, 1, None), scrypt.clone()];
        let dummy = DummyHash::for_hashes(both.iter().map(String::as_str)).unwrap();
        assert_eq!(shape(dummy.phc()), shape(&scrypt));

        // No password users: what `sshgate-host passwd` makes.
        let dummy = DummyHash::for_hashes([]).unwrap();
        assert_eq!(shape(dummy.phc()), shape(&hash_password("pw").unwrap()));
        // Nothing a user could type matches it.
        assert!(!verify_password(dummy.phc(), ""));
    }

    #[test]
    fn dummy_costs_like_real() {
        let real = hash_password("pw").unwrap();
        let dummy = DummyHash::for_hashes([real.as_str()]).unwrap();
        let mut h = Hasher::new();
        h.verify(&real, "warm up");
        let t = std::time::Instant::now();
        assert!(!h.verify(&real, "wrong"));
        let real_cost = t.elapsed();
        let t = std::time::Instant::now();
        assert!(!h.verify(dummy.phc(), "wrong"));
        assert!(!h.verify(dummy.phc(), &"é".repeat(MAX_PASSWORD))); // long, cut on a char boundary
        let dummy_cost = t.elapsed() / 2;
        // Generous: a loaded machine varies, a different parameter set would be 2x or more off.
        assert!(
            dummy_cost * 4 > real_cost && real_cost * 4 > dummy_cost,
            "{dummy_cost:?} vs {real_cost:?}"
        );
    }

    #[test]
    fn hasher_keeps_one_block_and_checks_long_passwords_by_their_prefix() {
        let mut h = Hasher::new();
        let small = argon2_phc("argon2id", 64, 1, None);
        let big = argon2_phc("argon2d", 256, 1, None);
        assert!(h.verify(&small, "pw"));
        assert_eq!(h.memory(), 64 * 1024);
        assert!(h.verify(&big, "pw"));
        assert!(!h.verify(&big, "pX"));
        assert!(h.verify(&small, "pw"));
        assert_eq!(h.memory(), 256 * 1024, "grown once, then reused");
        h.release();
        assert_eq!(h.memory(), 0);
        // A password over the limit never matches, even when its first MAX_PASSWORD bytes do.
        let long = "x".repeat(MAX_PASSWORD);
        let phc = Argon2::default()
            .hash_password_customized(
                long.as_bytes(),
                b"saltsaltsalt",
                None,
                None,
                argon2::Params::new(64, 1, 1, None).unwrap(),
            )
            .unwrap()
            .to_string();
        assert!(h.verify(&phc, &long));
        assert!(!h.verify(&phc, &format!("{long}x")));
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
