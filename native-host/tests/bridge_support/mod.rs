//! Helpers of the WebSocket tests (`bridge_*.rs`), next to the interop `support`:
//!
//! - [`ws_connect`]: a WebSocket client (tokio-tungstenite; `wss://` through rustls with the
//!   test's CA, and a client certificate for mutual TLS);
//! - [`Shim`]: a loopback TCP port whose connections are carried over such a WebSocket, so the
//!   real OpenSSH `ssh` reaches `ws(s)://.../ssh/NAME` as if it were a TCP server;
//! - [`Sentinel`]: a listener the test owns that counts the connections it gets — the proof
//!   that a refusal happened before the bridge dialled its target;
//! - [`start_bridge`], [`start_device`]: `sshgate-host bridge` and `sshgate-host serve` (a
//!   device with user `lab` logging in with the test's key, optionally with a WebSocket
//!   listener) on free loopback ports;
//! - [`ssh_exec`]: `ssh ... command` through a port, by key or by password (sshpass);
//! - [`http_get`]: a one-shot HTTP/1.1 GET.
#![allow(dead_code)]

use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

/// A byte stream of any kind (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A client WebSocket.
pub type Ws = tokio_tungstenite::WebSocketStream<Box<dyn Io>>;

/// How the client connects.
#[derive(Clone, Default)]
pub struct WsOpts {
    /// `Origin` header (browsers always send one).
    pub origin: Option<String>,
    /// `Host` header in place of the URL's (the connection still goes to the URL's address):
    /// a page whose name was re-pointed at the listener (DNS rebinding).
    pub host: Option<String>,
    /// Offered subprotocols (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// For `wss://`: the CA certificate (PEM) the server's certificate must chain to.
    pub ca: Option<PathBuf>,
    /// Client certificate and key (PEM) for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

fn tls_config(opts: &WsOpts) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let ca = opts.ca.as_ref().expect("wss:// needs WsOpts::ca");
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).expect("read CA") {
        roots.add(c.expect("CA PEM")).expect("add CA");
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    match &opts.client_cert {
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
            b.with_client_auth_cert(certs, PrivateKeyDer::from_pem_file(key).unwrap())
                .unwrap()
        }
        None => b.with_no_client_auth(),
    }
}

/// Opens a WebSocket to `url` (`ws://127.0.0.1:PORT/...` or `wss://...`). An HTTP refusal is
/// `Err(tungstenite::Error::Http(response))`.
pub async fn ws_connect(url: &str, opts: &WsOpts) -> Result<Ws, tungstenite::Error> {
    let mut req = url.into_client_request()?;
    let h = req.headers_mut();
    if let Some(o) = &opts.origin {
        h.insert("origin", o.parse().unwrap());
    }
    if let Some(host) = &opts.host {
        h.insert("host", host.parse().unwrap());
    }
    if !opts.protocols.is_empty() {
        h.insert(
            "sec-websocket-protocol",
            opts.protocols.join(", ").parse().unwrap(),
        );
    }
    let uri = req.uri().clone();
    let host = uri.host().unwrap().to_string();
    let port = uri.port_u16().unwrap();
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(tungstenite::Error::Io)?;
    tcp.set_nodelay(true).unwrap();
    let stream: Box<dyn Io> = if uri.scheme_str() == Some("wss") {
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config(opts)));
        let name = rustls::pki_types::ServerName::try_from(host).unwrap();
        Box::new(
            connector
                .connect(name, tcp)
                .await
                .map_err(tungstenite::Error::Io)?,
        )
    } else {
        Box::new(tcp)
    };
    let (ws, _response) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(ws)
}

/// The HTTP status of a refused handshake (panics on anything else).
pub fn refusal_status(r: Result<Ws, tungstenite::Error>) -> u16 {
    match r {
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got error {e}"),
        Ok(_) => panic!("expected an HTTP refusal, the WebSocket opened"),
    }
}

/// A small tokio runtime for a test's async parts.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// TCP on a loopback port, carried over a WebSocket to `url` per connection.
pub struct Shim {
    pub port: u16,
    _rt: tokio::runtime::Runtime,
}

impl Shim {
    pub fn start(url: &str, opts: WsOpts) -> Shim {
        let rt = runtime();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = url.to_string();
        rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (url, opts) = (url.clone(), opts.clone());
                tokio::spawn(async move {
                    match ws_connect(&url, &opts).await {
                        Ok(ws) => pump(tcp, ws).await,
                        Err(e) => eprintln!("shim: WebSocket to {url} failed: {e}"),
                    }
                });
            }
        });
        Shim { port, _rt: rt }
    }
}

async fn pump(tcp: tokio::net::TcpStream, ws: Ws) {
    let _ = tcp.set_nodelay(true);
    let (mut rd, mut wr) = tcp.into_split();
    let (mut sink, mut stream) = ws.split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sink
                        .send(Message::Binary(buf[..n].to_vec().into()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = sink.close().await;
    };
    let down = async {
        while let Some(Ok(m)) = stream.next().await {
            match m {
                Message::Binary(b) if wr.write_all(&b).await.is_err() => break,
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = wr.shutdown().await;
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

/// A listener that counts (and drops) every connection it gets.
pub struct Sentinel {
    pub addr: SocketAddr,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Sentinel {
    pub fn start() -> Sentinel {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (count.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok(_) => {
                        c.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Sentinel { addr, count, stop }
    }
    /// Connections so far (after a moment for any in flight to land).
    pub fn connections(&self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A running `sshgate-host bridge`.
pub struct BridgeProc {
    pub port: u16,
    pub log: LogFile,
    pub proc: ProcessGuard,
}

impl BridgeProc {
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }
    pub fn report(&self) -> String {
        format!("--- bridge log ---\n{}", tail(&self.log.all(), 40))
    }
}

/// `sshgate-host bridge --listen 127.0.0.1:PORT ARGS...` on a free port.
pub fn start_bridge(dir: &TempDir, args: &[String]) -> BridgeProc {
    start_with_retries("sshgate-host bridge", 3, |attempt, port| {
        let log_path = dir.join(format!("bridge-{port}-{attempt}.log"));
        let mut cmd = Command::new(sshgate_bin());
        cmd.arg("bridge")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env_remove("SSHGATE_BRIDGE_TOKEN")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).unwrap());
        let mut proc = ProcessGuard::spawn("sshgate-host bridge", &mut cmd);
        let log = LogFile::new(log_path);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        proc.await_startup(
            Duration::from_millis(25),
            |p| p.exited().is_none() && port_open(addr),
            |st| format!("bridge exited ({st}):\n{}", tail(&log.all(), 30)),
            || format!("bridge did not listen on {addr}:\n{}", tail(&log.all(), 30)),
        )?;
        Ok(BridgeProc { port, log, proc })
    })
}

/// A running `sshgate-host serve` for the bridge tests.
pub struct DeviceProc {
    pub port: u16,
    /// The WebSocket listener's port, when asked for.
    pub ws_port: Option<u16>,
    pub log: LogFile,
    pub proc: ProcessGuard,
}

/// `sshgate-host serve` as `router1`: user `lab` (privilege 15) logs in with the key
/// [`client_key`]; with `websocket`, also a `[websocket]` listener on another free port, with
/// `websocket` as extra lines of that table.
pub fn start_bridged_device(dir: &TempDir, websocket: Option<&str>) -> DeviceProc {
    let key = client_key(dir);
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let hk = dir.join("device_ed25519_key");
    start_with_retries("sshgate-host serve", 3, |attempt, port| {
        let ws_port = websocket.map(|_| free_port());
        let mut cfg = format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nhostname = \"router1\"\n\
             host_keys = [{:?}]\n\n[[users]]\nname = \"lab\"\nprivilege = 15\n\
             authorized_keys = [{:?}]\n",
            hk.display().to_string(),
            public.trim()
        );
        if let (Some(extra), Some(wp)) = (websocket, ws_port) {
            cfg.push_str(&format!(
                "\n[websocket]\nlisten = [\"127.0.0.1:{wp}\"]\n{extra}\n"
            ));
        }
        let path = dir.join(format!("device-{attempt}.toml"));
        fs::write(&path, &cfg).unwrap();
        let log_path = dir.join(format!("device-{port}-{attempt}.log"));
        let mut cmd = Command::new(sshgate_bin());
        cmd.arg("serve")
            .arg("--config")
            .arg(&path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).unwrap());
        let mut proc = ProcessGuard::spawn("sshgate-host serve", &mut cmd);
        let log = LogFile::new(log_path);
        let addrs: Vec<SocketAddr> = std::iter::once(port)
            .chain(ws_port)
            .map(|p| ([127, 0, 0, 1], p).into())
            .collect();
        proc.await_startup(
            Duration::from_millis(25),
            |p| p.exited().is_none() && addrs.iter().all(|a| port_open(*a)),
            |st| format!("serve exited ({st}):\n{cfg}\n{}", tail(&log.all(), 30)),
            || {
                format!(
                    "serve did not listen on {addrs:?}:\n{}",
                    tail(&log.all(), 30)
                )
            },
        )?;
        Ok(DeviceProc {
            port,
            ws_port,
            log,
            proc,
        })
    })
}

/// How `ssh_exec` logs in.
pub enum Login<'a> {
    /// A private key file (BatchMode).
    Key(&'a Path),
    /// A password, through sshpass.
    Password(&'a str),
}

/// `ssh -p PORT USER@127.0.0.1 COMMAND` with no host-key checks, logging in as `login` says.
pub fn ssh_exec(dir: &TempDir, port: u16, user: &str, login: Login, command: &str) -> RunOutput {
    require_openssh_client();
    let mut cmd = match login {
        Login::Key(_) => Command::new(SSH),
        Login::Password(pw) => {
            require_tool("/usr/bin/sshpass", "apt-get install sshpass");
            let mut c = Command::new("/usr/bin/sshpass");
            c.arg("-p").arg(pw).arg(SSH);
            c
        }
    };
    cmd.args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .args(["-o", "ConnectTimeout=10", "-o", "IdentityAgent=none"])
        .args(["-p", &port.to_string()]);
    match login {
        Login::Key(k) => {
            cmd.args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i"])
                .arg(k);
        }
        Login::Password(_) => {
            cmd.args(["-o", "PubkeyAuthentication=no"]).args([
                "-o",
                "PreferredAuthentications=password,keyboard-interactive",
            ]);
        }
    }
    cmd.arg(format!("{user}@127.0.0.1")).arg(command);
    run_with_timeout(&mut cmd, dir, "ssh-via-websocket", RUN_TIMEOUT)
}

/// `GET path` on 127.0.0.1:`port` with extra header lines; (status, body).
pub fn http_get(port: u16, path: &str, headers: &[&str]) -> (u16, String) {
    http_get_as(port, &format!("127.0.0.1:{port}"), path, headers)
}

/// [`http_get`] with `Host: host` (the connection still goes to 127.0.0.1:`port`).
pub fn http_get_as(port: u16, host: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// The value of one sample line `name{labels} value` in a Prometheus text page.
pub fn metric(page: &str, series: &str) -> u64 {
    page.lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no series {series} in\n{page}"))
}
