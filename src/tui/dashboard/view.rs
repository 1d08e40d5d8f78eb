//! The cruscotto view: a pure function of [`DashboardState`] onto a frame.
//!
//! Layout: header (scope, clock, read-only badge), office × topic table with columns chosen to
//! fit the width, patronati and 30-day sparklines when there is room, then hints or a message.
//! The clock is the only thing that changes every second, so an idle redraw touches a few cells.

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, TableState};

use super::state::DashboardState;
use super::style::DashStyles;
use super::text::{Lang, Text};
use crate::domain::dashboard::{CellFigures, DurationStats, Share, Workload};

fn percent(lang: Lang, share: Share) -> String {
    share
        .percent()
        .map(|p| format!("{}%", lang.decimal(p)))
        .unwrap_or_else(|| "–".into())
}

fn hours(lang: Lang, secs: Option<i64>) -> String {
    secs.map(|s| format!("{}h", lang.decimal(s as f64 / 3600.0)))
        .unwrap_or_else(|| "–".into())
}

struct Column {
    title: String,
    width: u16,
    value: fn(Lang, &DashStyles, &CellFigures) -> (String, ratatui::style::Style),
}

fn plain(text: String, styles: &DashStyles) -> (String, ratatui::style::Style) {
    (text, styles.base)
}

fn counted(
    n: u32,
    symbol: &str,
    style: ratatui::style::Style,
    styles: &DashStyles,
) -> (String, ratatui::style::Style) {
    if n == 0 {
        ("0".into(), styles.muted)
    } else {
        (format!("{symbol}{n}"), style)
    }
}

fn columns(text: &Text) -> Vec<Column> {
    fn stat(lang: Lang, d: DurationStats, median: bool) -> String {
        hours(lang, if median { d.median_secs } else { d.p90_secs })
    }
    vec![
        Column {
            title: text.open.into(),
            width: 6,
            value: |_, s, c| plain(c.open.to_string(), s),
        },
        Column {
            title: text.breached.into(),
            width: 8,
            value: |_, s, c| counted(c.breached, s.symbols()[1], s.breached, s),
        },
        Column {
            title: text.at_risk.into(),
            width: 9,
            value: |_, s, c| counted(c.at_risk, s.symbols()[0], s.at_risk, s),
        },
        Column {
            title: text.paused.into(),
            width: 9,
            value: |_, s, c| counted(c.paused, s.symbols()[2], s.paused, s),
        },
        Column {
            title: text.sla_7d.into(),
            width: 7,
            value: |l, s, c| plain(percent(l, c.within_sla_7d), s),
        },
        Column {
            title: text.first_reply_median.into(),
            width: 12,
            value: |l, s, c| plain(stat(l, c.first_reply, true), s),
        },
        Column {
            title: text.sla_today.into(),
            width: 8,
            value: |l, s, c| plain(percent(l, c.within_sla_today), s),
        },
        Column {
            title: text.sla_30d.into(),
            width: 7,
            value: |l, s, c| plain(percent(l, c.within_sla_30d), s),
        },
        Column {
            title: text.first_reply_p90.into(),
            width: 12,
            value: |l, s, c| plain(stat(l, c.first_reply, false), s),
        },
        Column {
            title: text.resolution_median.into(),
            width: 10,
            value: |l, s, c| plain(stat(l, c.resolution, true), s),
        },
        Column {
            title: text.resolution_p90.into(),
            width: 10,
            value: |l, s, c| plain(stat(l, c.resolution, false), s),
        },
        Column {
            title: text.reopen.into(),
            width: 8,
            value: |l, s, c| plain(percent(l, c.reopen), s),
        },
        Column {
            title: text.hops.into(),
            width: 6,
            value: |_, s, c| plain(c.forward_hops.to_string(), s),
        },
        Column {
            title: text.age.into(),
            width: 38,
            value: |_, s, c| {
                let b = c.backlog_by_age;
                plain(
                    format!(
                        "{:>18} {:>3} {:>3} {:>4} {:>3}",
                        b[0], b[1], b[2], b[3], b[4]
                    ),
                    s,
                )
            },
        },
    ]
}

/// Draws the whole cruscotto into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let text = lang.text();
    let bottom_height = if area.height >= 30 { 12 } else { 0 };
    let [header, table_area, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(bottom_height),
        Constraint::Length(1),
    ])
    .areas(area);

    render_header(frame, header, state, styles);
    render_table(frame, table_area, state, styles);
    if bottom_height > 0 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(bottom);
        render_patronati(frame, left, state, styles);
        render_trend(frame, right, state, styles);
    }
    let hints = if state.in_workstation {
        text.hints_workstation
    } else {
        text.hints
    };
    let (footer_text, footer_style) = match &state.message {
        Some(m) => (m.clone(), styles.badge),
        None if styles.ascii => (hints.replace("↑↓", "j/k"), styles.muted),
        None => (hints.to_string(), styles.muted),
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(footer_text, footer_style))),
        footer,
    );
}

fn render_header(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let text = state.lang.text();
    let tz = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    let clock = state
        .now
        .to_zoned(tz)
        .strftime("%d/%m/%Y %H:%M:%S")
        .to_string();
    let mut spans = vec![
        Span::styled(format!(" COMBIPAT · {} ", text.title), styles.title),
        Span::styled(format!("· {} ", state.scope_label), styles.base),
        Span::styled(format!("· {clock} "), styles.muted),
    ];
    if state.read_only {
        spans.push(Span::styled(format!(" {} ", text.read_only), styles.badge));
    }
    let workload = match &state.figures.workload {
        Workload::Aggregated {
            operators,
            unassigned_open,
            min_open,
            median_open,
            max_open,
        } => format!(
            "  {}: {operators} {} {min_open}/{median_open}/{max_open} · {unassigned_open} {}",
            text.workload, text.workload_aggregated, text.unassigned
        ),
        Workload::Named {
            unassigned_open,
            operators,
        } => format!(
            "  {}: {} · {unassigned_open} {}",
            text.workload,
            operators
                .iter()
                .map(|(name, n)| format!("{} {n}", crate::domain::sanitize::inline(name, 24)))
                .collect::<Vec<_>>()
                .join(", "),
            text.unassigned
        ),
    };
    spans.push(Span::styled(workload, styles.muted));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_table(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let text = lang.text();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(styles.border_set())
        .border_style(styles.muted);
    let inner_width = area.width.saturating_sub(2);
    let fixed = 8 + 1 + 22 + 1;
    let mut used = fixed;
    let chosen: Vec<Column> = columns(text)
        .into_iter()
        .take_while(|c| {
            used += c.width + 1;
            used <= inner_width
        })
        .collect();
    let rows_data = state.rows();
    if rows_data.is_empty() {
        frame.render_widget(Paragraph::new(text.empty).block(block), area);
        return;
    }
    let rows: Vec<Row> = rows_data
        .iter()
        .map(|cell| {
            let topic = match cell.topic {
                Some(t) => crate::i18n::t(lang, &format!("topic.{}", t.code())).to_string(),
                None => text.all_topics.to_string(),
            };
            let mut cells = vec![
                Cell::from(crate::domain::sanitize::inline(&cell.office, 8)),
                Cell::from(topic),
            ];
            cells.extend(chosen.iter().map(|c| {
                let (value, style) = (c.value)(lang, styles, cell);
                Cell::from(Span::styled(value, style))
            }));
            let row = Row::new(cells);
            if cell.topic.is_none() {
                row.style(styles.title)
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![Constraint::Length(8), Constraint::Length(22)];
    widths.extend(chosen.iter().map(|c| Constraint::Length(c.width)));
    let mut header = vec![Cell::from(text.office), Cell::from(text.topic)];
    header.extend(chosen.iter().map(|c| Cell::from(c.title.clone())));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(styles.header))
        .row_highlight_style(styles.selection)
        .block(block);
    state
        .page_rows
        .set(usize::from(area.height.saturating_sub(3)));
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn render_patronati(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let text = lang.text();
    let mut figures: Vec<_> = state.figures.patronati.iter().collect();
    figures.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.patronato.cmp(&b.patronato)));
    let rows = figures.into_iter().map(|p| {
        Row::new(vec![
            Cell::from(crate::domain::sanitize::inline(&p.patronato, 14)),
            Cell::from(p.volume.to_string()),
            Cell::from(p.integration_requests.to_string()),
            Cell::from(percent(lang, p.defect)),
            Cell::from(percent(lang, p.reopen)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(14),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(vec![
            text.patronato,
            text.volume,
            text.integrations,
            text.defect,
            text.reopen,
        ])
        .style(styles.header),
    )
    .block(
        Block::default()
            .borders(Borders::ALL)
            .border_set(styles.border_set())
            .border_style(styles.muted)
            .title(Span::styled(text.patronati, styles.title)),
    );
    frame.render_widget(table, area);
}

fn render_trend(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let text = state.lang.text();
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let filed: Vec<u64> = state
        .figures
        .trend
        .iter()
        .map(|d| u64::from(d.filed))
        .collect();
    let within: Vec<u64> = state
        .figures
        .trend
        .iter()
        .map(|d| u64::from(d.answered_within_sla))
        .collect();
    for (area, title, data, style) in [
        (top, text.trend_filed, filed, styles.ok),
        (bottom, text.trend_within, within, styles.paused),
    ] {
        let max = data.iter().copied().max().unwrap_or(0);
        let spark = Sparkline::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_set(styles.border_set())
                    .border_style(styles.muted)
                    .title(Span::styled(format!("{title} · max {max}"), styles.title)),
            )
            .bar_set(styles.bar_set())
            .data(&data)
            .style(style);
        frame.render_widget(spark, area);
    }
}
