//! `combipat report` (being built).

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Yearly quality indicators per patronato.
    Quality,
}

pub fn run(_cmd: ReportCommand) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat report' is not available yet")
}
