//! Andamento: filed, answered (within SLA) and closed requests per day or per week, newest
//! first, each row dated (Europe/Rome calendar days) with a bar of the requests filed.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::model::{TrendRow, TrendScale};
use super::percent;
use super::table::{Column, ScrollTable, TableLine};
use crate::i18n::t;
use crate::tui::dashboard::state::DashboardState;
use crate::tui::dashboard::style::DashStyles;
use crate::tui::dashboard::text::Lang;

/// Widest bar, in cells.
const BAR_WIDTH: u32 = 24;

fn day_label(lang: Lang, row: &TrendRow) -> String {
    let weekday = row.first.weekday().to_monday_one_offset();
    format!(
        "{} {}",
        t(lang, &format!("views.weekday.{weekday}")),
        row.first.strftime("%d/%m")
    )
}

fn week_label(row: &TrendRow) -> String {
    format!(
        "{}–{}",
        row.first.strftime("%d/%m"),
        row.last.strftime("%d/%m")
    )
}

pub(super) fn render(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let rows = state.trend_rows();
    let max = rows.iter().map(|r| r.filed).max().unwrap_or(0).max(1);
    let full = if styles.ascii { "#" } else { "█" };
    let half = if styles.ascii { "-" } else { "▌" };
    let bar = |n: u32| -> String {
        // Half cells, rounded: a non-zero count always shows.
        let halves = (n * BAR_WIDTH * 2).div_ceil(max);
        let mut text = full.repeat((halves / 2) as usize);
        if halves % 2 == 1 {
            text.push_str(half);
        }
        text
    };
    let lines = rows
        .iter()
        .map(|row| TableLine {
            cells: vec![
                (
                    match state.trend_scale {
                        TrendScale::Day => day_label(lang, row),
                        TrendScale::Week => week_label(row),
                    },
                    styles.base,
                ),
                (row.filed.to_string(), styles.base),
                (row.answered.to_string(), styles.base),
                (row.answered_within_sla.to_string(), styles.base),
                (percent(lang, row.within_sla()), styles.base),
                (row.closed.to_string(), styles.base),
                (bar(row.filed), styles.ok),
            ],
            style: styles.base,
        })
        .collect();
    let scale = match state.trend_scale {
        TrendScale::Day => "views.trend.by_day",
        TrendScale::Week => "views.trend.by_week",
    };
    let title = format!("{} · {}", t(lang, "views.title.trend"), t(lang, scale));
    let mut bar_column = Column::text(t(lang, "views.col.filed_bar"));
    bar_column.max_width = Some(BAR_WIDTH as usize);
    ScrollTable {
        title,
        fixed: vec![Column::text(t(
            lang,
            match state.trend_scale {
                TrendScale::Day => "views.col.day",
                TrendScale::Week => "views.col.week",
            },
        ))],
        scrollable: vec![
            Column::number(t(lang, "views.col.filed")),
            Column::number(t(lang, "views.col.answered")),
            Column::number(t(lang, "views.col.answered_within")),
            Column::number(t(lang, "views.col.within_sla")),
            Column::number(t(lang, "views.col.closed")),
            bar_column,
        ],
        lines,
        total: None,
        selected: Some(state.selected),
        column: state.column(),
        scroll: &state.column_scroll[state.tab.index()],
        page_rows: Some(&state.page_rows),
        empty: lang.text().empty.to_string(),
    }
    .render(frame, area, styles);
}
