//! `sshgate-host ssh`: the native client, like OpenSSH's `ssh` and IOS's `ssh -l user host`.
//!
//! It connects over TCP, completes key exchange (checking the host key against known_hosts),
//! authenticates ([`auth`]: public keys, keyboard-interactive, password), then runs a shell with
//! a raw terminal or a command ([`remote`]), with the port forwards and jump hosts of
//! [`forward`]. Exit status: the remote command's, or 255 on any
//! failure (as OpenSSH).

pub mod auth;
pub mod cert_identity;
pub mod forward;
pub mod host_key;
pub mod identity;
pub mod known_hosts;
pub mod local_input;
pub mod local_output;
pub mod openssh_certs;
pub mod options;
pub mod peer_text;
pub mod prompt;
pub mod remote;
pub mod session;
pub mod terminal;

use crate::driver::{self, Ending};
use auth::{AuthSettings, Authenticator};
use forward::{BoxStream, Forwards, Plan};
pub use options::SshArgs;
use options::{ClientSettings, RequestTty};
use remote::{RemoteSession, RemoteSpec};
use session::ClientSession;
use sshgate::msg::reason;
use sshgate::{ClientConfig, CommonConfig, Connection, Fault};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpStream;

/// OpenSSH's exit status for errors.
const EXIT_FAILURE: u8 = 255;

/// Runs the `ssh` command.
pub async fn run(args: &SshArgs) -> anyhow::Result<ExitCode> {
    let settings = ClientSettings::from_args(args).map_err(anyhow::Error::msg)?;
    let cfg = client_config(&settings)?;
    let source = prompt::Source::detect(settings.batch_mode);
    let certificate = cert_identity::load(&settings, &source)?;
    let user = match &certificate {
        Some(c) if settings.user_from_cert => cert_identity::user_from(c)?,
        _ => settings.login_name(),
    };
    let verbose = settings.verbose > 0;
    let debug = |m: &str| {
        if verbose {
            eprintln!("debug1: {m}");
        }
    };
    let can_ask = matches!(source, prompt::Source::Terminal);

    let mut hops = None;
    let (stream, peer): (BoxStream, Option<SocketAddr>) = if settings.jump.is_empty() {
        let Some(stream) = connect(&settings, &debug).await else {
            return Ok(ExitCode::from(EXIT_FAILURE));
        };
        let peer = stream.peer_addr()?;
        debug("Connection established.");
        stream.set_nodelay(true)?;
        (Box::new(stream), Some(peer))
    } else {
        let Some((stream, chain)) = forward::jump::chain(&settings, &source, can_ask).await else {
            return Ok(ExitCode::from(EXIT_FAILURE));
        };
        hops = Some(chain);
        (stream, None)
    };
    debug(&format!(
        "Local version string SSH-2.0-{}",
        cfg.common.software
    ));
    debug(&format!(
        "Authenticating to {}:{} as '{user}'",
        settings.host, settings.port
    ));

    let (app_tx, mut app_rx) = tokio::sync::mpsc::channel(64);
    let pty = wants_pty(&settings);
    // `-W` is a session of its own: no command, no terminal (as OpenSSH).
    let remote = (!settings.no_command && settings.stdio_forward.is_none()).then(|| {
        RemoteSession::new(
            RemoteSpec {
                // As OpenSSH: the words joined by spaces, for the remote shell to split.
                command: (!settings.command.is_empty()).then(|| settings.command.join(" ")),
                pty,
                pty_required: pty
                    && matches!(settings.request_tty, RequestTty::Yes | RequestTty::Force),
            },
            app_tx.clone(),
        )
    });
    let auth = Authenticator::new(
        AuthSettings {
            user,
            certificate,
            host: settings.host.clone(),
            methods: settings.methods.clone(),
            identities: settings.identities.clone(),
            identities_given: settings.identities_given,
            password_prompts: settings.password_prompts,
            source,
            verbose,
        },
        app_tx.clone(),
    )
    .with_certificate_files(settings.certificate_files.clone());
    let forwards = Forwards::new(Plan::from_settings(&settings), app_tx.clone());
    let host = settings.host.clone();
    let quiet = settings.quiet;
    let mut conn = Connection::client(cfg, driver::now(), driver::os_seed()?);
    // Host certificates are checked against the calendar.
    conn.set_wall_clock(crate::wall_clock::unix_now());
    let mut session =
        ClientSession::new(settings, peer, auth, remote, app_tx, can_ask).with_forwards(forwards);
    let ending =
        driver::drive_with_app(stream, &mut conn, &mut session, &mut app_rx, stop_signal()).await;
    // The receiver goes first, so the writer tasks' acknowledgements cannot block them.
    drop(app_rx);
    if let Some(h) = hops {
        h.finish().await;
    }
    let (authenticated, reported) = (session.authenticated, session.reported);
    let forward_failed = session.forwards_failed();
    let remote = session.into_remote();
    if !authenticated {
        if !reported {
            eprintln!("{}", describe(&ending, peer));
        }
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    let code = match remote {
        Some(r) => {
            let started = r.started();
            let code = r.finish().await;
            if !started {
                eprintln!("{}", describe(&ending, peer));
            }
            code
        }
        None if forward_failed => EXIT_FAILURE,
        None => 0,
    };
    if pty && !quiet {
        eprintln!("Connection to {host} closed.");
    }
    Ok(ExitCode::from(code))
}

/// The engine configuration for a connection to `settings.host`: the algorithm lists, the
/// known host key types first, the re-key limit, RFC 6187 host trust.
pub(crate) fn client_config(settings: &ClientSettings) -> anyhow::Result<Arc<ClientConfig>> {
    let mut algorithms = settings
        .algorithms
        .build(crate::algs::OPTION_LABELS)
        .map_err(anyhow::Error::msg)?;
    // As OpenSSH: unless HostKeyAlgorithms is given, the key types known_hosts holds for this
    // host are asked for first, so a changed key is a mismatch, not another type's new key.
    let text = std::fs::read_to_string(settings.known_hosts_path()).unwrap_or_default();
    // A @cert-authority line for this host: host certificates are asked for (first, unless
    // HostKeyAlgorithms says otherwise, as OpenSSH orders them).
    let host_cas =
        sshgate::keys::known_hosts::has_cert_authority(&text, &settings.host, settings.port);
    if settings.algorithms.host_key.is_none() {
        let known = sshgate::keys::known_hosts::key_types_for(&text, &settings.host, settings.port);
        algorithms.prefer_host_key_types(&known);
        if host_cas {
            algorithms.prefer_host_certificates();
        }
    }
    let mut common = CommonConfig {
        algorithms,
        ..CommonConfig::default()
    };
    if let Some(bytes) = settings.rekey_bytes {
        common.rekey.bytes = bytes;
    }
    Ok(Arc::new(ClientConfig {
        common,
        // RFC 6187 host certificates: the CAs, and the name the user typed to check them by.
        host_trust: cert_identity::host_trust(settings)?,
        host_name: Some(settings.host.clone()),
        openssh_host_certificates: host_cas,
        ..ClientConfig::default()
    }))
}

/// Whether to ask for a PTY, as OpenSSH decides (`RequestTTY`, `-t`, `-T`).
fn wants_pty(s: &ClientSettings) -> bool {
    let tty = terminal::stdin_is_tty();
    if s.stdio_forward.is_some() {
        return false;
    }
    match s.request_tty {
        RequestTty::No => false,
        RequestTty::Force => true,
        RequestTty::Auto => s.command.is_empty() && !s.no_command && tty,
        RequestTty::Yes if tty => true,
        RequestTty::Yes => {
            if !s.quiet {
                eprintln!("Pseudo-terminal will not be allocated because stdin is not a terminal.");
            }
            false
        }
    }
}

/// SIGTERM or SIGHUP closes the connection politely (SIGINT too when no raw terminal takes
/// Ctrl-C as a byte).
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = int.recv() => {}
    }
}

/// Resolves and connects, trying each address in turn (with `ConnectTimeout` if set).
pub(crate) async fn connect(s: &ClientSettings, debug: &impl Fn(&str)) -> Option<TcpStream> {
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((s.host.as_str(), s.port)).await {
        Ok(a) => a.collect(),
        Err(e) => {
            eprintln!("sshgate-host: Could not resolve hostname {}: {e}", s.host);
            return None;
        }
    };
    let mut last = None;
    for addr in addrs {
        debug(&format!(
            "Connecting to {} [{}] port {}.",
            s.host,
            addr.ip(),
            addr.port()
        ));
        let attempt = TcpStream::connect(addr);
        let result = match s.connect_timeout {
            Some(secs) => tokio::time::timeout(std::time::Duration::from_secs(secs), attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "Connection timed out",
                    ))
                }),
            None => attempt.await,
        };
        match result {
            Ok(stream) => return Some(stream),
            Err(e) => last = Some(e),
        }
    }
    let why = last.map_or_else(|| "no address".to_string(), |e| e.to_string());
    eprintln!(
        "sshgate-host: connect to host {} port {}: {why}",
        s.host, s.port
    );
    None
}

/// How a failed connection is reported, in OpenSSH's words where it has them.
/// Without a peer address (through a jump host) OpenSSH names it `UNKNOWN port 65535`.
pub(crate) fn describe(ending: &Ending, peer: Option<SocketAddr>) -> String {
    let (ip, port) = match peer {
        Some(p) => (p.ip().to_string(), p.port()),
        None => ("UNKNOWN".to_string(), 65535),
    };
    match ending {
        Ending::Engine(e) if e.fault == Fault::PeerDisconnected => format!(
            "Received disconnect from {ip} port {port}:{}: {}\nDisconnected from {ip} port {port}",
            e.reason,
            peer_text::line(&e.description)
        ),
        Ending::Engine(e)
            if e.reason == reason::KEY_EXCHANGE_FAILED && e.fault == Fault::Policy =>
        {
            format!(
                "Unable to negotiate with {ip} port {port}: {}",
                peer_text::line(&e.description)
            )
        }
        // Engine errors may quote the peer (a name it sent, its reason).
        Ending::Engine(e) => format!(
            "Connection to {ip} port {port} closed: {}",
            peer_text::line(&e.to_string())
        ),
        Ending::PeerClosed => format!("Connection closed by {ip} port {port}"),
        Ending::Io(e) => format!("Connection to {ip} port {port}: {e}"),
        Ending::Shutdown => format!("Connection to {ip} port {port} closed"),
    }
}
