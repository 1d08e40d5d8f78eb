//! Overlays drawn over a view: the help (how the view is computed, then the keys) and the column
//! chooser of the office × topic table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::model::OfficeColumn;
use super::table::fit;
use crate::i18n::t;
use crate::tui::dashboard::state::DashboardState;
use crate::tui::dashboard::style::DashStyles;

/// A box of at most `width` × `height` centred in `area`.
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn framed<'a>(title: String, styles: &DashStyles) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(styles.border_set())
        .border_style(styles.title)
        .title(Span::styled(format!(" {title} "), styles.title))
}

/// Keys of the front end, then what the current view shows and how it is computed.
pub fn help(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let key_width = state
        .key_help
        .iter()
        .map(|(keys, _)| keys.width())
        .max()
        .unwrap_or(0)
        .min(20);
    // The view's explanation first: on a short screen it is what `?` was pressed for.
    let mut lines: Vec<Line> = vec![
        Line::styled(
            t(lang, &format!("views.title.{}", state.tab.key())),
            styles.title,
        ),
        Line::raw(t(lang, &format!("views.help.{}", state.tab.key()))),
        Line::raw(""),
    ];
    lines.extend(state.key_help.iter().map(|(keys, description)| {
        Line::from(vec![
            Span::styled(
                format!("{:<key_width$}  ", fit(keys, key_width)),
                styles.header,
            ),
            Span::styled(description.clone(), styles.base),
        ])
    }));
    lines.push(Line::styled(t(lang, "views.help.close"), styles.muted));
    let boxed = centred(area, 76, area.height.saturating_sub(2).max(8));
    frame.render_widget(Clear, boxed);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(framed(t(lang, "views.help.title").to_string(), styles)),
        boxed,
    );
}

/// The column chooser: every column of the office × topic table, shown or hidden.
pub fn chooser(frame: &mut Frame, area: Rect, state: &DashboardState, styles: &DashStyles) {
    let lang = state.lang;
    let Some(cursor) = state.chooser else {
        return;
    };
    let (on, off) = if styles.ascii {
        ("[x]", "[ ]")
    } else {
        ("[✔]", "[ ]")
    };
    let mut lines: Vec<Line> = OfficeColumn::ALL
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let mark = if state.hidden_columns.contains(column) {
                off
            } else {
                on
            };
            let text = format!("{mark} {}", t(lang, column.title_key(state.period)));
            let style = if i == cursor {
                styles.selection
            } else {
                styles.base
            };
            Line::styled(text, style)
        })
        .collect();
    lines.push(Line::styled(t(lang, "views.chooser.hint"), styles.muted));
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX) + 2;
    let boxed = centred(area, 44, height);
    frame.render_widget(Clear, boxed);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(framed(t(lang, "views.chooser.title").to_string(), styles)),
        boxed,
    );
}
