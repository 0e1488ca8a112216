//! The connection protocol (RFC 4254) in memory: a real client and server, authenticated, with
//! the applications on both sides played by the test. Covers session requests, data both ways,
//! EOF/CLOSE orders, flow control under a slow reader, many channels, forwarding, global
//! requests, and the protocol errors a hostile peer can commit.

mod common;

use common::{Pair, host_key};
use sshgate::channel::{
    ChannelConfig, ChannelEvent, ChannelId, ChannelKind, ChannelRequest, GlobalRequest, PtyRequest,
    TerminalModes, WindowSize, open_failure,
};
use sshgate::keys::KeyKind;
use sshgate::msg::{self, reason};
use sshgate::userauth::{AuthEvent, AuthVerdict};
use sshgate::wire::Writer;
use sshgate::{ClientConfig, Event, ServerConfig};

/// An authenticated pair with these channel settings.
fn authenticated(client: ChannelConfig, server: ChannelConfig) -> Pair {
    let cc = ClientConfig {
        channels: client,
        ..ClientConfig::default()
    };
    let sc = ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        channels: server,
        ..ServerConfig::default()
    };
    let mut p = Pair::new(cc, sc);
    p.authenticate();
    p
}

fn pair() -> Pair {
    authenticated(ChannelConfig::default(), ChannelConfig::default())
}

fn take(events: &mut Vec<Event>) -> Vec<ChannelEvent> {
    std::mem::take(events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Channel(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// Client opens a session, server accepts it; returns (client id, server id).
fn session(p: &mut Pair) -> (ChannelId, ChannelId) {
    let c = p.client.open_session().unwrap();
    p.drive();
    let s = match take(&mut p.server_events).as_slice() {
        [
            ChannelEvent::OpenRequest {
                channel,
                kind: ChannelKind::Session,
            },
        ] => *channel,
        other => panic!("expected one open request, got {other:?}"),
    };
    p.server.accept_channel(s).unwrap();
    p.drive();
    assert_eq!(
        take(&mut p.client_events),
        vec![ChannelEvent::Opened { channel: c }]
    );
    (c, s)
}

/// Concatenated data (or extended data with `code`) for `channel` among `events`, consumed.
fn collect(conn: &mut sshgate::Connection, events: &[ChannelEvent], code: Option<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        match (e, code) {
            (ChannelEvent::Data { channel, data }, None) => {
                out.extend_from_slice(data);
                conn.consume(*channel, data.len()).unwrap();
            }
            (
                ChannelEvent::ExtendedData {
                    channel,
                    code: c,
                    data,
                },
                Some(want),
            ) if *c == want => {
                out.extend_from_slice(data);
                conn.consume(*channel, data.len()).unwrap();
            }
            _ => {}
        }
    }
    out
}

fn raw(p: &mut Pair, from_client: bool, payload: Vec<u8>) {
    let conn = if from_client {
        &mut p.client
    } else {
        &mut p.server
    };
    conn.send_raw_auth_payload_for_tests(payload).unwrap();
    p.drive();
}

#[test]
fn pty_shell_and_ordered_replies() {
    let mut p = pair();
    let (c, s) = session(&mut p);
    let pty = PtyRequest {
        term: "xterm-256color".into(),
        size: WindowSize {
            cols: 132,
            rows: 40,
            width_px: 0,
            height_px: 0,
        },
        modes: TerminalModes(vec![(53, 1), (128, 38400)]),
    };
    p.client
        .channel_request(c, &ChannelRequest::Pty(pty.clone()), true)
        .unwrap();
    // x11-req is refused by the engine itself, but only after the pty answer: order holds.
    p.client
        .channel_request(
            c,
            &ChannelRequest::X11(sshgate::channel::X11Request::default()),
            true,
        )
        .unwrap();
    p.client
        .channel_request(
            c,
            &ChannelRequest::Env {
                name: "LANG".into(),
                value: "C".into(),
            },
            false,
        )
        .unwrap();
    p.client
        .channel_request(c, &ChannelRequest::Shell, true)
        .unwrap();
    p.drive();
    let seen = take(&mut p.server_events);
    assert_eq!(
        seen,
        vec![
            ChannelEvent::Request {
                channel: s,
                request: ChannelRequest::Pty(pty),
                want_reply: true
            },
            ChannelEvent::Request {
                channel: s,
                request: ChannelRequest::Env {
                    name: "LANG".into(),
                    value: "C".into()
                },
                want_reply: false
            },
            ChannelEvent::Request {
                channel: s,
                request: ChannelRequest::Shell,
                want_reply: true
            },
        ]
    );
    assert!(
        take(&mut p.client_events).is_empty(),
        "no answer before the pty is decided"
    );
    p.server.answer_channel_request(s, true).unwrap();
    p.server.answer_channel_request(s, true).unwrap();
    assert!(
        p.server.answer_channel_request(s, true).is_err(),
        "none left"
    );
    p.drive();
    let answers: Vec<bool> = take(&mut p.client_events)
        .into_iter()
        .map(|e| match e {
            ChannelEvent::RequestAnswered { channel, success } if channel == c => success,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(answers, vec![true, false, true]);
    // Window change and signal reach the server; a server may not send them.
    p.client
        .channel_request(
            c,
            &ChannelRequest::WindowChange(WindowSize {
                cols: 100,
                rows: 30,
                ..WindowSize::default()
            }),
            false,
        )
        .unwrap();
    p.client
        .channel_request(c, &ChannelRequest::Signal { name: "INT".into() }, false)
        .unwrap();
    assert!(
        p.server
            .channel_request(s, &ChannelRequest::Shell, false)
            .is_err()
    );
    p.drive();
    assert_eq!(take(&mut p.server_events).len(), 2);
}

#[test]
fn exec_with_stdout_stderr_status_then_server_closes() {
    let mut p = pair();
    let (c, s) = session(&mut p);
    p.client
        .channel_request(
            c,
            &ChannelRequest::Exec {
                command: "show ssh".into(),
            },
            true,
        )
        .unwrap();
    p.drive();
    assert!(matches!(
        take(&mut p.server_events).as_slice(),
        [ChannelEvent::Request { request: ChannelRequest::Exec { command }, .. }] if command == "show ssh"
    ));
    p.server.answer_channel_request(s, true).unwrap();
    p.client.send_data(c, b"input").unwrap();
    p.client.send_eof(c).unwrap();
    p.drive();
    let evs = take(&mut p.server_events);
    assert_eq!(collect(&mut p.server, &evs, None), b"input");
    assert!(evs.contains(&ChannelEvent::Eof { channel: s }));
    assert!(p.client.send_data(c, b"more").is_err(), "no data after EOF");

    assert_eq!(p.server.send_data(s, b"out").unwrap(), 3);
    assert_eq!(p.server.send_extended_data(s, 1, b"err").unwrap(), 3);
    p.server
        .channel_request(s, &ChannelRequest::ExitStatus { code: 3 }, false)
        .unwrap();
    p.server.send_eof(s).unwrap();
    p.server.close_channel(s).unwrap();
    p.drive();
    let evs = take(&mut p.client_events);
    assert_eq!(collect(&mut p.client, &evs, None), b"out");
    assert_eq!(collect(&mut p.client, &evs, Some(1)), b"err");
    let tail: Vec<_> = evs
        .iter()
        .filter(|e| {
            !matches!(
                e,
                ChannelEvent::Data { .. }
                    | ChannelEvent::ExtendedData { .. }
                    | ChannelEvent::RequestAnswered { .. }
            )
        })
        .cloned()
        .collect();
    assert_eq!(
        tail,
        vec![
            ChannelEvent::Request {
                channel: c,
                request: ChannelRequest::ExitStatus { code: 3 },
                want_reply: false
            },
            ChannelEvent::Eof { channel: c },
            ChannelEvent::Closed { channel: c },
        ]
    );
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Closed { channel: s }]
    );
    assert_eq!(p.client.channel_count(), 0);
    assert_eq!(p.server.channel_count(), 0);
    assert!(p.client.send_data(c, b"x").is_err(), "closed");
    assert!(!p.client.is_closed() && !p.server.is_closed());
}

#[test]
fn client_closes_first_without_eof_and_exit_signal() {
    let mut p = pair();
    let (c, s) = session(&mut p);
    p.server
        .channel_request(
            s,
            &ChannelRequest::ExitSignal {
                signal: "TERM".into(),
                core_dumped: false,
                message: "terminated".into(),
                language: String::new(),
            },
            false,
        )
        .unwrap();
    p.client.close_channel(c).unwrap();
    p.drive();
    // The client closed: the exit-signal in flight is dropped, and both ends are freed.
    assert_eq!(
        take(&mut p.client_events),
        vec![ChannelEvent::Closed { channel: c }]
    );
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Closed { channel: s }]
    );
    // Ids are not reused: the next channel takes the next number on both sides.
    let (c2, s2) = session(&mut p);
    assert_eq!((c2.0, s2.0), (c.0 + 1, s.0 + 1));
}

#[test]
fn slow_reader_holds_the_sender_and_nothing_is_lost() {
    let small = ChannelConfig {
        window: 64 * 1024,
        max_packet: 16 * 1024,
        ..ChannelConfig::default()
    };
    let mut p = authenticated(small, ChannelConfig::default());
    let (c, s) = session(&mut p);
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut sent = 0;
    // The sender writes only at the start and when told the window opened: if `Writable`
    // were not emitted, the transfer would stall and the round limit would trip.
    let mut may_write = true;
    let mut received = Vec::new();
    let mut unconsumed: Vec<Vec<u8>> = Vec::new();
    let mut rounds = 0;
    while received.len() < payload.len() {
        rounds += 1;
        assert!(rounds < 10_000, "stalled at {} bytes", received.len());
        if may_write && sent < payload.len() {
            let n = p.server.send_data(s, &payload[sent..]).unwrap();
            sent += n;
            may_write = sent == payload.len();
        }
        p.drive();
        for e in take(&mut p.client_events) {
            if let ChannelEvent::Data { channel, data } = e {
                assert_eq!(channel, c);
                assert!(data.len() <= 16 * 1024, "packet limit respected");
                unconsumed.push(data);
            }
        }
        // The reader never holds more than its window, and while it holds all of it the
        // sender can send nothing.
        let held: usize = unconsumed.iter().map(Vec::len).sum();
        assert!(held <= 64 * 1024, "{held} bytes past the window");
        if held == 64 * 1024 {
            assert_eq!(p.server.send_window(s), Some(0));
            assert_eq!(p.server.send_data(s, b"x").unwrap(), 0);
        }
        // Read slowly: one piece per round.
        if !unconsumed.is_empty() {
            let d = unconsumed.remove(0);
            p.client.consume(c, d.len()).unwrap();
            received.extend_from_slice(&d);
        }
        p.drive();
        if take(&mut p.server_events).contains(&ChannelEvent::Writable { channel: s }) {
            may_write = true;
        }
    }
    assert_eq!(received, payload);
    assert!(p.client.consume(c, 1).is_err(), "cannot consume unreceived");
}

#[test]
fn data_survives_rekeys_in_both_directions() {
    let mut p = pair();
    let (c, s) = session(&mut p);
    let block: Vec<u8> = (0..40_000u32).map(|i| (i % 253) as u8).collect();
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    // What each side still has to send: a key exchange takes nothing until it ends, and then
    // `Writable` says so.
    let (mut client_left, mut server_left) = (Vec::new(), Vec::new());
    let mut paused = 0;
    for round in 0..40 {
        if round % 10 == 3 {
            p.client.rekey();
        }
        if round % 10 == 7 {
            p.server.rekey();
        }
        client_left.extend_from_slice(&block);
        server_left.extend_from_slice(&block);
        let n = p.client.send_data(c, &client_left).unwrap();
        let m = p.server.send_data(s, &server_left).unwrap();
        // The side that starts a re-key takes no data until its NEWKEYS is out.
        if round % 10 == 3 {
            assert_eq!(n, 0, "client data taken while its key exchange runs");
            paused += 1;
        }
        if round % 10 == 7 {
            assert_eq!(m, 0, "server data taken while its key exchange runs");
            paused += 1;
        }
        client_left.drain(..n);
        server_left.drain(..m);
        p.drive();
        let evs = take(&mut p.server_events);
        if evs.contains(&ChannelEvent::Writable { channel: s }) {
            let m = p.server.send_data(s, &server_left).unwrap();
            server_left.drain(..m);
        }
        to_server.extend(collect(&mut p.server, &evs, None));
        let evs = take(&mut p.client_events);
        if evs.contains(&ChannelEvent::Writable { channel: c }) {
            let n = p.client.send_data(c, &client_left).unwrap();
            client_left.drain(..n);
        }
        to_client.extend(collect(&mut p.client, &evs, None));
        p.drive();
        let evs = take(&mut p.server_events);
        to_server.extend(collect(&mut p.server, &evs, None));
        let evs = take(&mut p.client_events);
        to_client.extend(collect(&mut p.client, &evs, None));
    }
    assert_eq!(paused, 8);
    assert!(client_left.is_empty() && server_left.is_empty());
    let expected: Vec<u8> = block
        .iter()
        .copied()
        .cycle()
        .take(40 * block.len())
        .collect();
    assert_eq!(to_server, expected);
    assert_eq!(to_client, expected);
}

#[test]
fn a_hundred_channels_at_once() {
    let mut p = pair();
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids.push(p.client.open_session().unwrap());
    }
    p.drive();
    let reqs = take(&mut p.server_events);
    assert_eq!(reqs.len(), 100);
    for e in reqs {
        let ChannelEvent::OpenRequest { channel, .. } = e else {
            panic!("{e:?}")
        };
        p.server.accept_channel(channel).unwrap();
    }
    p.drive();
    assert_eq!(take(&mut p.client_events).len(), 100);
    assert_eq!(p.server.channel_count(), 100);
    for (i, c) in ids.iter().enumerate() {
        p.client
            .send_data(*c, format!("channel {i}").as_bytes())
            .unwrap();
    }
    p.drive();
    let evs = take(&mut p.server_events);
    for (i, e) in evs.iter().enumerate() {
        let ChannelEvent::Data { channel, data } = e else {
            panic!("{e:?}")
        };
        // The server's ids follow the client's opens one to one.
        assert_eq!(data, format!("channel {}", channel.0).as_bytes());
        assert_eq!(channel.0 as usize, i);
        p.server.send_data(*channel, data).unwrap();
        p.server.close_channel(*channel).unwrap();
    }
    p.drive();
    let evs = take(&mut p.client_events);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, ChannelEvent::Closed { .. }))
            .count(),
        100
    );
    assert_eq!(p.client.channel_count(), 0);
    assert_eq!(p.server.channel_count(), 0);
}

#[test]
fn channel_limit_answers_resource_shortage() {
    let limited = ChannelConfig {
        max_channels: 2,
        ..ChannelConfig::default()
    };
    let mut p = authenticated(ChannelConfig::default(), limited);
    for _ in 0..3 {
        p.client.open_session().unwrap();
    }
    p.drive();
    assert_eq!(take(&mut p.server_events).len(), 2);
    let failed: Vec<_> = take(&mut p.client_events);
    assert!(matches!(
        failed.as_slice(),
        [ChannelEvent::OpenFailed { reason, .. }] if *reason == open_failure::RESOURCE_SHORTAGE
    ));
}

#[test]
fn direct_tcpip_refused_by_policy_and_forwarding_round_trip() {
    let mut p = pair();
    let c = p
        .client
        .open_channel(ChannelKind::DirectTcpip {
            host: "192.0.2.1".into(),
            port: 23,
            originator: "127.0.0.1".into(),
            originator_port: 50000,
        })
        .unwrap();
    p.drive();
    let s = match take(&mut p.server_events).as_slice() {
        [
            ChannelEvent::OpenRequest {
                channel,
                kind: ChannelKind::DirectTcpip { host, port: 23, .. },
            },
        ] if host == "192.0.2.1" => *channel,
        other => panic!("{other:?}"),
    };
    p.server
        .reject_channel(s, open_failure::CONNECT_FAILED, "no route")
        .unwrap();
    p.drive();
    assert_eq!(
        take(&mut p.client_events),
        vec![ChannelEvent::OpenFailed {
            channel: c,
            reason: open_failure::CONNECT_FAILED,
            description: "no route".into()
        }]
    );

    // tcpip-forward to port 0, then a keepalive queued behind it: answers stay in order.
    p.client
        .global_request(&GlobalRequest::TcpipForward {
            address: "127.0.0.1".into(),
            port: 0,
        })
        .unwrap();
    p.client.send_keepalive().unwrap();
    p.drive();
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::GlobalRequest {
            request: GlobalRequest::TcpipForward {
                address: "127.0.0.1".into(),
                port: 0
            },
            want_reply: true
        }]
    );
    assert!(take(&mut p.client_events).is_empty());
    p.server.answer_global_request(true, Some(40022)).unwrap();
    assert!(p.server.answer_global_request(true, None).is_err());
    p.drive();
    assert_eq!(
        take(&mut p.client_events),
        vec![
            ChannelEvent::GlobalAnswered {
                name: "tcpip-forward".into(),
                success: true,
                bound_port: Some(40022)
            },
            ChannelEvent::GlobalAnswered {
                name: "keepalive@openssh.com".into(),
                success: false,
                bound_port: None
            },
        ]
    );
    // The server hands a connection back; the client accepts it and data flows.
    let sf = p
        .server
        .open_channel(ChannelKind::ForwardedTcpip {
            address: "127.0.0.1".into(),
            port: 40022,
            originator: "127.0.0.1".into(),
            originator_port: 51000,
        })
        .unwrap();
    p.drive();
    let cf = match take(&mut p.client_events).as_slice() {
        [
            ChannelEvent::OpenRequest {
                channel,
                kind: ChannelKind::ForwardedTcpip { port: 40022, .. },
            },
        ] => *channel,
        other => panic!("{other:?}"),
    };
    p.client.accept_channel(cf).unwrap();
    p.drive();
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Opened { channel: sf }]
    );
    p.server.send_data(sf, b"hello").unwrap();
    p.drive();
    let evs = take(&mut p.client_events);
    assert_eq!(collect(&mut p.client, &evs, None), b"hello");
}

#[test]
fn role_rules_refuse_without_asking() {
    let mut p = pair();
    // A server may not open a session or direct-tcpip channel to a client.
    p.server.open_session().unwrap();
    p.drive();
    assert!(take(&mut p.client_events).is_empty());
    assert!(matches!(
        take(&mut p.server_events).as_slice(),
        [ChannelEvent::OpenFailed { reason, .. }] if *reason == open_failure::ADMINISTRATIVELY_PROHIBITED
    ));
    // x11 channels are refused unless allowed.
    p.server
        .open_channel(ChannelKind::X11 {
            originator: "127.0.0.1".into(),
            originator_port: 6010,
        })
        .unwrap();
    p.drive();
    assert!(take(&mut p.client_events).is_empty());
    assert!(matches!(
        take(&mut p.server_events).as_slice(),
        [ChannelEvent::OpenFailed { reason, .. }] if *reason == open_failure::ADMINISTRATIVELY_PROHIBITED
    ));
    assert!(!p.server.is_closed() && !p.client.is_closed());
    // A client's unknown channel request never reaches the application.
    let (_, s) = session(&mut p);
    let unknown = |want_reply: bool| {
        let mut w = Writer::message(msg::CHANNEL_REQUEST);
        w.u32(s.0)
            .string(b"auth-agent-req@openssh.com")
            .bool(want_reply);
        w.into_vec()
    };
    raw(&mut p, true, unknown(false));
    assert!(take(&mut p.server_events).is_empty());
    assert!(!p.server.is_closed() && !p.client.is_closed());
    // With want-reply the server answers FAILURE by itself; the client's engine did not send
    // that request (it went in raw), so the unexpected answer is its protocol error.
    raw(&mut p, true, unknown(true));
    assert!(take(&mut p.server_events).is_empty());
    let e = p.client.close_reason().expect("client saw an answer");
    assert!(e.description.contains("without a request"), "{e}");
}

#[test]
fn unknown_channel_types_are_refused() {
    let mut p = pair();
    // The server is opening channel 0; an open of an unknown type naming 0 as its sender is
    // answered with UNKNOWN_CHANNEL_TYPE, which the server sees as the answer for 0.
    let sf = p
        .server
        .open_channel(ChannelKind::ForwardedTcpip {
            address: "127.0.0.1".into(),
            port: 1,
            originator: "127.0.0.1".into(),
            originator_port: 2,
        })
        .unwrap();
    let mut w = Writer::message(msg::CHANNEL_OPEN);
    w.string(b"auth-agent@openssh.com")
        .u32(sf.0)
        .u32(1024)
        .u32(1024);
    raw(&mut p, false, w.into_vec());
    assert!(
        take(&mut p.server_events).contains(&ChannelEvent::OpenFailed {
            channel: sf,
            reason: open_failure::UNKNOWN_CHANNEL_TYPE,
            description: "unknown channel type auth-agent@openssh.com".into()
        })
    );
}

#[test]
fn no_more_sessions_is_honoured() {
    let mut p = pair();
    session(&mut p);
    p.client.send_no_more_sessions().unwrap();
    p.client.open_session().unwrap();
    p.drive();
    assert!(take(&mut p.server_events).is_empty());
    assert!(matches!(
        take(&mut p.client_events).as_slice(),
        [ChannelEvent::OpenFailed { reason, .. }] if *reason == open_failure::ADMINISTRATIVELY_PROHIBITED
    ));
}

#[test]
fn channels_wait_for_authentication() {
    let mut p = Pair::new(
        ClientConfig::default(),
        ServerConfig {
            host_keys: vec![host_key(KeyKind::Ed25519)],
            ..ServerConfig::default()
        },
    );
    p.drive();
    assert!(p.client.open_session().is_err());
    assert!(!p.client.is_closed());
    // A CHANNEL_OPEN before authentication ends the connection (the phase table).
    let mut w = Writer::message(msg::CHANNEL_OPEN);
    w.string(b"session").u32(0).u32(1024).u32(1024);
    p.client
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    assert!(p.server.is_closed());
    assert_eq!(
        p.server.close_reason().unwrap().reason,
        reason::PROTOCOL_ERROR
    );
}

/// OpenSSH's sshd sends `hostkeys-00@openssh.com` right behind USERAUTH_SUCCESS, often in the
/// same TCP segment: the client must read it under the connection protocol, not as an
/// out-of-phase message.
#[test]
fn a_global_request_in_the_same_read_as_userauth_success() {
    let mut p = Pair::new(
        ClientConfig::default(),
        ServerConfig {
            host_keys: vec![host_key(KeyKind::Ed25519)],
            ..ServerConfig::default()
        },
    );
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    p.client.auth_password("lab", "pw").unwrap();
    p.drive();
    let id = p
        .server_events
        .iter()
        .find_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("password request");
    p.server.answer_auth(id, AuthVerdict::Accept).unwrap();
    let mut w = Writer::message(msg::GLOBAL_REQUEST);
    w.string(b"hostkeys-00@openssh.com")
        .bool(false)
        .string(b"key");
    p.server
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    // Both packets reach the client in one input.
    let mut both = Vec::new();
    while p.server.poll_transmit(&mut both) {}
    p.client.handle_input(&both, p.now).unwrap();
    p.drive();
    assert!(!p.client.is_closed(), "{:?}", p.client.close_reason());
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Success)))
    );
    assert!(p.client.open_session().is_ok());
}

/// A hostile client message after a session is open: the server must disconnect with a
/// protocol error.
fn hostile(build: impl FnOnce(ChannelId) -> Vec<u8>) -> sshgate::Error {
    let mut p = authenticated(
        ChannelConfig::default(),
        ChannelConfig {
            window: 1000,
            max_packet: 500,
            ..ChannelConfig::default()
        },
    );
    let (_, s) = session(&mut p);
    let payload = build(s);
    raw(&mut p, true, payload);
    assert!(p.server.is_closed(), "server must disconnect");
    let e = p.server.close_reason().unwrap().clone();
    assert_eq!(e.reason, reason::PROTOCOL_ERROR, "{e}");
    // The client reads the DISCONNECT.
    assert!(p.client.is_closed());
    e
}

fn data_msg(s: ChannelId, n: usize) -> Vec<u8> {
    let mut w = Writer::message(msg::CHANNEL_DATA);
    w.u32(s.0).string(&vec![0u8; n]);
    w.into_vec()
}

#[test]
fn hostile_channel_messages_end_the_connection() {
    let e = hostile(|s| data_msg(s, 501));
    assert!(e.description.contains("maximum packet"), "{e}");
    // Over the window: two packets within the packet limit, 1000 + 1 bytes in all.
    let mut p = authenticated(
        ChannelConfig::default(),
        ChannelConfig {
            window: 1000,
            max_packet: 600,
            ..ChannelConfig::default()
        },
    );
    let (_, s) = session(&mut p);
    raw(&mut p, true, data_msg(s, 500));
    assert!(!p.server.is_closed());
    raw(&mut p, true, data_msg(s, 501));
    assert!(
        p.server
            .close_reason()
            .unwrap()
            .description
            .contains("window")
    );

    let e = hostile(|_| data_msg(ChannelId(9), 1));
    assert!(e.description.contains("no channel 9"), "{e}");
    let e = hostile(|s| {
        let mut w = Writer::message(msg::CHANNEL_WINDOW_ADJUST);
        w.u32(s.0).u32(u32::MAX);
        w.into_vec()
    });
    assert!(e.description.contains("overflows"), "{e}");
    let e = hostile(|s| {
        let mut w = Writer::message(msg::CHANNEL_SUCCESS);
        w.u32(s.0);
        w.into_vec()
    });
    assert!(e.description.contains("without a request"), "{e}");
    let e = hostile(|_| vec![msg::REQUEST_SUCCESS]);
    assert!(e.description.contains("without a request"), "{e}");
    let e = hostile(|s| {
        let mut w = Writer::message(msg::CHANNEL_OPEN_CONFIRMATION);
        w.u32(s.0).u32(5).u32(100).u32(100);
        w.into_vec()
    });
    assert!(e.description.contains("not opening"), "{e}");
    // Truncated and padded messages of every channel type.
    for m in msg::CHANNEL_OPEN..=msg::CHANNEL_FAILURE {
        hostile(|_| vec![m, 0, 0]);
    }
    let e = hostile(|s| {
        let mut w = Writer::message(msg::CHANNEL_EOF);
        w.u32(s.0).u8(0);
        w.into_vec()
    });
    assert!(e.description.contains("trailing"), "{e}");
}

#[test]
fn data_after_eof_and_unknown_numbers() {
    let mut p = pair();
    let (_, s) = session(&mut p);
    // 101..=127 are unassigned: UNIMPLEMENTED, and the connection goes on.
    raw(&mut p, true, vec![110, 1, 2, 3]);
    assert!(!p.server.is_closed() && !p.client.is_closed());
    let mut w = Writer::message(msg::CHANNEL_EOF);
    w.u32(s.0);
    raw(&mut p, true, w.into_vec());
    raw(&mut p, true, data_msg(s, 1));
    assert!(
        p.server
            .close_reason()
            .unwrap()
            .description
            .contains("after EOF")
    );
}

#[test]
fn misuse_leaves_the_connection_alone() {
    let mut p = pair();
    let (c, s) = session(&mut p);
    // Each refusal is typed as misuse (Fault::Misuse), not as the connection closing.
    let misuse = |r: Result<(), sshgate::Error>| r.expect_err("refused").is_misuse();
    assert!(misuse(p.client.send_data(ChannelId(42), b"x").map(drop)));
    assert!(misuse(p.client.accept_channel(c)), "already open");
    assert!(misuse(p.client.consume(c, 10)));
    assert!(misuse(p.client.answer_channel_request(c, true)));
    assert!(misuse(p.client.answer_global_request(true, None)));
    assert!(misuse(p.server.close_channel(ChannelId(7))));
    p.client.close_channel(c).unwrap();
    p.client.close_channel(c).unwrap();
    assert!(misuse(p.client.send_data(c, b"x").map(drop)), "closing");
    p.drive();
    assert!(!p.client.is_closed() && !p.server.is_closed());
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Closed { channel: s }]
    );
}

/// Random connection-protocol messages, some well-formed and aimed at a live channel, fed to a
/// server with a session open: it must never panic, and when it ends the connection it says
/// why with a protocol error.
#[test]
fn random_channel_messages_never_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let mut p = pair();
        let (_, s) = session(&mut p);
        for _ in 0..20 {
            let r = next();
            let msg = 80 + (r % 21) as u8;
            let mut w = Writer::message(msg);
            // Half the time name the live channel, so deeper paths run.
            if r & 0x100 == 0 {
                w.u32(s.0);
            }
            let junk_len = (next() % 24) as usize;
            let junk: Vec<u8> = (0..junk_len).map(|_| next() as u8).collect();
            match (r >> 9) % 4 {
                0 => {
                    w.string(b"exec").bool(true).string(&junk);
                }
                1 => {
                    w.string(&junk);
                }
                2 => {
                    w.u32(next() as u32).raw(&junk);
                }
                _ => {
                    w.raw(&junk);
                }
            }
            if p.client.is_closed() || p.server.is_closed() {
                break;
            }
            if p.client
                .send_raw_auth_payload_for_tests(w.into_vec())
                .is_err()
            {
                break;
            }
            p.drive();
        }
        if let Some(e) = p.server.close_reason() {
            assert_eq!(e.reason, reason::PROTOCOL_ERROR, "round {round}: {e}");
        }
    }
}

// --- channel ids after close (RFC 4254 §5.3) ---

/// Client opens, closes (both CLOSEs exchanged), opens again; returns the old and new server ids.
fn closed_then_reopened(p: &mut Pair) -> (ChannelId, ChannelId, ChannelId) {
    let (c1, s1) = session(p);
    p.client.close_channel(c1).unwrap();
    p.drive();
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Closed { channel: s1 }]
    );
    take(&mut p.client_events);
    let (c2, s2) = session(p);
    assert_ne!(s2, s1, "the closed channel's id was given to the new one");
    (s1, c2, s2)
}

#[test]
fn a_late_message_for_a_closed_channel_never_reaches_its_successor() {
    let mut p = pair();
    let (s1, _, s2) = closed_then_reopened(&mut p);
    // A message for the old channel after both CLOSEs (the peer may not send it: RFC 4254 §5.3)
    // names no channel; with the id reused it would have been the new channel's data.
    raw(&mut p, true, data_msg(s1, 4));
    let delivered = take(&mut p.server_events)
        .into_iter()
        .any(|e| matches!(e, ChannelEvent::Data { channel, .. } if channel == s2));
    assert!(!delivered, "the late data reached the new channel");
    let e = p.server.close_reason().expect("a protocol error");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR, "{e}");
    assert!(e.description.contains(&format!("no channel {s1}")), "{e}");
}

#[test]
fn a_stale_channel_id_in_the_application_names_no_channel() {
    let mut p = pair();
    let (s1, c2, _) = closed_then_reopened(&mut p);
    // The server application's output task for the old channel runs late.
    assert!(p.server.send_data(s1, b"old program output").is_err());
    assert!(p.server.send_eof(s1).is_err());
    assert!(p.server.close_channel(s1).is_err());
    p.drive();
    assert!(
        take(&mut p.client_events).is_empty(),
        "the new channel {c2} heard from the old one"
    );
    assert!(!p.server.is_closed() && !p.client.is_closed());
}

#[test]
fn messages_in_flight_when_we_close_are_dropped_silently() {
    let mut p = pair();
    let (c1, s1) = session(&mut p);
    // The server closes; before its CLOSE reaches the client, the client has sent more on the
    // channel (raw, so its own engine does not know yet): data, EOF, a request, an adjust.
    p.server.close_channel(s1).unwrap();
    let mut req = Writer::message(msg::CHANNEL_REQUEST);
    req.u32(s1.0).string(b"env").bool(true);
    req.string(b"LANG").string(b"C");
    let mut adjust = Writer::message(msg::CHANNEL_WINDOW_ADJUST);
    adjust.u32(s1.0).u32(1000);
    for payload in [data_msg(s1, 100), adjust.into_vec(), req.into_vec(), {
        let mut eof = Writer::message(msg::CHANNEL_EOF);
        eof.u32(s1.0);
        eof.into_vec()
    }] {
        p.client.send_raw_auth_payload_for_tests(payload).unwrap();
    }
    p.drive();
    // RFC 4254 §5.3: those were in flight; dropped without an event or an answer, and the
    // channel closes normally on the client's CLOSE.
    assert_eq!(
        take(&mut p.server_events),
        vec![ChannelEvent::Closed { channel: s1 }]
    );
    assert_eq!(
        take(&mut p.client_events),
        vec![ChannelEvent::Closed { channel: c1 }]
    );
    assert!(!p.server.is_closed() && !p.client.is_closed());
    // The next channel starts clean.
    let (_, s2) = session(&mut p);
    assert_ne!(s2, s1);
    assert!(take(&mut p.server_events).is_empty());
}
