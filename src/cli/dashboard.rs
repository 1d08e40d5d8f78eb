//! `combipat dashboard`: the cruscotto figures as CSV.
//!
//! With `--server URL --token T` the figures come from the service's `GET /v1/dashboard` (the
//! caller's scope); otherwise they are computed in-process over the deterministic demo dataset
//! (`--seed`), with the real office calendars and SLA policy.

use color_eyre::eyre::{WrapErr, bail};

use crate::client::{Client, ClientOptions};
use crate::domain::dashboard::Dashboard;

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

pub fn run(ws: super::workstation::WorkstationArgs, args: DashboardArgs) -> color_eyre::Result<()> {
    if !args.csv {
        bail!(
            "the interactive cruscotto runs in the workstation (key `dashboard`) or over SSH \
             (`combipat serve --ssh`); use --csv here"
        );
    }
    let dashboard = match (ws.server, ws.token) {
        (Some(server), Some(token)) => remote_dashboard(&server, &token)?,
        (Some(_), None) => bail!("--token: required with --server"),
        (None, _) => demo_dashboard(args.seed, jiff::Timestamp::now())?,
    };
    print!("{}", dashboard_csv(&dashboard));
    Ok(())
}

fn remote_dashboard(server: &str, token: &str) -> color_eyre::Result<Dashboard> {
    let client = Client::new(server, token, ClientOptions::default())
        .wrap_err_with(|| format!("--server {server}"))?;
    let response = super::runtime()?
        .block_on(client.dashboard())
        .wrap_err_with(|| format!("GET {server}/v1/dashboard"))?;
    Ok(response.dashboard)
}
