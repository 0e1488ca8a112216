//! `wss://`: the bridge with a certificate made by the `openssl` CLI for 127.0.0.1 (a test CA,
//! server and client certificates), carrying an SSH session to `sshgate-host serve`; mutual
//! TLS with `--client-ca` refuses a client without a certificate from that CA before any
//! HTTP; and plain `ws://` off loopback is refused at start-up without the override flag.

mod bridge_support;
mod support;

use bridge_support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::*;

const OPENSSL: &str = "/usr/bin/openssl";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for IP 127.0.0.1 and a client certificate, all P-256.
struct Pki {
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
    /// A client certificate from a CA the bridge does not trust.
    stranger: (PathBuf, PathBuf),
}

fn make_pki(dir: &TempDir) -> Pki {
    require_tool(OPENSSL, "apt-get install openssl");
    let d = dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let (key, pem, subj) = (
            format!("{ca}.key"),
            format!("{ca}.pem"),
            format!("/CN=sshgate test {ca}"),
        );
        let mut a = vec!["req", "-x509"];
        a.extend(ec);
        a.extend([
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &a);
    }
    let leaf = |name: &str, ca: &str, ext: &str| {
        std::fs::write(d.join(format!("{name}.ext")), ext).unwrap();
        let mut a = vec!["req"];
        a.extend(ec);
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let subj = format!("/CN={name}");
        a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(d, &a);
        let (ca_pem, ca_key, extfile) = (
            format!("{ca}.pem"),
            format!("{ca}.key"),
            format!("{name}.ext"),
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &extfile,
            ],
        );
        (d.join(pem), d.join(key))
    };
    let server = leaf(
        "server",
        "ca",
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    let client_ext = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
    let client = leaf("client", "ca", client_ext);
    let stranger = leaf("stranger", "other-ca", client_ext);
    Pki {
        ca: d.join("ca.pem"),
        server,
        client,
        stranger,
    }
}

fn tls_args(pki: &Pki, device_port: u16) -> Vec<String> {
    vec![
        "--target".into(),
        format!("router1=127.0.0.1:{device_port}"),
        "--tls-cert".into(),
        pki.server.0.display().to_string(),
        "--tls-key".into(),
        pki.server.1.display().to_string(),
    ]
}

#[test]
fn wss_carries_an_ssh_session() {
    let dir = TempDir::new("bridge-wss");
    let pki = make_pki(&dir);
    let device = start_bridged_device(&dir, None);
    let bridge = start_bridge(&dir, &tls_args(&pki, device.port));
    let url = format!("wss://127.0.0.1:{}/ssh/router1", bridge.port);
    let opts = WsOpts {
        ca: Some(pki.ca.clone()),
        // A page served by the bridge itself: https origin, same host.
        origin: Some(format!("https://127.0.0.1:{}", bridge.port)),
        ..WsOpts::default()
    };
    let shim = Shim::start(&url, opts.clone());
    let out = ssh_exec(
        &dir,
        shim.port,
        "lab",
        Login::Key(&client_key(&dir)),
        "show ssh",
    );
    assert!(
        out.success() && out.stdout.contains("lab"),
        "{}\n{}",
        out.report(30),
        bridge.report()
    );
    runtime().block_on(async {
        // The http:// origin of the same host is another origin.
        let http_origin = WsOpts {
            origin: Some(format!("http://127.0.0.1:{}", bridge.port)),
            ..opts.clone()
        };
        assert_eq!(refusal_status(ws_connect(&url, &http_origin).await), 403);
        // Plain ws:// to the TLS port gets no WebSocket.
        let plain = format!("ws://127.0.0.1:{}/ssh/router1", bridge.port);
        assert!(ws_connect(&plain, &WsOpts::default()).await.is_err());
    });
}

#[test]
fn mutual_tls_wants_a_client_certificate_from_the_ca() {
    let dir = TempDir::new("bridge-mtls");
    let pki = make_pki(&dir);
    let sentinel = Sentinel::start();
    let device = start_bridged_device(&dir, None);
    let mut args = tls_args(&pki, device.port);
    args.extend([
        "--target".into(),
        format!("probe={}", sentinel.addr),
        "--client-ca".into(),
        pki.ca.display().to_string(),
    ]);
    let bridge = start_bridge(&dir, &args);
    let url = |name: &str| format!("wss://127.0.0.1:{}/ssh/{name}", bridge.port);
    let base = WsOpts {
        ca: Some(pki.ca.clone()),
        ..WsOpts::default()
    };
    runtime().block_on(async {
        let none = ws_connect(&url("probe"), &base).await;
        assert!(none.is_err(), "no client certificate, yet a WebSocket");
        let stranger = WsOpts {
            client_cert: Some(pki.stranger.clone()),
            ..base.clone()
        };
        assert!(
            ws_connect(&url("probe"), &stranger).await.is_err(),
            "foreign CA accepted"
        );
    });
    assert_eq!(sentinel.connections(), 0, "{}", bridge.report());
    let with_cert = WsOpts {
        client_cert: Some(pki.client.clone()),
        ..base
    };
    let shim = Shim::start(&url("router1"), with_cert);
    let out = ssh_exec(
        &dir,
        shim.port,
        "lab",
        Login::Key(&client_key(&dir)),
        "show users",
    );
    assert!(
        out.success() && out.stdout.contains("lab"),
        "{}\n{}",
        out.report(30),
        bridge.report()
    );
    let log = bridge.log.all();
    assert!(log.contains("TLS handshake failed"), "{}", bridge.report());
}

/// The check is made before binding, so the test never listens off loopback: the address is
/// one this machine does not have (TEST-NET-1), and with the flag the failure is the bind's.
#[test]
fn plain_ws_off_loopback_needs_the_override() {
    let dir = TempDir::new("bridge-plain");
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(sshgate_bin());
        cmd.args([
            "bridge",
            "--target",
            "r1=127.0.0.1:22",
            "--listen",
            "192.0.2.1:8080",
            // A token, so the only rule in question is the plain-ws:// one.
            "--token",
            "t",
        ])
        .args(extra);
        run_with_timeout(
            &mut cmd,
            &dir,
            "bridge-plain",
            std::time::Duration::from_secs(10),
        )
    };
    let refused = run(&[]);
    assert_eq!(
        refused.status.and_then(|s| s.code()),
        Some(1),
        "{}",
        refused.report(10)
    );
    assert!(
        refused.stderr.contains("not a loopback address")
            && refused.stderr.contains("--insecure-allow-plain"),
        "{}",
        refused.report(10)
    );
    let forced = run(&["--insecure-allow-plain"]);
    assert!(
        !forced.stderr.contains("not a loopback address")
            && forced.stderr.contains("listening on 192.0.2.1:8080"),
        "{}",
        forced.report(10)
    );
}
