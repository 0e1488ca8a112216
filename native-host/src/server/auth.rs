//! The device's answers to user-authentication questions: local users from the config
//! (IOS `username ... secret ...`, `ip ssh pubkey-chain`), checked against password hashes,
//! authorized keys and IOS key hashes. The engine runs the protocol; this only decides.

use super::passwords::{dummy_verify, verify_password};
use super::users::UserEntry;
use sshgate::userauth::{AuthEvent, AuthMethod, AuthVerdict, Prompt};
use sshgate::{Connection, Error};

/// IOS's wording for the expired-password change (seed: "Enabling ChPass").
pub const EXPIRED_PROMPT: &str = "Your password has expired. Enter a new one now.";

/// Answers one authentication question from the engine.
pub fn on_auth_event(
    conn: &mut Connection,
    users: &[UserEntry],
    event: AuthEvent,
) -> Result<(), Error> {
    let AuthEvent::Request { id, user, method } = event else {
        return Ok(());
    };
    let entry = users.iter().find(|u| u.name == user);
    match method {
        AuthMethod::Password {
            password,
            new_password,
        } => {
            let ok = check_password(entry, password.expose());
            let verdict = match (ok, entry.is_some_and(|u| u.password_expired), new_password) {
                (true, true, None) => AuthVerdict::PasswordExpired {
                    prompt: EXPIRED_PROMPT.to_string(),
                },
                (true, _, _) => AuthVerdict::Accept,
                (false, _, _) => AuthVerdict::Reject,
            };
            conn.answer_auth(id, verdict)?;
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
            let ok = responses.len() == 1 && check_password(entry, responses[0].expose());
            conn.answer_auth(
                id,
                if ok {
                    AuthVerdict::Accept
                } else {
                    AuthVerdict::Reject
                },
            )?;
        }
        _ => conn.answer_auth(id, AuthVerdict::Reject)?,
    }
    Ok(())
}

/// Verifies a password; an unknown user (or one without a password) costs the same time, so
/// timing does not tell which users exist.
fn check_password(entry: Option<&UserEntry>, password: &str) -> bool {
    match entry.and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => verify_password(hash, password),
        None => {
            dummy_verify(password);
            false
        }
    }
}
