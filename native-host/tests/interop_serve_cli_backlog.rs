//! The device CLI's output waits for the client's window (issue 11: "the CLI's output queued
//! regardless of the client's window"). The real OpenSSH client pastes megabytes of empty
//! lines into the CLI (each answered with a new prompt, ten times its size) and does not read
//! the answers: serve must stop taking input (the client's window to it closes) instead of
//! queueing the output without end. Measured on serve's peak resident memory; then the answers
//! are read, all of them.

mod support;

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use support::{DeviceServer, DeviceUser, growth_until_stalled, peak_kb, start_device};

/// One pasted line, and its answer (after the echoed line end).
const LINE: &[u8] = b"\r";
const ANSWER: &str = "router1#";
/// Pasted input: more than serve's window (2 MiB) and the client's own buffer (as much again)
/// together, so that a server that keeps reading would have taken it all.
const INPUT: usize = 6 * 1024 * 1024;
/// Growth of serve's peak memory allowed while the client does not read. Bounded, serve holds
/// the input inside its window (2 MiB) and 64 KiB of output; unbounded, it would queue the
/// answers to all of it (about 60 MB).
const MAX_GROWTH_KB: u64 = 24 * 1024;

#[test]
fn pasted_commands_wait_for_a_client_that_does_not_read() {
    let s = start_device(
        "cli-backlog",
        "",
        &[DeviceUser {
            name: "lab",
            privilege: 15,
            key: true,
            ..DeviceUser::default()
        }],
    );
    let pid = s.guard.id();
    let base = peak_kb(pid);

    let mut ssh: std::process::Child = {
        let mut cmd = s.ssh_with_key();
        cmd.args(["-T", "-o", "LogLevel=ERROR"])
            .arg(DeviceServer::dest("lab"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(s.dir.join("ssh.err")).unwrap());
        cmd.spawn().expect("start ssh")
    };
    let commands = INPUT / LINE.len();
    let written = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let mut stdin = ssh.stdin.take().unwrap();
    let writer = {
        let (written, done) = (written.clone(), done.clone());
        thread::spawn(move || {
            let chunk: Vec<u8> = LINE.repeat(4096 / LINE.len());
            let per_chunk = chunk.len() / LINE.len();
            let mut left = commands;
            while left > 0 {
                let n = left.min(per_chunk);
                if stdin.write_all(&chunk[..n * LINE.len()]).is_err() {
                    return;
                }
                left -= n;
                written.fetch_add(n * LINE.len(), Ordering::Relaxed);
            }
            let _ = stdin.write_all(b"exit\r");
            done.store(true, Ordering::Relaxed);
        })
    };

    // Nobody reads ssh's output: wait until the writer stops moving (or finishes), or serve
    // grows past the bound.
    let growth = growth_until_stalled(pid, base, MAX_GROWTH_KB, &written, &done);
    let stalled_at = written.load(Ordering::Relaxed);
    let finished_unread = done.load(Ordering::Relaxed);

    // Now read: every answer arrives, in order, and the session ends with `exit`.
    let mut out = String::new();
    ssh.stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .expect("read ssh's output");
    writer.join().unwrap();
    let status = ssh.wait().unwrap();
    // The first prompt greets; `exit` is answered by nothing.
    let answers = out.matches(ANSWER).count() - 1;
    let ctx = format!(
        "serve grew {growth} kB (bound {MAX_GROWTH_KB} kB); the writer stopped at {stalled_at} \
         of {INPUT} bytes (finished unread: {finished_unread}); {answers} of {commands} \
         answers; ssh {status}\n{}",
        s.report()
    );
    assert!(
        growth <= MAX_GROWTH_KB,
        "output queued without bound: {ctx}"
    );
    assert!(
        !finished_unread,
        "serve took all the input of a client that reads nothing: {ctx}"
    );
    assert_eq!(answers, commands, "{ctx}");
    assert!(status.success(), "{ctx}");
    eprintln!("{ctx}");
}
