//! `view(&State, &mut Frame, &Theme)`: a pure function of the state. Only visible rows are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::api::RequestSummary;
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::Priority;
use crate::domain::sanitize::inline;
use crate::domain::sla::SlaState;
use crate::i18n::{Lang, MISSING, t, tf};
use crate::tui::action::Command;
use crate::tui::detail;
use crate::tui::input;
use crate::tui::keymap::{Binding, Context, display_sequence};
use crate::tui::state::{BulkOp, InputKind, Mode, Pane, PickerKind, SlaLevel, State, sla_of};
use crate::tui::theme::Theme;

pub(crate) fn sla_style(theme: &Theme, level: SlaLevel) -> Style {
    match level {
        None => theme.muted,
        Some(SlaState::Ok) => theme.sla_ok,
        Some(SlaState::Warning) => theme.sla_warning,
        Some(SlaState::Critical) => theme.sla_critical,
        Some(SlaState::Breached) => theme.sla_breached,
        Some(SlaState::Paused) => theme.sla_paused,
        Some(SlaState::Met) => theme.sla_met,
        // Stopped after its target: as serious as a breach, but over.
        Some(SlaState::Missed) => theme.sla_breached,
    }
}

pub(crate) fn sla_symbol(level: SlaLevel) -> &'static str {
    match level {
        None => "·",
        Some(SlaState::Ok) => "●",
        Some(SlaState::Warning) => "◐",
        Some(SlaState::Critical) => "▲",
        Some(SlaState::Breached) => "✖",
        Some(SlaState::Paused) => "‖",
        Some(SlaState::Met) => "✓",
        Some(SlaState::Missed) => "✗",
    }
}

/// Draws the whole screen.
pub fn view(state: &State, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let banner = state.detail_stale || state.offline;
    let [banner_area, body, hints, status] = Layout::vertical([
        Constraint::Length(u16::from(banner)),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if banner {
        let text = if state.offline {
            t(state.lang, "banner.offline").to_string()
        } else {
            // Name the key the active keymap binds to `refresh`, not a fixed one.
            let refresh = state
                .keymap
                .key_for(input::context(state), Command::Refresh)
                .unwrap_or_else(|| ":refresh".into());
            tf(state.lang, "banner.stale", &[("key", &refresh)])
        };
        frame.render_widget(Paragraph::new(text).style(theme.banner), banner_area);
    }
    if let Some(dashboard) = &state.dashboard {
        // The cruscotto takes the panes and the hint line; status bar and dialogs stay.
        let cruscotto = Rect {
            height: body.height + hints.height,
            ..body
        };
        let dash_styles = crate::tui::dashboard::DashStyles::from_theme(theme);
        crate::tui::dashboard::render(frame, cruscotto, dashboard, &dash_styles);
        draw_status(state, frame, status, theme);
        draw_dialog(state, frame, area, theme);
        return;
    }
    let wide = area.width >= 120;
    let sidebar = if area.width >= 100 { 28 } else { 22 };
    let [queues_area, main] =
        Layout::horizontal([Constraint::Length(sidebar), Constraint::Min(20)]).areas(body);
    draw_queues(state, frame, queues_area, theme);
    if wide {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(main);
        draw_list(state, frame, list, theme);
        draw_detail(state, frame, detail, theme);
    } else if state.focus == Pane::Detail {
        draw_detail(state, frame, main, theme);
    } else {
        draw_list(state, frame, main, theme);
    }
    draw_hints(state, frame, hints, theme);
    draw_status(state, frame, status, theme);
    draw_dialog(state, frame, area, theme);
}

fn pane_block<'a>(state: &State, pane: Pane, title: String, theme: &Theme) -> Block<'a> {
    let style = if state.focus == pane {
        theme.border_focused
    } else {
        theme.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, theme.title))
}

fn draw_queues(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let block = pane_block(
        state,
        Pane::Queues,
        t(state.lang, "pane.queues").into(),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines: Vec<Line> = state
        .queues
        .iter()
        .enumerate()
        .take(inner.height as usize)
        .map(|(i, q)| {
            let label = q.label(state.lang);
            let count = state.queue_counts.get(i).copied().unwrap_or(0).to_string();
            let room = width.saturating_sub(count.len() + 1);
            let line = Line::from(vec![
                Span::styled(format!("{:<room$} ", truncate(&label, room)), theme.sidebar),
                Span::styled(count, theme.sidebar_count),
            ]);
            if i == state.queue_cursor {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

pub(crate) fn masked(cf: &str) -> String {
    CodiceFiscale::parse(cf)
        .map(|c| c.masked())
        .unwrap_or_else(|_| inline(cf, 16))
}

fn age(state: &State, r: &RequestSummary) -> String {
    let secs = (state.now.as_second() - r.created_at.as_second()).max(0);
    if secs >= 86_400 {
        format!("{}{}", secs / 86_400, day_unit(state))
    } else if secs >= 3600 {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs / 60)
    }
}

/// "g" (giorni) in Italian, "d" in English.
fn day_unit(state: &State) -> &'static str {
    if state.lang == crate::i18n::Lang::En {
        "d"
    } else {
        "g"
    }
}

/// The SLA cell of the list (and the detail header): the business time left on the request's
/// leading clock, in the one notation of [`business_time`], as the detail's clocks show it.
pub(crate) fn due_text(state: &State, r: &RequestSummary) -> String {
    match crate::tui::state::leading_clock(r) {
        Some(c) => business_time(state.lang, c.remaining_secs, c.basis.measure),
        None => "—".into(),
    }
}

/// Business time, the one notation of list, detail and help: `5,3gg` business days of the
/// office calendar (clocks counted in days), `53h` or `3h05` business hours (negative: overdue
/// by). Never 24-hour days: a business day is as long as the office is open.
pub fn business_time(lang: Lang, secs: i64, measure: crate::domain::calendar::Measure) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    if let crate::domain::calendar::Measure::Days { units } = measure
        && units > 0
        && s >= units.unsigned_abs()
    {
        let days = s as f64 / units as f64;
        let unit = if lang == Lang::En { "bd" } else { "gg" };
        let number = if days < 10.0 {
            let one = format!("{days:.1}");
            if lang == Lang::En {
                one
            } else {
                one.replace('.', ",")
            }
        } else {
            format!("{days:.0}")
        };
        return format!("{sign}{number}{unit}");
    }
    let (h, m) = (s / 3600, (s % 3600) / 60);
    if h >= 10 {
        format!("{sign}{h}h")
    } else {
        format!("{sign}{h}h{m:02}")
    }
}

fn draw_list(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    // The sidebar's own name of the queue (a drilled-down cell by office and topic, a saved
    // filter by its name), so title and sidebar name the same list.
    let queue = state.current_queue().label(state.lang);
    let mut title = format!(
        "{} · {} ({})",
        t(state.lang, "pane.list"),
        queue,
        state.listed_count(),
    );
    // Before the sort order: on a narrow screen the title is cut at the right.
    if let Some(selected) = selection_label(state) {
        title.push_str(&format!(" · {selected}"));
    }
    title.push_str(&format!(
        " · {} {}",
        t(state.lang, "status.sort"),
        t(state.lang, state.sort.label_key())
    ));
    if !state.filter.is_empty() || state.mode == Mode::Filter {
        let shown = crate::tui::filter::display(&state.filter);
        title.push_str(&format!(" · /{}", inline(&shown, 40)));
    }
    let block = pane_block(state, Pane::List, title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 90;
    // The citizen's name where there is room for it next to id and subject.
    let named = inner.width >= 76;
    let rows_room = inner.height.saturating_sub(1) as usize;
    let start = state.scroll.min(state.visible.len());
    let end = (start + rows_room).min(state.visible.len());
    let terms = crate::tui::filter::terms(&state.filter);
    let rows: Vec<Row> = state.visible[start..end]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let r = &state.requests[i];
            let level = sla_of(r, state.now);
            let mark = if state.selected.contains(&r.id) {
                "*"
            } else {
                " "
            };
            let sla = Span::styled(
                format!("{mark}{} {}", sla_symbol(level), due_text(state, r)),
                sla_style(theme, level),
            );
            let priority = match r.priority {
                Priority::Urgente => Span::styled("!", theme.priority_urgent),
                Priority::Normale => Span::raw(" "),
            };
            let mut cells = vec![
                Line::from(sla),
                Line::from(priority),
                Line::from(r.id.as_str().to_string()),
                Line::from(inline(&r.patronato, 10)),
            ];
            if named {
                cells.push(Line::from(crate::tui::filter::highlight(
                    &inline(r.citizen_name.as_deref().unwrap_or("—"), 16),
                    &terms,
                    Style::default(),
                    theme.fuzzy_match,
                )));
            }
            if wide {
                cells.push(Line::from(
                    t(state.lang, &format!("topic.{}", r.topic.code())).to_string(),
                ));
                cells.push(Line::from(masked(&r.citizen)));
            }
            cells.push(detail::subject_cell(state, r, theme));
            cells.push(Line::from(age(state, r)));
            if wide {
                cells.push(Line::from(inline(r.assignee.as_deref().unwrap_or("—"), 12)));
            }
            let row = Row::new(cells);
            if start + offset == state.cursor {
                row.style(theme.selection)
            } else if state.selected.contains(&r.id) {
                row.style(theme.marked)
            } else {
                row
            }
        })
        .collect();
    let mut header = vec![
        t(state.lang, "col.sla"),
        t(state.lang, "col.priority"),
        t(state.lang, "col.id"),
        t(state.lang, "col.patronato"),
    ];
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(1),
        Constraint::Length(16),
        Constraint::Length(9),
    ];
    if named {
        header.push(t(state.lang, "col.citizen"));
        widths.push(Constraint::Length(if wide { 16 } else { 12 }));
    }
    if wide {
        header.extend([t(state.lang, "col.topic"), t(state.lang, "col.cf")]);
        widths.extend([Constraint::Length(12), Constraint::Length(16)]);
    }
    header.extend([t(state.lang, "col.subject"), t(state.lang, "col.age")]);
    widths.extend([Constraint::Min(10), Constraint::Length(4)]);
    if wide {
        header.push(t(state.lang, "col.assignee"));
        widths.push(Constraint::Length(10));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header))
        .column_spacing(1);
    frame.render_widget(table, inner);
}

/// `N selezionate`: the selected rows that are on screen (what a bulk action would act on);
/// `None` without a selection.
fn selection_label(state: &State) -> Option<String> {
    if state.selected.is_empty() {
        return None;
    }
    let n = state.selected_visible().len();
    Some(crate::i18n::plural(state.lang, "status.selected", n))
}

fn draw_detail(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let block = pane_block(
        state,
        Pane::Detail,
        t(state.lang, "pane.detail").into(),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = detail::detail_lines(state, inner.width as usize, theme);
    let scroll = state.detail_scroll().min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// What a binding does, in the UI language: the user's own `desc` for a binding from their file,
/// else the command table's catalog entry.
fn describe(lang: Lang, binding: &Binding) -> String {
    if !binding.desc.is_empty() && !binding.file.starts_with("<embedded") {
        return inline(&binding.desc, 60);
    }
    t(lang, binding.command.spec().description_key).to_string()
}

/// A short label for the key-hint line: `hint.COMMAND` when the catalog has one.
fn hint_label(lang: Lang, binding: &Binding) -> String {
    let short = t(lang, &format!("hint.{}", binding.command.name()));
    if short == MISSING {
        describe(lang, binding)
    } else {
        short.to_string()
    }
}

/// The `?` help: every binding of the active keymap, the focused context first, filtered by
/// `query` over keys, action name and description.
fn help_lines(state: &State, query: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let q = query.to_lowercase();
    let focused = input::context(state);
    let order = std::iter::once(focused).chain(Context::ALL.into_iter().filter(|c| *c != focused));
    let desc_width = usize::from(width).saturating_sub(2 + 12 + 1 + 20).max(10);
    let mut lines = vec![
        Line::styled(t(lang, "help.hint"), theme.muted),
        Line::styled(t(lang, "help.business_time"), theme.muted),
    ];
    for context in order {
        let matching: Vec<(String, Command, String)> = state
            .keymap
            .bindings_in(context)
            .iter()
            .map(|b| (inline(&b.keys_display(), 12), b.command, describe(lang, b)))
            .filter(|(keys, command, desc)| {
                q.is_empty()
                    || keys.to_lowercase().contains(&q)
                    || command.name().contains(&q)
                    || desc.to_lowercase().contains(&q)
            })
            .collect();
        if matching.is_empty() {
            continue;
        }
        lines.push(Line::styled(
            t(lang, &format!("help.context.{}", context.name())),
            theme.header,
        ));
        for (keys, command, desc) in matching {
            let action = command.name();
            // Unavailable now: shown muted, with the reason next to the description.
            match crate::tui::availability::availability(state, command.spec()) {
                Ok(()) => lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<12} "), theme.key_hint_key),
                    Span::styled(
                        format!("{:<desc_width$}", truncate(&desc, desc_width)),
                        theme.dialog,
                    ),
                    Span::styled(format!(" {action}"), theme.muted),
                ])),
                Err(reason) => {
                    let why = format!("{desc} ✗ {}", t(lang, reason));
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {keys:<12} "), theme.muted),
                        Span::styled(
                            format!("{:<desc_width$}", truncate(&why, desc_width)),
                            theme.muted,
                        ),
                        Span::styled(format!(" {action}"), theme.muted),
                    ]))
                }
            }
        }
    }
    if lines.len() == 2 {
        lines.push(Line::styled(t(lang, "help.no_match"), theme.muted));
    }
    lines
}

/// The focused context's hinted bindings, as many as fit.
fn draw_hints(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    // While the editor is open its keys are the ones that matter (and the list's do nothing).
    let context = match state.mode {
        Mode::Input { .. } => Context::Editor,
        _ => input::context(state),
    };
    // Only what can run now is offered: no write keys in read-only mode, no reply on a
    // request that must be taken first.
    let items: Vec<(String, String, bool)> = state
        .keymap
        .hints(context)
        .into_iter()
        .filter(|b| crate::tui::availability::availability(state, b.command.spec()).is_ok())
        .map(|b| {
            let keys = inline(&b.keys_display(), 12);
            (keys, hint_label(state.lang, b), b.command == Command::Help)
        })
        .collect();
    let cost = |(keys, label, _): &(String, String, bool)| 3 + keys.width() + 1 + label.width();
    // The help key is always shown, last, so every other key stays discoverable.
    let help = items.iter().find(|item| item.2);
    let mut room = (usize::from(area.width) + 3).saturating_sub(help.map_or(0, cost));
    let mut shown: Vec<&(String, String, bool)> = Vec::new();
    for item in items.iter().filter(|item| !item.2) {
        if cost(item) > room {
            break;
        }
        room -= cost(item);
        shown.push(item);
    }
    shown.extend(help);
    let mut spans = Vec::new();
    for (keys, label, _) in shown {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.key_hint));
        }
        spans.push(Span::styled(keys.clone(), theme.key_hint_key));
        spans.push(Span::styled(format!(" {label}"), theme.key_hint));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.key_hint),
        area,
    );
}

fn draw_status(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut spans = Vec::new();
    if state.demo {
        spans.push(Span::styled(
            format!(" {} ", t(state.lang, "status.demo")),
            theme.demo_badge,
        ));
    }
    if state.read_only {
        spans.push(Span::styled(
            format!(" {} ", t(state.lang, "status.read_only")),
            theme.read_only_badge,
        ));
    }
    spans.push(Span::raw(format!(
        " {}@{} ",
        inline(&state.me.username, 20),
        inline(&state.me.office, 8)
    )));
    if let Some(selected) = selection_label(state) {
        spans.push(Span::styled(format!("· {selected} "), theme.key_hint_key));
    }
    if let Some(rows) = state.loading {
        let text = tf(state.lang, "status.loading", &[("n", &rows.to_string())]);
        spans.push(Span::styled(format!("· {text} "), theme.key_hint_key));
    }
    let waiting = state.outbox.pending.len();
    if waiting > 0 {
        let text = tf(state.lang, "outbox.pending", &[("n", &waiting.to_string())]);
        spans.push(Span::styled(format!(" {text} "), theme.banner));
    }
    let refused = state.outbox.refused.len();
    if refused > 0 {
        let text = tf(
            state.lang,
            "outbox.refused_count",
            &[("n", &refused.to_string())],
        );
        spans.push(Span::styled(format!(" {text} "), theme.error));
    }
    let pending = state.keymap.pending();
    if !pending.is_empty() {
        spans.push(Span::styled(
            format!("· {} … ", inline(&display_sequence(pending), 20)),
            theme.key_hint_key,
        ));
    }
    if let Some(n) = &state.notice {
        let style = if n.error { theme.error } else { theme.success };
        spans.push(Span::styled(format!("· {}", inline(&n.text, 120)), style));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status_bar),
        area,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_dialog(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lang = state.lang;
    match &state.mode {
        Mode::Normal | Mode::Filter => {}
        Mode::Help { query, scroll } => {
            let rect = centered(area, 76, area.height.saturating_sub(2));
            let mut lines = help_lines(state, query, rect.width.saturating_sub(2), theme);
            // The first line (how to filter) stays; the bindings scroll under it.
            let room = usize::from(rect.height.saturating_sub(3));
            let skip = (*scroll).min(lines.len().saturating_sub(1 + room));
            lines.drain(1..1 + skip);
            let title = format!(
                "{} ({}) /{}",
                t(lang, "dialog.help"),
                state.keymap.preset(),
                inline(query, 30)
            );
            dialog(frame, rect, title, lines, theme);
        }
        Mode::Input { kind, id, editor } => {
            draw_editor(state, frame, area, theme, *kind, id.as_ref(), editor);
        }
        Mode::Picker {
            kind,
            query,
            items,
            matches,
            cursor,
            ..
        } => {
            let key = match kind {
                PickerKind::Forward => "dialog.forward",
                PickerKind::Assignee => "dialog.assign",
                PickerKind::Outcome => "dialog.outcome",
                PickerKind::Canned => "dialog.canned",
                PickerKind::Palette => "dialog.palette",
            };
            let rect = centered(area, 64, area.height.saturating_sub(4).min(18));
            let room = rect.height.saturating_sub(4) as usize;
            let first = cursor.saturating_sub(room.saturating_sub(1));
            let mut lines = vec![Line::from(format!("> {}▏", inline(query, 50)))];
            lines.extend(
                matches
                    .iter()
                    .enumerate()
                    .skip(first)
                    .take(room)
                    .map(|(pos, &i)| {
                        let style = if pos == *cursor {
                            theme.selection
                        } else {
                            theme.dialog
                        };
                        Line::styled(inline(&items[i].label, 60), style)
                    }),
            );
            lines.push(Line::styled(t(lang, "dialog.picker_hint"), theme.muted));
            dialog(frame, rect, t(lang, key).into(), lines, theme);
        }
        Mode::Slots(picker) => {
            // Borders, day line, hint, and the booked appointment's two lines at most.
            let room = area.height.saturating_sub(2);
            let rows = usize::from(room.saturating_sub(7)).max(1);
            let (title, lines) =
                crate::tui::agenda::picker_lines(picker, lang, theme, rows, state.now);
            let height = (lines.len() + 2).min(usize::from(room)) as u16;
            let rect = centered(area, 78, height);
            dialog(frame, rect, title, lines, theme);
        }
        Mode::Confirm { op, ids } => {
            let key = match op {
                BulkOp::Take => "dialog.bulk_take",
                BulkOp::Close(_) => "dialog.bulk_close",
                BulkOp::Forward(_) => "dialog.bulk_forward",
            };
            // Every request the action will touch, by id and subject: nothing is acted on that
            // the operator has not seen named here.
            let room = usize::from(area.height.saturating_sub(8)).max(1);
            let listed = ids.len().min(room);
            let more = ids.len() - listed;
            let rect = centered(
                area,
                78,
                (listed + usize::from(more > 0) + 4).min(usize::from(u16::MAX)) as u16,
            );
            let mut lines = vec![Line::from(crate::i18n::plural(lang, key, ids.len()))];
            for id in &ids[..listed] {
                let subject = state
                    .request(id)
                    .map(|r| inline(&r.subject, 56))
                    .unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::styled(format!("  {} ", id.as_str()), theme.key_hint_key),
                    Span::styled(subject, theme.dialog),
                ]));
            }
            if more > 0 {
                lines.push(Line::styled(
                    tf(lang, "dialog.bulk_more", &[("n", &more.to_string())]),
                    theme.muted,
                ));
            }
            lines.push(Line::styled(t(lang, "dialog.confirm_hint"), theme.muted));
            dialog(frame, rect, t(lang, "dialog.confirm").into(), lines, theme);
        }
    }
}

/// The editor dialog: title (what, on which request), the soft-wrapped text with its cursor,
/// and a line saying which keys send and close, from the active keymap.
fn draw_editor(
    state: &State,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    kind: InputKind,
    id: Option<&crate::domain::request::RequestId>,
    editor: &crate::tui::editor::Editor,
) {
    let lang = state.lang;
    let key = match kind {
        InputKind::Reply => "dialog.reply",
        InputKind::Note => "dialog.note",
        InputKind::Integration => "dialog.integration",
        InputKind::Tag => "dialog.tag",
        InputKind::Assign => "dialog.assign",
        InputKind::Jump => "dialog.jump",
    };
    let mut title = t(lang, key).to_string();
    if let Some(id) = id {
        title.push_str(&format!(" · {}", id.as_str()));
    }
    let width = area.width.saturating_sub(4).min(96);
    let text_width = usize::from(width.saturating_sub(2));
    let height = if editor.multiline() {
        let wanted = editor.rows_at(text_width) + 3;
        wanted.clamp(10, usize::from(area.height.saturating_sub(4)).max(4)) as u16
    } else {
        4
    };
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.dialog_border)
        .title(Span::styled(title, theme.dialog_title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [text_area, hint_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(&editor.widget(theme.dialog, theme.selection), text_area);
    let hint = if editor.asking_to_close {
        Line::styled(t(lang, "dialog.keep_draft"), theme.error)
    } else if editor.multiline() {
        let key_of = |command| {
            state
                .keymap
                .key_for(Context::Editor, command)
                .unwrap_or_else(|| "—".into())
        };
        Line::styled(
            tf(
                lang,
                "dialog.editor_hint",
                &[
                    ("send", &key_of(Command::Send)),
                    ("editor", &key_of(Command::ExternalEditor)),
                ],
            ),
            theme.muted,
        )
    } else {
        Line::styled(t(lang, "dialog.input_hint"), theme.muted)
    };
    frame.render_widget(Paragraph::new(hint).style(theme.dialog), hint_area);
}

fn dialog(frame: &mut Frame, rect: Rect, title: String, lines: Vec<Line>, theme: &Theme) {
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.dialog_border)
        .title(Span::styled(title, theme.dialog_title));
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.dialog)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
