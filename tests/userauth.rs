//! User authentication (RFC 4252, RFC 4256) in memory: a real client and server, the server's
//! application played by the test (every decision is an `AuthEvent::Request` answered by id).

mod common;

use common::{Pair, host_key};
use sshgate::keys::{HostKeyAlg, KeyKind, PrivateKey};
use sshgate::msg::reason;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, Prompt, ServerAuthConfig};
use sshgate::wire::Writer;
use sshgate::{ClientConfig, Duration, Event, ServerConfig};
use std::sync::Arc;

fn server_cfg(auth: ServerAuthConfig) -> ServerConfig {
    ServerConfig {
        host_keys: vec![host_key(KeyKind::Ed25519)],
        auth,
        ..ServerConfig::default()
    }
}

/// A pair with keys in place and `ssh-userauth` started.
fn ready_with(sc: ServerConfig) -> Pair {
    let mut p = Pair::new(ClientConfig::default(), sc);
    p.drive();
    p.client.request_service("ssh-userauth");
    p.drive();
    assert!(p.client.is_established() && p.server.is_established());
    p
}

fn ready(auth: ServerAuthConfig) -> Pair {
    ready_with(server_cfg(auth))
}

/// Drains the server's pending auth requests.
fn requests(p: &mut Pair) -> Vec<(u64, String, AuthMethod)> {
    let evs = std::mem::take(&mut p.server_events);
    evs.into_iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Request { id, user, method }) => Some((id, user, method)),
            _ => None,
        })
        .collect()
}

/// Drains the client's auth events.
fn client_auth(p: &mut Pair) -> Vec<AuthEvent> {
    let evs = std::mem::take(&mut p.client_events);
    evs.into_iter()
        .filter_map(|e| match e {
            Event::Auth(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn one_request(p: &mut Pair) -> (u64, String, AuthMethod) {
    let mut r = requests(p);
    assert_eq!(r.len(), 1, "expected one request, got {r:?}");
    r.remove(0)
}

fn answer(p: &mut Pair, id: u64, v: AuthVerdict) {
    p.server.answer_auth(id, v).expect("answer");
    p.drive();
}

fn failure_of(evs: &[AuthEvent]) -> Option<(Vec<String>, bool)> {
    evs.iter().find_map(|e| match e {
        AuthEvent::Failure {
            methods,
            partial_success,
        } => Some((methods.clone(), *partial_success)),
        _ => None,
    })
}

fn succeeded(evs: &[AuthEvent]) -> bool {
    evs.iter().any(|e| matches!(e, AuthEvent::Success))
}

/// Password check the "application" does.
fn password_verdict(m: &AuthMethod, right: &str) -> AuthVerdict {
    match m {
        AuthMethod::Password {
            password,
            new_password: None,
        } if password.expose() == right => AuthVerdict::Accept,
        AuthMethod::Password { .. } => AuthVerdict::Reject,
        other => panic!("not a password request: {other:?}"),
    }
}

#[test]
fn none_lists_methods() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_none("alice").unwrap();
    p.drive();
    assert!(requests(&mut p).is_empty(), "none is not asked");
    let evs = client_auth(&mut p);
    let (methods, partial) = failure_of(&evs).expect("failure");
    assert_eq!(methods, ["publickey", "keyboard-interactive", "password"]);
    assert!(!partial);
    assert_eq!(p.server.auth_failures(), 0, "none does not count");
}

#[test]
fn password_right_and_wrong() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_password("alice", "wrong").unwrap();
    p.drive();
    let (id, user, m) = one_request(&mut p);
    assert_eq!(user, "alice");
    answer(&mut p, id, password_verdict(&m, "secret"));
    let evs = client_auth(&mut p);
    assert!(failure_of(&evs).is_some() && !succeeded(&evs));
    assert_eq!(p.server.auth_failures(), 1);

    p.client.auth_password("alice", "secret").unwrap();
    p.drive();
    let (id, _, m) = one_request(&mut p);
    answer(&mut p, id, password_verdict(&m, "secret"));
    assert!(succeeded(&client_auth(&mut p)));
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, Event::Auth(AuthEvent::Success)))
    );
    // After success, a further USERAUTH_REQUEST is refused by the phase table.
    let mut w = Writer::message(50);
    w.string(b"alice").string(b"ssh-connection").string(b"none");
    p.client
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    let e = p.server_error.as_ref().expect("refused");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
}

#[test]
fn password_expired_then_changed() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_password("alice", "old").unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(
        &mut p,
        id,
        AuthVerdict::PasswordExpired {
            prompt: "Your password has expired.".into(),
        },
    );
    let evs = client_auth(&mut p);
    let (cid, prompt) = evs
        .iter()
        .find_map(|e| match e {
            AuthEvent::PasswordChangeRequired { id, prompt } => Some((*id, prompt.clone())),
            _ => None,
        })
        .expect("change request");
    assert_eq!(prompt, "Your password has expired.");
    p.client.change_password(cid, "old", "new").unwrap();
    p.drive();
    let (id, _, m) = one_request(&mut p);
    match &m {
        AuthMethod::Password {
            password,
            new_password: Some(n),
        } => {
            assert_eq!(password.expose(), "old");
            assert_eq!(n.expose(), "new");
        }
        other => panic!("{other:?}"),
    }
    answer(&mut p, id, AuthVerdict::Accept);
    assert!(succeeded(&client_auth(&mut p)));
}

/// The Cisco IOS expired-password dialogue (seed 001), with a mismatched re-entry first.
#[test]
fn keyboard_interactive_cisco_password_change() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_keyboard_interactive("admin", "").unwrap();
    p.drive();
    let (id, _, m) = one_request(&mut p);
    assert!(matches!(m, AuthMethod::KeyboardInteractive { .. }));
    let ask = |p: &mut Pair, id: u64, instruction: &str| {
        p.server
            .answer_kbd_prompts(
                id,
                "",
                instruction,
                vec![
                    Prompt::new("New Password:", false),
                    Prompt::new("Re-enter New password:", false),
                ],
            )
            .unwrap();
        p.drive();
    };
    ask(
        &mut p,
        id,
        "Your password has expired. Enter a new one now.",
    );
    let mut rounds = 0;
    let mut answers = vec![
        vec!["n3w".to_string(), "n3x".to_string()],
        vec!["n3w".to_string(), "n3w".to_string()],
    ]
    .into_iter();
    loop {
        let evs = client_auth(&mut p);
        if succeeded(&evs) {
            break;
        }
        let (pid, n) = evs
            .iter()
            .find_map(|e| match e {
                AuthEvent::Prompt { id, prompts, .. } => Some((*id, prompts.len())),
                _ => None,
            })
            .expect("prompt");
        assert_eq!(n, 2);
        // A wrong number of answers is refused locally.
        assert!(p.client.answer_prompts(pid, vec!["x".into()]).is_err());
        p.client
            .answer_prompts(pid, answers.next().unwrap())
            .unwrap();
        p.drive();
        let (rid, _, m) = one_request(&mut p);
        let AuthMethod::KeyboardInteractiveResponses { responses } = m else {
            panic!("responses expected");
        };
        rounds += 1;
        if responses[0].expose() == responses[1].expose() {
            answer(&mut p, rid, AuthVerdict::Accept);
        } else {
            ask(
                &mut p,
                rid,
                "The New and Re-entered passwords have to be the same.\nTry again.",
            );
        }
    }
    assert_eq!(rounds, 2);
}

fn publickey_flow(p: &mut Pair, key: Arc<PrivateKey>) -> HostKeyAlg {
    p.client.auth_publickey("alice", key.clone()).unwrap();
    p.drive();
    let (id, _, m) = one_request(p);
    let AuthMethod::PublicKeyQuery { key: k, alg } = m else {
        panic!("query expected");
    };
    assert_eq!(k, key.public());
    answer(p, id, AuthVerdict::Accept);
    let (id, _, m) = one_request(p);
    let AuthMethod::PublicKey { key: k2, alg: alg2 } = m else {
        panic!("signed request expected");
    };
    assert_eq!((k2, alg2), (key.public(), alg));
    answer(p, id, AuthVerdict::Accept);
    assert!(succeeded(&client_auth(p)));
    alg
}

#[test]
fn publickey_ed25519_ecdsa_rsa() {
    for (kind, want) in [
        (KeyKind::Ed25519, HostKeyAlg::SshEd25519),
        (KeyKind::EcdsaP256, HostKeyAlg::EcdsaSha2Nistp256),
        (KeyKind::Rsa(2048), HostKeyAlg::RsaSha2_512),
    ] {
        let mut p = ready(ServerAuthConfig::default());
        assert_eq!(publickey_flow(&mut p, host_key(kind)), want);
    }
}

/// `ssh-dss` user keys (legacy): accepted when the server allows the SHA-1 signatures, refused
/// before the application hears of them otherwise.
#[test]
fn publickey_dss_only_when_allowed() {
    let mut p = ready(ServerAuthConfig {
        allow_ssh_rsa: true,
        ..ServerAuthConfig::default()
    });
    assert_eq!(
        publickey_flow(&mut p, host_key(KeyKind::Dsa)),
        HostKeyAlg::SshDss
    );

    let mut p = ready(ServerAuthConfig::default());
    p.client
        .auth_publickey("alice", host_key(KeyKind::Dsa))
        .unwrap();
    p.drive();
    assert!(requests(&mut p).is_empty(), "ssh-dss reached the app");
    assert_eq!(p.server.auth_failures(), 1);
}

#[test]
fn publickey_rsa_sha2_256_when_only_that_is_listed() {
    let mut sc = server_cfg(ServerAuthConfig::default());
    sc.common.algorithms.host_key = vec![HostKeyAlg::SshEd25519, HostKeyAlg::RsaSha2_256];
    let mut p = ready_with(sc);
    let alg = publickey_flow(&mut p, host_key(KeyKind::Rsa(2048)));
    assert_eq!(alg, HostKeyAlg::RsaSha2_256);
}

#[test]
fn publickey_not_allowed_is_refused() {
    let mut p = ready(ServerAuthConfig::default());
    let key = Arc::new(PrivateKey::from_ed25519_seed(&[7; 32]));
    p.client.auth_publickey("alice", key.clone()).unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(&mut p, id, AuthVerdict::Reject);
    let evs = client_auth(&mut p);
    assert!(evs.iter().any(|e| matches!(e,
        AuthEvent::PublicKeyRefused { fingerprint } if *fingerprint == key.public().fingerprint_sha256())));
    assert!(failure_of(&evs).is_some());
}

#[test]
fn forged_signature_refused_without_asking() {
    let mut p = ready(ServerAuthConfig::default());
    let key = host_key(KeyKind::Ed25519);
    let blob = key.public().to_blob();
    let sid = p.client.session_id().unwrap().to_vec();
    let mut data = Writer::new();
    data.string(&sid)
        .u8(50)
        .string(b"alice")
        .string(b"ssh-connection")
        .string(b"publickey")
        .bool(true)
        .string(b"ssh-ed25519")
        .string(&blob);
    let mut rng = sshgate::crypto::EngineRng::from_seed([9; 32]);
    let good = key
        .sign(HostKeyAlg::SshEd25519, data.as_slice(), &mut rng)
        .unwrap();
    let send = |p: &mut Pair, sig: &[u8]| {
        let mut w = Writer::message(50);
        w.string(b"alice")
            .string(b"ssh-connection")
            .string(b"publickey")
            .bool(true)
            .string(b"ssh-ed25519")
            .string(&blob)
            .string(sig);
        p.client
            .send_raw_auth_payload_for_tests(w.into_vec())
            .unwrap();
        p.drive();
    };
    let mut bad = good.clone();
    *bad.last_mut().unwrap() ^= 1;
    send(&mut p, &bad);
    assert!(requests(&mut p).is_empty(), "the application was asked");
    assert_eq!(p.server.auth_failures(), 1);
    // The server answered USERAUTH_FAILURE (the raw request left the client engine with
    // nothing in flight, so it hangs up on that reply); the server itself refused nothing.
    let ce = p
        .client_error
        .as_ref()
        .expect("client saw the failure reply");
    assert!(ce.description.contains("USERAUTH_FAILURE"), "{ce:?}");
    assert!(
        p.server
            .close_reason()
            .is_none_or(|e| e.fault == sshgate::Fault::PeerDisconnected)
    );
    // The control: the untampered signature does reach the application.
    let mut p = ready(ServerAuthConfig::default());
    let sid2 = p.client.session_id().unwrap().to_vec();
    let mut data = Writer::new();
    data.string(&sid2)
        .u8(50)
        .string(b"alice")
        .string(b"ssh-connection")
        .string(b"publickey")
        .bool(true)
        .string(b"ssh-ed25519")
        .string(&blob);
    let good = key
        .sign(HostKeyAlg::SshEd25519, data.as_slice(), &mut rng)
        .unwrap();
    send(&mut p, &good);
    assert!(matches!(
        one_request(&mut p).2,
        AuthMethod::PublicKey { .. }
    ));
}

#[test]
fn partial_success_publickey_then_password() {
    let mut p = ready(ServerAuthConfig::default());
    let key = host_key(KeyKind::Ed25519);
    p.client.auth_publickey("alice", key).unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(&mut p, id, AuthVerdict::Accept);
    let (id, _, _) = one_request(&mut p);
    answer(
        &mut p,
        id,
        AuthVerdict::PartialSuccess {
            remaining_methods: None,
        },
    );
    let evs = client_auth(&mut p);
    assert!(!succeeded(&evs));
    let (methods, partial) = failure_of(&evs).expect("partial failure");
    assert!(partial);
    assert_eq!(methods, ["keyboard-interactive", "password"]);
    assert_eq!(p.server.auth_failures(), 0);
    p.client.auth_password("alice", "secret").unwrap();
    p.drive();
    let (id, _, m) = one_request(&mut p);
    answer(&mut p, id, password_verdict(&m, "secret"));
    assert!(succeeded(&client_auth(&mut p)));
}

#[test]
fn banner_delivered_once() {
    let mut p = ready(ServerAuthConfig {
        banner: Some("Authorized access only\r\n".into()),
        ..ServerAuthConfig::default()
    });
    p.client.auth_none("alice").unwrap();
    p.drive();
    p.client.auth_none("alice").unwrap();
    p.drive();
    let banners: Vec<String> = client_auth(&mut p)
        .into_iter()
        .filter_map(|e| match e {
            AuthEvent::Banner { message } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(banners, ["Authorized access only\r\n"]);
}

#[test]
fn retries_exceeded_disconnects_with_reason_14() {
    let mut p = ready(ServerAuthConfig::default()); // max_attempts 3
    for i in 0..4 {
        p.client.auth_password("alice", "wrong").unwrap();
        p.drive();
        let (id, _, _) = one_request(&mut p);
        assert!(p.server_error.is_none());
        p.server.answer_auth(id, AuthVerdict::Reject).unwrap_or(());
        p.drive();
        if i < 3 {
            assert!(!p.server.is_closed(), "closed after {} failures", i + 1);
        }
    }
    assert!(p.server.is_closed());
    let r = p.server.close_reason().unwrap();
    assert_eq!(r.reason, reason::NO_MORE_AUTH_METHODS_AVAILABLE);
    assert_eq!(
        p.client_error.as_ref().expect("client told").reason,
        reason::NO_MORE_AUTH_METHODS_AVAILABLE
    );
}

#[test]
fn timeout_after_120_seconds_not_before() {
    let mut p = ready(ServerAuthConfig::default());
    p.advance(Duration::from_secs(119));
    assert!(!p.server.is_closed());
    p.advance(Duration::from_secs(1));
    assert!(p.server.is_closed());
    let r = p.server.close_reason().unwrap();
    assert_eq!(r.description, "Timeout before authentication");
    assert!(p.client.is_closed(), "the client got the DISCONNECT");
}

#[test]
fn no_timeout_after_success() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_password("alice", "s").unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(&mut p, id, AuthVerdict::Accept);
    p.advance(Duration::from_secs(500));
    assert!(!p.server.is_closed());
}

#[test]
fn failure_delay_holds_the_reply() {
    let mut p = ready(ServerAuthConfig {
        failure_delay: Duration::from_secs(1),
        ..ServerAuthConfig::default()
    });
    // First failure: no delay.
    p.client.auth_password("alice", "wrong").unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(&mut p, id, AuthVerdict::Reject);
    assert!(failure_of(&client_auth(&mut p)).is_some());
    // Second failure: held one second.
    p.client.auth_password("alice", "wrong").unwrap();
    p.drive();
    let (id, _, _) = one_request(&mut p);
    answer(&mut p, id, AuthVerdict::Reject);
    assert!(failure_of(&client_auth(&mut p)).is_none(), "not yet");
    p.advance(Duration::from_millis(999));
    assert!(failure_of(&client_auth(&mut p)).is_none(), "not yet");
    p.advance(Duration::from_millis(1));
    assert!(failure_of(&client_auth(&mut p)).is_some(), "released");
}

#[test]
fn user_change_refused() {
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_none("alice").unwrap();
    p.drive();
    p.client.auth_none("bob").unwrap();
    p.drive();
    let e = p.server_error.as_ref().expect("refused");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
    assert!(e.description.contains("user name changed"));
}

fn raw_request(service: &str) -> Vec<u8> {
    let mut w = Writer::message(50);
    w.string(b"alice")
        .string(service.as_bytes())
        .string(b"password")
        .bool(false)
        .string(b"pw");
    w.into_vec()
}

#[test]
fn other_service_refused() {
    let mut p = ready(ServerAuthConfig::default());
    p.client
        .send_raw_auth_payload_for_tests(raw_request("ssh-foo"))
        .unwrap();
    p.drive();
    assert_eq!(
        p.server_error.as_ref().expect("refused").reason,
        reason::SERVICE_NOT_AVAILABLE
    );
    // Control: the same request for ssh-connection reaches the application.
    let mut p = ready(ServerAuthConfig::default());
    p.client
        .send_raw_auth_payload_for_tests(raw_request("ssh-connection"))
        .unwrap();
    p.drive();
    assert!(p.server_error.is_none());
    assert_eq!(requests(&mut p).len(), 1);
}

#[test]
fn malformed_requests_are_clean_errors() {
    let full = raw_request("ssh-connection");
    let mut cases: Vec<Vec<u8>> = (1..full.len()).map(|n| full[..n].to_vec()).collect();
    let mut trailing = full.clone();
    trailing.push(0);
    cases.push(trailing);
    for c in cases {
        let mut p = ready(ServerAuthConfig::default());
        p.client.send_raw_auth_payload_for_tests(c.clone()).unwrap();
        p.drive();
        let e = p
            .server_error
            .as_ref()
            .unwrap_or_else(|| panic!("{c:?} accepted"));
        assert_eq!(e.reason, reason::PROTOCOL_ERROR, "{c:?}");
        assert!(requests(&mut p).is_empty());
    }
}

#[test]
fn message_60_out_of_context_is_a_protocol_error() {
    // A PK_OK while a password request is in flight: 60 would be PASSWD_CHANGEREQ there, and
    // this body (two strings, the second not a language tag) does not fit.
    let mut p = ready(ServerAuthConfig::default());
    p.client.auth_none("alice").unwrap();
    p.drive();
    let mut w = Writer::message(60);
    w.string(b"ssh-ed25519").string(b"blob");
    p.server
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    let e = p.client_error.as_ref().expect("refused");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
    assert!(e.description.contains("60"), "{e:?}");
}

#[test]
fn message_61_out_of_context_is_a_protocol_error() {
    let mut p = ready(ServerAuthConfig::default());
    let mut w = Writer::message(61);
    w.u32(0);
    p.client
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    let e = p.server_error.as_ref().expect("refused");
    assert_eq!(e.reason, reason::PROTOCOL_ERROR);
    assert!(e.description.contains("INFO_RESPONSE"));
}

#[test]
fn pk_ok_for_another_key_is_a_protocol_error() {
    let mut p = ready(ServerAuthConfig::default());
    p.client
        .auth_publickey("alice", host_key(KeyKind::Ed25519))
        .unwrap();
    p.drive();
    let other = PrivateKey::from_ed25519_seed(&[3; 32]).public().to_blob();
    let mut w = Writer::message(60);
    w.string(b"ssh-ed25519").string(&other);
    p.server
        .send_raw_auth_payload_for_tests(w.into_vec())
        .unwrap();
    p.drive();
    assert_eq!(
        p.client_error.as_ref().expect("refused").reason,
        reason::PROTOCOL_ERROR
    );
}

#[test]
fn ssh_rsa_query_refused_unless_allowed() {
    let blob = host_key(KeyKind::Rsa(2048)).public().to_blob();
    let query = |alg: &str| {
        let mut w = Writer::message(50);
        w.string(b"alice")
            .string(b"ssh-connection")
            .string(b"publickey")
            .bool(false)
            .string(alg.as_bytes())
            .string(&blob);
        w.into_vec()
    };
    let mut p = ready(ServerAuthConfig::default());
    p.client
        .send_raw_auth_payload_for_tests(query("ssh-rsa"))
        .unwrap();
    p.drive();
    assert!(
        requests(&mut p).is_empty(),
        "legacy ssh-rsa reached the app"
    );
    assert_eq!(p.server.auth_failures(), 1);
    let mut p = ready(ServerAuthConfig {
        allow_ssh_rsa: true,
        ..ServerAuthConfig::default()
    });
    p.client
        .send_raw_auth_payload_for_tests(query("ssh-rsa"))
        .unwrap();
    p.drive();
    assert!(matches!(
        one_request(&mut p).2,
        AuthMethod::PublicKeyQuery {
            alg: HostKeyAlg::SshRsa,
            ..
        }
    ));
}
