//! The local terminal for an interactive session: raw mode while the session runs (restored on
//! drop, also when the session fails), the window size for `pty-req` and `window-change`, and
//! the SIGWINCH watcher.

use crate::app_msg::AppMsg;
use rustix::termios::{OptionalActions, Termios, isatty, tcgetattr, tcgetwinsize, tcsetattr};
use std::io::IsTerminal;
use tokio::sync::mpsc;

/// Whether standard input is a terminal.
#[must_use]
pub fn stdin_is_tty() -> bool {
    isatty(rustix::stdio::stdin())
}

/// The terminal size (columns, rows, width px, height px), from stdout or stdin.
#[must_use]
pub fn size() -> Option<(u32, u32, u32, u32)> {
    let ws = if std::io::stdout().is_terminal() {
        tcgetwinsize(rustix::stdio::stdout()).ok()?
    } else {
        tcgetwinsize(rustix::stdio::stdin()).ok()?
    };
    Some((
        u32::from(ws.ws_col),
        u32::from(ws.ws_row),
        u32::from(ws.ws_xpixel),
        u32::from(ws.ws_ypixel),
    ))
}

/// Raw mode on standard input until dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Puts the terminal in raw mode (as OpenSSH's `enter_raw_mode`), or `None` if stdin is not
    /// a terminal.
    #[must_use]
    pub fn enter() -> Option<Self> {
        let stdin = rustix::stdio::stdin();
        let saved = tcgetattr(stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(stdin, OptionalActions::Drain, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Drain, &self.saved);
    }
}

/// Reports every terminal resize as [`AppMsg::Resized`].
pub fn watch_resizes(tx: mpsc::Sender<AppMsg>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut winch) = signal(SignalKind::window_change()) else {
        return;
    };
    tokio::spawn(async move {
        while winch.recv().await.is_some() {
            if let Some((cols, rows, _, _)) = size()
                && tx.send(AppMsg::Resized { cols, rows }).await.is_err()
            {
                return;
            }
        }
    });
}
