//! A real terminal for interactive sessions: a detached `tmux` session on a private socket
//! (so parallel tests, and anyone else's tmux, never share a server), read with
//! `capture-pane`, typed into with `send-keys`, resized with `resize-window`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use super::tools::require_tool;

pub const TMUX: &str = "/usr/bin/tmux";

/// How long [`Tmux::wait_for`] waits for text to appear.
pub const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// One tmux server with one session running a command; the server is killed on drop.
pub struct Tmux {
    socket: PathBuf,
    name: String,
}

impl Tmux {
    /// Starts `command` (through `sh -c`) in a `cols`×`rows` window, with the socket in `dir`.
    pub fn start(dir: &Path, name: &str, cols: u16, rows: u16, command: &str) -> Tmux {
        require_tool(TMUX, "apt-get install tmux");
        let t = Tmux {
            socket: dir.join(format!("tmux-{name}.sock")),
            name: name.to_string(),
        };
        let (x, y) = (cols.to_string(), rows.to_string());
        let out = t.run(&["new-session", "-d", "-s", name, "-x", &x, "-y", &y, command]);
        assert!(out.status.success(), "tmux new-session failed: {out:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(TMUX)
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run tmux {args:?}: {e}"))
    }

    /// The visible screen, one line per row.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen holds `text` at least `count` times; returns the screen.
    pub fn wait_for(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{count}× {text:?}"), |s| {
            s.matches(text).count() >= count
        })
    }

    /// Waits until `done(screen)`; `what` names the wait in the failure message.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {SCREEN_TIMEOUT:?} for {what}; screen:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", &self.name, "-l", text]);
        assert!(out.status.success(), "tmux send-keys failed: {out:?}");
        let out = self.run(&["send-keys", "-t", &self.name, "Enter"]);
        assert!(out.status.success(), "tmux send-keys failed: {out:?}");
    }

    /// Resizes the window (the program in it gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) {
        let (x, y) = (cols.to_string(), rows.to_string());
        let out = self.run(&["resize-window", "-t", &self.name, "-x", &x, "-y", &y]);
        assert!(out.status.success(), "tmux resize-window failed: {out:?}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
