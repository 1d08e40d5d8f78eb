//! `combipat admin` (being built).

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an office.
    CreateOffice,
}

pub fn run(_cmd: AdminCommand) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat admin' is not available yet")
}
