//! The server side: parses requests, verifies public key signatures (and RFC 6187 certificate
//! chains), asks the application and sends its verdicts (RFC 4252 §5–§8, RFC 4256 §3).

use super::events::{AuthEvent, AuthMethod, AuthVerdict, Prompt};
use super::messages::{self, MAX_PROMPTS, MAX_SECRET, MethodReq, Request};
use super::policy::Policy;
use super::{SERVICE, ServerAuthConfig};
use crate::Error;
use crate::event::Event;
use crate::keys::sk_ecdsa::{SK_ECDSA_P256, WEBAUTHN_SK_ECDSA_P256};
use crate::keys::{DEFAULT_MIN_RSA_BITS, HostKeyAlg, PublicKey};
use crate::layer::{Ctx, Signal};
use crate::msg::{USERAUTH_61, USERAUTH_REQUEST, USERAUTH_SUCCESS, reason};
use crate::pki::{self, CertificateCheck, Purpose, X509Alg, X509Blob};
use crate::time::Instant;

/// What the application is deciding.
#[derive(Debug, Clone)]
enum Kind {
    None,
    Password,
    PkQuery {
        alg: &'static str,
        blob: Vec<u8>,
    },
    PkSigned,
    /// A certificate whose chain was refused: whatever the verdict, USERAUTH_FAILURE.
    CertRefused,
    Kbd,
}

struct Waiting {
    id: u64,
    method: &'static str,
    kind: Kind,
}

pub(crate) struct Server {
    cfg: ServerAuthConfig,
    pub(crate) policy: Policy,
    /// The user of the first request; later requests must name the same.
    user: Option<String>,
    banner_sent: bool,
    next_id: u64,
    waiting: Option<Waiting>,
    /// INFO_REQUEST sent with this many prompts; INFO_RESPONSE expected.
    info_outstanding: Option<(&'static str, usize)>,
    /// One request that arrived while a reply was pending.
    queued: Option<Vec<u8>>,
    /// Methods that already gave partial success.
    done: Vec<String>,
    /// The last certificate chain checked (algorithm, key blob), so the signed request that
    /// follows a query is not validated twice.
    last_cert: Option<(X509Alg, Vec<u8>, CertificateCheck)>,
}

impl Server {
    pub(crate) fn new(cfg: ServerAuthConfig, now: Instant) -> Self {
        Server {
            policy: Policy::new(&cfg, now),
            cfg,
            user: None,
            banner_sent: false,
            next_id: 1,
            waiting: None,
            info_outstanding: None,
            queued: None,
            done: Vec::new(),
            last_cert: None,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.policy.poll_timeout()
    }

    pub(crate) fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) -> Result<Signal, Error> {
        self.policy.check_deadline(ctx.now)?;
        if self.policy.release(ctx) {
            self.run_queued(ctx)?;
        }
        Ok(Signal::default())
    }

    pub(crate) fn handle(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<Signal, Error> {
        if self.policy.done {
            // RFC 4252 §5.1: requests after success "SHOULD be ignored" (the phase table
            // already refuses them; this is a second line).
            return Ok(Signal::default());
        }
        match payload[0] {
            USERAUTH_REQUEST => {
                if self.waiting.is_some() || self.policy.holding() {
                    if self.queued.is_some() {
                        return Err(Error::protocol(
                            "USERAUTH_REQUEST sent while two earlier ones are unanswered",
                        ));
                    }
                    self.queued = Some(payload.to_vec());
                    return Ok(Signal::default());
                }
                self.request(ctx, payload)?;
                Ok(Signal::default())
            }
            USERAUTH_61 => {
                let Some((method, n)) = self.info_outstanding.take() else {
                    return Err(Error::protocol("INFO_RESPONSE without an INFO_REQUEST"));
                };
                let responses = messages::decode_info_response(payload, n)?;
                self.ask(ctx, method, Kind::Kbd, |_| {
                    AuthMethod::KeyboardInteractiveResponses { responses }
                });
                Ok(Signal::default())
            }
            n => Err(Error::protocol(format!(
                "message {n} is not expected by a server during user authentication"
            ))),
        }
    }

    fn ask(
        &mut self,
        ctx: &mut Ctx<'_>,
        method: &'static str,
        kind: Kind,
        m: impl FnOnce(&mut Self) -> AuthMethod,
    ) {
        let id = self.next_id;
        self.next_id += 1;
        let method_ev = m(self);
        self.waiting = Some(Waiting { id, method, kind });
        ctx.emit(Event::Auth(AuthEvent::Request {
            id,
            user: self.user.clone().unwrap_or_default(),
            method: method_ev,
        }));
    }

    fn offered(&self, method: &str) -> bool {
        self.cfg.methods.iter().any(|m| m == method) && !self.done.iter().any(|m| m == method)
    }

    fn remaining(&self) -> Vec<String> {
        self.cfg
            .methods
            .iter()
            .filter(|m| *m != "none" && !self.done.contains(m))
            .cloned()
            .collect()
    }

    fn failure(&mut self, ctx: &mut Ctx<'_>, counted: bool) -> Result<(), Error> {
        ctx.trace.step(|| crate::trace::TraceStep::AuthFailure {
            can_continue: self.remaining(),
        });
        let payload = messages::failure(&self.remaining(), false);
        self.policy.fail(ctx, payload, counted)
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<(), Error> {
        let req = Request::decode(payload)?;
        if req.service != SERVICE {
            return Err(Error::peer(
                reason::SERVICE_NOT_AVAILABLE,
                format!("service {:?} is not available", req.service),
            ));
        }
        match &self.user {
            // RFC 4252 §5: the user name and service name "MAY change ... the server
            // implementations ... MAY disconnect"; we do (as OpenSSH), so no attempt spans users.
            Some(u) if u != req.user => {
                return Err(Error::protocol("user name changed during authentication"));
            }
            Some(_) => {}
            None => self.user = Some(req.user.to_owned()),
        }
        ctx.trace.step(|| crate::trace::TraceStep::AuthMethod {
            user: req.user.to_owned(),
            method: match req.method {
                MethodReq::None => "none",
                MethodReq::Password { .. } => "password",
                MethodReq::PublicKey { .. } => "publickey",
                MethodReq::KeyboardInteractive { .. } => "keyboard-interactive",
                MethodReq::Other => "unknown",
            },
        });
        // RFC 4252 §5: on a new request "the server MUST abandon the previous authentication
        // attempt and continue with the new one".
        self.info_outstanding = None;
        if !self.banner_sent {
            self.banner_sent = true;
            if let Some(b) = &self.cfg.banner {
                // RFC 4252 §5.4: the banner is sent "before authentication is successful".
                ctx.send(messages::banner(b));
            }
        }
        match req.method {
            MethodReq::None if self.offered("none") => {
                self.ask(ctx, "none", Kind::None, |_| AuthMethod::None);
            }
            // `none` only learns the list of methods; it is not counted (as OpenSSH).
            MethodReq::None => self.failure(ctx, false)?,
            MethodReq::Password {
                password,
                new_password,
            } if self.offered("password") => {
                self.ask(ctx, "password", Kind::Password, |_| AuthMethod::Password {
                    password,
                    new_password,
                });
            }
            MethodReq::PublicKey {
                alg,
                blob,
                signature,
            } if self.offered("publickey") => {
                self.publickey(ctx, req.user, alg, blob, signature)?;
            }
            MethodReq::KeyboardInteractive { submethods }
                if self.offered("keyboard-interactive") =>
            {
                let submethods = submethods.to_owned();
                self.ask(ctx, "keyboard-interactive", Kind::Kbd, |_| {
                    AuthMethod::KeyboardInteractive { submethods }
                });
            }
            _ => self.failure(ctx, true)?,
        }
        Ok(())
    }

    fn publickey(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        alg_name: &str,
        blob: &[u8],
        signature: Option<&[u8]>,
    ) -> Result<(), Error> {
        if let Some(sk) = [SK_ECDSA_P256, WEBAUTHN_SK_ECDSA_P256]
            .into_iter()
            .find(|n| *n == alg_name)
        {
            return self.security_key(ctx, user, sk, blob, signature);
        }
        if let Some((name, sig_alg)) = super::openssh_cert::user_cert_alg(alg_name) {
            return self.openssh_certificate(ctx, user, name, sig_alg, blob, signature);
        }
        let alg =
            HostKeyAlg::from_name(alg_name).filter(|a| !a.is_legacy() || self.cfg.allow_ssh_rsa);
        if let Some(HostKeyAlg::X509(x)) = alg {
            return self.certificate(ctx, user, x, blob, signature);
        }
        let key = PublicKey::from_blob(blob).ok();
        // The algorithm must fit the key type (RFC 8332 §3: the RSA names all use `ssh-rsa` keys).
        let (Some(alg), Some(key)) = (alg, key) else {
            return self.failure(ctx, true);
        };
        if !key.supports(alg) {
            return self.failure(ctx, true);
        }
        match signature {
            None => self.ask(
                ctx,
                "publickey",
                Kind::PkQuery {
                    alg: alg.name(),
                    blob: blob.to_vec(),
                },
                |_| AuthMethod::PublicKeyQuery { key, alg },
            ),
            Some(sig) => {
                let data = messages::pk_signed_data(ctx.session_id, user, alg.name(), blob);
                // RFC 4252 §7: "The server MUST check that the key is a valid authenticator
                // for the user, and MUST check that the signature is valid." The signature
                // first: a bad one fails without the application being asked.
                if key.verify(alg, &data, sig).is_err() {
                    return self.failure(ctx, true);
                }
                self.ask(ctx, "publickey", Kind::PkSigned, |_| {
                    AuthMethod::PublicKey { key, alg }
                });
            }
        }
        Ok(())
    }

    /// `publickey` with a FIDO security key, named by either algorithm (sshd takes both for an
    /// `sk-ecdsa-sha2-nistp256@openssh.com` key, and either signature format under each). As
    /// for plain keys, a bad signature fails without the application asked; a good one goes to
    /// the application with the authenticator's flags, which it judges (user presence).
    fn security_key(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        alg: &'static str,
        blob: &[u8],
        signature: Option<&[u8]>,
    ) -> Result<(), Error> {
        let key = PublicKey::from_blob(blob)
            .ok()
            .filter(|k| k.key_type() == SK_ECDSA_P256);
        let Some(key) = key else {
            return self.failure(ctx, true);
        };
        match signature {
            None => self.ask(
                ctx,
                "publickey",
                Kind::PkQuery {
                    alg,
                    blob: blob.to_vec(),
                },
                |_| AuthMethod::SecurityKey {
                    key,
                    signature: None,
                },
            ),
            Some(sig) => {
                let data = messages::pk_signed_data(ctx.session_id, user, alg, blob);
                let Ok(verified) = key.verify_security_key(&data, sig) else {
                    return self.failure(ctx, true);
                };
                self.ask(ctx, "publickey", Kind::PkSigned, |_| {
                    AuthMethod::SecurityKey {
                        key,
                        signature: Some(verified),
                    }
                });
            }
        }
        Ok(())
    }

    /// `publickey` with an OpenSSH certificate algorithm: refused at once unless
    /// [`ServerAuthConfig::openssh_certificates`]; a blob that is no certificate of that type,
    /// or a bad signature, fails without the application asked (as for plain keys); otherwise
    /// the application gets the parsed certificate to check (CA, principals, validity, options).
    fn openssh_certificate(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        alg: &'static str,
        sig_alg: HostKeyAlg,
        blob: &[u8],
        signature: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.cfg.openssh_certificates || (sig_alg.is_legacy() && !self.cfg.allow_ssh_rsa) {
            return self.failure(ctx, true);
        }
        let checked =
            super::openssh_cert::check_request(ctx.session_id, user, alg, sig_alg, blob, signature);
        let Ok(cert) = checked else {
            return self.failure(ctx, true);
        };
        let signed = signature.is_some();
        let kind = if signed {
            Kind::PkSigned
        } else {
            Kind::PkQuery {
                alg,
                blob: blob.to_vec(),
            }
        };
        self.ask(ctx, "publickey", kind, |_| AuthMethod::OpenSshCertificate {
            cert: Box::new(cert),
            alg: sig_alg,
            signed,
        });
        Ok(())
    }

    /// `publickey` with an `x509v3-*` algorithm (RFC 6187 §2.1 blob): the chain is validated
    /// against the trustpoints (purpose `secureShellClient`) before anything else, and the
    /// application is asked in every case, a refused chain included, so that it can log the
    /// reason; only a valid chain with a valid signature can be accepted.
    fn certificate(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        alg: X509Alg,
        blob: &[u8],
        signature: Option<&[u8]>,
    ) -> Result<(), Error> {
        if self.cfg.trustpoints.is_empty() {
            return self.failure(ctx, true);
        }
        let check = self.check_certificate(ctx, alg, blob);
        let signed = signature.is_some();
        let kind = match (signature, check.validated()) {
            (_, None) => Kind::CertRefused,
            (None, Some(_)) => Kind::PkQuery {
                alg: alg.name(),
                blob: blob.to_vec(),
            },
            (Some(sig), Some(v)) => {
                let data = messages::pk_signed_data(ctx.session_id, user, alg.name(), blob);
                // As for plain keys: a bad signature fails without the application asked.
                if alg
                    .verify(&v.key, &data, sig, DEFAULT_MIN_RSA_BITS)
                    .is_err()
                {
                    return self.failure(ctx, true);
                }
                Kind::PkSigned
            }
        };
        self.ask(ctx, "publickey", kind, |_| AuthMethod::Certificate {
            check: Box::new(check),
            signed,
        });
        Ok(())
    }

    /// The chain in `blob` checked against the trustpoints, from the cache when the same blob
    /// was just checked (the query before the signed request).
    fn check_certificate(&mut self, ctx: &Ctx<'_>, alg: X509Alg, blob: &[u8]) -> CertificateCheck {
        if let Some((a, b, c)) = &self.last_cert
            && *a == alg
            && b.as_slice() == blob
        {
            return c.clone();
        }
        let tps = &self.cfg.trustpoints;
        let limits = tps[0].policy.blob_limits;
        let check = match X509Blob::decode(alg, blob, &limits) {
            Ok(b) => pki::check_chain(&b, tps, Purpose::SshClient, ctx.wall_clock),
            Err(e) => CertificateCheck::refused(alg, e),
        };
        self.last_cert = Some((alg, blob.to_vec(), check.clone()));
        check
    }

    fn take_waiting(&mut self, id: u64) -> Result<Waiting, Error> {
        match self.waiting.take() {
            Some(w) if w.id == id => Ok(w),
            other => {
                self.waiting = other;
                Err(Error::misuse(
                    "no authentication request with this id is waiting",
                ))
            }
        }
    }

    /// The application's verdict on request `id`.
    pub(crate) fn answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: u64,
        verdict: AuthVerdict,
    ) -> Result<Signal, Error> {
        let w = self.take_waiting(id)?;
        if matches!(w.kind, Kind::CertRefused) {
            // A refused chain is never accepted, whatever the application says.
            self.failure(ctx, true)?;
            self.run_queued(ctx)?;
            return Ok(Signal::default());
        }
        match (verdict, &w.kind) {
            (AuthVerdict::Accept, Kind::PkQuery { alg, blob }) => {
                ctx.send(messages::pk_ok(alg, blob));
            }
            (AuthVerdict::Accept, _) => {
                ctx.send(vec![USERAUTH_SUCCESS]);
                ctx.trace.step(|| crate::trace::TraceStep::AuthSuccess {
                    user: self.user.clone().unwrap_or_default(),
                    method: w.method,
                });
                self.policy.done = true;
                self.queued = None;
                ctx.emit(Event::Auth(AuthEvent::Success));
                return Ok(Signal {
                    authenticated: true,
                });
            }
            (AuthVerdict::Reject, kind) => {
                let counted = !matches!(kind, Kind::None);
                self.failure(ctx, counted)?;
            }
            (AuthVerdict::PartialSuccess { remaining_methods }, _) => {
                if !self.done.iter().any(|m| m == w.method) {
                    self.done.push(w.method.to_owned());
                }
                let list = remaining_methods.unwrap_or_else(|| self.remaining());
                // RFC 4252 §5.1: partial success TRUE "MUST" only follow a successful method.
                ctx.send(messages::failure(&list, true));
            }
            (AuthVerdict::PasswordExpired { prompt }, Kind::Password) => {
                if prompt.len() > MAX_SECRET {
                    self.waiting = Some(w);
                    return Err(Error::misuse("password change prompt too long"));
                }
                ctx.send(messages::passwd_changereq(&prompt));
            }
            (AuthVerdict::PasswordExpired { .. }, _) => {
                self.waiting = Some(w);
                return Err(Error::misuse(
                    "PasswordExpired answers only a password request",
                ));
            }
        }
        self.run_queued(ctx)?;
        Ok(Signal::default())
    }

    /// Keyboard-interactive: send prompts (INFO_REQUEST) in answer to request `id`.
    pub(crate) fn kbd_prompts(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: u64,
        name: &str,
        instruction: &str,
        prompts: &[Prompt],
    ) -> Result<(), Error> {
        let w = self.take_waiting(id)?;
        if !matches!(w.kind, Kind::Kbd) || prompts.len() > MAX_PROMPTS {
            self.waiting = Some(w);
            return Err(Error::misuse(
                "prompts answer only keyboard-interactive, at most 16",
            ));
        }
        ctx.send(messages::info_request(name, instruction, prompts));
        self.info_outstanding = Some((w.method, prompts.len()));
        self.run_queued(ctx)
    }

    fn run_queued(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Error> {
        if self.waiting.is_none()
            && !self.policy.holding()
            && !self.policy.done
            && let Some(q) = self.queued.take()
        {
            self.request(ctx, &q)?;
        }
        Ok(())
    }
}
