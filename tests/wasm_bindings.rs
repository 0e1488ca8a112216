//! The wasm-bindgen layer (src/wasm/) as JavaScript sees it, run by `wasm-bindgen-test-runner`
//! in Node and in headless Chromium (scripts/test.sh runs both):
//!
//!   cargo test --release --target wasm32-unknown-unknown -p sshgate --test wasm_bindings
//!
//! The JS-facing `Engine` (client) is driven against the engine's own server role in the same
//! module; every value crossing the boundary is read back through `Reflect`, as JS would.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, Uint8Array};
use sshgate::channel::{ChannelEvent, ChannelRequest};
use sshgate::keys::PrivateKey;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict};
use sshgate::wasm::{Engine, check_known_hosts, known_hosts_entry, private_key_info};
use sshgate::{Connection, Event, Instant, ServerConfig};
use std::sync::Arc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const PASSWORD: &str = "wasm-test-pw";

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("property")
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn host_key() -> Arc<PrivateKey> {
    Arc::new(PrivateKey::from_ed25519_seed(&[7; 32]))
}

fn server() -> Connection {
    let cfg = ServerConfig {
        host_keys: vec![host_key()],
        ..ServerConfig::default()
    };
    Connection::server(Arc::new(cfg), Instant::ZERO, [2; 32])
}

fn client(options: &JsValue) -> Engine {
    Engine::client(options.clone(), &[1; 32], 0.0)
        .map_err(JsValue::from)
        .expect("client")
}

/// The client's events as JS objects, and a server run by the rules of a tiny device:
/// password `PASSWORD`, sessions accepted, `exec` answered with the command echoed and
/// exit status 3.
struct Pair {
    engine: Engine,
    server: Connection,
    events: Vec<JsValue>,
    trust: bool,
}

impl Pair {
    fn new(options: &JsValue) -> Self {
        Pair {
            engine: client(options),
            server: server(),
            events: Vec::new(),
            trust: true,
        }
    }

    /// Moves bytes both ways until both sides are quiet; returns the client's first error.
    fn drive(&mut self) -> Option<JsValue> {
        let mut error = None;
        for _ in 0..10_000 {
            let mut progressed = false;
            if let Some(out) = self.engine.poll_transmit() {
                progressed = true;
                let _ = self.server.handle_input(&out, Instant::ZERO);
            }
            let mut buf = Vec::new();
            if self.server.poll_transmit(&mut buf) {
                progressed = true;
                if let Err(e) = self.engine.handle_input(&buf, 0.0) {
                    error.get_or_insert(e);
                }
            }
            loop {
                let ev = self.engine.poll_event();
                if ev.is_undefined() {
                    break;
                }
                progressed = true;
                if get_str(&ev, "type") == "hostKey" {
                    // Refusing ends the connection, and the call says so with the error.
                    match self.engine.answer_host_key(self.trust) {
                        Ok(()) => assert!(self.trust, "a refusal returns the error"),
                        Err(e) => {
                            assert!(!self.trust, "trusting failed");
                            assert_eq!(get_str(&e, "code"), "HOST_KEY_REJECTED");
                        }
                    }
                }
                self.events.push(ev);
            }
            while let Some(ev) = self.server.poll_event() {
                progressed = true;
                self.serve(ev);
            }
            if !progressed {
                return error;
            }
        }
        panic!("the pair did not settle");
    }

    fn serve(&mut self, ev: Event) {
        let s = &mut self.server;
        match ev {
            Event::Auth(AuthEvent::Request { id, method, .. }) => {
                let ok = matches!(&method, AuthMethod::Password { password, .. } if password.expose() == PASSWORD);
                let verdict = if ok {
                    AuthVerdict::Accept
                } else {
                    AuthVerdict::Reject
                };
                s.answer_auth(id, verdict).expect("answer auth");
            }
            Event::Channel(ChannelEvent::OpenRequest { channel, .. }) => {
                s.accept_channel(channel).expect("accept");
            }
            Event::Channel(ChannelEvent::Request {
                channel, request, ..
            }) => {
                s.answer_channel_request(channel, true).expect("answer");
                if let ChannelRequest::Exec { command } = request {
                    s.send_data(channel, command.as_bytes()).expect("data");
                    s.channel_request(channel, &ChannelRequest::ExitStatus { code: 3 }, false)
                        .expect("exit-status");
                    s.send_eof(channel).expect("eof");
                    s.close_channel(channel).expect("close");
                }
            }
            _ => {}
        }
    }

    fn types(&self) -> Vec<String> {
        self.events.iter().map(|e| get_str(e, "type")).collect()
    }

    fn find(&self, ty: &str) -> JsValue {
        self.events
            .iter()
            .find(|e| get_str(e, "type") == ty)
            .cloned()
            .unwrap_or_else(|| panic!("no {ty} event in {:?}", self.types()))
    }

    /// Handshake, `none`, then `password`.
    fn log_in(&mut self, password: &str) {
        assert!(self.drive().is_none());
        self.engine.request_user_auth();
        self.drive();
        self.engine.auth_none("lab").expect("none");
        self.drive();
        self.engine
            .auth_password("lab", password)
            .expect("password");
        self.drive();
    }
}

#[wasm_bindgen_test]
fn handshake_events_are_plain_objects_with_types() {
    let mut p = Pair::new(&JsValue::UNDEFINED);
    p.log_in(PASSWORD);
    let types = p.types();
    let order = [
        "peerVersion",
        "hostKey",
        "kexComplete",
        "serviceAccepted",
        "authFailure",
        "authSuccess",
    ];
    let mut at = 0;
    for want in order {
        at += types[at..]
            .iter()
            .position(|t| t == want)
            .unwrap_or_else(|| panic!("{want} missing or out of order in {types:?}"));
    }
    let version = p.find("peerVersion");
    assert!(get_str(&version, "version").starts_with("SSH-2.0-"));
    assert!(Array::is_array(&get(&version, "prelude")));

    let hk = p.find("hostKey");
    let public = host_key().public();
    assert_eq!(get_str(&hk, "fingerprint"), public.fingerprint_sha256());
    assert!(get_str(&hk, "fingerprint").starts_with("SHA256:"));
    assert_eq!(get_str(&hk, "keyType"), "ssh-ed25519");
    assert_eq!(get_str(&hk, "publicKey"), public.to_openssh_line(""));

    let algs = get(&p.find("kexComplete"), "algorithms");
    for key in [
        "kex",
        "hostKey",
        "cipherClientToServer",
        "cipherServerToClient",
    ] {
        assert!(!get_str(&algs, key).is_empty(), "{key}");
    }
    assert_eq!(get_str(&algs, "hostKey"), "ssh-ed25519");
    // chacha20-poly1305 is an AEAD: no MAC, and JS sees null rather than a name.
    if get_str(&algs, "cipherClientToServer").contains("poly1305") {
        assert!(get(&algs, "macClientToServer").is_null());
    }
    let failure = p.find("authFailure");
    let methods: Vec<String> = Array::from(&get(&failure, "methods"))
        .iter()
        .filter_map(|m| m.as_string())
        .collect();
    assert!(methods.contains(&"password".to_string()), "{methods:?}");
    assert_eq!(get(&failure, "partialSuccess"), JsValue::FALSE);
}

#[wasm_bindgen_test]
fn exec_data_exit_status_and_close() {
    let mut p = Pair::new(&JsValue::UNDEFINED);
    p.log_in(PASSWORD);
    let ch = p.engine.open_session().expect("open");
    p.drive();
    assert_eq!(get(&p.find("opened"), "channel").as_f64(), Some(ch.into()));
    p.engine.request_exec(ch, "show clock").expect("exec");
    p.drive();
    assert_eq!(get(&p.find("requestAnswered"), "success"), JsValue::TRUE);
    let data = get(&p.find("data"), "data");
    assert!(data.is_instance_of::<Uint8Array>(), "data is a Uint8Array");
    assert_eq!(Uint8Array::from(data).to_vec(), b"show clock");
    let exit = p
        .events
        .iter()
        .find(|e| get_str(e, "type") == "request")
        .map(|e| get(e, "request"))
        .expect("exit-status");
    assert_eq!(get_str(&exit, "name"), "exit-status");
    assert_eq!(get(&exit, "code").as_f64(), Some(3.0));
    p.find("eof");
    p.find("channelClosed");
    // A closed channel is misuse now: an Error with a code, the connection unharmed.
    let err = p.engine.send_data(ch, b"late").expect_err("closed channel");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("MISUSE"));
    assert!(!p.engine.is_closed());
}

#[wasm_bindgen_test]
fn wrong_password_fails_and_refused_host_key_closes_with_a_code() {
    let mut p = Pair::new(&JsValue::UNDEFINED);
    p.log_in("wrong");
    assert!(p.types().iter().filter(|t| *t == "authFailure").count() >= 2);
    assert!(!p.types().contains(&"authSuccess".to_string()));

    let mut p = Pair::new(&JsValue::UNDEFINED);
    p.trust = false;
    p.drive();
    assert!(p.engine.is_closed());
    let closed = p.find("closed");
    assert_eq!(get_str(&get(&closed, "error"), "code"), "HOST_KEY_REJECTED");
    assert_eq!(
        get_str(&p.engine.close_reason(), "code"),
        "HOST_KEY_REJECTED"
    );
    assert!(!p.types().contains(&"serviceAccepted".to_string()));
}

#[wasm_bindgen_test]
fn garbage_from_the_peer_throws_an_error_with_a_code() {
    let mut e = client(&JsValue::UNDEFINED);
    let err = e
        .handle_input(b"SSH-1.5-old\r\n", 0.0)
        .expect_err("SSH-1 refused");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert!(!get_str(&err, "code").is_empty());
    assert!(get(&err, "reason").as_f64().is_some());
    assert!(e.is_closed());
    // The DISCONNECT (or at least our version line) is still there to send.
    assert!(e.poll_transmit().is_some());
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("json")
}

#[wasm_bindgen_test]
fn algorithm_options_are_checked_by_name() {
    let mut p = Pair::new(&options(
        r#"{"algorithms":{"kex":["curve25519-sha256"],"cipher":"aes128-gcm@openssh.com","mac":["hmac-sha2-256"]}}"#,
    ));
    p.drive();
    let algs = get(&p.find("kexComplete"), "algorithms");
    assert_eq!(get_str(&algs, "kex"), "curve25519-sha256");
    assert_eq!(
        get_str(&algs, "cipherServerToClient"),
        "aes128-gcm@openssh.com"
    );

    for (json, names) in [
        (r#"{"algorithms":{"cipher":["rot13"]}}"#, "rot13"),
        (r#"{"algorithms":{"kex":[]}}"#, "empty"),
        (r#"{"algorithms":{"mac":[1]}}"#, "strings"),
    ] {
        let err = match Engine::client(options(json), &[1; 32], 0.0) {
            Ok(_) => panic!("{json} was accepted"),
            Err(e) => JsValue::from(e),
        };
        assert!(get_str(&err, "message").contains(names), "{json}");
    }
    let short_seed = Engine::client(JsValue::UNDEFINED, &[1; 16], 0.0);
    assert!(short_seed.is_err(), "a 16-byte seed is refused");
}

#[wasm_bindgen_test]
fn prompt_answers_are_checked_by_id() {
    let mut e = client(&JsValue::UNDEFINED);
    let err = e
        .answer_prompts(99.0, vec!["x".into()])
        .expect_err("no prompt pending");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert!(!get_str(&err, "code").is_empty());
}

#[wasm_bindgen_test]
fn known_hosts_lookups_and_entries() {
    let line = host_key().public().to_openssh_line("");
    let other = PrivateKey::from_ed25519_seed(&[9; 32])
        .public()
        .to_openssh_line("");
    let entry = known_hosts_entry("router1", 2222, &line).expect("entry");
    assert!(entry.starts_with("[router1]:2222 ssh-ed25519 "), "{entry}");
    let text = format!("# comment\n{entry}\n");
    let status = |host: &str, port: u16, key: &str| {
        let r = check_known_hosts(&text, host, port, key).expect("check");
        (
            get_str(&r, "status"),
            get(&r, "line").as_f64().unwrap_or(-1.0),
        )
    };
    assert_eq!(status("router1", 2222, &line), ("match".into(), 2.0));
    assert_eq!(status("router1", 2222, &other), ("mismatch".into(), 2.0));
    assert_eq!(status("router1", 22, &line), ("unknown".into(), 0.0));
    let revoked = format!("@revoked * {line}\n");
    let r = check_known_hosts(&revoked, "any", 22, &line).expect("check");
    assert_eq!(get_str(&r, "status"), "revoked");
    let bad = check_known_hosts(&text, "router1", 22, "ssh-ed25519 !!!").expect_err("bad key");
    assert_eq!(get_str(&bad, "code"), "KEY_INVALID");
}

#[wasm_bindgen_test]
fn private_key_info_and_passphrases() {
    let plain = include_str!("../src/keys/tests/data/p256.pkcs8");
    let info = private_key_info(plain, None).expect("plain key");
    assert_eq!(get_str(&info, "keyType"), "ecdsa-sha2-nistp256");
    assert_eq!(
        get_str(&info, "fingerprint"),
        "SHA256:57HjnGKmldt0zjLv77L4JIG6G3GhudbGo7av9O3HOkg"
    );
    let enc = include_str!("../src/keys/tests/data/ed25519-enc.pkcs8");
    let err = private_key_info(enc, None).expect_err("encrypted");
    assert_eq!(get_str(&err, "code"), "KEY_PASSPHRASE");
    let err = private_key_info(enc, Some("wrong".into())).expect_err("wrong passphrase");
    assert_eq!(get_str(&err, "code"), "KEY_PASSPHRASE");
    let info = private_key_info(enc, Some("pem pass".into())).expect("passphrase");
    assert_eq!(get_str(&info, "keyType"), "ssh-ed25519");
    let err = private_key_info("not a key", None).expect_err("garbage");
    assert_eq!(get_str(&err, "code"), "KEY_INVALID");
}
