//! `sshgate-host ssh` forwarding against the real OpenSSH `sshd`: `-L` and `-R` (a fixed port
//! and port 0 with its "Allocated port" line) carrying 1 MiB each way to an echo server, checked
//! by SHA-256; `-D` as a SOCKS5/SOCKS4a proxy for `curl` to a small HTTP server; `-W` with
//! standard input and output; `-J` through one and two jump hosts, each hop's host key under its
//! own name in known_hosts; and a forward sshd refuses (`PermitOpen`) reported as OpenSSH
//! reports it.

mod support;

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::*;

/// How long a client may take to log in and set its forwards up (a loaded 2-CPU machine).
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes sent through each forward.
const BULK: usize = 1 << 20;

/// A TCP echo server on loopback: every connection gets its bytes back, and its EOF.
fn echo_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind echo server");
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            thread::spawn(move || {
                let mut rd = s.try_clone().unwrap();
                let mut wr = s;
                let _ = std::io::copy(&mut rd, &mut wr);
                let _ = wr.shutdown(Shutdown::Write);
            });
        }
    });
    port
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Sends [`BULK`] pseudo-random bytes through `port` (then EOF) while reading the echo to its
/// EOF; panics unless the same bytes came back.
fn echo_bulk(port: u16, what: &str) {
    let mut s = TcpStream::connect(loopback(port)).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut data = vec![0u8; BULK];
    let mut x: u32 = 0x1234_5678;
    for b in &mut data {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let sent = Sha256::digest(&data);
    let mut wr = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        wr.write_all(&data).unwrap();
        wr.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    s.read_to_end(&mut back)
        .unwrap_or_else(|e| panic!("{what}: read: {e}"));
    writer.join().unwrap();
    assert_eq!(back.len(), BULK, "{what}: bytes echoed");
    assert_eq!(Sha256::digest(&back), sent, "{what}: SHA-256 of the echo");
}

/// A running `sshgate-host ssh -N ...` (killed on drop) and its stderr.
struct Client {
    guard: ProcessGuard,
    stderr: LogFile,
}

/// `sshgate-host ssh -i KEY -o BatchMode=yes -o StrictHostKeyChecking=no -p PORT <args>
/// root@127.0.0.1`, left running.
fn start_client(dir: &TempDir, sshd: &Sshd, args: &[String], label: &str) -> Client {
    let err = dir.join(format!("{label}.stderr"));
    let mut cmd = Command::new(sshgate_bin());
    cmd.arg("ssh")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .arg("-i")
        .arg(client_key(dir))
        .args(["-p", &sshd.port.to_string()])
        .args(args)
        .arg(format!("{}@127.0.0.1", current_user()))
        .stdin(Stdio::null())
        .stdout(File::create(dir.join(format!("{label}.stdout"))).unwrap())
        .stderr(File::create(&err).unwrap());
    Client {
        guard: ProcessGuard::spawn(label, &mut cmd),
        stderr: LogFile::new(err),
    }
}

impl Client {
    /// Waits until `port` on loopback accepts (our listener, or sshd's for `-R`).
    fn wait_port(&mut self, port: u16) {
        let deadline = Instant::now() + SETUP_TIMEOUT;
        while Instant::now() < deadline {
            assert!(
                self.guard.exited().is_none(),
                "the client exited: {}",
                self.stderr.all()
            );
            if port_open(loopback(port)) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "port {port} never opened; client stderr:\n{}",
            self.stderr.all()
        );
    }

    /// Waits for a stderr line containing `needle`; returns it.
    fn wait_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + SETUP_TIMEOUT;
        loop {
            let all = self.stderr.all();
            if let Some(l) = all.lines().find(|l| l.contains(needle)) {
                return l.to_string();
            }
            assert!(
                Instant::now() < deadline && self.guard.exited().is_none(),
                "no `{needle}` line; client stderr:\n{all}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[test]
fn local_forward_carries_a_mebibyte_each_way() {
    let dir = TempDir::new("fwd-local");
    let sshd = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let echo = echo_server();
    let (l1, l2) = (free_port(), free_port());
    let mut c = start_client(
        &dir,
        &sshd,
        &strings(&[
            "-N",
            "-L",
            &format!("{l1}:127.0.0.1:{echo}"),
            "-L",
            &format!("127.0.0.1:{l2}:localhost:{echo}"),
        ]),
        "client-L",
    );
    c.wait_port(l1);
    c.wait_port(l2);
    // Two at once, so the relays of two channels interleave.
    let t = thread::spawn(move || echo_bulk(l2, "-L with bind address"));
    echo_bulk(l1, "-L");
    t.join().unwrap();
    let log = sshd.log.all();
    assert!(
        log.contains(&format!("target 127.0.0.1 port {echo}")),
        "sshd never opened the direct-tcpip target:\n{}",
        tail(&log, 40)
    );
}

#[test]
fn remote_forward_fixed_port_and_port_zero() {
    let dir = TempDir::new("fwd-remote");
    let sshd = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let echo = echo_server();
    let fixed = free_port();
    let mut c = start_client(
        &dir,
        &sshd,
        &strings(&[
            "-N",
            "-R",
            &format!("{fixed}:127.0.0.1:{echo}"),
            "-R",
            &format!("0:127.0.0.1:{echo}"),
        ]),
        "client-R",
    );
    let line = c.wait_line("Allocated port ");
    let want_tail = format!(" for remote forward to 127.0.0.1:{echo}");
    assert!(line.ends_with(&want_tail), "{line}");
    let allocated: u16 = line
        .trim_start_matches("Allocated port ")
        .trim_end_matches(&want_tail)
        .parse()
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    // sshd listens on its loopback for both.
    c.wait_port(fixed);
    c.wait_port(allocated);
    echo_bulk(fixed, "-R fixed port");
    echo_bulk(allocated, "-R port 0");
}

/// `python3 -m http.server` on loopback serving `dir/www`, with `page.txt` in it.
fn http_server(dir: &TempDir, body: &str) -> (u16, ProcessGuard) {
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("page.txt"), body).unwrap();
    start_with_retries("http.server", 5, |_, port| {
        let mut cmd = Command::new(python());
        cmd.args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(&www)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(dir.join("http.log")).unwrap());
        let mut g = ProcessGuard::spawn("http.server", &mut cmd);
        g.await_startup(
            Duration::from_millis(50),
            |g| g.exited().is_none() && port_open(loopback(port)),
            |st| format!("http.server exited: {st}"),
            || "http.server did not listen".into(),
        )?;
        Ok((port, g))
    })
}

fn curl(dir: &TempDir, args: &[String], label: &str) -> RunOutput {
    require_tool("/usr/bin/curl", "install curl");
    let mut cmd = Command::new("/usr/bin/curl");
    cmd.args(["-sS", "--max-time", "20"]).args(args);
    run_with_timeout(&mut cmd, dir, label, RUN_TIMEOUT)
}

#[test]
fn dynamic_forward_serves_curl_through_socks() {
    let dir = TempDir::new("fwd-dynamic");
    let sshd = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let body = "sshgate socks marker\n";
    let (http, _http_guard) = http_server(&dir, body);
    let socks = free_port();
    let mut c = start_client(
        &dir,
        &sshd,
        &strings(&["-N", "-D", &socks.to_string()]),
        "client-D",
    );
    c.wait_port(socks);
    let proxy = format!("127.0.0.1:{socks}");
    for (flag, host) in [
        // The name goes to sshd, which resolves it.
        ("--socks5-hostname", "localhost"),
        ("--socks5", "127.0.0.1"),
        ("--socks4a", "localhost"),
    ] {
        let out = curl(
            &dir,
            &strings(&[flag, &proxy, &format!("http://{host}:{http}/page.txt")]),
            flag,
        );
        assert!(
            out.success() && out.stdout == body,
            "curl {flag}: {}\nclient stderr:\n{}",
            out.report(20),
            c.stderr.all()
        );
    }
}

#[test]
fn refused_forward_is_reported_like_openssh() {
    let dir = TempDir::new("fwd-refused");
    // Only a port nothing listens on may be opened.
    let sshd = start_sshd_config(
        &dir,
        &[],
        &["AllowTcpForwarding yes", "PermitOpen 127.0.0.1:1"],
    );
    let echo = echo_server();
    let (lport, socks) = (free_port(), free_port());
    let mut c = start_client(
        &dir,
        &sshd,
        &strings(&[
            "-N",
            "-L",
            &format!("{lport}:127.0.0.1:{echo}"),
            "-D",
            &socks.to_string(),
        ]),
        "client-refused",
    );
    c.wait_port(lport);
    // The local connection is closed without a byte.
    let mut s = TcpStream::connect(loopback(lport)).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(got.is_empty(), "{got:?}");
    let line = c.wait_line("open failed: administratively prohibited");
    assert!(line.starts_with("channel "), "{line}");
    // A SOCKS client gets a refusal instead of a connection.
    c.wait_port(socks);
    let out = curl(
        &dir,
        &strings(&[
            "--socks5",
            &format!("127.0.0.1:{socks}"),
            &format!("http://127.0.0.1:{echo}/"),
        ]),
        "curl-refused",
    );
    assert!(!out.success(), "{}", out.report(20));
}

#[test]
fn stdio_forward_carries_standard_input_and_output() {
    let dir = TempDir::new("fwd-stdio");
    let sshd = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let echo = echo_server();
    let input = dir.join("input");
    std::fs::write(&input, "through -W\n").unwrap();
    let mut cmd = sshgate_client_command(&dir);
    cmd.args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .arg("-i")
        .arg(client_key(&dir))
        .args(["-p", &sshd.port.to_string(), "-W"])
        .arg(format!("127.0.0.1:{echo}"))
        .arg(format!("{}@127.0.0.1", current_user()));
    // run_with_timeout closes stdin: give it the file through the shell.
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("exec {} < {}", shell_words(&cmd), input.display()));
    let out = run_with_timeout(&mut sh, &dir, "stdio", RUN_TIMEOUT);
    assert!(
        out.success() && out.stdout == "through -W\n",
        "{}",
        out.report(30)
    );
}

/// A command line for `sh -c`.
fn shell_words(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `sshgate-host ssh -J <jump> -p PORT root@127.0.0.1 echo <marker>` with `known_hosts`.
fn jump_run(
    dir: &TempDir,
    jump: &str,
    port: u16,
    strict: &str,
    kh: &str,
    marker: &str,
) -> RunOutput {
    let mut cmd = sshgate_client_command(dir);
    cmd.args(["-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!("StrictHostKeyChecking={strict}"))
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", dir.join(kh).display()))
        .arg("-i")
        .arg(client_key(dir))
        .args(["-J", jump, "-p", &port.to_string()])
        .arg(format!("{}@127.0.0.1", current_user()))
        .args(["echo", marker]);
    run_with_timeout(&mut cmd, dir, marker, Duration::from_secs(60))
}

/// sshd logs the direct-tcpip request it served (as a jump host).
fn relayed_to(sshd: &Sshd, mark: u64, port: u16) -> bool {
    let needle = format!("target 127.0.0.1 port {port}");
    sshd.log
        .wait_since(mark, LOG_SETTLE_TIMEOUT, |t| t.contains(&needle))
        .contains(&needle)
}

#[test]
fn jump_hosts_one_and_two_deep() {
    let dir = TempDir::new("fwd-jump");
    let a = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let b = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let c = start_sshd_config(&dir, &[], &["AllowTcpForwarding yes"]);
    let user = current_user();
    let hop = |s: &Sshd| format!("{user}@127.0.0.1:{}", s.port);

    let (ma, mb) = (a.log.mark(), b.log.mark());
    let out = jump_run(
        &dir,
        &hop(&a),
        b.port,
        "accept-new",
        "known_hosts",
        "marker-one",
    );
    assert!(
        out.success() && out.stdout == "marker-one\n",
        "{}",
        out.report(30)
    );
    assert!(relayed_to(&a, ma, b.port), "sshd A never relayed to B");
    assert!(
        b.log.since(mb).contains("Accepted publickey"),
        "B never logged the login"
    );
    // The hop closed its connection with a DISCONNECT, not by dropping it.
    let said = |t: &str| t.contains("Received disconnect from 127.0.0.1");
    let text = a.log.wait_since(ma, LOG_SETTLE_TIMEOUT, said);
    assert!(
        said(&text),
        "no DISCONNECT from the hop:\n{}",
        tail(&text, 30)
    );

    let (ma, mb) = (a.log.mark(), b.log.mark());
    let two = format!("{},{}", hop(&a), hop(&b));
    let out = jump_run(
        &dir,
        &two,
        c.port,
        "accept-new",
        "known_hosts",
        "marker-two",
    );
    assert!(
        out.success() && out.stdout == "marker-two\n",
        "{}",
        out.report(30)
    );
    assert!(relayed_to(&a, ma, b.port), "sshd A never relayed to B");
    assert!(relayed_to(&b, mb, c.port), "sshd B never relayed to C");

    // Each hop's key was recorded under its own name.
    let kh = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
    for s in [&a, &b, &c] {
        let name = format!("[127.0.0.1]:{} ", s.port);
        assert!(kh.contains(&name), "no {name} in known_hosts:\n{kh}");
    }
    // Without A's entry, A's key is refused under strict checking before anything reaches C.
    let without_a: String = kh
        .lines()
        .filter(|l| !l.starts_with(&format!("[127.0.0.1]:{} ", a.port)))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("known_hosts_no_a"), without_a).unwrap();
    let mc = c.log.mark();
    let out = jump_run(
        &dir,
        &two,
        c.port,
        "yes",
        "known_hosts_no_a",
        "marker-three",
    );
    assert!(
        !out.success() && out.stderr.contains("Host key verification failed."),
        "{}",
        out.report(30)
    );
    assert!(
        !c.log.since(mc).contains("Accepted publickey"),
        "C was reached"
    );
}

/// `sshgate-host ssh -N -o ExitOnForwardFailure=yes <args> root@127.0.0.1`, run to its end.
fn run_client(dir: &TempDir, sshd: &Sshd, args: &[String], label: &str) -> RunOutput {
    let mut cmd = sshgate_client_command(dir);
    cmd.args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .arg("-i")
        .arg(client_key(dir))
        .args(["-p", &sshd.port.to_string()])
        .args(args)
        .arg(format!("{}@127.0.0.1", current_user()));
    run_with_timeout(&mut cmd, dir, label, Duration::from_secs(60))
}

#[test]
fn exit_on_forward_failure_ends_the_connection() {
    let dir = TempDir::new("fwd-exit");
    // The client's bind address counts, so a taken address makes the request fail.
    let sshd = start_sshd_config(
        &dir,
        &[],
        &["AllowTcpForwarding yes", "GatewayPorts clientspecified"],
    );
    let echo = echo_server();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let exit = ["-N", "-o", "ExitOnForwardFailure=yes"];

    let mut args = strings(&exit);
    args.extend(strings(&[
        "-R",
        &format!("127.0.0.1:{port}:127.0.0.1:{echo}"),
    ]));
    let out = run_client(&dir, &sshd, &args, "exit-R");
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(255),
        "{}",
        out.report(20)
    );
    assert!(
        out.stderr.contains(&format!(
            "Error: remote port forwarding failed for listen port {port}"
        )),
        "{}",
        out.report(20)
    );

    let mut args = strings(&exit);
    args.extend(strings(&[
        "-L",
        &format!("127.0.0.1:{port}:127.0.0.1:{echo}"),
    ]));
    let out = run_client(&dir, &sshd, &args, "exit-L");
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(255),
        "{}",
        out.report(20)
    );
    assert!(
        out.stderr.contains(&format!(
            "bind [127.0.0.1]:{port}: Address already in use\n"
        )) && out.stderr.contains("Could not request local forwarding."),
        "{}",
        out.report(20)
    );
    drop(taken);
}
