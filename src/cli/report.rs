//! `combipat report quality --year Y [--csv] [--server URL --token T]`: yearly quality
//! indicators per patronato (INPS–Patronati protocol §5).
//!
//! The figures come from `GET /v1/dashboard/quality?year=Y` (the token's scope), of `--server`
//! or of the data dir's embedded service (the database the embedded workstation uses).

use color_eyre::eyre::{WrapErr, bail};

use crate::api::audit_export::ExportKind;
use crate::api::dashboard::QualityQuery;
use crate::client::{Client, ClientOptions};
use crate::domain::dashboard::PatronatoFigures;
use crate::domain::dashboard::csv::quality_csv;
use crate::domain::roles::Role;

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
    let runtime = super::runtime()?;
    // Read once: the embedded service's data dir, and the language of the table.
    let settings = super::workstation::settings(&ws);
    let lang = settings.as_ref().map_or(crate::i18n::Lang::It, |s| s.lang);
    let figures = match (
        args.server.or(ws.server.clone()),
        args.token.or(ws.token.clone()),
    ) {
        (Some(server), Some(token)) => {
            let client = Client::new(&server, &token, ClientOptions::default())
                .wrap_err_with(|| format!("--server {server}"))?;
            runtime.block_on(quality_from(&client, &server, args.year, &args.purpose))?
        }
        (Some(_), None) => bail!("--token: required with --server"),
        (None, _) => {
            // The data dir's embedded service: the database the embedded workstation and
            // cruscotto use, so the report counts what they show.
            let settings = settings?;
            let session = runtime.block_on(super::workstation::connect_as(
                &settings,
                Role::Supervisor,
                super::workstation::Traffic::None,
            ))?;
            let figures = runtime.block_on(quality_from(
                &session.client,
                "embedded service",
                args.year,
                &args.purpose,
            ));
            runtime.block_on(session.close());
            figures?
        }
    };
    if args.csv {
        print!("{}", quality_csv(args.year, &figures, ws.csv_dialect));
        return Ok(());
    }
    print!("{}", quality_table(lang, args.year, &figures));
    Ok(())
}

/// Columns of [`quality_cells`] after the year, as the on-screen table names them.
const TABLE_HEADER_IT: [&str; 10] = [
    "Patronato",
    "Richieste",
    "Integrazioni",
    "Con integr. %",
    "Riaperte %",
    "1ª risp. nei tempi %",
    "1ª risp. mediana h",
    "1ª risp. p90 h",
    "Chiusura mediana h",
    "Chiusura p90 h",
];

const TABLE_HEADER_EN: [&str; 10] = [
    "Patronato",
    "Requests",
    "Integrations",
    "Needing int. %",
    "Reopened %",
    "1st reply in SLA %",
    "1st reply median h",
    "1st reply p90 h",
    "Closure median h",
    "Closure p90 h",
];

/// The report as read on screen: the title, the table in the UI language (headers and decimal
/// notation), then how every figure is computed.
fn quality_table(lang: crate::i18n::Lang, year: i16, figures: &[PatronatoFigures]) -> String {
    use crate::domain::csv::Dialect;
    use crate::domain::dashboard::csv::quality_cells;
    // Short headers: the year is in the title, "h" is business hours (see the method).
    let (header, dialect) = match lang {
        crate::i18n::Lang::It => (TABLE_HEADER_IT, Dialect::Italian),
        crate::i18n::Lang::En => (TABLE_HEADER_EN, Dialect::Plain),
    };
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    rows.extend(figures.iter().map(|f| {
        let mut cells = quality_cells(year, f, dialect);
        cells.remove(0);
        cells[0] = crate::domain::sanitize::inline(&cells[0], 24);
        cells
    }));
    // Each column as wide as its widest cell, header included, so names line up with figures.
    let mut widths = vec![0; header.len()];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let year_text = year.to_string();
    let mut out = crate::i18n::tf(lang, "quality.title", &[("year", &year_text)]);
    out.push_str("\n\n");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if figures.is_empty() {
        out.push_str(crate::i18n::t(lang, "dash.empty"));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&crate::i18n::tf(
        lang,
        "quality.method",
        &[("year", &year_text)],
    ));
    out.push('\n');
    out
}

async fn quality_from(
    client: &Client,
    server: &str,
    year: i16,
    purpose: &str,
) -> color_eyre::Result<Vec<PatronatoFigures>> {
    let report = client
        .dashboard_quality(&QualityQuery { year })
        .await
        .wrap_err_with(|| format!("GET {server}/v1/dashboard/quality?year={year}"))?;
    // Audited before anything is printed; no audit, no report.
    let rows = report.patronati.len() as u64;
    client
        .record_export(ExportKind::Quality, purpose, rows, &[])
        .await
        .wrap_err_with(|| format!("POST {server}/v1/audit/exports (--purpose)"))?;
    Ok(report.patronati)
}
