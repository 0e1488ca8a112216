//! `-J`: ProxyJump to any depth. The first hop is a TCP connection; each hop, once
//! authenticated, opens a `direct-tcpip` channel to the next hop (or the destination) and
//! relays it to one end of an in-memory pipe (`tokio::io::duplex`); the next SSH connection is
//! driven over the pipe's other end, as the driver runs over any `AsyncRead + AsyncWrite`. So
//! `-J A,B C` is three engines in one process: C's bytes in a channel of B's connection, whose
//! bytes are in a channel of A's.
//!
//! Each hop authenticates as the destination does (the same identities, methods and password
//! source) with its own user (`user@` in the hop, else the local user, as OpenSSH), and its
//! host key is checked under its own name in known_hosts (`[host]:port` off port 22).

use super::spec::{JumpHost, Target};
use super::{BoxStream, Forwards, Plan};
use crate::client::auth::{AuthSettings, Authenticator};
use crate::client::options::{ClientSettings, RequestTty};
use crate::client::prompt::Source;
use crate::client::session::ClientSession;
use crate::driver;
use sshgate::Connection;
use std::net::SocketAddr;

/// Bytes the pipe between two hops holds before the writer waits (the channel's window is
/// the real limit; this only needs to hold a few packets).
const PIPE_BYTES: usize = 64 * 1024;

/// The settings of one hop: the destination's authentication and host key options, the hop's
/// own name, port and user, and nothing else (no command, no forwards).
#[must_use]
pub fn hop_settings(s: &ClientSettings, hop: &JumpHost) -> ClientSettings {
    let mut h = s.clone();
    h.host = hop.host.clone();
    h.port = hop.port.unwrap_or(22);
    h.user = hop.user.clone();
    h.no_command = true;
    h.command = Vec::new();
    h.request_tty = RequestTty::No;
    h.local_forwards = Vec::new();
    h.remote_forwards = Vec::new();
    h.dynamic_forwards = Vec::new();
    h.stdio_forward = None;
    h.jump = Vec::new();
    // The X.509 client identity is the destination's; host certificates are still checked.
    h.cert = None;
    h.pkcs12 = None;
    h.user_from_cert = false;
    h
}

/// How long the hops get to close politely once the destination's connection ended.
const HOP_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The running hops of a chain.
pub struct Hops(Vec<tokio::task::JoinHandle<()>>);

impl Hops {
    /// After the destination's connection ended (its pipe end dropped): each hop sees its
    /// channel's end in turn and closes its connection with a DISCONNECT; waits for that,
    /// briefly.
    pub async fn finish(self) {
        for h in self.0.into_iter().rev() {
            let _ = tokio::time::timeout(HOP_CLOSE_WAIT, h).await;
        }
    }
}

/// Connects through every hop of `s.jump` and returns the stream that reaches `s.host:s.port`;
/// `None` if the first hop cannot be reached (already reported). Later failures show as the
/// stream closing, after the failing hop reported why.
pub async fn chain(
    s: &ClientSettings,
    source: &Source,
    can_ask: bool,
) -> Option<(BoxStream, Hops)> {
    let hops: Vec<ClientSettings> = s.jump.iter().map(|j| hop_settings(s, j)).collect();
    let first = hops.first()?;
    let debug = |m: &str| {
        if s.verbose > 0 {
            eprintln!("debug1: {m}");
        }
    };
    let tcp = crate::client::connect(first, &debug).await?;
    let _ = tcp.set_nodelay(true);
    let mut peer = tcp.peer_addr().ok();
    let mut carrier: BoxStream = Box::new(tcp);
    let mut tasks = Vec::new();
    for (i, hop) in hops.iter().enumerate() {
        let next = match hops.get(i + 1) {
            Some(n) => Target {
                host: n.host.clone(),
                port: n.port,
            },
            None => Target {
                host: s.host.clone(),
                port: s.port,
            },
        };
        debug(&format!(
            "Connecting to {}:{} via {}:{}",
            next.host, next.port, hop.host, hop.port
        ));
        let (near, far) = tokio::io::duplex(PIPE_BYTES);
        tasks.push(tokio::spawn(run_hop(
            hop.clone(),
            carrier,
            peer,
            (Box::new(near), next),
            source.clone(),
            can_ask,
        )));
        carrier = Box::new(far);
        peer = None;
    }
    Some((carrier, Hops(tasks)))
}

/// One hop's connection: authenticate, then carry `pipe` in a `direct-tcpip` channel until
/// either ends.
async fn run_hop(
    s: ClientSettings,
    stream: BoxStream,
    peer: Option<SocketAddr>,
    pipe: (BoxStream, Target),
    source: Source,
    can_ask: bool,
) {
    let cfg = match crate::client::client_config(&s) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sshgate-host: {}: {e:#}", s.host);
            return;
        }
    };
    let Ok(seed) = driver::os_seed() else {
        return;
    };
    let (app_tx, mut app_rx) = tokio::sync::mpsc::channel(64);
    let verbose = s.verbose > 0;
    let auth = Authenticator::new(
        AuthSettings {
            user: s.login_name(),
            certificate: None,
            host: s.host.clone(),
            methods: s.methods.clone(),
            identities: s.identities.clone(),
            identities_given: s.identities_given,
            password_prompts: s.password_prompts,
            source,
            verbose,
        },
        app_tx.clone(),
    );
    let forwards = Forwards::new(
        Plan {
            stdio: Some(pipe),
            verbose,
            quiet: s.quiet,
            ..Plan::default()
        },
        app_tx.clone(),
    );
    let mut conn = Connection::client(cfg, driver::now(), seed);
    conn.set_wall_clock(crate::wall_clock::unix_now());
    let mut session =
        ClientSession::new(s, peer, auth, None, app_tx, can_ask).with_forwards(forwards);
    let ending = driver::drive_with_app(
        stream,
        &mut conn,
        &mut session,
        &mut app_rx,
        std::future::pending(),
    )
    .await;
    if !session.authenticated && !session.reported {
        eprintln!("{}", crate::client::describe(&ending, peer));
    }
}
