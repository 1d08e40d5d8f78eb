//! `e` in the list: the rows on screen (queue, filter and sort as shown) to a CSV file in the
//! data dir. The Italian dialect by default, as Italian spreadsheet software reads it without
//! an import wizard: UTF-8 with BOM, `;` between fields, Italian headers, times in Rome time.

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
    let mut out = String::from("\u{feff}");
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
    push_row(&mut out, header.iter().map(|k| t(lang, k).to_string()));
    for r in state.visible.iter().filter_map(|&i| state.requests.get(i)) {
        push_row(&mut out, row(lang, r, &time));
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

fn push_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let mut first = true;
    for field in fields {
        if !first {
            out.push(';');
        }
        first = false;
        out.push_str(&field_text(&field));
    }
    out.push_str("\r\n");
}

/// One field: quoted when it holds a separator, quote or line break; a leading `= + - @`
/// gets a `'` so a spreadsheet never runs text from a patronato as a formula.
fn field_text(field: &str) -> String {
    let clean: String = field
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let clean = if clean.starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean
    };
    if clean.contains([';', '"', '\n']) {
        format!("\"{}\"", clean.replace('"', "\"\""))
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field_text("a;b"), "\"a;b\"");
        assert_eq!(field_text("di \"x\""), "\"di \"\"x\"\"\"");
        assert_eq!(field_text("=SOMMA(A1)"), "'=SOMMA(A1)");
        assert_eq!(field_text("ok\u{1b}[2J"), "ok[2J");
    }
}
