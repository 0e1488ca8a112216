//! IOS `snmp-server host ADDR public tty`: an SNMP trap when an SSH session ends, as IOS sends
//! it (the seeds' `debug snmp packet` output): Cisco's `tcpConnectionClose` (CISCO-GENERAL-TRAPS,
//! enterprise cisco, generic 6, specific 1) with `tslineSesType`, `tcpConnState`,
//! `loctcpConnElapsed`, `loctcpConnInBytes`, `loctcpConnOutBytes` and `tsLineUser`, and here
//! also `tslineSesAddr` (the client's address, which the MIB has a column for).
//!
//! SNMPv1 (RFC 1157 Trap-PDU) or SNMPv2c (RFC 3416 SNMPv2-Trap-PDU, translated as RFC 3584
//! §3.1 says: snmpTrapOID.0 = enterprise.0.specific, snmpTrapEnterprise.0 last). Encoded with
//! the `der` crate already in the tree: SNMP is BER, and DER is valid BER. No maintained SNMP
//! crate sends traps without pulling a second generation of crypto crates.
//!
//! Sending is fire-and-forget: one non-blocking UDP datagram per trap host from the connection
//! task (no retry, no waiting; a full socket buffer drops the trap), and the first failure is
//! logged at warn, later ones at debug, so an unreachable manager never floods the log.

use der::asn1::{Any, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Tag, TagNumber};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// `[snmp]`: IOS `snmp-server host ADDR [version 1|2c] COMMUNITY tty`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpSection {
    /// Trap receivers, `address` (port 162) or `address:port`.
    #[serde(default)]
    pub trap_hosts: Vec<String>,
    /// The community string (IOS `snmp-server host ADDR COMMUNITY`).
    #[serde(default = "default_community")]
    pub community: String,
    /// `"1"` or `"2c"` (IOS `snmp-server host ADDR version {1|2c}`).
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_community() -> String {
    "public".into()
}
fn default_version() -> String {
    "2c".into()
}

impl SnmpSection {
    /// The trap hosts as addresses, every entry checked.
    pub fn hosts(&self) -> anyhow::Result<Vec<SocketAddr>> {
        self.trap_hosts
            .iter()
            .map(|h| {
                h.parse::<SocketAddr>()
                    .or_else(|_| h.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 162)))
                    .map_err(|_| {
                        anyhow::anyhow!("[snmp] trap_hosts: {h:?} is not an address[:port]")
                    })
            })
            .collect()
    }

    /// Checks the section (at start, so a typo stops serve rather than losing traps).
    pub fn check(&self) -> anyhow::Result<()> {
        self.hosts()?;
        self.parsed_version()?;
        if self.community.is_empty() || self.community.len() > 255 {
            anyhow::bail!("[snmp] community: 1 to 255 characters");
        }
        Ok(())
    }

    fn parsed_version(&self) -> anyhow::Result<Version> {
        match self.version.as_str() {
            "1" => Ok(Version::V1),
            "2c" => Ok(Version::V2c),
            v => anyhow::bail!("[snmp] version: \"1\" or \"2c\", not {v:?}"),
        }
    }
}

/// The SNMP version of the traps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 1157 Trap-PDU.
    V1,
    /// RFC 3416 SNMPv2-Trap-PDU, community-based.
    V2c,
}

/// What ended, as the trap tells it.
#[derive(Debug, Clone)]
pub struct SessionClosed<'a> {
    /// The tty line (IOS's vty number; here the connection number).
    pub line: u32,
    /// The user logged in.
    pub user: &'a str,
    /// The client.
    pub peer: SocketAddr,
    /// Serve's end of the connection.
    pub local: Option<SocketAddr>,
    /// Bytes received from the client.
    pub bytes_in: u64,
    /// Bytes sent to the client.
    pub bytes_out: u64,
    /// How long the connection lasted.
    pub elapsed: Duration,
    /// The client closed the connection (rather than serve).
    pub peer_closed: bool,
}

// Cisco's OIDs (CISCO-SMI, OLD-CISCO-TS-MIB, OLD-CISCO-TCP-MIB) and RFC 1213 / RFC 3418's.
const CISCO: &str = "1.3.6.1.4.1.9";
/// `tslineSesType` (ltsLineSessionEntry 1), `.line.session`.
const TSLINE_SES_TYPE: &str = "1.3.6.1.4.1.9.2.9.3.1.1";
/// `tslineSesAddr` (ltsLineSessionEntry 3), `.line.session`.
const TSLINE_SES_ADDR: &str = "1.3.6.1.4.1.9.2.9.3.1.3";
/// `tsLineUser` (ltsLineEntry 18), `.line`.
const TS_LINE_USER: &str = "1.3.6.1.4.1.9.2.9.2.1.18";
/// `tcpConnState` (RFC 1213 tcpConnEntry 1), `.laddr.lport.raddr.rport`.
const TCP_CONN_STATE: &str = "1.3.6.1.2.1.6.13.1.1";
/// `ltcpConnEntry`: `.1` loctcpConnInBytes, `.2` loctcpConnOutBytes, `.5` loctcpConnElapsed.
const LTCP_CONN_ENTRY: &str = "1.3.6.1.4.1.9.2.6.1.1";
const SYS_UPTIME_0: &str = "1.3.6.1.2.1.1.3.0";
const SNMP_TRAP_OID_0: &str = "1.3.6.1.6.3.1.1.4.1.0";
const SNMP_TRAP_ENTERPRISE_0: &str = "1.3.6.1.6.3.1.1.4.3.0";
/// tcpConnectionClose: enterprise cisco, specific 1 (v2: `cisco.0.1`).
const SPECIFIC: i64 = 1;
const TCP_CONNECTION_CLOSE: &str = "1.3.6.1.4.1.9.0.1";
/// `tslineSesType`: the MIB predates SSH; IOS reports an SSH session as tcp(6) (the seed).
const SES_TYPE_TCP: i64 = 6;
/// `tcpConnState` closeWait(8) (the client closed first) and finWait1(6) (serve did).
const CLOSE_WAIT: i64 = 8;
const FIN_WAIT_1: i64 = 6;

/// A BER value: what goes after a varbind's name.
enum Value<'a> {
    Integer(i64),
    Octets(&'a [u8]),
    Oid(String),
    IpAddress(Ipv4Addr),
    TimeTicks(u32),
}

/// The TLV of `tag` around `content`.
fn tlv(tag: Tag, content: &[u8]) -> der::Result<Vec<u8>> {
    Any::new(tag, content.to_vec())?.to_der()
}

fn application(number: u32, constructed: bool) -> Tag {
    Tag::Application {
        constructed,
        number: TagNumber(number),
    }
}

fn oid(text: &str) -> der::Result<Vec<u8>> {
    ObjectIdentifier::new(text)
        .map_err(|_| der::Error::from(der::ErrorKind::OidMalformed))?
        .to_der()
}

impl Value<'_> {
    fn encode(&self) -> der::Result<Vec<u8>> {
        match self {
            Value::Integer(v) => v.to_der(),
            Value::Octets(b) => OctetStringRef::new(b)?.to_der(),
            Value::Oid(text) => oid(text),
            // RFC 2578 §7.1.5: [APPLICATION 0] IMPLICIT OCTET STRING (SIZE (4)).
            Value::IpAddress(ip) => tlv(application(0, false), &ip.octets()),
            // [APPLICATION 3] IMPLICIT INTEGER (0..4294967295): the INTEGER's content bytes.
            Value::TimeTicks(t) => tlv(application(3, false), Any::from_der(&t.to_der()?)?.value()),
        }
    }
}

/// `SEQUENCE OF SEQUENCE { name, value }`.
fn varbind_list(binds: &[(String, Value<'_>)]) -> der::Result<Vec<u8>> {
    let mut list = Vec::new();
    for (name, value) in binds {
        let mut bind = oid(name)?;
        bind.extend(value.encode()?);
        list.extend(tlv(Tag::Sequence, &bind)?);
    }
    tlv(Tag::Sequence, &list)
}

fn v4(addr: Option<SocketAddr>) -> Ipv4Addr {
    match addr.map(|a| a.ip().to_canonical()) {
        Some(IpAddr::V4(ip)) => ip,
        // The MIBs index TCP connections by IPv4 address only.
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

/// `laddr.lport.raddr.rport`, the tcpConnTable index.
fn conn_index(s: &SessionClosed<'_>) -> String {
    let (l, r) = (v4(s.local), v4(Some(s.peer)));
    let lport = s.local.map_or(0, |a| a.port());
    format!("{l}.{lport}.{r}.{}", s.peer.port())
}

fn centiseconds(d: Duration) -> u32 {
    u32::try_from(d.as_millis() / 10).unwrap_or(u32::MAX)
}

/// The varbinds of `tcpConnectionClose`, in the order IOS sends them, then `tslineSesAddr`.
fn session_varbinds<'a>(s: &'a SessionClosed<'a>) -> Vec<(String, Value<'a>)> {
    let idx = conn_index(s);
    let line = s.line;
    let count = |n: u64| {
        Value::Integer(i64::from(u32::try_from(n).unwrap_or(u32::MAX)).min(i64::from(i32::MAX)))
    };
    let state = if s.peer_closed {
        CLOSE_WAIT
    } else {
        FIN_WAIT_1
    };
    vec![
        (
            format!("{TSLINE_SES_TYPE}.{line}.1"),
            Value::Integer(SES_TYPE_TCP),
        ),
        (format!("{TCP_CONN_STATE}.{idx}"), Value::Integer(state)),
        (
            format!("{LTCP_CONN_ENTRY}.5.{idx}"),
            Value::TimeTicks(centiseconds(s.elapsed)),
        ),
        (format!("{LTCP_CONN_ENTRY}.1.{idx}"), count(s.bytes_in)),
        (format!("{LTCP_CONN_ENTRY}.2.{idx}"), count(s.bytes_out)),
        (
            format!("{TS_LINE_USER}.{line}"),
            Value::Octets(s.user.as_bytes()),
        ),
        (
            format!("{TSLINE_SES_ADDR}.{line}.1"),
            Value::IpAddress(v4(Some(s.peer))),
        ),
    ]
}

/// The whole message: `SEQUENCE { version, community, PDU }`.
pub fn encode(
    version: Version,
    community: &str,
    s: &SessionClosed<'_>,
    uptime: Duration,
    request_id: u32,
) -> der::Result<Vec<u8>> {
    let binds = session_varbinds(s);
    let (ver, pdu) = match version {
        Version::V1 => {
            // RFC 1157 §4.1.6: enterprise, agent-addr, generic-trap, specific-trap, time-stamp.
            let mut body = oid(CISCO)?;
            body.extend(Value::IpAddress(v4(s.local)).encode()?);
            body.extend(Value::Integer(6).encode()?);
            body.extend(Value::Integer(SPECIFIC).encode()?);
            body.extend(Value::TimeTicks(centiseconds(uptime)).encode()?);
            body.extend(varbind_list(&binds)?);
            // Trap-PDU ::= [4] IMPLICIT SEQUENCE.
            (
                0,
                tlv(
                    Tag::ContextSpecific {
                        constructed: true,
                        number: TagNumber(4),
                    },
                    &body,
                )?,
            )
        }
        Version::V2c => {
            let mut all = vec![
                (
                    SYS_UPTIME_0.to_string(),
                    Value::TimeTicks(centiseconds(uptime)),
                ),
                (
                    SNMP_TRAP_OID_0.to_string(),
                    Value::Oid(TCP_CONNECTION_CLOSE.into()),
                ),
            ];
            all.extend(binds);
            all.push((SNMP_TRAP_ENTERPRISE_0.to_string(), Value::Oid(CISCO.into())));
            let mut body = Value::Integer(i64::from(request_id)).encode()?;
            body.extend(Value::Integer(0).encode()?); // error-status
            body.extend(Value::Integer(0).encode()?); // error-index
            body.extend(varbind_list(&all)?);
            // SNMPv2-Trap-PDU ::= [7] IMPLICIT PDU.
            (
                1,
                tlv(
                    Tag::ContextSpecific {
                        constructed: true,
                        number: TagNumber(7),
                    },
                    &body,
                )?,
            )
        }
    };
    let mut msg = Value::Integer(ver).encode()?;
    msg.extend(Value::Octets(community.as_bytes()).encode()?);
    msg.extend(pdu);
    tlv(Tag::Sequence, &msg)
}

/// Sends the traps of one server.
pub struct TrapSender {
    hosts: Vec<SocketAddr>,
    community: String,
    version: Version,
    /// sysUpTime counts from here.
    started: Instant,
    next_id: AtomicU32,
    warned: AtomicBool,
}

impl TrapSender {
    /// The sender `[snmp]` asks for; `None` without trap hosts.
    pub fn new(section: &SnmpSection) -> anyhow::Result<Option<Self>> {
        let hosts = section.hosts()?;
        if hosts.is_empty() {
            return Ok(None);
        }
        tracing::info!(hosts = ?hosts, version = %section.version, "SNMP traps on session end");
        Ok(Some(TrapSender {
            hosts,
            community: section.community.clone(),
            version: section.parsed_version()?,
            started: Instant::now(),
            next_id: AtomicU32::new(1),
            warned: AtomicBool::new(false),
        }))
    }

    /// Sends the trap for `s` to every host, without waiting.
    pub fn session_closed(&self, s: &SessionClosed<'_>) {
        // request-id is an Integer32: keep it positive.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff;
        let msg = match encode(self.version, &self.community, s, self.started.elapsed(), id) {
            Ok(m) => m,
            Err(e) => return self.failed(&format!("encoding: {e}")),
        };
        for host in &self.hosts {
            if let Err(e) = send_to(&msg, *host) {
                self.failed(&format!("to {host}: {e}"));
            }
        }
    }

    fn failed(&self, what: &str) {
        if self.warned.swap(true, Ordering::Relaxed) {
            tracing::debug!("SNMP trap not sent: {what}");
        } else {
            tracing::warn!("SNMP trap not sent: {what} (further failures are logged at debug)");
        }
    }
}

/// One datagram from a fresh non-blocking socket of the host's family.
fn send_to(msg: &[u8], host: SocketAddr) -> std::io::Result<()> {
    let any: SocketAddr = if host.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any)?;
    socket.set_nonblocking(true)?;
    socket.send_to(msg, host).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What follows a TLV's header (short or long length form).
    fn value(tlv: &[u8]) -> &[u8] {
        let skip = if tlv[1] & 0x80 == 0 {
            2
        } else {
            2 + usize::from(tlv[1] & 0x7f)
        };
        &tlv[skip..]
    }

    fn closed() -> SessionClosed<'static> {
        SessionClosed {
            line: 2,
            user: "lab",
            peer: "10.0.0.2:55246".parse().unwrap(),
            local: Some("10.0.0.1:22".parse().unwrap()),
            bytes_in: 1056,
            bytes_out: 1392,
            elapsed: Duration::from_millis(10_150),
            peer_closed: true,
        }
    }

    #[test]
    fn v1_trap_has_the_ios_header_and_varbinds() {
        let m = encode(Version::V1, "public", &closed(), Duration::from_secs(1), 1).unwrap();
        // SEQUENCE { INTEGER 0, OCTET STRING "public", [4] { OID 1.3.6.1.4.1.9, ...
        assert_eq!(m[0], 0x30);
        let b = value(&m);
        assert_eq!(&b[..3], &[2, 1, 0]);
        assert_eq!(&b[3..11], b"\x04\x06public");
        assert_eq!(b[11], 0xa4);
        assert_eq!(&value(&b[11..])[..8], &[6, 6, 0x2b, 6, 1, 4, 1, 9]);
        // agent-addr 10.0.0.1, generic 6, specific 1.
        assert!(m.windows(6).any(|w| w == [0x40, 4, 10, 0, 0, 1]));
        assert!(m.windows(6).any(|w| w == [2, 1, 6, 2, 1, 1]));
        // tsLineUser.2 = "lab"
        assert!(m.windows(5).any(|w| w == b"\x04\x03lab"));
        // loctcpConnInBytes = 1056 (0x0420)
        assert!(m.windows(4).any(|w| w == [2, 2, 4, 0x20]));
    }

    #[test]
    fn v2c_trap_names_the_trap_oid() {
        let m = encode(Version::V2c, "public", &closed(), Duration::from_secs(1), 7).unwrap();
        let b = value(&m);
        assert_eq!(&b[..3], &[2, 1, 1]);
        assert_eq!(b[11], 0xa7);
        // snmpTrapOID.0 = 1.3.6.1.4.1.9.0.1
        let trap_oid = oid(TCP_CONNECTION_CLOSE).unwrap();
        assert!(m.windows(trap_oid.len()).any(|w| w == trap_oid));
    }

    /// The example file's commented `[snmp]` and `[metrics]` blocks, uncommented, parse.
    #[test]
    fn example_sections_parse() {
        let example = include_str!("../../examples/device.toml");
        let mut extra = String::new();
        for header in ["# [snmp]", "# [metrics]"] {
            let start = example.find(header).expect(header);
            for line in example[start..].lines().take_while(|l| l.starts_with("# ")) {
                extra.push_str(&line[2..]);
                extra.push('\n');
            }
        }
        let text = format!("[server]\nhost_keys = [\"k/ssh_host_ed25519_key\"]\n{extra}");
        let f = crate::server::config::DeviceFile::parse(&text).unwrap();
        let snmp = f.snmp.expect("[snmp]");
        assert_eq!(snmp.hosts().unwrap().len(), 2);
        assert_eq!(snmp.parsed_version().unwrap(), Version::V2c);
        assert!(f.metrics.expect("[metrics]").enable);
        let bad = text.replace("version = \"2c\"", "version = \"3\"");
        assert!(crate::server::config::DeviceFile::parse(&bad).is_err());
    }

    #[test]
    fn bad_settings_are_refused() {
        let s = |hosts: &[&str], version: &str| SnmpSection {
            trap_hosts: hosts.iter().map(|h| (*h).to_string()).collect(),
            community: "public".into(),
            version: version.into(),
        };
        assert!(s(&["127.0.0.1:1162", "10.0.0.2"], "1").check().is_ok());
        assert_eq!(s(&["10.0.0.2"], "2c").hosts().unwrap()[0].port(), 162);
        assert!(s(&["nowhere"], "2c").check().is_err());
        assert!(s(&[], "3").check().is_err());
    }
}
