//! A terminal for interactive tests: a `tmux` session on its own server socket (`tmux -L`), so
//! tests never share a server or its environment, killed on drop.

use std::process::Command;
use std::time::{Duration, Instant};

use super::tools::require_tool;

/// What the pane prints when the command exits, before its status and `]`.
const EXIT_MARK: &str = "[exit ";

/// How long [`Tmux::wait_for`] waits.
pub const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// A tmux session running one command in a 120×40 window.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new detached session named `name`. When it
    /// exits, the shell prints `[exit N]` and stays, so the screen and the status can be read
    /// (tmux's own `remain-on-exit` overwrites the last line with its notice).
    pub fn start(name: &str, command: &str) -> Tmux {
        Tmux::start_sized(name, 120, 40, command)
    }

    /// [`Tmux::start`] in a `cols`×`rows` window.
    pub fn start_sized(name: &str, cols: u16, rows: u16, command: &str) -> Tmux {
        require_tool("/usr/bin/tmux", "apt-get install tmux");
        let t = Tmux {
            socket: format!("sshgate-{name}-{}", std::process::id()),
        };
        let _ = t.tmux(&["kill-server"]).output();
        let line = format!("{command}; printf '\\n{EXIT_MARK}%d]\\n' \"$?\"; exec sleep 3600");
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                &line,
            ])
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session failed for {command:?}");
        t
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).args(args);
        c
    }

    /// The visible screen, lines joined by newlines.
    pub fn screen(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p", "-J", "-t", "t"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen holds `text` at least `count` times; returns the screen.
    pub fn wait_for(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{count}x {text:?}"), |s| {
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
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&self, line: &str) {
        self.send_keys(&["-l", line]);
        self.send_keys(&["Enter"]);
    }

    /// `tmux send-keys` with these arguments (e.g. `["C-d"]`).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        let ok = self.tmux(&args).status().expect("tmux send-keys");
        assert!(ok.success(), "tmux send-keys {keys:?} failed");
    }

    /// Resizes the window (the program in it gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) {
        let ok = self
            .tmux(&[
                "resize-window",
                "-t",
                "t",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
            ])
            .status()
            .expect("tmux resize-window");
        assert!(ok.success(), "tmux resize-window failed");
    }

    /// The exit status of the command once it has exited (the `[exit N]` line).
    pub fn exit_status(&self) -> Option<i32> {
        let screen = self.screen();
        let at = screen.rfind(EXIT_MARK)? + EXIT_MARK.len();
        let rest = &screen[at..];
        rest[..rest.find(']')?].parse().ok()
    }

    /// Waits for the pane's command to exit; returns its status.
    pub fn wait_exit(&self) -> i32 {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            if let Some(code) = self.exit_status() {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "the program did not exit within {SCREEN_TIMEOUT:?}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).output();
    }
}
