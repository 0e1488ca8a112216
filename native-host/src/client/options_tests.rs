use super::*;
use clap::Parser;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: SshArgs,
}

fn settings(argv: &[&str]) -> Result<ClientSettings, String> {
    let cmd = Cmd::try_parse_from(std::iter::once("ssh").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    ClientSettings::from_args(&cmd.args)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn user_host_port() {
    let s = settings(&["admin@router1"]).unwrap();
    assert_eq!(
        (s.user.as_deref(), s.host.as_str(), s.port),
        (Some("admin"), "router1", 22)
    );
    assert_eq!(s.known_hosts_name(), "router1");

    let s = settings(&["-l", "ops", "-p", "2222", "admin@10.0.0.1"]).unwrap();
    assert_eq!(s.user.as_deref(), Some("ops"), "-l wins over user@");
    assert_eq!(s.port, 2222);
    assert_eq!(s.known_hosts_name(), "[10.0.0.1]:2222");

    let s = settings(&["-o", "Port=2200", "-o", "User=bob", "host"]).unwrap();
    assert_eq!((s.user.as_deref(), s.port), (Some("bob"), 2200));
    let s = settings(&["-p", "23", "-o", "Port=2200", "host"]).unwrap();
    assert_eq!(s.port, 23, "-p wins over -o Port");

    let s = settings(&["ssh://me@[::1]:2022"]).unwrap();
    assert_eq!(
        (s.user.as_deref(), s.host.as_str(), s.port),
        (Some("me"), "::1", 2022)
    );
    let s = settings(&["::1"]).unwrap();
    assert_eq!((s.host.as_str(), s.port), ("::1", 22));

    assert!(settings(&["@host"]).is_err());
    assert!(settings(&["-p", "0", "host"]).is_err());
    assert!(settings(&[]).is_err(), "destination required");
}

#[test]
fn options_after_host_and_command() {
    let s = settings(&["host", "-v", "-p", "2222", "show", "version", "-x"]).unwrap();
    assert_eq!(s.verbose, 1);
    assert_eq!(s.port, 2222);
    assert_eq!(s.command, names(&["show", "version", "-x"]));
    let s = settings(&["-vvv", "host"]).unwrap();
    assert_eq!(s.verbose, 3);
}

#[test]
fn algorithm_options() {
    let s = settings(&[
        "-o",
        "Ciphers=+aes128-cbc",
        "-oKexAlgorithms=diffie-hellman-group14-sha1,curve25519-sha256",
        "-o",
        "MACs -hmac-sha1",
        "-o",
        "hostkeyalgorithms=^ssh-rsa",
        "-o",
        "Ciphers=aes256-ctr",
        "h",
    ])
    .unwrap();
    let a = &s.algorithms;
    assert_eq!(
        a.cipher,
        Some(ListSpec::Append(names(&["aes128-cbc"]))),
        "first value wins"
    );
    assert_eq!(
        a.kex,
        Some(ListSpec::Replace(names(&[
            "diffie-hellman-group14-sha1",
            "curve25519-sha256"
        ])))
    );
    assert_eq!(a.mac, Some(ListSpec::Remove(names(&["hmac-sha1"]))));
    assert_eq!(a.host_key, Some(ListSpec::Prepend(names(&["ssh-rsa"]))));
}

#[test]
fn dash_c_and_m_replace_lists() {
    let s = settings(&[
        "-c",
        "aes256-ctr",
        "-m",
        "hmac-sha1-96",
        "-o",
        "Ciphers=+aes128-cbc",
        "h",
    ])
    .unwrap();
    assert_eq!(
        s.algorithms.cipher,
        Some(ListSpec::Replace(names(&["aes256-ctr"])))
    );
    assert_eq!(
        s.algorithms.mac,
        Some(ListSpec::Replace(names(&["hmac-sha1-96"])))
    );
    assert!(settings(&["-c", "+aes128-cbc", "h"]).is_err());
}

#[test]
fn host_key_checking_options() {
    let s = settings(&["h"]).unwrap();
    assert_eq!(s.strict, StrictMode::Yes);
    assert!(!s.batch_mode);
    let s = settings(&[
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        "UserKnownHostsFile=/tmp/kh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "h",
    ])
    .unwrap();
    assert_eq!(s.strict, StrictMode::AcceptNew);
    assert_eq!(s.known_hosts_path(), PathBuf::from("/tmp/kh"));
    assert!(s.batch_mode);
    assert_eq!(s.connect_timeout, Some(5));
    assert_eq!(
        settings(&["-o", "StrictHostKeyChecking=no", "h"])
            .unwrap()
            .strict,
        StrictMode::No
    );
    assert_eq!(
        settings(&["-o", "StrictHostKeyChecking=ask", "h"])
            .unwrap()
            .strict,
        StrictMode::Ask
    );
    assert!(settings(&["-o", "StrictHostKeyChecking=maybe", "h"]).is_err());
    assert!(settings(&["-o", "BatchMode=sure", "h"]).is_err());
    let e = settings(&["-o", "Frobnicate=yes", "h"]).unwrap_err();
    assert!(e.contains("frobnicate"), "{e}");
    assert!(settings(&["-o", "Ciphers", "h"]).is_err());
}

#[test]
fn authentication_options() {
    let s = settings(&["host"]).unwrap();
    assert_eq!(s.methods, names(&AUTH_METHODS));
    assert!(!s.identities_given);
    assert!(s.identities.iter().any(|p| p.ends_with(".ssh/id_ed25519")));
    assert_eq!((s.password_prompts, s.request_tty), (3, RequestTty::Auto));

    let s = settings(&[
        "-i",
        "/k/one",
        "-o",
        "IdentityFile=/k/two",
        "-o",
        "IdentityFile /k/three",
        "-o",
        "PasswordAuthentication=no",
        "-o",
        "NumberOfPasswordPrompts=1",
        "-tt",
        "host",
    ])
    .unwrap();
    let ids: Vec<_> = s
        .identities
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        ids,
        ["/k/one", "/k/two", "/k/three"],
        "IdentityFile accumulates"
    );
    assert!(s.identities_given);
    assert!(s.certificate_files.is_empty());
    assert_eq!(s.methods, names(&["publickey", "keyboard-interactive"]));
    assert_eq!((s.password_prompts, s.request_tty), (1, RequestTty::Force));
    let s = settings(&[
        "-o",
        "CertificateFile=/k/a-cert.pub",
        "-o",
        "certificatefile /k/b-cert.pub",
        "host",
    ])
    .unwrap();
    let certs: Vec<_> = s
        .certificate_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        certs,
        ["/k/a-cert.pub", "/k/b-cert.pub"],
        "CertificateFile accumulates"
    );

    let s = settings(&[
        "-o",
        "PreferredAuthentications=password,gssapi-with-mic,publickey",
        "-o",
        "PubkeyAuthentication=no",
        "-T",
        "-o",
        "RequestTTY=force",
        "host",
    ])
    .unwrap();
    assert_eq!(s.methods, names(&["password"]), "unknown methods dropped");
    assert_eq!(s.request_tty, RequestTty::No, "-T wins over -o RequestTTY");
    assert!(settings(&["-t", "-T", "host"]).is_err());
}

#[test]
fn rekey_limit() {
    let s = settings(&["-o", "RekeyLimit=256M", "host"]).unwrap();
    assert_eq!(s.rekey_bytes, Some(256 << 20));
    let s = settings(&["-o", "RekeyLimit=1G 3600", "host"]).unwrap();
    assert_eq!(s.rekey_bytes, Some(1 << 30));
    let s = settings(&["-o", "RekeyLimit=default none", "host"]).unwrap();
    assert_eq!(s.rekey_bytes, None);
    for bad in ["RekeyLimit=8", "RekeyLimit=lots", "RekeyLimit=99999999999G"] {
        assert!(settings(&["-o", bad, "host"]).is_err(), "{bad}");
    }
}

#[test]
fn certificate_flags() {
    let s = settings(&[
        "-i",
        "user.key",
        "--cert",
        "user-chain.pem",
        "--ca-file",
        "ca1.pem",
        "--ca-file",
        "ca2.pem",
        "router1",
    ])
    .unwrap();
    assert_eq!(s.cert, Some(PathBuf::from("user-chain.pem")));
    assert_eq!(s.identities[0], PathBuf::from("user.key"));
    assert_eq!(
        s.ca_files,
        [PathBuf::from("ca1.pem"), PathBuf::from("ca2.pem")]
    );
    let s = settings(&["--pkcs12", "user.p12", "--user-from-cert", "router1"]).unwrap();
    assert_eq!(s.pkcs12, Some(PathBuf::from("user.p12")));
    assert!(s.user_from_cert);
    // --cert pairs with the -i key; --pkcs12 holds its own; --user-from-cert needs either.
    assert!(settings(&["--cert", "c.pem", "router1"]).is_err());
    assert!(settings(&["-i", "k", "--cert", "c.pem", "--pkcs12", "p.p12", "router1"]).is_err());
    let e = settings(&["--user-from-cert", "router1"]).unwrap_err();
    assert!(e.contains("--cert or --pkcs12"), "{e}");
}

#[test]
fn forwarding_flags() {
    let s = settings(&[
        "-N",
        "-L",
        "8080:web:80",
        "-o",
        "LocalForward=127.0.0.1:8443 web:443",
        "-R",
        "0:localhost:22",
        "-o",
        "RemoteForward 2222 [::1]:22",
        "-D",
        "1080",
        "-o",
        "DynamicForward=[::1]:1081",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "GatewayPorts yes",
        "-J",
        "jumper@bastion:2200,inner",
        "-o",
        "ProxyJump=ignored",
        "u@target",
    ])
    .unwrap();
    let ports: Vec<u16> = s.local_forwards.iter().map(|f| f.port).collect();
    assert_eq!(ports, [8080, 8443]);
    assert_eq!(s.local_forwards[1].bind.as_deref(), Some("127.0.0.1"));
    assert_eq!(s.remote_forwards[0].port, 0);
    assert_eq!(s.remote_forwards[1].target.host, "::1");
    assert_eq!(s.dynamic_forwards.len(), 2);
    assert!(s.exit_on_forward_failure && s.gateway_ports);
    // -J wins over -o ProxyJump; a hop's user is its own.
    let hops: Vec<(Option<&str>, &str, Option<u16>)> = s
        .jump
        .iter()
        .map(|j| (j.user.as_deref(), j.host.as_str(), j.port))
        .collect();
    assert_eq!(
        hops,
        [
            (Some("jumper"), "bastion", Some(2200)),
            (None, "inner", None)
        ]
    );
    assert_eq!(s.user.as_deref(), Some("u"));

    let s = settings(&["-W", "[::1]:22", "-o", "ProxyJump=a,b", "h"]).unwrap();
    assert_eq!(
        s.stdio_forward.map(|t| (t.host, t.port)),
        Some(("::1".into(), 22))
    );
    assert_eq!(s.jump.len(), 2);
    assert!(settings(&["-J", "none", "h"]).unwrap().jump.is_empty());

    for bad in [
        &["-L", "8080:web", "h"][..],
        &["-R", "x:h:1", "h"],
        &["-D", "0", "h"],
        &["-W", "nohost", "h"],
        &["-J", "a:0", "h"],
    ] {
        assert!(settings(bad).is_err(), "{bad:?}");
    }
}
