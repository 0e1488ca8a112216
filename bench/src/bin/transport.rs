//! Native runner: times the `sshgate_bench` workloads and prints markdown tables.
//!
//! `transport [--quick]`; environment: `BENCH_MIB` payload MiB per cipher/MAC run (default 64),
//! `BENCH_RUNS` timed runs per workload, best kept (default 3), `KEX_RUNS` handshakes per method,
//! median reported (default 11), `BENCH_ONLY=transport|kex`. `--quick` or `QUICK=1`: 4 MiB, 2, 3.
//! Exits 1 if a workload fails (panics or a handshake does not finish), never because of a figure.

use sshgate_bench::{
    GEX_N, KEX_HOST_KEY, KEX_METHODS, PACKET_PAYLOAD, TRANSPORT_CASES, case_bytes, is_gex,
    kex_once_gex, seal_open_engine, seal_open_raw,
};
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

fn env_num(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a number");
            std::process::exit(2)
        }),
        Err(_) => default,
    }
}

/// Seconds `f` took, or `None` if it panicked.
fn time<T>(f: impl FnOnce() -> T) -> Option<f64> {
    let start = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| black_box(f())));
    r.ok().map(|_| start.elapsed().as_secs_f64())
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var("QUICK").as_deref() == Ok("1");
    let mib = env_num("BENCH_MIB", if quick { 4 } else { 64 });
    let runs = env_num("BENCH_RUNS", if quick { 2 } else { 3 }).max(1);
    let kex_runs = env_num("KEX_RUNS", if quick { 3 } else { 11 }).max(1);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let platform = format!("native {} ({profile})", std::env::consts::ARCH);
    let mut ok = true;
    // BENCH_ONLY=login is the `login` runner's table alone.
    if only != "kex" && only != "login" {
        ok &= transport(&platform, mib << 20, runs);
    }
    if only != "transport" && only != "login" {
        ok &= kex(&platform, kex_runs);
    }
    if !ok {
        eprintln!("some workloads failed (rows marked FAILED)");
        std::process::exit(1);
    }
}

fn transport(platform: &str, total: usize, runs: usize) -> bool {
    println!("#### Bulk seal+open, {platform}\n");
    println!(
        "{PACKET_PAYLOAD}-byte payloads, each sealed then opened in memory; MB/s = 10^6 payload \
         bytes per second; best of {runs} runs after a warm-up. raw = the same primitives called \
         directly (see bench/README.md).\n"
    );
    println!("| cipher | MAC | MiB | engine MB/s | raw MB/s | engine/raw |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut ok = true;
    for &(cipher, mac) in TRANSPORT_CASES {
        let bytes = case_bytes(cipher, total);
        let eng = || seal_open_engine(cipher, mac, bytes, PACKET_PAYLOAD);
        let raw = || seal_open_raw(cipher, mac, bytes, PACKET_PAYLOAD);
        let warm = (bytes / 8).max(PACKET_PAYLOAD);
        let mut best = [f64::INFINITY; 2];
        let mut failed = time(|| seal_open_engine(cipher, mac, warm, PACKET_PAYLOAD)).is_none()
            || time(|| seal_open_raw(cipher, mac, warm, PACKET_PAYLOAD)).is_none();
        for _ in 0..runs {
            if failed {
                break;
            }
            // Interleaved, so drift (thermal, other load) hits both alike.
            for (i, t) in [time(eng), time(raw)].into_iter().enumerate() {
                match t {
                    Some(s) if !failed => best[i] = best[i].min(s),
                    _ => failed = true,
                }
            }
        }
        let mac_col = if mac.is_empty() { "(AEAD)" } else { mac };
        let mbs = |s: f64| bytes as f64 / 1e6 / s;
        let mib = bytes as f64 / 1048576.0;
        if !failed {
            let (e, r) = (mbs(best[0]), mbs(best[1]));
            let ratio = e / r;
            println!("| {cipher} | {mac_col} | {mib} | {e:.1} | {r:.1} | {ratio:.2} |");
        } else {
            ok = false;
            println!("| {cipher} | {mac_col} | {mib} | FAILED | FAILED | |");
        }
    }
    println!();
    ok
}

fn kex(platform: &str, runs: usize) -> bool {
    println!("#### Key exchange, {platform}\n");
    println!(
        "One complete in-memory handshake (client and server, one thread), host key \
         {KEX_HOST_KEY}; median of {runs} after a warm-up. Group exchange asks \
         GexRange {{ min: 2048, n, max: 8192 }}.\n"
    );
    println!("| method | host key | GEX n | ms/handshake (median) | min ms |");
    println!("|---|---|---:|---:|---:|");
    let mut rows: Vec<(&str, Option<u32>)> = Vec::new();
    for &m in KEX_METHODS {
        rows.push((m, is_gex(m).then_some(GEX_N)));
    }
    for &m in KEX_METHODS.iter().filter(|m| is_gex(m)) {
        rows.push((m, Some(3072))); // the engine's default preferred size
    }
    let mut ok = true;
    for (method, n) in rows {
        let once = || kex_once_gex(method, KEX_HOST_KEY, n.unwrap_or(GEX_N));
        let n_col = n.map_or("–".to_string(), |n| n.to_string());
        let mut ms = Vec::with_capacity(runs);
        // The first handshake (host key generation, lazy tables) is not counted.
        let mut good = matches!(catch_unwind(once), Ok(true));
        while good && ms.len() < runs {
            let start = Instant::now();
            good = matches!(catch_unwind(once), Ok(true));
            ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
        if good {
            ms.sort_by(f64::total_cmp);
            let median = (ms[(ms.len() - 1) / 2] + ms[ms.len() / 2]) / 2.0;
            println!(
                "| {method} | {KEX_HOST_KEY} | {n_col} | {median:.2} | {:.2} |",
                ms[0]
            );
        } else {
            ok = false;
            println!("| {method} | {KEX_HOST_KEY} | {n_col} | FAILED | |");
        }
    }
    println!();
    ok
}
