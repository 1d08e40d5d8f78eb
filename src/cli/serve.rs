//! `combipat serve`: the central service (REST + server-sent events) on a data dir.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::service::{self, ServiceConfig};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787", env = "COMBIPAT_LISTEN")]
    pub listen: SocketAddr,
    /// Directory holding the SQLite database (created if missing).
    #[arg(long, env = "COMBIPAT_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Seed an empty data dir with demo data; tokens go to DIR/demo-credentials.toml.
    #[arg(long)]
    pub demo: bool,
    /// Seed of the demo data.
    #[arg(long, default_value_t = service::DEFAULT_DEMO_SEED)]
    pub seed: u64,
}

pub fn run(args: ServeArgs) -> color_eyre::Result<()> {
    init_tracing();
    super::runtime()?.block_on(async move {
        let config = ServiceConfig {
            demo_seed: args.seed,
            ..ServiceConfig::new(args.listen, args.data_dir.clone()).with_demo(args.demo)
        };
        let mut running = service::start(config).await?;
        println!("combipat service listening on {}", running.base_url());
        if running.credentials().is_some() {
            println!(
                "demo tokens: {}",
                service::demo_credentials::path(&args.data_dir).display()
            );
        }
        tokio::select! {
            result = running.wait() => result?,
            _ = shutdown_signal() => {
                eprintln!("shutting down");
                running.shutdown().await?;
            }
        }
        Ok(())
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COMBIPAT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
