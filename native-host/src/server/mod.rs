//! `sshgate-host serve`: the engine as an SSH server for a device, configured by a TOML file.
//!
//! Until user authentication lands a connection goes as far as SERVICE_ACCEPT for
//! `ssh-userauth`; the engine then closes it politely on the first authentication request.
//!
//! Ready for the session layer (not wired yet): `users` (`[[users]]` in the device file),
//! `passwords` (PHC verify, timing-equal `dummy_verify`), and the built-in device CLI:
//! `device_cli` (the interpreter), `device_show` (IOS `show` layouts), `device_state` (what
//! the CLI shows, and a registry of live sessions), `line_editor` and `cli_session` (raw
//! terminal bytes in, echo/output/prompts out, for a channel without a server-side PTY).

#[allow(dead_code)]
pub mod cli_session;
pub mod config;
#[allow(dead_code)]
pub mod device_cli;
#[allow(dead_code)]
pub mod device_show;
#[allow(dead_code)]
pub mod device_state;
pub mod keys;
#[allow(dead_code)]
pub mod line_editor;
pub mod listener;
// Used by the session layer once user authentication lands.
#[allow(dead_code)]
pub mod passwords;
pub mod session;
#[allow(dead_code)]
pub mod users;

use clap::Args;
use config::DeviceFile;
use sshgate::ServerConfig;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Device configuration file (TOML; see native-host/examples/device.toml).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on (host:port); repeatable; replaces the config's `listen`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<String>,
}

/// Runs the server until SIGTERM or ctrl-c.
pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let file = DeviceFile::load(&args.config)?;
    let common = file.common()?;
    let specs = file.host_keys()?;
    let s = &file.server;
    // Stored for user authentication (next issue): IOS time-out, retries, login banner.
    tracing::info!(
        hostname = %s.hostname,
        timeout_seconds = s.timeout_seconds,
        retries = s.retries,
        banner = s.banner.is_some(),
        "device settings"
    );
    let comment = format!("root@{}", s.hostname);
    // RSA generation takes a while: keep it off the async workers.
    let host_keys =
        tokio::task::spawn_blocking(move || keys::load_or_generate(&specs, &comment)).await??;
    keys::check_usable(&host_keys, &common.algorithms)?;
    let cfg = Arc::new(ServerConfig { common, host_keys });
    let listen = if args.listen.is_empty() {
        &file.server.listen
    } else {
        &args.listen
    };
    listener::serve(listen, cfg).await
}
