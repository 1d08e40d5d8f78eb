//! The tabular views: office × topic, patronati, deadlines, backlog by age, forecast.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::model::OfficeColumn;
use super::table::{Column, ScrollTable, TableLine};
use super::{counted, hours, percent, topic_name};
use crate::domain::dashboard::{AGE_BUCKETS, CellFigures, FORECAST_HORIZONS, FORECAST_RATE_WINDOW};
use crate::i18n::{t, tf};
use crate::tui::dashboard::state::{DashboardState, Tab};
use crate::tui::dashboard::style::DashStyles;
use crate::tui::dashboard::text::Lang;

fn plain(text: String, styles: &DashStyles) -> (String, Style) {
    (text, styles.base)
}

/// Office and topic: the fixed columns of the cell tables.
fn cell_columns(lang: Lang) -> Vec<Column> {
    let text = lang.text();
    vec![
        Column::text(text.office).capped(8),
        Column::text(text.topic).capped(22),
    ]
}

fn cell_lead(lang: Lang, cell: &CellFigures, styles: &DashStyles) -> Vec<(String, Style)> {
    vec![
        plain(crate::domain::sanitize::inline(&cell.office, 8), styles),
        plain(topic_name(lang, cell.topic), styles),
    ]
}

fn total_lead(lang: Lang, styles: &DashStyles) -> Vec<(String, Style)> {
    vec![
        plain(t(lang, "views.total").to_string(), styles),
        plain(String::new(), styles),
    ]
}

/// The style of a line: office totals and the scope total stand out.
fn line_style(cell: &CellFigures, styles: &DashStyles) -> Style {
    if cell.topic.is_none() {
        styles.title
    } else {
        styles.base
    }
}

/// Lines for every office × topic row and the pinned scope total, with `values` after the
/// office and topic.
fn cell_lines(
    state: &DashboardState,
    styles: &DashStyles,
    values: impl Fn(&CellFigures) -> Vec<(String, Style)>,
) -> (Vec<TableLine>, TableLine) {
    let lang = state.lang;
    let lines = state
        .rows()
        .into_iter()
        .map(|cell| {
            let mut cells = cell_lead(lang, cell, styles);
            cells.extend(values(cell));
            TableLine {
                cells,
                style: line_style(cell, styles),
            }
        })
        .collect();
    let total = state.scope_total();
    let mut cells = total_lead(lang, styles);
    cells.extend(values(&total));
    (
        lines,
        TableLine {
            cells,
            style: styles.title,
        },
    )
}

/// An office × topic table: office and topic fixed, `scrollable` after them, the scope's
/// **Totale** pinned.
fn cell_table<'a>(
    state: &'a DashboardState,
    scrollable: Vec<Column>,
    lines: Vec<TableLine>,
    total: TableLine,
) -> ScrollTable<'a> {
    scroll_table(
        state,
        cell_columns(state.lang),
        scrollable,
        lines,
        Some(total),
    )
}

/// The current view's table, titled after the view.
fn scroll_table<'a>(
    state: &'a DashboardState,
    fixed: Vec<Column>,
    scrollable: Vec<Column>,
    lines: Vec<TableLine>,
    total: Option<TableLine>,
) -> ScrollTable<'a> {
    ScrollTable {
        title: titled(state),
        fixed,
        scrollable,
        lines,
        total,
        selected: Some(state.selected),
        column: state.column(),
        scroll: &state.column_scroll[state.tab.index()],
        page_rows: Some(&state.page_rows),
        empty: state.lang.text().empty.to_string(),
    }
}

fn office_value(
    state: &DashboardState,
    styles: &DashStyles,
    column: OfficeColumn,
    cell: &CellFigures,
) -> (String, Style) {
    let lang = state.lang;
    let [at_risk, breached, paused] = styles.symbols();
    match column {
        OfficeColumn::Open => plain(cell.open.to_string(), styles),
        OfficeColumn::Breached => counted(cell.breached, breached, styles.breached, styles),
        OfficeColumn::AtRisk => counted(cell.at_risk, at_risk, styles.at_risk, styles),
        OfficeColumn::Paused => counted(cell.paused, paused, styles.paused, styles),
        OfficeColumn::WithinSla => plain(percent(lang, state.period.within_sla(cell)), styles),
        OfficeColumn::FirstReplyMedian => plain(hours(lang, cell.first_reply.median_secs), styles),
        OfficeColumn::FirstReplyP90 => plain(hours(lang, cell.first_reply.p90_secs), styles),
        OfficeColumn::ResolutionMedian => plain(hours(lang, cell.resolution.median_secs), styles),
        OfficeColumn::ResolutionP90 => plain(hours(lang, cell.resolution.p90_secs), styles),
        OfficeColumn::Reopen => plain(percent(lang, cell.reopen), styles),
        OfficeColumn::Forwarded => plain(percent(lang, cell.forwarded), styles),
        OfficeColumn::ForwardHops => plain(cell.forward_hops.to_string(), styles),
    }
}

fn titled(state: &DashboardState) -> String {
    let lang = state.lang;
    let title = t(lang, &format!("views.title.{}", state.tab.key()));
    match state.tab {
        Tab::Offices | Tab::Patronati => tf(
            lang,
            "views.title_period",
            &[
                ("title", title),
                ("period", t(lang, state.period.label_key())),
            ],
        ),
        _ => title.to_string(),
    }
}

/// Uffici × materie: every office × topic cell, office totals and the scope total.
pub(super) fn offices(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let shown = state.shown_columns();
    let scrollable = shown
        .iter()
        .map(|c| Column::number(t(lang, c.title_key(state.period))))
        .collect();
    let (lines, total) = cell_lines(state, styles, |cell| {
        shown
            .iter()
            .map(|&c| office_value(state, styles, c, cell))
            .collect()
    });
    cell_table(state, scrollable, lines, total).render(frame, area, styles);
}

/// Patronati: the protocol's §5 indicators of the selected period.
pub(super) fn patronati(
    frame: &mut Frame,
    area: Rect,
    state: &DashboardState,
    styles: &DashStyles,
) {
    let lang = state.lang;
    let text = lang.text();
    let [_, breached, _] = styles.symbols();
    let scrollable = vec![
        Column::number(text.volume),
        Column::number(t(lang, "views.col.within_sla")),
        Column::number(text.first_reply_median),
        Column::number(text.first_reply_p90),
        Column::number(text.resolution_median),
        Column::number(text.resolution_p90),
        Column::number(text.integrations),
        Column::number(t(lang, "views.col.incomplete")),
        Column::number(text.reopen),
        Column::number(t(lang, "views.col.breached_open")),
    ];
    let lines = state
        .patronati_rows()
        .into_iter()
        .map(|p| TableLine {
            cells: vec![
                plain(crate::domain::sanitize::inline(&p.patronato, 20), styles),
                plain(p.volume.to_string(), styles),
                plain(percent(lang, p.within_sla), styles),
                plain(hours(lang, p.first_reply.median_secs), styles),
                plain(hours(lang, p.first_reply.p90_secs), styles),
                plain(hours(lang, p.resolution.median_secs), styles),
                plain(hours(lang, p.resolution.p90_secs), styles),
                plain(p.integration_requests.to_string(), styles),
                plain(percent(lang, p.defect), styles),
                plain(percent(lang, p.reopen), styles),
                counted(p.breached_open, breached, styles.breached, styles),
            ],
            style: styles.base,
        })
        .collect();
    let mut table = scroll_table(
        state,
        vec![Column::text(text.patronato).capped(20)],
        scrollable,
        lines,
        None,
    );
    table.empty = t(lang, "views.empty.patronati").to_string();
    table.render(frame, area, styles);
}

/// Scadute e in scadenza: the cells with breached or at-risk requests, most breached first.
pub(super) fn deadlines(
    frame: &mut Frame,
    area: Rect,
    state: &DashboardState,
    styles: &DashStyles,
) {
    let lang = state.lang;
    let text = lang.text();
    let [at_risk, breached, paused] = styles.symbols();
    let days = t(lang, "views.days_short");
    let scrollable = vec![
        Column::number(text.breached),
        Column::number(text.at_risk),
        Column::number(text.paused),
        Column::number(text.open),
        Column::number(format!("{} {days}", AGE_BUCKETS[4])),
        Column::number(format!("{} {days}", AGE_BUCKETS[3])),
    ];
    let lines = state
        .deadline_rows()
        .into_iter()
        .map(|cell| {
            let mut cells = cell_lead(lang, cell, styles);
            cells.extend([
                counted(cell.breached, breached, styles.breached, styles),
                counted(cell.at_risk, at_risk, styles.at_risk, styles),
                counted(cell.paused, paused, styles.paused, styles),
                plain(cell.open.to_string(), styles),
                plain(cell.backlog_by_age[4].to_string(), styles),
                plain(cell.backlog_by_age[3].to_string(), styles),
            ]);
            TableLine {
                cells,
                style: styles.base,
            }
        })
        .collect();
    let mut table = scroll_table(state, cell_columns(lang), scrollable, lines, None);
    table.empty = t(lang, "views.empty.deadlines").to_string();
    table.render(frame, area, styles);
}

/// Arretrato per età: open requests by business days since filing.
pub(super) fn backlog(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let mut scrollable = vec![Column::number(lang.text().open)];
    scrollable.extend(
        AGE_BUCKETS
            .iter()
            .map(|bucket| Column::number(tf(lang, "views.col.age_bucket", &[("bucket", bucket)]))),
    );
    let (lines, total) = cell_lines(state, styles, |cell| {
        let mut values = vec![plain(cell.open.to_string(), styles)];
        values.extend(cell.backlog_by_age.iter().enumerate().map(|(i, n)| {
            // The two oldest buckets are the ones to chase.
            let style = if i >= 3 && *n > 0 {
                styles.breached
            } else if *n == 0 {
                styles.muted
            } else {
                styles.base
            };
            (n.to_string(), style)
        }));
        values
    });
    cell_table(state, scrollable, lines, total).render(frame, area, styles);
}

/// Previsione: breaches ahead at each row's closing rate, and the closures that avoid them.
pub(super) fn forecast(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let [_, breached, _] = styles.symbols();
    let mut scrollable = vec![
        Column::number(lang.text().open),
        Column::number(tf(
            lang,
            "views.col.recent_closures",
            &[("days", &FORECAST_RATE_WINDOW.to_string())],
        )),
        Column::number(t(lang, "views.col.rate")),
    ];
    for horizon in FORECAST_HORIZONS {
        scrollable.push(Column::number(tf(
            lang,
            "views.col.breaching",
            &[("days", &horizon.to_string())],
        )));
    }
    for horizon in FORECAST_HORIZONS {
        scrollable.push(Column::number(tf(
            lang,
            "views.col.extra",
            &[("days", &horizon.to_string())],
        )));
    }
    let (lines, total) = cell_lines(state, styles, |cell| {
        let forecast = &cell.forecast;
        let rate = f64::from(forecast.recent_closures) / f64::from(FORECAST_RATE_WINDOW);
        let mut values = vec![
            plain(cell.open.to_string(), styles),
            plain(forecast.recent_closures.to_string(), styles),
            plain(lang.decimal(rate), styles),
        ];
        values.extend(
            forecast
                .breaching
                .iter()
                .map(|n| counted(*n, breached, styles.breached, styles)),
        );
        values.extend(forecast.extra_daily_closures.iter().map(|n| {
            if *n == 0 {
                ("0".to_string(), styles.muted)
            } else {
                (format!("+{n}"), styles.at_risk)
            }
        }));
        values
    });
    // Room for the explanation under the table when the screen is tall.
    let explain = area.height >= 30;
    let [table_area, note_area] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(if explain { 7 } else { 0 }),
    ])
    .areas(area);
    cell_table(state, scrollable, lines, total).render(frame, table_area, styles);
    if explain {
        let note = Paragraph::new(t(lang, "views.help.forecast"))
            .wrap(Wrap { trim: true })
            .style(styles.muted)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_set(styles.border_set())
                    .border_style(styles.muted)
                    .title(t(lang, "views.forecast.how")),
            );
        frame.render_widget(note, note_area);
    }
}
