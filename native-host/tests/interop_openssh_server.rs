//! Interop: `sshgate-host ssh` → OpenSSH `sshd` (the real server).
//!
//! One sshd per test (`sshd -D -e`, LogLevel DEBUG3, stderr to a log file) offering every
//! algorithm of ours it has, legacy included, with ed25519, ECDSA P-256/384/521 and RSA-3072 host
//! keys. Per algorithm: `sshgate-host ssh -v -o StrictHostKeyChecking=no -p PORT -o <Option>=ALG
//! test@127.0.0.1` must exit 0, print ALG as negotiated and `SSH2_MSG_SERVICE_ACCEPT received`;
//! and the part of the sshd log written during that run must show the same ALG from sshd's side
//! (`debug1: kex: algorithm: ALG [preauth]`, ...), `debug1: KEX done [preauth]` and
//! `debug3: send packet: type 6 [preauth]` (the SERVICE_ACCEPT).

mod support;

use support::*;

/// One sshgate client run against `sshd` selecting `opts`, checked on both sides.
/// Returns the problems found (empty = pass) and a report for failure messages.
fn check_run(
    dir: &TempDir,
    sshd: &Sshd,
    opts: &[String],
    label: &str,
    ours: &Expect,
    theirs: &Expect,
) -> Result<(), String> {
    let mark = sshd.log.mark();
    let out = run_sshgate_client(dir, sshd.port, opts, label);
    let mut problems = Vec::new();
    if !out.success() {
        problems.push(format!(
            "sshgate-host ssh exit status {} (want 0)",
            out.status_text()
        ));
    }
    for p in negotiation_problems(&out.stderr, ours) {
        problems.push(format!("sshgate-host ssh -v: {p}"));
    }
    if !out.stderr.contains(SERVICE_ACCEPT_MARKER) {
        problems.push(format!(
            "sshgate-host ssh -v never printed `{SERVICE_ACCEPT_MARKER}`"
        ));
    }
    let (sshd_problems, sshd_text) = sshd.check_since(mark, theirs);
    for p in sshd_problems {
        problems.push(format!("sshd log: {p}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "problems:\n  - {}\n{}--- sshd log during this run (tail) ---\n{}",
            problems.join("\n  - "),
            out.report(40),
            tail(&sshd_text, 60)
        ))
    }
}

fn sshgate_client_matrix(cat: Category) {
    require_openssh_client(); // `ssh -Q` tells which algorithms the installed OpenSSH has
    let matrix = openssh_matrix(cat);
    let dir = TempDir::new(&format!("sshgate-to-sshd-{}", cat.label()));
    let sshd = start_sshd(&dir);
    let mut failures = Failures::new(
        format!("sshgate-host ssh -> OpenSSH sshd, {}", cat.name()),
        matrix.len(),
    );
    for alg in matrix {
        let r = check_run(
            &dir,
            &sshd,
            &cat.client_options(alg),
            &format!("sshgate-ssh-{alg}"),
            &cat.expect(alg, false),
            &cat.expect(alg, true),
        );
        match r {
            Ok(()) => failures.pass(alg),
            Err(report) => failures.add(alg, report),
        }
    }
    failures.finish();
}

/// Every kex sshd has (all of ours except mlkem768x25519-sha256 on OpenSSH 9.2).
#[test]
fn sshgate_client_kex() {
    sshgate_client_matrix(Category::Kex);
}

/// All 7 host key algorithms.
#[test]
fn sshgate_client_hostkey() {
    sshgate_client_matrix(Category::HostKey);
}

/// All 10 ciphers (sshd must report `MAC: <implicit>` for the AEAD ones).
#[test]
fn sshgate_client_cipher() {
    sshgate_client_matrix(Category::Cipher);
}

/// All 7 MACs, under aes128-ctr.
#[test]
fn sshgate_client_mac() {
    sshgate_client_matrix(Category::Mac);
}

/// The `-c CIPHER` / `-m MAC` short flags select like `-o Ciphers=` / `-o MACs=`.
#[test]
fn sshgate_client_short_flags() {
    require_openssh_client();
    let dir = TempDir::new("sshgate-to-sshd-flags");
    let sshd = start_sshd(&dir);
    let mut failures = Failures::new("sshgate-host ssh -c/-m -> OpenSSH sshd", 2);
    let cases: &[(&[&str], &str, Option<&str>)] = &[
        (
            &["-c", "aes256-ctr", "-m", "hmac-sha2-512"],
            "aes256-ctr",
            Some("hmac-sha2-512"),
        ),
        (
            &["-c", "aes256-gcm@openssh.com"],
            "aes256-gcm@openssh.com",
            None,
        ),
    ];
    for &(args, cipher, mac) in cases {
        let opts: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ours = Expect {
            cipher: Some(cipher.into()),
            mac: mac.map(Into::into),
            ..Expect::default()
        };
        let mut theirs = ours.clone();
        if is_aead(cipher) {
            theirs.mac = Some("<implicit>".into());
        }
        match check_run(
            &dir,
            &sshd,
            &opts,
            &format!("sshgate-ssh-flags-{cipher}"),
            &ours,
            &theirs,
        ) {
            Ok(()) => failures.pass(&args.join(" ")),
            Err(report) => failures.add(&args.join(" "), report),
        }
    }
    failures.finish();
}

/// No options: connects, both sides agree, and the choice is not a legacy algorithm.
#[test]
fn sshgate_client_defaults() {
    require_openssh_client();
    let dir = TempDir::new("sshgate-to-sshd-defaults");
    let sshd = start_sshd(&dir);
    let mark = sshd.log.mark();
    let out = run_sshgate_client(&dir, sshd.port, &[], "sshgate-ssh-defaults");
    let text = sshd.log.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains(SSHD_SERVICE_ACCEPT_SENT)
    });
    let report = || {
        format!(
            "{}--- sshd log (tail) ---\n{}",
            out.report(40),
            tail(&text, 60)
        )
    };
    assert!(
        out.success(),
        "sshgate-host ssh with defaults: exit {}\n{}",
        out.status_text(),
        report()
    );
    assert!(
        out.stderr.contains(SERVICE_ACCEPT_MARKER),
        "no SERVICE_ACCEPT\n{}",
        report()
    );

    // What sshd saw is what we must have printed.
    let first = |v: Vec<String>| v.into_iter().next();
    let seen = Expect {
        kex: first(values_after(&text, KEX_MARKER)),
        hostkey: first(values_after(&text, HOSTKEY_MARKER)),
        cipher: cipher_lines(&text, "client->server")
            .into_iter()
            .next()
            .map(|(c, _)| c),
        mac: None,
    };
    assert!(
        seen.kex.is_some() && seen.hostkey.is_some() && seen.cipher.is_some(),
        "sshd log lacks kex lines\n{}",
        report()
    );
    let problems = negotiation_problems(&out.stderr, &seen);
    assert!(
        problems.is_empty(),
        "we and sshd disagree: {problems:?}\n{}",
        report()
    );
    let (kex, hk, cipher) = (
        seen.kex.unwrap(),
        seen.hostkey.unwrap(),
        seen.cipher.unwrap(),
    );
    assert!(
        !kex.ends_with("-sha1"),
        "default kex is legacy: {kex}\n{}",
        report()
    );
    assert!(
        hk != "ssh-rsa",
        "default host key algorithm is legacy: {hk}\n{}",
        report()
    );
    assert!(
        !cipher.ends_with("-cbc"),
        "default cipher is legacy: {cipher}\n{}",
        report()
    );
}

/// (category under test, legacy algorithm to name, sshd algorithm-list overrides)
type LegacyCase = (Category, &'static str, &'static [(Category, &'static str)]);

/// Legacy algorithms are off unless named: against an sshd that offers only legacy algorithms in
/// one category, our client with default options must fail to negotiate (non-zero exit, no
/// SERVICE_ACCEPT) — and succeed when the legacy algorithm is named with -o.
#[test]
fn sshgate_client_legacy_only_when_named() {
    require_openssh_client();
    let dir = TempDir::new("sshgate-to-sshd-legacy");
    let cases: &[LegacyCase] = &[
        (
            Category::Kex,
            "diffie-hellman-group14-sha1",
            &[(
                Category::Kex,
                "diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1",
            )],
        ),
        (
            Category::HostKey,
            "ssh-rsa",
            &[(Category::HostKey, "ssh-rsa")],
        ),
        (
            Category::Cipher,
            "aes128-cbc",
            &[(
                Category::Cipher,
                "aes128-cbc,aes192-cbc,aes256-cbc,3des-cbc",
            )],
        ),
        // With an AEAD cipher no MAC is negotiated at all, so sshd gets a single non-AEAD cipher.
        (
            Category::Mac,
            "hmac-sha1-96",
            &[
                (Category::Mac, "hmac-sha1-96"),
                (Category::Cipher, MAC_TEST_CIPHER),
            ],
        ),
    ];
    let mut failures = Failures::new("sshgate-host ssh -> legacy-only sshd", cases.len() * 2);
    for &(cat, alg, overrides) in cases {
        let sshd = start_sshd_with(&dir, overrides);
        let offered: Vec<String> = overrides
            .iter()
            .map(|(c, l)| format!("{} {l}", c.option()))
            .collect();
        let name = format!("sshd offering only {}", offered.join(" + "));

        // Not named: must be refused.
        let mark = sshd.log.mark();
        let out = run_sshgate_client(
            &dir,
            sshd.port,
            &[],
            &format!("sshgate-ssh-legacy-default-{}", cat.label()),
        );
        if out.success() || out.stderr.contains(SERVICE_ACCEPT_MARKER) || out.timed_out() {
            failures.add(
                &format!("{name}, default options"),
                format!(
                    "expected a negotiation failure (legacy is off by default)\n{}--- sshd log (tail) ---\n{}",
                    out.report(30),
                    tail(&sshd.log.since(mark), 30)
                ),
            );
        } else {
            failures.pass(&format!("{name}, default options: refused"));
        }

        // Named: must connect.
        let mut ours = cat.expect(alg, false);
        let mut theirs = cat.expect(alg, true);
        if cat != Category::Mac {
            ours.mac = None;
            theirs.mac = None;
        }
        let opts = vec!["-o".to_string(), format!("{}={alg}", cat.option())];
        let label = format!("sshgate-ssh-legacy-named-{}", cat.label());
        match check_run(&dir, &sshd, &opts, &label, &ours, &theirs) {
            Ok(()) => failures.pass(&format!("{name}, -o {}={alg}: connected", cat.option())),
            Err(report) => failures.add(&format!("{name}, -o {}={alg}", cat.option()), report),
        }
    }
    failures.finish();
}
