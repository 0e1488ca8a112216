//! known_hosts: a plain fixture and the same file hashed by `ssh-keygen -H` (data/make.sh),
//! cross-checked against what `ssh-keygen -F` found in each; names, ports, address fallback,
//! patterns and negation, markers, malformed lines, and the entries we write.

use super::pem_files::expected_public;
use super::tool::{TempDir, run_tool};
use super::*;
use crate::keys::known_hosts::{
    HASH_SALT_LEN, HostKeyStatus, MAX_LINE, cert_authority_lines, check_host_key, format_entry,
    format_hashed_entry, hashed_name, host_port_name, key_types_for, lines_naming,
};
use HostKeyStatus::{Match, Mismatch, Revoked, Unknown};

const PLAIN: &str = include_str!("data/known_hosts");
const HASHED: &str = include_str!("data/known_hosts.hashed");
/// `file name lines...`: what `ssh-keygen -F name -f file` reported.
const FOUND: &str = include_str!("data/known_hosts.found");

fn other(kind: KeyKind, tag: u8) -> PublicKey {
    PrivateKey::generate(kind, &mut rng(tag)).unwrap().public()
}

#[test]
fn the_lines_ssh_keygen_finds_are_the_lines_we_find() {
    let mut checked = 0;
    for line in FOUND.lines() {
        let mut parts = line.split_whitespace();
        let file = parts.next().unwrap();
        let name = parts.next().unwrap();
        let theirs: Vec<usize> = parts.map(|n| n.parse().unwrap()).collect();
        let text = if file == "known_hosts" { PLAIN } else { HASHED };
        assert_eq!(lines_naming(text, name), theirs, "{file} {name}");
        checked += 1;
    }
    assert_eq!(checked, 20);
}

/// The same lookups against both files; `(plain line, hashed line)` per expectation.
#[test]
fn lookups_in_plain_and_hashed_files() {
    let ed = expected_public("ed25519.pkcs8");
    let p256a = expected_public("p256.sec1");
    let p256b = expected_public("p256.pkcs8");
    let p384 = expected_public("p384.pkcs8");
    let rsa_a = expected_public("rsa2048.pkcs1");
    let rsa_b = expected_public("rsa2048.pkcs8");
    let p521 = expected_public("p521.sec1");
    let ed_other = other(KeyKind::Ed25519, 80);
    let p384_other = other(KeyKind::EcdsaP384, 81);
    type Want = fn(usize) -> HostKeyStatus;
    /// host, port, address, key, and the status with its (plain, hashed) line if listed.
    type Case<'a> = (
        &'a str,
        u16,
        Option<&'a str>,
        &'a PublicKey,
        Option<(Want, usize, usize)>,
    );
    let cases: &[Case<'_>] = &[
        ("router1", 22, None, &ed, Some((Match, 2, 2))),
        ("ROUTER1", 22, None, &ed, Some((Match, 2, 2))),
        ("router1", 22, None, &p256b, Some((Match, 10, 12))),
        ("router1", 22, None, &p256a, Some((Mismatch, 10, 12))),
        ("router1", 22, None, &ed_other, Some((Mismatch, 2, 2))),
        ("router1", 22, None, &rsa_a, None),
        ("router1", 2222, None, &ed, None),
        ("192.0.2.1", 22, None, &ed, Some((Match, 2, 3))),
        // The address is consulted when the name is not listed...
        ("router9", 22, Some("192.0.2.1"), &ed, Some((Match, 2, 3))),
        (
            "router9",
            22,
            Some("192.0.2.1"),
            &ed_other,
            Some((Mismatch, 2, 3)),
        ),
        // ...but never overrides what the name says.
        (
            "router1",
            22,
            Some("192.0.2.9"),
            &ed_other,
            Some((Mismatch, 2, 2)),
        ),
        ("router2", 2222, None, &p256a, Some((Match, 4, 5))),
        ("router2", 2222, None, &rsa_a, Some((Match, 5, 6))),
        ("router2", 2222, None, &rsa_b, Some((Mismatch, 5, 6))),
        ("router2", 22, None, &p256a, None),
        ("192.0.2.2", 2222, None, &rsa_a, Some((Match, 5, 7))),
        ("a.lab.example", 22, None, &p384, Some((Match, 6, 8))),
        (
            "A.Lab.Example",
            22,
            None,
            &p384_other,
            Some((Mismatch, 6, 8)),
        ),
        ("lab.example", 22, None, &p384, None),
        ("evil.lab.example", 22, None, &p384, None),
        ("evil.lab.example", 22, None, &p384_other, None),
        ("sw1.site", 22, None, &rsa_b, Some((Match, 7, 9))),
        ("sw1.site", 22, None, &rsa_a, Some((Mismatch, 7, 9))),
        ("sw10.site", 22, None, &rsa_b, None),
        ("anything", 22, None, &p521, Some((Revoked, 8, 10))),
        (
            "router1",
            2222,
            Some("192.0.2.1"),
            &p521,
            Some((Revoked, 8, 10)),
        ),
        ("x.corp", 22, None, &ed, None),
    ];
    for &(host, port, ip, key, want) in cases {
        for (text, hashed) in [(PLAIN, false), (HASHED, true)] {
            let expected = match want {
                Some((f, plain, h)) => f(if hashed { h } else { plain }),
                None => Unknown,
            };
            assert_eq!(
                check_host_key(text, host, port, ip, key),
                expected,
                "{host}:{port} {ip:?} {} hashed={hashed}",
                key.key_type()
            );
        }
    }
    assert_eq!(cert_authority_lines(PLAIN, "x.corp", 22), [9]);
    assert_eq!(cert_authority_lines(HASHED, "X.corp", 22), [11]);
    assert!(cert_authority_lines(PLAIN, "router1", 22).is_empty());
}

#[test]
fn malformed_lines_are_skipped() {
    let ed = expected_public("ed25519.pkcs8");
    let good = ed.to_openssh_line("");
    let not_a_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA";
    let long = format!("h {good} {}", "x".repeat(MAX_LINE));
    let text = [
        "garbage",
        "@revoked",
        "@revoked h",
        "@unknown-marker h ssh-ed25519 AAAA",
        "h ssh-ed25519",
        "h ssh-ed25519 !!notbase64",
        &format!("h {not_a_key}"),
        &format!("h ssh-rsa {}", &good[12..]),
        &long,
        "|1|bad|bad ssh-ed25519 AAAA",
        &format!("|1|AAAA|AAAA {good}"),
        &format!("|1|{}|{} {good}", "A".repeat(28), "A".repeat(40)),
        "# h ssh-ed25519 AAAA",
        "\u{feff}h",
    ]
    .join("\n");
    // None of them is a listing, a changed key, or a crash.
    assert_eq!(check_host_key(&text, "h", 22, None, &ed), Unknown);
    let other_ed = other(KeyKind::Ed25519, 82);
    assert_eq!(check_host_key(&text, "h", 22, None, &other_ed), Unknown);
    // The long line's entry is usable when short; tabs and CRLF are field and line breaks.
    let ok = format!("{text}\nh\t{good} comment\r\n");
    assert_eq!(check_host_key(&ok, "h", 22, None, &ed), Match(15));

    // Every fixture line cut at every length, and every byte flipped, never panics.
    for line in PLAIN.lines().chain(HASHED.lines()) {
        for n in (0..line.len()).filter(|&n| line.is_char_boundary(n)) {
            let _ = check_host_key(&line[..n], "router1", 22, Some("192.0.2.1"), &ed);
        }
        for i in (0..line.len()).step_by(7) {
            let mut bytes = line.as_bytes().to_vec();
            bytes[i] ^= 0x20;
            if let Ok(s) = String::from_utf8(bytes) {
                let _ = check_host_key(&s, "router1", 22, None, &ed);
            }
        }
    }
}

#[test]
fn entries_we_write_are_found_again_and_match_ssh_keygen_hashing() {
    let ed = expected_public("ed25519.pkcs8");
    assert_eq!(host_port_name("Router1", 22), "router1");
    assert_eq!(host_port_name("Router1", 2222), "[router1]:2222");
    assert_eq!(
        format_entry("Router1", 22, None, &ed).unwrap(),
        format!("router1 {}", ed.to_openssh_line(""))
    );
    let with_ip = format_entry("r", 2222, Some("192.0.2.7"), &ed).unwrap();
    assert!(with_ip.starts_with("[r]:2222,[192.0.2.7]:2222 ssh-ed25519 "));
    assert_eq!(check_host_key(&with_ip, "r", 2222, None, &ed), Match(1));
    assert_eq!(
        check_host_key(&with_ip, "x", 2222, Some("192.0.2.7"), &ed),
        Match(1)
    );
    for bad in ["", "a b", "a,b", "@revoked", "#x", "|1|x", "!x", "a\nb"] {
        assert!(format_entry(bad, 22, None, &ed).is_err(), "{bad:?}");
    }
    assert!(format_entry("h", 22, Some("1.2.3.4 5"), &ed).is_err());

    // Line 2 of the hashed fixture is ssh-keygen's hash of `router1`: its salt gives it back.
    let theirs = HASHED.lines().nth(1).unwrap();
    let salt_b64 = theirs.split('|').nth(2).unwrap();
    let decoded = <base64ct::Base64 as base64ct::Encoding>::decode_vec(salt_b64).unwrap();
    let salt: [u8; HASH_SALT_LEN] = decoded.try_into().unwrap();
    let ours = format_hashed_entry("router1", 22, &ed, &salt).unwrap();
    let first3 = |l: &str| l.split(' ').take(3).collect::<Vec<_>>().join(" ");
    assert_eq!(first3(&ours), first3(theirs));
    assert_eq!(check_host_key(&ours, "router1", 22, None, &ed), Match(1));
    assert_eq!(check_host_key(&ours, "router2", 22, None, &ed), Unknown);
    let h2 = hashed_name("router1", 2222, &salt).unwrap();
    assert_ne!(h2, hashed_name("router1", 22, &salt).unwrap());
}

/// `ssh-keygen -F` finds hashed and plain entries we wrote (the tool must be installed).
#[test]
fn ssh_keygen_finds_entries_we_write() {
    let dir = TempDir::new("known-hosts");
    let path = dir.0.join("known_hosts");
    let key = expected_public("p256.sec1");
    let mut salt = [0u8; HASH_SALT_LEN];
    rng(83).fill(&mut salt);
    let text = format!(
        "{}\n{}\n",
        format_hashed_entry("hashed.example", 2200, &key, &salt).unwrap(),
        format_entry("plain.example", 22, Some("192.0.2.44"), &key).unwrap()
    );
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    for (name, line) in [
        ("[hashed.example]:2200", 1),
        ("plain.example", 2),
        ("192.0.2.44", 2),
    ] {
        let out = run_tool("/usr/bin/ssh-keygen", &["-F", name, "-f", p]);
        assert!(
            out.contains(&format!("found: line {line}")),
            "{name}: {out}"
        );
    }
}

#[test]
fn the_key_types_known_for_a_host_come_first_in_the_host_key_list() {
    let ed = other(KeyKind::Ed25519, 1);
    let p256 = other(KeyKind::EcdsaP256, 2);
    let rsa = other(KeyKind::Rsa(2048), 3);
    let salt = [7u8; HASH_SALT_LEN];
    let text = [
        format!("# router1 {}", rsa.to_openssh_line("")),
        format!("@revoked router1 {}", rsa.to_openssh_line("")),
        format_hashed_entry("router1", 22, &p256, &salt).unwrap(),
        format_entry("other", 22, None, &rsa).unwrap(),
        format_entry("router1", 2222, None, &rsa).unwrap(),
        format_entry("router1", 22, None, &ed).unwrap(),
        format_entry("router1", 22, None, &p256).unwrap(),
    ]
    .join("\n");
    // Hashed and plain lines count, once each, in file order; revoked lines, comments, other
    // hosts and other ports do not.
    assert_eq!(
        key_types_for(&text, "ROUTER1", 22),
        ["ecdsa-sha2-nistp256", "ssh-ed25519"]
    );
    assert_eq!(key_types_for(&text, "router1", 2222), ["ssh-rsa"]);
    assert!(key_types_for(&text, "router2", 22).is_empty());

    let mut algs = crate::config::Algorithms::default();
    let before = algs.host_key.clone();
    algs.prefer_host_key_types(&key_types_for(&text, "router1", 22));
    let names: Vec<&str> = algs.host_key.iter().map(|a| a.name()).collect();
    // The known types first (certificates of them before the plain algorithm, as before),
    // then everything else in its old order; nothing is lost or added.
    assert_eq!(
        names[..6],
        [
            "ssh-ed25519-cert-v01@openssh.com",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "x509v3-ssh-ed25519",
            "x509v3-ecdsa-sha2-nistp256",
            "ssh-ed25519",
            "ecdsa-sha2-nistp256"
        ][..],
        "{names:?}"
    );
    assert_eq!(algs.host_key.len(), before.len());
    assert!(before.iter().all(|a| algs.host_key.contains(a)));
    let rest: Vec<_> = before
        .iter()
        .filter(|a| !algs.host_key[..6].contains(a))
        .collect();
    assert!(algs.host_key[6..].iter().eq(rest));
    // A `@cert-authority` line for the host: every OpenSSH certificate algorithm first, in
    // its order, as OpenSSH's order_hostkeyalgs does.
    algs.prefer_host_certificates();
    let certs = algs
        .host_key
        .iter()
        .take_while(|a| a.openssh_cert().is_some());
    assert_eq!(certs.count(), 6, "{:?}", algs.host_key);
    assert_eq!(algs.host_key[0].name(), "ssh-ed25519-cert-v01@openssh.com");
    assert_eq!(
        algs.host_key[2].name(),
        "ecdsa-sha2-nistp384-cert-v01@openssh.com"
    );
    assert_eq!(algs.host_key[6].name(), "x509v3-ssh-ed25519");

    // RSA: all three RSA algorithms share the `ssh-rsa` key type.
    let mut algs = crate::config::Algorithms::default();
    algs.prefer_host_key_types(&["ssh-rsa".to_string()]);
    assert!(
        algs.host_key[..3].iter().all(|a| a.key_type() == "ssh-rsa"),
        "{:?}",
        algs.host_key
    );
    let mut unchanged = crate::config::Algorithms::default();
    unchanged.prefer_host_key_types(&[]);
    assert_eq!(
        unchanged.host_key,
        crate::config::Algorithms::default().host_key
    );
}
