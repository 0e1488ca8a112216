//! The device's answers to user-authentication questions: local users from the config
//! (IOS `username ... secret ...`, `ip ssh pubkey-chain`), checked against password hashes,
//! authorized keys and IOS key hashes. The engine runs the protocol; this only decides.

use super::passwords::{dummy_verify, verify_password};
use super::users::UserEntry;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, Prompt};
use sshgate::{Connection, Error};
use zeroize::Zeroizing;

/// IOS's wording for the expired-password change (seed: "Enabling ChPass").
pub const EXPIRED_PROMPT: &str = "Your password has expired. Enter a new one now.";

/// A password to verify off the async workers (argon2 and scrypt take tens of milliseconds).
pub struct PasswordCheck {
    /// The request to answer.
    pub id: u64,
    hash: Option<String>,
    password: Zeroizing<String>,
    /// The user must change the password, and this request did not carry a new one.
    change_due: bool,
}

impl PasswordCheck {
    /// Runs the check (blocking) and returns the verdict.
    #[must_use]
    pub fn verdict(&self) -> AuthVerdict {
        let ok = match &self.hash {
            Some(hash) => verify_password(hash, &self.password),
            None => {
                // Unknown user, or no password: the same time, so timing tells nothing.
                dummy_verify(&self.password);
                false
            }
        };
        match (ok, self.change_due) {
            (true, true) => AuthVerdict::PasswordExpired {
                prompt: EXPIRED_PROMPT.to_string(),
            },
            (true, false) => AuthVerdict::Accept,
            (false, _) => AuthVerdict::Reject,
        }
    }
}

/// Answers one authentication question from the engine; a password comes back as a
/// [`PasswordCheck`] for the caller to run on a blocking thread.
pub fn on_auth_event(
    conn: &mut Connection,
    users: &[UserEntry],
    event: AuthEvent,
) -> Result<Option<PasswordCheck>, Error> {
    let AuthEvent::Request { id, user, method } = event else {
        return Ok(None);
    };
    let entry = users.iter().find(|u| u.name == user);
    let check = |password: &str, change_due: bool| PasswordCheck {
        id,
        hash: entry.and_then(|u| u.password_hash.clone()),
        password: Zeroizing::new(password.to_string()),
        change_due,
    };
    match method {
        AuthMethod::Password {
            password,
            new_password,
        } => {
            let change_due = entry.is_some_and(|u| u.password_expired) && new_password.is_none();
            return Ok(Some(check(password.expose(), change_due)));
        }
        AuthMethod::PublicKeyQuery { key, .. } | AuthMethod::PublicKey { key, .. } => {
            let allowed =
                entry.is_some_and(|u| u.public_keys().contains(&key) || u.key_hash_matches(&key));
            conn.answer_auth(
                id,
                if allowed {
                    AuthVerdict::Accept
                } else {
                    AuthVerdict::Reject
                },
            )?;
        }
        AuthMethod::KeyboardInteractive { .. } => {
            let prompt = Prompt {
                text: "Password: ".to_string(),
                echo: false,
            };
            conn.answer_kbd_prompts(id, "", "", vec![prompt])?;
        }
        AuthMethod::KeyboardInteractiveResponses { responses } => {
            let answer = match responses.as_slice() {
                [one] => one.expose(),
                // Wrong number of answers: still pay the hashing time, then fail.
                _ => "",
            };
            let mut c = check(answer, false);
            if responses.len() != 1 {
                c.hash = None;
            }
            return Ok(Some(c));
        }
        _ => conn.answer_auth(id, AuthVerdict::Reject)?,
    }
    Ok(None)
}
