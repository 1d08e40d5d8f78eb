//! The drill-down: the read-only list of the requests behind a figure and, after Enter, the
//! detail of one. Side by side from [`SIDE_BY_SIDE`] columns; narrower, the detail covers
//! the list. Every text from the service is sanitised before it reaches the terminal.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::table::{Column, ScrollTable, TableLine};
use crate::api::{RequestDetail, RequestSummary};
use crate::domain::codice_fiscale::mask_in_text;
use crate::domain::sanitize::inline;
use crate::domain::sla::SlaState;
use crate::i18n::{t, tf};
use crate::tui::dashboard::drill::Drill;
use crate::tui::dashboard::state::DashboardState;
use crate::tui::dashboard::style::DashStyles;
use crate::tui::dashboard::text::Lang;
use crate::tui::detail::{basis, clock_label, clock_remaining, clock_state, rome, sla_word};
use crate::tui::state::leading_clock;
use crate::tui::view::{business_time, masked};

/// From this width the list and the detail are shown side by side.
pub const SIDE_BY_SIDE: u16 = 120;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &DashboardState,
    drill: &Drill,
    styles: &DashStyles,
) {
    match &drill.detail {
        Some(detail) if area.width >= SIDE_BY_SIDE => {
            let [list, pane] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(area);
            render_list(frame, list, state, drill, styles);
            render_detail(frame, pane, state.lang, drill, detail, styles);
        }
        Some(detail) => render_detail(frame, area, state.lang, drill, detail, styles),
        None => render_list(frame, area, state, drill, styles),
    }
}

fn render_list(
    frame: &mut Frame,
    area: Rect,
    state: &DashboardState,
    drill: &Drill,
    styles: &DashStyles,
) {
    let lang = state.lang;
    let mut title = format!("{} ({})", drill.target.title(lang), drill.rows.len());
    if drill.truncated {
        title.push_str(&format!(" · {}", t(lang, "drill.truncated")));
    }
    if drill.loading {
        title.push_str(&format!(" · {}", t(lang, "detail.loading")));
    }
    let columns = |keys: &[&str]| -> Vec<Column> {
        keys.iter()
            .map(|k| Column::text(t(lang, &format!("drill.col.{k}"))).capped(24))
            .collect()
    };
    // The office and topic the target fixes say nothing row by row: left out.
    let mut keys = Vec::with_capacity(5);
    if drill.target.office.is_none() {
        keys.push("office");
    }
    if drill.target.topic.is_none() {
        keys.push("topic");
    }
    keys.extend(["patronato", "status", "assignee"]);
    let mut scrollable = columns(&keys);
    scrollable.push(Column::number(t(lang, "drill.col.remaining")));
    scrollable.push(Column::text(t(lang, "drill.col.due")));
    scrollable.push(Column::number(t(lang, "drill.col.age")));
    let lines = drill
        .rows
        .iter()
        .map(|r| list_line(lang, state, drill, r, styles))
        .collect();
    let empty = if drill.loading {
        t(lang, "detail.loading")
    } else {
        t(lang, "drill.empty")
    };
    ScrollTable {
        title,
        fixed: columns(&["id"]),
        scrollable,
        lines,
        total: None,
        selected: Some(drill.selected),
        column: drill.column,
        scroll: &drill.column_scroll,
        page_rows: Some(&state.page_rows),
        empty: empty.to_string(),
    }
    .render(frame, area, styles);
}

fn level_style(state: Option<SlaState>, styles: &DashStyles) -> Style {
    match state {
        Some(SlaState::Breached) => styles.breached,
        Some(SlaState::Warning | SlaState::Critical) => styles.at_risk,
        Some(SlaState::Paused) => styles.paused,
        _ => styles.base,
    }
}

fn list_line(
    lang: Lang,
    state: &DashboardState,
    drill: &Drill,
    r: &RequestSummary,
    styles: &DashStyles,
) -> TableLine {
    let clock = leading_clock(r).or_else(|| r.clocks.iter().find(|c| c.state == SlaState::Paused));
    let style = level_style(clock.map(|c| c.state), styles);
    let plain = |text: String| (text, styles.base);
    let (remaining, due) = match clock {
        Some(c) => (
            business_time(lang, c.remaining_secs, c.basis.measure),
            c.due_at
                .map(|at| rome(at).strftime("%d/%m %H:%M").to_string())
                .unwrap_or_else(|| sla_word(c.state, lang).to_string()),
        ),
        None => ("–".into(), "–".into()),
    };
    let age_days = (state.now.as_second() - r.created_at.as_second()).max(0) / 86_400;
    let mut cells = vec![plain(r.id.as_str().to_string())];
    if drill.target.office.is_none() {
        cells.push(plain(inline(&r.office, 8)));
    }
    if drill.target.topic.is_none() {
        cells.push(plain(
            t(lang, &format!("topic.{}", r.topic.code())).to_string(),
        ));
    }
    cells.extend([
        plain(inline(&r.patronato, 20)),
        plain(t(lang, &format!("status.{}", r.status.code())).to_string()),
        plain(
            r.assignee
                .as_deref()
                .map(|a| inline(a, 20))
                .unwrap_or_else(|| "–".into()),
        ),
        (remaining, style),
        (due, style),
        plain(tf(lang, "drill.age_days", &[("n", &age_days.to_string())])),
    ]);
    TableLine {
        cells,
        style: styles.base,
    }
}

fn label(text: &str, styles: &DashStyles) -> Span<'static> {
    Span::styled(format!("{text}: "), styles.header)
}

/// The detail pane's lines: the request, its citizen (masked codice fiscale), every clock
/// with why its due time is what it is, and the thread, newest last. Codici fiscali quoted in
/// the subject or the messages are masked too: this is a dashboard (DESIGN.md §6).
pub fn detail_lines(lang: Lang, detail: &RequestDetail, styles: &DashStyles) -> Vec<Line<'static>> {
    let r = &detail.summary;
    let mut lines = vec![
        Line::styled(inline(&mask_in_text(&r.subject), 200), styles.title),
        Line::from(vec![
            label(t(lang, "detail.status"), styles),
            Span::raw(format!(
                "{} · {} · {}",
                t(lang, &format!("status.{}", r.status.code())),
                inline(&r.patronato, 24),
                t(lang, &format!("topic.{}", r.topic.code()))
            )),
        ]),
        Line::from(vec![
            label(t(lang, "drill.col.office"), styles),
            Span::raw(format!(
                "{} · {} {}",
                inline(&r.office, 8),
                t(lang, "drill.filed"),
                rome(r.created_at).strftime("%d/%m/%Y %H:%M")
            )),
        ]),
        Line::from(vec![
            label(t(lang, "drill.col.assignee"), styles),
            Span::raw(
                r.assignee
                    .as_deref()
                    .map(|a| inline(a, 30))
                    .unwrap_or_else(|| "–".into()),
            ),
        ]),
        Line::from(vec![
            label(t(lang, "detail.citizen"), styles),
            Span::raw(format!(
                "{} {}",
                masked(&r.citizen),
                inline(r.citizen_name.as_deref().unwrap_or(""), 40)
            )),
        ]),
    ];
    if !r.clocks.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(t(lang, "detail.clocks"), styles.header));
    }
    for c in &r.clocks {
        let style = level_style(Some(c.state), styles);
        let remaining = clock_remaining(c, lang).unwrap_or_default();
        let due = c
            .due_at
            .map(|at| rome(at).strftime(" · %d/%m/%Y %H:%M").to_string())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw(format!("  {}", clock_label(c, lang))),
            Span::styled(clock_state(c, lang), style),
            Span::raw(format!("{remaining}{due}")),
        ]));
        if let Some(why) = basis(c, lang) {
            lines.push(Line::styled(format!("    {why}"), styles.muted));
        }
    }
    if !detail.thread.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(t(lang, "detail.thread"), styles.header));
    }
    for entry in &detail.thread {
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {} {}: ",
                    rome(entry.at).strftime("%d/%m %H:%M"),
                    inline(&entry.author.name, 30)
                ),
                styles.muted,
            ),
            Span::raw(inline(&mask_in_text(&entry.body), 400)),
        ]));
    }
    lines
}

fn render_detail(
    frame: &mut Frame,
    area: Rect,
    lang: Lang,
    drill: &Drill,
    detail: &RequestDetail,
    styles: &DashStyles,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(styles.border_set())
        .border_style(styles.muted)
        .title(Span::styled(
            format!(" {} ", detail.summary.id.as_str()),
            styles.title,
        ));
    frame.render_widget(
        Paragraph::new(detail_lines(lang, detail, styles))
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((drill.detail_scroll, 0)),
        area,
    );
}
