//! The cruscotto's views, one per tab: pure functions of [`DashboardState`] onto an area.
//! `view.rs` draws the header, tab line, legend and hints around the one [`render_body`] picks.

pub mod drill;
pub mod model;
pub mod overlays;
pub mod table;
mod tables;
mod trend;
mod workload;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::state::{DashboardState, Tab};
use super::style::DashStyles;
use super::text::Lang;
use crate::domain::dashboard::Share;
use crate::domain::request::Topic;

/// Draws the current view into `area`.
pub fn render_body(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    match state.tab {
        Tab::Offices => tables::offices(frame, area, state, styles),
        Tab::Patronati => tables::patronati(frame, area, state, styles),
        Tab::Deadlines => tables::deadlines(frame, area, state, styles),
        Tab::Backlog => tables::backlog(frame, area, state, styles),
        Tab::Workload => workload::render(frame, area, state, styles),
        Tab::Trend => trend::render(frame, area, state, styles),
        Tab::Forecast => tables::forecast(frame, area, state, styles),
    }
}

pub(super) fn percent(lang: Lang, share: Share) -> String {
    share
        .percent()
        .map(|p| format!("{}%", lang.decimal(p)))
        .unwrap_or_else(|| "–".into())
}

/// Business hours, one decimal.
pub(super) fn hours(lang: Lang, secs: Option<i64>) -> String {
    secs.map(|s| format!("{}h", lang.decimal(s as f64 / 3600.0)))
        .unwrap_or_else(|| "–".into())
}

/// The topic's name in `lang`, or "(tutte)" for an office total.
pub(super) fn topic_name(lang: Lang, topic: Option<Topic>) -> String {
    match topic {
        Some(t) => crate::i18n::t(lang, &format!("topic.{}", t.code())).to_string(),
        None => lang.text().all_topics.to_string(),
    }
}

/// A count with its state's symbol and style, or a muted 0.
pub(super) fn counted(
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
