//! Many wrong-password logins at once against an SSH server on 127.0.0.1, for measuring what
//! they cost the server (issue 11: 150 parallel wrong passwords took `serve` to 2.86 GB).
//!
//! ```text
//! cargo run --release -p sshgate-host --example login_flood -- PORT [CLIENTS] [USER]
//! ```
//!
//! Each client (a thread) connects, completes the key exchange, sends one wrong password and
//! waits for the answer; prints how many were refused, dropped (e.g. past MaxStartups) or
//! failed otherwise, and the wall time. Measure the server with its /proc/PID/status (VmHWM,
//! VmRSS) around a run.

#[path = "../tests/support/engine_client.rs"]
mod engine_client;

use engine_client::{EngineClient, PasswordOutcome};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(port) = args.first().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: login_flood PORT [CLIENTS] [USER]");
        std::process::exit(2);
    };
    let clients: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(150);
    let user = args.get(2).cloned().unwrap_or_else(|| "lab".into());
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let user = user.clone();
            std::thread::spawn(move || -> Result<PasswordOutcome, String> {
                let mut c = EngineClient::connect(port).map_err(|e| e.to_string())?;
                c.handshake(Duration::from_secs(120))?;
                Ok(c.password(&user, "wrong password", Duration::from_secs(180)))
            })
        })
        .collect();
    let (mut refused, mut accepted, mut closed, mut failed) = (0, 0, 0, 0);
    let mut why = std::collections::BTreeMap::<String, usize>::new();
    for t in threads {
        match t.join().expect("client thread") {
            Ok(PasswordOutcome::Refused) => refused += 1,
            Ok(PasswordOutcome::Accepted) => accepted += 1,
            Ok(PasswordOutcome::Closed(e)) => {
                closed += 1;
                *why.entry(e).or_default() += 1;
            }
            Err(e) => {
                failed += 1;
                *why.entry(e).or_default() += 1;
            }
        }
    }
    println!(
        "{clients} clients in {:.2} s: {refused} refused, {accepted} accepted, {closed} closed \
         after the handshake, {failed} not past the handshake",
        start.elapsed().as_secs_f64()
    );
    for (e, n) in why {
        println!("  {n} x {e}");
    }
}
