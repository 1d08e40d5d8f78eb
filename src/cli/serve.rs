//! `combipat serve`: the central service (REST + server-sent events) on a data dir.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::WrapErr;

use crate::config::Config;
use crate::service::ssh_source::StoreDashboardSource;
use crate::service::{self, ServiceConfig};
use crate::ssh::{SshServerConfig, SshSettings};
use crate::tui::dashboard::text::Lang;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787", env = "COMBIPAT_LISTEN")]
    pub listen: SocketAddr,
    /// Directory holding the SQLite database (unless `--database` names another store), the
    /// demo credentials and the SSH host key (created if missing).
    #[arg(long, env = "COMBIPAT_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The store: `postgres://USER@HOST/DB` (several nodes may share it) or `sqlite:PATH`;
    /// default `[server] database` of `--config`, else DATA_DIR/combipat.sqlite3.
    #[arg(long, env = "COMBIPAT_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Seed an empty data dir with demo data; tokens go to DIR/demo-credentials.toml.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: the full demo scaled to this many requests.
    #[arg(long, value_name = "N", requires = "demo")]
    pub requests: Option<usize>,
    /// Seed of the demo data.
    #[arg(long, default_value_t = service::DEFAULT_DEMO_SEED)]
    pub seed: u64,
    /// Also serve the cruscotto over SSH on this address (off unless given).
    #[arg(long, value_name = "ADDR", requires = "ssh_keys")]
    pub ssh: Option<SocketAddr>,
    /// TOML file with the `[ssh]` section (keys → operators, limits); the configuration file
    /// itself will do, other sections are ignored.
    #[arg(long, value_name = "FILE")]
    pub ssh_keys: Option<PathBuf>,
    /// Configuration file: its `[sla]` policy and `[calendar]` closures and office hours shape
    /// the SLA clocks (default: the embedded policy and built-in calendars).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile of the configuration file (`[profiles.NAME]`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// SLA policy file (an `[sla]` table, see config.example.toml); replaces the configured one.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Seconds between SLA alert scans; 0 turns alert events off.
    #[arg(long, value_name = "SECS", default_value_t = service::alerts::DEFAULT_INTERVAL.as_secs())]
    pub alert_interval: u64,
}

/// The part of a TOML file `--ssh-keys` reads.
#[derive(Debug, serde::Deserialize)]
struct SshSection {
    ssh: SshSettings,
}

fn read_ssh_settings(path: &Path) -> color_eyre::Result<SshSettings> {
    let text =
        std::fs::read_to_string(path).wrap_err_with(|| format!("--ssh-keys {}", path.display()))?;
    let section: SshSection =
        toml::from_str(&text).wrap_err_with(|| format!("--ssh-keys {}", path.display()))?;
    Ok(section.ssh)
}

pub fn run(args: ServeArgs) -> color_eyre::Result<()> {
    init_tracing();
    let ssh_settings = match &args.ssh_keys {
        Some(path) => Some(read_ssh_settings(path)?),
        None => None,
    };
    let config = if args.config.is_some() || args.profile.is_some() {
        Config::load(args.config.as_deref(), args.profile.as_deref())?
    } else {
        Config::default()
    };
    let alert_interval =
        (args.alert_interval > 0).then(|| Duration::from_secs(args.alert_interval));
    let (database, database_setting) = match (&args.database, &config.server.database) {
        (Some(url), _) => (Some(url.clone()), "--database / COMBIPAT_DATABASE"),
        (None, Some(url)) => (Some(url.clone()), "[server] database"),
        (None, None) => (None, "--data-dir"),
    };
    let service_config = ServiceConfig {
        demo_seed: args.seed,
        ..ServiceConfig::new(args.listen, args.data_dir.clone())
            .with_database(database)
            .with_demo(args.demo)
            .with_demo_data(service::DemoData::Generated(match args.requests {
                Some(n) => crate::demo::DemoSize::with_requests(n.max(1)),
                None => crate::demo::DemoSize::full(),
            }))
            .with_seed_observer(if args.demo {
                super::seed_progress::observer()
            } else {
                Arc::new(service::seed::Quiet)
            })
            .with_alert_interval(alert_interval)
            .with_retention(retention_of(&config.server)?)
            .with_config(&config, args.policy.as_deref())?
    };
    super::runtime()?.block_on(async move {
        let mut running = service::start(service_config).await.wrap_err_with(|| {
            format!("cannot start the service (store from {database_setting})")
        })?;
        // The queue counters are built off the first caller's path.
        let warming = running.store();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            match warming.warm_up().await {
                Ok(()) => tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    "queue counters built"
                ),
                Err(error) => {
                    tracing::warn!(%error, "queue counters not built; the first answer builds them")
                }
            }
        });
        println!("combipat service listening on {}", running.base_url());
        if running.credentials().is_some() {
            println!(
                "demo tokens: {}",
                service::demo_credentials::path(&args.data_dir).display()
            );
        }
        let ssh = match (args.ssh, ssh_settings) {
            (Some(listen), Some(settings)) => {
                let config = SshServerConfig {
                    listen,
                    data_dir: args.data_dir.clone(),
                    settings,
                    lang: Lang::It,
                    no_color: std::env::var_os("NO_COLOR").is_some(),
                };
                let source = Arc::new(StoreDashboardSource::new(running.store()));
                let server = crate::ssh::start(config, source).await?;
                println!("combipat ssh dashboard listening on {}", server.addr());
                Some(server)
            }
            _ => None,
        };
        let outcome = tokio::select! {
            result = running.wait() => result.map_err(color_eyre::Report::from),
            _ = shutdown_signal() => {
                eprintln!("shutting down");
                running.shutdown().await.map_err(color_eyre::Report::from)
            }
        };
        if let Some(server) = ssh {
            server.shutdown().await;
        }
        outcome
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

/// `[server] idempotency_hours` and `event_retention_days`, checked.
fn retention_of(
    server: &crate::config::ServerConfig,
) -> color_eyre::Result<crate::service::core::Retention> {
    let mut retention = crate::service::core::Retention::default();
    if let Some(hours) = server.idempotency_hours {
        if hours == 0 {
            color_eyre::eyre::bail!("[server] idempotency_hours must be at least 1");
        }
        retention.idempotency = jiff::SignedDuration::from_hours(i64::from(hours));
    }
    if let Some(days) = server.event_retention_days {
        if days == 0 {
            color_eyre::eyre::bail!("[server] event_retention_days must be at least 1");
        }
        retention.events = jiff::SignedDuration::from_hours(24 * i64::from(days));
    }
    Ok(retention)
}
