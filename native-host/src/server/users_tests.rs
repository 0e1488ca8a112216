use super::*;
use crate::server::config::DeviceFile;
use crate::server::passwords::verify_password;
use sshgate::keys::authorized_keys::Permission;

const EXAMPLE: &str = include_str!("../../examples/device.toml");

const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINf9zy3WkS4uepURP9I6t9aSBKVW54pksuni6LHTn1tp lab@example";
const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDIS9SbWdrvfIpz9oyhH9l8cC5iZWooNTm7BIQcrYKmzmCwrNQ68u7yZCUH/fvlPsv8UhWIJzyaXI+vzuPSeBUdYS66FpTfxx10pxDah/4YrZbxTOelqzLEpyEzEkb+zNy1zOOtlHhqx7J/1sn+dggA1vpRDh+qithyT8wXUYlKxtWPE7OS/p+k/LuTbSS/i//wb23S9ZnVDKvABSpNkTxyhMllhlbWwqDAOoECwpTjvLbMiCIQRKZVv6OX/Z0k9CpT1TN22sG0T3bty6nscYIvWglBu67Cr27ilUVs7YcS+UQD0KMaLzLTt5xe1DcZV0bzpCLFw5qQdw3J0sKxlH9J rsa@example";
/// `ssh-keygen -E md5 -lf` of [`RSA`].
const RSA_MD5: &str = "cf:7e:d5:5e:3c:ac:fb:3e:66:9a:50:29:97:16:b5:b2";

const HEAD: &str = "[server]\nhost_keys = [\"k/ssh_host_ed25519_key\"]\n";

fn parse(users: &str) -> anyhow::Result<DeviceFile> {
    DeviceFile::parse(&format!("{HEAD}{users}"))
}

fn err(users: &str) -> String {
    format!("{:#}", parse(users).unwrap_err())
}

#[test]
fn example_users() {
    let f = DeviceFile::parse(EXAMPLE).unwrap();
    assert_eq!(f.users.len(), 1);
    let lab = &f.users[0];
    assert_eq!((lab.name.as_str(), lab.privilege), ("lab", 15));
    assert_eq!(lab.prompt_char(), '#');
    assert!(verify_password(
        lab.password_hash.as_deref().unwrap(),
        "demo-lab-pw"
    ));
    assert!(lab.authorized_keys.is_empty() && lab.command.is_none() && !lab.password_expired);
    // The commented-out examples are valid too once uncommented (placeholders aside).
    assert!(EXAMPLE.contains("# authorized_keys = ["));
    let monitor = EXAMPLE
        .split("\n# [[users]]\n# name = \"monitor\"")
        .nth(1)
        .expect("the monitor example")
        .replace("\n# ", "\n")
        .replace("ssh-ed25519 AAAA...placeholder... monitor@noc", ED25519);
    let f = parse(&format!("[[users]]\nname = \"monitor\"{monitor}")).unwrap();
    let m = &f.users[0];
    assert_eq!(m.command.as_deref(), Some("/usr/bin/top -b -n 1"));
    assert_eq!(m.run_as.as_deref(), Some("nobody"));
}

#[test]
fn full_user() {
    let text = format!(
        r#"
[[users]]
name = "ops"
authorized_keys = [
    '{ED25519}',
    'from="192.0.2.0/24",command="show ssh" {RSA}',
    'restrict,command="echo \"a b\"" {ED25519}',
]
key_hashes = [{{ type = "ssh-rsa", hash = "{}" }}, {{ type = "ssh-rsa", hash = "{RSA_MD5}" }}]
command = "/bin/sh"
password_expired = true
"#,
        RSA_MD5.replace(':', "").to_uppercase()
    );
    let f = parse(&text).unwrap();
    let u = &f.users[0];
    assert_eq!(u.privilege, 1, "default");
    assert_eq!(u.prompt_char(), '>');
    assert_eq!(u.authorized_keys.len(), 3);
    assert!(u.authorized_keys[1].starts_with("from="), "kept raw");
    let keys: Vec<_> = u.authorized().into_iter().map(|a| a.key).collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[1].key_type(), "ssh-rsa");
    assert!(u.key_hash_matches(&keys[1]));
    assert!(!u.key_hash_matches(&keys[0]));
    assert_eq!(u.command.as_deref(), Some("/bin/sh"));
    assert!(u.password_expired && u.password_hash.is_none());
}

#[test]
fn authorized_keys_options_are_parsed_and_carried() {
    let text = format!(
        r#"
[[users]]
name = "ops"
authorized_keys = [
    '  no-pty {ED25519}',
    'command="a \"b, c\" d",no-pty,from="192.0.2.0/24" {RSA}',
    'cert-authority,principals="ops" {ED25519}',
]
"#
    );
    let f = parse(&text).unwrap();
    let u = &f.users[0];
    let parsed = u.authorized();
    assert_eq!(parsed.len(), 3);
    assert!(!parsed[0].allows(Permission::Pty));
    assert_eq!(parsed[1].command(), Some(r#"a "b, c" d"#));
    assert!(
        parsed[1]
            .options
            .contains(&KeyOption::From("192.0.2.0/24".into()))
    );
    assert_eq!(parsed[1].comment, "rsa@example");
    // A certificate authority's key is not a login key.
    assert!(parsed[2].is_cert_authority());
    let inside: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let outside: std::net::IpAddr = "198.51.100.1".parse().unwrap();
    let now = 2_000_000_000;
    let rules = u
        .admit_key(&parsed[0].key, outside, now)
        .expect("no-pty key");
    assert!(!rules.pty && rules.forced_command.is_none());
    let rules = u
        .admit_key(&parsed[1].key, inside, now)
        .expect("from= admits");
    assert_eq!(rules.forced_command.as_deref(), Some(r#"a "b, c" d"#));
    assert!(!rules.pty);
    assert!(
        u.admit_key(&parsed[1].key, outside, now).is_none(),
        "from= refuses"
    );
    // The CA key is also the first line's key: it logs in through that line only.
    assert!(u.admit_key(&parsed[2].key, outside, now).is_some());
    assert!(parsed.iter().all(|p| ignored_options(p).is_empty()));
}

#[test]
fn expired_keys_and_ignored_environment() {
    let text = format!(
        r#"
[[users]]
name = "temp"
authorized_keys = [
    'expiry-time="20200101",environment="A=b" {ED25519}',
]
"#
    );
    let f = parse(&text).unwrap();
    let u = &f.users[0];
    let line = &u.authorized()[0];
    let ip: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    // 2019-12-31 vs 2020-01-02.
    assert!(u.admit_key(&line.key, ip, 1_577_750_400).is_some());
    assert!(u.admit_key(&line.key, ip, 1_577_923_200).is_none());
    assert_eq!(ignored_options(line), ["environment="]);
}

#[test]
fn rejects() {
    let pw = format!(
        "password_hash = \"{}\"",
        crate::server::passwords::tests::scrypt_phc("hunter2")
    );
    let e = err(&format!(
        "[[users]]\nname = \"lab\"\nprivilege = 16\n{pw}\n"
    ));
    assert!(e.contains("\"lab\"") && e.contains("privilege 16"), "{e}");
    let e = err("[[users]]\nname = \"bob\"\nauthorized_keys = [\"ssh-ed25519 AAAAnotbase64!\"]\n");
    assert!(
        e.contains("\"bob\"") && e.contains("authorized_keys[0]"),
        "{e}"
    );
    let e = err(
        "[[users]]\nname = \"bob\"\nauthorized_keys = [\"no-pty ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAINf9zy3WkS4uepURP9I6t9aSBKVW54pksuni6LHTn1tp\"]\n",
    );
    assert!(e.contains("\"bob\""), "type differs from blob: {e}");
    let e = err(&format!(
        "[[users]]\nname = \"bob\"\nauthorized_keys = ['nopty {ED25519}']\n"
    ));
    assert!(
        e.contains("authorized_keys[0]") && e.contains("option \"nopty\""),
        "{e}"
    );
    let e = err(&format!(
        "[[users]]\nname = \"bob\"\nauthorized_keys = ['command=\"x {ED25519}']\n"
    ));
    assert!(e.contains("missing end quote"), "{e}");
    // ssh-dss is read (legacy, usable if the hostkey list names it); its security keys are not.
    let e = err(
        "[[users]]\nname = \"bob\"\nauthorized_keys = [\"sk-ssh-ed25519@openssh.com AAAAB3NzaC1kc3M=\"]\n",
    );
    assert!(
        e.contains("unsupported: key type sk-ssh-ed25519@openssh.com"),
        "{e}"
    );
    let e = err("[[users]]\nname = \"carol\"\npassword_hash = \"hunter2\"\n");
    assert!(
        e.contains("\"carol\"") && e.contains("password_hash"),
        "{e}"
    );
    let e =
        err("[[users]]\nname = \"dave\"\nkey_hashes = [{ type = \"ssh-rsa\", hash = \"abc\" }]\n");
    assert!(e.contains("\"dave\"") && e.contains("32 hex"), "{e}");
    let e = err(
        "[[users]]\nname = \"dave\"\nkey_hashes = [{ type = \"rsa\", hash = \"cf7ed55e3cacfb3e669a50299716b5b2\" }]\n",
    );
    assert!(e.contains("unknown key type"), "{e}");
    let e = err("[[users]]\nname = \"erin\"\n");
    assert!(e.contains("cannot log in"), "{e}");
    let e = err(&format!(
        "[[users]]\nname = \"x\"\n{pw}\n[[users]]\nname = \"x\"\n{pw}\n"
    ));
    assert!(e.contains("twice"), "{e}");
    let e = err(&format!("[[users]]\nname = \"a b\"\n{pw}\n"));
    assert!(e.contains("bad name"), "{e}");
    let e = err(&format!("[[users]]\nname = \"f\"\ncommand = \" \"\n{pw}\n"));
    assert!(e.contains("command"), "{e}");
    let e = err(&format!("[[users]]\nname = \"f\"\nshell = \"x\"\n{pw}\n"));
    assert!(e.contains("shell"), "{e}");
    // run_as only with a program, and only an account name.
    let e = err(&format!(
        "[[users]]\nname = \"g\"\nrun_as = \"nobody\"\n{pw}\n"
    ));
    assert!(
        e.contains("\"g\"") && e.contains("run_as without command"),
        "{e}"
    );
    for bad in ["", "a:b", "../x"] {
        let e = err(&format!(
            "[[users]]\nname = \"g\"\ncommand = \"id\"\nrun_as = {bad:?}\n{pw}\n"
        ));
        assert!(e.contains("not an account name"), "{bad:?}: {e}");
    }
    // The scrypt user itself is fine.
    let f = parse(&format!("[[users]]\nname = \"s\"\nprivilege = 0\n{pw}\n")).unwrap();
    assert!(verify_password(
        f.users[0].password_hash.as_deref().unwrap(),
        "hunter2"
    ));
}

#[test]
fn forwarding_lists_are_checked_at_load() {
    let user = |lines: &str| {
        format!("[[users]]\nname = \"ops\"\nauthorized_keys = [{ED25519:?}]\n{lines}\n")
    };
    let ok = parse(&user(
        r#"permit_open = ["10.0.0.0/8:22", "127.0.0.1:8080", "db.example.com:5432", "*:443"]
permit_listen = ["127.0.0.1:0", "localhost:8000-9000", "7000"]"#,
    ))
    .unwrap();
    assert_eq!(ok.users[0].permit_open.len(), 4);
    assert!(
        parse(&user("")).unwrap().users[0].permit_open.is_empty(),
        "none by default"
    );
    let e = err(&user(r#"permit_open = ["10.0.0.0/8"]"#));
    assert!(e.contains("\"ops\"") && e.contains("permit_open"), "{e}");
    let e = err(&user(r#"permit_listen = ["localhost:9-1"]"#));
    assert!(e.contains("permit_listen"), "{e}");
}
