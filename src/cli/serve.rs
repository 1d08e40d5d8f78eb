//! `combipat serve` (being built).

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat serve' is not available yet")
}
