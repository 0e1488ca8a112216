//! Native runner of the login benchmark: a certificate login (x509v3-rsa2048-sha256 host
//! certificate, a two-level user chain) against a plain ed25519 login, in memory, and the ratio.
//!
//! `login [--quick]`; `LOGIN_RUNS` logins per row, median reported (default 21; quick 5);
//! `X509_PKI=DIR` uses the files of a `tests/x509/make-pki.sh DIR` run instead of making them
//! (they are made once under the temp directory, keyed by the script's hash). Exits 1 if a login
//! fails, never because of a figure.

use sshgate::keys::{HostKeyAlg, KeyKind};
use sshgate::pki::X509Alg;
use sshgate_bench::{CertFiles, Login};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "../../../tests/x509/pki_cache.rs"]
mod pki_cache;

/// The PKI directory: `X509_PKI`, or the tests' cached output of make-pki.sh (needs the openssl
/// CLI; the same directory the tests use).
fn pki_dir() -> PathBuf {
    if let Ok(d) = std::env::var("X509_PKI") {
        return PathBuf::from(d);
    }
    pki_cache::build_once(
        "sshgate-x509-pki",
        include_str!("../../../tests/x509/make-pki.sh"),
    )
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
        eprintln!("{name}: {e}");
        std::process::exit(1)
    })
}

/// Median and minimum milliseconds of `runs` logins after one warm-up; `None` if one failed.
fn measure(login: &Login, runs: usize) -> Option<(f64, f64)> {
    if !login.run() {
        return None;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        if !login.run() {
            return None;
        }
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Some(((ms[(ms.len() - 1) / 2] + ms[ms.len() / 2]) / 2.0, ms[0]))
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var("QUICK").as_deref() == Ok("1");
    let runs = std::env::var("LOGIN_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 5 } else { 21 })
        .max(1);
    let dir = pki_dir();
    let f = |n: &str| read(&dir, n);
    let files = |user: &str| {
        (
            f(&format!("user_{user}.key")),
            f(&format!("user_{user}.chain.pem")),
            f(&format!("root_{user}.pem")),
        )
    };
    let x509 = |host: &str, user: &str| {
        let (hk, hc, hr) = (
            f(&format!("server_{host}.key")),
            f(&format!("server_{host}.chain.pem")),
            f(&format!("root_{host}.pem")),
        );
        let (k, c, r) = files(user);
        let alg = if host == "rsa" {
            X509Alg::Rsa2048Sha256
        } else {
            X509Alg::SshEd25519
        };
        Login::certificate(
            &CertFiles {
                host_key: &hk,
                host_chain: &hc,
                host_root: &hr,
                user_key: &k,
                user_chain: &c,
                user_root: &r,
            },
            HostKeyAlg::X509(alg),
        )
        .unwrap_or_else(|e| {
            eprintln!("certificate login setup: {e}");
            std::process::exit(1)
        })
    };
    let rows: Vec<(&str, &str, Login)> = vec![
        (
            "ssh-ed25519",
            "ssh-ed25519 key",
            Login::plain(KeyKind::Ed25519, HostKeyAlg::SshEd25519, KeyKind::Ed25519),
        ),
        (
            "rsa-sha2-256 (RSA-2048)",
            "rsa-sha2-512 key (RSA-2048)",
            Login::plain(
                KeyKind::Rsa(2048),
                HostKeyAlg::RsaSha2_256,
                KeyKind::Rsa(2048),
            ),
        ),
        (
            "x509v3-rsa2048-sha256 (leaf + intermediate)",
            "x509v3-rsa2048-sha256, leaf + intermediate",
            x509("rsa", "rsa"),
        ),
        (
            "x509v3-rsa2048-sha256 (leaf + intermediate)",
            "x509v3-ssh-ed25519, leaf + intermediate",
            x509("rsa", "ed25519"),
        ),
        (
            "x509v3-ssh-ed25519 (leaf + intermediate)",
            "x509v3-ssh-ed25519, leaf + intermediate",
            x509("ed25519", "ed25519"),
        ),
    ];
    let arch = std::env::consts::ARCH;
    println!("#### Login, native {arch}\n");
    println!(
        "One complete in-memory login (curve25519-sha256 key exchange, host key decision, \
         ssh-userauth, publickey query + signed request), client and server on one thread; \
         certificates are validated on both sides (chain to the root, validity, EKU, host name). \
         Median of {runs} after a warm-up.\n"
    );
    println!("| host key | user key | ms/login (median) | min ms | × plain ed25519 |");
    println!("|---|---|---:|---:|---:|");
    let mut base = None;
    let mut ok = true;
    let mut cert_ratio = None;
    for (i, (host, user, login)) in rows.iter().enumerate() {
        match measure(login, runs) {
            Some((median, min)) => {
                let b = *base.get_or_insert(median);
                let ratio = median / b;
                if i == 2 {
                    cert_ratio = Some(ratio);
                }
                println!("| {host} | {user} | {median:.2} | {min:.2} | {ratio:.2} |");
            }
            None => {
                ok = false;
                println!("| {host} | {user} | FAILED | | |");
            }
        }
    }
    if let Some(r) = cert_ratio {
        println!(
            "\nCertificate login (x509v3-rsa2048-sha256 host certificate, two-level RSA user \
             chain) / plain ed25519 login: {r:.2}× (goal ≤ 1.5×)\n"
        );
    }
    if !ok {
        std::process::exit(1);
    }
}
