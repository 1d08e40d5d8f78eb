//! `combipat dashboard`: the cruscotto figures as CSV.
//!
//! The figures are computed in-process over the
//! deterministic demo dataset (`--seed`), with the real office calendars and SLA policy.

use color_eyre::eyre::bail;

use crate::domain::dashboard::csv::dashboard_csv;
use crate::tui::dashboard::fixture::demo_dashboard;

#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    /// Print the office × topic table as CSV on stdout.
    #[arg(long)]
    pub csv: bool,
    /// Seed of the demo dataset the figures are computed over.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

pub fn run(
    _ws: super::workstation::WorkstationArgs,
    args: DashboardArgs,
) -> color_eyre::Result<()> {
    if !args.csv {
        bail!(
            "the interactive cruscotto runs in the workstation (key `dashboard`) or over SSH \
             (`combipat serve --ssh`); use --csv here"
        );
    }
    let dashboard = demo_dashboard(args.seed, jiff::Timestamp::now())?;
    print!("{}", dashboard_csv(&dashboard));
    Ok(())
}
