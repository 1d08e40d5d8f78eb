//! `combipat bench`: benchmarks that print figures.

mod sla;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// SLA remaining-time computation over many open requests.
    Sla(sla::SlaBenchArgs),
}

pub fn run(cmd: BenchCommand) -> color_eyre::Result<()> {
    match cmd {
        BenchCommand::Sla(args) => sla::run(args),
    }
}
