//! IOS `debug ip ssh`: the engine's step trace (`sshgate::trace`) in IOS's words, one log line
//! per step, under the `tracing` target [`TARGET`], numbered with the connection number `show
//! ssh` lists (`SSH2 0: SSH2_MSG_KEXINIT sent`).
//!
//! The switches are the device's, as on IOS: one set for the whole `serve` process (a device),
//! set at start (`serve --debug ip-ssh`, `[server] debug = ["ip-ssh"]`) and changed by the CLI
//! (`debug ip ssh`, `undebug all`). Each connection follows them from its next event on, so a
//! switch reaches live connections as well as new ones.

use sshgate::transport::cipher::MacAlg;
use sshgate::transport::kexinit::Negotiated;
use sshgate::{Connection, Error, TraceLevel, TraceStep};
use std::sync::atomic::{AtomicU8, Ordering};

/// The `tracing` target of the trace lines (`RUST_LOG=sshgate::debug_ip_ssh=info`).
pub const TARGET: &str = "sshgate::debug_ip_ssh";

/// `debug ip ssh` (and `debug ip ssh detail`, which IOS prints the same way here): the steps.
pub const IP_SSH: u8 = 1;
/// `debug ip ssh detail`.
pub const IP_SSH_DETAIL: u8 = 2;
/// `debug ip ssh packet`: every packet too.
pub const IP_SSH_PACKET: u8 = 4;
/// Every `ip ssh` switch.
pub const ALL: u8 = IP_SSH | IP_SSH_DETAIL | IP_SSH_PACKET;

/// The device's switches (one device per process, as one IOS image per router).
static FLAGS: AtomicU8 = AtomicU8::new(0);

/// Turns switches on.
pub fn enable(flags: u8) {
    FLAGS.fetch_or(flags, Ordering::Relaxed);
}

/// Turns switches off.
pub fn disable(flags: u8) {
    FLAGS.fetch_and(!flags, Ordering::Relaxed);
}

/// The switches on now.
#[must_use]
pub fn flags() -> u8 {
    FLAGS.load(Ordering::Relaxed)
}

/// What the engine should record for the switches on now.
#[must_use]
pub fn level() -> TraceLevel {
    let f = flags();
    if f & IP_SSH_PACKET != 0 {
        TraceLevel::Packets
    } else if f & (IP_SSH | IP_SSH_DETAIL) != 0 {
        TraceLevel::Steps
    } else {
        TraceLevel::Off
    }
}

/// The switches `--debug` / `[server] debug` name: `ip-ssh`, `ip-ssh-detail`, `ip-ssh-packet`
/// (IOS `debug ip ssh [detail|packet]`).
pub fn parse(names: &[String]) -> anyhow::Result<u8> {
    let mut flags = 0;
    for n in names {
        flags |= match n.as_str() {
            "ip-ssh" => IP_SSH,
            "ip-ssh-detail" => IP_SSH_DETAIL,
            "ip-ssh-packet" => IP_SSH_PACKET,
            other => anyhow::bail!(
                "unknown debug {other:?} (known: ip-ssh, ip-ssh-detail, ip-ssh-packet)"
            ),
        };
    }
    Ok(flags)
}

/// Each switch, its `debug ip ssh` word and IOS's name for it.
const SWITCHES: [(u8, &str, &str); 3] = [
    (IP_SSH, "", "Incoming ssh"),
    (IP_SSH_DETAIL, "detail", "ssh detail messages"),
    (IP_SSH_PACKET, "packet", "ssh packet"),
];

/// CLI `debug ip ssh [detail|packet]` (`on`), `undebug ip ssh [...]` / `no debug ip ssh
/// [...]`: the switch's new state in IOS's words. Without a word, `undebug` turns every `ip
/// ssh` switch off.
#[must_use]
pub fn cli_switch(on: bool, which: &[&str]) -> String {
    let word = which.first().copied().unwrap_or("");
    let Some(&(flag, _, name)) = SWITCHES.iter().find(|(_, w, _)| *w == word) else {
        return String::new();
    };
    if on {
        enable(flag);
    } else {
        disable(if word.is_empty() { ALL } else { flag });
    }
    let state = if on { "on" } else { "off" };
    format!("{name} debugging is {state}\r\n")
}

/// CLI `undebug all` / `no debug all`.
#[must_use]
pub fn cli_undebug_all() -> String {
    disable(ALL);
    "All possible debugging has been turned off\r\n".into()
}

/// CLI `show debugging`: the switches that are on (nothing when none is).
#[must_use]
pub fn show_debugging() -> String {
    let f = flags();
    let on: Vec<&str> = SWITCHES
        .iter()
        .filter(|(flag, ..)| f & flag != 0)
        .map(|(.., name)| *name)
        .collect();
    if on.is_empty() {
        return String::new();
    }
    let mut s = String::from("SSH:\r\n");
    for name in on {
        s.push_str(&format!("  {name} debugging is on\r\n"));
    }
    s
}

/// One connection's trace: follows the switches and logs what the engine recorded.
#[derive(Debug)]
pub struct DebugTrace {
    number: u32,
    /// Something was traced on this connection (its end is then traced too).
    traced: bool,
}

impl DebugTrace {
    /// For connection `number`.
    #[must_use]
    pub fn new(number: u32) -> Self {
        DebugTrace {
            number,
            traced: false,
        }
    }

    /// Brings the engine's level in line with the switches and logs the steps it recorded.
    pub fn pump(&mut self, conn: &mut Connection) {
        let want = level();
        if conn.trace_level() != want {
            conn.set_trace(want);
        }
        while let Some(step) = conn.poll_trace() {
            self.traced = true;
            for line in lines(self.number, &step) {
                tracing::info!(target: TARGET, "{line}");
            }
        }
    }

    /// The connection is over: `closed` is the engine's reason if it closed (a DISCONNECT
    /// either way, or an error), `None` if the socket just closed; `idle` whether the client
    /// had logged in and closed all its sessions.
    pub fn ended(&self, closed: Option<&Error>, idle: bool) {
        if !self.traced && level() == TraceLevel::Off {
            return;
        }
        tracing::info!(target: TARGET, "{}", end_line(self.number, closed, idle));
    }
}

/// IOS's last line: normal when either side said goodbye (`SSH_DISCONNECT_BY_APPLICATION`),
/// or the client closed the socket with nothing open after logging in.
#[must_use]
pub fn end_line(n: u32, closed: Option<&Error>, idle: bool) -> String {
    match closed {
        Some(e) if e.reason == sshgate::msg::reason::BY_APPLICATION => {
            format!("SSH{n}: Session terminated normally")
        }
        None if idle => format!("SSH{n}: Session terminated normally"),
        Some(e) => format!(
            "SSH{n}: Session terminated abnormally: {}",
            super::auth::log_text(&e.description)
        ),
        None => format!("SSH{n}: Session terminated abnormally: connection closed by peer"),
    }
}

fn mac(cipher: &str, m: Option<MacAlg>) -> String {
    super::device_cli::mac_display(cipher, m.map(MacAlg::name))
}

fn negotiated(n: u32, a: &Negotiated) -> Vec<String> {
    vec![
        format!("SSH2 {n}: Using kex_algo = {}", a.kex.name()),
        format!("SSH2 {n}: Using hostkey algo = {}", a.host_key.name()),
        format!(
            "SSH2: kex: client->server {} {} none",
            a.cipher_c2s.name(),
            mac(a.cipher_c2s.name(), a.mac_c2s)
        ),
        format!(
            "SSH2: kex: server->client {} {} none",
            a.cipher_s2c.name(),
            mac(a.cipher_s2c.name(), a.mac_s2c)
        ),
    ]
}

/// The IOS lines for one step of connection `n` (none for steps IOS does not print).
#[must_use]
pub fn lines(n: u32, step: &TraceStep) -> Vec<String> {
    use sshgate::trace::kex_message_name as kex_name;
    let one = |s: String| vec![s];
    let text = super::auth::log_text;
    match step {
        TraceStep::VersionSent(v) => vec![
            format!("SSH{n}: starting SSH control process"),
            format!("SSH{n}: sent protocol version id {v}"),
        ],
        TraceStep::VersionReceived(v) => {
            one(format!("SSH{n}: protocol version id is - {}", text(v)))
        }
        TraceStep::KexInitSent => one(format!("SSH2 {n}: SSH2_MSG_KEXINIT sent")),
        TraceStep::KexInitReceived => one(format!("SSH2 {n}: SSH2_MSG_KEXINIT received")),
        TraceStep::Negotiated(a) => negotiated(n, a),
        TraceStep::Expecting { kex, msg } => {
            one(format!("SSH2 {n}: expecting {}", kex_name(*kex, *msg)))
        }
        TraceStep::KexMessageReceived { kex, msg } => {
            one(format!("SSH2 {n}: {} received", kex_name(*kex, *msg)))
        }
        TraceStep::GexRequest {
            min,
            n: want,
            max,
            bits,
        } => vec![
            format!("SSH2 {n}: Range sent by client is - {min} < {want} < {max}"),
            format!("SSH2 {n}: Modulus size established : {bits} bits"),
        ],
        TraceStep::KeysDerived => one("SSH2: kex_derive_keys complete".into()),
        TraceStep::NewKeysSent => vec![
            format!("SSH2 {n}: newkeys: mode 1"),
            format!("SSH2 {n}: SSH2_MSG_NEWKEYS sent"),
        ],
        TraceStep::AwaitingNewKeys => one(format!("SSH2 {n}: waiting for SSH2_MSG_NEWKEYS")),
        TraceStep::NewKeysReceived => vec![
            format!("SSH2 {n}: newkeys: mode 0"),
            format!("SSH2 {n}: SSH2_MSG_NEWKEYS received"),
        ],
        TraceStep::AuthMethod { method, .. } => one(format!("SSH2 {n}: Using method = {method}")),
        TraceStep::AuthFailure { can_continue } => one(format!(
            "SSH2 {n}: Authentications that can continue = {}",
            can_continue.join(",")
        )),
        TraceStep::AuthSuccess { user, .. } => one(format!(
            "SSH2 {n}: authentication successful for {}",
            text(user)
        )),
        TraceStep::ChannelOpen { kind } if kind == "session" => {
            one(format!("SSH2 {n}: channel open request"))
        }
        TraceStep::ChannelOpen { kind } => {
            one(format!("SSH2 {n}: channel open request ({})", text(kind)))
        }
        TraceStep::ChannelRequest {
            request, pty_size, ..
        } => {
            let mut v = vec![format!("SSH2 {n}: {request} request")];
            if let Some((cols, rows)) = pty_size {
                // serve takes the size as asked (the device CLI needs none, a program's
                // terminal gets it).
                v.push(format!(
                    "SSH2 {n}: setting TTY - requested: height {rows}, width {cols}; \
                     set: height {rows}, width {cols}"
                ));
            }
            v
        }
        TraceStep::WindowAdjust { bytes, .. } => one(format!(
            "SSH2 {n}: channel window adjust message received {bytes}"
        )),
        TraceStep::PacketSent { len, padlen, .. } => one(format!(
            "SSH2 {n}: send: len {len} (includes padlen {padlen})"
        )),
        TraceStep::PacketReceived { msg, len, padlen } => vec![
            format!("SSH2 {n}: input: packet len {len}"),
            format!("SSH2 {n}: input: padlen {padlen}"),
            format!("SSH2 {n}: received packet type {msg}"),
        ],
        TraceStep::Lost(k) => one(format!("SSH2 {n}: {k} debug messages dropped")),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sshgate::kex::KexAlg;

    #[test]
    fn steps_in_ios_words() {
        assert_eq!(
            lines(3, &TraceStep::KexInitSent),
            ["SSH2 3: SSH2_MSG_KEXINIT sent"]
        );
        assert_eq!(
            lines(
                0,
                &TraceStep::Expecting {
                    kex: KexAlg::DhGroup14Sha256,
                    msg: 30
                }
            ),
            ["SSH2 0: expecting SSH2_MSG_KEXDH_INIT"]
        );
        assert_eq!(
            lines(
                1,
                &TraceStep::ChannelRequest {
                    channel: 0,
                    request: "pty-req",
                    pty_size: Some((80, 24))
                }
            ),
            [
                "SSH2 1: pty-req request",
                "SSH2 1: setting TTY - requested: height 24, width 80; set: height 24, width 80"
            ]
        );
        // The peer's words are escaped.
        assert_eq!(
            lines(
                1,
                &TraceStep::AuthSuccess {
                    user: "lab\nSSH2 1: forged".into(),
                    method: "password"
                }
            ),
            ["SSH2 1: authentication successful for lab\\012SSH2 1: forged"]
        );
    }

    #[test]
    fn endings() {
        // A DISCONNECT by application, ours or the client's.
        let bye = Error::local(sshgate::msg::reason::BY_APPLICATION, "disconnected by user");
        assert_eq!(
            end_line(2, Some(&bye), false),
            "SSH2: Session terminated normally"
        );
        assert_eq!(end_line(2, None, true), "SSH2: Session terminated normally");
        let mac = Error::peer(
            sshgate::msg::reason::MAC_ERROR,
            "message authentication code incorrect",
        );
        assert!(end_line(2, Some(&mac), true).contains("terminated abnormally"));
        assert!(end_line(2, None, false).contains("terminated abnormally"));
    }

    #[test]
    fn names_parse() {
        assert_eq!(parse(&["ip-ssh".into()]).unwrap(), IP_SSH);
        assert_eq!(
            parse(&["ip-ssh".into(), "ip-ssh-packet".into()]).unwrap(),
            IP_SSH | IP_SSH_PACKET
        );
        assert!(parse(&["ip-scp".into()]).is_err());
    }
}
