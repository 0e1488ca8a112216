//! One session channel on the device: the requests that set it up (`pty-req`, `env`), then
//! what runs on it — the built-in CLI (interactive or one `exec` command) or the user's
//! configured program — and how it ends: output drained, then EOF, the exit status, CLOSE
//! (OpenSSH's order).
//!
//! The interactive CLI answers typed input at once, so a client that pastes commands and does
//! not read their output could make it queue without end: input is taken (and the client's
//! window given back) only while less than [`CLI_BACKLOG`] bytes of output wait for the
//! client's window, as a program's output readers stop at `IN_FLIGHT` chunks.

use super::cli_session::CliSession;
use super::device_cli::DeviceCli;
use super::process::{self, ProcessHandle, Spawn};
use super::run_as::Identity;
use super::session_env::{EnvInputs, session_env};
use crate::app_msg::{AppMsg, Exit};
use crate::channel_io::outbox::Item;
pub use outbound::OutboundLink;
use sshgate::Connection;
use sshgate::channel::{ChannelId, ChannelRequest, PtyRequest, WindowSize};
use std::collections::VecDeque;
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// CLI output waiting for the client's window above which typed input waits too.
pub const CLI_BACKLOG: usize = 64 * 1024;
/// Input fed to the CLI at a time: up to a line end, or this much without one, so the output
/// of one piece is one command's at most.
const CLI_PIECE: usize = 512;

/// The device's own `ssh` command.
#[path = "outbound_ssh.rs"]
pub mod outbound;

/// Client variables a session takes (OpenSSH's default `AcceptEnv LANG LC_*`).
fn accepted_env(name: &str) -> bool {
    name == "LANG" || name.starts_with("LC_")
}

/// What runs on the channel.
enum Runner {
    /// Nothing yet (set-up requests may come).
    Idle,
    /// The interactive device CLI, and typed input it has not taken yet (not consumed: the
    /// client's window stays closed over it). While an `ssh` command runs (`outbound`), the
    /// input goes there instead, and the window comes back as it leaves.
    Cli {
        session: Box<CliSession>,
        held: VecDeque<u8>,
        link: Option<Box<OutboundLink>>,
        outbound: Option<outbound::Outbound>,
    },
    /// A program: its handle, how many output streams are still open, and its exit once known.
    Process {
        handle: ProcessHandle,
        open_streams: u8,
        exit: Option<Exit>,
    },
    /// Finished; the closing items are queued.
    Done,
}

/// A program to start for a session: the forced command, run as `/bin/sh -c COMMAND`.
#[derive(Debug)]
pub struct Program<'a> {
    /// The command line (the user's `command`, or the key's `command=`).
    pub command: &'a str,
    /// What the client asked for (the `exec` line, the subsystem name), for
    /// `SSH_ORIGINAL_COMMAND`.
    pub original: Option<&'a str>,
    /// Who runs it.
    pub identity: Identity,
    /// The client's address.
    pub peer: SocketAddr,
    /// Serve's end of the connection, when known.
    pub local: Option<SocketAddr>,
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

    /// Nothing has started on the channel yet (shell, exec, subsystem or transfer).
    #[must_use]
    pub fn idle(&self) -> bool {
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

    /// `window-change`.
    pub fn resize(&mut self, size: WindowSize) {
        if let Some(p) = &mut self.pty {
            p.size = size;
        }
        match &self.runner {
            Runner::Process { handle, .. } => handle.resize(size),
            Runner::Cli {
                outbound: Some(o), ..
            } => o.resize(size),
            _ => {}
        }
    }

    /// `signal`: only a running program can take one.
    pub fn signal(&mut self, name: &str) -> bool {
        match &self.runner {
            Runner::Process { handle, .. } => handle.signal(name),
            _ => false,
        }
    }

    /// Starts `program` (any of `shell`, `exec`, `subsystem` under a forced command).
    pub fn start_program(
        &mut self,
        program: &Program<'_>,
        channel: ChannelId,
        app: &mpsc::Sender<AppMsg>,
    ) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        let env = session_env(&EnvInputs {
            account: &program.identity.account,
            client_env: &self.env,
            term: self.pty.as_ref().map(|p| p.term.as_str()),
            peer: program.peer,
            local: program.local,
            original_command: program.original,
        });
        let spec = Spawn {
            argv: vec!["/bin/sh".into(), "-c".into(), program.command.into()],
            env,
            pty: self.pty.clone(),
            identity: program.identity.clone(),
        };
        let handle = process::spawn(&spec, channel, app)?;
        self.runner = Runner::Process {
            handle,
            open_streams: if spec.pty.is_some() { 1 } else { 2 },
            exit: None,
        };
        Ok(Vec::new())
    }

    /// Runs a transfer in serve itself ([`process::spawn_in_process`]): one output stream, no
    /// PTY (a requested one is ignored, as the protocol is binary).
    pub fn start_in_process(&mut self, handle: ProcessHandle) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        self.runner = Runner::Process {
            handle,
            open_streams: 1,
            exit: None,
        };
        Ok(Vec::new())
    }

    /// `shell` of a user without a program: the interactive device CLI, whose `ssh` command
    /// connects out through `link` (without one it says it cannot).
    pub fn start_cli_linked(
        &mut self,
        cli: DeviceCli,
        link: Option<OutboundLink>,
    ) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        let session = CliSession::new(cli);
        let greeting = session.start(None);
        self.runner = Runner::Cli {
            session: Box::new(session),
            held: VecDeque::new(),
            link: link.map(Box::new),
            outbound: None,
        };
        Ok(vec![Item::data(None, greeting)])
    }

    /// `exec` of a user without a program: one CLI command, answered at once.
    pub fn run_cli_command(&mut self, mut cli: DeviceCli, line: &str) -> anyhow::Result<Vec<Item>> {
        anyhow::ensure!(self.idle(), "a session already runs on this channel");
        let (text, status) = cli.run_command(line);
        self.runner = Runner::Done;
        let mut out = vec![Item::data(None, text.into_bytes())];
        out.extend(closing(&Exit::Code(status)));
        Ok(out)
    }

    /// Data from the client. The device CLI only holds it here: [`SessionChannel::resume`]
    /// feeds it while the output waiting allows.
    pub fn input(&mut self, conn: &mut Connection, channel: ChannelId, data: Vec<u8>) {
        match &mut self.runner {
            // The window is given back when the program has the bytes (AppMsg::Written).
            Runner::Process { handle, .. } => handle.write(data),
            Runner::Cli { held, .. } => held.extend(data),
            Runner::Idle | Runner::Done => {
                let _ = conn.consume(channel, data.len());
            }
        }
    }

    /// Typed input the device CLI holds (not consumed: the client's window stays closed over
    /// it until the CLI takes it).
    #[must_use]
    pub fn held_input(&self) -> usize {
        match &self.runner {
            Runner::Cli { held, .. } => held.len(),
            _ => 0,
        }
    }

    /// Feeds held input to the CLI piece by piece, giving the client's window back for each,
    /// until it is all taken or `backlog` (the output waiting on the channel) plus what this
    /// call produced reaches [`CLI_BACKLOG`]. The output comes as one item.
    pub fn resume(
        &mut self,
        conn: &mut Connection,
        channel: ChannelId,
        backlog: usize,
    ) -> Vec<Item> {
        let Runner::Cli {
            session,
            held,
            link,
            outbound,
        } = &mut self.runner
        else {
            return Vec::new();
        };
        let mut bytes = Vec::new();
        let mut exited = false;
        while !held.is_empty() && backlog + bytes.len() < CLI_BACKLOG {
            if let Some(o) = outbound {
                // Acknowledged (the window given back) as it reaches the remote side.
                o.send(held.drain(..).collect());
                break;
            }
            let n = held
                .iter()
                .take(CLI_PIECE)
                .position(|&b| b == b'\r' || b == b'\n')
                .map_or(held.len().min(CLI_PIECE), |i| i + 1);
            let piece: Vec<u8> = held.drain(..n).collect();
            let _ = conn.consume(channel, n);
            let out = session.feed(&piece);
            bytes.extend_from_slice(&out.bytes);
            if let Some(req) = out.outbound {
                match link.as_deref() {
                    Some(l) => {
                        *outbound = Some(outbound::start(req, l, self.pty.clone()));
                        // The `\n` of a `\r\n` line end belongs to the `ssh` line.
                        if matches!(held.front(), Some(b'\n' | 0)) {
                            held.pop_front();
                            let _ = conn.consume(channel, 1);
                        }
                    }
                    None => {
                        bytes.extend_from_slice(b"% Outbound connections are not available\r\n");
                        bytes.extend_from_slice(&session.prompt());
                    }
                }
                continue;
            }
            if out.exit {
                // Input after `exit` goes nowhere.
                let _ = conn.consume(channel, held.len());
                exited = true;
                break;
            }
        }
        let mut items = Vec::new();
        if !bytes.is_empty() {
            items.push(Item::data(None, bytes));
        }
        if exited {
            self.runner = Runner::Done;
            items.extend(closing(&Exit::Code(0)));
        }
        items
    }

    /// EOF from the client.
    pub fn peer_eof(&mut self) {
        if let Runner::Process { handle, .. } = &self.runner {
            handle.eof();
        }
    }

    /// One of the program's output streams ended; for the CLI, the `ssh` session did: the
    /// prompt comes back.
    pub fn output_ended(&mut self, _ext: Option<u32>) -> Vec<Item> {
        if let Runner::Cli {
            session, outbound, ..
        } = &mut self.runner
        {
            if outbound.take().is_none() {
                return Vec::new();
            }
            return vec![Item::data(None, session.prompt())];
        }
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

    /// The channel closed: a program still running gets SIGHUP, as a hung-up terminal would;
    /// an `ssh` session is closed.
    pub fn hang_up(self) {
        match &self.runner {
            Runner::Process {
                handle, exit: None, ..
            } => {
                handle.signal("HUP");
            }
            Runner::Cli {
                outbound: Some(o), ..
            } => o.kill(),
            _ => {}
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
