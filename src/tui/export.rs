//! `e` in the list: the rows on screen (queue, filter and sort as shown) to a CSV file in the
//! data dir. The Italian dialect by default, as Italian spreadsheet software reads it without
//! an import wizard: UTF-8 with BOM, `;` between fields, Italian headers, times in Rome time;
//! `--csv-dialect plain` for RFC 4180 with the column codes. Cells go through
//! [`crate::domain::csv`], the one place formula injection is neutralised.

use jiff::tz::TimeZone;

use crate::api::RequestSummary;
use crate::i18n::{Lang, t};
use crate::tui::state::{State, due_at};

/// The CSV of the visible rows.
pub fn list_csv(state: &State) -> String {
    let rome = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    let time = |ts: jiff::Timestamp| {
        ts.to_zoned(rome.clone())
            .strftime("%d/%m/%Y %H:%M")
            .to_string()
    };
    let lang = state.lang;
    let dialect = state.csv_dialect;
    let mut out = dialect.start().to_string();
    let header = [
        "csv.id",
        "csv.status",
        "csv.office",
        "csv.patronato",
        "csv.topic",
        "csv.citizen",
        "csv.citizen_name",
        "csv.subject",
        "csv.priority",
        "csv.assignee",
        "csv.created",
        "csv.due",
    ];
    let header: Vec<String> = header
        .iter()
        .map(|k| {
            if dialect.italian_headers() {
                t(lang, k).to_string()
            } else {
                k.trim_start_matches("csv.").to_string()
            }
        })
        .collect();
    out.push_str(&dialect.line(&header));
    for r in state.visible.iter().filter_map(|&i| state.requests.get(i)) {
        let cells: Vec<String> = row(lang, r, &time).iter().map(|c| printable(c)).collect();
        out.push_str(&dialect.line(&cells));
    }
    out
}

fn row(lang: Lang, r: &RequestSummary, time: &dyn Fn(jiff::Timestamp) -> String) -> Vec<String> {
    vec![
        r.id.as_str().to_string(),
        t(lang, &format!("status.{}", r.status.code())).to_string(),
        r.office.clone(),
        r.patronato.clone(),
        t(lang, &format!("topic.{}", r.topic.code())).to_string(),
        crate::tui::view::masked(&r.citizen),
        r.citizen_name.clone().unwrap_or_default(),
        r.subject.clone(),
        t(lang, &format!("csv.priority.{}", r.priority.code())).to_string(),
        r.assignee.clone().unwrap_or_default(),
        time(r.created_at),
        due_at(r).map(time).unwrap_or_default(),
    ]
}

/// Text from patronati without control characters (line breaks kept): a CSV opened in a
/// terminal or an editor shows it inert.
fn printable(field: &str) -> String {
    field
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let field = |text: &str| crate::domain::csv::Dialect::Italian.field(&printable(text));
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("di \"x\""), "\"di \"\"x\"\"\"");
        assert_eq!(field("=SOMMA(A1)"), "'=SOMMA(A1)");
        assert_eq!(field("ok\u{1b}[2J"), "ok[2J");
    }
}
