//! IOS `snmp-server host ADDR public tty` on `sshgate-host serve`: when an SSH session ends,
//! serve sends Cisco's `tcpConnectionClose` trap, and Net-SNMP's `snmptrapd` (the real
//! receiver, numeric OIDs) shows it with the user, the client's address and port, and byte
//! counts that cover what the OpenSSH client sent and received — as SNMPv1 (enterprise cisco,
//! generic 6, specific 1) and as SNMPv2c (snmpTrapOID.0 = cisco.0.1).

mod support;

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, LogFile, ProcessGuard, SHELL_COMMAND, TempDir, require_tool,
    run_with_timeout, start_device, start_with_retries, tail,
};

const SNMPTRAPD: &str = "/usr/sbin/snmptrapd";
const WAIT: Duration = Duration::from_secs(20);
/// What the client's command line carries to serve, and what the command prints back.
const SENT: usize = 20_000;
const RECEIVED: usize = 60_000;

const TS_LINE_USER: &str = ".1.3.6.1.4.1.9.2.9.2.1.18.";
const TSLINE_SES_ADDR: &str = ".1.3.6.1.4.1.9.2.9.3.1.3.";
const TCP_CONN_STATE: &str = ".1.3.6.1.2.1.6.13.1.1.";
const IN_BYTES: &str = ".1.3.6.1.4.1.9.2.6.1.1.1.";
const OUT_BYTES: &str = ".1.3.6.1.4.1.9.2.6.1.1.2.";

/// `snmptrapd` in the foreground on a loopback UDP port, accepting any community, logging
/// every trap with numeric OIDs to a file.
struct TrapReceiver {
    port: u16,
    log: LogFile,
    _guard: ProcessGuard,
}

fn start_trapd(dir: &TempDir) -> TrapReceiver {
    require_tool(SNMPTRAPD, "apt-get install snmptrapd");
    let conf = dir.join("snmptrapd.conf");
    fs::write(&conf, "disableAuthorization yes\n").expect("write snmptrapd.conf");
    start_with_retries("snmptrapd", 3, |attempt, port| {
        let log = LogFile::new(dir.join(format!("snmptrapd-{attempt}.log")));
        let mut cmd = Command::new(SNMPTRAPD);
        cmd.args(["-f", "-On", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(&log.path)
            .args(["-p"])
            .arg(dir.join(format!("snmptrapd-{attempt}.pid")))
            .arg(format!("udp:127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut guard = ProcessGuard::spawn("snmptrapd", &mut cmd);
        // It logs its version once its transports are open.
        let text = log.wait_since(0, WAIT, |t| t.contains("NET-SNMP version"));
        if guard.exited().is_some() || !text.contains("NET-SNMP version") {
            return Err(format!("snmptrapd did not start:\n{}", tail(&text, 20)));
        }
        Ok(TrapReceiver {
            port,
            log,
            _guard: guard,
        })
    })
}

/// The value after `name...` = in a `snmptrapd` trap line (tab-separated varbinds):
/// (the OID's index after `name`, the value text).
fn varbind<'a>(trap: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    trap.split(['\t', '\n']).find_map(|vb| {
        let rest = vb.trim().strip_prefix(name)?;
        let (index, value) = rest.split_once(" = ")?;
        Some((index, value.trim()))
    })
}

fn integer(value: &str) -> u64 {
    value
        .strip_prefix("INTEGER: ")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("not an INTEGER: {value}"))
}

/// `field=value` of serve's audit line.
fn audit_field<'a>(line: &'a str, field: &str) -> &'a str {
    let start = line
        .find(&format!(" {field}="))
        .unwrap_or_else(|| panic!("no {field} in {line}"))
        + field.len()
        + 2;
    let rest = &line[start..];
    rest.split(' ').next().unwrap_or("").trim_matches('"')
}

/// One session by `ops` (a shell) that sends [`SENT`] bytes of command line and reads
/// [`RECEIVED`] bytes; returns the trap text and serve's audit line.
fn session_trap(label: &str, version: &str) -> (String, String, DeviceServer) {
    let dir = TempDir::new(&format!("{label}-trapd"));
    let trapd = start_trapd(&dir);
    let extra = format!(
        "[snmp]\ntrap_hosts = [\"127.0.0.1:{}\"]\ncommunity = \"public\"\nversion = {version:?}\n",
        trapd.port
    );
    let s = start_device(
        label,
        &extra,
        &[DeviceUser {
            name: "ops",
            privilege: 1,
            key: true,
            command: Some(SHELL_COMMAND),
            ..DeviceUser::default()
        }],
    );
    let mark = s.log.mark();
    let line = format!("head -c {RECEIVED} /dev/zero; : {}", "x".repeat(SENT));
    let mut cmd = s.ssh_with_key();
    cmd.args(["-o", "LogLevel=ERROR"])
        .arg(DeviceServer::dest("ops"))
        .arg(&line);
    let out = run_with_timeout(&mut cmd, &s.dir, "ops-exec", WAIT);
    assert!(out.success(), "{}\n{}", out.report(5), s.report());
    assert_eq!(out.stdout.len(), RECEIVED, "{}", out.report(2));

    let traps = trapd.log.wait_since(0, WAIT, |t| t.contains(TS_LINE_USER));
    let trap = traps
        .lines()
        .find(|l| l.contains(TS_LINE_USER))
        .unwrap_or_else(|| {
            panic!(
                "no trap reached snmptrapd:\n{}\n{}",
                tail(&traps, 10),
                s.report()
            )
        })
        .to_string();
    // The lines before the varbinds: the PDU header.
    let header: String = traps
        .lines()
        .filter(|l| {
            l.contains("TRAP, SNMP") || l.contains("Enterprise Specific") || l.contains("->[127")
        })
        .collect::<Vec<_>>()
        .join("\n");
    // The session's own line (serve's start-up check connects too, without logging in).
    let is_session = |l: &str| l.contains("sshgate::audit") && l.contains("user=ops");
    let log = s.log.wait_since(mark, WAIT, |t| t.lines().any(is_session));
    let audit = log
        .lines()
        .find(|l| is_session(l))
        .unwrap_or_else(|| panic!("no audit line:\n{}", s.report()))
        .to_string();
    (format!("{header}\n{trap}"), audit, s)
}

/// What both versions carry: the user, the client's address and port (the tcpConnTable index
/// ends with them; serve's audit line has the same port), and byte counts that cover what
/// the client sent and received and equal serve's own count.
fn check_session_varbinds(trap: &str, audit: &str) {
    let ctx = || format!("trap:\n{trap}\naudit: {audit}");
    let (_, user) = varbind(trap, TS_LINE_USER).unwrap_or_else(|| panic!("{}", ctx()));
    assert_eq!(user, "STRING: \"ops\"", "{}", ctx());
    let (_, addr) = varbind(trap, TSLINE_SES_ADDR).unwrap_or_else(|| panic!("{}", ctx()));
    assert_eq!(addr, "IpAddress: 127.0.0.1", "{}", ctx());

    let peer = audit_field(audit, "peer");
    let client_port = peer.rsplit(':').next().unwrap_or_default();
    let (index, state) = varbind(trap, TCP_CONN_STATE).unwrap_or_else(|| panic!("{}", ctx()));
    assert!(
        index.ends_with(&format!(".127.0.0.1.{client_port}")),
        "tcpConnTable index {index} does not end with the client {peer}\n{}",
        ctx()
    );
    // The client closed first: closeWait(8).
    assert_eq!(state, "INTEGER: 8", "{}", ctx());

    let (_, inb) = varbind(trap, IN_BYTES).unwrap_or_else(|| panic!("{}", ctx()));
    let (_, outb) = varbind(trap, OUT_BYTES).unwrap_or_else(|| panic!("{}", ctx()));
    let (inb, outb) = (integer(inb), integer(outb));
    assert!(
        inb >= SENT as u64 && inb < 10 * SENT as u64,
        "in {inb}\n{}",
        ctx()
    );
    assert!(
        outb >= RECEIVED as u64 && outb < 10 * RECEIVED as u64,
        "out {outb}\n{}",
        ctx()
    );
    assert_eq!(audit_field(audit, "bytes_in"), inb.to_string(), "{}", ctx());
    assert_eq!(
        audit_field(audit, "bytes_out"),
        outb.to_string(),
        "{}",
        ctx()
    );
}

#[test]
fn v1_trap_on_session_end() {
    let (trap, audit, _s) = session_trap("snmp-v1", "1");
    assert!(
        trap.contains("TRAP, SNMP v1, community public"),
        "not a v1 trap:\n{trap}"
    );
    // enterprise cisco, generic 6 (enterpriseSpecific), specific 1.
    assert!(
        trap.contains(".1.3.6.1.4.1.9 Enterprise Specific Trap (1)"),
        "not cisco's tcpConnectionClose:\n{trap}"
    );
    check_session_varbinds(&trap, &audit);
}

#[test]
fn v2c_trap_on_session_end() {
    let (trap, audit, _s) = session_trap("snmp-v2c", "2c");
    let (_, trap_oid) = varbind(&trap, ".1.3.6.1.6.3.1.1.4.1.0")
        .unwrap_or_else(|| panic!("no snmpTrapOID.0:\n{trap}"));
    assert_eq!(trap_oid, "OID: .1.3.6.1.4.1.9.0.1", "{trap}");
    let (_, enterprise) = varbind(&trap, ".1.3.6.1.6.3.1.1.4.3.0")
        .unwrap_or_else(|| panic!("no snmpTrapEnterprise.0:\n{trap}"));
    assert_eq!(enterprise, "OID: .1.3.6.1.4.1.9", "{trap}");
    assert!(
        varbind(&trap, ".1.3.6.1.2.1.1.3.0").is_some_and(|(_, v)| v.starts_with("Timeticks")),
        "no sysUpTime.0:\n{trap}"
    );
    check_session_varbinds(&trap, &audit);
}
