//! `sshgate-host`: the native host around the sshgate engine.
//!
//! - `serve`: the engine as an SSH server for a device (TOML config, IOS-like settings);
//! - `ssh`: a native client, with OpenSSH's command line;
//! - `keygen`: OpenSSH key pairs, like `ssh-keygen`;
//! - `passwd`: an argon2id PHC string for a device user's `password_hash`;
//! - `bridge`: WebSocket to TCP for the browser, to a fixed list of targets;
//! - `demo`: the page, the bridge and a device server in one process, for a first look.
// No unsafe code, except where a child process drops its privileges before exec
// (server/process.rs) and where a terminal is registered with epoll (client/local_input.rs),
// allowed there alone.
#![deny(unsafe_code)]

mod algs;
mod app_msg;
mod bridge;
mod channel_io;
mod client;
mod demo;
mod driver;
mod journal_log;
mod keyfile;
mod keygen;
mod resume;
mod server;
mod shutdown;
mod syslog_log;
mod tty_modes;
mod wall_clock;
mod web;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// sshgate native host: SSH server, client and key tools on the sshgate engine.
#[derive(Debug, Parser)]
#[command(name = "sshgate-host", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the SSH server for a device.
    Serve(server::ServeArgs),
    /// Connect to an SSH server (OpenSSH-style options).
    Ssh(client::SshArgs),
    /// Generate a key pair (OpenSSH format).
    Keygen(keygen::KeygenArgs),
    /// Hash a password for a device user's `password_hash` (reads it twice; no echo on a
    /// terminal, lines from standard input otherwise) and print the argon2id PHC string.
    Passwd,
    /// WebSocket (from the browser) to TCP, for a fixed list of targets.
    Bridge(bridge::BridgeArgs),
    /// The page, the bridge and a device server in one process, with generated keys and a
    /// generated password for the user `lab`.
    Demo(demo::DemoArgs),
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if let Some(path) = syslog_log::from_env() {
        match syslog_log::Syslog::new(path) {
            Ok(w) => {
                // The daemon stamps time and host; the priority says the level.
                fmt.with_writer(w)
                    .with_ansi(false)
                    .without_time()
                    .with_level(false)
                    .init();
                return;
            }
            Err(e) => eprintln!("SSHGATE_LOG=syslog: {e}; logging to stderr"),
        }
    }
    if journal_log::under_journald() {
        // journald takes the priority from the line's prefix and stamps the time itself.
        let format = tracing_subscriber::fmt::format().without_time();
        fmt.with_ansi(false)
            .event_format(journal_log::PriorityPrefix(format))
            .init();
    } else {
        fmt.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The client prints its own OpenSSH-style lines; logging is for the server and tools.
    init_logging(match cli.command {
        Command::Ssh(_) => "warn",
        _ => "info",
    });
    let result = match &cli.command {
        Command::Keygen(args) => keygen::run(args).map(|()| ExitCode::SUCCESS),
        Command::Passwd => server::passwords::run_passwd().map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => runtime()
            .and_then(|rt| rt.block_on(server::run(args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Bridge(args) => runtime()
            .and_then(|rt| rt.block_on(bridge::run(args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => runtime()
            .and_then(|rt| rt.block_on(demo::run(args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Ssh(args) => client_runtime().and_then(|rt| {
            let r = rt.block_on(client::run(args));
            // A read of standard input may still be blocked in tokio's pool: do not wait for it.
            rt.shutdown_background();
            r
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sshgate-host: {e:#}");
            match cli.command {
                Command::Ssh(_) => ExitCode::from(255),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// The client is one connection: one thread runs it, as OpenSSH's one poll loop, so moving a
/// packet from the socket to the terminal never wakes another thread.
fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("sshgate-host").chain(argv.iter().copied()))
            .map(|c| c.command)
    }

    #[test]
    fn cli_shape() {
        Cli::command_for_test().debug_assert();
    }

    #[test]
    fn subcommands() {
        match parse(&[
            "serve",
            "--config",
            "d.toml",
            "--listen",
            "0.0.0.0:22",
            "--listen",
            "[::]:22",
            "--static",
            "www/dist",
        ])
        .unwrap()
        {
            Command::Serve(a) => {
                assert_eq!(a.config, std::path::PathBuf::from("d.toml"));
                assert_eq!(a.listen, ["0.0.0.0:22", "[::]:22"]);
                assert_eq!(
                    a.static_dir.as_deref(),
                    Some(std::path::Path::new("www/dist"))
                );
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "ssh",
            "-o",
            "Ciphers=+aes128-cbc",
            "-l",
            "admin",
            "-p",
            "2222",
            "-v",
            "user@host",
            "show",
            "run",
        ])
        .unwrap()
        {
            Command::Ssh(a) => {
                assert_eq!(a.options, ["Ciphers=+aes128-cbc"]);
                assert_eq!(a.login.as_deref(), Some("admin"));
                assert_eq!(a.port, Some(2222));
                assert_eq!(a.verbose, 1);
                assert_eq!(a.destination, "user@host");
                assert_eq!(a.command, ["show", "run"]);
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "keygen", "-t", "rsa", "-b", "4096", "-f", "/tmp/k", "-C", "me",
        ])
        .unwrap()
        {
            Command::Keygen(a) => {
                assert_eq!((a.key_type.as_str(), a.bits), ("rsa", Some(4096)));
                assert_eq!(a.comment.as_deref(), Some("me"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(&["passwd"]).unwrap(), Command::Passwd));
        match parse(&[
            "bridge",
            "--listen",
            "127.0.0.1:8080",
            "--target",
            "r1=192.0.2.1:22",
            "--target",
            "r2=192.0.2.2:22",
            "--allow-origin",
            "https://ops.example",
            "--static",
            "www/dist",
            "--max-sessions-per-source",
            "4",
        ])
        .unwrap()
        {
            Command::Bridge(a) => {
                assert_eq!(a.target, ["r1=192.0.2.1:22", "r2=192.0.2.2:22"]);
                assert_eq!(a.allow_origin, ["https://ops.example"]);
                assert_eq!(
                    a.static_dir.as_deref(),
                    Some(std::path::Path::new("www/dist"))
                );
                assert_eq!(a.max_sessions_per_source, Some(4));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            parse(&["bridge", "--tls-cert", "c.pem"]).is_err(),
            "--tls-cert needs --tls-key"
        );
        match parse(&[
            "demo",
            "--data-dir",
            "/tmp/d",
            "--target",
            "sw=192.0.2.3:22",
        ])
        .unwrap()
        {
            Command::Demo(a) => {
                assert_eq!(a.data_dir, std::path::PathBuf::from("/tmp/d"));
                assert_eq!(a.listen, "127.0.0.1:8080");
                assert_eq!(a.target, ["sw=192.0.2.3:22"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["keygen", "-t", "rsa"]).is_err(), "-f is required");
        assert!(parse(&["serve"]).is_err(), "--config is required");
        assert!(parse(&["ssh"]).is_err(), "destination is required");
    }

    impl Cli {
        fn command_for_test() -> clap::Command {
            <Cli as clap::CommandFactory>::command()
        }
    }
}
