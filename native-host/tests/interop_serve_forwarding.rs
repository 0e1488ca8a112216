//! Port forwarding in `sshgate-host serve` with the real OpenSSH client, over loopback:
//! - `ssh -L` to a `permit_open` destination (an echo server in the test): 1 MiB through and
//!   back, compared byte for byte; `ssh -W` the same through stdin/stdout, ending with EOF;
//! - refusals reach the client as "administratively prohibited", and the destination sees no
//!   connection: a port not in `permit_open`, a user without `permit_open`, a key with
//!   `no-port-forwarding`, a key whose `permitopen=` leaves the destination out;
//! - `ssh -R 0:...` with `permit_listen`: serve binds loopback, tells the client the port, and a
//!   connection to it on the server side carries 1 MiB to the client's destination and back;
//!   without `permit_listen` the request fails (`ExitOnForwardFailure`);
//! - `ssh -D` with curl through it (`--socks5-hostname`): serve resolves `localhost` itself and
//!   connects to the address inside the user's `127.0.0.0/8` block; a name that resolves only
//!   outside the user's blocks is refused;
//! - `max_forwards` refuses a second forwarded channel ("resource shortage") while the first
//!   goes on; a permitted destination where nothing listens is "connect failed";
//! - a destination that does not read: serve stops taking the client's bytes (its window
//!   stays closed) instead of queueing them, measured on serve's peak memory; then the
//!   destination reads and gets every byte.

mod support;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use support::{
    DeviceServer, DeviceUser, free_port, growth_until_stalled, peak_kb, run_with_timeout,
    start_device, wait_for_port,
};

const RUN: Duration = Duration::from_secs(60);
const MIB: usize = 1 << 20;

/// A TCP server that echoes every connection until EOF, then closes; counts connections.
struct Echo {
    port: u16,
    connections: Arc<AtomicUsize>,
}

fn echo_server() -> Echo {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind echo server");
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = s.shutdown(Shutdown::Write);
            });
        }
    });
    Echo { port, connections }
}

/// 1 MiB that is not a repeating pattern (a 64-bit LCG).
fn payload() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..MIB)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

/// Sends `data` on `addr` from a thread while reading everything back until EOF.
fn round_trip(addr: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(RUN)).unwrap();
    let mut w = s.try_clone().unwrap();
    let out = data.to_vec();
    let writer = thread::spawn(move || {
        // A refused forward closes the socket under the writer: the bytes read back tell.
        let _ = w.write_all(&out);
        let _ = w.shutdown(Shutdown::Write);
    });
    let mut back = Vec::new();
    let _ = s.read_to_end(&mut back);
    writer.join().unwrap();
    back
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a == b
}

/// Users: `fwd` (echo port allowed, listens on localhost port 0), `nofwd` (nothing), `keyno`
/// (allowed as `fwd`, but its key says `no-port-forwarding`), `keynarrow` (allowed, its key's
/// `permitopen=` names another port).
fn device(label: &str, echo: u16) -> DeviceServer {
    let open = format!(r#"permit_open = ["127.0.0.1:{echo}"]"#);
    let both = format!("{open}\npermit_listen = [\"localhost:0\", \"127.0.0.1:*\"]");
    let narrow_key = format!(r#"permitopen="127.0.0.1:{}""#, echo.wrapping_add(1));
    start_device(
        label,
        "",
        &[
            DeviceUser {
                name: "fwd",
                privilege: 1,
                key: true,
                extra: Some(&both),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "nofwd",
                privilege: 1,
                key: true,
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "keyno",
                privilege: 1,
                key: true,
                key_options: Some("no-port-forwarding"),
                extra: Some(&both),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "keynarrow",
                privilege: 1,
                key: true,
                key_options: Some(&narrow_key),
                extra: Some(&open),
                ..DeviceUser::default()
            },
        ],
    )
}

/// A long-running `ssh` (`-N -L`/`-R`), stderr in a file; killed when dropped.
struct Background {
    child: Child,
    stderr: std::path::PathBuf,
}

impl Background {
    fn start(s: &DeviceServer, label: &str, args: &[String], user: &str) -> Background {
        let stderr = s.dir.join(format!("{label}.stderr"));
        let child = s
            .ssh_with_key()
            .args(["-N", "-v", "-o", "ExitOnForwardFailure=yes"])
            .args(args)
            .arg(DeviceServer::dest(user))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn ssh");
        Background { child, stderr }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.stderr).unwrap_or_default()).into_owned()
    }

    /// Waits until `pred` holds for stderr (or the process ended, or a minute passed).
    fn wait_stderr(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.stderr();
            if pred(&text) || start.elapsed() > RUN {
                return text;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.stderr();
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ssh -W DEST user@serve` with `input` as stdin: (status, stdout, stderr).
fn stdio_forward(
    s: &DeviceServer,
    user: &str,
    dest: &str,
    input: &[u8],
) -> (Option<ExitStatus>, Vec<u8>, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let tag = format!("w-{user}-{}", N.fetch_add(1, Ordering::Relaxed));
    let inp = s.dir.join(format!("{tag}.in"));
    let out = s.dir.join(format!("{tag}.out"));
    let err = s.dir.join(format!("{tag}.err"));
    fs::write(&inp, input).unwrap();
    let mut child = s
        .ssh_with_key()
        .arg("-W")
        .arg(dest)
        .arg(DeviceServer::dest(user))
        .stdin(File::open(&inp).unwrap())
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("spawn ssh -W");
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > RUN {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        fs::read(&out).unwrap_or_default(),
        String::from_utf8_lossy(&fs::read(&err).unwrap_or_default()).into_owned(),
    )
}

#[test]
fn local_forward_carries_a_mebibyte_both_ways() {
    let echo = echo_server();
    let s = device("fwd-local", echo.port);
    let lport = free_port();
    let _ssh = Background::start(
        &s,
        "local",
        &["-L".into(), format!("{lport}:127.0.0.1:{}", echo.port)],
        "fwd",
    );
    let laddr: SocketAddr = ([127, 0, 0, 1], lport).into();
    assert!(
        wait_for_port(laddr, RUN),
        "ssh -L did not listen\n{}",
        s.report()
    );
    let data = payload();
    let back = round_trip(laddr, &data);
    assert!(
        same(&back, &data),
        "echo through -L: sent {} bytes, got {} back (or different)\n{}",
        data.len(),
        back.len(),
        s.report()
    );
    // A second connection on the same forward works as well.
    let back = round_trip(laddr, b"second");
    assert_eq!(back, b"second", "{}", s.report());
    assert!(
        s.log.all().contains("direct-tcpip allowed"),
        "{}",
        s.report()
    );
}

#[test]
fn stdio_forward_carries_data_and_ends_with_eof() {
    let echo = echo_server();
    let s = device("fwd-stdio", echo.port);
    let data = payload();
    let (status, out, err) = stdio_forward(&s, "fwd", &format!("127.0.0.1:{}", echo.port), &data);
    assert!(
        status.is_some_and(|st| st.success()),
        "ssh -W: {status:?}\n{err}\n{}",
        s.report()
    );
    assert!(
        same(&out, &data),
        "ssh -W echoed {} of {} bytes\n{}",
        out.len(),
        data.len(),
        s.report()
    );
}

#[test]
fn destinations_outside_the_allowlists_are_refused() {
    let echo = echo_server();
    let other = echo_server();
    let s = device("fwd-refused", echo.port);
    let cases = [
        ("fwd", other.port, "a port not in permit_open"),
        ("nofwd", echo.port, "a user without permit_open"),
        ("keyno", echo.port, "a key with no-port-forwarding"),
        (
            "keynarrow",
            echo.port,
            "a key whose permitopen= names another port",
        ),
    ];
    for (user, port, what) in cases {
        let (status, out, err) =
            stdio_forward(&s, user, &format!("127.0.0.1:{port}"), b"must not arrive");
        assert!(
            status.is_some_and(|st| !st.success()) && out.is_empty(),
            "{what}: ssh -W succeeded ({status:?})\n{err}\n{}",
            s.report()
        );
        assert!(
            err.contains("administratively prohibited"),
            "{what}: ssh did not report the refusal:\n{err}\n{}",
            s.report()
        );
    }
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "the refused port was connected to"
    );
    assert_eq!(
        echo.connections.load(Ordering::SeqCst),
        0,
        "a refused user's destination was connected to"
    );
    // -L: the local connection is closed without data.
    let lport = free_port();
    let mut ssh = Background::start(
        &s,
        "local-refused",
        &["-L".into(), format!("{lport}:127.0.0.1:{}", other.port)],
        "fwd",
    );
    let laddr: SocketAddr = ([127, 0, 0, 1], lport).into();
    assert!(
        wait_for_port(laddr, RUN),
        "ssh -L did not listen\n{}",
        s.report()
    );
    let back = round_trip(laddr, b"must not arrive");
    assert!(back.is_empty(), "data came back through a refused forward");
    let err = ssh.wait_stderr(|e| e.contains("administratively prohibited"));
    assert!(
        err.contains("administratively prohibited"),
        "ssh -L: {err}\n{}",
        s.report()
    );
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "the refused port was connected to"
    );
    assert!(
        s.log.all().contains("direct-tcpip refused"),
        "{}",
        s.report()
    );
}

/// The port ssh -v reports for `-R 0:...` ("Allocated port N for remote forward to ...").
fn allocated_port(stderr: &str) -> Option<u16> {
    let rest = stderr.split("Allocated port ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn remote_forward_on_a_chosen_port_carries_a_mebibyte() {
    let echo = echo_server();
    let s = device("fwd-remote", echo.port);
    let mut ssh = Background::start(
        &s,
        "remote",
        &["-R".into(), format!("0:127.0.0.1:{}", echo.port)],
        "fwd",
    );
    let err = ssh.wait_stderr(|e| allocated_port(e).is_some());
    let port = allocated_port(&err)
        .unwrap_or_else(|| panic!("no allocated port in ssh's output:\n{err}\n{}", s.report()));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let data = payload();
    let back = round_trip(addr, &data);
    assert!(
        same(&back, &data),
        "echo through -R: sent {}, got {}\n{}\n{}",
        data.len(),
        back.len(),
        ssh.stderr(),
        s.report()
    );
    assert_eq!(echo.connections.load(Ordering::SeqCst), 1);
    let log = s.log.all();
    assert!(log.contains("tcpip-forward listening"), "{}", s.report());
    // The listener dies with the connection.
    drop(ssh);
    let start = Instant::now();
    while TcpStream::connect(addr).is_ok() && start.elapsed() < RUN {
        thread::sleep(Duration::from_millis(100));
    }
    assert!(
        TcpStream::connect(addr).is_err(),
        "port {port} still open after the client left"
    );
}

#[test]
fn remote_forward_without_permit_listen_is_refused() {
    let echo = echo_server();
    let s = device("fwd-remote-refused", echo.port);
    for user in ["nofwd", "keyno"] {
        let out = run_with_timeout(
            s.ssh_with_key()
                .args(["-N", "-o", "ExitOnForwardFailure=yes", "-R"])
                .arg(format!("0:127.0.0.1:{}", echo.port))
                .arg(DeviceServer::dest(user)),
            &s.dir,
            &format!("remote-refused-{user}"),
            RUN,
        );
        assert!(
            !out.success() && !out.timed_out(),
            "{user}: -R was not refused\n{}\n{}",
            out.report(20),
            s.report()
        );
        assert!(
            out.stderr.contains("remote port forwarding failed"),
            "{user}: {}\n{}",
            out.report(20),
            s.report()
        );
    }
    assert!(
        s.log.all().contains("tcpip-forward refused"),
        "{}",
        s.report()
    );
}

/// Pushed at a destination that does not read: far more than serve's window (2 MiB) and the
/// sockets' buffers on the way together, so that a serve that kept taking it would hold most.
const FLOOD: usize = 64 * MIB;
/// Growth of serve's peak memory allowed meanwhile: a window of input and some chunks in
/// flight when bounded; unbounded, most of [`FLOOD`].
const MAX_GROWTH_KB: u64 = 24 * 1024;

#[test]
fn a_destination_that_does_not_read_stops_the_client() {
    // The destination holds every connection (the port probe below makes one too) unread
    // until told, then counts what arrives on all of them.
    let sink = TcpListener::bind("127.0.0.1:0").unwrap();
    let sink_port = sink.local_addr().unwrap().port();
    let go = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    {
        let (go, received) = (go.clone(), received.clone());
        thread::spawn(move || {
            for c in sink.incoming() {
                let Ok(mut c) = c else { continue };
                let (go, received) = (go.clone(), received.clone());
                thread::spawn(move || {
                    while !go.load(Ordering::SeqCst) {
                        thread::sleep(Duration::from_millis(20));
                    }
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(k @ 1..) = c.read(&mut buf) {
                        received.fetch_add(k, Ordering::SeqCst);
                    }
                });
            }
        });
    }
    let s = device("fwd-slow", sink_port);
    let pid = s.guard.id();
    let base = peak_kb(pid);
    let lport = free_port();
    let _ssh = Background::start(
        &s,
        "slow",
        &["-L".into(), format!("{lport}:127.0.0.1:{sink_port}")],
        "fwd",
    );
    let laddr: SocketAddr = ([127, 0, 0, 1], lport).into();
    assert!(
        wait_for_port(laddr, RUN),
        "ssh -L did not listen\n{}",
        s.report()
    );
    let written = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let mut c = TcpStream::connect(laddr).unwrap();
        let (written, done) = (written.clone(), done.clone());
        thread::spawn(move || {
            let chunk = vec![0x5au8; 64 * 1024];
            for _ in 0..FLOOD / chunk.len() {
                if c.write_all(&chunk).is_err() {
                    return;
                }
                written.fetch_add(chunk.len(), Ordering::Relaxed);
            }
            let _ = c.shutdown(Shutdown::Write);
            done.store(true, Ordering::Relaxed);
        })
    };
    // Wait until the writer stops moving (or finishes), or serve grows past the bound.
    let growth = growth_until_stalled(pid, base, MAX_GROWTH_KB, &written, &done);
    let stalled_at = written.load(Ordering::Relaxed);
    let finished_unread = done.load(Ordering::Relaxed);
    // Now the destination reads: everything arrives.
    go.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let start = Instant::now();
    while received.load(Ordering::SeqCst) < FLOOD && start.elapsed() < RUN {
        thread::sleep(Duration::from_millis(50));
    }
    let received = received.load(Ordering::SeqCst);
    let ctx = format!(
        "serve grew {growth} kB (bound {MAX_GROWTH_KB} kB); the writer stopped at {stalled_at} \
         of {FLOOD} bytes; the destination got {received}\n{}",
        s.report()
    );
    assert!(
        !finished_unread,
        "all of it was taken while nobody read: {ctx}"
    );
    assert!(growth <= MAX_GROWTH_KB, "{ctx}");
    assert_eq!(received, FLOOD, "{ctx}");
}

/// An HTTP/1.0 server answering every request with [`HTTP_BODY`].
const HTTP_BODY: &str = "hello through the device\n";

fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind http server");
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(mut c) = c else { continue };
            thread::spawn(move || {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = write!(
                    c,
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{HTTP_BODY}",
                    HTTP_BODY.len()
                );
            });
        }
    });
    port
}

#[test]
fn dynamic_forward_resolves_names_and_checks_address_blocks() {
    support::require_tool("/usr/bin/curl", "apt-get install curl");
    let http = http_server();
    let echo = echo_server();
    let blocks = format!(
        r#"permit_open = ["127.0.0.0/8:{http}", "10.0.0.0/8:{}"]"#,
        echo.port
    );
    let s = start_device(
        "fwd-dynamic",
        "",
        &[DeviceUser {
            name: "blocks",
            privilege: 1,
            key: true,
            extra: Some(&blocks),
            ..DeviceUser::default()
        }],
    );
    let socks = free_port();
    let _ssh = Background::start(&s, "dynamic", &["-D".into(), socks.to_string()], "blocks");
    let saddr: SocketAddr = ([127, 0, 0, 1], socks).into();
    assert!(
        wait_for_port(saddr, RUN),
        "ssh -D did not listen\n{}",
        s.report()
    );
    let out = run_with_timeout(
        std::process::Command::new("/usr/bin/curl")
            .args(["-sS", "--max-time", "30", "--socks5-hostname"])
            .arg(format!("127.0.0.1:{socks}"))
            .arg(format!("http://localhost:{http}/")),
        &s.dir,
        "curl",
        RUN,
    );
    assert!(
        out.success(),
        "curl through -D:\n{}\n{}",
        out.report(20),
        s.report()
    );
    assert_eq!(out.stdout, HTTP_BODY, "{}", s.report());
    // `localhost` resolves inside 127.0.0.0/8, not 10.0.0.0/8: refused before any connect.
    let (status, _, err) = stdio_forward(&s, "blocks", &format!("localhost:{}", echo.port), b"no");
    assert!(
        status.is_some_and(|st| !st.success()) && err.contains("administratively prohibited"),
        "a name outside the blocks: {status:?}\n{err}\n{}",
        s.report()
    );
    assert_eq!(
        echo.connections.load(Ordering::SeqCst),
        0,
        "connected outside the blocks"
    );
}

#[test]
fn the_forward_cap_and_unreachable_destinations() {
    let echo = echo_server();
    let closed = free_port(); // nothing listens there
    let open = format!(
        r#"permit_open = ["127.0.0.1:{}", "127.0.0.1:{closed}"]"#,
        echo.port
    );
    let s = start_device(
        "fwd-cap",
        "max_forwards = 1",
        &[DeviceUser {
            name: "fwd",
            privilege: 1,
            key: true,
            extra: Some(&open),
            ..DeviceUser::default()
        }],
    );
    let (status, _, err) = stdio_forward(&s, "fwd", &format!("127.0.0.1:{closed}"), b"x");
    assert!(
        status.is_some_and(|st| !st.success()) && err.contains("connect failed"),
        "a closed port: {status:?}\n{err}\n{}",
        s.report()
    );
    let lport = free_port();
    let mut ssh = Background::start(
        &s,
        "cap",
        &["-L".into(), format!("{lport}:127.0.0.1:{}", echo.port)],
        "fwd",
    );
    let laddr: SocketAddr = ([127, 0, 0, 1], lport).into();
    assert!(
        wait_for_port(laddr, RUN),
        "ssh -L did not listen\n{}",
        s.report()
    );
    // The probe's channel must be gone before the held one opens: wait for its close.
    let err = ssh.wait_stderr(|e| e.contains("free: direct-tcpip"));
    assert!(
        err.contains("free: direct-tcpip"),
        "the probe's channel: {err}"
    );
    let mut first = TcpStream::connect(laddr).unwrap();
    first.set_read_timeout(Some(RUN)).unwrap();
    let mut buf = [0u8; 5];
    first.write_all(b"first").unwrap();
    first
        .read_exact(&mut buf)
        .expect("the first forward echoes");
    assert_eq!(&buf, b"first");
    let back = round_trip(laddr, b"second");
    assert!(
        back.is_empty(),
        "a second forward got through max_forwards = 1"
    );
    let err = ssh.wait_stderr(|e| e.contains("resource shortage"));
    assert!(
        err.contains("resource shortage"),
        "ssh -L: {err}\n{}",
        s.report()
    );
    first.write_all(b"again").unwrap();
    first
        .read_exact(&mut buf)
        .expect("the first forward still echoes");
    assert_eq!(&buf, b"again");
    assert!(
        s.log.all().contains("direct-tcpip refused: max_forwards"),
        "{}",
        s.report()
    );
}
