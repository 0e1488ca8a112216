//! Operating `sshgate-host serve`: the audit line each connection leaves when it ends (target
//! `sshgate::audit`: user, client, method, bytes, duration, how it ended) for a real OpenSSH
//! login and a failed password, and the `[metrics]` listener's Prometheus counters (read
//! with curl) moving with those logins, behind the same `Host` allowlist as the web listener.

mod support;

use std::process::Command;
use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, SHELL_COMMAND, free_port, require_tool, run_with_timeout,
    start_device, start_device_env, wait_for_port,
};

const CURL: &str = "/usr/bin/curl";
const WAIT: Duration = Duration::from_secs(20);
const LAB_PASSWORD: &str = "lab-password-1";

/// `lab` (device CLI, password) and `ops` (a shell, key); `/metrics` on `metrics_port`.
fn device(label: &str, metrics_port: u16) -> DeviceServer {
    let extra = format!("[metrics]\nenable = true\nlisten = [\"127.0.0.1:{metrics_port}\"]\n");
    start_device(
        label,
        &extra,
        &[
            DeviceUser {
                name: "lab",
                privilege: 15,
                password: Some(LAB_PASSWORD),
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "ops",
                privilege: 1,
                key: true,
                command: Some(SHELL_COMMAND),
                ..DeviceUser::default()
            },
        ],
    )
}

/// `field=value` of an audit line (quotes taken off).
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let Some(start) = line.find(&format!(" {name}=")) else {
        panic!("no {name} in {line}");
    };
    let rest = &line[start + name.len() + 2..];
    rest.split(' ').next().unwrap_or("").trim_matches('"')
}

/// The audit line of `user`'s connection, logged after `mark`.
fn audit_line(s: &DeviceServer, mark: u64, user: &str) -> String {
    let mine = |l: &str| l.contains("sshgate::audit") && l.contains(&format!(" user={user} "));
    let text = s.log.wait_since(mark, WAIT, |t| t.lines().any(mine));
    text.lines()
        .find(|l| mine(l))
        .unwrap_or_else(|| panic!("no audit line for {user}:\n{}", s.report()))
        .to_string()
}

/// `curl http://127.0.0.1:PORT/metrics` with `Host: host`: (HTTP status, body).
fn scrape(port: u16, host: &str) -> (String, String) {
    require_tool(CURL, "apt-get install curl");
    let out = Command::new(CURL)
        .args(["-sS", "--max-time", "10", "-H"])
        .arg(format!("Host: {host}"))
        .args(["-w", "\n%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}/metrics"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.to_string(), body.to_string())
}

/// The value of the sample `name` (with its labels) in a scrape.
fn sample(body: &str, name: &str) -> u64 {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{body}"))
}

#[test]
fn audit_lines_for_a_session_and_a_failed_login() {
    let s = device("ops-audit", free_port());

    let mark = s.log.mark();
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"))
        .arg(format!("head -c 50000 /dev/zero; : {}", "y".repeat(10_000)));
    let out = run_with_timeout(&mut cmd, &s.dir, "ops-exec", WAIT);
    assert!(out.success(), "{}\n{}", out.report(5), s.report());
    let line = audit_line(&s, mark, "ops");
    let ctx = || format!("{line}\n{}", s.report());
    assert_eq!(field(&line, "method"), "publickey", "{}", ctx());
    assert_eq!(field(&line, "authenticated"), "true", "{}", ctx());
    assert_eq!(field(&line, "ended"), "normal", "{}", ctx());
    assert!(field(&line, "peer").starts_with("127.0.0.1:"), "{}", ctx());
    assert_eq!(
        field(&line, "local"),
        format!("127.0.0.1:{}", s.port),
        "{}",
        ctx()
    );
    let bytes_in: u64 = field(&line, "bytes_in").parse().expect("bytes_in");
    let bytes_out: u64 = field(&line, "bytes_out").parse().expect("bytes_out");
    assert!((10_000..100_000).contains(&bytes_in), "{}", ctx());
    assert!((50_000..500_000).contains(&bytes_out), "{}", ctx());
    field(&line, "duration_ms")
        .parse::<u64>()
        .expect("duration_ms");

    let mark = s.log.mark();
    let mut cmd = s.ssh_with_password("not-the-password");
    cmd.args(["-o", "LogLevel=ERROR", "-o", "NumberOfPasswordPrompts=1"])
        .arg(DeviceServer::dest("lab"))
        .arg("show users");
    let out = run_with_timeout(&mut cmd, &s.dir, "lab-wrong", WAIT);
    assert!(!out.success(), "{}", out.report(5));
    let line = audit_line(&s, mark, "lab");
    let ctx = || format!("{line}\n{}", s.report());
    assert_eq!(field(&line, "method"), "password", "{}", ctx());
    assert_eq!(field(&line, "authenticated"), "false", "{}", ctx());
    assert_eq!(field(&line, "ended"), "auth-failure", "{}", ctx());
    assert_ne!(field(&line, "auth_failures"), "0", "{}", ctx());
}

#[test]
fn metrics_count_logins_and_bytes() {
    let port = free_port();
    let s = device("ops-metrics", port);
    // serve binds /metrics just after its SSH listener.
    assert!(
        wait_for_port(([127, 0, 0, 1], port).into(), WAIT),
        "no /metrics listener\n{}",
        s.report()
    );
    let (status, before) = scrape(port, "127.0.0.1");
    assert_eq!(status, "200", "{before}\n{}", s.report());
    assert!(
        before.contains("# TYPE sshgate_logins_total counter"),
        "{before}"
    );
    assert!(
        before.contains("# TYPE sshgate_sessions_open gauge"),
        "{before}"
    );
    let ok = "sshgate_logins_total{method=\"publickey\",result=\"success\"}";
    let failed = "sshgate_logins_total{method=\"password\",result=\"failure\"}";
    assert_eq!(sample(&before, ok), 0, "{before}");

    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"))
        .arg("echo hi");
    let out = run_with_timeout(&mut cmd, &s.dir, "ops-exec", WAIT);
    assert!(out.success(), "{}\n{}", out.report(5), s.report());
    let mut cmd = s.ssh_with_password("not-the-password");
    cmd.args(["-o", "LogLevel=ERROR", "-o", "NumberOfPasswordPrompts=1"])
        .arg(DeviceServer::dest("lab"))
        .arg("show users");
    let out = run_with_timeout(&mut cmd, &s.dir, "lab-wrong", WAIT);
    assert!(!out.success(), "{}", out.report(5));
    // The counters move before the connection's audit line, which comes at its very end.
    let mark = 0;
    audit_line(&s, mark, "lab");

    let (_, after) = scrape(port, "localhost");
    assert_eq!(sample(&after, ok), 1, "{after}");
    assert!(sample(&after, failed) >= 1, "{after}");
    assert!(
        sample(&after, "sshgate_connections_total")
            >= sample(&before, "sshgate_connections_total") + 2,
        "{before}\n{after}"
    );
    assert!(
        sample(&after, "sshgate_received_bytes_total")
            > sample(&before, "sshgate_received_bytes_total"),
        "{after}"
    );
    assert!(sample(&after, "sshgate_sent_bytes_total") > 0, "{after}");
    assert_eq!(sample(&after, "sshgate_sessions_open"), 0, "{after}");

    // A name the listener is not known by (DNS rebinding) is refused.
    let (status, body) = scrape(port, "evil.test");
    assert_eq!(status, "421", "{body}");
}

#[test]
fn under_journald_lines_carry_their_priority_and_no_time() {
    let s = start_device_env(
        "ops-journal",
        "",
        &[DeviceUser {
            name: "ops",
            privilege: 1,
            key: true,
            command: Some(SHELL_COMMAND),
            ..DeviceUser::default()
        }],
        // What systemd sets when stderr is a journal stream (device:inode).
        &[("JOURNAL_STREAM", "8:12345")],
    );
    let mark = s.log.mark();
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"))
        .arg("true");
    let out = run_with_timeout(&mut cmd, &s.dir, "ops-exec", WAIT);
    assert!(out.success(), "{}\n{}", out.report(5), s.report());
    let line = audit_line(&s, mark, "ops");
    assert!(line.starts_with("<6>"), "{line}");
    for l in s.log.all().lines().filter(|l| !l.trim().is_empty()) {
        let prefixed = ["<3>", "<4>", "<6>", "<7>"]
            .iter()
            .any(|p| l.starts_with(p));
        assert!(prefixed, "a line without its priority: {l}\n{}", s.report());
        assert!(!l[3..].trim_start().starts_with("20"), "a timestamp: {l}");
    }
}

#[test]
fn syslog_datagrams_carry_the_audit_line() {
    use std::os::unix::net::UnixDatagram;
    let dir = support::TempDir::new("ops-syslog");
    let socket_path = dir.join("log.sock");
    // A syslog daemon's end: a datagram socket at a path of our own (not /dev/log), read as
    // the lines come (its queue is short, and serve never waits for it).
    let daemon = UnixDatagram::bind(&socket_path).expect("bind the syslog socket");
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = daemon.recv(&mut buf) {
            if tx
                .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    let dest = format!("syslog:{}", socket_path.display());
    let s = start_device_env(
        "ops-syslog",
        "",
        &[DeviceUser {
            name: "ops",
            privilege: 1,
            key: true,
            command: Some(SHELL_COMMAND),
            ..DeviceUser::default()
        }],
        &[("SSHGATE_LOG", dest.as_str())],
    );
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"))
        .arg("true");
    let out = run_with_timeout(&mut cmd, &s.dir, "ops-exec", WAIT);
    assert!(out.success(), "{}", out.report(5));

    let mut seen = Vec::new();
    let audit = loop {
        let text = lines.recv_timeout(WAIT).unwrap_or_else(|e| {
            panic!(
                "no audit datagram ({e}); got:\n{}\nstderr:\n{}",
                seen.join("\n"),
                s.log.all()
            )
        });
        if text.contains("sshgate::audit") && text.contains(" user=ops ") {
            break text;
        }
        seen.push(text);
    };
    // LOG_AUTH (4) * 8 + info (6), the tag, no timestamp, no trailing newline.
    let pid = s.guard.id();
    assert!(
        audit.starts_with(&format!(
            "<38>sshgate-host[{pid}]: sshgate::audit: session ended "
        )),
        "{audit}"
    );
    assert!(!audit.ends_with('\n'), "{audit:?}");
    assert!(
        seen.iter()
            .all(|l| l.starts_with('<') && l.contains("sshgate-host[")),
        "{seen:?}"
    );
}
