//! Carico di lavoro: open requests per operator. Aggregated (count, minimum, median, maximum)
//! unless the service names operators (`named_operators`): L. 300/1970 art. 4 restricts
//! monitoring individual workers, so the view says why names are missing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::table::{Column, ScrollTable, TableLine};
use crate::domain::dashboard::Workload;
use crate::i18n::{t, tf};
use crate::tui::dashboard::state::DashboardState;
use crate::tui::dashboard::style::DashStyles;

/// An operator is overloaded at twice the median open requests or more.
pub const OVERLOAD_FACTOR: u32 = 2;

fn overloaded(open: u32, median: u32) -> bool {
    open > 0 && open >= OVERLOAD_FACTOR * median.max(1)
}

pub(super) fn render(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(styles.border_set())
        .border_style(styles.muted)
        .title(Span::styled(
            format!(" {} ", t(lang, "views.title.workload")),
            styles.title,
        ));
    let [at_risk, _, _] = styles.symbols();
    match &state.figures.workload {
        Workload::Aggregated {
            operators,
            unassigned_open,
            min_open,
            median_open,
            max_open,
        } => {
            let n = |v: &u32| v.to_string();
            let mut lines = vec![
                Line::styled(t(lang, "views.workload.aggregated"), styles.title),
                Line::raw(""),
                Line::raw(tf(
                    lang,
                    "views.workload.operators",
                    &[("n", &n(operators))],
                )),
                Line::raw(tf(
                    lang,
                    "views.workload.spread",
                    &[
                        ("min", &n(min_open)),
                        ("median", &n(median_open)),
                        ("max", &n(max_open)),
                    ],
                )),
                Line::raw(tf(
                    lang,
                    "views.workload.unassigned",
                    &[("n", &n(unassigned_open))],
                )),
            ];
            lines.push(if overloaded(*max_open, *median_open) {
                Line::styled(
                    format!(
                        "{at_risk} {}",
                        tf(
                            lang,
                            "views.workload.overloaded",
                            &[("max", &n(max_open)), ("median", &n(median_open))]
                        )
                    ),
                    styles.at_risk,
                )
            } else {
                Line::raw(t(lang, "views.workload.balanced"))
            });
            lines.push(Line::raw(""));
            lines.push(Line::styled(t(lang, "views.workload.why"), styles.muted));
            frame.render_widget(
                Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
                area,
            );
        }
        Workload::Named {
            unassigned_open,
            operators,
        } => {
            let mut counts: Vec<u32> = operators.iter().map(|(_, n)| *n).collect();
            counts.sort_unstable();
            let median = crate::domain::dashboard::nearest_rank(
                &counts.iter().map(|n| i64::from(*n)).collect::<Vec<_>>(),
                50,
            )
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0);
            let mut sorted: Vec<&(String, u32)> = operators.iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let lines = sorted
                .into_iter()
                .map(|(name, open)| {
                    let heavy = overloaded(*open, median);
                    TableLine {
                        cells: vec![
                            (crate::domain::sanitize::inline(name, 24), styles.base),
                            (open.to_string(), styles.base),
                            if heavy {
                                (
                                    format!("{at_risk} {}", t(lang, "views.workload.heavy")),
                                    styles.at_risk,
                                )
                            } else {
                                (String::new(), styles.base)
                            },
                        ],
                        style: styles.base,
                    }
                })
                .collect();
            let [summary, table_area] =
                Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::styled(t(lang, "views.workload.named"), styles.title),
                    Line::raw(tf(
                        lang,
                        "views.workload.named_summary",
                        &[
                            ("median", &median.to_string()),
                            ("n", &unassigned_open.to_string()),
                        ],
                    )),
                ]),
                summary,
            );
            ScrollTable {
                title: t(lang, "views.title.workload").to_string(),
                fixed: vec![
                    Column::text(t(lang, "views.col.operator")).capped(24),
                    Column::number(lang.text().open),
                    Column::text(""),
                ],
                scrollable: vec![],
                lines,
                total: None,
                selected: Some(state.selected),
                column: 0,
                scroll: &state.column_scroll[state.tab.index()],
                page_rows: Some(&state.page_rows),
                empty: lang.text().empty.to_string(),
            }
            .render(frame, table_area, styles);
        }
    }
}
