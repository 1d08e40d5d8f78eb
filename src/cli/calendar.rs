//! `combipat calendar` (being built).

#[derive(Debug, clap::Args)]
pub struct CalendarArgs {}

pub fn run(_args: CalendarArgs) -> color_eyre::Result<()> {
    color_eyre::eyre::bail!("'combipat calendar' is not available yet")
}
