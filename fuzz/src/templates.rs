//! Message heads the session targets offer the fuzzer (operation `TEMPLATE`): a valid start
//! of every message a peer can send after the key exchange — each user-authentication method's
//! request, each channel message for channel 0, each channel and global request name — to
//! which the body is appended. Raw payloads reach the same code; heads only get there sooner.

use sshgate::msg::*;
use sshgate::transport::kexinit::KexInit;
use sshgate::wire::Writer;
use std::sync::OnceLock;

const AUTH_METHODS: &[&str] = &[
    "none",
    "password",
    "publickey",
    "keyboard-interactive",
    "hostbased",
    "gssapi-with-mic",
];

const GLOBAL_REQUESTS: &[&str] = &[
    "tcpip-forward",
    "cancel-tcpip-forward",
    "keepalive@openssh.com",
    "no-more-sessions@openssh.com",
    "hostkeys-00@openssh.com",
];

const CHANNEL_TYPES: &[&str] = &["session", "direct-tcpip", "forwarded-tcpip", "x11"];

const CHANNEL_REQUESTS: &[&str] = &[
    "pty-req",
    "x11-req",
    "env",
    "shell",
    "exec",
    "subsystem",
    "window-change",
    "xon-xoff",
    "signal",
    "exit-status",
    "exit-signal",
    "break",
    "eow@openssh.com",
    "keepalive@openssh.com",
    "auth-agent-req@openssh.com",
];

fn head(msg: u8, f: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::message(msg);
    f(&mut w);
    w.into_vec()
}

/// A KEXINIT for a re-key with the session suites' names, without its last `boolean
/// first_kex_packet_follows, uint32 0` (the body supplies them).
fn kexinit_head() -> Vec<u8> {
    let names = |l: &[&str]| l.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let ciphers = names(&[
        "chacha20-poly1305@openssh.com",
        "aes128-gcm@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
    ]);
    let macs = names(&["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512"]);
    let k = KexInit {
        kex: names(&["curve25519-sha256", "mlkem768x25519-sha256"]),
        host_key: names(&["ssh-ed25519"]),
        cipher_c2s: ciphers.clone(),
        cipher_s2c: ciphers,
        mac_c2s: macs.clone(),
        mac_s2c: macs,
        comp_c2s: names(&["none"]),
        comp_s2c: names(&["none"]),
        first_kex_packet_follows: false,
    };
    let mut v = k.encode([0x5a; 16]);
    v.truncate(v.len() - 5);
    v
}

/// Every head, in a fixed order (an operation's first body byte picks one).
pub fn all() -> &'static [Vec<u8>] {
    static T: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Vec::new();
        for m in AUTH_METHODS {
            t.push(head(USERAUTH_REQUEST, |w| {
                w.string(b"fuzz")
                    .string(b"ssh-connection")
                    .string(m.as_bytes());
            }));
        }
        t.push(head(USERAUTH_REQUEST, |w| {
            w.string(b"root")
                .string(b"ssh-connection")
                .string(b"password");
        }));
        for s in ["ssh-userauth", "ssh-connection"] {
            t.push(head(SERVICE_REQUEST, |w| {
                w.string(s.as_bytes());
            }));
        }
        t.push(head(SERVICE_ACCEPT, |w| {
            w.string(b"ssh-userauth");
        }));
        t.push(head(EXT_INFO, |w| {
            w.u32(1).string(b"server-sig-algs");
        }));
        t.push(kexinit_head());
        t.push(vec![IGNORE]);
        t.push(head(DEBUG, |w| {
            w.bool(true);
        }));
        t.push(vec![UNIMPLEMENTED]);
        t.push(head(DISCONNECT, |w| {
            w.u32(reason::BY_APPLICATION);
        }));
        for m in [
            USERAUTH_FAILURE,
            USERAUTH_SUCCESS,
            USERAUTH_BANNER,
            USERAUTH_60,
            USERAUTH_61,
        ] {
            t.push(vec![m]);
        }
        for g in GLOBAL_REQUESTS {
            t.push(head(GLOBAL_REQUEST, |w| {
                w.string(g.as_bytes());
            }));
        }
        t.push(vec![REQUEST_SUCCESS]);
        t.push(vec![REQUEST_FAILURE]);
        for c in CHANNEL_TYPES {
            t.push(head(CHANNEL_OPEN, |w| {
                w.string(c.as_bytes());
            }));
        }
        for m in [
            CHANNEL_OPEN_CONFIRMATION,
            CHANNEL_OPEN_FAILURE,
            CHANNEL_WINDOW_ADJUST,
            CHANNEL_DATA,
            CHANNEL_EOF,
            CHANNEL_CLOSE,
            CHANNEL_SUCCESS,
            CHANNEL_FAILURE,
        ] {
            t.push(head(m, |w| {
                w.u32(0);
            }));
        }
        t.push(head(CHANNEL_EXTENDED_DATA, |w| {
            w.u32(0).u32(1);
        }));
        for r in CHANNEL_REQUESTS {
            t.push(head(CHANNEL_REQUEST, |w| {
                w.u32(0).string(r.as_bytes());
            }));
        }
        t.push(vec![PING]);
        t.push(vec![PONG]);
        t
    })
}

/// The index of the first head that starts with message `msg` (for seeds).
#[must_use]
pub fn index_of(head: &[u8]) -> u8 {
    let i = all()
        .iter()
        .position(|t| t.as_slice() == head)
        .expect("a known head");
    u8::try_from(i).expect("fewer than 256 heads")
}
