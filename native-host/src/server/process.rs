//! A configured program on a session channel: in a real PTY when the client asked for one
//! (output and input through the PTY, resized on `window-change`), otherwise with pipes
//! (stdout as data, stderr as extended data, EOF closes stdin) — as OpenSSH's sshd does.
//! The program gets only the environment it is given (nothing of serve's own) and runs as its
//! [`Identity`] (groups, gid, uid dropped before exec; never root unless `run_as = "root"`).
//! Output goes to the connection task through [`crate::channel_io::reader`]; input comes in
//! through [`ProcessHandle::write`] and is acknowledged with [`AppMsg::Written`] once it
//! reached the program, which is when the peer's window is given back.

use super::run_as::{ChildSetup, Identity};
use crate::app_msg::{AppMsg, Exit};
use crate::channel_io::reader;
use sshgate::channel::{ChannelId, PtyRequest, WindowSize};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::process::Child;
use tokio::sync::mpsc;

/// What to run.
#[derive(Debug, Clone)]
pub struct Spawn {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// The whole environment (`SSH_TTY` is added here when a PTY is opened).
    pub env: Vec<(String, String)>,
    /// Run in a PTY with this request's terminal type and size.
    pub pty: Option<PtyRequest>,
    /// Who runs it.
    pub identity: Identity,
}

/// Input for the program.
enum Input {
    Data(Vec<u8>),
    Resize(WindowSize),
    Eof,
}

/// A running program.
pub struct ProcessHandle {
    input: mpsc::UnboundedSender<Input>,
    pid: Option<u32>,
}

fn pty_size(s: &WindowSize) -> pty_process::Size {
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    pty_process::Size::new(clamp(s.rows.max(1)), clamp(s.cols.max(1)))
}

/// The command both ways of running share (a clean environment), and what its child does
/// before exec (the credentials dropped, the home directory entered).
fn command(
    spec: &Spawn,
    env: &[(String, String)],
) -> anyhow::Result<(tokio::process::Command, ChildSetup)> {
    let (program, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("empty command"))?;
    let setup = ChildSetup::new(&spec.identity)?;
    // The last guard before exec: whatever the configuration check missed, uid 0 only when
    // `run_as = "root"` says so.
    anyhow::ensure!(
        setup.uid() != 0 || spec.identity.root_allowed,
        "refusing to start a program as root without run_as = \"root\""
    );
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .kill_on_drop(true);
    Ok((cmd, setup))
}

/// The terminal's device path, for `SSH_TTY` (Linux: the descriptor's link in /proc).
fn tty_name(pts: &pty_process::Pts) -> Option<String> {
    use std::os::fd::AsFd;
    let fd = pts.as_fd().as_raw_fd();
    let path = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    path.to_str().map(str::to_string)
}

/// Starts `spec` for `channel`, reporting to `tx`.
#[allow(unsafe_code)] // pre_exec: the one place the crate needs it (see the SAFETY notes)
pub fn spawn(
    spec: &Spawn,
    channel: ChannelId,
    tx: &mpsc::Sender<AppMsg>,
) -> anyhow::Result<ProcessHandle> {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let child = match &spec.pty {
        Some(pty_req) => {
            let (pty, pts) = pty_process::open()?;
            pty.resize(pty_size(&pty_req.size))?;
            // The client's terminal settings (erase character, echo, ...), as sshd applies them.
            if let Ok(mut t) = rustix::termios::tcgetattr(&pts) {
                crate::tty_modes::apply(&pty_req.modes, &mut t);
                let _ = rustix::termios::tcsetattr(&pts, rustix::termios::OptionalActions::Now, &t);
            }
            // The terminal belongs to the account, as sshd's pty_setowner makes it.
            if spec.identity.switch {
                std::os::unix::fs::fchown(&pts, Some(spec.identity.account.uid), None)?;
            }
            let mut env = spec.env.clone();
            if let Some(tty) = tty_name(&pts) {
                env.push(("SSH_TTY".into(), tty));
            }
            let (cmd, setup) = command(spec, &env)?;
            // SAFETY: `apply` makes only system calls (setgroups, setgid, setuid, chdir) on
            // data prepared before the fork; it allocates nothing and takes no lock, so it is
            // safe between fork and exec. pty-process runs it after its setsid and TIOCSCTTY.
            let cmd = unsafe { pty_process::Command::from(cmd).pre_exec(move || setup.apply()) };
            let child = cmd.spawn(pts)?;
            let (read_half, write_half) = pty.into_split();
            reader::spawn(read_half, channel, None, tx.clone());
            tokio::spawn(feed_pty(write_half, in_rx, channel, tx.clone()));
            child
        }
        None => {
            let (mut cmd, setup) = command(spec, &spec.env)?;
            // SAFETY: as above; std runs it after the stdio set-up and setpgid.
            unsafe {
                cmd.pre_exec(move || setup.apply());
            }
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                // Its own process group, so `signal` reaches what it started too.
                .process_group(0)
                .spawn()?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
            let stderr = child
                .stderr
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
            let stdin = child
                .stdin
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
            reader::spawn(stdout, channel, None, tx.clone());
            reader::spawn(stderr, channel, Some(1), tx.clone());
            tokio::spawn(feed(stdin, in_rx, channel, tx.clone()));
            child
        }
    };
    let pid = child.id();
    tokio::spawn(wait(child, channel, tx.clone()));
    Ok(ProcessHandle { input: in_tx, pid })
}

/// Runs `run` in serve itself, on a blocking thread, as if it were a program: its input and
/// output are pipes fed and read exactly as a spawned program's stdin and stdout (the same
/// window and permit flow control), and its return value is the exit status. For file transfer
/// (SCP), whose paths must stay under the user's root, which no spawned `scp` would keep.
pub fn spawn_in_process<F>(
    channel: ChannelId,
    tx: &mpsc::Sender<AppMsg>,
    run: F,
) -> anyhow::Result<ProcessHandle>
where
    F: FnOnce(std::io::PipeReader, std::io::PipeWriter) -> u32 + Send + 'static,
{
    use tokio::net::unix::pipe;
    let (in_read, in_write) = std::io::pipe()?;
    let (out_read, out_write) = std::io::pipe()?;
    let stdin = pipe::Sender::from_owned_fd(std::os::fd::OwnedFd::from(in_write))?;
    let stdout = pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(out_read))?;
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    reader::spawn(stdout, channel, None, tx.clone());
    tokio::spawn(feed(stdin, in_rx, channel, tx.clone()));
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let code = run(in_read, out_write);
        let exit = Exit::Code(code);
        let _ = tx.blocking_send(AppMsg::Exited { channel, exit });
    });
    Ok(ProcessHandle {
        input: in_tx,
        pid: None,
    })
}

impl ProcessHandle {
    /// Queues bytes for the program's input.
    pub fn write(&self, data: Vec<u8>) {
        let _ = self.input.send(Input::Data(data));
    }

    /// The client sent EOF: close the program's stdin (a PTY stays open, as in OpenSSH).
    pub fn eof(&self) {
        let _ = self.input.send(Input::Eof);
    }

    /// `window-change`.
    pub fn resize(&self, size: WindowSize) {
        let _ = self.input.send(Input::Resize(size));
    }

    /// `signal`: delivers `name` (without `SIG`) to the program's process group.
    pub fn signal(&self, name: &str) -> bool {
        use rustix::process::{Pid, Signal, kill_process_group};
        let sig = match name {
            "HUP" => Signal::HUP,
            "INT" => Signal::INT,
            "QUIT" => Signal::QUIT,
            "KILL" => Signal::KILL,
            "TERM" => Signal::TERM,
            "USR1" => Signal::USR1,
            "USR2" => Signal::USR2,
            "ALRM" => Signal::ALARM,
            _ => return false,
        };
        let Some(pid) = self
            .pid
            .and_then(|p| i32::try_from(p).ok())
            .and_then(Pid::from_raw)
        else {
            return false;
        };
        kill_process_group(pid, sig).is_ok()
    }
}

/// Pipes: input to stdin, each chunk acknowledged; EOF closes it.
async fn feed<W: AsyncWrite + Unpin>(
    mut stdin: W,
    mut rx: mpsc::UnboundedReceiver<Input>,
    channel: ChannelId,
    tx: mpsc::Sender<AppMsg>,
) {
    while let Some(input) = rx.recv().await {
        match input {
            Input::Data(d) => {
                let n = d.len();
                if stdin.write_all(&d).await.is_err() {
                    // The program stopped reading: drop its input but keep the window moving.
                    let _ = tx.send(AppMsg::Written { channel, n }).await;
                    continue;
                }
                let _ = tx.send(AppMsg::Written { channel, n }).await;
            }
            Input::Resize(_) => {}
            Input::Eof => {
                let _ = stdin.shutdown().await;
                drop(stdin);
                // Later input has nowhere to go; acknowledge it so the peer is not stuck.
                while let Some(Input::Data(d)) = rx.recv().await {
                    let _ = tx
                        .send(AppMsg::Written {
                            channel,
                            n: d.len(),
                        })
                        .await;
                }
                return;
            }
        }
    }
}

/// PTY: input to the terminal, resizes applied in order with it.
async fn feed_pty(
    mut pty: pty_process::OwnedWritePty,
    mut rx: mpsc::UnboundedReceiver<Input>,
    channel: ChannelId,
    tx: mpsc::Sender<AppMsg>,
) {
    while let Some(input) = rx.recv().await {
        match input {
            Input::Data(d) => {
                let n = d.len();
                let _ = pty.write_all(&d).await;
                let _ = tx.send(AppMsg::Written { channel, n }).await;
            }
            Input::Resize(size) => {
                let _ = pty.resize(pty_size(&size));
            }
            Input::Eof => {}
        }
    }
}

/// Waits for the program and reports how it ended.
async fn wait(mut child: Child, channel: ChannelId, tx: mpsc::Sender<AppMsg>) {
    let exit = match child.wait().await {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(u32::try_from(code).unwrap_or(255)),
            (None, Some(sig)) => Exit::Signal {
                name: signal_name(sig),
                core_dumped: status.core_dumped(),
            },
            (None, None) => Exit::Code(255),
        },
        Err(_) => Exit::Code(255),
    };
    let _ = tx.send(AppMsg::Exited { channel, exit }).await;
}

/// RFC 4254 §6.10 signal names (without `SIG`).
fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "HUP",
        2 => "INT",
        3 => "QUIT",
        4 => "ILL",
        6 => "ABRT",
        8 => "FPE",
        9 => "KILL",
        10 => "USR1",
        11 => "SEGV",
        12 => "USR2",
        13 => "PIPE",
        14 => "ALRM",
        15 => "TERM",
        other => return format!("SIG{other}"),
    };
    name.to_string()
}
