//! The client's session channel, as OpenSSH's `ssh` runs it: open a session, ask for a PTY
//! when interactive, start the shell or the command, then pump stdin to the channel and the
//! channel to stdout/stderr with flow control, forward terminal resizes, and end with the
//! remote command's exit status (255 when there is none, as OpenSSH).

use super::local_input;
use super::local_output::LocalOutput;
use super::terminal::{self, RawMode};
use crate::app_msg::AppMsg;
use crate::channel_io::outbox::{Item, Outboxes};
use crate::driver::Flow;
use sshgate::Connection;
use sshgate::channel::{ChannelEvent, ChannelId, ChannelRequest, PtyRequest, WindowSize};
use std::collections::VecDeque;
use tokio::sync::mpsc;

/// OpenSSH's exit status when there is no remote one.
pub const EXIT_NO_STATUS: u8 = 255;

/// What to run remotely.
#[derive(Debug, Clone)]
pub struct RemoteSpec {
    /// The command, or `None` for a shell.
    pub command: Option<String>,
    /// Ask for a PTY.
    pub pty: bool,
    /// The user asked for it (`-t`): a refusal ends the session, as in OpenSSH.
    pub pty_required: bool,
}

/// One remote session.
pub struct RemoteSession {
    spec: RemoteSpec,
    app: mpsc::Sender<AppMsg>,
    channel: Option<ChannelId>,
    /// Requests awaiting an answer, by name, in order.
    awaiting: VecDeque<&'static str>,
    raw: Option<RawMode>,
    /// Where the channel's data and extended data go; finished by [`RemoteSession::finish`]
    /// so no output is lost at exit.
    stdout: Option<LocalOutput>,
    stderr: Option<LocalOutput>,
    outboxes: Outboxes,
    exit: Option<u8>,
}

impl RemoteSession {
    /// A session that will run `spec`; local tasks report on `app`.
    #[must_use]
    pub fn new(spec: RemoteSpec, app: mpsc::Sender<AppMsg>) -> Self {
        RemoteSession {
            spec,
            app,
            channel: None,
            awaiting: VecDeque::new(),
            raw: None,
            stdout: None,
            stderr: None,
            outboxes: Outboxes::default(),
            exit: None,
        }
    }

    /// Whether the session channel was opened (authentication got that far).
    #[must_use]
    pub fn started(&self) -> bool {
        self.channel.is_some()
    }

    /// The session channel, once opened (its events and messages are this session's).
    #[must_use]
    pub fn channel(&self) -> Option<ChannelId> {
        self.channel
    }

    /// The exit status for the process.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.exit.unwrap_or(EXIT_NO_STATUS)
    }

    /// Waits until everything received is written out, restores the terminal; returns the exit
    /// status. Call after the connection ended and its message receiver is dropped.
    pub async fn finish(mut self) -> u8 {
        for out in [self.stdout.take(), self.stderr.take()]
            .into_iter()
            .flatten()
        {
            out.finish().await;
        }
        self.raw = None;
        self.exit_code()
    }

    /// Opens the session channel (after authentication).
    pub fn start(&mut self, conn: &mut Connection) -> Flow {
        match conn.open_session() {
            Ok(id) => {
                self.channel = Some(id);
                // As OpenSSH: this connection carries one session; a hijacked client gets no more.
                let _ = conn.send_no_more_sessions();
                Flow::Continue
            }
            Err(e) => Flow::Disconnect(format!("cannot open a session: {e}")),
        }
    }

    /// The channel is open: PTY, environment, then the shell or the command.
    fn opened(&mut self, conn: &mut Connection, ch: ChannelId) {
        if self.spec.pty {
            let (cols, rows, wpx, hpx) = terminal::size().unwrap_or((80, 24, 0, 0));
            let pty = PtyRequest {
                term: std::env::var("TERM").unwrap_or_else(|_| "vt100".into()),
                size: WindowSize {
                    cols,
                    rows,
                    width_px: wpx,
                    height_px: hpx,
                },
                // Our terminal's settings, so the remote PTY treats keys as ours does.
                modes: rustix::termios::tcgetattr(rustix::stdio::stdin())
                    .map(|t| crate::tty_modes::encode(&t))
                    .unwrap_or_default(),
            };
            if conn
                .channel_request(ch, &ChannelRequest::Pty(pty), true)
                .is_ok()
            {
                self.awaiting.push_back("pty-req");
            }
        }
        if let Ok(lang) = std::env::var("LANG") {
            let _ = conn.channel_request(
                ch,
                &ChannelRequest::Env {
                    name: "LANG".into(),
                    value: lang,
                },
                false,
            );
        }
        let (req, name) = match &self.spec.command {
            Some(c) => (ChannelRequest::Exec { command: c.clone() }, "exec"),
            None => (ChannelRequest::Shell, "shell"),
        };
        if conn.channel_request(ch, &req, true).is_ok() {
            self.awaiting.push_back(name);
        }
        if self.spec.pty && terminal::stdin_is_tty() {
            self.raw = RawMode::enter();
            terminal::watch_resizes(self.app.clone());
        }
        // Without a writer (no thread could be started) the data is dropped but consumed, so
        // the session still runs to its end.
        self.stdout = LocalOutput::spawn(std::io::stdout(), ch, self.app.clone()).ok();
        self.stderr = LocalOutput::spawn(std::io::stderr(), ch, self.app.clone()).ok();
        if let Err(e) = local_input::spawn(std::io::stdin(), ch, self.app.clone()) {
            eprintln!("cannot read standard input: {e}");
        }
    }

    /// Channel data for a local stream: consumed at once while the stream keeps up (see
    /// `local_output`), else when its writer acknowledges it.
    fn output(conn: &mut Connection, channel: ChannelId, out: Option<&LocalOutput>, data: Vec<u8>) {
        let now = match out {
            Some(out) => out.push(data),
            None => data.len(),
        };
        if now > 0 {
            let _ = conn.consume(channel, now);
        }
    }

    /// The engine's events of one batch are handled: the output writers start on them.
    pub fn events_done(&self) {
        for out in [&self.stdout, &self.stderr].into_iter().flatten() {
            out.wake();
        }
    }

    /// An engine event for our channel.
    pub fn on_channel(&mut self, conn: &mut Connection, ev: ChannelEvent) -> Flow {
        match ev {
            ChannelEvent::Opened { channel } => self.opened(conn, channel),
            ChannelEvent::OpenFailed { description, .. } => {
                eprintln!(
                    "channel 0: open failed: {}",
                    super::peer_text::line(&description)
                );
                return Flow::Disconnect("disconnected by user".into());
            }
            ChannelEvent::RequestAnswered { channel, success } => {
                let name = self.awaiting.pop_front().unwrap_or("request");
                if !success {
                    match name {
                        "pty-req" => {
                            eprintln!("PTY allocation request failed on channel 0");
                            if self.spec.pty_required {
                                let _ = conn.close_channel(channel);
                            }
                        }
                        _ => {
                            eprintln!("{name} request failed on channel 0");
                            let _ = conn.close_channel(channel);
                        }
                    }
                }
            }
            ChannelEvent::Data { channel, data } => {
                Self::output(conn, channel, self.stdout.as_ref(), data)
            }
            ChannelEvent::ExtendedData { channel, data, .. } => {
                Self::output(conn, channel, self.stderr.as_ref(), data);
            }
            ChannelEvent::Request { request, .. } => match request {
                ChannelRequest::ExitStatus { code } => {
                    self.exit = Some(u8::try_from(code & 0xff).unwrap_or(EXIT_NO_STATUS));
                }
                ChannelRequest::ExitSignal { .. } => self.exit = Some(EXIT_NO_STATUS),
                _ => {}
            },
            ChannelEvent::Writable { channel } => self.outboxes.flush(conn, channel),
            ChannelEvent::Closed { channel } => {
                self.outboxes.forget(channel);
                // Restore the terminal before anything more is printed.
                self.raw = None;
                return Flow::Disconnect("disconnected by user".into());
            }
            _ => {}
        }
        Flow::Continue
    }

    /// A message from the local tasks.
    pub fn on_app(&mut self, conn: &mut Connection, msg: AppMsg) -> Flow {
        let Some(ch) = self.channel else {
            return Flow::Continue;
        };
        match msg {
            AppMsg::Output {
                data, permit, ext, ..
            } => self.outboxes.push(
                conn,
                ch,
                Item::Data {
                    ext,
                    bytes: data,
                    offset: 0,
                    _permit: Some(permit),
                },
            ),
            AppMsg::OutputEnd { .. } => {
                // OpenSSH sends EOF when stdin ends (not for a PTY, where ^D is just a byte).
                if !(self.spec.pty && self.raw.is_some()) {
                    self.outboxes.push(conn, ch, Item::Eof);
                }
            }
            AppMsg::Written { n, .. } => {
                let _ = conn.consume(ch, n);
            }
            AppMsg::Resized { cols, rows } => {
                let size = WindowSize {
                    cols,
                    rows,
                    ..WindowSize::default()
                };
                let _ = conn.channel_request(ch, &ChannelRequest::WindowChange(size), false);
            }
            AppMsg::Exited { .. }
            | AppMsg::AuthOutcome { .. }
            | AppMsg::Answers { .. }
            | AppMsg::Disconnect { .. }
            | AppMsg::Forward(_)
            | AppMsg::ClientForward(_) => {}
        }
        Flow::Continue
    }
}
