//! `sshgate-host ssh`: the native client, like OpenSSH's `ssh` and IOS's `ssh -l user host`.
//!
//! For now it connects over TCP, completes key exchange (checking the host key against
//! known_hosts), asks for `ssh-userauth`, and on SSH2_MSG_SERVICE_ACCEPT disconnects with a note
//! that user authentication is not implemented yet. Exit status: 0 only after SERVICE_ACCEPT,
//! 255 on any failure (as OpenSSH).

pub mod known_hosts;
pub mod options;
pub mod remote;
pub mod session;
pub mod terminal;

use crate::driver::{self, Ending};
use options::ClientSettings;
pub use options::SshArgs;
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
    let algorithms = settings
        .algorithms
        .build(crate::algs::OPTION_LABELS)
        .map_err(anyhow::Error::msg)?;
    let cfg = Arc::new(ClientConfig {
        common: CommonConfig {
            algorithms,
            ..CommonConfig::default()
        },
        ..ClientConfig::default()
    });
    let verbose = settings.verbose > 0;
    let debug = |m: &str| {
        if verbose {
            eprintln!("debug1: {m}");
        }
    };

    let Some(stream) = connect(&settings, &debug).await else {
        return Ok(ExitCode::from(EXIT_FAILURE));
    };
    let peer = stream.peer_addr()?;
    debug("Connection established.");
    debug(&format!(
        "Local version string SSH-2.0-{}",
        cfg.common.software
    ));
    stream.set_nodelay(true)?;
    debug(&format!(
        "Authenticating to {}:{} as '{}'",
        settings.host,
        settings.port,
        settings.login_name()
    ));

    let mut conn = Connection::client(cfg, driver::now(), driver::os_seed()?);
    let mut session = ClientSession::new(settings);
    let ending = driver::drive(stream, &mut conn, &mut session, std::future::pending()).await;
    if session.accepted {
        return Ok(ExitCode::SUCCESS);
    }
    if !session.reported {
        eprintln!("{}", describe(&ending, peer));
    }
    Ok(ExitCode::from(EXIT_FAILURE))
}

/// Resolves and connects, trying each address in turn (with `ConnectTimeout` if set).
async fn connect(s: &ClientSettings, debug: &impl Fn(&str)) -> Option<TcpStream> {
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
fn describe(ending: &Ending, peer: SocketAddr) -> String {
    let (ip, port) = (peer.ip(), peer.port());
    match ending {
        Ending::Engine(e) if e.fault == Fault::PeerDisconnected => format!(
            "Received disconnect from {ip} port {port}:{}: {}\nDisconnected from {ip} port {port}",
            e.reason, e.description
        ),
        Ending::Engine(e)
            if e.reason == reason::KEY_EXCHANGE_FAILED && e.fault == Fault::Policy =>
        {
            format!(
                "Unable to negotiate with {ip} port {port}: {}",
                e.description
            )
        }
        Ending::Engine(e) => format!("Connection to {ip} port {port} closed: {e}"),
        Ending::PeerClosed => format!("Connection closed by {ip} port {port}"),
        Ending::Io(e) => format!("Connection to {ip} port {port}: {e}"),
        Ending::Shutdown => format!("Connection to {ip} port {port} closed"),
    }
}
