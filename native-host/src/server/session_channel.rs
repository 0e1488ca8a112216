//! One session channel on the device: the requests that set it up (`pty-req`, `env`), then
//! what runs on it — the built-in CLI (interactive or one `exec` command) or the user's
//! configured program — and how it ends: output drained, then EOF, the exit status, CLOSE
//! (OpenSSH's order).

use super::cli_session::CliSession;
use super::device_cli::DeviceCli;
use super::process::{self, ProcessHandle, Spawn};
use crate::app_msg::{AppMsg, Exit};
use crate::channel_io::outbox::Item;
use sshgate::Connection;
use sshgate::channel::{ChannelId, ChannelRequest, PtyRequest, WindowSize};
use tokio::sync::mpsc;

/// Client variables a session takes (OpenSSH's default `AcceptEnv LANG LC_*`).
fn accepted_env(name: &str) -> bool {
    name == "LANG" || name.starts_with("LC_")
}

/// What runs on the channel.
enum Runner {
    /// Nothing yet (set-up requests may come).
    Idle,
    /// The interactive device CLI.
    Cli(Box<CliSession>),
    /// A program: its handle, how many output streams are still open, and its exit once known.
    Process {
        handle: ProcessHandle,
        open_streams: u8,
        exit: Option<Exit>,
    },
    /// Finished; the closing items are queued.
    Done,
}

/// One session channel.
pub struct SessionChannel {
    pty: Option<PtyRequest>,
    env: Vec<(String, String)>,
    runner: Runner,
}

impl SessionChannel {
    /// A channel just opened.
    #[must_use]
    pub fn new() -> Self {
        SessionChannel {
            pty: None,
            env: Vec::new(),
            runner: Runner::Idle,
        }
    }

    fn idle(&self) -> bool {
        matches!(self.runner, Runner::Idle)
    }

    /// `pty-req`: accepted once, before the session starts.
    pub fn set_pty(&mut self, p: PtyRequest) -> bool {
        if !self.idle() || self.pty.is_some() {
            return false;
        }
        self.pty = Some(p);
        true
    }

    /// `env`: accepted for the variables OpenSSH accepts by default, before the start.
    pub fn set_env(&mut self, name: String, value: String) -> bool {
        if !self.idle() || !accepted_env(&name) || self.env.len() >= 64 {
            return false;
        }
        self.env.push((name, value));
        true
    }

    /// The client's own request under a forced command, as `SSH_ORIGINAL_COMMAND` (sshd(8)).
    pub fn set_original_command(&mut self, command: &str) {
        self.env
            .push(("SSH_ORIGINAL_COMMAND".into(), command.to_string()));
    }

    /// `window-change`.
    pub fn resize(&mut self, size: WindowSize) {
        if let Some(p) = &mut self.pty {
            p.size = size;
        }
        if let Runner::Process { handle, .. } = &self.runner {
            handle.resize(size);
        }
    }

    /// `signal`: only a running program can take one.
    pub fn signal(&mut self, name: &str) -> bool {
        match &self.runner {
            Runner::Process { handle, .. } => handle.signal(name),
            _ => false,
        }
    }

    fn spawn_spec(&self, argv: Vec<String>, user: &str) -> Spawn {
        let mut env = self.env.clone();
        env.push(("USER".into(), user.into()));
        env.push(("LOGNAME".into(), user.into()));
        Spawn {
            argv,
            env,
            pty: self.pty.clone(),
        }
    }

    fn run_program(
        &mut self,
        spec: &Spawn,
        channel: ChannelId,
        app: &mpsc::Sender<AppMsg>,
    ) -> anyhow::Result<Vec<Item>> {
        let handle = process::spawn(spec, channel, app)?;
        self.runner = Runner::Process {
            handle,
            open_streams: if spec.pty.is_some() { 1 } else { 2 },
            exit: None,
        };
        Ok(Vec::new())
    }

    /// `shell`: the device CLI, or the user's configured program.
    pub fn start_shell(
        &mut self,
        cli: DeviceCli,
        command: Option<&str>,
        user: &str,
        channel: ChannelId,
        app: &mpsc::Sender<AppMsg>,
    ) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        if let Some(cmd) = command {
            let spec = self.spawn_spec(vec!["/bin/sh".into(), "-c".into(), cmd.into()], user);
            return self.run_program(&spec, channel, app);
        }
        let session = CliSession::new(cli);
        let greeting = session.start(None);
        self.runner = Runner::Cli(Box::new(session));
        Ok(vec![Item::data(None, greeting)])
    }

    /// `exec`: a CLI command (answered at once), or the line through `sh -c` for a user with a
    /// configured program.
    pub fn start_exec(
        &mut self,
        mut cli: DeviceCli,
        command: Option<&str>,
        line: &str,
        user: &str,
        channel: ChannelId,
        app: &mpsc::Sender<AppMsg>,
    ) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        if command.is_some() {
            let spec = self.spawn_spec(vec!["/bin/sh".into(), "-c".into(), line.into()], user);
            return self.run_program(&spec, channel, app);
        }
        let (text, status) = cli.run_command(line);
        self.runner = Runner::Done;
        let mut out = vec![Item::data(None, text.into_bytes())];
        out.extend(closing(&Exit::Code(status)));
        Ok(out)
    }

    /// Data from the client.
    pub fn input(&mut self, conn: &mut Connection, channel: ChannelId, data: Vec<u8>) -> Vec<Item> {
        match &mut self.runner {
            Runner::Process { handle, .. } => {
                // The window is given back when the program has the bytes (AppMsg::Written).
                handle.write(data);
                Vec::new()
            }
            Runner::Cli(session) => {
                let _ = conn.consume(channel, data.len());
                let out = session.feed(&data);
                let mut items = vec![Item::data(None, out.bytes)];
                if out.exit {
                    self.runner = Runner::Done;
                    items.extend(closing(&Exit::Code(0)));
                }
                items
            }
            Runner::Idle | Runner::Done => {
                let _ = conn.consume(channel, data.len());
                Vec::new()
            }
        }
    }

    /// EOF from the client.
    pub fn peer_eof(&mut self) {
        if let Runner::Process { handle, .. } = &self.runner {
            handle.eof();
        }
    }

    /// One of the program's output streams ended.
    pub fn output_ended(&mut self, _ext: Option<u32>) -> Vec<Item> {
        if let Runner::Process { open_streams, .. } = &mut self.runner {
            *open_streams = open_streams.saturating_sub(1);
        }
        self.finish_if_done()
    }

    /// The program ended.
    pub fn exited(&mut self, how: Exit) -> Vec<Item> {
        if let Runner::Process { exit, .. } = &mut self.runner {
            *exit = Some(how);
        }
        self.finish_if_done()
    }

    /// Once the program has exited and its output is drained: EOF, status, CLOSE.
    fn finish_if_done(&mut self) -> Vec<Item> {
        let Runner::Process {
            open_streams: 0,
            exit: Some(exit),
            ..
        } = &self.runner
        else {
            return Vec::new();
        };
        let items = closing(exit);
        self.runner = Runner::Done;
        items
    }

    /// The channel closed: a program still running gets SIGHUP, as a hung-up terminal would.
    pub fn hang_up(self) {
        if let Runner::Process {
            handle, exit: None, ..
        } = &self.runner
        {
            handle.signal("HUP");
        }
    }
}

/// EOF, `exit-status` or `exit-signal`, CLOSE.
fn closing(exit: &Exit) -> Vec<Item> {
    let status = match exit {
        Exit::Code(code) => ChannelRequest::ExitStatus { code: *code },
        Exit::Signal { name, core_dumped } => ChannelRequest::ExitSignal {
            signal: name.clone(),
            core_dumped: *core_dumped,
            message: String::new(),
            language: String::new(),
        },
    };
    vec![Item::Eof, Item::Request(status), Item::Close]
}
