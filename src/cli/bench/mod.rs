//! `combipat bench`: benchmarks that print figures.

mod dashboard_bandwidth;
mod dashboard_http;
mod sla;
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
}

pub fn run(cmd: BenchCommand) -> color_eyre::Result<()> {
    match cmd {
        BenchCommand::Sla(args) => sla::run(args),
        BenchCommand::Tui(args) => tui::run(args),
        BenchCommand::DashboardBandwidth(args) => dashboard_bandwidth::run(args),
        BenchCommand::DashboardHttp(args) => dashboard_http::run(args),
        BenchCommand::Writes(args) => writes::run(args),
    }
}
