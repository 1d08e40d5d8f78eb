//! `combipat demo` (being built).

#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// Build the deterministic demo dataset into a data dir.
    Seed,
}

pub fn run(_cmd: DemoCommand) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat demo' is not available yet")
}
