//! What user authentication tells the application, and what the application answers.
//!
//! The engine holds no user database: every server-side decision is an [`AuthEvent::Request`]
//! answered by id with [`crate::Connection::answer_auth`] (or, for keyboard-interactive,
//! [`crate::Connection::answer_kbd_prompts`]). Client-side questions (prompts, password change)
//! are answered with [`crate::Connection::answer_prompts`] / [`crate::Connection::change_password`].

use crate::keys::{HostKeyAlg, PublicKey, SkVerified};
use crate::pki::CertificateCheck;
use zeroize::Zeroizing;

/// A secret string (password, prompt response): zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Secret(Zeroizing::new(s.into()))
    }
    /// The secret text.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One keyboard-interactive prompt (RFC 4256 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The text shown to the user (e.g. `Password: `).
    pub text: String,
    /// Whether the user's answer may be echoed.
    pub echo: bool,
}

impl Prompt {
    /// A prompt.
    #[must_use]
    pub fn new(text: impl Into<String>, echo: bool) -> Self {
        Prompt {
            text: text.into(),
            echo,
        }
    }
}

/// What a client is trying, as the server's application sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `none` (asked only when `"none"` is in [`super::ServerAuthConfig::methods`]).
    None,
    /// `password`; `new_password` is set when the client answers a password-change request.
    Password {
        /// The (old) password.
        password: Secret,
        /// The new password (RFC 4252 §8 change request).
        new_password: Option<Secret>,
    },
    /// `publickey` without a signature: would this key be accepted? `Accept` sends PK_OK.
    PublicKeyQuery {
        /// The key.
        key: PublicKey,
        /// The signature algorithm the client will use.
        alg: HostKeyAlg,
    },
    /// `publickey` with a signature the engine has already verified: is this key allowed?
    PublicKey {
        /// The key (its signature over the session is valid).
        key: PublicKey,
        /// The signature algorithm used.
        alg: HostKeyAlg,
    },
    /// `publickey` with an `x509v3-*` algorithm (RFC 6187): the engine has validated the chain
    /// against [`super::ServerAuthConfig::trustpoints`] and, if `signed`, verified the signature
    /// with the leaf's key. With a valid chain the application maps the certificate to a login
    /// (e.g. [`crate::pki::Identity::username`], IOS `authorization username subjectname
    /// commonname`) and decides: `Accept` on a query sends PK_OK, on a signed request succeeds.
    /// With a refused chain (`check.refusal()`) the request fails whatever the answer; the
    /// event is there for the application to log the reason.
    Certificate {
        /// What the chain check found (the validated identity, or the refusal).
        check: Box<CertificateCheck>,
        /// A signed request (the signature verified) rather than a query.
        signed: bool,
    },
    /// `publickey` with an OpenSSH certificate (`*-cert-v01@openssh.com`, PROTOCOL.certkeys),
    /// asked only with [`super::ServerAuthConfig::openssh_certificates`]. The engine has parsed
    /// the certificate and, if `signed`, verified the request's signature with the certified
    /// key; nothing more. The application checks the rest, as sshd with `TrustedUserCAKeys`:
    /// [`crate::keys::openssh_cert_check::check`] against its CAs at its own clock (the CA
    /// signature, a user certificate, the principal, validity), then honours what it returns
    /// (`force-command`, `source-address`) and the extensions (`permit-pty`, ...). `Accept` on
    /// a query sends PK_OK, on a signed request succeeds.
    OpenSshCertificate {
        /// The parsed certificate (not yet checked against any CA).
        cert: Box<crate::keys::openssh_cert::OpenSshCert>,
        /// The signature algorithm of the certified key (`rsa-sha2-512` for
        /// `rsa-sha2-512-cert-v01@openssh.com`).
        alg: HostKeyAlg,
        /// A signed request (the signature verified) rather than a query.
        signed: bool,
    },
    /// `publickey` with a FIDO security key (`sk-ecdsa-sha2-nistp256@openssh.com`, signed as
    /// that or as `webauthn-sk-ecdsa-sha2-nistp256@openssh.com` from a browser). `signature` is
    /// `None` for a query; for a signed request the engine has verified the signature and it
    /// says what the authenticator reported. The engine requires nothing of the flags: as sshd,
    /// the application should refuse a signature without [`SkVerified::user_present`] unless
    /// the key's authorized_keys line says `no-touch-required`, and one without
    /// [`SkVerified::user_verified`] if it says `verify-required`.
    SecurityKey {
        /// The key (its application is the relying party it is bound to).
        key: PublicKey,
        /// The verified signature's flags and counter, or `None` for a query.
        signature: Option<SkVerified>,
    },
    /// `keyboard-interactive` starts: answer with prompts or a verdict.
    KeyboardInteractive {
        /// The client's submethods hint (RFC 4256 §3.1).
        submethods: String,
    },
    /// The client's answers to the last prompts (as many as prompts were sent).
    KeyboardInteractiveResponses {
        /// One answer per prompt, in order.
        responses: Vec<Secret>,
    },
}

/// The application's decision on an [`AuthEvent::Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthVerdict {
    /// Authenticated (or, for a public key query, "this key would do": PK_OK is sent).
    Accept,
    /// Refused: USERAUTH_FAILURE (counted against `max_attempts`, delayed by `failure_delay`).
    Reject,
    /// This method succeeded but more are required (RFC 4252 §5.1): USERAUTH_FAILURE with
    /// partial success TRUE. `None` lists the configured methods minus those already done;
    /// `Some` lists exactly these.
    PartialSuccess {
        /// Methods that can continue, or `None` for the configured ones not yet done.
        remaining_methods: Option<Vec<String>>,
    },
    /// Password method only: the password is right but expired; sends
    /// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ with this prompt (RFC 4252 §8).
    PasswordExpired {
        /// The text shown to the user.
        prompt: String,
    },
}

/// Something user authentication tells the application or asks it to decide.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthEvent {
    /// Client: the server's banner (RFC 4252 §5.4). Show it to the user.
    Banner {
        /// The text (control characters are the application's to filter before display).
        message: String,
    },
    /// Both roles: authentication succeeded; the connection protocol starts.
    Success,
    /// Client: the last request failed. `methods` may continue.
    Failure {
        /// Methods that can continue (RFC 4252 §5.1).
        methods: Vec<String>,
        /// The request succeeded but more methods are needed.
        partial_success: bool,
    },
    /// Client: the server refused the public key query (emitted just before the `Failure`).
    PublicKeyRefused {
        /// `SHA256:...` of the refused key.
        fingerprint: String,
    },
    /// Client: keyboard-interactive prompts (RFC 4256 §3.2); answer with
    /// [`crate::Connection::answer_prompts`] (one answer per prompt, possibly none).
    Prompt {
        /// Answer id.
        id: u64,
        /// Title.
        name: String,
        /// Instruction text.
        instruction: String,
        /// The prompts.
        prompts: Vec<Prompt>,
    },
    /// Client: the server wants the password changed (RFC 4252 §8); answer with
    /// [`crate::Connection::change_password`] or try something else.
    PasswordChangeRequired {
        /// Answer id.
        id: u64,
        /// The server's text.
        prompt: String,
    },
    /// Client: the server accepts the key given to [`crate::Connection::auth_publickey_external`];
    /// sign `data` (the RFC 4252 §7 signed data) with it and answer with
    /// [`crate::Connection::answer_sign_request`] (the whole signature blob). For a security
    /// key through WebAuthn: `navigator.credentials.get` with `data` as the challenge, then
    /// [`crate::keys::webauthn_signature_blob`].
    SignRequest {
        /// Answer id.
        id: u64,
        /// The bytes to sign.
        data: Vec<u8>,
        /// The public key algorithm the request names.
        alg: String,
        /// `SHA256:...` of the key.
        fingerprint: String,
    },
    /// Server: decide on this request with [`crate::Connection::answer_auth`] (or prompts).
    ///
    /// No user enumeration: the engine treats unknown users exactly like known ones, and the
    /// application must too — same verdict shape and the same work (e.g. verify against a dummy
    /// password hash for unknown users) so timing does not tell them apart.
    Request {
        /// Answer id.
        id: u64,
        /// The user name (UTF-8, at most 256 bytes; the same in every request).
        user: String,
        /// What is being tried.
        method: AuthMethod,
    },
}
