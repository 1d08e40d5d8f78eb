//! `combipat report quality --year Y [--csv] [--server URL --token T]`: yearly quality
//! indicators per patronato (INPS–Patronati protocol §5).
//!
//! With a server the figures come from `GET /v1/dashboard/quality?year=Y` (the token's scope);
//! otherwise they are computed in-process over the small deterministic demo dataset (`--seed`).

use color_eyre::eyre::{WrapErr, bail};

use crate::api::audit_export::ExportKind;
use crate::api::dashboard::QualityQuery;
use crate::client::{Client, ClientOptions};
use crate::demo::dashboard::demo_facts;
use crate::domain::calendar::CalendarSet;
use crate::domain::dashboard::csv::quality_csv;
use crate::domain::dashboard::{PatronatoFigures, SlaCalendars, yearly_quality};

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Yearly quality indicators per patronato.
    Quality(QualityArgs),
}

#[derive(Debug, clap::Args)]
pub struct QualityArgs {
    /// Calendar year of filing (Europe/Rome).
    #[arg(long)]
    pub year: i16,
    /// CSV instead of an aligned table.
    #[arg(long)]
    pub csv: bool,
    /// Seed of the demo dataset (without a server).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// URL of the central service (also accepted before `report`).
    #[arg(long)]
    pub server: Option<String>,
    /// API token of a supervisor or auditor for `--server`.
    #[arg(long, hide_env_values = true)]
    pub token: Option<String>,
    /// Why the report is taken, recorded in the service's audit log with `--server`.
    #[arg(long, default_value = "rapporto qualità (combipat report quality)")]
    pub purpose: String,
}

pub fn run(ws: super::workstation::WorkstationArgs, cmd: ReportCommand) -> color_eyre::Result<()> {
    let ReportCommand::Quality(args) = cmd;
    if !crate::domain::calendar::SUPPORTED_YEARS.contains(&args.year) {
        bail!("--year: {} is outside the supported years", args.year);
    }
    let figures = match (args.server.or(ws.server), args.token.or(ws.token)) {
        (Some(server), Some(token)) => remote_quality(&server, &token, args.year, &args.purpose)?,
        (Some(_), None) => bail!("--token: required with --server"),
        (None, _) => {
            let config = crate::config::Config::load(ws.config.as_deref(), ws.profile.as_deref())?;
            demo_quality(&config.calendar, args.seed, args.year)?
        }
    };
    if args.csv {
        print!("{}", quality_csv(args.year, &figures, ws.csv_dialect));
        return Ok(());
    }
    // The aligned table is read on screen: plain cells, split on the plain separator.
    let csv = quality_csv(args.year, &figures, crate::domain::csv::Dialect::Plain);
    // Each column as wide as its widest cell, header included, so names line up with figures.
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        println!("{}", cells.join(" "));
    }
    Ok(())
}

fn remote_quality(
    server: &str,
    token: &str,
    year: i16,
    purpose: &str,
) -> color_eyre::Result<Vec<PatronatoFigures>> {
    let client = Client::new(server, token, ClientOptions::default())
        .wrap_err_with(|| format!("--server {server}"))?;
    let runtime = super::runtime()?;
    let report = runtime
        .block_on(client.dashboard_quality(&QualityQuery { year }))
        .wrap_err_with(|| format!("GET {server}/v1/dashboard/quality?year={year}"))?;
    // Audited before anything is printed; no audit, no report.
    let rows = report.patronati.len() as u64;
    runtime
        .block_on(client.record_export(ExportKind::Quality, purpose, rows, &[]))
        .wrap_err_with(|| format!("POST {server}/v1/audit/exports (--purpose)"))?;
    Ok(report.patronati)
}

fn demo_quality(
    calendar: &crate::config::CalendarConfig,
    seed: u64,
    year: i16,
) -> color_eyre::Result<Vec<PatronatoFigures>> {
    let (facts, policy) = demo_facts(seed, jiff::Timestamp::now())?;
    // The configured closures and hours count here as they do in the service.
    let calendars =
        crate::service::sla::calendars_from_config_for(calendar, CalendarSet::years_around(year))?;
    let clock = SlaCalendars {
        calendars: &calendars,
        business_day_hours: policy.business_day_hours,
    };
    Ok(yearly_quality(&facts, &clock, year))
}
