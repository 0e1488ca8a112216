//! `sshgate-host demo`: everything in one process, for a first look on one machine —
//!
//! - a device server (the same code as `serve`) on a loopback port only the bridge knows;
//! - the bridge, with that device as target `router1` and `switch1` pointing at a loopback
//!   port where nothing listens (to show what an unreachable device looks like), plus any
//!   `--target`;
//! - the page (`--static DIR`, or `www/dist` when it has been built, or a placeholder).
//!
//! Keys, the dev CA and `lab`'s password live in the data directory (`data`), made on first
//! start and reused after. Every start prints the URL and the password, then where the dev CA's
//! files are (`dev_ca`): the root to trust, lab's certificate and key, and the PKCS#12 file with
//! its passphrase — what the page, `sshgate-host ssh --cert`, or a browser needs for a
//! certificate login.

pub mod data;
pub mod dev_ca;
mod issue;
mod pkcs12;

use crate::bridge::Bridge;
use crate::bridge::config::{BridgeArgs, BridgeConfig, BridgeFile, Target};
use crate::server::{self, listener};
use crate::shutdown::Shutdown;
use crate::web::settings::WebSettings;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where keys, the dev CA and the demo password are kept (made on first start).
    #[arg(long, value_name = "DIR", default_value = "demo-data")]
    pub data_dir: PathBuf,
    /// Address of the page and the bridge (loopback: the demo has no TLS).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The page's static files [default: www/dist when it exists].
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// Another target: NAME=HOST:PORT; repeatable.
    #[arg(long, value_name = "NAME=HOST:PORT")]
    pub target: Vec<String>,
}

/// Where nothing listens (the discard port on loopback), for the second target.
const NOTHING: &str = "127.0.0.1:9";

/// Runs the demo until SIGTERM or ctrl-c.
pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let dir = args.data_dir.clone();
    // Key generation and argon2 are CPU work: off the async workers.
    let data = tokio::task::spawn_blocking(move || data::prepare(&dir)).await??;
    if data.created {
        tracing::info!(dir = %data.dir.display(), "demo data directory created");
    }
    let shutdown = Shutdown::on_signal();

    let (cfg, ctx) = server::prepare(&data.device).await?;
    let device_listeners = listener::bind(&["127.0.0.1:0".to_string()]).await?;
    let device_addr = device_listeners[0].local_addr()?;
    let device = tokio::spawn(listener::serve_on(
        device_listeners,
        listener::channel(),
        cfg,
        ctx,
        shutdown.wait(),
    ));

    let static_dir = args.static_dir.clone().or_else(|| {
        let built = PathBuf::from("www/dist");
        built.is_dir().then_some(built)
    });
    let file = BridgeFile {
        bridge: WebSettings {
            listen: vec![args.listen.clone()],
            static_dir,
            ..WebSettings::default()
        },
        targets: vec![
            Target {
                name: data::DEVICE.into(),
                address: device_addr.to_string(),
                description: Some("sshgate device server in this process".into()),
            },
            Target {
                name: "switch1".into(),
                address: NOTHING.into(),
                description: Some("nothing listens here: an unreachable device".into()),
            },
        ],
    };
    let flags = BridgeArgs {
        target: args.target.clone(),
        ..BridgeArgs::default()
    };
    let bridge_cfg = BridgeConfig::merge(file, &flags, None)?;
    let bridge = Bridge::bind(bridge_cfg, shutdown.clone()).await?;
    let addr = bridge
        .local_addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the bridge has no listener"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sshgate demo: open http://{addr}/ — user {}, password {}",
        data::USER,
        data.password
    )?;
    let ca = &data.ca;
    // Absolute, so the paths can be pasted wherever the page or a shell runs.
    let file = |name: &str| {
        let p = ca.dir.join(name);
        std::path::absolute(&p).unwrap_or(p).display().to_string()
    };
    writeln!(
        out,
        "sshgate demo: dev CA {} (SHA-256 {}); {}'s certificate {}, key {}; \
         PKCS#12 {}, passphrase {}",
        file(dev_ca::CA_CERT),
        ca.root_fingerprint,
        data::USER,
        file(dev_ca::USER_CHAIN),
        file(dev_ca::USER_KEY),
        file(dev_ca::USER_P12),
        ca.p12_passphrase
    )?;
    out.flush()?;
    drop(out);
    bridge.run().await;
    device.await??;
    Ok(())
}
