//! The cruscotto view: a pure function of [`DashboardState`] onto a frame.
//!
//! Layout: header (scope, clock, read-only badge), the tab line of the views, the current view
//! (`views::render_body`), a legend line and the hints or a message; the help and the column
//! chooser open over it. The clock is the only thing that changes every second, so an idle
//! redraw touches a few cells.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::state::{DashboardState, Tab};
use super::style::DashStyles;
use super::views;
use crate::i18n::t;

/// Draws the whole cruscotto into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let text = state.lang.text();
    let [header, tabs, body, legend, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    render_header(frame, header, state, styles);
    render_tabs(frame, tabs, state, styles);
    match &state.drill {
        Some(drill) => views::drill::render(frame, body, state, drill, styles),
        None => views::render_body(frame, body, state, styles),
    }
    render_legend(frame, legend, state, styles);
    let hints = if let Some(drill) = &state.drill {
        t(
            state.lang,
            if drill.detail.is_some() {
                "drill.hints_detail"
            } else {
                "drill.hints"
            },
        )
    } else if state.in_workstation {
        text.hints_workstation
    } else {
        text.hints
    };
    let (footer_text, footer_style) = match &state.message {
        Some(m) => (m.clone(), styles.badge),
        None if styles.ascii => (
            hints.replace("↑↓", "j/k").replace("←→", "h/l"),
            styles.muted,
        ),
        None => (hints.to_string(), styles.muted),
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(footer_text, footer_style))),
        footer,
    );
    if state.chooser.is_some() {
        views::overlays::chooser(frame, body, state, styles);
    }
    if state.help_open {
        views::overlays::help(frame, body, state, styles);
    }
}

fn render_header(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let text = state.lang.text();
    let clock = state.clock_text();
    let mut spans = vec![
        Span::styled(format!(" COMBIPAT · {} ", text.title), styles.title),
        Span::styled(format!("· {} ", state.scope_label), styles.base),
        Span::styled(format!("· {clock} "), styles.muted),
    ];
    if state.read_only {
        spans.push(Span::styled(format!(" {} ", text.read_only), styles.badge));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `1 Sedi  2 Patronati …`: the current view reversed (readable without colour).
fn render_tabs(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        let label = format!(
            " {} {} ",
            i + 1,
            t(lang, &format!("views.tab.{}", tab.key()))
        );
        let style = if tab == state.tab {
            styles.selection.patch(styles.title)
        } else {
            styles.muted
        };
        spans.push(Span::styled(label, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// What the symbols mean, and how to move across columns, in the views that use them.
fn render_legend(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    if state.drill.is_some() {
        let legend = Span::styled(format!(" {}", t(lang, "drill.legend")), styles.muted);
        frame.render_widget(Paragraph::new(Line::from(legend)), area);
        return;
    }
    let [at_risk, breached, paused] = styles.symbols();
    let mut spans = Vec::new();
    if matches!(state.tab, Tab::Offices | Tab::Deadlines | Tab::Patronati) {
        spans.extend([
            Span::raw(" "),
            Span::styled(
                format!("{breached} {}", t(lang, "views.legend.breached")),
                styles.breached,
            ),
            Span::raw("  "),
        ]);
    }
    if matches!(state.tab, Tab::Offices | Tab::Deadlines) {
        spans.extend([
            Span::styled(
                format!("{at_risk} {}", t(lang, "views.legend.at_risk")),
                styles.at_risk,
            ),
            Span::raw("  "),
            Span::styled(
                format!("{paused} {}", t(lang, "views.legend.paused")),
                styles.paused,
            ),
            Span::raw("  "),
        ]);
    }
    if spans.is_empty() {
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        t(lang, &format!("views.legend.{}", state.tab.key())),
        styles.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
