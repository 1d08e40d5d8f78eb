//! `combipat workstation` (being built).

#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkstationArgs {}

pub fn run(_args: WorkstationArgs) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat workstation' is not available yet")
}
