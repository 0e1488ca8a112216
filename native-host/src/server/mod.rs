//! `sshgate-host serve`: the engine as an SSH server for a device, configured by a TOML file.
//!
//! Local users (`[[users]]` in the device file) log in with a password (PHC hash checked on
//! the bounded `hash_pool`, a timing-equal dummy hash for unknown users), keyboard-interactive,
//! or a public key
//! (authorized keys, IOS key hashes). Each session channel runs the built-in device CLI or the
//! user's configured program (`session`, `session_channel`, `process`).
//!
//! The device CLI: `device_cli` (the interpreter), `device_show` (IOS `show` layouts),
//! `device_state` (what the CLI shows, and the registry of live sessions), `line_editor` and
//! `cli_session` (raw terminal bytes in, echo/output/prompts out: the CLI needs no PTY).

pub mod audit;
pub mod auth;
pub mod cert_auth;
pub mod cli_session;
pub mod config;
pub mod counted;
pub mod debug_trace;
pub mod device_cli;
pub mod device_show;
pub mod device_state;
pub mod files;
pub mod forwarding;
pub mod hash_pool;
pub mod host_certs;
pub mod keys;
pub mod line_editor;
pub mod listener;
pub mod metrics;
pub mod passwords;
pub mod penalty;
pub mod pki_config;
pub mod process;
pub mod run_as;
pub mod session;
pub mod session_channel;
pub mod session_env;
pub mod session_rules;
pub mod sk_auth;
pub mod snmp_trap;
pub mod startups;
pub mod user_certs;
pub mod users;
pub mod workers;

use clap::Args;
use config::DeviceFile;
use sshgate::ServerConfig;
use sshgate::userauth::ServerAuthConfig;
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
    /// Static files (the built page) served at / by the `[websocket]` listener; replaces its
    /// `static_dir`.
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// IOS `debug ip ssh`: log each connection's steps (`ip-ssh`, `ip-ssh-detail`,
    /// `ip-ssh-packet`); repeatable; adds to the config's `[server] debug`.
    #[arg(long, value_name = "WHAT")]
    pub debug: Vec<String>,
}

/// Runs the server until SIGTERM or ctrl-c.
pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let file = DeviceFile::load(&args.config)?;
    debug_trace::enable(debug_trace::parse(&args.debug)?);
    let (cfg, ctx) = prepare(&file).await?;
    let listen = if args.listen.is_empty() {
        &file.server.listen
    } else {
        &args.listen
    };
    let listeners = listener::bind(listen).await?;
    let (tx, rx) = listener::channel();
    let shutdown = crate::shutdown::Shutdown::on_signal();
    let mut websocket = file.websocket.clone();
    if let Some(dir) = &args.static_dir {
        match &mut websocket {
            Some(ws) => ws.static_dir = Some(dir.clone()),
            None => anyhow::bail!("--static needs a [websocket] listener in the device file"),
        }
    }
    if let Some(ws) = &websocket {
        let (server, router) =
            crate::web::device_ws::bind(ws, &file.server.hostname, tx.clone()).await?;
        tokio::spawn(crate::web::device_ws::run(server, router, shutdown.wait()));
    }
    if let Some(m) = file.metrics.as_ref().filter(|m| m.enable) {
        tokio::spawn(metrics::bind(m, ctx.metrics.clone(), shutdown.wait()).await?);
    }
    listener::serve_on(listeners, (tx, rx), cfg, ctx, shutdown.wait()).await
}

/// The engine configuration and the shared context of a device file: host keys loaded (or
/// generated), algorithms checked, users and the `show` registry set up.
pub async fn prepare(
    file: &DeviceFile,
) -> anyhow::Result<(Arc<ServerConfig>, Arc<session::ServeContext>)> {
    let common = file.common()?;
    let specs = file.host_keys()?;
    let s = &file.server;
    debug_trace::enable(debug_trace::parse(&s.debug)?);
    tracing::info!(
        hostname = %s.hostname,
        timeout_seconds = s.timeout_seconds,
        retries = s.retries,
        banner = s.banner.is_some(),
        max_startups = %s.max_startups,
        password_checks = s.pool_settings().workers,
        "device settings"
    );
    let comment = format!("root@{}", s.hostname);
    // RSA generation takes a while: keep it off the async workers.
    let host_keys =
        tokio::task::spawn_blocking(move || keys::load_or_generate(&specs, &comment)).await??;
    let startup_limits = s.startup_limits()?;
    // One hash with the costliest configured parameters, for unknown users.
    let hashes: Vec<String> = file
        .users
        .iter()
        .filter_map(|u| u.password_hash.clone())
        .collect();
    let dummy = tokio::task::spawn_blocking(move || {
        passwords::DummyHash::for_hashes(hashes.iter().map(String::as_str))
    })
    .await??;
    let pki = pki_config::load(&file.trustpoints, file.certificate_profile.as_ref())?;
    let host_certificates: Vec<_> = pki
        .host_certificate
        .iter()
        .map(|(_, c)| c.clone())
        .collect();
    let openssh_host_certificates = host_certs::load(&s.host_certificates, &host_keys)?;
    keys::check_usable(
        &host_keys,
        &host_certificates,
        &openssh_host_certificates,
        &common.algorithms,
    )?;
    let user_cas = match &s.trusted_user_ca_keys {
        Some(path) => user_certs::load_cas(path)?,
        None => Vec::new(),
    };
    let auth = ServerAuthConfig {
        // IOS `ip ssh time-out` and `ip ssh authentication-retries`, and `banner login`.
        timeout: std::time::Duration::from_secs(s.timeout_seconds),
        max_attempts: s.retries,
        banner: s.banner.clone(),
        // The hostkey list is also what user keys may sign with (server-sig-algs): a legacy
        // name there (IOS `x509v3-ssh-rsa ssh-rsa`) is accepted from users too.
        allow_ssh_rsa: common.algorithms.host_key.iter().any(|a| a.is_legacy()),
        trustpoints: pki.user_trustpoints.clone(),
        // sshd's TrustedUserCAKeys, or a `cert-authority` line in some user's authorized_keys.
        openssh_certificates: !user_cas.is_empty()
            || file
                .users
                .iter()
                .any(|u| u.authorized().iter().any(|a| a.is_cert_authority())),
        ..ServerAuthConfig::default()
    };
    let cfg = Arc::new(ServerConfig {
        common,
        host_keys,
        host_certificates,
        openssh_host_certificates,
        auth,
        ..ServerConfig::default()
    });
    let known_hosts = match &file.server.known_hosts {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("known_hosts {}: {e}", p.display()))?,
        None => String::new(),
    };
    let registry = Arc::new(
        device_state::DeviceRegistry::new(device_state::settings_from_config(file, &cfg))
            .with_known_hosts(file.server.strict_host_key_check, known_hosts),
    );
    let changed = Arc::new(auth::ChangedPasswords::default());
    let hash_pool = hash_pool::HashPool::start(s.pool_settings(), dummy, changed.clone())?;
    let ctx = Arc::new(session::ServeContext {
        users: file.users.clone(),
        registry,
        hostname: file.server.hostname.clone(),
        next_number: std::sync::atomic::AtomicU32::new(0),
        changed,
        penalties: penalty::Penalties::new(startup_limits.netblock),
        startups: startups::Startups::new(startup_limits),
        hash_pool,
        write_timeout: s.write_timeout(),
        max_sessions: s.max_sessions,
        forwarding: forwarding::Settings {
            max_forwards: s.max_forwards,
            connect_timeout: forwarding::CONNECT_TIMEOUT,
        },
        cert_mappings: pki.user_mappings,
        host_trustpoint: pki.host_certificate.map(|(name, _)| name),
        metrics: Arc::default(),
        traps: match &file.snmp {
            Some(snmp) => snmp_trap::TrapSender::new(snmp)?,
            None => None,
        },
        files: file.files.clone(),
        scp: file.scp.clone(),
        sftp: file.sftp.as_ref().is_some_and(|s| s.enable),
        user_cas,
    });
    Ok((cfg, ctx))
}
