//! `combipat bench dashboard-bandwidth`: bytes per second the cruscotto writes while idle.
//!
//! Starts the built-in SSH endpoint on loopback with the demo cruscotto, connects a real SSH
//! client with a pty of each TERM at the given size, lets the first paint finish, then counts
//! the bytes the server writes while the clock ticks every second and nobody types.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::eyre;
use jiff::Timestamp;
use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;

use crate::demo::dashboard::demo_dashboard;
use crate::ssh::{
    DashboardSource, KeyEntry, SourceView, SshServerConfig, SshSettings, probe, start,
};
use crate::tui::dashboard::text::Lang;

#[derive(Debug, clap::Args)]
pub struct BandwidthArgs {
    #[arg(long, default_value_t = 200)]
    pub cols: u32,
    #[arg(long, default_value_t = 50)]
    pub rows: u32,
    /// Seconds of measurement: per terminal type (default 10), or with `--live` per CPU figure
    /// (default 30, one full period of the service's 30 s jobs — the alert evaluator, the
    /// sessions' periodic refresh — so that every window holds the same periodic work).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Terminal types to try (comma separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "xterm-256color,screen-256color,tmux-256color,linux,vt100"
    )]
    pub terms: Vec<String>,
    /// The real service instead of fixed figures: seeded, changing under the patronato
    /// simulator, its CPU measured with no session, one and `--sessions` (see `dashboard_live`).
    #[arg(long)]
    pub live: bool,
    /// With `--live`: concurrent supervisor sessions on one scope.
    #[arg(long, default_value_t = 100)]
    pub sessions: usize,
    /// With `--live`: generated requests to seed.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// With `--live`: simulator actions (filings and answers) per minute.
    #[arg(long, default_value_t = 120.0)]
    pub rate: f64,
}

/// Idle bytes are steady (one clock tick a second): 10 s measures them well.
const IDLE_WINDOW_SECONDS: u64 = 10;
/// CPU figures include jobs that run every 30 s; shorter windows catch them or not by chance
/// (10 s windows gave ratios from 1.8× to 2.5× on the same build, 30 s ones 0.91×–1.12×).
const LIVE_WINDOW_SECONDS: u64 = 30;

struct Fixed(SourceView);

#[async_trait::async_trait]
impl DashboardSource for Fixed {
    async fn load(&self, _operator: &str) -> Result<SourceView, String> {
        Ok(self.0.clone())
    }
}

pub fn run(args: BandwidthArgs) -> color_eyre::Result<()> {
    if args.seconds == Some(0) {
        color_eyre::eyre::bail!("--seconds must be positive");
    }
    if args.live {
        if args.sessions == 0 || !(args.rate.is_finite() && args.rate > 0.0) {
            color_eyre::eyre::bail!("--sessions and --rate must be positive");
        }
        return super::super::runtime()?.block_on(super::dashboard_live::run(
            super::dashboard_live::LiveArgs {
                cols: args.cols,
                rows: args.rows,
                seconds: args.seconds.unwrap_or(LIVE_WINDOW_SECONDS),
                sessions: args.sessions,
                requests: args.requests,
                rate_per_minute: args.rate,
            },
        ));
    }
    super::super::runtime()?.block_on(async move {
        let dashboard = demo_dashboard(7, Timestamp::now())?;
        let data_dir = tempfile_dir()?;
        let client_key = PrivateKey::from(Ed25519Keypair::from_seed(&rand::random()));
        let public = client_key.public_key().to_openssh()?;
        let source = Arc::new(Fixed(SourceView {
            dashboard: dashboard.into(),
            scope_label: "demo".into(),
            role_can_write: false,
        }));
        println!("term\tcolour\tsize\tfirst_paint_bytes\tidle_bytes_per_sec\tterminal_queries");
        for no_color in [false, true] {
            let settings = SshSettings {
                keys: vec![KeyEntry {
                    key: public.clone(),
                    operator: "bench".into(),
                    read_only: true,
                }],
                ..SshSettings::default()
            };
            let server = start(
                SshServerConfig {
                    listen: "127.0.0.1:0".parse()?,
                    data_dir: data_dir.clone(),
                    settings,
                    lang: Lang::It,
                    no_color,
                },
                source.clone(),
            )
            .await?;
            for term in &args.terms {
                let report = probe::measure_idle(
                    server.addr(),
                    client_key.clone(),
                    term,
                    args.cols,
                    args.rows,
                    Duration::from_millis(2500),
                    Duration::from_secs(args.seconds.unwrap_or(IDLE_WINDOW_SECONDS)),
                )
                .await
                .map_err(|e| eyre!("{term}: {e}"))?;
                println!(
                    "{}\t{}\t{}x{}\t{}\t{:.0}\t{}",
                    report.term,
                    if no_color { "NO_COLOR" } else { "colour" },
                    report.cols,
                    report.rows,
                    report.first_paint_bytes,
                    report.bytes_per_sec(),
                    report.queries
                );
            }
            server.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&data_dir);
        Ok(())
    })
}

pub(super) fn tempfile_dir() -> color_eyre::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("combipat-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
