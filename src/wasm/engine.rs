//! `Engine`: one client connection for JavaScript. The methods mirror [`Connection`]'s run
//! loop (`handleInput` / `handleTimeout` / `pollTransmit` / `pollEvent` / `pollTimeout`) and its
//! decisions; times are milliseconds on the caller's monotonic clock (`performance.now()`).
//! Misuse (an unknown channel, a call in the wrong state) throws; a protocol failure also
//! throws, after which `pollTransmit` may still hold a DISCONNECT to send.

use super::events::{self, error_code};
use super::keys::private_key;
use super::options::client_config;
use super::x509::CertificateCredential;
use crate::channel::{ChannelId, ChannelRequest, PtyRequest, TerminalModes, WindowSize};
use crate::transport::keystream_offload::KeystreamDirection;
use crate::{Connection, Error, Instant};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A JS `Error` with a stable `code` property.
pub(super) fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &error_code(e).into());
    let _ = js_sys::Reflect::set(&err, &"reason".into(), &JsValue::from_f64(e.reason.into()));
    err.into()
}

fn check(r: Result<(), Error>) -> Result<(), JsValue> {
    r.map_err(|e| js_error(&e))
}

fn direction(inbound: bool) -> KeystreamDirection {
    if inbound {
        KeystreamDirection::Inbound
    } else {
        KeystreamDirection::Outbound
    }
}

fn at(now_ms: f64) -> Instant {
    Instant::from_millis_f64(now_ms)
}

/// A client SSH connection, sans-IO.
#[wasm_bindgen]
pub struct Engine {
    pub(super) conn: Connection,
}

#[wasm_bindgen]
impl Engine {
    /// A client. `options`: `{ software?, algorithms?: { kex, hostKey, cipher, mac },
    /// trustedCAs?: [pem], hostName? }` (the CAs and the name server certificates are checked
    /// against);
    /// `seed`: 32 bytes from `crypto.getRandomValues`; `nowMs`: `performance.now()`.
    #[wasm_bindgen(js_name = client)]
    pub fn client(options: JsValue, seed: &[u8], now_ms: f64) -> Result<Engine, JsError> {
        let cfg = client_config(&options)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| JsError::new("the seed must be exactly 32 random bytes"))?;
        Ok(Engine {
            conn: Connection::client(Arc::new(cfg), at(now_ms), seed),
        })
    }

    /// Bytes from the peer.
    #[wasm_bindgen(js_name = handleInput)]
    pub fn handle_input(&mut self, bytes: &[u8], now_ms: f64) -> Result<(), JsValue> {
        check(self.conn.handle_input(bytes, at(now_ms)))
    }

    /// The deadline from `pollTimeout` has passed.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now_ms: f64) {
        self.conn.handle_timeout(at(now_ms));
    }

    /// Bytes to send, or `undefined`.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while self.conn.poll_transmit(&mut out) {}
        (!out.is_empty()).then_some(out)
    }

    /// The next deadline in milliseconds, or `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.conn
            .poll_timeout()
            .map(|t| t.since_origin().as_secs_f64() * 1000.0)
    }

    /// The next event (a plain object with a `type`), or `undefined`.
    #[wasm_bindgen(js_name = pollEvent)]
    pub fn poll_event(&mut self) -> JsValue {
        self.conn
            .poll_event()
            .map_or(JsValue::UNDEFINED, events::to_js)
    }

    /// Answers the `hostKey` event.
    #[wasm_bindgen(js_name = answerHostKey)]
    pub fn answer_host_key(&mut self, trusted: bool) -> Result<(), JsValue> {
        check(self.conn.answer_host_key(trusted))
    }

    /// Asks for `ssh-userauth` (after the first `kexComplete`).
    #[wasm_bindgen(js_name = requestUserAuth)]
    pub fn request_user_auth(&mut self) {
        self.conn.request_service("ssh-userauth");
    }

    /// `none` authentication (lists the server's methods).
    #[wasm_bindgen(js_name = authNone)]
    pub fn auth_none(&mut self, user: &str) -> Result<(), JsValue> {
        check(self.conn.auth_none(user))
    }

    /// Password authentication.
    #[wasm_bindgen(js_name = authPassword)]
    pub fn auth_password(&mut self, user: &str, password: &str) -> Result<(), JsValue> {
        check(self.conn.auth_password(user, password))
    }

    /// Public key authentication with a private key file's text in any format
    /// `PrivateKey::from_text` reads (OpenSSH, PEM PKCS#1/SEC1/PKCS#8, encrypted or not),
    /// decrypted with `passphrase` if it is encrypted.
    #[wasm_bindgen(js_name = authPublicKey)]
    pub fn auth_public_key(
        &mut self,
        user: &str,
        key_text: &str,
        passphrase: Option<String>,
    ) -> Result<(), JsValue> {
        let key = private_key(key_text, passphrase.as_deref())?;
        check(self.conn.auth_publickey(user, Arc::new(key)))
    }

    /// RFC 6187 certificate authentication (`publickey` with an `x509v3-*` algorithm the
    /// server's `server-sig-algs` lists).
    #[wasm_bindgen(js_name = authCertificate)]
    pub fn auth_certificate(
        &mut self,
        user: &str,
        credential: &CertificateCredential,
    ) -> Result<(), JsValue> {
        check(self.conn.auth_certificate(user, credential.certified()))
    }

    /// The calendar, `Date.now()`: server certificates are checked against it (their validity
    /// period). Without it every certificate is refused (`NO_CLOCK`).
    #[wasm_bindgen(js_name = setWallClock)]
    pub fn set_wall_clock(&mut self, unix_ms: f64) {
        self.conn.set_wall_clock((unix_ms.max(0.0) / 1000.0) as u64);
    }

    /// Keyboard-interactive authentication.
    #[wasm_bindgen(js_name = authKeyboardInteractive)]
    pub fn auth_keyboard_interactive(&mut self, user: &str) -> Result<(), JsValue> {
        check(self.conn.auth_keyboard_interactive(user, ""))
    }

    /// Answers a `prompt` event.
    #[wasm_bindgen(js_name = answerPrompts)]
    pub fn answer_prompts(&mut self, id: f64, responses: Vec<String>) -> Result<(), JsValue> {
        check(self.conn.answer_prompts(id as u64, responses))
    }

    /// Answers a `passwordChange` event.
    #[wasm_bindgen(js_name = changePassword)]
    pub fn change_password(&mut self, id: f64, old: &str, new: &str) -> Result<(), JsValue> {
        check(self.conn.change_password(id as u64, old, new))
    }

    /// Opens a session channel; returns its id (`opened` or `openFailed` follows).
    #[wasm_bindgen(js_name = openSession)]
    pub fn open_session(&mut self) -> Result<u32, JsValue> {
        self.conn
            .open_session()
            .map(|c| c.0)
            .map_err(|e| js_error(&e))
    }

    /// `pty-req` (answered with `requestAnswered`).
    #[wasm_bindgen(js_name = requestPty)]
    pub fn request_pty(
        &mut self,
        channel: u32,
        term: &str,
        cols: u32,
        rows: u32,
    ) -> Result<(), JsValue> {
        let pty = PtyRequest {
            term: term.to_string(),
            size: WindowSize {
                cols,
                rows,
                width_px: 0,
                height_px: 0,
            },
            modes: TerminalModes::default(),
        };
        self.request(channel, &ChannelRequest::Pty(pty), true)
    }

    /// `shell` (answered with `requestAnswered`).
    #[wasm_bindgen(js_name = requestShell)]
    pub fn request_shell(&mut self, channel: u32) -> Result<(), JsValue> {
        self.request(channel, &ChannelRequest::Shell, true)
    }

    /// `exec` (answered with `requestAnswered`).
    #[wasm_bindgen(js_name = requestExec)]
    pub fn request_exec(&mut self, channel: u32, command: &str) -> Result<(), JsValue> {
        let req = ChannelRequest::Exec {
            command: command.to_string(),
        };
        self.request(channel, &req, true)
    }

    /// `subsystem` (want-reply), e.g. `sftp`.
    #[wasm_bindgen(js_name = requestSubsystem)]
    pub fn request_subsystem(&mut self, channel: u32, name: &str) -> Result<(), JsValue> {
        let req = ChannelRequest::Subsystem {
            name: name.to_string(),
        };
        self.request(channel, &req, true)
    }

    /// `env` (not answered).
    #[wasm_bindgen(js_name = setEnv)]
    pub fn set_env(&mut self, channel: u32, name: &str, value: &str) -> Result<(), JsValue> {
        let req = ChannelRequest::Env {
            name: name.to_string(),
            value: value.to_string(),
        };
        self.request(channel, &req, false)
    }

    /// `window-change`.
    #[wasm_bindgen(js_name = windowChange)]
    pub fn window_change(&mut self, channel: u32, cols: u32, rows: u32) -> Result<(), JsValue> {
        let size = WindowSize {
            cols,
            rows,
            ..WindowSize::default()
        };
        self.request(channel, &ChannelRequest::WindowChange(size), false)
    }

    /// `signal` (name without `SIG`).
    #[wasm_bindgen(js_name = signal)]
    pub fn signal(&mut self, channel: u32, name: &str) -> Result<(), JsValue> {
        let req = ChannelRequest::Signal {
            name: name.to_string(),
        };
        self.request(channel, &req, false)
    }

    /// Sends data; returns how many bytes the peer's window took (wait for `writable` for more).
    #[wasm_bindgen(js_name = sendData)]
    pub fn send_data(&mut self, channel: u32, data: &[u8]) -> Result<u32, JsValue> {
        self.conn
            .send_data(ChannelId(channel), data)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(|e| js_error(&e))
    }

    /// AES-CTR keystream for the key of `epoch` (a `keystreamKeys` event), inbound or outbound,
    /// from byte `offset` on; false when not taken ([`Connection::supply_keystream`]).
    #[wasm_bindgen(js_name = supplyKeystream)]
    pub fn supply_keystream(
        &mut self,
        epoch: u32,
        inbound: bool,
        offset: f64,
        bytes: &[u8],
    ) -> bool {
        self.conn
            .supply_keystream(epoch, direction(inbound), offset as u64, bytes)
    }

    /// `[epoch, used, suppliedEnd]` of a direction's AES-CTR keystream, or `undefined`.
    #[wasm_bindgen(js_name = keystreamProgress)]
    pub fn keystream_progress(&self, inbound: bool) -> Option<Vec<f64>> {
        self.conn
            .keystream_progress(direction(inbound))
            .map(|p| vec![f64::from(p.epoch), p.used as f64, p.supplied_end as f64])
    }

    /// Gives `n` bytes of received data back to the peer's window.
    #[wasm_bindgen(js_name = consume)]
    pub fn consume(&mut self, channel: u32, n: u32) -> Result<(), JsValue> {
        check(self.conn.consume(ChannelId(channel), n as usize))
    }

    /// EOF on a channel.
    #[wasm_bindgen(js_name = sendEof)]
    pub fn send_eof(&mut self, channel: u32) -> Result<(), JsValue> {
        check(self.conn.send_eof(ChannelId(channel)))
    }

    /// Closes a channel (`channelClosed` follows).
    #[wasm_bindgen(js_name = closeChannel)]
    pub fn close_channel(&mut self, channel: u32) -> Result<(), JsValue> {
        check(self.conn.close_channel(ChannelId(channel)))
    }

    /// `keepalive@openssh.com`.
    #[wasm_bindgen(js_name = sendKeepalive)]
    pub fn send_keepalive(&mut self) -> Result<(), JsValue> {
        check(self.conn.send_keepalive())
    }

    /// Ends the connection with SSH_MSG_DISCONNECT.
    #[wasm_bindgen(js_name = disconnect)]
    pub fn disconnect(&mut self, description: &str) {
        self.conn.disconnect(description);
    }

    /// Whether the connection has ended.
    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Why it ended (`{ code, reason, description, message }`), or `undefined`.
    #[wasm_bindgen(js_name = closeReason)]
    pub fn close_reason(&self) -> JsValue {
        self.conn
            .close_reason()
            .map_or(JsValue::UNDEFINED, events::error)
    }

    fn request(
        &mut self,
        channel: u32,
        req: &ChannelRequest,
        want_reply: bool,
    ) -> Result<(), JsValue> {
        check(
            self.conn
                .channel_request(ChannelId(channel), req, want_reply),
        )
    }
}
