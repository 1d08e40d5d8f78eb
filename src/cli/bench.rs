//! `combipat bench` (being built).

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// SLA remaining-time computation over many open requests.
    Sla,
}

pub fn run(_cmd: BenchCommand) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat bench' is not available yet")
}
