//! Server-side limits: the authentication time-out, the failure count and the growing delay
//! before each failure reply. Sans-IO: a delayed reply is held here and released from
//! `handle_timeout` once the driver's clock reaches it.

use super::ServerAuthConfig;
use crate::Error;
use crate::layer::Ctx;
use crate::msg::reason;
use crate::time::{Duration, Instant};

pub(crate) struct Policy {
    /// Failed attempts so far (`none` and partial successes do not count).
    pub(crate) failures: u32,
    max_attempts: u32,
    failure_delay: Duration,
    /// Authentication must be over by then.
    deadline: Instant,
    /// A failure reply waiting for its delay to pass.
    held: Option<(Instant, Vec<u8>)>,
    /// Authentication is over: no more timers.
    pub(crate) done: bool,
}

impl Policy {
    pub(crate) fn new(cfg: &ServerAuthConfig, now: Instant) -> Self {
        Policy {
            failures: 0,
            max_attempts: cfg.max_attempts,
            failure_delay: cfg.failure_delay,
            deadline: now + cfg.timeout,
            held: None,
            done: false,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        Some(match &self.held {
            Some((t, _)) => (*t).min(self.deadline),
            None => self.deadline,
        })
    }

    /// Whether a failure reply is being held back.
    pub(crate) fn holding(&self) -> bool {
        self.held.is_some()
    }

    /// Ends the connection once the time-out has passed.
    pub(crate) fn check_deadline(&self, now: Instant) -> Result<(), Error> {
        if !self.done && now >= self.deadline {
            // OpenSSH: "Timeout before authentication"; this is our policy, not a peer fault.
            return Err(Error::policy(
                reason::BY_APPLICATION,
                "Timeout before authentication",
            ));
        }
        Ok(())
    }

    /// Sends (or holds) a USERAUTH_FAILURE payload. A `counted` failure beyond `max_attempts`
    /// disconnects instead.
    pub(crate) fn fail(
        &mut self,
        ctx: &mut Ctx<'_>,
        payload: Vec<u8>,
        counted: bool,
    ) -> Result<(), Error> {
        if !counted {
            ctx.send(payload);
            return Ok(());
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures > self.max_attempts {
            return Err(Error::policy(
                reason::NO_MORE_AUTH_METHODS_AVAILABLE,
                "Too many authentication failures",
            ));
        }
        let delay = self.failure_delay.saturating_mul(self.failures - 1);
        if delay.is_zero() {
            ctx.send(payload);
        } else {
            self.held = Some((ctx.now + delay, payload));
        }
        Ok(())
    }

    /// Sends the held reply if its time has come; returns whether it did.
    pub(crate) fn release(&mut self, ctx: &mut Ctx<'_>) -> bool {
        match self.held.take() {
            Some((t, p)) if ctx.now >= t => {
                ctx.send(p);
                true
            }
            other => {
                self.held = other;
                false
            }
        }
    }
}
