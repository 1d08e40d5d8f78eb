//! `combipat dashboard` (being built).

#[derive(Debug, clap::Args)]
pub struct DashboardArgs {}

pub fn run(
    _ws: super::workstation::WorkstationArgs,
    _args: DashboardArgs,
) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat dashboard' is not available yet")
}
