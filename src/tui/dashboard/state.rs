//! Cruscotto state and its update function. Read-only is enforced here, where actions are
//! dispatched, not in the view.

use jiff::Timestamp;

use super::drill::{Drill, DrillTarget};
use super::text::Lang;
use crate::api::{RequestDetail, RequestSummary};
use crate::domain::dashboard::{CellFigures, Dashboard, csv};
use crate::domain::request::RequestId;

pub use super::views::model::{FigureColumn, OfficeColumn, Period, Tab, TrendScale};

/// What a key can ask of the cruscotto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Drill down into the requests behind the figure under the cursors; in the drill-down's
    /// list, open the selected request's detail.
    Open,
    ExportCsv,
    Refresh,
    Quit,
    /// The clock ticked (once a second): only the header changes.
    Tick(Timestamp),
    /// A workflow action that changes data (take, reply, close…), named as in the command table.
    Write(&'static str),
    /// The next / previous view (Tab / Shift-Tab).
    NextTab,
    PrevTab,
    /// Straight to a view (digits `1`…`7`).
    ShowTab(Tab),
    /// The column cursor, with horizontal scroll (Left / Right).
    ColumnLeft,
    ColumnRight,
    /// Today → 7 days → 30 days (`p`).
    CyclePeriod,
    /// Opens or closes the column chooser of the office × topic table (`v`).
    ChooseColumns,
    /// Toggles the column under the chooser's cursor (Space in the chooser).
    ToggleColumn,
    /// Trend by day or by week (`w`).
    ToggleTrendScale,
    /// Opens or closes the help: keys and how the current view is computed (`?`).
    Help,
}

/// What the caller must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashboardOutcome {
    Nothing,
    /// List the requests behind this figure (`DrillTarget::filter`) and hand them to
    /// [`DashboardState::drill_loaded`]; the workstation opens them as a queue instead.
    DrillDown(DrillTarget),
    /// Load this request for the drill-down's detail pane ([`DashboardState::detail_loaded`]).
    ShowRequest(RequestId),
    /// Write this CSV text where the front end keeps exports.
    ExportCsv(String),
    Refresh,
    Quit,
}

#[derive(Debug, Clone)]
pub struct DashboardState {
    /// Shared, not copied: the SSH sessions of a scope hold the one computation of its figures.
    pub figures: std::sync::Arc<Dashboard>,
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
    /// The view shown (tab line).
    pub tab: Tab,
    /// The period of the within-SLA column and of the patronati view.
    pub period: Period,
    /// The row cursor of each view, kept while another view is shown.
    pub selected_by_tab: [usize; Tab::ALL.len()],
    /// The column cursor of each view (index among its shown scrollable columns).
    pub column_by_tab: [usize; Tab::ALL.len()],
    /// First scrollable column drawn last time, per view; written by the view (like `page_rows`)
    /// so that moving the cursor scrolls only when it would leave the screen.
    pub column_scroll: [std::cell::Cell<usize>; Tab::ALL.len()],
    /// Columns of the office × topic table hidden with the chooser (for the session).
    pub hidden_columns: Vec<OfficeColumn>,
    /// The column chooser, open with its cursor.
    pub chooser: Option<usize>,
    pub trend_scale: TrendScale,
    pub help_open: bool,
    /// Key help lines (keys, description) of the front end: its keymap or [`default_action`].
    pub key_help: Vec<(String, String)>,
    /// The requests behind a figure, over the views until Esc (standalone and SSH cruscotto).
    pub drill: Option<Drill>,
    /// The header's clock shows seconds. Over SSH it shows minutes: a frame a minute instead
    /// of one a second, for every session.
    pub clock_seconds: bool,
}

impl DashboardState {
    pub fn new(
        figures: impl Into<std::sync::Arc<Dashboard>>,
        scope_label: String,
        read_only: bool,
        lang: Lang,
    ) -> Self {
        let figures = figures.into();
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
            tab: Tab::Offices,
            period: Period::Last7Days,
            selected_by_tab: [0; Tab::ALL.len()],
            column_by_tab: [0; Tab::ALL.len()],
            column_scroll: Default::default(),
            hidden_columns: Vec::new(),
            chooser: None,
            trend_scale: TrendScale::Day,
            help_open: false,
            key_help: default_key_help(lang),
            drill: None,
            clock_seconds: true,
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

    /// New figures keep the selection where possible. Whether anything shown changed: figures
    /// recomputed with the same values (only `generated_at` differs) need no new frame.
    pub fn replace_figures(&mut self, figures: impl Into<std::sync::Arc<Dashboard>>) -> bool {
        let figures = figures.into();
        // The same computation (a scope's memo serving every session): nothing to compare.
        if std::sync::Arc::ptr_eq(&figures, &self.figures) {
            return false;
        }
        let changed = !figures.same_figures(&self.figures);
        self.figures = figures;
        let last = self.row_count().saturating_sub(1);
        self.selected = self.selected.min(last);
        changed
    }

    /// A key of everything a frame of this state depends on, for sharing one render among
    /// sessions that would draw the same frame (the SSH endpoint: supervisors of one scope
    /// watching the same view). The figures are named by their computation instant within the
    /// scope (the service computes a scope's figures once and every session shares them).
    /// `None` while a drill-down is open: its list and detail are the session's own.
    ///
    /// What the view writes back (rows a page holds, first drawn column) is part of the key as
    /// it was before the render; [`DashboardState::adopt_render`] takes the values after it.
    pub fn frame_key(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        if self.drill.is_some() {
            return None;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.figures.generated_at.as_microsecond().hash(&mut h);
        self.scope_label.hash(&mut h);
        self.selected.hash(&mut h);
        self.read_only.hash(&mut h);
        self.lang.hash(&mut h);
        self.clock_text().hash(&mut h);
        self.message.hash(&mut h);
        self.page_rows.get().hash(&mut h);
        self.in_workstation.hash(&mut h);
        self.tab.index().hash(&mut h);
        self.period.hash(&mut h);
        self.column().hash(&mut h);
        self.column_scroll[self.tab.index()].get().hash(&mut h);
        self.hidden_columns.hash(&mut h);
        self.chooser.hash(&mut h);
        self.trend_scale.hash(&mut h);
        self.help_open.hash(&mut h);
        self.key_help.hash(&mut h);
        Some(h.finish())
    }

    /// What a render of this state wrote back (see [`DashboardState::frame_key`]): rows a page
    /// holds and the first drawn column of the current view.
    pub fn render_feedback(&self) -> (usize, usize) {
        (
            self.page_rows.get(),
            self.column_scroll[self.tab.index()].get(),
        )
    }

    /// Takes the feedback of a render made for another session with the same frame key.
    pub fn adopt_render(&self, (page_rows, column_scroll): (usize, usize)) {
        self.page_rows.set(page_rows);
        self.column_scroll[self.tab.index()].set(column_scroll);
    }

    /// The header's clock as shown (Europe/Rome), to the second or to the minute.
    pub fn clock_text(&self) -> String {
        let format = if self.clock_seconds {
            "%d/%m/%Y %H:%M:%S"
        } else {
            "%d/%m/%Y %H:%M"
        };
        self.now
            .to_zoned(jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC))
            .strftime(format)
            .to_string()
    }

    pub fn update(&mut self, action: DashboardAction) -> DashboardOutcome {
        if !matches!(action, DashboardAction::Tick(_)) {
            self.message = None;
        }
        let Some(action) = self.overlay_update(action) else {
            return DashboardOutcome::Nothing;
        };
        if let Some(outcome) = self.drill_update(action) {
            return outcome;
        }
        // The views' rows are built (and sorted) only for the moves that need their count.
        let last = match action {
            DashboardAction::Down | DashboardAction::PageDown | DashboardAction::Bottom => {
                self.row_count().saturating_sub(1)
            }
            _ => 0,
        };
        let page = self.page_rows.get().max(1);
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
                if let Some(target) = self.drill_target() {
                    self.drill = Some(Drill::loading(target.clone()));
                    return DashboardOutcome::DrillDown(target);
                }
                self.message = Some(crate::i18n::t(self.lang, "views.no_drill").to_string());
            }
            DashboardAction::NextTab
            | DashboardAction::PrevTab
            | DashboardAction::ShowTab(_)
            | DashboardAction::ColumnLeft
            | DashboardAction::ColumnRight
            | DashboardAction::CyclePeriod
            | DashboardAction::ChooseColumns
            | DashboardAction::ToggleColumn
            | DashboardAction::ToggleTrendScale
            | DashboardAction::Help => self.view_update(action),
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
        KeyCode::Tab => A::NextTab,
        KeyCode::BackTab => A::PrevTab,
        KeyCode::Left | KeyCode::Char('h') => A::ColumnLeft,
        KeyCode::Right | KeyCode::Char('l') => A::ColumnRight,
        KeyCode::Char('p') => A::CyclePeriod,
        KeyCode::Char('v') => A::ChooseColumns,
        KeyCode::Char('w') => A::ToggleTrendScale,
        KeyCode::Char('?') => A::Help,
        KeyCode::Char(digit @ '1'..='7') => {
            let index = usize::from(digit as u8 - b'1');
            A::ShowTab(Tab::ALL[index])
        }
        _ => return None,
    })
}

/// Keys of the standalone and SSH cruscotto ([`default_action`]) for the help, with the catalog
/// key of each description.
const DEFAULT_KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "views.key.move"),
    ("PgUp PgDn Home End", "views.key.page"),
    ("← →  h l", "views.key.columns"),
    ("Tab  Shift-Tab", "views.key.tabs"),
    ("1 … 7", "views.key.tab_digit"),
    ("p", "views.key.period"),
    ("v", "views.key.chooser"),
    ("w", "views.key.trend_scale"),
    ("Enter", "views.key.open"),
    ("e", "views.key.export"),
    ("r  Ctrl-L", "views.key.refresh"),
    ("?", "views.key.help"),
    ("q  Esc", "views.key.quit"),
];

/// The help's key lines for [`default_action`], in `lang`.
pub fn default_key_help(lang: Lang) -> Vec<(String, String)> {
    DEFAULT_KEYS
        .iter()
        .map(|(keys, description)| {
            (
                (*keys).to_string(),
                crate::i18n::t(lang, description).to_string(),
            )
        })
        .collect()
}

/// The views: rows, columns and cursors of every tab, and the chooser and help overlays.
impl DashboardState {
    /// Column totals over the whole scope (the **Totale** row): counts and shares add up;
    /// medians and percentiles do not, so over several offices they are left empty. A scope of
    /// one office (most supervisors) is that office's total row, medians included.
    pub fn scope_total(&self) -> CellFigures {
        if let [office] = self.figures.office_totals.as_slice() {
            return office.clone();
        }
        let mut total = CellFigures::default();
        let add = |a: &mut crate::domain::dashboard::Share, b: crate::domain::dashboard::Share| {
            a.hits += b.hits;
            a.total += b.total;
        };
        for office in &self.figures.office_totals {
            total.open += office.open;
            total.at_risk += office.at_risk;
            total.breached += office.breached;
            total.paused += office.paused;
            add(&mut total.within_sla_today, office.within_sla_today);
            add(&mut total.within_sla_7d, office.within_sla_7d);
            add(&mut total.within_sla_30d, office.within_sla_30d);
            add(&mut total.reopen, office.reopen);
            add(&mut total.forwarded, office.forwarded);
            total.first_reply.count += office.first_reply.count;
            total.resolution.count += office.resolution.count;
            for (sum, n) in total.backlog_by_age.iter_mut().zip(office.backlog_by_age) {
                *sum += n;
            }
            total.forward_hops += office.forward_hops;
            total.max_forward_hops = total.max_forward_hops.max(office.max_forward_hops);
            let forecast = &mut total.forecast;
            forecast.recent_closures += office.forecast.recent_closures;
            for h in 0..forecast.breaching.len() {
                forecast.breaching[h] += office.forecast.breaching[h];
                forecast.extra_daily_closures[h] += office.forecast.extra_daily_closures[h];
            }
        }
        total
    }

    /// The office × topic cells with breached or at-risk requests: most breached first, then
    /// most at risk, then the oldest backlog.
    pub fn deadline_rows(&self) -> Vec<&CellFigures> {
        let mut rows: Vec<&CellFigures> = self
            .figures
            .cells
            .iter()
            .filter(|c| c.breached + c.at_risk > 0)
            .collect();
        rows.sort_by(|a, b| {
            b.breached
                .cmp(&a.breached)
                .then(b.at_risk.cmp(&a.at_risk))
                .then(b.backlog_by_age[4].cmp(&a.backlog_by_age[4]))
                .then(a.office.cmp(&b.office))
                .then(a.topic.cmp(&b.topic))
        });
        rows
    }

    /// The patronati of the selected period, by volume (largest first).
    pub fn patronati_rows(&self) -> Vec<&crate::domain::dashboard::PatronatoFigures> {
        let mut rows: Vec<_> = self.period.patronati(&self.figures).iter().collect();
        rows.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.patronato.cmp(&b.patronato)));
        rows
    }

    pub fn trend_rows(&self) -> Vec<super::views::model::TrendRow> {
        super::views::model::trend_rows(&self.figures.trend, self.trend_scale)
    }

    /// The office × topic table's scrollable columns the chooser leaves shown.
    pub fn shown_columns(&self) -> Vec<OfficeColumn> {
        OfficeColumn::ALL
            .into_iter()
            .filter(|c| !self.hidden_columns.contains(c))
            .collect()
    }

    /// Rows of the current view (the tables with a **Totale** row count it).
    pub fn row_count(&self) -> usize {
        match self.tab {
            Tab::Offices | Tab::Backlog | Tab::Forecast => self.rows().len() + 1,
            Tab::Deadlines => self.deadline_rows().len(),
            Tab::Patronati => self.patronati_rows().len(),
            Tab::Trend => self.trend_rows().len(),
            Tab::Workload => match &self.figures.workload {
                crate::domain::dashboard::Workload::Named { operators, .. } => operators.len(),
                crate::domain::dashboard::Workload::Aggregated { .. } => 0,
            },
        }
    }

    /// The figure Enter drills into: the row under the cursor (the **Totale** row is the
    /// whole scope) and the count under the column cursor. `None` in the views whose rows are
    /// not requests of an office (patronati, trend, workload).
    pub fn drill_target(&self) -> Option<DrillTarget> {
        let figure = self.figure_under_cursor();
        let row = match self.tab {
            Tab::Offices | Tab::Backlog | Tab::Forecast => {
                let rows = self.rows();
                if self.selected == rows.len() {
                    return Some(DrillTarget {
                        office: None,
                        topic: None,
                        figure,
                    });
                }
                rows.get(self.selected).copied()
            }
            Tab::Deadlines => self.deadline_rows().get(self.selected).copied(),
            Tab::Patronati | Tab::Trend | Tab::Workload => None,
        }?;
        Some(DrillTarget {
            office: Some(row.office.clone()),
            topic: row.topic,
            figure,
        })
    }

    /// The drill-down's list as the front end loaded it (`truncated`: more requests match than
    /// one page). A list for a target no longer shown (Esc before it came) is dropped.
    pub fn drill_loaded(
        &mut self,
        target: &DrillTarget,
        loaded: Result<(Vec<RequestSummary>, bool), String>,
    ) {
        let Some(drill) = self.drill.as_mut().filter(|d| d.target == *target) else {
            return;
        };
        match loaded {
            Ok((rows, truncated)) => drill.loaded(rows, truncated),
            Err(reason) => {
                drill.loading = false;
                self.message = Some(crate::domain::sanitize::inline(&reason, 160));
            }
        }
    }

    /// The detail of the request opened from the drill-down's list.
    pub fn detail_loaded(&mut self, loaded: Result<RequestDetail, String>) {
        let Some(drill) = self.drill.as_mut() else {
            return;
        };
        match loaded {
            Ok(detail) if drill.selected_id() == Some(&detail.summary.id) => {
                drill.detail = Some(Box::new(detail));
                drill.detail_scroll = 0;
            }
            Ok(_) => {}
            Err(reason) => self.message = Some(crate::domain::sanitize::inline(&reason, 160)),
        }
    }

    /// Keys while a drill-down is open: the list moves, Enter opens the detail, Esc closes the
    /// detail and then the list. `None` when no drill-down is open or the key is the views'.
    fn drill_update(&mut self, action: DashboardAction) -> Option<DashboardOutcome> {
        use DashboardAction as A;
        let page = self.page_rows.get().max(1);
        let drill = self.drill.as_mut()?;
        let last = drill.rows.len().saturating_sub(1);
        let step = u16::try_from(page).unwrap_or(u16::MAX);
        match action {
            A::Tick(_) | A::Help | A::Write(_) => return None,
            A::Up | A::PageUp if drill.detail.is_some() => {
                let lines = if action == A::Up { 1 } else { step };
                drill.detail_scroll = drill.detail_scroll.saturating_sub(lines);
            }
            A::Down | A::PageDown if drill.detail.is_some() => {
                let lines = if action == A::Down { 1 } else { step };
                drill.detail_scroll = drill.detail_scroll.saturating_add(lines);
            }
            A::Up => drill.selected = drill.selected.saturating_sub(1),
            A::Down => drill.selected = (drill.selected + 1).min(last),
            A::PageUp => drill.selected = drill.selected.saturating_sub(page),
            A::PageDown => drill.selected = (drill.selected + page).min(last),
            A::Top => drill.selected = 0,
            A::Bottom => drill.selected = last,
            A::ColumnLeft => drill.column = drill.column.saturating_sub(1),
            A::ColumnRight => drill.column = (drill.column + 1).min(drill.columns() - 1),
            A::Open if drill.detail.is_none() => {
                if let Some(id) = drill.selected_id() {
                    return Some(DashboardOutcome::ShowRequest(id.clone()));
                }
            }
            A::Quit if drill.detail.is_some() => drill.detail = None,
            A::Quit => self.drill = None,
            A::Refresh => {
                drill.loading = true;
                drill.detail = None;
                return Some(DashboardOutcome::DrillDown(drill.target.clone()));
            }
            _ => {}
        }
        Some(DashboardOutcome::Nothing)
    }

    /// Scrollable columns of the current view, for the column cursor.
    pub fn column_count(&self) -> usize {
        match self.tab {
            Tab::Offices => self.shown_columns().len(),
            other => super::views::model::scrollable_columns(other),
        }
    }

    /// The column cursor of the current view.
    pub fn column(&self) -> usize {
        self.column_by_tab[self.tab.index()].min(self.column_count().saturating_sub(1))
    }

    /// Which count the column cursor is on, in the views whose columns are counts of requests.
    pub fn figure_under_cursor(&self) -> FigureColumn {
        match self.tab {
            Tab::Offices => self
                .shown_columns()
                .get(self.column())
                .map_or(FigureColumn::Open, |c| c.figure()),
            Tab::Deadlines => super::views::model::DEADLINE_FIGURES
                .get(self.column())
                .copied()
                .unwrap_or(FigureColumn::Breached),
            _ => FigureColumn::Other,
        }
    }

    fn switch_tab(&mut self, tab: Tab) {
        self.selected_by_tab[self.tab.index()] = self.selected;
        self.tab = tab;
        self.selected = self.selected_by_tab[tab.index()];
        let last = self.row_count().saturating_sub(1);
        self.selected = self.selected.min(last);
    }

    /// The help and the column chooser take the keys while open; returns the action to apply
    /// to the view underneath, if any.
    fn overlay_update(&mut self, action: DashboardAction) -> Option<DashboardAction> {
        use DashboardAction as A;
        if matches!(action, A::Tick(_)) {
            return Some(action);
        }
        if self.help_open {
            if matches!(action, A::Help | A::Quit) {
                self.help_open = false;
            }
            return None;
        }
        let Some(cursor) = self.chooser else {
            return Some(action);
        };
        let last = OfficeColumn::ALL.len() - 1;
        match action {
            A::Up => self.chooser = Some(cursor.saturating_sub(1)),
            A::Down => self.chooser = Some((cursor + 1).min(last)),
            A::Top => self.chooser = Some(0),
            A::Bottom => self.chooser = Some(last),
            A::Open | A::ToggleColumn | A::PageDown => self.toggle_column(cursor),
            A::ChooseColumns | A::Quit => self.chooser = None,
            _ => {}
        }
        None
    }

    fn toggle_column(&mut self, index: usize) {
        let Some(&column) = OfficeColumn::ALL.get(index) else {
            return;
        };
        if let Some(at) = self.hidden_columns.iter().position(|c| *c == column) {
            self.hidden_columns.remove(at);
        } else if self.shown_columns().len() > 1 {
            self.hidden_columns.push(column);
        } else {
            self.message = Some(crate::i18n::t(self.lang, "views.chooser.last").to_string());
        }
    }

    fn view_update(&mut self, action: DashboardAction) {
        use DashboardAction as A;
        let tab = self.tab.index();
        match action {
            A::NextTab => self.switch_tab(self.tab.next()),
            A::PrevTab => self.switch_tab(self.tab.previous()),
            A::ShowTab(tab) => self.switch_tab(tab),
            A::ColumnLeft => self.column_by_tab[tab] = self.column().saturating_sub(1),
            A::ColumnRight => {
                let last = self.column_count().saturating_sub(1);
                self.column_by_tab[tab] = (self.column() + 1).min(last);
            }
            A::CyclePeriod => {
                self.period = self.period.next();
                if self.tab == Tab::Patronati {
                    self.selected = self.selected.min(self.row_count().saturating_sub(1));
                }
            }
            A::ChooseColumns => {
                self.switch_tab(Tab::Offices);
                self.chooser = Some(0);
            }
            // Space outside the chooser pages down, as before.
            A::ToggleColumn => {}
            A::ToggleTrendScale => {
                self.trend_scale = match self.trend_scale {
                    TrendScale::Day => TrendScale::Week,
                    TrendScale::Week => TrendScale::Day,
                };
                if self.tab == Tab::Trend {
                    self.selected = self.selected.min(self.row_count().saturating_sub(1));
                }
            }
            A::Help => self.help_open = true,
            _ => {}
        }
    }
}
