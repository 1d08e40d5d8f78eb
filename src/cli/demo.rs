//! `combipat demo`: seed a data dir with the deterministic demo dataset; simulate patronato traffic.

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, bail};

use crate::client::{Client, ClientOptions};
use crate::demo::DemoSize;
use crate::demo::simulate::{self, SimulateConfig};
use crate::service::seed::SeedData;

#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// Build the deterministic demo dataset into an empty data dir and write
    /// DIR/demo-credentials.toml (one token per role plus patronato clients).
    Seed(SeedArgs),
    /// File new requests and answer integration requests continuously, as a patronato's own
    /// software would, through the HTTP API. Stops on Ctrl-C and prints what it did.
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Seed of the generator: the same seed, size and --now give the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Data directory (created if missing; must hold no data yet).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// About two offices' worth (~200 requests) instead of the full set (16 offices, 20,000
    /// requests over 90 days).
    #[arg(long, conflicts_with = "requests")]
    pub small: bool,
    /// The full demo scaled to this many requests (e.g. 1000000), citizens and staff with it.
    #[arg(long, value_name = "N")]
    pub requests: Option<usize>,
    /// End of the 90-day window, RFC 3339 (e.g. 2026-11-23T16:00:00Z); default: now.
    #[arg(long, value_name = "INSTANT")]
    pub now: Option<jiff::Timestamp>,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Base URL of the service, e.g. http://127.0.0.1:8080
    #[arg(long, env = "COMBIPAT_URL")]
    pub url: String,
    /// Bearer token of a patronato client (see demo-credentials.toml); prefer the env variable,
    /// which does not show in the process list.
    #[arg(long, env = "COMBIPAT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Actions (new requests + answers) per minute.
    #[arg(long, default_value_t = 6.0)]
    pub rate: f64,
    /// Reproducible choices and texts.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many actions.
    #[arg(long, value_name = "N")]
    pub max_actions: Option<u64>,
}

pub fn run(cmd: DemoCommand) -> color_eyre::Result<()> {
    match cmd {
        DemoCommand::Seed(args) => seed(args),
        DemoCommand::Simulate(args) => run_simulation(args),
    }
}

fn seed(args: SeedArgs) -> color_eyre::Result<()> {
    let size = match (args.small, args.requests) {
        (_, Some(0)) => bail!("--requests must be positive"),
        (_, Some(n)) => DemoSize::with_requests(n),
        (true, None) => DemoSize::small(),
        (false, None) => DemoSize::full(),
    };
    let started = std::time::Instant::now();
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    crate::service::private_files::ensure_private_dir(&args.data_dir)
        .wrap_err_with(|| format!("--data-dir {}", args.data_dir.display()))?;
    let observer = super::seed_progress::observer();
    observer.generating();
    let data = SeedData::generated(args.seed, size, now);
    let requests = data.requests();
    let citizens = data.head().citizens.len();
    let offices = data.head().offices.len();
    let seeded = super::runtime()?.block_on(crate::service::seed::seed_demo_with_agenda(
        &args.data_dir,
        data,
        now,
        Arc::clone(&observer),
    ));
    observer.done();
    let (credentials, appointments) =
        seeded.wrap_err_with(|| format!("--data-dir {}", args.data_dir.display()))?;
    println!(
        "seeded {} with {offices} offices, {citizens} citizens, {requests} requests, \
         {appointments} appointments in {:.1} s; {} tokens in {}",
        args.data_dir.display(),
        started.elapsed().as_secs_f64(),
        credentials.credential.len(),
        args.data_dir.join("demo-credentials.toml").display()
    );
    Ok(())
}

fn run_simulation(args: SimulateArgs) -> color_eyre::Result<()> {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        bail!("--rate must be a positive number of actions per minute");
    }
    let client = Client::new(&args.url, &args.token, ClientOptions::default())
        .wrap_err_with(|| format!("--url {}", args.url))?;
    let config = SimulateConfig {
        rate_per_minute: args.rate,
        seed: args.seed,
        max_actions: args.max_actions,
        ..SimulateConfig::default()
    };
    let report = super::runtime()?.block_on(async {
        let stop = async {
            // If the signal handler cannot be installed, run until max_actions instead.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        simulate::run(&client, config, stop).await
    })?;
    println!(
        "filed {} requests, answered {} integration requests, {} failed",
        report.filed, report.answered, report.failed
    );
    Ok(())
}
