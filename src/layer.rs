//! What the layers above the transport (user authentication, connection protocol) may touch
//! while they handle a message or a timer: the clock, the session id, the generator, an outbox
//! of payloads and the event queue. Nothing else — so a layer cannot bypass the transport's
//! key-exchange holding or sequence numbers.
//!
//! It sits below the transport, userauth and channel modules, which all import it, and above
//! none of them: the connection builds a [`Ctx`] from the transport's fields and hands it down.

use crate::Role;
use crate::crypto::EngineRng;
use crate::event::Event;
use crate::time::Instant;
use crate::trace::Tracer;
use std::collections::VecDeque;

/// A layer's view of the connection for one call.
pub(crate) struct Ctx<'a> {
    /// Which side we are.
    pub(crate) role: Role,
    /// The driver's current time.
    pub(crate) now: Instant,
    /// H of the first key exchange (signed in publickey authentication, RFC 4252 §7).
    pub(crate) session_id: &'a [u8],
    /// The engine's generator.
    pub(crate) rng: &'a mut EngineRng,
    /// Signature algorithms the server accepts (RFC 8308), client side.
    pub(crate) server_sig_algs: Option<&'a [String]>,
    /// The wall clock in Unix seconds, if the driver gave it (certificate validity).
    pub(crate) wall_clock: Option<u64>,
    /// The connection's step record (`src/trace.rs`), for the layers' own steps.
    pub(crate) trace: &'a mut Tracer,
    out: &'a mut Vec<Vec<u8>>,
    events: &'a mut VecDeque<Event>,
}

impl<'a> Ctx<'a> {
    // One borrow per field of the transport a layer may touch; bundling them would only move
    // the list (its one caller is `Transport::run_layer`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        role: Role,
        now: Instant,
        session_id: &'a [u8],
        rng: &'a mut EngineRng,
        server_sig_algs: Option<&'a [String]>,
        trace: &'a mut Tracer,
        out: &'a mut Vec<Vec<u8>>,
        events: &'a mut VecDeque<Event>,
    ) -> Self {
        Ctx {
            role,
            now,
            session_id,
            rng,
            server_sig_algs,
            wall_clock: None,
            trace,
            out,
            events,
        }
    }

    /// Queues a payload (message number first) for the transport to send in order.
    pub(crate) fn send(&mut self, payload: Vec<u8>) {
        self.out.push(payload);
    }

    /// Tells the application something.
    pub(crate) fn emit(&mut self, e: Event) {
        self.events.push_back(e);
    }
}

/// What a layer reports back after handling a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Signal {
    /// User authentication has just succeeded: the connection protocol may start.
    pub(crate) authenticated: bool,
}
