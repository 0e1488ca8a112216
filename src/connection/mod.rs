//! The engine's public face: one [`Connection`] per SSH connection, in either role.
//!
//! # The run loop
//!
//! A driver owns the socket (or WebSocket, or in-memory pipe), a clock and an entropy source.
//! It calls, in any order but **draining after every input**:
//!
//! 1. [`Connection::handle_input`] with bytes from the peer, or [`Connection::handle_timeout`]
//!    when the instant from [`Connection::poll_timeout`] has passed;
//! 2. then [`Connection::poll_transmit`] until it returns `false`, writing the bytes out;
//! 3. then [`Connection::poll_event`] until it returns `None`, answering any decision the events
//!    ask for (e.g. [`Connection::answer_host_key`]); answers can produce more output, so go back
//!    to step 2;
//! 4. then re-arm the timer from [`Connection::poll_timeout`].
//!
//! Nothing happens between calls: the engine never blocks, reads a clock or draws OS randomness.

mod auth_api;
mod channel_api;
#[cfg(feature = "test-hooks")]
mod test_hooks;

use crate::channel::Channels;
use crate::config::ClientConfig;
use crate::event::Event;
use crate::msg::{Phase, reason};
use crate::time::Instant;
use crate::transport::keystream_offload::{KeystreamDirection, KeystreamProgress};
use crate::transport::{RoleConfig, Transport};
use crate::userauth::UserAuth;
use crate::{Error, Role};
#[cfg(feature = "server")]
use crate::{config::ServerConfig, role_gate::ServerRole};
use std::sync::Arc;

/// One SSH connection, client or server, sans-IO.
pub struct Connection {
    transport: Transport,
    auth: UserAuth,
    channels: Channels,
}

impl Connection {
    /// A client connection. `seed` must come from a cryptographically secure source.
    #[must_use]
    pub fn client(cfg: Arc<ClientConfig>, now: Instant, seed: [u8; 32]) -> Self {
        let role_cfg = RoleConfig::Client {
            gex: cfg.gex,
            host_trust: cfg.host_trust.clone(),
            host_name: cfg.host_name.clone(),
            openssh_host_certificates: cfg.openssh_host_certificates,
        };
        Connection {
            transport: Transport::new(Role::Client, cfg.common.clone(), role_cfg, now, seed),
            auth: UserAuth::new_client(&cfg.auth),
            channels: Channels::new(Role::Client, &cfg.channels),
        }
    }

    /// A server connection. `seed` must come from a cryptographically secure source.
    /// Needs the `server` feature (on by default; the npm package is built without it).
    #[cfg(feature = "server")]
    #[must_use]
    pub fn server(cfg: Arc<ServerConfig>, now: Instant, seed: [u8; 32]) -> Self {
        let role_cfg = RoleConfig::Server {
            host_keys: cfg.host_keys.clone(),
            host_certificates: cfg.host_certificates.clone(),
            openssh_host_certificates: cfg.openssh_host_certificates.clone(),
            user_certificates: !cfg.auth.trustpoints.is_empty(),
            openssh_user_certificates: cfg.auth.openssh_certificates,
            gate: ServerRole::ON,
        };
        Connection {
            transport: Transport::new(Role::Server, cfg.common.clone(), role_cfg, now, seed),
            auth: UserAuth::new_server(&cfg.auth, now, ServerRole::ON),
            channels: Channels::new(Role::Server, &cfg.channels),
        }
    }

    /// Tells the engine the calendar time, in seconds since the Unix epoch, as the driver's
    /// wall clock reads it now. Certificates (RFC 6187 host keys on a client, user certificates
    /// on a server) cannot be validated without it: the engine has only the driver's monotonic
    /// [`Instant`]. Set it once, right after creating the connection; the engine advances it
    /// with the monotonic clock, so a later clock step does not move it. It is per connection
    /// (not in the shared, `Arc`-held config) because a server's config outlives any one time.
    pub fn set_wall_clock(&mut self, unix_secs: u64) {
        self.transport.set_wall_clock(unix_secs);
    }

    /// Hands in keystream for the key of `epoch` in `direction`: for AES-CTR from keystream byte
    /// `offset` on, for AES-GCM packet number `offset`'s
    /// ([`crate::transport::keystream_offload::KeystreamMode`] says how it is made).
    /// It is used before the engine computes any itself. False, and nothing kept, when the key
    /// is no longer in use, the bytes do not continue what is held (CTR) or name a packet
    /// already past or not after those held (GCM), or more than 8 MiB (or 256 packets) would be
    /// held.
    pub fn supply_keystream(
        &mut self,
        epoch: u32,
        direction: KeystreamDirection,
        offset: u64,
        bytes: &[u8],
    ) -> bool {
        self.transport
            .supply_keystream(epoch, direction, offset, bytes)
    }

    /// How far `direction`'s keystream is used and supplied (bytes for AES-CTR, packets for
    /// AES-GCM); `None` unless that direction runs one of them.
    #[must_use]
    pub fn keystream_progress(&self, direction: KeystreamDirection) -> Option<KeystreamProgress> {
        self.transport.keystream_progress(direction)
    }

    /// Which side this is.
    #[must_use]
    pub fn role(&self) -> Role {
        self.transport.role()
    }

    /// Feeds bytes received from the peer. An `Err` means the connection is over: drain
    /// [`Connection::poll_transmit`] once more (a DISCONNECT may be queued) and close the socket.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Result<(), Error> {
        self.transport.handle_input(bytes, now)?;
        self.process_upper()
    }

    /// Tells the engine that `now` has come (call when [`Connection::poll_timeout`]'s instant passes).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.transport.handle_timeout(now);
        if self.transport.is_closed() {
            return;
        }
        let auth = &mut self.auth;
        let r = self.transport.run_layer(|ctx| auth.handle_timeout(ctx));
        let r = r.and_then(|signal| {
            self.apply(signal);
            let channels = &mut self.channels;
            self.transport.run_layer(|ctx| channels.handle_timeout(ctx))
        });
        if let Err(e) = r {
            self.transport.fail(e);
        }
    }

    /// Appends bytes to send to `out`; returns whether anything was added.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        self.transport.poll_transmit(out)
    }

    /// Bytes queued for sending (for back-pressure decisions).
    #[must_use]
    pub fn pending_output(&self) -> usize {
        self.transport.pending_output()
    }

    /// The next instant at which [`Connection::handle_timeout`] must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.transport.is_closed() {
            return None;
        }
        [
            self.transport.poll_timeout(),
            self.auth.poll_timeout(),
            self.channels.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.transport.events.pop_front()
    }

    /// Changes which steps are recorded for [`Connection::poll_trace`] (see `src/trace.rs`);
    /// takes effect at once, on a live connection too. Set right after creating the
    /// connection, the construction's steps (version line, first KEXINIT) are included.
    pub fn set_trace(&mut self, level: crate::trace::TraceLevel) {
        self.transport.set_trace(level);
    }

    /// What is being recorded.
    #[must_use]
    pub fn trace_level(&self) -> crate::trace::TraceLevel {
        self.transport.trace.level()
    }

    /// The next recorded step, oldest first; `None` when tracing is off or nothing is new.
    /// Drain it with the events: steps are queued as the input that caused them is processed.
    #[must_use]
    pub fn poll_trace(&mut self) -> Option<crate::trace::TraceStep> {
        self.transport.trace.poll()
    }

    /// Client: answers [`Event::HostKey`]. Trusting it lets the key exchange finish; refusing ends
    /// the connection with "host key not verifiable".
    pub fn answer_host_key(&mut self, trusted: bool) -> Result<(), Error> {
        self.transport.answer_host_key(trusted)?;
        self.process_upper()
    }

    /// Client: asks the server for a service (`ssh-userauth`). Sent once keys are in place.
    pub fn request_service(&mut self, name: &str) {
        self.transport.request_service(name);
    }

    /// Starts a re-key now (it also starts by itself on the configured limits).
    pub fn rekey(&mut self) {
        if self.transport.is_established() {
            self.transport.start_kex();
        }
    }

    /// Sends SSH_MSG_IGNORE carrying `data` (held while a key exchange runs).
    pub fn send_ignore(&mut self, data: &[u8]) {
        if self.transport.is_established() {
            self.transport.send_ignore(data);
        }
    }

    /// Sends `ping@openssh.com`; the peer's answer arrives as [`Event::Pong`].
    pub fn send_ping(&mut self, data: &[u8]) {
        if self.transport.is_established() {
            self.transport.send_ping(data);
        }
    }

    /// Closes the connection with SSH_MSG_DISCONNECT.
    pub fn disconnect(&mut self, description: &str) {
        self.transport
            .fail(Error::local(reason::BY_APPLICATION, description));
    }

    /// Whether the connection has ended.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.transport.is_closed()
    }

    /// Why the connection ended, once it has.
    #[must_use]
    pub fn close_reason(&self) -> Option<&Error> {
        self.transport.closed_reason()
    }

    /// Whether the first key exchange has finished.
    #[must_use]
    pub fn is_established(&self) -> bool {
        self.transport.is_established()
    }

    /// The session identifier (H of the first key exchange), once known.
    #[must_use]
    pub fn session_id(&self) -> Option<&[u8]> {
        self.transport.session_id()
    }

    /// Signature algorithms the server accepts for user authentication (RFC 8308), if it said.
    #[must_use]
    pub fn server_sig_algs(&self) -> Option<&[String]> {
        self.transport.server_sig_algs.as_deref()
    }

    /// Mixes fresh entropy into the engine's generator.
    pub fn add_entropy(&mut self, entropy: &[u8]) {
        self.transport.rng().reseed(entropy);
    }

    /// Hands messages for the layers above the transport to their layer, in order.
    fn process_upper(&mut self) -> Result<(), Error> {
        if self.transport.take_output_resumed() && !self.transport.is_closed() {
            // A key exchange ended: writers it paused may go on.
            let channels = &mut self.channels;
            self.transport.run_layer(|ctx| channels.wake_writers(ctx));
        }
        while let Some(p) = self.transport.upper.pop_front() {
            let result = match p[0] {
                50..=79 => {
                    let auth = &mut self.auth;
                    self.transport.run_layer(|ctx| auth.handle(ctx, &p))
                }
                _ => {
                    let channels = &mut self.channels;
                    self.transport
                        .run_layer(|ctx| channels.handle(ctx, p))
                        .map(|()| crate::layer::Signal::default())
                }
            };
            match result {
                Ok(signal) => self.apply(signal),
                Err(e) => return Err(self.transport.fail(e)),
            }
        }
        Ok(())
    }

    /// Moves the connection on when a layer says so.
    fn apply(&mut self, signal: crate::layer::Signal) {
        if signal.authenticated {
            // RFC 4252 §5.1: after USERAUTH_SUCCESS the connection protocol starts.
            self.transport.upper_phase = Phase::Connection;
        }
    }
}
