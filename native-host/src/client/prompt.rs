//! Asking the person at the keyboard: passwords, passphrases and keyboard-interactive answers.
//!
//! As OpenSSH's `readpassphrase`, questions go to the controlling terminal (`/dev/tty`), never to
//! standard input and output, which carry the session. Reading blocks, so it runs on a blocking
//! thread and the answers come back to the connection task as [`AppMsg::Answers`]; the engine
//! keeps running (re-keys, keepalives) while the person types.
//!
//! With no terminal, a password may come from the `SSHPASS` environment variable (as `sshpass -e`
//! users expect) unless `BatchMode` is on; in batch mode nothing is ever asked.

use crate::app_msg::AppMsg;
use std::io::{BufRead, BufReader, Write};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// The controlling terminal.
const TTY: &str = "/dev/tty";

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The prompt, shown as is (e.g. `lab@router's password: `): a server's prompt is escaped
    /// first ([`super::peer_text::block`]).
    pub text: String,
    /// Whether the answer is shown while typed.
    pub echo: bool,
}

impl Question {
    /// A question whose answer is not echoed.
    #[must_use]
    pub fn secret(text: impl Into<String>) -> Self {
        Question {
            text: text.into(),
            echo: false,
        }
    }
}

/// Where answers can come from.
#[derive(Clone)]
pub enum Source {
    /// The controlling terminal.
    Terminal,
    /// `SSHPASS` (no terminal, not in batch mode): a password, nothing else.
    Env(Zeroizing<String>),
    /// Nowhere (batch mode, or no terminal and no `SSHPASS`).
    Nothing,
}

impl Source {
    /// Decides once per run: a terminal if `/dev/tty` opens, else `SSHPASS`, else nothing.
    #[must_use]
    pub fn detect(batch_mode: bool) -> Self {
        if batch_mode {
            return Source::Nothing;
        }
        if std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(TTY)
            .is_ok()
        {
            return Source::Terminal;
        }
        match std::env::var("SSHPASS") {
            Ok(p) => Source::Env(Zeroizing::new(p)),
            Err(_) => Source::Nothing,
        }
    }
}

/// Shows `preface` lines, then asks `questions` on the terminal, on a blocking thread; the
/// answers (or `None` if the terminal failed or reached end of input) come back as
/// [`AppMsg::Answers`] with `ticket`.
pub fn ask(ticket: u64, preface: Vec<String>, questions: Vec<Question>, tx: mpsc::Sender<AppMsg>) {
    tokio::task::spawn_blocking(move || {
        let answers = ask_blocking(&preface, &questions).ok();
        let _ = tx.blocking_send(AppMsg::Answers { ticket, answers });
    });
}

/// Asks `questions` on the terminal now, blocking: for what must be known before the connection
/// starts (a PKCS#12 passphrase whose certificate names the login user).
pub fn ask_now(questions: &[Question]) -> std::io::Result<Vec<Zeroizing<String>>> {
    ask_blocking(&[], questions)
}

fn ask_blocking(
    preface: &[String],
    questions: &[Question],
) -> std::io::Result<Vec<Zeroizing<String>>> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TTY)?;
    for line in preface {
        writeln!(tty, "{line}")?;
    }
    let mut answers = Vec::with_capacity(questions.len());
    for q in questions {
        let answer = if q.echo {
            write!(tty, "{}", q.text)?;
            tty.flush()?;
            let mut line = Zeroizing::new(String::new());
            if BufReader::new(&tty).read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string())
        } else {
            Zeroizing::new(rpassword::prompt_password(&q.text)?)
        };
        answers.push(answer);
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_mode_never_asks() {
        assert!(matches!(Source::detect(true), Source::Nothing));
    }
}
