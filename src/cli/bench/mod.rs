//! `combipat bench`: benchmarks that print figures.

mod dashboard_bandwidth;
mod dashboard_http;
mod dashboard_live;
mod reconnect;
mod service;
mod sla;
mod sse;
mod tui;
mod writes;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// SLA remaining-time computation over many open requests.
    Sla(sla::SlaBenchArgs),
    /// Workstation keypress-to-frame and filter latency, peak memory.
    Tui(tui::TuiBenchArgs),
    /// Bytes per second the cruscotto writes over SSH while idle (200×50, ticking clock).
    DashboardBandwidth(dashboard_bandwidth::BandwidthArgs),
    /// Time of `GET /v1/dashboard` and `/v1/dashboard/quality` over a generated dataset.
    DashboardHttp(dashboard_http::DashboardHttpArgs),
    /// Durable writes/s through the service at 1/16/64 concurrent HTTP writers, against a
    /// plain one-commit-per-row loop on the same storage.
    Writes(writes::WritesBenchArgs),
    /// One write to every open event stream: delivery p50/p99 and the writer's latency, at
    /// 1,000 and 5,000 streams, against the same writes with none open.
    Sse(sse::SseBenchArgs),
    /// `/v1/queues` and `/v1/dashboard` national and per office, and list latency at 1/8/64
    /// clients, over a generated dataset, each against its baseline in the same run.
    Service(service::ServiceBenchArgs),
    /// Bytes a workstation transfers to catch up after a one-minute outage with a few writes,
    /// against its full list load in the same run.
    Reconnect(reconnect::ReconnectBenchArgs),
}

pub fn run(cmd: BenchCommand) -> color_eyre::Result<()> {
    match cmd {
        BenchCommand::Sla(args) => sla::run(args),
        BenchCommand::Tui(args) => tui::run(args),
        BenchCommand::DashboardBandwidth(args) => dashboard_bandwidth::run(args),
        BenchCommand::DashboardHttp(args) => dashboard_http::run(args),
        BenchCommand::Writes(args) => writes::run(args),
        BenchCommand::Sse(args) => sse::run(args),
        BenchCommand::Service(args) => service::run(args),
        BenchCommand::Reconnect(args) => reconnect::run(args),
    }
}

/// A small demo service in `dir` on `database` (SQLite in `dir` without one), with the demo
/// supervisor's token, for the benchmarks that write through HTTP.
async fn demo_service(
    dir: &std::path::Path,
    database: Option<String>,
) -> color_eyre::Result<(crate::service::RunningService, String)> {
    use crate::service::{DemoData, ServiceConfig};
    let config = ServiceConfig::new(([127, 0, 0, 1], 0).into(), dir.join("service"))
        .with_demo(true)
        .with_database(database)
        .with_demo_data(DemoData::Generated(crate::demo::DemoSize::small()));
    let running = crate::service::start(config).await?;
    let token = running
        .credentials()
        .and_then(|c| c.token(crate::domain::roles::Role::Supervisor))
        .map(str::to_string)
        .ok_or_else(|| color_eyre::eyre::eyre!("the demo service has no supervisor token"))?;
    Ok((running, token))
}

/// The `pct` percentile of `samples` (nearest rank on the sorted samples).
fn percentile(samples: &[std::time::Duration], pct: f64) -> std::time::Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => std::time::Duration::ZERO,
        n => sorted[((n - 1) as f64 * pct / 100.0).round() as usize],
    }
}

/// A fresh service in a temporary dir seeded with `requests` generated requests, that dir, and
/// its demo credentials; the seeding time printed.
async fn seeded_service(
    requests: usize,
) -> color_eyre::Result<(
    crate::service::RunningService,
    std::path::PathBuf,
    crate::service::DemoCredentials,
)> {
    use crate::service::{DemoData, ServiceConfig};
    let dir = dashboard_bandwidth::tempfile_dir()?;
    let size = crate::demo::DemoSize {
        requests,
        ..crate::demo::DemoSize::full()
    };
    let seeding = std::time::Instant::now();
    let config = ServiceConfig::new(([127, 0, 0, 1], 0).into(), dir.clone())
        .with_demo(true)
        .with_demo_data(DemoData::Generated(size));
    let running = crate::service::start(config).await?;
    println!(
        "seeded {requests} requests in {:.1} s ({})",
        seeding.elapsed().as_secs_f64(),
        running.store().describe_store()
    );
    let credentials = running
        .credentials()
        .cloned()
        .ok_or_else(|| color_eyre::eyre::eyre!("the demo service has no credentials"))?;
    Ok((running, dir, credentials))
}
