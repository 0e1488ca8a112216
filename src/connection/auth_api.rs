//! User authentication calls on [`Connection`] (RFC 4252, RFC 4256). Client calls build and
//! send requests; server calls answer [`crate::userauth::AuthEvent::Request`] by id. A call
//! that does not fit (wrong role, unknown id, connection closed) returns an `Err` and leaves the
//! connection as it was; an `Err` from the engine itself ends the connection as usual.

use super::Connection;
use crate::Error;
use crate::keys::openssh_cert::OpenSshCert;
use crate::keys::{PrivateKey, PublicKey};
use crate::layer::Ctx;
use crate::pki::CertifiedKey;
use crate::userauth::{AuthVerdict, Prompt, UserAuth};
use std::sync::Arc;

impl Connection {
    /// Runs a user-authentication call against the layer, applying its outcome.
    fn with_auth<R>(
        &mut self,
        f: impl FnOnce(&mut UserAuth, &mut Ctx<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        if self.transport.is_closed() {
            return Err(Error::misuse("the connection is closed"));
        }
        if !self.transport.is_established() {
            return Err(Error::misuse("no key exchange has finished yet"));
        }
        let auth = &mut self.auth;
        self.transport.run_layer(|ctx| f(auth, ctx))
    }

    /// Client: `none` (learns which methods the server offers).
    pub fn auth_none(&mut self, user: &str) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.none(ctx, user))
    }

    /// Client: `password`.
    pub fn auth_password(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.password(ctx, user, password))
    }

    /// Client: `publickey`. Asks first without a signature; the signed request follows
    /// SSH_MSG_USERAUTH_PK_OK by itself. RSA keys sign with rsa-sha2-512 or rsa-sha2-256 as
    /// the server's `server-sig-algs` allows (rsa-sha2-512 if it did not say).
    pub fn auth_publickey(&mut self, user: &str, key: Arc<PrivateKey>) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.publickey(ctx, user, key))
    }

    /// Client: `publickey` with an X.509 certificate chain (RFC 6187 `x509v3-*`), chosen from
    /// the server's `server-sig-algs` when it sent them. Asks first without a signature, as
    /// [`Connection::auth_publickey`] does.
    pub fn auth_certificate(&mut self, user: &str, cert: Arc<CertifiedKey>) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.certificate(ctx, user, &cert))
    }

    /// Client: `publickey` with an OpenSSH certificate of `key` (`ssh-keygen -s`), named by its
    /// `*-cert-v01@openssh.com` algorithm (for RSA, `rsa-sha2-512-cert-v01@openssh.com` or the
    /// SHA-256 one as `server-sig-algs` allows). Asks first without a signature, as
    /// [`Connection::auth_publickey`] does. A certificate of another key is an `Err`.
    pub fn auth_openssh_certificate(
        &mut self,
        user: &str,
        key: Arc<PrivateKey>,
        cert: &OpenSshCert,
    ) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.openssh_certificate(ctx, user, key, cert))
    }

    /// Client: `publickey` with a key the application signs with (a FIDO security key through
    /// WebAuthn, an agent): asks first; after PK_OK comes
    /// [`crate::userauth::AuthEvent::SignRequest`], answered with
    /// [`Connection::answer_sign_request`]. `alg` picks the algorithm name (for a security key
    /// `sk-ecdsa-sha2-nistp256@openssh.com` or, the default,
    /// `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`).
    pub fn auth_publickey_external(
        &mut self,
        user: &str,
        key: PublicKey,
        alg: Option<&str>,
    ) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.publickey_external(ctx, user, key, alg))
    }

    /// Client: the signature blob (`string alg, string sig ...`) for
    /// [`crate::userauth::AuthEvent::SignRequest`] `id`; checked against the key, then sent.
    pub fn answer_sign_request(&mut self, id: u64, signature: &[u8]) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.answer_sign_request(ctx, id, signature))
    }

    /// Client: `keyboard-interactive` with a submethods hint (usually empty).
    pub fn auth_keyboard_interactive(&mut self, user: &str, submethods: &str) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.keyboard_interactive(ctx, user, submethods))
    }

    /// Client: answers [`crate::userauth::AuthEvent::Prompt`] `id`, one response per prompt.
    pub fn answer_prompts(&mut self, id: u64, responses: Vec<String>) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.answer_prompts(ctx, id, responses))
    }

    /// Client: answers [`crate::userauth::AuthEvent::PasswordChangeRequired`] `id`.
    pub fn change_password(&mut self, id: u64, old: &str, new: &str) -> Result<(), Error> {
        self.with_auth(|a, ctx| a.client()?.change_password(ctx, id, old, new))
    }

    /// Server: the verdict on [`crate::userauth::AuthEvent::Request`] `id`.
    pub fn answer_auth(&mut self, id: u64, verdict: AuthVerdict) -> Result<(), Error> {
        let r = self.with_auth(|a, ctx| a.server()?.answer(ctx, id, verdict));
        self.settle(r)
    }

    /// Server: answers a keyboard-interactive request `id` with prompts (INFO_REQUEST); the
    /// answers come back as a new `Request` with `KeyboardInteractiveResponses`.
    pub fn answer_kbd_prompts(
        &mut self,
        id: u64,
        name: &str,
        instruction: &str,
        prompts: Vec<Prompt>,
    ) -> Result<(), Error> {
        let r = self.with_auth(|a, ctx| {
            a.server()?
                .kbd_prompts(ctx, id, name, instruction, &prompts)
                .map(|()| crate::layer::Signal::default())
        });
        self.settle(r)
    }

    /// Server: failed authentication attempts on this connection so far (for per-source
    /// penalties the driver keeps across connections).
    #[must_use]
    pub fn auth_failures(&self) -> u32 {
        self.auth.failures()
    }

    /// Testing aid: sends a raw user-authentication payload (message number first) as is.
    /// Only with the `test-hooks` feature, which the engine's own tests turn on.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn send_raw_auth_payload_for_tests(&mut self, payload: Vec<u8>) -> Result<(), Error> {
        self.with_auth(|_, ctx| {
            ctx.send(payload);
            Ok(())
        })
    }

    /// Applies a server answer's outcome: a signal moves the phase, an engine error (not a
    /// misuse, which leaves the connection alone) ends the connection.
    fn settle(&mut self, r: Result<crate::layer::Signal, Error>) -> Result<(), Error> {
        match r {
            Ok(signal) => {
                self.apply(signal);
                Ok(())
            }
            Err(e) if e.is_misuse() => Err(e),
            Err(e) => Err(self.transport.fail(e)),
        }
    }
}
