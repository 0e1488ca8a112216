//! `sshgate-host serve` against clients that try to exhaust it before (or just after) logging
//! in: MaxStartups and PerSourceMaxStartups (the excess gets OpenSSH's line and is closed at
//! once, a real `ssh` login works again once slots free), the bounded password-hashing pool
//! (peak memory with many parallel wrong passwords), a client that never reads (dropped at the
//! authentication time-out before login, at `write_timeout_seconds` after), and the per-source
//! penalty shared by parallel connections. The WebSocket listener's connections count with the
//! TCP ones.

mod bridge_support;
mod support;

use futures_util::StreamExt;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Polls `done` every 50 ms for up to `limit`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A connection the server admitted: it sent its identification line. Held open, silent.
fn held(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut line = String::new();
    BufReader::new(&s)
        .read_line(&mut line)
        .expect("the server's identification line");
    assert!(line.starts_with("SSH-2.0-"), "not admitted: {line:?}");
    s
}

/// Everything the server sends on a new connection until it closes it (or `WAIT` passes).
fn first_words(addr: SocketAddr) -> (String, bool) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// Waits until every connection the server accepted so far has ended, the start-up probe's
/// (there is always that one) included.
fn settle(s: &DeviceServer) {
    let settled = wait_for(WAIT, || {
        let log = s.log.all();
        let accepted = log.matches("connection accepted").count();
        accepted >= 1 && accepted == log.matches("connection closed:").count()
    });
    assert!(settled, "{}", s.report());
}

fn loopback(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in {text}"))
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .unwrap_or(0)
}

fn key_user() -> DeviceUser<'static> {
    DeviceUser {
        name: "lab",
        privilege: 15,
        password: Some("right-pw"),
        key: true,
        key_options: None,
        command: None,
        run_as: None,
        extra: None,
    }
}

/// `ssh -i KEY lab@127.0.0.1 show clock`: whether the device CLI answered.
fn key_login(s: &DeviceServer) -> RunOutput {
    let mut cmd = s.ssh_with_key();
    cmd.arg(DeviceServer::dest("lab")).arg("show users");
    run_with_timeout(&mut cmd, &s.dir, "ssh-key-login", RUN_TIMEOUT)
}

#[test]
fn max_startups_drops_the_excess_at_once_and_logins_work_again() {
    let s = start_device(
        "limits-maxstartups",
        "max_startups = \"4\"\nper_source_max_startups = \"none\"",
        &[key_user()],
    );
    settle(&s);
    let addr = loopback(s.port);
    let pid = s.guard.id();
    let holders: Vec<TcpStream> = (0..4).map(|_| held(addr)).collect();
    let fds = open_fds(pid);
    for i in 0..8 {
        let (words, closed) = first_words(addr);
        assert_eq!(
            (words.as_str(), closed),
            ("Exceeded MaxStartups\r\n", true),
            "connection {i} past MaxStartups\n{}",
            s.report()
        );
    }
    // Refused connections hold no descriptor (a few for the log and the like may come and go).
    assert!(
        open_fds(pid) <= fds + 2,
        "{} descriptors, {fds} before",
        open_fds(pid)
    );
    let out = key_login(&s);
    assert!(
        !out.success(),
        "a login past MaxStartups: {}",
        out.report(20)
    );

    // The held connections end: their places free, and a real client gets in.
    let mark = s.log.mark();
    drop(holders);
    assert!(
        wait_for(WAIT, || s
            .log
            .since(mark)
            .matches("connection closed:")
            .count()
            >= 4),
        "{}",
        s.report()
    );
    let out = key_login(&s);
    assert!(
        out.success() && out.stdout.contains("lab"),
        "{}\n{}",
        out.report(20),
        s.report()
    );
    assert!(s.log.all().contains("past MaxStartups"), "{}", s.report());
}

#[test]
fn authenticated_connections_do_not_count() {
    let s = start_device(
        "limits-authenticated",
        "max_startups = \"2\"\nper_source_max_startups = \"none\"",
        &[key_user()],
    );
    settle(&s);
    let addr = loopback(s.port);
    let _one = held(addr);
    // The second place: a client that logs in and stays.
    let mut client = EngineClient::connect(s.port).unwrap();
    client.handshake(WAIT).expect("handshake");
    assert_eq!(
        client.password("lab", "right-pw", WAIT),
        PasswordOutcome::Accepted,
        "{}",
        s.report()
    );
    // Logged in, it no longer counts: there is room for one more unauthenticated connection.
    let _two = held(addr);
    let (words, _) = first_words(addr);
    assert_eq!(words, "Exceeded MaxStartups\r\n", "{}", s.report());
}

/// Connects from `local` (any 127/8 address is loopback) to `port`.
fn connect_from(local: [u8; 4], port: u16) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind((local, 0).into()).unwrap();
        sock.connect(loopback(port)).await.unwrap()
    });
    let s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn first_line(s: &TcpStream) -> String {
    let mut line = String::new();
    let _ = BufReader::new(s).read_line(&mut line);
    line
}

#[test]
fn per_source_cap_and_netblocks() {
    let s = start_device(
        "limits-per-source",
        "per_source_max_startups = 2",
        &[key_user()],
    );
    settle(&s);
    let _a = held(loopback(s.port));
    let _b = held(loopback(s.port));
    let (words, closed) = first_words(loopback(s.port));
    assert_eq!(
        (words.as_str(), closed),
        ("Exceeded PerSourceMaxStartups\r\n", true),
        "{}",
        s.report()
    );
    // Another source is served.
    let other = connect_from([127, 0, 0, 2], s.port);
    assert!(first_line(&other).starts_with("SSH-2.0-"), "{}", s.report());

    // With /24 blocks, 127.0.0.1 and 127.0.0.2 are one source.
    let s = start_device(
        "limits-netblock",
        "per_source_max_startups = 2\nper_source_netblock = \"24:64\"",
        &[key_user()],
    );
    settle(&s);
    let _a = held(loopback(s.port));
    let _b = held(loopback(s.port));
    let other = connect_from([127, 0, 0, 2], s.port);
    assert_eq!(
        first_line(&other),
        "Exceeded PerSourceMaxStartups\r\n",
        "{}",
        s.report()
    );
}

/// `n` clients at once, each sending one wrong password (and staying until it is answered).
fn wrong_passwords(port: u16, n: usize) -> Vec<PasswordOutcome> {
    let threads: Vec<_> = (0..n)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = match EngineClient::connect(port) {
                    Ok(c) => c,
                    Err(e) => return PasswordOutcome::Closed(e.to_string()),
                };
                if let Err(e) = c.handshake(Duration::from_secs(60)) {
                    return PasswordOutcome::Closed(e);
                }
                let user = if i % 2 == 0 { "lab" } else { "nobody" };
                c.password(user, "wrong", Duration::from_secs(120))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn password_hashing_memory_is_bounded() {
    // Room for every client (MaxStartups is not what is measured here), two checks at once.
    let s = start_device(
        "limits-hash-pool",
        "max_startups = \"500\"\nper_source_max_startups = \"none\"\n\
         password_checks = 2\npassword_queue = 500",
        &[key_user()],
    );
    let pid = s.guard.id();
    let idle = status_kib(pid, "VmRSS");
    let outcomes = wrong_passwords(s.port, 48);
    let refused = outcomes
        .iter()
        .filter(|o| **o == PasswordOutcome::Refused)
        .count();
    assert_eq!(refused, 48, "{outcomes:?}\n{}", s.report());
    let peak = status_kib(pid, "VmHWM");
    let after = status_kib(pid, "VmRSS");
    eprintln!("serve RSS: idle {idle} KiB, peak {peak} KiB, after {after} KiB");
    // Two argon2id checks are 38 MiB; 48 at once would be 900 MiB.
    assert!(
        peak.saturating_sub(idle) < 128 * 1024,
        "peak {peak} KiB over idle {idle} KiB\n{}",
        s.report()
    );
}

/// Sends ping@openssh.com with 16 KiB each until the socket stops taking them (the server
/// stopped reading because we do not read its pongs); true if it did stop.
fn ping_until_stuck(c: &mut EngineClient) -> bool {
    c.stream
        .set_write_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let data = vec![0x55u8; 16 * 1024];
    for _ in 0..4096 {
        for _ in 0..16 {
            c.conn.send_ping(&data);
        }
        if c.flush().is_err() {
            return true;
        }
    }
    false
}

/// The log line saying the connection from `local` closed.
fn closed_line(log: &str, local: SocketAddr) -> Option<String> {
    let tag = format!("peer={local}");
    log.lines()
        .find(|l| l.contains("connection closed") && l.contains(&tag))
        .map(str::to_string)
}

#[test]
fn a_client_that_never_reads_is_dropped_at_the_auth_timeout() {
    let s = start_device("limits-never-reads", "timeout_seconds = 3", &[key_user()]);
    let mut c = EngineClient::connect(s.port).unwrap();
    c.handshake(WAIT).expect("handshake");
    let local = c.stream.local_addr().unwrap();
    let start = Instant::now();
    assert!(ping_until_stuck(&mut c), "the server kept reading");
    // 3 s of authentication time, then at most 10 s for its last bytes: well within 60 s.
    assert!(
        wait_for(Duration::from_secs(60), || closed_line(&s.log.all(), local)
            .is_some()),
        "still open after {:?}\n{}",
        start.elapsed(),
        s.report()
    );
    let line = closed_line(&s.log.all(), local).unwrap();
    assert!(line.contains("Timeout before authentication"), "{line}");
}

#[test]
fn a_logged_in_client_that_never_reads_is_dropped_after_the_write_timeout() {
    let s = start_device(
        "limits-never-reads-after",
        "write_timeout_seconds = 2",
        &[key_user()],
    );
    let mut c = EngineClient::connect(s.port).unwrap();
    c.handshake(WAIT).expect("handshake");
    assert_eq!(
        c.password("lab", "right-pw", WAIT),
        PasswordOutcome::Accepted
    );
    let local = c.stream.local_addr().unwrap();
    assert!(ping_until_stuck(&mut c), "the server kept reading");
    assert!(
        wait_for(Duration::from_secs(60), || closed_line(&s.log.all(), local)
            .is_some()),
        "{}",
        s.report()
    );
    let line = closed_line(&s.log.all(), local).unwrap();
    assert!(line.contains("took none of our output"), "{line}");
}

#[test]
fn parallel_connections_share_one_penalty() {
    let s = start_device("limits-penalty", "", &[key_user()]);
    // Three connections, all past their start (no penalty yet), each failing once and staying.
    let mut clients: Vec<EngineClient> = (0..3)
        .map(|_| {
            let mut c = EngineClient::connect(s.port).unwrap();
            c.handshake(WAIT).expect("handshake");
            c
        })
        .collect();
    for c in &mut clients {
        assert_eq!(
            c.password("lab", "wrong", WAIT),
            PasswordOutcome::Refused,
            "{}",
            s.report()
        );
    }
    // A fourth from the same source waits for all three failures, while they are still open.
    let mark = s.log.mark();
    let mut fourth = EngineClient::connect(s.port).unwrap();
    fourth.handshake(WAIT).expect("handshake");
    let log = s.log.since(mark);
    assert!(
        log.contains("delay_ms=1500"),
        "no penalty for the failures of open connections:\n{log}"
    );
    // They were never closed: the failures counted when they happened.
    for c in &mut clients {
        c.stream.write_all(b"").unwrap();
    }
}

/// The first WebSocket message of a new SSH-over-WebSocket connection to serve, as text.
fn first_ws_message(port: u16) -> String {
    bridge_support::runtime().block_on(async {
        let url = format!("ws://127.0.0.1:{port}/ssh");
        let mut ws = bridge_support::ws_connect(&url, &bridge_support::WsOpts::default())
            .await
            .expect("WebSocket upgrade");
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(m))) => String::from_utf8_lossy(&m.into_data()).into_owned(),
            other => panic!("no message: {other:?}"),
        }
    })
}

#[test]
fn websocket_connections_count_with_tcp_ones() {
    let ws_port = free_port();
    let s = start_device(
        "limits-websocket",
        &format!("max_startups = \"1\"\n\n[websocket]\nlisten = [\"127.0.0.1:{ws_port}\"]"),
        &[key_user()],
    );
    assert!(wait_for_port(loopback(ws_port), WAIT), "{}", s.report());
    settle(&s);
    let holder = held(loopback(s.port));
    // The one place is taken by a TCP client: the WebSocket one gets OpenSSH's line.
    assert_eq!(
        first_ws_message(ws_port),
        "Exceeded MaxStartups\r\n",
        "{}",
        s.report()
    );
    drop(holder);
    settle(&s);
    let first = first_ws_message(ws_port);
    assert!(first.starts_with("SSH-2.0-"), "{first:?}\n{}", s.report());
}
