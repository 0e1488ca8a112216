//! Engine events as plain JS objects with a `type` field. Binary data stays binary
//! (`Uint8Array`); ids are numbers; the shapes are the npm package's `EngineEvent` type.

use crate::channel::{ChannelEvent, ChannelKind, ChannelRequest, GlobalRequest};
use crate::event::Event;
use crate::transport::kexinit::Negotiated;
use crate::transport::keystream_offload::{KeystreamDirection, KeystreamMode};
use crate::userauth::AuthEvent;
use crate::{Error, Fault};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

/// A JS object from key/value pairs.
pub(crate) fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn n(v: impl Into<f64>) -> JsValue {
    JsValue::from_f64(v.into())
}

fn b(v: bool) -> JsValue {
    JsValue::from_bool(v)
}

fn bytes(v: &[u8]) -> JsValue {
    Uint8Array::from(v).into()
}

fn strings(v: &[String]) -> JsValue {
    v.iter().map(|x| s(x)).collect::<Array>().into()
}

fn algorithms(a: &Negotiated) -> JsValue {
    let mac =
        |m: Option<crate::transport::cipher::MacAlg>| m.map_or(JsValue::NULL, |m| s(m.name()));
    obj(&[
        ("kex", s(a.kex.name())),
        ("hostKey", s(a.host_key.name())),
        ("cipherClientToServer", s(a.cipher_c2s.name())),
        ("cipherServerToClient", s(a.cipher_s2c.name())),
        ("macClientToServer", mac(a.mac_c2s)),
        ("macServerToClient", mac(a.mac_s2c)),
    ])
}

/// A stable code for an error, for `Error.code` in JS.
pub(crate) fn error_code(e: &Error) -> &'static str {
    match e.fault {
        Fault::Peer => "PROTOCOL_ERROR",
        Fault::Policy => match e.reason {
            crate::msg::reason::HOST_KEY_NOT_VERIFIABLE => "HOST_KEY_REJECTED",
            crate::msg::reason::NO_MORE_AUTH_METHODS_AVAILABLE => "AUTH_FAILED",
            crate::msg::reason::KEY_EXCHANGE_FAILED => "NO_COMMON_ALGORITHM",
            _ => "REFUSED",
        },
        Fault::PeerDisconnected => "DISCONNECTED_BY_PEER",
        Fault::Local => "CLOSED_LOCALLY",
        Fault::Misuse => "MISUSE",
    }
}

pub(crate) fn error(e: &Error) -> JsValue {
    obj(&[
        ("code", s(error_code(e))),
        ("reason", n(e.reason)),
        ("description", s(&e.description)),
        ("message", s(&e.to_string())),
    ])
}

fn auth(e: AuthEvent) -> JsValue {
    match e {
        AuthEvent::Banner { message } => obj(&[("type", s("banner")), ("message", s(&message))]),
        AuthEvent::Success => obj(&[("type", s("authSuccess"))]),
        AuthEvent::Failure {
            methods,
            partial_success,
        } => obj(&[
            ("type", s("authFailure")),
            ("methods", strings(&methods)),
            ("partialSuccess", b(partial_success)),
        ]),
        AuthEvent::PublicKeyRefused { fingerprint } => obj(&[
            ("type", s("publicKeyRefused")),
            ("fingerprint", s(&fingerprint)),
        ]),
        AuthEvent::Prompt {
            id,
            name,
            instruction,
            prompts,
        } => {
            let list: Array = prompts
                .iter()
                .map(|p| obj(&[("text", s(&p.text)), ("echo", b(p.echo))]))
                .collect();
            obj(&[
                ("type", s("prompt")),
                ("id", n(id as f64)),
                ("name", s(&name)),
                ("instruction", s(&instruction)),
                ("prompts", list.into()),
            ])
        }
        AuthEvent::PasswordChangeRequired { id, prompt } => obj(&[
            ("type", s("passwordChange")),
            ("id", n(id as f64)),
            ("prompt", s(&prompt)),
        ]),
        // Server-side questions do not arise in the browser's client role.
        AuthEvent::Request { id, user, .. } => obj(&[
            ("type", s("authRequest")),
            ("id", n(id as f64)),
            ("user", s(&user)),
        ]),
        // A key the application signs with (security key): sign `data`, then answer by id.
        AuthEvent::SignRequest {
            id,
            data,
            alg,
            fingerprint,
        } => obj(&[
            ("type", s("signRequest")),
            ("id", n(id as f64)),
            ("data", bytes(&data)),
            ("algorithm", s(&alg)),
            ("fingerprint", s(&fingerprint)),
        ]),
    }
}

fn request(r: &ChannelRequest) -> JsValue {
    match r {
        ChannelRequest::ExitStatus { code } => obj(&[("name", s(r.name())), ("code", n(*code))]),
        ChannelRequest::ExitSignal {
            signal,
            core_dumped,
            message,
            ..
        } => obj(&[
            ("name", s(r.name())),
            ("signal", s(signal)),
            ("coreDumped", b(*core_dumped)),
            ("message", s(message)),
        ]),
        ChannelRequest::XonXoff { client_can_do } => {
            obj(&[("name", s(r.name())), ("clientCanDo", b(*client_can_do))])
        }
        other => obj(&[("name", s(other.name()))]),
    }
}

fn kind(k: &ChannelKind) -> JsValue {
    match k {
        ChannelKind::ForwardedTcpip {
            address,
            port,
            originator,
            originator_port,
        } => obj(&[
            ("type", s(k.name())),
            ("address", s(address)),
            ("port", n(*port)),
            ("originator", s(originator)),
            ("originatorPort", n(*originator_port)),
        ]),
        other => obj(&[("type", s(other.name()))]),
    }
}

fn channel(e: ChannelEvent) -> JsValue {
    let ch = |c: crate::channel::ChannelId| n(c.0);
    match e {
        ChannelEvent::Opened { channel } => obj(&[("type", s("opened")), ("channel", ch(channel))]),
        ChannelEvent::OpenFailed {
            channel,
            reason,
            description,
        } => obj(&[
            ("type", s("openFailed")),
            ("channel", ch(channel)),
            ("reason", n(reason)),
            ("description", s(&description)),
        ]),
        ChannelEvent::OpenRequest { channel, kind: k } => obj(&[
            ("type", s("openRequest")),
            ("channel", ch(channel)),
            ("kind", kind(&k)),
        ]),
        ChannelEvent::Request {
            channel,
            request: r,
            want_reply,
        } => obj(&[
            ("type", s("request")),
            ("channel", ch(channel)),
            ("request", request(&r)),
            ("wantReply", b(want_reply)),
        ]),
        ChannelEvent::RequestAnswered { channel, success } => obj(&[
            ("type", s("requestAnswered")),
            ("channel", ch(channel)),
            ("success", b(success)),
        ]),
        ChannelEvent::Data { channel, data } => obj(&[
            ("type", s("data")),
            ("channel", ch(channel)),
            ("data", bytes(&data)),
        ]),
        ChannelEvent::ExtendedData {
            channel,
            code,
            data,
        } => obj(&[
            ("type", s("extendedData")),
            ("channel", ch(channel)),
            ("code", n(code)),
            ("data", bytes(&data)),
        ]),
        ChannelEvent::Eof { channel } => obj(&[("type", s("eof")), ("channel", ch(channel))]),
        ChannelEvent::Closed { channel } => {
            obj(&[("type", s("channelClosed")), ("channel", ch(channel))])
        }
        ChannelEvent::Writable { channel } => {
            obj(&[("type", s("writable")), ("channel", ch(channel))])
        }
        ChannelEvent::GlobalRequest {
            request: r,
            want_reply,
        } => {
            let name = match r {
                GlobalRequest::TcpipForward { .. } => "tcpip-forward",
                GlobalRequest::CancelTcpipForward { .. } => "cancel-tcpip-forward",
            };
            obj(&[
                ("type", s("globalRequest")),
                ("name", s(name)),
                ("wantReply", b(want_reply)),
            ])
        }
        ChannelEvent::GlobalAnswered {
            name,
            success,
            bound_port,
        } => obj(&[
            ("type", s("globalAnswered")),
            ("name", s(&name)),
            ("success", b(success)),
            ("boundPort", bound_port.map_or(JsValue::NULL, n)),
        ]),
    }
}

/// One event as a JS object.
pub(crate) fn to_js(e: Event) -> JsValue {
    match e {
        Event::PeerVersion { version, prelude } => obj(&[
            ("type", s("peerVersion")),
            ("version", s(&version)),
            ("prelude", strings(&prelude)),
        ]),
        Event::HostKey(info) => obj(&[
            ("type", s("hostKey")),
            ("algorithm", s(info.algorithm.name())),
            ("keyType", s(info.key.key_type())),
            ("fingerprint", s(&info.fingerprint)),
            ("publicKey", s(&info.key.to_openssh_line(""))),
            (
                "certificate",
                info.certificate
                    .as_deref()
                    .map_or(JsValue::NULL, super::x509::check_to_js),
            ),
            (
                "openSshCertificate",
                info.openssh_certificate
                    .as_deref()
                    .map_or(JsValue::NULL, super::openssh_certs::cert_to_js),
            ),
        ]),
        Event::KexComplete {
            algorithms: a,
            initial,
        } => obj(&[
            ("type", s("kexComplete")),
            ("algorithms", algorithms(&a)),
            ("initial", b(initial)),
        ]),
        Event::ServiceAccepted(name) => obj(&[("type", s("serviceAccepted")), ("name", s(&name))]),
        Event::ExtInfo(exts) => {
            let names: Vec<String> = exts.into_iter().map(|(k, _)| k).collect();
            obj(&[("type", s("extInfo")), ("names", strings(&names))])
        }
        Event::Debug {
            always_display,
            message,
        } => obj(&[
            ("type", s("debug")),
            ("alwaysDisplay", b(always_display)),
            ("message", s(&message)),
        ]),
        Event::Pong(data) => obj(&[("type", s("pong")), ("data", bytes(&data))]),
        Event::Auth(a) => auth(a),
        Event::Channel(c) => channel(c),
        Event::Closed(e) => obj(&[("type", s("closed")), ("error", error(&e))]),
        Event::KeystreamKeys(k) => obj(&[
            ("type", s("keystreamKeys")),
            ("epoch", n(k.epoch)),
            ("inbound", b(k.direction == KeystreamDirection::Inbound)),
            (
                "mode",
                s(match k.mode {
                    KeystreamMode::Ctr => "ctr",
                    KeystreamMode::Gcm => "gcm",
                }),
            ),
            ("key", bytes(&k.key)),
            ("iv", bytes(&k.iv)),
        ]),
        Event::Ignore(_) | Event::ServiceStarted(_) => obj(&[("type", s("ignore"))]),
    }
}
