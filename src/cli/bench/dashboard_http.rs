//! `combipat bench dashboard-http`: how long `GET /v1/dashboard` and
//! `GET /v1/dashboard/quality` take over a generated dataset (20,000 requests by default).
//!
//! Seeds a fresh service in a temporary data dir, then asks as the demo supervisor (one office
//! or region) and the demo auditor (national) a few times each, printing every round.

use std::time::Instant;

use color_eyre::eyre::eyre;

use crate::api::dashboard::QualityQuery;
use crate::client::{Client, ClientOptions};
use crate::domain::roles::Role;

#[derive(Debug, clap::Args)]
pub struct DashboardHttpArgs {
    /// Requests in the generated dataset.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Calls per role and endpoint.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
}

pub fn run(args: DashboardHttpArgs) -> color_eyre::Result<()> {
    super::super::runtime()?.block_on(async move {
        let (running, dir, credentials) = super::seeded_service(args.requests).await?;
        let year = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Europe/Rome")?)
            .year();
        println!("role\tendpoint\tround\trequests_in_scope\tms");
        for role in [Role::Supervisor, Role::Auditor] {
            let token = credentials
                .token(role)
                .ok_or_else(|| eyre!("no demo {role:?} token"))?;
            let client = Client::new(&running.base_url(), token, ClientOptions::default())?;
            for round in 1..=args.rounds {
                let started = Instant::now();
                let response = client.dashboard().await?;
                let ms = started.elapsed().as_millis();
                let in_scope: u32 = response
                    .dashboard
                    .office_totals
                    .iter()
                    .map(|c| c.forwarded.total)
                    .sum();
                println!("{role:?}\t/v1/dashboard\t{round}\t{in_scope}\t{ms}");
            }
            for round in 1..=args.rounds {
                let started = Instant::now();
                let report = client.dashboard_quality(&QualityQuery { year }).await?;
                let ms = started.elapsed().as_millis();
                let volume: u32 = report.patronati.iter().map(|p| p.volume).sum();
                println!("{role:?}\t/v1/dashboard/quality?year={year}\t{round}\t{volume}\t{ms}");
            }
        }
        running.shutdown().await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}
