//! The device's answers to user-authentication questions: local users from the config
//! (IOS `username ... secret ...`, `ip ssh pubkey-chain`), checked against password hashes,
//! authorized keys and IOS key hashes, and the IOS "ChPass" change of an expired password
//! (password method: SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; keyboard-interactive: the seed's
//! "Your password has expired." / "New Password:" / "Re-enter New password:" rounds, a mismatch
//! retried). The engine runs the protocol; this only decides. Password hashing is slow by
//! design, so verification is packaged as a [`PasswordCheck`] for the hashing threads
//! (`hash_pool`).

use super::passwords::{DummyHash, Hasher, hash_password};
use super::session_rules::SessionRules;
use super::sk_auth::SkRequest;
use super::users::UserEntry;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, Prompt};
use sshgate::{Connection, Error};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// IOS's wording for the expired-password change (seed: "Enabling ChPass").
pub const EXPIRED_PROMPT: &str = "Your password has expired. Enter a new one now.";
/// Keyboard-interactive instruction when the password must change.
const EXPIRED_INSTRUCTION: &str = "Your password has expired.\nEnter a new one now.";
/// Keyboard-interactive instruction after two different new passwords.
const MISMATCH_INSTRUCTION: &str =
    "The New and Re-entered passwords have to be the same.\nTry again.";

/// Passwords changed while the server runs (user → PHC hash); they replace the file's hash and
/// clear its `password_expired`.
#[derive(Debug, Default)]
pub struct ChangedPasswords(Mutex<HashMap<String, String>>);

impl ChangedPasswords {
    fn get(&self, user: &str) -> Option<String> {
        self.lock().get(user).cloned()
    }

    fn set(&self, user: &str, hash: String) {
        self.lock().insert(user.to_string(), hash);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where a connection's keyboard-interactive exchange stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KbdStage {
    /// The next answers are the password.
    #[default]
    Password,
    /// The next answers are the new password, twice.
    NewPassword,
}

/// What a verification decided.
#[derive(Debug)]
pub enum Outcome {
    /// Answer the request with this verdict.
    Verdict(AuthVerdict),
    /// Keyboard-interactive: the password was right but has expired; ask for a new one.
    AskNewPassword,
}

/// A password to verify (and perhaps a new one to store) off the async workers.
pub struct PasswordCheck {
    /// The request to answer.
    pub id: u64,
    user: String,
    hash: Option<String>,
    password: Zeroizing<String>,
    /// The password has expired and must be changed.
    expired: bool,
    /// A new password that replaces the old one once the old one is verified.
    new_password: Option<Zeroizing<String>>,
    /// Keyboard-interactive (an expired password leads to more prompts instead of CHANGEREQ).
    interactive: bool,
}

impl PasswordCheck {
    /// Runs the check (blocking) with `hasher`'s memory and returns what to answer; an unknown
    /// user (or one without a password) is checked against `dummy`, the same work as a real one.
    #[must_use]
    pub fn run(
        &self,
        hasher: &mut Hasher,
        dummy: &DummyHash,
        changed: &ChangedPasswords,
    ) -> Outcome {
        let ok = match &self.hash {
            Some(hash) => hasher.verify(hash, &self.password),
            None => {
                // The same time as a real user, so timing tells nothing; never a match.
                std::hint::black_box(hasher.verify(dummy.phc(), &self.password));
                false
            }
        };
        if !ok {
            return Outcome::Verdict(AuthVerdict::Reject);
        }
        if let Some(new) = &self.new_password {
            return Outcome::Verdict(store(changed, &self.user, new));
        }
        match (self.expired, self.interactive) {
            (false, _) => Outcome::Verdict(AuthVerdict::Accept),
            (true, false) => Outcome::Verdict(AuthVerdict::PasswordExpired {
                prompt: EXPIRED_PROMPT.to_string(),
            }),
            (true, true) => Outcome::AskNewPassword,
        }
    }
}

#[cfg(test)]
impl PasswordCheck {
    /// A password-method check of `password` against `hash` (`None`: unknown user).
    pub(crate) fn for_test(id: u64, hash: Option<String>, password: &str) -> Self {
        PasswordCheck {
            id,
            user: "test".into(),
            hash,
            password: Zeroizing::new(password.to_string()),
            expired: false,
            new_password: None,
            interactive: false,
        }
    }
}

/// Hashes and records a new password; refuses an empty one.
fn store(changed: &ChangedPasswords, user: &str, new: &str) -> AuthVerdict {
    if new.is_empty() {
        return AuthVerdict::Reject;
    }
    match hash_password(new) {
        Ok(hash) => {
            changed.set(user, hash);
            tracing::info!(user = %log_text(user), "password changed");
            AuthVerdict::Accept
        }
        Err(e) => {
            tracing::warn!(user = %log_text(user), error = %e, "cannot hash the new password");
            AuthVerdict::Reject
        }
    }
}

/// A new password typed twice in keyboard-interactive, to store (blocking) after the match.
pub struct NewPassword {
    /// The request to answer.
    pub id: u64,
    user: String,
    password: Zeroizing<String>,
}

impl NewPassword {
    /// Hashes and records it (blocking).
    #[must_use]
    pub fn run(&self, changed: &ChangedPasswords) -> AuthVerdict {
        store(changed, &self.user, &self.password)
    }
}

/// Work the caller must finish off the async workers.
pub enum Pending {
    /// Verify a password.
    Check(PasswordCheck),
    /// Store a new password.
    Store(NewPassword),
}

impl Pending {
    /// The request it answers.
    #[must_use]
    pub fn id(&self) -> u64 {
        match self {
            Pending::Check(c) => c.id,
            Pending::Store(n) => n.id,
        }
    }
}

/// Peer text (a user name) as one bounded log field.
#[must_use]
pub fn log_text(text: &str) -> String {
    sshgate::text::for_log(text, sshgate::text::LOG_MAX_CHARS)
}

fn prompt(text: &str) -> Prompt {
    Prompt {
        text: text.to_string(),
        echo: false,
    }
}

/// Asks for the new password twice (keyboard-interactive).
pub fn ask_new_password(conn: &mut Connection, id: u64, retry: bool) -> Result<(), Error> {
    let instruction = if retry {
        MISMATCH_INSTRUCTION
    } else {
        EXPIRED_INSTRUCTION
    };
    conn.answer_kbd_prompts(
        id,
        "",
        instruction,
        vec![prompt("New Password: "), prompt("Re-enter New password: ")],
    )
}

/// Accepts `key` if the user's authorized_keys (from the client's address, not expired) or key
/// hashes allow it; for a signed request, records what the line allows in `rules`.
fn answer_key(
    conn: &mut Connection,
    id: u64,
    entry: Option<&UserEntry>,
    key: &sshgate::keys::PublicKey,
    peer: IpAddr,
    rules: Option<&mut Option<SessionRules>>,
) -> Result<(), Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let admitted = entry.and_then(|u| u.admit_key(key, peer, now));
    let verdict = if admitted.is_some() {
        AuthVerdict::Accept
    } else {
        AuthVerdict::Reject
    };
    if let (Some(slot), Some(r)) = (rules, admitted) {
        *slot = Some(r);
    }
    conn.answer_auth(id, verdict)
}

/// One connection's authentication state, as the answers need it.
pub struct AuthState<'a> {
    /// The client's address (authorized_keys `from=`).
    pub peer: IpAddr,
    /// This connection's keyboard-interactive state.
    pub stage: &'a mut KbdStage,
    /// Set when a signed public key is accepted: what its authorized_keys line allows.
    pub rules: &'a mut Option<SessionRules>,
}

/// Answers one authentication question from the engine, or returns the slow part for the
/// caller to run on a blocking thread.
pub fn on_auth_event(
    conn: &mut Connection,
    users: &[UserEntry],
    changed: &ChangedPasswords,
    state: AuthState<'_>,
    event: AuthEvent,
) -> Result<Option<Pending>, Error> {
    let AuthState { peer, stage, rules } = state;
    let AuthEvent::Request { id, user, method } = event else {
        return Ok(None);
    };
    let entry = users.iter().find(|u| u.name == user);
    let override_hash = changed.get(&user);
    let expired = override_hash.is_none() && entry.is_some_and(|u| u.password_expired);
    let hash = override_hash.or_else(|| entry.and_then(|u| u.password_hash.clone()));
    let check = |password: &str, new_password: Option<&str>, interactive: bool| PasswordCheck {
        id,
        user: user.clone(),
        hash: hash.clone(),
        password: Zeroizing::new(password.to_string()),
        expired,
        new_password: new_password.map(|p| Zeroizing::new(p.to_string())),
        interactive,
    };
    match method {
        AuthMethod::Password {
            password,
            new_password,
        } => {
            let new = new_password.as_ref().map(|p| p.expose());
            return Ok(Some(Pending::Check(check(password.expose(), new, false))));
        }
        AuthMethod::PublicKeyQuery { key, .. } => {
            answer_key(conn, id, entry, &key, peer, None)?;
        }
        AuthMethod::PublicKey { key, .. } => answer_key(conn, id, entry, &key, peer, Some(rules))?,
        AuthMethod::SecurityKey { key, signature } => {
            let req = SkRequest {
                id,
                user: &user,
                peer,
                key: &key,
                signature: signature.as_ref(),
            };
            super::sk_auth::answer(conn, &req, entry, rules)?;
        }
        AuthMethod::KeyboardInteractive { .. } => {
            *stage = KbdStage::Password;
            conn.answer_kbd_prompts(id, "", "", vec![prompt("Password: ")])?;
        }
        AuthMethod::KeyboardInteractiveResponses { responses } => match *stage {
            KbdStage::Password => {
                let pending = match responses.as_slice() {
                    [one] => check(one.expose(), None, true),
                    // Wrong number of answers: still pay the hashing time, then fail.
                    _ => PasswordCheck {
                        hash: None,
                        ..check("", None, true)
                    },
                };
                return Ok(Some(Pending::Check(pending)));
            }
            KbdStage::NewPassword => match responses.as_slice() {
                [a, b] if a.expose() == b.expose() && !a.expose().is_empty() => {
                    *stage = KbdStage::Password;
                    return Ok(Some(Pending::Store(NewPassword {
                        id,
                        user,
                        password: Zeroizing::new(a.expose().to_string()),
                    })));
                }
                [_, _] => ask_new_password(conn, id, true)?,
                _ => conn.answer_auth(id, AuthVerdict::Reject)?,
            },
        },
        _ => conn.answer_auth(id, AuthVerdict::Reject)?,
    }
    Ok(None)
}
