//! Load client and target servers for `bench/bridge.sh` (not a test; nothing here asserts).
//!
//! ```text
//! bridge_load servers --echo ADDR --bulk ADDR       targets: echo, and bulk source/sink
//! bridge_load latency (--tcp ADDR | --ws URL) [--n N]
//! bridge_load throughput (--tcp ADDR | --ws URL) --dir down|up [--mib M]
//! bridge_load idle --ws URL --sessions N --pid PID [--hold-secs S]
//! ```
//!
//! Each command prints one line of `key=value` pairs. The bulk protocol: the client sends
//! `d` or `u` and a big-endian u64 count N; for `d` the server sends N bytes, for `u` it reads
//! N bytes and answers one byte. Over a WebSocket the request is the first message, so the
//! bridge dials on it as it would on an SSH client's version line.

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;
const CHUNK: usize = 64 * 1024;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num(args: &[String], name: &str, default: u64) -> u64 {
    arg(args, name).map_or(default, |v| v.parse().expect(name))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("servers") => servers(&args).await,
        Some("latency") => latency(&args).await,
        Some("throughput") => throughput(&args).await,
        Some("idle") => idle(&args).await,
        _ => {
            eprintln!("usage: bridge_load servers|latency|throughput|idle ... (see the source)");
            std::process::exit(2);
        }
    }
}

async fn servers(args: &[String]) {
    let echo = TcpListener::bind(arg(args, "--echo").expect("--echo"))
        .await
        .unwrap();
    let bulk = TcpListener::bind(arg(args, "--bulk").expect("--bulk"))
        .await
        .unwrap();
    println!(
        "echo={} bulk={}",
        echo.local_addr().unwrap(),
        bulk.local_addr().unwrap()
    );
    tokio::spawn(async move {
        while let Ok((mut s, _)) = echo.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; CHUNK];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    while let Ok((mut s, _)) = bulk.accept().await {
        tokio::spawn(async move {
            let mut head = [0u8; 9];
            if s.read_exact(&mut head).await.is_err() {
                return;
            }
            let n = u64::from_be_bytes(head[1..].try_into().unwrap());
            let mut buf = vec![0x5au8; CHUNK];
            let mut left = n;
            if head[0] == b'd' {
                while left > 0 {
                    let k = left.min(CHUNK as u64) as usize;
                    if s.write_all(&buf[..k]).await.is_err() {
                        return;
                    }
                    left -= k as u64;
                }
            } else {
                while left > 0 {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => left = left.saturating_sub(k as u64),
                    }
                }
                let _ = s.write_all(b"k").await;
            }
            let _ = s.read(&mut buf).await;
        });
    }
}

/// A `ws://HOST:PORT/...` client (plain only: the benchmark runs on loopback).
async fn ws(url: &str) -> Ws {
    let hostport = url
        .strip_prefix("ws://")
        .and_then(|r| r.split('/').next())
        .expect("a ws:// URL");
    let tcp = TcpStream::connect(hostport).await.expect("connect");
    tcp.set_nodelay(true).unwrap();
    let (ws, _) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("WebSocket handshake");
    ws
}

async fn next_binary(ws: &mut Ws) -> bytes::Bytes {
    loop {
        match ws.next().await.expect("closed").expect("read") {
            Message::Binary(b) => return b,
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

fn report(mut v: Vec<Duration>) {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let p = |q: f64| us(v[((v.len() - 1) as f64 * q) as usize]);
    println!(
        "n={} median_us={:.1} p99_us={:.1} min_us={:.1}",
        v.len(),
        p(0.5),
        p(0.99),
        us(v[0])
    );
}

/// One byte out, one byte back, N times after a warm-up.
async fn latency(args: &[String]) {
    let n = num(args, "--n", 2000) as usize;
    let mut times = Vec::with_capacity(n);
    if let Some(addr) = arg(args, "--tcp") {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        let mut b = [0u8; 1];
        for i in 0..n + 100 {
            let t = Instant::now();
            s.write_all(b"x").await.unwrap();
            s.read_exact(&mut b).await.unwrap();
            if i >= 100 {
                times.push(t.elapsed());
            }
        }
    } else {
        let mut w = ws(&arg(args, "--ws").expect("--tcp or --ws")).await;
        for i in 0..n + 100 {
            let t = Instant::now();
            w.send(Message::Binary(vec![b'x'].into())).await.unwrap();
            let _ = next_binary(&mut w).await;
            if i >= 100 {
                times.push(t.elapsed());
            }
        }
    }
    report(times);
}

fn request(dir: u8, n: u64) -> Vec<u8> {
    let mut r = vec![dir];
    r.extend_from_slice(&n.to_be_bytes());
    r
}

/// N MiB from the target (`down`) or to it (`up`); MB/s of payload.
async fn throughput(args: &[String]) {
    let n = num(args, "--mib", 256) << 20;
    let dir = match arg(args, "--dir").as_deref() {
        Some("up") => b'u',
        _ => b'd',
    };
    let chunk = vec![0xa5u8; CHUNK];
    let start;
    if let Some(addr) = arg(args, "--tcp") {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        start = Instant::now();
        s.write_all(&request(dir, n)).await.unwrap();
        let mut buf = vec![0u8; CHUNK];
        if dir == b'd' {
            let mut got = 0u64;
            while got < n {
                got += s.read(&mut buf).await.unwrap() as u64;
            }
        } else {
            let mut left = n;
            while left > 0 {
                let k = left.min(CHUNK as u64) as usize;
                s.write_all(&chunk[..k]).await.unwrap();
                left -= k as u64;
            }
            s.read_exact(&mut buf[..1]).await.unwrap();
        }
    } else {
        let mut w = ws(&arg(args, "--ws").expect("--tcp or --ws")).await;
        start = Instant::now();
        w.send(Message::Binary(request(dir, n).into()))
            .await
            .unwrap();
        if dir == b'd' {
            let mut got = 0u64;
            while got < n {
                got += next_binary(&mut w).await.len() as u64;
            }
        } else {
            let mut left = n;
            while left > 0 {
                let k = left.min(CHUNK as u64) as usize;
                w.feed(Message::Binary(bytes::Bytes::copy_from_slice(&chunk[..k])))
                    .await
                    .unwrap();
                left -= k as u64;
            }
            w.flush().await.unwrap();
            let _ = next_binary(&mut w).await;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bytes={n} secs={secs:.3} mb_per_s={:.1}",
        n as f64 / secs / 1e6
    );
}

/// Resident set size of a process, KiB.
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// N sessions opened (each echoing one byte, so the target is dialled), held, measured.
async fn idle(args: &[String]) {
    let url = arg(args, "--ws").expect("--ws");
    let n = num(args, "--sessions", 1000) as usize;
    let pid = arg(args, "--pid").expect("--pid");
    let hold = Duration::from_secs(num(args, "--hold-secs", 3));
    let before = rss_kib(&pid);
    let started = Instant::now();
    let mut held = Vec::with_capacity(n);
    // In batches, so the listen backlog never overflows.
    for batch in (0..n).collect::<Vec<_>>().chunks(100) {
        let opened = futures_util::future::join_all(batch.iter().map(|_| async {
            let mut w = ws(&url).await;
            w.send(Message::Binary(vec![b'i'].into())).await.unwrap();
            let _ = next_binary(&mut w).await;
            w
        }))
        .await;
        held.extend(opened);
    }
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(hold).await;
    let after = rss_kib(&pid);
    println!(
        "sessions={} open_secs={open_secs:.2} rss_before_kib={before} rss_after_kib={after} \
         growth_mib={:.1} per_session_kib={:.1}",
        held.len(),
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / n as f64
    );
    drop(held);
}
