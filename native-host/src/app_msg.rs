//! Messages from the application's own tasks (process output readers, input writers, child
//! waiters, the terminal) to the connection task that owns the engine. Only the connection task
//! touches the engine; everything that blocks runs in these tasks and reports here.

use sshgate::channel::ChannelId;
use tokio::sync::OwnedSemaphorePermit;

/// How a program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Exited with a status.
    Code(u32),
    /// Killed by a signal (name without `SIG`, as RFC 4254 §6.10 wants it).
    Signal {
        /// E.g. `TERM`.
        name: String,
        /// A core was dumped.
        core_dumped: bool,
    },
}

/// One message.
#[derive(Debug)]
pub enum AppMsg {
    /// Bytes a channel's program wrote (stdout, or `ext: Some(1)` for stderr). The permit is
    /// held until the bytes are in the engine: the reader cannot run further ahead than its
    /// permits, so a full window stops the program's output instead of growing memory.
    Output {
        /// Which channel.
        channel: ChannelId,
        /// Extended data type code, `None` for ordinary data.
        ext: Option<u32>,
        /// The bytes.
        data: Vec<u8>,
        /// Released when the bytes are handed to the engine.
        permit: OwnedSemaphorePermit,
    },
    /// An output stream ended (EOF or error).
    OutputEnd {
        /// Which channel.
        channel: ChannelId,
        /// Which stream.
        ext: Option<u32>,
    },
    /// This many bytes of the peer's data reached the program's input: the peer may send more.
    Written {
        /// Which channel.
        channel: ChannelId,
        /// How many.
        n: usize,
    },
    /// The local terminal changed size (SIGWINCH), client side.
    Resized {
        /// Columns.
        cols: u32,
        /// Rows.
        rows: u32,
    },
    /// The person answered questions asked on the terminal (client): `None` if the terminal
    /// failed or reached end of input.
    Answers {
        /// Which question set ([`crate::client::prompt::ask`]'s ticket).
        ticket: u64,
        /// One answer per question.
        answers: Option<Vec<zeroize::Zeroizing<String>>>,
    },
    /// A password verification finished (server): answer request `id`.
    AuthOutcome {
        /// The engine's request id.
        id: u64,
        /// What to answer.
        outcome: crate::server::auth::Outcome,
    },
    /// Close this connection with a DISCONNECT giving `reason` (server: `disconnect ssh N`
    /// from another session).
    Disconnect {
        /// The description sent.
        reason: String,
    },
    /// A port forwarding task's report (server).
    Forward(Box<crate::server::forwarding::FwdMsg>),
    /// A client port forward's task reports (a new local connection, a `-R` target connected,
    /// a failed write).
    ClientForward(crate::client::forward::ForwardMsg),
    /// The program ended.
    Exited {
        /// Which channel.
        channel: ChannelId,
        /// How.
        exit: Exit,
    },
}
