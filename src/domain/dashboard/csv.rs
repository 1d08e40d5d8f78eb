//! CSV exports of the cruscotto, in a [`Dialect`]: Italian by default (`;`, decimal comma,
//! Italian headers, UTF-8 with BOM) or plain (RFC 4180: `,`, `.`, header codes). CRLF, quoted
//! when needed. Durations are business hours with one decimal; shares are percentages with one
//! decimal; an empty field means "nothing to measure" (e.g. no replies in the window).
//! Cells go through [`crate::domain::csv`], which neutralises formula injection.

use super::{AGE_BUCKETS, CellFigures, Dashboard, FORECAST_HORIZONS, PatronatoFigures, Share};
use crate::domain::csv::Dialect;

fn percent(share: Share, dialect: Dialect) -> String {
    share
        .percent()
        .map(|p| dialect.decimal(&format!("{p:.1}")))
        .unwrap_or_default()
}

fn hours(secs: Option<i64>, dialect: Dialect) -> String {
    secs.map(|s| dialect.decimal(&format!("{:.1}", s as f64 / 3600.0)))
        .unwrap_or_default()
}

/// The Italian labels of [`CELL_HEADER`], column for column.
const CELL_HEADER_IT: [&str; 16] = [
    "Sede",
    "Materia",
    "Aperte",
    "A rischio",
    "Scadute",
    "In attesa di integrazione",
    "Nei tempi oggi %",
    "Nei tempi 7 giorni %",
    "Nei tempi 30 giorni %",
    "Prima risposta mediana (ore lav.)",
    "Prima risposta 90° percentile (ore lav.)",
    "Chiusura mediana (ore lav.)",
    "Chiusura 90° percentile (ore lav.)",
    "Riaperte %",
    "Trasferite %",
    "Trasferimenti",
];

const CELL_HEADER: [&str; 16] = [
    "office",
    "topic",
    "open",
    "at_risk",
    "breached",
    "paused",
    "within_sla_today_pct",
    "within_sla_7d_pct",
    "within_sla_30d_pct",
    "first_reply_median_h",
    "first_reply_p90_h",
    "resolution_median_h",
    "resolution_p90_h",
    "reopen_pct",
    "forwarded_pct",
    "forward_hops",
];

fn cell_row(cell: &CellFigures, dialect: Dialect) -> Vec<String> {
    let d = dialect;
    let mut row = vec![
        cell.office.clone(),
        cell.topic.map(|t| t.code().to_string()).unwrap_or_default(),
        cell.open.to_string(),
        cell.at_risk.to_string(),
        cell.breached.to_string(),
        cell.paused.to_string(),
        percent(cell.within_sla_today, d),
        percent(cell.within_sla_7d, d),
        percent(cell.within_sla_30d, d),
        hours(cell.first_reply.median_secs, d),
        hours(cell.first_reply.p90_secs, d),
        hours(cell.resolution.median_secs, d),
        hours(cell.resolution.p90_secs, d),
        percent(cell.reopen, d),
        percent(cell.forwarded, d),
        cell.forward_hops.to_string(),
    ];
    row.extend(cell.backlog_by_age.iter().map(u32::to_string));
    row.push(cell.forecast.recent_closures.to_string());
    row.extend(cell.forecast.breaching.iter().map(u32::to_string));
    row.extend(
        cell.forecast
            .extra_daily_closures
            .iter()
            .map(u32::to_string),
    );
    row
}

/// Headers of the forecast columns (after the backlog buckets), per dialect.
fn forecast_header(italian: bool) -> Vec<String> {
    let mut header = vec![if italian {
        "Chiuse ultimi 10 g lav.".to_string()
    } else {
        "closed_last_10_business_days".to_string()
    }];
    header.extend(FORECAST_HORIZONS.iter().map(|h| {
        if italian {
            format!("Scadranno entro {h} g lav.")
        } else {
            format!("breaching_within_{h}bd")
        }
    }));
    header.extend(FORECAST_HORIZONS.iter().map(|h| {
        if italian {
            format!("Chiusure in più al giorno per {h} g lav.")
        } else {
            format!("extra_daily_closures_{h}bd")
        }
    }));
    header
}

/// The office × topic table as shown in the view: one row per cell, then one total per office
/// (empty topic). After the backlog buckets come the forecast columns (see
/// [`super::Forecast`]): closures in the rate window, then open requests expected to breach
/// within 1, 3, 5 business days, then the extra closures per business day that would avoid it.
pub fn dashboard_csv(dashboard: &Dashboard, dialect: Dialect) -> String {
    let mut header: Vec<String> = if dialect.italian_headers() {
        let mut header: Vec<String> = CELL_HEADER_IT.iter().map(|h| h.to_string()).collect();
        header.extend(AGE_BUCKETS.iter().map(|b| format!("Arretrato {b} giorni")));
        header
    } else {
        CELL_HEADER.iter().map(|h| h.to_string()).collect()
    };
    if !dialect.italian_headers() {
        header.extend(AGE_BUCKETS.iter().map(|b| format!("backlog_age_{b}")));
    }
    header.extend(forecast_header(dialect.italian_headers()));
    let mut out = dialect.start().to_string();
    out.push_str(&dialect.line(&header));
    for cell in dashboard.cells.iter().chain(&dashboard.office_totals) {
        out.push_str(&dialect.line(&cell_row(cell, dialect)));
    }
    out
}

/// The Italian labels of [`QUALITY_HEADER`], column for column.
pub const QUALITY_HEADER_IT: [&str; 11] = [
    "Anno",
    "Patronato",
    "Richieste",
    "Richieste di integrazione",
    "Con integrazione %",
    "Riaperte %",
    "Prima risposta nei tempi %",
    "Prima risposta mediana (ore lav.)",
    "Prima risposta 90° percentile (ore lav.)",
    "Chiusura mediana (ore lav.)",
    "Chiusura 90° percentile (ore lav.)",
];

pub const QUALITY_HEADER: [&str; 11] = [
    "year",
    "patronato",
    "volume",
    "integration_requests",
    "needing_integration_pct",
    "reopen_pct",
    "first_reply_within_sla_pct",
    "first_reply_median_h",
    "first_reply_p90_h",
    "resolution_median_h",
    "resolution_p90_h",
];

/// One patronato's cells of the yearly quality report, numbers in `dialect`'s notation.
pub fn quality_cells(year: i16, f: &PatronatoFigures, dialect: Dialect) -> Vec<String> {
    let d = dialect;
    vec![
        year.to_string(),
        f.patronato.clone(),
        f.volume.to_string(),
        f.integration_requests.to_string(),
        percent(f.defect, d),
        percent(f.reopen, d),
        percent(f.within_sla, d),
        hours(f.first_reply.median_secs, d),
        hours(f.first_reply.p90_secs, d),
        hours(f.resolution.median_secs, d),
        hours(f.resolution.p90_secs, d),
    ]
}

/// The yearly quality indicators per patronato (protocol §5) as CSV.
pub fn quality_csv(year: i16, figures: &[PatronatoFigures], dialect: Dialect) -> String {
    let d = dialect;
    let mut out = d.start().to_string();
    out.push_str(&d.line(if d.italian_headers() {
        &QUALITY_HEADER_IT
    } else {
        &QUALITY_HEADER
    }));
    for f in figures {
        out.push_str(&d.line(&quality_cells(year, f, d)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dashboard::DurationStats;

    #[test]
    fn quality_csv_rows_and_quoting() {
        let figures = vec![PatronatoFigures {
            patronato: "50&PIÙ, ENASCO".into(),
            volume: 4,
            integration_requests: 3,
            defect: Share { hits: 1, total: 4 },
            reopen: Share { hits: 0, total: 0 },
            within_sla: Share { hits: 2, total: 3 },
            first_reply: DurationStats {
                count: 3,
                median_secs: Some(5400),
                p90_secs: Some(36_000),
            },
            ..PatronatoFigures::default()
        }];
        let csv = quality_csv(2026, &figures, Dialect::Plain);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("year,patronato,volume"));
        assert_eq!(
            lines[1],
            "2026,\"50&PIÙ, ENASCO\",4,3,25.0,,66.7,1.5,10.0,,"
        );
        assert_eq!(lines[2], "");
        // The default: what an Italian spreadsheet opens as columns and numbers.
        let csv = quality_csv(2026, &figures, Dialect::default());
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(
            lines[0].starts_with("\u{feff}Anno;Patronato;Richieste;"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "2026;50&PIÙ, ENASCO;4;3;25,0;;66,7;1,5;10,0;;");
    }

    #[test]
    fn exported_names_cannot_start_a_formula() {
        let figures = vec![PatronatoFigures {
            patronato: "=HYPERLINK(\"http://evil\",\"INCA\")".into(),
            volume: 1,
            integration_requests: 0,
            defect: Share { hits: 0, total: 1 },
            reopen: Share { hits: 0, total: 0 },
            within_sla: Share { hits: 1, total: 1 },
            first_reply: DurationStats {
                count: 0,
                median_secs: None,
                p90_secs: None,
            },
            ..PatronatoFigures::default()
        }];
        let csv = quality_csv(2026, &figures, Dialect::Plain);
        let row = csv.split("\r\n").nth(1).unwrap();
        assert!(row.starts_with("2026,\"'=HYPERLINK("), "{row}");
        let csv = quality_csv(2026, &figures, Dialect::Italian);
        let row = csv.split("\r\n").nth(1).unwrap();
        assert!(row.starts_with("2026;\"'=HYPERLINK("), "{row}");
    }
}
