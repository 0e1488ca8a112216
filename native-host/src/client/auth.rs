//! The `ssh` command's user authentication, in OpenSSH's order and words: `none` first to learn
//! the server's methods, then public keys (each identity file in turn), keyboard-interactive and
//! password, each only if the server lists it and the user did not switch it off; up to
//! `NumberOfPasswordPrompts` tries of the two that ask the person. Ends with success, or with
//! `user@host: Permission denied (methods).` when nothing is left.
//!
//! The engine runs the protocol; this decides what to try next. Questions for the person go to
//! the terminal on a blocking thread ([`prompt::ask`]) and their answers come back by ticket, so
//! the connection keeps running while someone types.

use super::identity::{self, Loaded};
use super::openssh_certs;
use super::peer_text;
use super::prompt::{self, Question, Source};
use crate::app_msg::AppMsg;
use sshgate::Connection;
use sshgate::keys::PrivateKey;
use sshgate::keys::openssh_cert::OpenSshCert;
use sshgate::pki::CertifiedKey;
use sshgate::userauth::{AuthEvent, Prompt};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// Settings for one run.
pub struct AuthSettings {
    /// The login name.
    pub user: String,
    /// The host as typed (for `user@host's password:`).
    pub host: String,
    /// Methods in our order of preference.
    pub methods: Vec<String>,
    /// An X.509 certificate identity, offered before the identity files.
    pub certificate: Option<Arc<CertifiedKey>>,
    /// Identity files to offer, in order.
    pub identities: Vec<PathBuf>,
    /// Whether the user named them (a missing one is then worth a warning).
    pub identities_given: bool,
    /// Tries of password and of keyboard-interactive.
    pub password_prompts: u32,
    /// Where answers come from.
    pub source: Source,
    /// `-v`.
    pub verbose: bool,
}

/// Someone other than the local terminal who answers the questions: the device CLI's `ssh`
/// asks its user through the inbound session. Answers come back through
/// [`Authenticator::on_answers`] with the ticket.
pub trait Asker: Send {
    /// Shows `preface` lines, then asks `questions`.
    fn ask(&self, ticket: u64, preface: Vec<String>, questions: Vec<Question>);
    /// Shows text from the server or about the login (a banner, a notice).
    fn show(&self, text: &str);
}

/// What the handler should do after an authentication step.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Waiting for the server or the person.
    Pending,
    /// Authenticated with this method.
    Done(String),
    /// Nothing left to try: the message for the user.
    Denied(String),
}

/// What an outstanding question is for.
enum Waiting {
    Passphrase {
        path: PathBuf,
        text: Zeroizing<String>,
    },
    Password,
    Prompts {
        id: u64,
    },
    NewPassword {
        id: u64,
    },
}

/// The client's authentication state.
pub struct Authenticator {
    s: AuthSettings,
    app: mpsc::Sender<AppMsg>,
    identities: VecDeque<PathBuf>,
    /// The server's methods from its last USERAUTH_FAILURE.
    server_methods: Vec<String>,
    /// The method in flight, for messages.
    current: &'static str,
    password_tries: u32,
    kbd_tries: u32,
    /// `SSHPASS` was used for a password (it is tried once; a wrong one stays wrong).
    env_password_used: bool,
    /// `SSHPASS` answered keyboard-interactive prompts once.
    env_kbd_used: bool,
    /// The last password sent, for a change request.
    last_password: Option<Zeroizing<String>>,
    waiting: Option<(u64, Waiting)>,
    next_ticket: u64,
    /// Where questions go instead of the terminal.
    asker: Option<Box<dyn Asker>>,
    /// The password question instead of OpenSSH's `user@host's password: `.
    password_prompt: Option<String>,
    /// `CertificateFile`s, offered with the identity whose key they certify.
    certificate_files: Vec<PathBuf>,
    /// A loaded identity's OpenSSH certificates, then its plain key, still to offer.
    queued: VecDeque<(PathBuf, Arc<PrivateKey>, Option<OpenSshCert>)>,
}

impl Authenticator {
    /// A new run; questions' answers are reported on `app`.
    #[must_use]
    pub fn new(s: AuthSettings, app: mpsc::Sender<AppMsg>) -> Self {
        Authenticator {
            identities: s.identities.iter().cloned().collect(),
            s,
            app,
            server_methods: Vec::new(),
            current: "none",
            password_tries: 0,
            kbd_tries: 0,
            env_password_used: false,
            env_kbd_used: false,
            last_password: None,
            waiting: None,
            next_ticket: 1,
            asker: None,
            password_prompt: None,
            certificate_files: Vec::new(),
            queued: VecDeque::new(),
        }
    }

    /// Offers the OpenSSH certificates in `files` (`-o CertificateFile`) with the identities
    /// whose keys they certify (`KEY-cert.pub` beside an identity is found without this).
    #[must_use]
    pub fn with_certificate_files(mut self, files: Vec<PathBuf>) -> Self {
        self.certificate_files = files;
        self
    }

    /// Asks `asker` instead of the terminal, with `password_prompt` (e.g. IOS's `Password: `)
    /// as the password question if given.
    #[must_use]
    pub fn with_asker(mut self, asker: Box<dyn Asker>, password_prompt: Option<String>) -> Self {
        self.asker = Some(asker);
        self.password_prompt = password_prompt;
        self
    }

    /// Shows `text` to the person (the asker, or standard error).
    fn say(&self, text: &str) {
        match &self.asker {
            Some(a) => a.show(text),
            None => eprint!("{text}"),
        }
    }

    fn debug(&self, msg: &str) {
        if self.s.verbose {
            eprintln!("debug1: {msg}");
        }
    }

    /// After SERVICE_ACCEPT: `none` tells which methods the server offers (RFC 4252 §5.2).
    pub fn begin(&mut self, conn: &mut Connection) -> Step {
        self.current = "none";
        match conn.auth_none(&self.s.user) {
            Ok(()) => Step::Pending,
            Err(e) => Step::Denied(format!("cannot start authentication: {e}")),
        }
    }

    /// An authentication event from the engine.
    pub fn on_event(&mut self, conn: &mut Connection, ev: AuthEvent) -> Step {
        match ev {
            AuthEvent::Banner { message } => {
                self.say(&peer_text::block(&message));
                Step::Pending
            }
            AuthEvent::Success => {
                self.last_password = None;
                Step::Done(self.current.to_string())
            }
            AuthEvent::PublicKeyRefused { fingerprint } => {
                self.debug(&format!("Server refused key {fingerprint}"));
                Step::Pending
            }
            AuthEvent::Failure {
                methods,
                partial_success,
            } => {
                if partial_success {
                    self.say(&format!(
                        "Authenticated using \"{}\" with partial success.\n",
                        self.current
                    ));
                }
                self.debug(&format!(
                    "Authentications that can continue: {}",
                    peer_text::line(&methods.join(","))
                ));
                self.server_methods = methods;
                self.advance(conn)
            }
            AuthEvent::Prompt {
                id,
                name,
                instruction,
                prompts,
            } => self.on_prompts(conn, id, &name, &instruction, prompts),
            AuthEvent::PasswordChangeRequired { id, prompt } => {
                if !matches!(self.s.source, Source::Terminal) {
                    // Nobody to type a new password: give up on this method.
                    self.say(&format!("{}\n", peer_text::block(&prompt)));
                    return self.advance(conn);
                }
                let preface = vec![peer_text::block(&prompt)];
                self.ask(
                    Waiting::NewPassword { id },
                    preface,
                    vec![
                        Question::secret("Enter new password: "),
                        Question::secret("Retype new password: "),
                    ],
                );
                Step::Pending
            }
            _ => Step::Pending,
        }
    }

    /// The person answered (or the terminal failed: `None`).
    pub fn on_answers(
        &mut self,
        conn: &mut Connection,
        ticket: u64,
        answers: Option<Vec<Zeroizing<String>>>,
    ) -> Step {
        let Some((t, waiting)) = self.waiting.take() else {
            return Step::Pending;
        };
        if t != ticket {
            self.waiting = Some((t, waiting));
            return Step::Pending;
        }
        let Some(answers) = answers else {
            // End of input at a prompt: as OpenSSH, stop asking for anything.
            self.s.source = Source::Nothing;
            return match waiting {
                Waiting::Prompts { id } => self.answer_prompts(conn, id, Vec::new(), 0),
                _ => self.advance(conn),
            };
        };
        match waiting {
            Waiting::Passphrase { path, text } => {
                let pass = answers.first().map_or("", |a| a.as_str());
                match identity::unlock(&text, pass) {
                    Ok(key) => self.offer(conn, &path, key),
                    Err(_) => {
                        self.debug(&format!("bad passphrase for key {}", path.display()));
                        self.advance(conn)
                    }
                }
            }
            Waiting::Password => match answers.into_iter().next() {
                Some(pw) => self.send_password(conn, pw),
                None => self.advance(conn),
            },
            Waiting::Prompts { id } => {
                let n = answers.len();
                self.answer_prompts(conn, id, answers, n)
            }
            Waiting::NewPassword { id } => self.change_password(conn, id, &answers),
        }
    }

    /// Tries the next method the server accepts: the next identity, another prompt, or gives up.
    fn advance(&mut self, conn: &mut Connection) -> Step {
        let methods = self.s.methods.clone();
        for method in methods {
            if !self.server_methods.contains(&method) {
                continue;
            }
            let step = match method.as_str() {
                "publickey" => self.try_publickey(conn),
                "keyboard-interactive" => self.try_kbd(conn),
                "password" => self.try_password(conn),
                _ => None,
            };
            if let Some(step) = step {
                return step;
            }
        }
        Step::Denied(format!(
            "{}@{}: Permission denied ({}).",
            self.s.user,
            self.s.host,
            peer_text::line(&self.server_methods.join(","))
        ))
    }

    fn try_publickey(&mut self, conn: &mut Connection) -> Option<Step> {
        if let Some(cert) = self.s.certificate.take() {
            let leaf = cert.leaf();
            self.debug(&format!(
                "Offering X.509 certificate: {} (issuer {}, {} in chain)",
                leaf.subject(),
                leaf.issuer(),
                cert.certificates().len()
            ));
            self.current = "publickey";
            match conn.auth_certificate(&self.s.user, cert) {
                Ok(()) => return Some(Step::Pending),
                // E.g. a server that lists no x509v3 algorithm in server-sig-algs.
                Err(e) => self.debug(&format!("certificate not offered: {e}")),
            }
        }
        if let Some(step) = self.offer_queued(conn) {
            return Some(step);
        }
        while let Some(path) = self.identities.pop_front() {
            match identity::load(&path) {
                Loaded::Key(key) => return Some(self.offer(conn, &path, key)),
                Loaded::NeedsPassphrase(text) => {
                    if !matches!(self.s.source, Source::Terminal) {
                        self.debug(&format!(
                            "no passphrase can be asked for key {}, skipped",
                            path.display()
                        ));
                        continue;
                    }
                    let q = Question::secret(format!(
                        "Enter passphrase for key '{}': ",
                        path.display()
                    ));
                    self.ask(Waiting::Passphrase { path, text }, Vec::new(), vec![q]);
                    return Some(Step::Pending);
                }
                Loaded::Missing if self.s.identities_given => eprintln!(
                    "Warning: Identity file {} not accessible: No such file or directory.",
                    path.display()
                ),
                Loaded::Missing => {}
                Loaded::Unusable(why) => {
                    eprintln!("Load key \"{}\": {why}", path.display());
                }
            }
        }
        None
    }

    /// Offers a loaded identity: its OpenSSH certificates first (as OpenSSH does), then the
    /// plain key, each after the server refused the one before.
    fn offer(&mut self, conn: &mut Connection, path: &Path, key: Arc<PrivateKey>) -> Step {
        for (file, cert) in openssh_certs::for_identity(path, &key, &self.certificate_files) {
            self.queued.push_back((file, key.clone(), Some(cert)));
        }
        self.queued.push_back((path.to_path_buf(), key, None));
        match self.offer_queued(conn) {
            Some(step) => step,
            None => self.advance(conn),
        }
    }

    /// Sends the next queued certificate or key; `None` when none is left that can be sent.
    fn offer_queued(&mut self, conn: &mut Connection) -> Option<Step> {
        while let Some((path, key, cert)) = self.queued.pop_front() {
            self.current = "publickey";
            let sent = match &cert {
                Some(c) => {
                    self.debug(&format!(
                        "Offering public key: {} {}",
                        path.display(),
                        openssh_certs::describe(c)
                    ));
                    conn.auth_openssh_certificate(&self.s.user, key, c)
                }
                None => {
                    let public = key.public();
                    self.debug(&format!(
                        "Offering public key: {} {} {}",
                        path.display(),
                        crate::keyfile::type_label(public.key_type()),
                        public.fingerprint_sha256()
                    ));
                    conn.auth_publickey(&self.s.user, key)
                }
            };
            match sent {
                Ok(()) => return Some(Step::Pending),
                // E.g. an RSA key and a server that takes no RSA signature we allow.
                Err(e) => self.debug(&format!("key {} not offered: {e}", path.display())),
            }
        }
        None
    }

    fn try_kbd(&mut self, conn: &mut Connection) -> Option<Step> {
        let can_answer = match &self.s.source {
            Source::Terminal => true,
            Source::Env(_) => !self.env_kbd_used,
            Source::Nothing => false,
        };
        if !can_answer || self.kbd_tries >= self.s.password_prompts {
            return None;
        }
        self.kbd_tries += 1;
        self.debug("Next authentication method: keyboard-interactive");
        self.current = "keyboard-interactive";
        Some(match conn.auth_keyboard_interactive(&self.s.user, "") {
            Ok(()) => Step::Pending,
            Err(e) => Step::Denied(format!("keyboard-interactive: {e}")),
        })
    }

    fn try_password(&mut self, conn: &mut Connection) -> Option<Step> {
        if self.password_tries >= self.s.password_prompts {
            return None;
        }
        match &self.s.source {
            Source::Terminal => {
                self.password_tries += 1;
                self.debug("Next authentication method: password");
                let q =
                    Question::secret(self.password_prompt.clone().unwrap_or_else(|| {
                        format!("{}@{}'s password: ", self.s.user, self.s.host)
                    }));
                self.ask(Waiting::Password, Vec::new(), vec![q]);
                Some(Step::Pending)
            }
            Source::Env(pw) if !self.env_password_used => {
                let pw = pw.clone();
                self.env_password_used = true;
                self.password_tries += 1;
                self.debug("Next authentication method: password");
                Some(self.send_password(conn, pw))
            }
            _ => None,
        }
    }

    fn send_password(&mut self, conn: &mut Connection, pw: Zeroizing<String>) -> Step {
        self.current = "password";
        let r = conn.auth_password(&self.s.user, &pw);
        self.last_password = Some(pw);
        match r {
            Ok(()) => Step::Pending,
            Err(e) => Step::Denied(format!("password: {e}")),
        }
    }

    fn on_prompts(
        &mut self,
        conn: &mut Connection,
        id: u64,
        name: &str,
        instruction: &str,
        prompts: Vec<Prompt>,
    ) -> Step {
        let n = prompts.len();
        if n == 0 {
            // RFC 4256 §3.3: an empty request still wants an (empty) response.
            return self.answer_prompts(conn, id, Vec::new(), 0);
        }
        match &self.s.source {
            Source::Terminal => {
                let preface = [name, instruction]
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| peer_text::block(t))
                    .collect();
                let questions = prompts
                    .into_iter()
                    .map(|p| Question {
                        text: peer_text::block(&p.text),
                        echo: p.echo,
                    })
                    .collect();
                self.ask(Waiting::Prompts { id }, preface, questions);
                Step::Pending
            }
            Source::Env(pw) if !self.env_kbd_used => {
                // SSHPASS answers the hidden prompts of the first round (the password); a
                // second round (a new password, a token) cannot be answered from it.
                self.env_kbd_used = true;
                let answers = prompts
                    .iter()
                    .map(|p| {
                        if p.echo {
                            Zeroizing::new(String::new())
                        } else {
                            pw.clone()
                        }
                    })
                    .collect();
                self.answer_prompts(conn, id, answers, n)
            }
            _ => {
                let empty = (0..n).map(|_| Zeroizing::new(String::new())).collect();
                self.answer_prompts(conn, id, empty, n)
            }
        }
    }

    fn answer_prompts(
        &mut self,
        conn: &mut Connection,
        id: u64,
        answers: Vec<Zeroizing<String>>,
        n: usize,
    ) -> Step {
        let mut responses: Vec<String> = answers.iter().map(|a| a.to_string()).collect();
        responses.resize(n, String::new());
        match conn.answer_prompts(id, responses) {
            Ok(()) => Step::Pending,
            Err(e) => Step::Denied(format!("keyboard-interactive: {e}")),
        }
    }

    fn change_password(
        &mut self,
        conn: &mut Connection,
        id: u64,
        answers: &[Zeroizing<String>],
    ) -> Step {
        let (Some(new), Some(again)) = (answers.first(), answers.get(1)) else {
            return self.advance(conn);
        };
        if new != again {
            self.say("Mismatch; try again, EOF to quit.\n");
            self.ask(
                Waiting::NewPassword { id },
                Vec::new(),
                vec![
                    Question::secret("Enter new password: "),
                    Question::secret("Retype new password: "),
                ],
            );
            return Step::Pending;
        }
        let old = self.last_password.clone().unwrap_or_default();
        match conn.change_password(id, &old, new) {
            Ok(()) => {
                self.last_password = Some(new.clone());
                Step::Pending
            }
            Err(e) => Step::Denied(format!("password change: {e}")),
        }
    }

    fn ask(&mut self, what: Waiting, preface: Vec<String>, questions: Vec<Question>) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.waiting = Some((ticket, what));
        match &self.asker {
            Some(a) => a.ask(ticket, preface, questions),
            None => prompt::ask(ticket, preface, questions, self.app.clone()),
        }
    }
}
