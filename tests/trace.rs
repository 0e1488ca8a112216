//! The step trace (`src/trace.rs`) over a real in-memory client and server: the steps of a
//! login and a terminal session come out in the order they happened, with the names the
//! negotiation used; nothing comes out when tracing is off; it can be turned on at any time.

mod common;

use common::{Pair, host_key};
use sshgate::channel::{ChannelEvent, ChannelRequest, PtyRequest, TerminalModes, WindowSize};
use sshgate::kex::KexAlg;
use sshgate::keys::KeyKind;
use sshgate::trace::kex_message_name;
use sshgate::{
    Algorithms, ClientConfig, CommonConfig, Connection, Event, ServerConfig, TraceLevel, TraceStep,
};

fn configs(server_trace: TraceLevel, kex: KexAlg) -> (ClientConfig, ServerConfig) {
    let algorithms = Algorithms {
        kex: vec![kex],
        ..Algorithms::default()
    };
    let cc = ClientConfig {
        common: CommonConfig {
            algorithms: algorithms.clone(),
            ..CommonConfig::default()
        },
        ..ClientConfig::default()
    };
    let sc = ServerConfig {
        common: CommonConfig {
            algorithms,
            trace: server_trace,
            ..CommonConfig::default()
        },
        host_keys: vec![host_key(KeyKind::Ed25519)],
        ..ServerConfig::default()
    };
    (cc, sc)
}

fn drain(conn: &mut Connection) -> Vec<TraceStep> {
    std::iter::from_fn(|| conn.poll_trace()).collect()
}

/// Logs in, opens a session with a 80x24 terminal and a shell.
fn login_with_terminal(p: &mut Pair) {
    p.authenticate();
    let c = p.client.open_session().unwrap();
    p.drive();
    let s = p
        .server_events
        .drain(..)
        .find_map(|e| match e {
            Event::Channel(ChannelEvent::OpenRequest { channel, .. }) => Some(channel),
            _ => None,
        })
        .expect("open request");
    p.server.accept_channel(s).unwrap();
    p.drive();
    let pty = PtyRequest {
        term: "vt100".into(),
        size: WindowSize {
            cols: 80,
            rows: 24,
            width_px: 0,
            height_px: 0,
        },
        modes: TerminalModes(vec![]),
    };
    p.client
        .channel_request(c, &ChannelRequest::Pty(pty), true)
        .unwrap();
    p.client
        .channel_request(c, &ChannelRequest::Shell, true)
        .unwrap();
    p.drive();
}

/// A step as a short word, for comparing sequences.
fn word(s: &TraceStep) -> String {
    match s {
        TraceStep::VersionSent(_) => "version-sent".into(),
        TraceStep::VersionReceived(_) => "version-received".into(),
        TraceStep::KexInitSent => "kexinit-sent".into(),
        TraceStep::KexInitReceived => "kexinit-received".into(),
        TraceStep::Negotiated(n) => format!("negotiated {}", n.kex.name()),
        TraceStep::Expecting { kex, msg } => format!("expecting {}", kex_message_name(*kex, *msg)),
        TraceStep::KexMessageReceived { kex, msg } => {
            format!("received {}", kex_message_name(*kex, *msg))
        }
        TraceStep::GexRequest { .. } => "gex-request".into(),
        TraceStep::KeysDerived => "keys-derived".into(),
        TraceStep::NewKeysSent => "newkeys-sent".into(),
        TraceStep::AwaitingNewKeys => "awaiting-newkeys".into(),
        TraceStep::NewKeysReceived => "newkeys-received".into(),
        TraceStep::AuthMethod { method, .. } => format!("method {method}"),
        TraceStep::AuthFailure { .. } => "auth-failure".into(),
        TraceStep::AuthSuccess { user, .. } => format!("success {user}"),
        TraceStep::ChannelOpen { kind } => format!("open {kind}"),
        TraceStep::ChannelRequest {
            request, pty_size, ..
        } => match pty_size {
            Some((c, r)) => format!("{request} {c}x{r}"),
            None => (*request).to_string(),
        },
        TraceStep::WindowAdjust { bytes, .. } => format!("window-adjust {bytes}"),
        TraceStep::PacketSent { msg, .. } => format!("sent {msg}"),
        TraceStep::PacketReceived { msg, .. } => format!("received {msg}"),
        other => format!("{other:?}"),
    }
}

#[test]
fn a_login_with_a_terminal_is_traced_step_by_step() {
    let (cc, sc) = configs(TraceLevel::Steps, KexAlg::Curve25519Sha256);
    let mut p = Pair::new(cc, sc);
    login_with_terminal(&mut p);
    let steps = drain(&mut p.server);
    let words: Vec<String> = steps.iter().map(word).collect();
    let expected = [
        "version-sent",
        "kexinit-sent",
        "version-received",
        "kexinit-received",
        "negotiated curve25519-sha256",
        "expecting SSH2_MSG_KEX_ECDH_INIT",
        "received SSH2_MSG_KEX_ECDH_INIT",
        "keys-derived",
        "newkeys-sent",
        "awaiting-newkeys",
        "newkeys-received",
        "method password",
        "success lab",
        "open session",
        "pty-req 80x24",
        "shell",
    ];
    assert_eq!(words, expected, "server trace: {steps:#?}");
    match &steps[0] {
        TraceStep::VersionSent(v) => assert!(v.starts_with("SSH-2.0-sshgate_"), "{v}"),
        other => panic!("{other:?}"),
    }
    // The client did not ask for a trace.
    assert_eq!(p.client.trace_level(), TraceLevel::Off);
    assert!(drain(&mut p.client).is_empty());
}

#[test]
fn group_exchange_names_its_own_messages() {
    let (cc, sc) = configs(TraceLevel::Steps, KexAlg::DhGexSha256);
    let mut p = Pair::new(cc, sc);
    p.drive();
    let words: Vec<String> = drain(&mut p.server).iter().map(word).collect();
    let kex: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| w.starts_with("expecting") || w.starts_with("received") || *w == "gex-request")
        .collect();
    assert_eq!(
        kex,
        [
            "expecting SSH2_MSG_KEX_DH_GEX_REQUEST",
            "received SSH2_MSG_KEX_DH_GEX_REQUEST",
            "gex-request",
            "expecting SSH2_MSG_KEX_DH_GEX_INIT",
            "received SSH2_MSG_KEX_DH_GEX_INIT",
        ]
    );
}

#[test]
fn off_records_nothing() {
    let (cc, sc) = configs(TraceLevel::Off, KexAlg::Curve25519Sha256);
    let mut p = Pair::new(cc, sc);
    login_with_terminal(&mut p);
    assert!(drain(&mut p.server).is_empty());
    assert!(drain(&mut p.client).is_empty());
}

#[test]
fn turned_on_at_once_or_later() {
    let (cc, sc) = configs(TraceLevel::Off, KexAlg::Curve25519Sha256);
    let mut p = Pair::new(cc, sc);
    // Right after construction: the construction's steps are included.
    p.client.set_trace(TraceLevel::Steps);
    p.authenticate();
    let words: Vec<String> = drain(&mut p.client).iter().map(word).collect();
    assert_eq!(words[..2], ["version-sent", "kexinit-sent"], "{words:?}");
    assert!(words.contains(&"newkeys-received".to_string()), "{words:?}");
    // A live server: only what happens from now on.
    assert!(drain(&mut p.server).is_empty());
    p.server.set_trace(TraceLevel::Steps);
    p.client.open_session().unwrap();
    p.drive();
    let words: Vec<String> = drain(&mut p.server).iter().map(word).collect();
    assert_eq!(words, ["open session"]);
    // And off again.
    p.server.set_trace(TraceLevel::Off);
    p.client.rekey();
    p.drive();
    assert!(drain(&mut p.server).is_empty());
}

#[test]
fn packets_are_recorded_with_their_lengths() {
    let (cc, sc) = configs(TraceLevel::Packets, KexAlg::Curve25519Sha256);
    let mut p = Pair::new(cc, sc);
    p.authenticate();
    let steps = drain(&mut p.server);
    let words: Vec<String> = steps.iter().map(word).collect();
    // The KEXINIT packets come before the steps they carry.
    let at = |w: &str| words.iter().position(|x| x == w).expect(w);
    assert!(at("sent 20") < at("kexinit-sent"), "{words:?}");
    assert!(at("received 20") < at("kexinit-received"), "{words:?}");
    assert!(at("sent 21") < at("newkeys-sent"), "{words:?}");
    for s in &steps {
        if let TraceStep::PacketSent { len, padlen, .. }
        | TraceStep::PacketReceived { len, padlen, .. } = s
        {
            // RFC 4253 §6: 4 to 255 bytes of padding, inside packet_length.
            assert!(*padlen >= 4 && *len > u32::from(*padlen), "{s:?}");
        }
    }
    // NEWKEYS: one byte of payload, so packet_length is 1 + 1 + padding.
    let newkeys = steps
        .iter()
        .find_map(|s| match s {
            TraceStep::PacketSent {
                msg: 21,
                len,
                padlen,
            } => Some((*len, *padlen)),
            _ => None,
        })
        .unwrap();
    assert_eq!(newkeys.0, 2 + u32::from(newkeys.1));
}
