//! authorized_keys lines: options with quoted commas, spaces and quotes, flags and their order,
//! malformed quoting, unknown options and key types, and never a panic.

use super::pem_files::expected_public;
use super::*;
use crate::keys::authorized_keys::{
    AuthorizedKey, KeyOption, MAX_LINE, Permission, parse_authorized_keys,
};

fn key_line() -> String {
    expected_public("ed25519.pkcs8").to_openssh_line("user@host")
}

fn parse(line: &str) -> AuthorizedKey {
    AuthorizedKey::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn error(line: &str) -> KeyError {
    AuthorizedKey::parse(line).map(|_| ()).unwrap_err()
}

#[test]
fn plain_lines_and_comments() {
    let k = key_line();
    let a = parse(&k);
    assert!(a.options.is_empty());
    assert_eq!(a.key, expected_public("ed25519.pkcs8"));
    assert_eq!(a.comment, "user@host");
    let rsa = expected_public("rsa2048.pkcs1").to_openssh_line("");
    assert_eq!(parse(&format!("  {rsa}\r\n")).comment, "");
    // A comment with spaces stays whole.
    assert_eq!(
        parse(&format!("{k} and more")).comment,
        "user@host and more"
    );
}

#[test]
fn options_with_quoted_commas_spaces_and_quotes() {
    let k = key_line();
    let a = parse(&format!(
        r#"command="echo \"a, b\" c",from="192.0.2.0/24,!192.0.2.9",no-pty,environment="X=1 2" {k}"#
    ));
    assert_eq!(
        a.options,
        [
            KeyOption::Command(r#"echo "a, b" c"#.into()),
            KeyOption::From("192.0.2.0/24,!192.0.2.9".into()),
            KeyOption::Flag(Permission::Pty, false),
            KeyOption::Environment("X=1 2".into()),
        ]
    );
    assert_eq!(a.command(), Some(r#"echo "a, b" c"#));
    assert!(!a.allows(Permission::Pty));
    assert!(a.allows(Permission::PortForwarding));
    assert_eq!(a.comment, "user@host");
    // Other backslashes are kept as written.
    let b = parse(&format!(r#"command="a\b\\c" {k}"#));
    assert_eq!(b.command(), Some(r"a\b\\c"));
    // Names are case-insensitive; values keep their case.
    let c = parse(&format!(r#"NO-X11-Forwarding,Command="Show Run" {k}"#));
    assert_eq!(
        c.options,
        [
            KeyOption::Flag(Permission::X11Forwarding, false),
            KeyOption::Command("Show Run".into())
        ]
    );
}

#[test]
fn every_option_parses() {
    let k = key_line();
    let opts = r#"restrict,cert-authority,no-touch-required,verify-required,agent-forwarding,no-agent-forwarding,port-forwarding,no-port-forwarding,pty,no-pty,user-rc,no-user-rc,x11-forwarding,no-x11-forwarding,command="c",environment="A_1=b",from="*.lab",permitopen="h:22",permitopen="[::1]:*",permitlisten="8080",permitlisten="localhost:8080",principals="p1,p2",expiry-time="20301231",expiry-time="203012312359Z",tunnel="0",tunnel="any""#;
    let a = parse(&format!("{opts} {k}"));
    assert_eq!(a.options.len(), 26);
    assert!(a.is_cert_authority());
    assert!(a.options.contains(&KeyOption::PermitOpen("[::1]:*".into())));
    assert!(
        a.options
            .contains(&KeyOption::ExpiryTime("203012312359Z".into()))
    );
}

#[test]
fn restrict_and_flags_apply_in_order() {
    let k = key_line();
    let a = parse(&format!("restrict,pty {k}"));
    assert!(a.allows(Permission::Pty));
    assert!(!a.allows(Permission::PortForwarding));
    let b = parse(&format!("pty,restrict {k}"));
    assert!(!b.allows(Permission::Pty));
    let c = parse(&format!("no-pty,pty {k}"));
    assert!(c.allows(Permission::Pty));
    let d = parse(&format!(r#"command="a",command="b" {k}"#));
    assert_eq!(d.command(), Some("b"));
    assert!(!d.is_cert_authority());
}

#[test]
fn malformed_lines_say_why() {
    let k = key_line();
    for (line, want) in [
        (
            format!(r#"command="unterminated {k}"#),
            "missing end quote in options",
        ),
        (
            format!(r#"command="a\" {k}"#),
            "missing end quote in options",
        ),
        (
            format!(r#"command=unquoted {k}"#),
            "option value without its opening quote",
        ),
        (
            format!(r#"command="a"b {k}"#),
            "options must be separated by commas",
        ),
        (format!("no-pty, {k}"), "unexpected end of options"),
        (format!("no-pty,,pty {k}"), "empty option"),
        (format!(",no-pty {k}"), "empty option"),
        (
            format!(r#"environment="NOEQUALS" {k}"#),
            "invalid option value",
        ),
        (format!(r#"environment="=x" {k}"#), "invalid option value"),
        (
            format!(r#"permitopen="nohost" {k}"#),
            "invalid option value",
        ),
        (
            format!(r#"permitopen="h:port" {k}"#),
            "invalid option value",
        ),
        (format!(r#"expiry-time="2030" {k}"#), "invalid option value"),
        (format!(r#"tunnel="x" {k}"#), "invalid option value"),
        ("no-pty".into(), "options without a key"),
        ("".into(), "blank or comment line"),
        ("# ssh-ed25519 AAAA".into(), "blank or comment line"),
        ("ssh-ed25519 AAAA!".into(), "public key base64"),
    ] {
        match AuthorizedKey::parse(&line) {
            Err(KeyError::Malformed(why)) => assert_eq!(why, want, "{line}"),
            other => panic!("{line}: {other:?}"),
        }
    }
    for (line, want) in [
        (format!("nopty {k}"), "\"nopty\""),
        (format!("ptyx {k}"), "\"ptyx\""),
        (format!(r#"foo="bar" {k}"#), "\"foo\""),
        (
            "ssh-dss-cert-v01@openssh.com AAAAB3NzaC1kc3M= c".into(),
            "ssh-dss-cert-v01@openssh.com",
        ),
        (
            format!("no-pty sk-ssh-ed25519@openssh.com {}", &k[12..]),
            "sk-ssh-ed25519@openssh.com",
        ),
        (format!("restrict ssh-foo {}", &k[12..]), "ssh-foo"),
    ] {
        match AuthorizedKey::parse(&line) {
            Err(KeyError::Unsupported(why)) => assert!(why.contains(want), "{line}: {why}"),
            other => panic!("{line}: {other:?}"),
        }
    }
    // The blob's type must be the one written.
    let rsa_type = format!("ssh-rsa {}", &k[12..]);
    assert_eq!(
        error(&rsa_type),
        KeyError::Malformed("key type differs from the blob's")
    );
    assert_eq!(
        error(&format!("{k}{}", " ".repeat(MAX_LINE))),
        KeyError::Malformed("authorized_keys line too long")
    );
}

#[test]
fn files_skip_blanks_and_comments_and_report_bad_lines() {
    let k = key_line();
    let text = format!("# keys\n\n{k}\nno-pty,bogus {k}\n  \nrestrict {k}\n");
    let parsed = parse_authorized_keys(&text);
    let lines: Vec<usize> = parsed.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, [3, 4, 6]);
    assert!(parsed[0].1.is_ok() && parsed[1].1.is_err() && parsed[2].1.is_ok());
}

#[test]
fn every_cut_and_flip_of_an_option_line_is_handled() {
    let k = key_line();
    let line = format!(
        r#"restrict,command="echo \"x y\"",from="a,b",permitopen="h:1",environment="A=b" {k}"#
    );
    for n in 0..line.len() {
        let _ = AuthorizedKey::parse(&line[..n]);
    }
    for i in 0..line.len() {
        for c in [b'"', b'\\', b',', b' ', b'=', b'x'] {
            let mut b = line.clone().into_bytes();
            b[i] = c;
            let _ = AuthorizedKey::parse(core::str::from_utf8(&b).unwrap());
        }
    }
    // Non-ASCII anywhere is an error or a comment, never a panic.
    let _ = AuthorizedKey::parse(&format!("é{k}"));
    let _ = AuthorizedKey::parse(&format!(r#"command="é" {k} é"#));
    let _ = AuthorizedKey::parse(&format!("{}é {k}", "a".repeat(63)));
}
