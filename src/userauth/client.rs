//! The client side: builds requests, tracks which method is in flight (message 60 means PK_OK,
//! PASSWD_CHANGEREQ or INFO_REQUEST depending on it), signs public key requests.

use super::ClientAuthConfig;
use super::events::{AuthEvent, Secret};
use super::messages::{self, MAX_PROMPTS, MAX_SECRET, MAX_USER};
use crate::Error;
use crate::event::Event;
use crate::keys::openssh_cert::OpenSshCert;
use crate::keys::sk_ecdsa::{SK_ECDSA_P256, WEBAUTHN_SK_ECDSA_P256};
use crate::keys::{HostKeyAlg, PrivateKey, PublicKey};
use crate::layer::{Ctx, Signal};
use crate::msg::{USERAUTH_60, USERAUTH_BANNER, USERAUTH_FAILURE, USERAUTH_SUCCESS};
use crate::pki::{CertifiedKey, X509Alg};
use std::sync::Arc;

/// The request whose answer we wait for.
enum InFlight {
    None,
    Password {
        user: String,
    },
    PkQuery {
        user: String,
        key: Arc<PrivateKey>,
        alg: HostKeyAlg,
        blob: Vec<u8>,
    },
    PkSigned {
        fingerprint: String,
    },
    /// A query for a key the application signs with (a security key, an agent).
    ExtQuery {
        user: String,
        key: Box<PublicKey>,
        alg: &'static str,
        blob: Vec<u8>,
    },
    /// PK_OK came; the application was asked (by `id`) to sign `data`.
    ExtSign {
        id: u64,
        key: Box<PublicKey>,
        alg: &'static str,
        blob: Vec<u8>,
        data: Vec<u8>,
        user: String,
    },
    Kbd,
}

/// Longest signature blob the application may hand back (the server's own limit).
const MAX_EXTERNAL_SIGNATURE: usize = 16 * 1024;

pub(crate) struct Client {
    cfg: ClientAuthConfig,
    in_flight: Option<InFlight>,
    next_id: u64,
    /// Prompts shown with this id, expecting this many answers.
    prompt: Option<(u64, usize)>,
    /// Password change asked with this id.
    change: Option<u64>,
    done: bool,
}

fn check_user(user: &str) -> Result<(), Error> {
    if user.len() > MAX_USER {
        return Err(Error::misuse("user name longer than 256 bytes"));
    }
    Ok(())
}

fn check_secret(s: &str) -> Result<(), Error> {
    if s.len() > MAX_SECRET {
        return Err(Error::misuse("password or answer longer than 1024 bytes"));
    }
    Ok(())
}

impl Client {
    pub(crate) fn new(cfg: ClientAuthConfig) -> Self {
        Client {
            cfg,
            in_flight: None,
            next_id: 1,
            prompt: None,
            change: None,
            done: false,
        }
    }

    fn start(&mut self, user: &str, f: InFlight) -> Result<(), Error> {
        if self.done {
            return Err(Error::misuse("already authenticated"));
        }
        check_user(user)?;
        self.prompt = None;
        self.change = None;
        self.in_flight = Some(f);
        Ok(())
    }

    pub(crate) fn none(&mut self, ctx: &mut Ctx<'_>, user: &str) -> Result<(), Error> {
        self.start(user, InFlight::None)?;
        ctx.send(messages::request_head(user, "none").into_vec());
        Ok(())
    }

    pub(crate) fn password(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        pw: &str,
    ) -> Result<(), Error> {
        check_secret(pw)?;
        self.start(
            user,
            InFlight::Password {
                user: user.to_owned(),
            },
        )?;
        let mut w = messages::request_head(user, "password");
        w.bool(false).string(pw.as_bytes());
        ctx.send(w.into_vec());
        Ok(())
    }

    /// RSA: rsa-sha2-512, then rsa-sha2-256 from server-sig-algs (RFC 8332 §3.1), `ssh-rsa`
    /// only if allowed and nothing better is offered; rsa-sha2-512 when the server said nothing.
    fn pick_alg(&self, kt: &str, sig_algs: Option<&[String]>) -> Result<HostKeyAlg, Error> {
        if kt != "ssh-rsa" {
            return HostKeyAlg::ALL
                .iter()
                .copied()
                .find(|a| a.key_type() == kt)
                .ok_or_else(|| Error::misuse("unsupported key type"));
        }
        let Some(list) = sig_algs else {
            return Ok(HostKeyAlg::RsaSha2_512);
        };
        let offered = |a: HostKeyAlg| list.iter().any(|n| n == a.name());
        [HostKeyAlg::RsaSha2_512, HostKeyAlg::RsaSha2_256]
            .into_iter()
            .find(|a| offered(*a))
            .or(self.cfg.allow_ssh_rsa.then_some(HostKeyAlg::SshRsa))
            .ok_or_else(|| Error::misuse("the server accepts no RSA signature algorithm we allow"))
    }

    /// `x509v3-*` for a certified key: the first algorithm the key fits that the server lists
    /// in `server-sig-algs` (asyncssh and PKIX-SSH list theirs); without the list, the first
    /// modern one. The SHA-1 ones (`x509v3-ssh-rsa`, `x509v3-sign-rsa`) only if allowed.
    fn pick_x509(
        &self,
        cert: &CertifiedKey,
        sig_algs: Option<&[String]>,
    ) -> Result<X509Alg, Error> {
        let allowed: Vec<X509Alg> = cert
            .algorithms()
            .into_iter()
            .filter(|a| !a.is_legacy() || self.cfg.allow_ssh_rsa)
            .collect();
        let pick = match sig_algs {
            Some(list) => allowed
                .iter()
                .copied()
                .find(|a| list.iter().any(|n| n == a.name())),
            None => allowed.first().copied(),
        };
        pick.ok_or_else(|| {
            Error::misuse("the server accepts no x509v3 algorithm we allow for this key")
        })
    }

    pub(crate) fn publickey(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        key: Arc<PrivateKey>,
    ) -> Result<(), Error> {
        let alg = self.pick_alg(key.key_type(), ctx.server_sig_algs)?;
        let blob = key.public().to_blob();
        self.query(ctx, user, key, alg, blob)
    }

    /// `publickey` with a certificate chain as the key blob (RFC 6187 §2.1); the signature is
    /// made with the certified key like any other.
    pub(crate) fn certificate(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        cert: &CertifiedKey,
    ) -> Result<(), Error> {
        let x = self.pick_x509(cert, ctx.server_sig_algs)?;
        let blob = cert.blob(x);
        self.query(ctx, user, cert.key().clone(), HostKeyAlg::X509(x), blob)
    }

    /// `publickey` with an OpenSSH certificate of `key` as the key blob (PROTOCOL.certkeys);
    /// the signature is made with `key` like any other.
    pub(crate) fn openssh_certificate(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        key: Arc<PrivateKey>,
        cert: &OpenSshCert,
    ) -> Result<(), Error> {
        let plain = self.pick_alg(key.key_type(), ctx.server_sig_algs)?;
        let alg = super::client_cert::cert_alg(&key, cert, plain)?;
        self.query(ctx, user, key, HostKeyAlg::OpenSshCert(alg), cert.to_blob())
    }

    /// `publickey` with a key whose private half the application holds: a query first, then
    /// (after PK_OK) [`AuthEvent::SignRequest`] and the application's signature. A security key
    /// names `sk-ecdsa-sha2-nistp256@openssh.com` (whichever signature format follows) unless
    /// `alg` says otherwise or the server's `server-sig-algs` lists only the webauthn name;
    /// other keys as
    /// [`Client::publickey`] picks, or `alg` if given and the key fits it.
    pub(crate) fn publickey_external(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        key: PublicKey,
        alg: Option<&str>,
    ) -> Result<(), Error> {
        let alg = if key.key_type() == SK_ECDSA_P256 {
            let listed = |n: &str| ctx.server_sig_algs.is_none_or(|l| l.iter().any(|x| x == n));
            match alg {
                Some(a) if a == SK_ECDSA_P256 => SK_ECDSA_P256,
                Some(a) if a == WEBAUTHN_SK_ECDSA_P256 => WEBAUTHN_SK_ECDSA_P256,
                Some(_) => {
                    return Err(Error::misuse(
                        "a security key signs only as sk- or webauthn-sk-",
                    ));
                }
                // The key type's name even for a webauthn signature: sshd verifies either
                // format under it, while before OpenSSH 10.3 its default
                // PubkeyAcceptedAlgorithms leaves the webauthn name out (and its
                // server-sig-algs lists it all the same, so that list cannot tell).
                None if listed(SK_ECDSA_P256) || !listed(WEBAUTHN_SK_ECDSA_P256) => SK_ECDSA_P256,
                None => WEBAUTHN_SK_ECDSA_P256,
            }
        } else {
            let a = match alg {
                Some(n) => HostKeyAlg::from_name(n)
                    .filter(|a| a.x509().is_none() && key.supports(*a))
                    .ok_or_else(|| Error::misuse("the algorithm does not fit the key"))?,
                None => self.pick_alg(key.key_type(), ctx.server_sig_algs)?,
            };
            a.name()
        };
        let blob = key.to_blob();
        let mut w = messages::request_head(user, "publickey");
        w.bool(false).string(alg.as_bytes()).string(&blob);
        let f = InFlight::ExtQuery {
            user: user.to_owned(),
            key: Box::new(key),
            alg,
            blob,
        };
        self.start(user, f)?;
        ctx.send(w.into_vec());
        Ok(())
    }

    /// The application's signature blob for [`AuthEvent::SignRequest`] `id`. It is verified
    /// with the key before it is sent, so a wrong one is an `Err` here (the request stays
    /// open for another try) rather than a failure from the server.
    pub(crate) fn answer_sign_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: u64,
        signature: &[u8],
    ) -> Result<(), Error> {
        let Some(InFlight::ExtSign {
            id: want,
            key,
            alg,
            blob,
            data,
            user,
        }) = &self.in_flight
        else {
            return Err(Error::misuse("no signature request is waiting"));
        };
        if *want != id {
            return Err(Error::misuse(
                "no signature request with this id is waiting",
            ));
        }
        if signature.len() > MAX_EXTERNAL_SIGNATURE {
            return Err(Error::misuse("signature blob longer than 16 KiB"));
        }
        let checked = if key.key_type() == SK_ECDSA_P256 {
            key.verify_security_key(data, signature).map(|_| ())
        } else {
            HostKeyAlg::from_name(alg)
                .ok_or(crate::keys::KeyError::BadSignature)
                .and_then(|a| key.verify(a, data, signature))
        };
        checked.map_err(|e| Error::misuse(format!("the signature does not verify: {e}")))?;
        let mut w = messages::request_head(user, "publickey");
        w.bool(true)
            .string(alg.as_bytes())
            .string(blob)
            .string(signature);
        ctx.send(w.into_vec());
        let fingerprint = key.fingerprint_sha256();
        self.in_flight = Some(InFlight::PkSigned { fingerprint });
        Ok(())
    }

    /// Asks whether `blob` would do (RFC 4252 §7); PK_OK leads to the signed request.
    fn query(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        key: Arc<PrivateKey>,
        alg: HostKeyAlg,
        blob: Vec<u8>,
    ) -> Result<(), Error> {
        let mut w = messages::request_head(user, "publickey");
        w.bool(false).string(alg.name().as_bytes()).string(&blob);
        let f = InFlight::PkQuery {
            user: user.to_owned(),
            key,
            alg,
            blob,
        };
        self.start(user, f)?;
        ctx.send(w.into_vec());
        Ok(())
    }

    pub(crate) fn keyboard_interactive(
        &mut self,
        ctx: &mut Ctx<'_>,
        user: &str,
        submethods: &str,
    ) -> Result<(), Error> {
        self.start(user, InFlight::Kbd)?;
        let mut w = messages::request_head(user, "keyboard-interactive");
        w.string(b"").string(submethods.as_bytes());
        ctx.send(w.into_vec());
        Ok(())
    }

    pub(crate) fn answer_prompts(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: u64,
        responses: Vec<String>,
    ) -> Result<(), Error> {
        let responses: Vec<Secret> = responses.into_iter().map(Secret::new).collect();
        match self.prompt {
            Some((pid, n)) if pid == id && n == responses.len() => {}
            _ => {
                return Err(Error::misuse(
                    "no prompts with this id, or a wrong number of answers",
                ));
            }
        }
        for r in &responses {
            check_secret(r.expose())?;
        }
        self.prompt = None;
        ctx.send(messages::info_response(&responses));
        Ok(())
    }

    pub(crate) fn change_password(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: u64,
        old: &str,
        new: &str,
    ) -> Result<(), Error> {
        let user = match (&self.in_flight, self.change) {
            (Some(InFlight::Password { user }), Some(c)) if c == id => user.clone(),
            _ => return Err(Error::misuse("no password change request with this id")),
        };
        check_secret(old)?;
        check_secret(new)?;
        self.change = None;
        let mut w = messages::request_head(&user, "password");
        // RFC 4252 §8: the change request carries the old and the new password.
        w.bool(true).string(old.as_bytes()).string(new.as_bytes());
        ctx.send(w.into_vec());
        Ok(())
    }

    pub(crate) fn handle(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<Signal, Error> {
        debug_assert_eq!(ctx.role, crate::Role::Client);
        match payload[0] {
            USERAUTH_BANNER => {
                let message = messages::decode_text(payload, "banner")?;
                ctx.emit(Event::Auth(AuthEvent::Banner { message }));
            }
            USERAUTH_FAILURE => {
                let Some(f) = self.in_flight.take() else {
                    return Err(Error::protocol("USERAUTH_FAILURE without a request"));
                };
                let (methods, partial_success) = messages::decode_failure(payload)?;
                self.prompt = None;
                self.change = None;
                if let InFlight::PkQuery { key, .. } = f {
                    let fingerprint = key.public().fingerprint_sha256();
                    ctx.emit(Event::Auth(AuthEvent::PublicKeyRefused { fingerprint }));
                } else if let InFlight::PkSigned { fingerprint } = f {
                    ctx.emit(Event::Auth(AuthEvent::PublicKeyRefused { fingerprint }));
                } else if let InFlight::ExtQuery { key, .. } | InFlight::ExtSign { key, .. } = f {
                    let fingerprint = key.fingerprint_sha256();
                    ctx.emit(Event::Auth(AuthEvent::PublicKeyRefused { fingerprint }));
                }
                ctx.emit(Event::Auth(AuthEvent::Failure {
                    methods,
                    partial_success,
                }));
            }
            USERAUTH_SUCCESS => {
                if payload.len() != 1 {
                    return Err(Error::protocol("USERAUTH_SUCCESS with trailing bytes"));
                }
                if self.in_flight.take().is_none() {
                    return Err(Error::protocol("USERAUTH_SUCCESS without a request"));
                }
                self.done = true;
                ctx.emit(Event::Auth(AuthEvent::Success));
                return Ok(Signal {
                    authenticated: true,
                });
            }
            USERAUTH_60 => self.on_60(ctx, payload)?,
            n => {
                return Err(Error::protocol(format!(
                    "message {n} is not expected by a client during user authentication"
                )));
            }
        }
        Ok(Signal::default())
    }

    fn on_60(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> Result<(), Error> {
        match self.in_flight.take() {
            Some(InFlight::PkQuery {
                user,
                key,
                alg,
                blob,
            }) => {
                let (a, b) = messages::decode_pk_ok(payload)?;
                if a != alg.name() || b != blob.as_slice() {
                    return Err(Error::protocol(
                        "PK_OK for a key or algorithm not asked about",
                    ));
                }
                let data = messages::pk_signed_data(ctx.session_id, &user, alg.name(), &blob);
                let sig = key
                    .sign(alg, &data, ctx.rng)
                    .map_err(|e| Error::misuse(format!("signing failed: {e}")))?;
                let mut w = messages::request_head(&user, "publickey");
                w.bool(true)
                    .string(alg.name().as_bytes())
                    .string(&blob)
                    .string(&sig);
                ctx.send(w.into_vec());
                let fingerprint = key.public().fingerprint_sha256();
                self.in_flight = Some(InFlight::PkSigned { fingerprint });
            }
            Some(InFlight::ExtQuery {
                user,
                key,
                alg,
                blob,
            }) => {
                let (a, b) = messages::decode_pk_ok(payload)?;
                if a != alg || b != blob.as_slice() {
                    return Err(Error::protocol(
                        "PK_OK for a key or algorithm not asked about",
                    ));
                }
                let data = messages::pk_signed_data(ctx.session_id, &user, alg, &blob);
                let id = self.next_id;
                self.next_id += 1;
                ctx.emit(Event::Auth(AuthEvent::SignRequest {
                    id,
                    data: data.clone(),
                    alg: alg.to_owned(),
                    fingerprint: key.fingerprint_sha256(),
                }));
                self.in_flight = Some(InFlight::ExtSign {
                    id,
                    key,
                    alg,
                    blob,
                    data,
                    user,
                });
            }
            Some(f @ InFlight::Password { .. }) => {
                let prompt = messages::decode_text(payload, "password change prompt")?;
                let id = self.next_id;
                self.next_id += 1;
                self.change = Some(id);
                self.in_flight = Some(f);
                ctx.emit(Event::Auth(AuthEvent::PasswordChangeRequired {
                    id,
                    prompt,
                }));
            }
            Some(InFlight::Kbd) if self.prompt.is_none() => {
                let (name, instruction, prompts) = messages::decode_info_request(payload)?;
                debug_assert!(prompts.len() <= MAX_PROMPTS);
                let id = self.next_id;
                self.next_id += 1;
                self.prompt = Some((id, prompts.len()));
                self.in_flight = Some(InFlight::Kbd);
                ctx.emit(Event::Auth(AuthEvent::Prompt {
                    id,
                    name,
                    instruction,
                    prompts,
                }));
            }
            _ => {
                return Err(Error::protocol(
                    "message 60 does not fit the authentication method in flight",
                ));
            }
        }
        Ok(())
    }
}
