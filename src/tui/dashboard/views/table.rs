//! A table with fixed leading columns and horizontally scrolled ones, a column cursor and an
//! optional pinned **Totale** line: the shape of every tabular view of the cruscotto.
//!
//! Column widths come from their contents (title and every value), so nothing is cut; a text
//! wider than its fixed column ends in an ellipsis.

use std::cell::Cell as StdCell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

use super::super::style::DashStyles;

/// One line of the table: its cells (fixed ones first) and the style of the whole line.
pub struct TableLine {
    pub cells: Vec<(String, Style)>,
    pub style: Style,
}

/// A column: its title, whether numbers align right, and the width a fixed column may not
/// exceed (texts beyond end in `…`).
pub struct Column {
    pub title: String,
    pub right: bool,
    pub max_width: Option<usize>,
}

impl Column {
    pub fn text(title: impl Into<String>) -> Self {
        Column {
            title: title.into(),
            right: false,
            max_width: None,
        }
    }
    pub fn number(title: impl Into<String>) -> Self {
        Column {
            title: title.into(),
            right: true,
            max_width: None,
        }
    }
    pub fn capped(mut self, max_width: usize) -> Self {
        self.max_width = Some(max_width);
        self
    }
}

pub struct ScrollTable<'a> {
    pub title: String,
    pub fixed: Vec<Column>,
    pub scrollable: Vec<Column>,
    pub lines: Vec<TableLine>,
    /// Pinned at the bottom; selected when `selected == lines.len()`.
    pub total: Option<TableLine>,
    pub selected: Option<usize>,
    /// Column cursor among the scrollable columns.
    pub column: usize,
    /// First scrollable column drawn last time (kept so the view scrolls only when needed).
    pub scroll: &'a StdCell<usize>,
    /// Rows a page holds, for PageUp / PageDown (written here).
    pub page_rows: Option<&'a StdCell<usize>>,
    pub empty: String,
}

/// `text` in at most `width` columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        let next = format!("{out}{ch}");
        if next.width() + 1 > width {
            break;
        }
        out = next;
    }
    out.push('…');
    out
}

fn pad(text: &str, width: usize, right: bool) -> String {
    let gap = width.saturating_sub(text.width());
    if right {
        format!("{}{text}", " ".repeat(gap))
    } else {
        format!("{text}{}", " ".repeat(gap))
    }
}

/// Which scrollable columns fit in `room` cells (one space between columns): the first drawn
/// moves only as far as needed to keep `cursor` on screen, and back when everything after it
/// fits with room to spare.
pub fn visible_columns(
    widths: &[usize],
    cursor: usize,
    previous_first: usize,
    room: usize,
) -> std::ops::Range<usize> {
    if widths.is_empty() {
        return 0..0;
    }
    let cursor = cursor.min(widths.len() - 1);
    let span = |from: usize, to: usize| -> usize { widths[from..=to].iter().map(|w| w + 1).sum() };
    let mut first = previous_first.min(cursor);
    while first < cursor && span(first, cursor) > room {
        first += 1;
    }
    while first > 0 && span(first - 1, widths.len() - 1) <= room {
        first -= 1;
    }
    let mut end = first;
    while end < widths.len() && span(first, end) <= room {
        end += 1;
    }
    // The cursor's column is shown even when it alone is wider than the room.
    first..end.max(first + 1)
}

impl ScrollTable<'_> {
    pub fn render(self, frame: &mut Frame, area: Rect, styles: &DashStyles) {
        let arrows = if styles.ascii {
            ("<", ">")
        } else {
            ("◀", "▶")
        };
        let fixed_count = self.fixed.len();
        let all: Vec<&Column> = self.fixed.iter().chain(&self.scrollable).collect();
        let widths: Vec<usize> = all
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let content = self
                    .lines
                    .iter()
                    .chain(&self.total)
                    .filter_map(|line| line.cells.get(i))
                    .map(|(text, _)| text.width())
                    .max()
                    .unwrap_or(0);
                let natural = content.max(column.title.width());
                column.max_width.map_or(natural, |cap| natural.min(cap))
            })
            .collect();
        let inner_width = usize::from(area.width.saturating_sub(2));
        let fixed_width: usize = widths[..fixed_count].iter().map(|w| w + 1).sum();
        let room = inner_width.saturating_sub(fixed_width);
        let shown = visible_columns(&widths[fixed_count..], self.column, self.scroll.get(), room);
        self.scroll.set(shown.start);
        let columns: Vec<usize> = (0..fixed_count)
            .chain(shown.clone().map(|i| i + fixed_count))
            .collect();
        let cursor_at = (fixed_count + self.column.min(self.scrollable.len().saturating_sub(1)))
            .checked_sub(shown.start)
            .filter(|_| !self.scrollable.is_empty());
        let left = if shown.start > 0 { arrows.0 } else { " " };
        let right = if shown.end < self.scrollable.len() {
            arrows.1
        } else {
            " "
        };
        let position = if self.scrollable.is_empty() {
            String::new()
        } else {
            format!(
                " {left} {}–{}/{} {right} ",
                shown.start + 1,
                shown.end,
                self.scrollable.len()
            )
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_set(styles.border_set())
            .border_style(styles.muted)
            .title(Span::styled(format!(" {} ", self.title), styles.title))
            .title_top(Line::from(Span::styled(position, styles.muted)).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.lines.is_empty() && self.total.is_none() {
            frame.render_widget(Paragraph::new(self.empty.clone()), inner);
            return;
        }
        let cell_of = |line: &TableLine, i: usize| -> Cell<'static> {
            let (text, style) = line.cells.get(i).cloned().unwrap_or_default();
            let text = fit(&text, widths[i]);
            Cell::from(Span::styled(pad(&text, widths[i], all[i].right), style))
        };
        let row_of = |line: &TableLine| -> Row<'static> {
            Row::new(
                columns
                    .iter()
                    .map(|&i| cell_of(line, i))
                    .collect::<Vec<_>>(),
            )
            .style(line.style)
        };
        let constraints: Vec<Constraint> = columns
            .iter()
            .map(|&i| Constraint::Length(u16::try_from(widths[i]).unwrap_or(u16::MAX)))
            .collect();
        let header = Row::new(
            columns
                .iter()
                .map(|&i| {
                    let title = fit(&all[i].title, widths[i]);
                    Cell::from(pad(&title, widths[i], all[i].right))
                })
                .collect::<Vec<_>>(),
        )
        .style(styles.header);
        let [body, footer] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(u16::from(self.total.is_some())),
        ])
        .areas(inner);
        if let Some(page) = self.page_rows {
            page.set(usize::from(body.height.saturating_sub(1)).max(1));
        }
        // The cell under both cursors stands out of the reversed row without colour.
        let cell_style = Style::default()
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            .remove_modifier(Modifier::REVERSED);
        let column_style = styles.header.add_modifier(Modifier::REVERSED);
        let main_selected = self.selected.filter(|s| *s < self.lines.len());
        let table = Table::new(self.lines.iter().map(row_of), constraints.clone())
            .header(header)
            .row_highlight_style(styles.selection)
            .cell_highlight_style(cell_style);
        let mut state = TableState::default()
            .with_selected(main_selected)
            .with_selected_column(cursor_at.filter(|_| main_selected.is_some()));
        frame.render_stateful_widget(table, body, &mut state);
        // The header cell of the cursor's column, drawn over the header row.
        if let Some(at) = cursor_at {
            let x: usize = columns[..at].iter().map(|&i| widths[i] + 1).sum();
            let width = widths[columns[at]];
            if x + width <= usize::from(body.width) {
                let title_area = Rect {
                    x: body.x + u16::try_from(x).unwrap_or(0),
                    y: body.y,
                    width: u16::try_from(width).unwrap_or(0),
                    height: 1,
                };
                let i = columns[at];
                let title = pad(&fit(&all[i].title, width), width, all[i].right);
                frame.render_widget(
                    Paragraph::new(Span::styled(title, column_style)),
                    title_area,
                );
            }
        }
        if let Some(total) = &self.total {
            let selected = self.selected == Some(self.lines.len());
            let table = Table::new([row_of(total)], constraints)
                .row_highlight_style(styles.selection)
                .cell_highlight_style(cell_style);
            let mut state = TableState::default()
                .with_selected(selected.then_some(0))
                .with_selected_column(cursor_at.filter(|_| selected));
            frame.render_stateful_widget(table, footer, &mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_moves_only_to_keep_the_cursor_on_screen() {
        let widths = [6, 8, 9, 9, 7, 12, 12];
        // 30 cells: columns 0..=2 take 7 + 9 + 10 = 26.
        assert_eq!(visible_columns(&widths, 0, 0, 30), 0..3);
        assert_eq!(visible_columns(&widths, 2, 0, 30), 0..3);
        // Moving right past the edge scrolls by as little as possible.
        assert_eq!(visible_columns(&widths, 3, 0, 30), 1..4);
        // Back left inside the window: it stays.
        assert_eq!(visible_columns(&widths, 2, 1, 30), 1..4);
        // Everything from the start fits: back to the first column.
        assert_eq!(visible_columns(&widths, 3, 2, 200), 0..7);
        assert_eq!(fit("Ammortizzatori sociali", 10), "Ammortizz…");
        assert_eq!(fit("Pensioni", 10), "Pensioni");
    }
}
