//! `sshgate-host demo` from an empty data directory: keys and the password file are made with
//! the right modes, the URL line is printed, `/targets` lists `router1`, `lab` logs in with the
//! printed password through `/ssh/router1` and runs `show ssh`; a second start reuses the same
//! host keys and password.

mod bridge_support;
mod support;

use bridge_support::*;
use std::fs;
use std::path::Path;
use support::*;

struct Demo {
    port: u16,
    password: String,
    _proc: ProcessGuard,
}

/// Starts the demo on a free port and reads the password from its URL line.
fn start_demo(dir: &TempDir, data: &Path, run: u32) -> Demo {
    let d = support::start_demo(dir, data, run, &[]).unwrap_or_else(|e| panic!("{e}"));
    // sshgate demo: open http://127.0.0.1:PORT/ — user lab, password XXXX
    let line = &d.lines[0];
    let (_, password) = line.split_once("/ — user lab, password ").expect(line);
    Demo {
        port: d.port,
        password: password.trim().to_string(),
        _proc: d.proc,
    }
}

fn login(dir: &TempDir, demo: &Demo) -> RunOutput {
    let shim = Shim::start(
        &format!("ws://127.0.0.1:{}/ssh/router1", demo.port),
        WsOpts {
            origin: Some(format!("http://127.0.0.1:{}", demo.port)),
            ..WsOpts::default()
        },
    );
    ssh_exec(
        dir,
        shim.port,
        "lab",
        Login::Password(&demo.password),
        "show ssh",
    )
}

#[test]
fn demo_first_start_and_restart() {
    let dir = TempDir::new("demo");
    let data = dir.join("demo-data");
    let demo = start_demo(&dir, &data, 0);
    assert_eq!(demo.password.len(), 16, "{}", demo.password);

    assert_eq!(file_mode(&data), 0o700);
    for f in [
        "lab-password",
        "device.toml",
        "host_keys/ssh_host_ed25519_key",
        "host_keys/ssh_host_ecdsa_key",
        "ca/ca-key.pem",
        "ca/router1-key.pem",
        "ca/user-key.pem",
    ] {
        assert_eq!(file_mode(&data.join(f)), 0o600, "{f}");
    }
    let stored = fs::read_to_string(data.join("lab-password")).unwrap();
    assert_eq!(stored.trim(), demo.password);
    let device = fs::read_to_string(data.join("device.toml")).unwrap();
    assert!(device.contains("$argon2id$"), "{device}");
    assert!(
        !device.contains(&demo.password),
        "the device file holds the hash only"
    );

    let (status, body) = http_get(demo.port, "/targets", &[]);
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"router1") && names.contains(&"switch1"),
        "{body}"
    );

    let out = login(&dir, &demo);
    assert!(
        out.success() && out.stdout.contains("lab") && out.stdout.contains("Session started"),
        "{}",
        out.report(30)
    );
    let host_key = fs::read(data.join("host_keys/ssh_host_ed25519_key")).unwrap();
    let password = demo.password.clone();
    drop(demo);

    let again = start_demo(&dir, &data, 1);
    assert_eq!(again.password, password, "the password is kept");
    assert_eq!(
        fs::read(data.join("host_keys/ssh_host_ed25519_key")).unwrap(),
        host_key,
        "the host key is kept"
    );
    let out = login(&dir, &again);
    assert!(
        out.success() && out.stdout.contains("lab"),
        "{}",
        out.report(30)
    );
}
