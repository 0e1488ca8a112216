//! IOS `debug ip ssh` on `sshgate-host serve`, with the real OpenSSH client:
//! - `serve --debug ip-ssh`: a password login with a terminal (`ssh` in an 80x24 `tmux`), `show
//!   ssh`, `exit`; the connection's trace lines, in order, contain the seed's sequence (Cisco's
//!   `debug ip ssh` example) with the names the negotiation used, and its number is the one
//!   `show ssh` lists;
//! - the CLI at run time: `debug ip ssh` turns the trace on for the next connection (an `exec`),
//!   `undebug all` off again, and `[server] debug` in the device file turns it on from the start.

mod support;

use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, LOG_SETTLE_TIMEOUT, Tmux, run_with_timeout, start_device_args,
};

const PASSWORD: &str = "trace-pw-1";
const RUN: Duration = Duration::from_secs(60);
/// The target serve logs the trace under (native-host/src/server/debug_trace.rs).
const TARGET: &str = "sshgate::debug_ip_ssh: ";

fn device(label: &str, extra: &str, args: &[&str]) -> DeviceServer {
    start_device_args(
        label,
        extra,
        &[DeviceUser {
            name: "lab",
            privilege: 15,
            password: Some(PASSWORD),
            ..DeviceUser::default()
        }],
        &[],
        args,
    )
}

/// The trace lines (messages only) of connection `n` in `log`: numbered `SSH<n>:` or
/// `SSH2 <n>:`, and IOS's unnumbered `SSH2: kex...` lines, which only a connection that got as
/// far as a key exchange prints (the tests run one at a time).
fn trace_of(log: &str, n: u32) -> Vec<String> {
    let (v1, v2) = (format!("SSH{n}: "), format!("SSH2 {n}: "));
    log.lines()
        .filter_map(|l| l.split_once(TARGET).map(|(_, m)| m.trim_end().to_string()))
        .filter(|m| m.starts_with(&v1) || m.starts_with(&v2) || m.starts_with("SSH2: "))
        .collect()
}

/// Checks that `expected` occurs in `trace` in order (other lines may come between); a line of
/// `expected` ending in `*` matches any line with that prefix.
fn assert_subsequence(trace: &[String], expected: &[String], context: &str) {
    let mut at = 0;
    for want in expected {
        let matches = |line: &String| match want.strip_suffix('*') {
            Some(prefix) => line.starts_with(prefix),
            None => line == want,
        };
        match trace[at..].iter().position(matches) {
            Some(i) => at += i + 1,
            None => panic!(
                "trace line {want:?} missing or out of order (after line {at});\ntrace:\n{}\n{context}",
                trace.join("\n")
            ),
        }
    }
}

/// The connection number in the `show ssh` rows of `lab` (`IN` row, first column).
fn number_in_show_ssh(screen: &str) -> Vec<u32> {
    screen
        .lines()
        .filter(|l| {
            l.contains(" IN ") && l.contains("Session started") && l.trim_end().ends_with("lab")
        })
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// `sshpass ... ssh -o KexAlgorithms=... lab@127.0.0.1 LINE` (no terminal).
fn exec(s: &DeviceServer, line: &str) -> support::RunOutput {
    let mut cmd = s.ssh_with_password(PASSWORD);
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("lab"))
        .arg(line);
    run_with_timeout(&mut cmd, &s.dir, "lab-exec", RUN)
}

/// Waits until serve has logged the end of connection `n`; returns the log.
fn log_until_end(s: &DeviceServer, n: u32) -> String {
    let end = format!("SSH{n}: Session terminated");
    s.log
        .wait_since(0, LOG_SETTLE_TIMEOUT * 4, |t| t.contains(&end));
    s.log.all()
}

#[test]
fn a_terminal_login_is_traced_in_the_seeds_words() {
    let s = device("debug-trace-login", "", &["--debug", "ip-ssh"]);
    // The seed's algorithms where OpenSSH still has them: finite-field DH (its KEXDH words),
    // aes128-ctr, hmac-sha2-256.
    let ssh = format!(
        "{} -tt -o KexAlgorithms=diffie-hellman-group14-sha256 -c aes128-ctr -m hmac-sha2-256 {}",
        s.ssh_with_password_line(PASSWORD),
        DeviceServer::dest("lab")
    );
    let t = Tmux::start_sized(&format!("dbg{}", s.port), 80, 24, &ssh);
    t.wait_for("router1#", 1);
    t.type_line("show ssh");
    let screen = t.wait_for("Session started", 2);
    let numbers = number_in_show_ssh(&screen);
    let [n] = numbers[..] else {
        panic!("one lab row expected in show ssh:\n{screen}");
    };
    t.type_line("exit");
    assert_eq!(t.wait_exit(), 0, "ssh failed:\n{}", t.screen());

    let log = log_until_end(&s, n);
    let trace = trace_of(&log, n);
    // One difference from the seed: IOS waits for the client's version line before its KEXINIT;
    // serve sends both at once (RFC 4253 §7.1 allows it), so the trace says so.
    let expected: Vec<String> = [
        "SSH{n}: starting SSH control process",
        "SSH{n}: sent protocol version id SSH-2.0-sshgate_*",
        "SSH2 {n}: SSH2_MSG_KEXINIT sent",
        "SSH{n}: protocol version id is - SSH-2.0-OpenSSH_*",
        "SSH2 {n}: SSH2_MSG_KEXINIT received",
        "SSH2 {n}: Using kex_algo = diffie-hellman-group14-sha256",
        "SSH2: kex: client->server aes128-ctr hmac-sha2-256 none",
        "SSH2: kex: server->client aes128-ctr hmac-sha2-256 none",
        "SSH2 {n}: expecting SSH2_MSG_KEXDH_INIT",
        "SSH2 {n}: SSH2_MSG_KEXDH_INIT received",
        "SSH2: kex_derive_keys complete",
        "SSH2 {n}: newkeys: mode 1",
        "SSH2 {n}: SSH2_MSG_NEWKEYS sent",
        "SSH2 {n}: waiting for SSH2_MSG_NEWKEYS",
        "SSH2 {n}: newkeys: mode 0",
        "SSH2 {n}: SSH2_MSG_NEWKEYS received",
        "SSH2 {n}: Using method = none",
        "SSH2 {n}: Authentications that can continue = *",
        "SSH2 {n}: Using method = password",
        "SSH2 {n}: authentication successful for lab",
        "SSH2 {n}: channel open request",
        "SSH2 {n}: pty-req request",
        "SSH2 {n}: setting TTY - requested: height 24, width 80; set: height 24, width 80",
        "SSH2 {n}: shell request",
        "SSH{n}: Session terminated normally",
    ]
    .iter()
    .map(|l| l.replace("{n}", &n.to_string()))
    .collect();
    assert_subsequence(&trace, &expected, &s.report());
    // Nothing of the session is traced twice, and the end comes last.
    assert_eq!(
        trace
            .iter()
            .filter(|l| l.contains("SSH2_MSG_KEXINIT sent"))
            .count(),
        1
    );
    assert_eq!(trace.last(), expected.last(), "{}", trace.join("\n"));
}

#[test]
fn the_cli_turns_the_trace_on_and_off_at_run_time() {
    // No debug at the start: a first connection is not traced.
    let s = device("debug-trace-cli", "", &[]);
    let admin = format!(
        "{} -tt {}",
        s.ssh_with_password_line(PASSWORD),
        DeviceServer::dest("lab")
    );
    let t = Tmux::start_sized(&format!("dbgcli{}", s.port), 80, 24, &admin);
    t.wait_for("router1#", 1);
    t.type_line("show debugging");
    t.type_line("debug ip ssh");
    t.wait_for("Incoming ssh debugging is on", 1);
    t.type_line("show debugging");
    t.wait_for("Incoming ssh debugging is on", 2);

    // A new connection is traced from its first step.
    let out = exec(&s, "show ssh");
    assert!(out.success(), "{}", out.report(20));
    let rows = number_in_show_ssh(&out.stdout.replace('\r', ""));
    assert_eq!(rows.len(), 2, "show ssh:\n{}", out.stdout);
    let log = s.log.all();
    let traced: Vec<u32> = rows
        .iter()
        .copied()
        .filter(|n| log.contains(&format!("SSH{n}: starting SSH control process")))
        .collect();
    let [b] = traced[..] else {
        panic!("exactly the new connection traced from its start: {traced:?}\n{log}");
    };
    let log = log_until_end(&s, b);
    let expected: Vec<String> = [
        "SSH{n}: starting SSH control process",
        "SSH2 {n}: SSH2_MSG_KEXINIT sent",
        "SSH2 {n}: SSH2_MSG_KEXINIT received",
        "SSH2 {n}: expecting SSH2_MSG_KEX_*",
        "SSH2 {n}: SSH2_MSG_NEWKEYS received",
        "SSH2 {n}: authentication successful for lab",
        "SSH2 {n}: channel open request",
        "SSH2 {n}: exec request",
        "SSH{n}: Session terminated normally",
    ]
    .iter()
    .map(|l| l.replace("{n}", &b.to_string()))
    .collect();
    assert_subsequence(&trace_of(&log, b), &expected, &s.report());

    // Off again: the next connection leaves no trace.
    t.type_line("undebug all");
    t.wait_for("All possible debugging has been turned off", 1);
    let mark = s.log.mark();
    let out = exec(&s, "show users");
    assert!(out.success(), "{}", out.report(20));
    let after = s.log.wait_since(mark, LOG_SETTLE_TIMEOUT, |t| {
        t.contains("connection closed")
    });
    assert!(after.contains("connection closed"), "{after}");
    // The admin's own live session may still log a step or two; no new connection starts.
    assert!(
        !after.contains("starting SSH control process"),
        "traced after undebug all:\n{after}"
    );
    t.type_line("exit");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn the_device_file_turns_it_on_from_the_start() {
    let s = device("debug-trace-config", "debug = [\"ip-ssh\"]", &[]);
    let out = exec(&s, "show ssh");
    assert!(out.success(), "{}", out.report(20));
    let rows = number_in_show_ssh(&out.stdout.replace('\r', ""));
    let [n] = rows[..] else {
        panic!("one row expected:\n{}", out.stdout);
    };
    let log = log_until_end(&s, n);
    let expected: Vec<String> = [
        "SSH{n}: starting SSH control process",
        "SSH2 {n}: SSH2_MSG_KEXINIT sent",
        "SSH2 {n}: authentication successful for lab",
        "SSH2 {n}: exec request",
        "SSH{n}: Session terminated normally",
    ]
    .iter()
    .map(|l| l.replace("{n}", &n.to_string()))
    .collect();
    assert_subsequence(&trace_of(&log, n), &expected, &s.report());
}
