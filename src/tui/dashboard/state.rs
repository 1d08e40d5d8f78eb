//! Cruscotto state and its update function. Read-only is enforced here, where actions are
//! dispatched, not in the view.

use jiff::Timestamp;

use super::text::Lang;
use crate::domain::dashboard::{CellFigures, Dashboard, csv};
use crate::domain::request::Topic;

/// What a key can ask of the cruscotto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Drill down into the queue of the selected row.
    Open,
    ExportCsv,
    Refresh,
    Quit,
    /// The clock ticked (once a second): only the header changes.
    Tick(Timestamp),
    /// A workflow action that changes data (take, reply, close…), named as in the command table.
    Write(&'static str),
}

/// What the caller must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashboardOutcome {
    Nothing,
    /// Open the queue of this office (and topic, unless the row is an office total).
    DrillDown {
        office: String,
        topic: Option<Topic>,
    },
    /// Write this CSV text where the front end keeps exports.
    ExportCsv(String),
    Refresh,
    Quit,
}

#[derive(Debug, Clone)]
pub struct DashboardState {
    pub figures: Dashboard,
    /// e.g. "Sede RM01" or "Regione Lazio"; already sanitised.
    pub scope_label: String,
    pub selected: usize,
    pub read_only: bool,
    pub lang: Lang,
    pub now: Timestamp,
    pub message: Option<String>,
    /// Rows the table showed last time (for paging); written by the view, which only borrows.
    pub page_rows: std::cell::Cell<usize>,
    /// When a reload of the figures was last asked for (the workstation reloads stale figures).
    pub refresh_requested_at: Option<Timestamp>,
    /// Open inside the workstation (its keys: Esc goes back, Ctrl-R refreshes).
    pub in_workstation: bool,
    /// How `e` writes the CSV (`--csv-dialect`).
    pub csv_dialect: crate::domain::csv::Dialect,
}

impl DashboardState {
    pub fn new(figures: Dashboard, scope_label: String, read_only: bool, lang: Lang) -> Self {
        DashboardState {
            now: figures.generated_at,
            figures,
            scope_label,
            selected: 0,
            read_only,
            lang,
            message: None,
            page_rows: std::cell::Cell::new(10),
            refresh_requested_at: None,
            in_workstation: false,
            csv_dialect: crate::domain::csv::Dialect::default(),
        }
    }

    /// Table rows: office × topic cells, each office followed by its total.
    pub fn rows(&self) -> Vec<&CellFigures> {
        let mut rows =
            Vec::with_capacity(self.figures.cells.len() + self.figures.office_totals.len());
        for total in &self.figures.office_totals {
            rows.extend(
                self.figures
                    .cells
                    .iter()
                    .filter(|c| c.office == total.office),
            );
            rows.push(total);
        }
        rows
    }

    /// New figures keep the selection where possible.
    pub fn replace_figures(&mut self, figures: Dashboard) {
        self.figures = figures;
        let last = self.rows().len().saturating_sub(1);
        self.selected = self.selected.min(last);
    }

    pub fn update(&mut self, action: DashboardAction) -> DashboardOutcome {
        let count = self.rows().len();
        let last = count.saturating_sub(1);
        let page = self.page_rows.get().max(1);
        if !matches!(action, DashboardAction::Tick(_)) {
            self.message = None;
        }
        match action {
            DashboardAction::Up => self.selected = self.selected.saturating_sub(1),
            DashboardAction::Down => self.selected = (self.selected + 1).min(last),
            DashboardAction::PageUp => self.selected = self.selected.saturating_sub(page),
            DashboardAction::PageDown => self.selected = (self.selected + page).min(last),
            DashboardAction::Top => self.selected = 0,
            DashboardAction::Bottom => self.selected = last,
            DashboardAction::Tick(now) => self.now = now,
            DashboardAction::Refresh => return DashboardOutcome::Refresh,
            DashboardAction::Quit => return DashboardOutcome::Quit,
            DashboardAction::ExportCsv => {
                return DashboardOutcome::ExportCsv(csv::dashboard_csv(
                    &self.figures,
                    self.csv_dialect,
                ));
            }
            DashboardAction::Open => {
                if let Some(row) = self.rows().get(self.selected) {
                    return DashboardOutcome::DrillDown {
                        office: row.office.clone(),
                        topic: row.topic,
                    };
                }
            }
            DashboardAction::Write(_) => {
                let text = self.lang.text();
                self.message = Some(
                    if self.read_only {
                        text.refused_read_only
                    } else {
                        text.not_here
                    }
                    .to_string(),
                );
            }
        }
        DashboardOutcome::Nothing
    }
}

/// Default keys of the cruscotto (the `dashboard` keymap context): movement, Enter, `e`, `r`,
/// `q`/Esc/Ctrl-C; the workstation's write keys map to [`DashboardAction::Write`] so that they
/// are refused with a message instead of silently ignored.
pub fn default_action(key: &crossterm::event::KeyEvent) -> Option<DashboardAction> {
    use DashboardAction as A;
    use crossterm::event::{KeyCode, KeyModifiers};
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') | KeyCode::Char('d') => Some(A::Quit),
            KeyCode::Char('l') => Some(A::Refresh),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => A::Up,
        KeyCode::Down | KeyCode::Char('j') => A::Down,
        KeyCode::PageUp => A::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => A::PageDown,
        KeyCode::Home | KeyCode::Char('g') => A::Top,
        KeyCode::End | KeyCode::Char('G') => A::Bottom,
        KeyCode::Enter => A::Open,
        KeyCode::Char('e') => A::ExportCsv,
        KeyCode::Char('r') => A::Refresh,
        KeyCode::Char('q') | KeyCode::Esc => A::Quit,
        KeyCode::Char('t') => A::Write("take"),
        KeyCode::Char('R') => A::Write("reply"),
        KeyCode::Char('c') => A::Write("close"),
        KeyCode::Char('f') => A::Write("forward"),
        KeyCode::Char('a') => A::Write("assign"),
        KeyCode::Char('o') => A::Write("reopen"),
        KeyCode::Char('n') => A::Write("note"),
        _ => return None,
    })
}
