//! The wasm-bindgen layer's RFC 6187 surface as JavaScript sees it, run by
//! `wasm-bindgen-test-runner` in Node and headless Chromium (scripts/test.sh runs both):
//! `CertificateCredential` (PEM chain + key, PKCS#12, and their refusals), the `trustedCAs` /
//! `hostName` options, `setWallClock`, the `certificate` object of the `hostKey` event, and
//! `authCertificate` against the engine's own server role with a host certificate and a user
//! trustpoint. The PKI files are embedded copies of tests/x509/make-pki.sh output
//! (tests/wasm/x509/README.md).
//!
//!   cargo test --release --target wasm32-unknown-unknown -p sshgate --test wasm_x509
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use sshgate::keys::PrivateKey;
use sshgate::pki::{CertifiedKey, Identity, Trustpoint, UsernameField, load_certificates};
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, ServerAuthConfig};
use sshgate::wasm::{CertificateCredential, Engine};
use sshgate::{Connection, Event, Instant, ServerConfig};
use std::sync::Arc;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("wasm/x509/", $name))
    };
}

const ROOT_P256: &str = fixture!("root_p256.pem");
const ROOT_RSA: &str = fixture!("root_rsa.pem");
const USER_P12: &[u8] = include_bytes!("wasm/x509/user_rsa.p12");
const HOST: &str = "router1.example.com";

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("property")
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string in {v:?}"))
}

/// A server with the P-256 host certificate (and a plain Ed25519 key) that accepts user
/// certificates of the Ed25519 and RSA hierarchies for `alice`, by common name.
fn server() -> Connection {
    let key = PrivateKey::from_text(fixture!("server_p256.key"), None)
        .expect("key")
        .0;
    let chain = load_certificates(fixture!("server_p256.chain.pem").as_bytes()).expect("chain");
    let mut users = Trustpoint::from_anchors(fixture!("root_ed25519.pem").as_bytes()).expect("ca");
    users.add_anchors(ROOT_RSA.as_bytes()).expect("ca");
    let cfg = ServerConfig {
        host_keys: vec![Arc::new(PrivateKey::from_ed25519_seed(&[7; 32]))],
        host_certificates: vec![Arc::new(
            CertifiedKey::new(Arc::new(key), chain).expect("certified"),
        )],
        auth: ServerAuthConfig {
            trustpoints: vec![Arc::new(users)],
            ..ServerAuthConfig::default()
        },
        ..ServerConfig::default()
    };
    let mut s = Connection::server(Arc::new(cfg), Instant::ZERO, [2; 32]);
    s.set_wall_clock(now_secs());
    s
}

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn client(options: &str, clock: bool) -> Engine {
    let o = js_sys::JSON::parse(options).expect("json");
    let mut e = Engine::client(o, &[1; 32], 0.0)
        .map_err(JsValue::from)
        .expect("client");
    if clock {
        e.set_wall_clock(js_sys::Date::now());
    }
    e
}

/// Runs both sides until quiet; the client's events, trusting the host key as `trust` says.
fn drive(engine: &mut Engine, server: &mut Connection, events: &mut Vec<JsValue>) {
    for _ in 0..10_000 {
        let mut progressed = false;
        if let Some(out) = engine.poll_transmit() {
            progressed = true;
            let _ = server.handle_input(&out, Instant::ZERO);
        }
        let mut buf = Vec::new();
        if server.poll_transmit(&mut buf) {
            progressed = true;
            let _ = engine.handle_input(&buf, 0.0);
        }
        loop {
            let ev = engine.poll_event();
            if ev.is_undefined() {
                break;
            }
            progressed = true;
            if get_str(&ev, "type") == "hostKey" {
                let _ = engine.answer_host_key(true);
            }
            events.push(ev);
        }
        while let Some(ev) = server.poll_event() {
            progressed = true;
            if let Event::Auth(AuthEvent::Request {
                id, user, method, ..
            }) = ev
            {
                let ok = match &method {
                    AuthMethod::Certificate { check, .. } => check.validated().is_some_and(|v| {
                        v.identity.username(&UsernameField::CommonName).as_deref()
                            == Ok(user.as_str())
                    }),
                    _ => false,
                };
                let verdict = if ok {
                    AuthVerdict::Accept
                } else {
                    AuthVerdict::Reject
                };
                server.answer_auth(id, verdict).expect("answer");
            }
        }
        if !progressed {
            return;
        }
    }
    panic!("the pair did not settle");
}

fn find(events: &[JsValue], ty: &str) -> JsValue {
    events
        .iter()
        .find(|e| get_str(e, "type") == ty)
        .cloned()
        .unwrap_or_else(|| panic!("no {ty} event"))
}

/// The `certificate` of the `hostKey` event the client got with `options`.
fn host_certificate(options: &str, clock: bool) -> JsValue {
    let (mut e, mut s, mut events) = (client(options, clock), server(), Vec::new());
    drive(&mut e, &mut s, &mut events);
    get(&find(&events, "hostKey"), "certificate")
}

fn options(cas: &[&str], host: &str) -> String {
    let cas: Vec<String> = cas.iter().map(|c| format!("{c:?}")).collect();
    format!(
        r#"{{ "trustedCAs": [{}], "hostName": "{host}" }}"#,
        cas.join(",")
    )
}

#[wasm_bindgen_test]
fn a_host_certificate_under_a_trusted_ca_and_certificate_login() {
    let (mut e, mut s, mut events) = (
        client(&options(&[ROOT_P256], HOST), true),
        server(),
        Vec::new(),
    );
    drive(&mut e, &mut s, &mut events);
    let hk = find(&events, "hostKey");
    assert_eq!(get_str(&hk, "algorithm"), "x509v3-ecdsa-sha2-nistp256");
    let c = get(&hk, "certificate");
    assert_eq!(get(&c, "valid"), JsValue::TRUE, "{:?}", get(&c, "refusal"));
    assert!(get(&c, "refusal").is_null());
    assert_eq!(get_str(&c, "trustedBy"), "CN=Root CA p256,O=Example");
    let leaf = get(&c, "leaf");
    assert_eq!(
        get_str(&leaf, "subject"),
        "CN=router1.example.com,O=Example"
    );
    assert_eq!(
        get_str(&leaf, "issuer"),
        "CN=Intermediate CA p256,O=Example"
    );
    let names: Vec<String> = Array::from(&get(&leaf, "dnsNames"))
        .iter()
        .filter_map(|n| n.as_string())
        .collect();
    assert_eq!(names, ["localhost", HOST]);
    let now = js_sys::Date::now();
    assert!(
        get(&leaf, "notBefore").as_f64().unwrap() < now
            && now < get(&leaf, "notAfter").as_f64().unwrap()
    );
    let chain = Array::from(&get(&c, "chain"));
    assert_eq!(chain.length(), 2);
    assert_eq!(get(&chain.get(1), "isCa"), JsValue::TRUE);
    assert!(get_str(&chain.get(1), "pem").starts_with("-----BEGIN CERTIFICATE-----"));
    // The fingerprint is of the certificate's key, which signed the exchange.
    let key = PrivateKey::from_text(fixture!("server_p256.key"), None)
        .unwrap()
        .0;
    assert_eq!(
        get_str(&hk, "fingerprint"),
        key.public().fingerprint_sha256()
    );

    // Certificate login with a PEM chain + key, then with a PKCS#12 file.
    let pem = CertificateCredential::from_pem(
        fixture!("user_ed25519.chain.pem"),
        fixture!("user_ed25519.key").to_string(),
        None,
    )
    .expect("pem credential");
    assert_eq!(pem.user_name().expect("cn"), "alice");
    assert_eq!(
        get_str(&pem.info(), "subject"),
        "CN=alice,OU=Admins,O=Example"
    );
    e.request_user_auth();
    drive(&mut e, &mut s, &mut events);
    e.auth_certificate("alice", &pem).expect("certificate auth");
    drive(&mut e, &mut s, &mut events);
    find(&events, "authSuccess");

    let (mut e, mut s, mut events) = (
        client(&options(&[ROOT_P256], HOST), true),
        server(),
        Vec::new(),
    );
    drive(&mut e, &mut s, &mut events);
    let p12 =
        CertificateCredential::from_pkcs12(USER_P12.to_vec(), Some("s3cret".into())).expect("p12");
    let algs: Vec<String> = Array::from(&get(&p12.info(), "algorithms"))
        .iter()
        .filter_map(|a| a.as_string())
        .collect();
    assert!(
        algs.iter().all(|a| a.starts_with("x509v3-")) && !algs.is_empty(),
        "{algs:?}"
    );
    e.request_user_auth();
    drive(&mut e, &mut s, &mut events);
    e.auth_certificate("alice", &p12).expect("certificate auth");
    drive(&mut e, &mut s, &mut events);
    find(&events, "authSuccess");
}

#[wasm_bindgen_test]
fn refused_host_certificates_carry_a_stable_reason() {
    let refusal = |c: &JsValue| {
        assert_eq!(get(c, "valid"), JsValue::FALSE);
        get_str(&get(c, "refusal"), "code")
    };
    assert_eq!(
        refusal(&host_certificate(&options(&[ROOT_P256], "router1"), true)),
        "HOST_NAME_MISMATCH"
    );
    assert_eq!(
        refusal(&host_certificate(&options(&[ROOT_RSA], HOST), true)),
        "MISSING_INTERMEDIATE"
    );
    // No CA yet: the certificate is still offered and shown, for a person to decide.
    let none = host_certificate(&options(&[], HOST), true);
    assert_eq!(refusal(&none), "MISSING_INTERMEDIATE");
    assert_eq!(
        get_str(&get(&none, "leaf"), "subject"),
        "CN=router1.example.com,O=Example"
    );
    // Without the calendar nothing is valid.
    assert_eq!(
        refusal(&host_certificate(&options(&[ROOT_P256], HOST), false)),
        "NO_CLOCK"
    );
    // Without trustedCAs no x509v3 host key is offered: a plain key, no certificate.
    let (mut e, mut s, mut events) = (client("{}", true), server(), Vec::new());
    drive(&mut e, &mut s, &mut events);
    let hk = find(&events, "hostKey");
    assert_eq!(get_str(&hk, "algorithm"), "ssh-ed25519");
    assert!(get(&hk, "certificate").is_null());
}

#[wasm_bindgen_test]
fn credentials_and_options_that_do_not_load_throw_coded_errors() {
    let code = |e: &JsValue| get_str(e, "code");
    let wrong = CertificateCredential::from_pkcs12(USER_P12.to_vec(), Some("nope".into()))
        .err()
        .expect("wrong passphrase");
    assert_eq!(code(&wrong), "KEY_PASSPHRASE");
    let mismatch = CertificateCredential::from_pem(
        fixture!("server_p256.chain.pem"),
        fixture!("user_ed25519.key").to_string(),
        None,
    )
    .err()
    .expect("key mismatch");
    assert_eq!(code(&mismatch), "CERTIFICATE_INVALID");
    assert_eq!(get_str(&mismatch, "refusal"), "KEY_MISMATCH");
    let garbage = CertificateCredential::from_pem("not pem", String::new(), None)
        .err()
        .expect("garbage");
    assert_eq!(code(&garbage), "CERTIFICATE_INVALID");
    let bad_ca = Engine::client(
        js_sys::JSON::parse(r#"{ "trustedCAs": ["junk"] }"#).unwrap(),
        &[1; 32],
        0.0,
    );
    let msg = bad_ca
        .err()
        .map(JsValue::from)
        .map(|e| get_str(&e, "message"))
        .expect("refused");
    assert!(msg.contains("trustedCAs[0]"), "{msg}");
    let bad_mode = Engine::client(
        js_sys::JSON::parse(r#"{ "trustedCAs": [], "revocation": "sometimes" }"#).unwrap(),
        &[1; 32],
        0.0,
    );
    let msg = bad_mode
        .err()
        .map(JsValue::from)
        .map(|e| get_str(&e, "message"))
        .expect("refused");
    assert!(
        msg.contains(r#""sometimes" is not one of none, crl, ocsp, ocsp-crl"#),
        "{msg}"
    );
    // The login name a server would map the certificate to (IOS subjectname commonname).
    let id = Identity::from_certificate(
        &load_certificates(fixture!("user_ed25519.chain.pem").as_bytes()).unwrap()[0],
    );
    assert_eq!(id.username(&UsernameField::CommonName).unwrap(), "alice");
}
