//! Everything the workstation shows, as plain data. `view` is a pure function of this.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::api::{Dossier, PresenceActivity, RequestDetail, RequestSummary};
use crate::domain::request::{RequestId, Status, Topic};
use crate::domain::sla::SlaState;
use crate::i18n::Lang;
use crate::tui::list_index::{Facts, ListIndex};

/// Focusable panes, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    Queues,
    #[default]
    List,
    Detail,
}

/// A sidebar queue: a predicate over requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queue {
    Mine,
    Unassigned,
    Topic(Topic),
    Awaiting,
    AtRisk,
    Breached,
    ClosedToday,
    /// Requests with an appointment today (Europe/Rome), by its time.
    AppointmentsToday,
    All,
    /// The requests behind a figure of the cruscotto (an office × topic cell, an office total
    /// or the scope's total; open, breached, at risk or awaiting integration), opened by
    /// drilling down from it.
    Cell(crate::tui::dashboard::drill::DrillTarget),
    /// A saved filter from the config (`[[filters]]`).
    Saved(Box<crate::config::sections::SavedFilter>),
}

impl Queue {
    /// The standard queues with `saved` filters after "closed today", before "all open".
    pub fn with_saved(saved: &[crate::config::sections::SavedFilter]) -> Vec<Queue> {
        let mut queues = Self::standard();
        let all = queues.len() - 1;
        queues.splice(
            all..all,
            saved.iter().map(|f| Queue::Saved(Box::new(f.clone()))),
        );
        queues
    }

    pub fn standard() -> Vec<Queue> {
        let mut queues = vec![Queue::Mine, Queue::Unassigned];
        queues.extend(Topic::ALL.into_iter().map(Queue::Topic));
        queues.extend([
            Queue::Awaiting,
            Queue::AtRisk,
            Queue::Breached,
            Queue::ClosedToday,
            Queue::AppointmentsToday,
            Queue::All,
        ]);
        queues
    }

    /// i18n key of the label.
    pub fn label_key(&self) -> String {
        match self {
            Queue::Mine => "queue.mine".into(),
            Queue::Unassigned => "queue.unassigned".into(),
            Queue::Topic(t) => format!("topic.{}", t.code()),
            Queue::Awaiting => "queue.awaiting".into(),
            Queue::AtRisk => "queue.at_risk".into(),
            Queue::Breached => "queue.breached".into(),
            Queue::ClosedToday => "queue.closed_today".into(),
            Queue::AppointmentsToday => "queue.appointments_today".into(),
            Queue::All => "queue.all".into(),
            Queue::Cell(_) => "queue.cell".into(),
            Queue::Saved(_) => "queue.saved".into(),
        }
    }

    /// The label shown in the sidebar and the palette.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            Queue::Cell(target) => target.title(lang),
            Queue::Saved(filter) => crate::domain::sanitize::inline(&filter.name, 24),
            other => crate::i18n::t(lang, &other.label_key()).to_string(),
        }
    }

    pub fn contains(&self, r: &RequestSummary, me: &Operator, now: Timestamp) -> bool {
        self.holds(r, &Facts::of(r, me), now.as_second())
    }

    /// Whether membership changes as time passes, with no change to the request.
    pub fn depends_on_time(&self) -> bool {
        matches!(
            self,
            Queue::AtRisk | Queue::Breached | Queue::ClosedToday | Queue::AppointmentsToday
        )
    }

    /// [`Queue::contains`] with `r`'s precomputed facts, `now` in UTC seconds.
    pub fn holds(&self, r: &RequestSummary, f: &Facts, now: i64) -> bool {
        let open = f.status.is_open();
        match self {
            Queue::Mine => open && f.mine,
            Queue::Unassigned => open && f.unassigned_here,
            Queue::Topic(t) => open && f.topic == *t,
            Queue::Awaiting => f.status == Status::InAttesaIntegrazione,
            Queue::AtRisk => {
                open && matches!(
                    level_at(f.status, f.marks, now),
                    Some(SlaState::Warning) | Some(SlaState::Critical)
                )
            }
            Queue::Breached => open && level_at(f.status, f.marks, now) == Some(SlaState::Breached),
            // Since local midnight, as the service counts it, not the last 24 hours.
            Queue::ClosedToday => f.status == Status::Chiusa && f.updated >= rome_day(now).0,
            // `NEVER` lies after every day.
            Queue::AppointmentsToday => {
                let (start, next) = rome_day(now);
                (start..next).contains(&f.appointment)
            }
            Queue::All => open,
            Queue::Cell(target) => {
                use crate::tui::dashboard::drill::FigureColumn as F;
                let in_cell = target.office.as_ref().is_none_or(|o| r.office == *o)
                    && target.topic.is_none_or(|t| f.topic == t);
                in_cell
                    && match target.figure {
                        F::Breached => Queue::Breached.holds(r, f, now),
                        F::AtRisk => Queue::AtRisk.holds(r, f, now),
                        F::Paused => Queue::Awaiting.holds(r, f, now),
                        F::Open | F::Other => open,
                    }
            }
            Queue::Saved(filter) => open && filter.accepts(r),
        }
    }
}

/// The Rome day holding `now` as UTC seconds `[start, next)`: 23 to 25 hours. The day is kept,
/// so checking every row against it costs two comparisons rather than a time-zone conversion.
fn rome_day(now: i64) -> (i64, i64) {
    thread_local! {
        static DAY: std::cell::Cell<(i64, i64)> = const { std::cell::Cell::new((1, 0)) };
    }
    DAY.with(|day| {
        let (start, end) = day.get();
        if (start..end).contains(&now) {
            return (start, end);
        }
        let at = Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH);
        let start = crate::domain::calendar::rome_day_start(at);
        // A Rome day lasts 23 to 25 hours: 30 hours on is inside the next one.
        let next =
            crate::domain::calendar::rome_day_start(start + jiff::SignedDuration::from_hours(30));
        let bounds = (start.as_second(), next.as_second());
        day.set(bounds);
        bounds
    })
}

/// Who is logged in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Operator {
    pub username: String,
    pub office: String,
}

/// List sort orders, cycled by `sort_cycle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Sla,
    Age,
    Priority,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Sla => SortKey::Age,
            SortKey::Age => SortKey::Priority,
            SortKey::Priority => SortKey::Sla,
        }
    }
    pub fn label_key(self) -> &'static str {
        match self {
            SortKey::Sla => "sort.sla",
            SortKey::Age => "sort.age",
            SortKey::Priority => "sort.priority",
        }
    }
}

/// SLA level shown in the list (colour + symbol): the service's own clock states, `None` while
/// a request has no running clock the client knows of.
pub type SlaLevel = Option<crate::domain::sla::SlaState>;

/// The soonest due instant among the request's running clocks (the service computes them).
pub fn due_at(r: &RequestSummary) -> Option<Timestamp> {
    r.clocks.iter().filter_map(|c| c.due_at).min()
}

/// The running clock that falls due first: the one the list's SLA cell shows.
pub fn leading_clock(r: &RequestSummary) -> Option<&crate::api::ClockView> {
    r.clocks
        .iter()
        .filter(|c| c.due_at.is_some())
        .min_by_key(|c| c.due_at)
}

pub fn sla_of(r: &RequestSummary, now: Timestamp) -> SlaLevel {
    level_at(r.status, SlaMarks::of(r), now.as_second())
}

/// How often the passing of time alone recounts the SLA queues.
pub const TIMED_RECOUNT_SECS: i64 = 5;

/// The soonest instants (UTC seconds) at which any running clock of a request reaches the
/// policy's warning, critical and breach thresholds, as the service computed them on the office
/// calendars. They hold until the request's next change, so the level at any instant is a
/// comparison: the same answer as `domain::sla::countdown`, without calendars in the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaMarks {
    /// [`NEVER`] when no running clock has the threshold.
    pub warning: i64,
    pub critical: i64,
    /// [`NEVER`] when no clock is running: the request has no SLA level.
    pub breach: i64,
}

/// "No such instant" in the list's compact facts (UTC seconds): never reached, sorts last.
pub const NEVER: i64 = i64::MAX;

impl Default for SlaMarks {
    fn default() -> Self {
        SlaMarks {
            warning: NEVER,
            critical: NEVER,
            breach: NEVER,
        }
    }
}

impl SlaMarks {
    pub fn of(r: &RequestSummary) -> Self {
        let soonest = |pick: fn(&crate::api::ClockView) -> Option<Timestamp>| {
            r.clocks
                .iter()
                .filter_map(pick)
                .min()
                .map(|t| t.as_second())
        };
        // A clock the service already calls breached, or whose due instant has passed, is
        // breached whatever its threshold instants say: the colour never contradicts the
        // countdown next to it ("● -21g" in green).
        let breached_now = r
            .clocks
            .iter()
            .any(|c| c.state == crate::domain::sla::SlaState::Breached);
        let breach = soonest(|c| match (c.breach_at(), c.due_at) {
            (Some(b), Some(d)) => Some(b.min(d)),
            (b, d) => b.or(d),
        });
        SlaMarks {
            warning: soonest(|c| c.warning_at()).unwrap_or(NEVER),
            critical: soonest(|c| c.critical_at()).unwrap_or(NEVER),
            breach: if breached_now {
                breach.map_or(i64::MIN, |b| b.min(r.updated_at.as_second()))
            } else {
                breach.unwrap_or(NEVER)
            },
        }
    }
}

/// The SLA level at `now` (seconds) of a request in `status` with threshold instants `marks`.
pub(crate) fn level_at(status: Status, marks: SlaMarks, now: i64) -> SlaLevel {
    if !status.is_open() {
        return Some(SlaState::Met);
    }
    if status == Status::InAttesaIntegrazione {
        return Some(SlaState::Paused);
    }
    // NEVER is never reached: no instant is that late.
    let reached = |mark: i64| mark <= now;
    if marks.breach == NEVER {
        None
    } else if reached(marks.breach) {
        Some(SlaState::Breached)
    } else if reached(marks.critical) {
        Some(SlaState::Critical)
    } else if reached(marks.warning) {
        Some(SlaState::Warning)
    } else {
        Some(SlaState::Ok)
    }
}

/// Pickers offered by workflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Forward,
    /// An operator of the request's office (assign).
    Assignee,
    Outcome,
    Canned,
    Palette,
}

/// Free-text inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    Reply,
    Note,
    Integration,
    Tag,
    Assign,
    Jump,
}

/// An item of a picker: what is shown, and the value returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickItem {
    pub label: String,
    pub value: PickValue,
}

/// What choosing a picker entry gives: text for the workflow pickers (an office code, an
/// outcome, a username, a canned reply), a command or a queue for the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickValue {
    Text(String),
    Command(crate::tui::action::Command),
    Queue(usize),
}

/// Bulk operations awaiting confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOp {
    Take,
    Close(String),
    Forward(String),
}

/// Modal state: at most one dialog at a time, each handling its own fixed keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Filter,
    Help {
        query: String,
        /// First help line shown (Up/Down/PageUp/PageDown scroll; typing resets it).
        scroll: usize,
    },
    Input {
        kind: InputKind,
        /// The request written to (none for `Jump`): its draft is kept under this id.
        id: Option<RequestId>,
        editor: crate::tui::editor::Editor,
    },
    Picker {
        kind: PickerKind,
        query: String,
        items: Vec<PickItem>,
        matches: Vec<usize>,
        cursor: usize,
        bulk: bool,
    },
    Confirm {
        op: BulkOp,
        ids: Vec<RequestId>,
    },
    /// The slot picker of the Agenda appuntamenti.
    Slots(Box<crate::tui::agenda::SlotPicker>),
}

/// A close or forward held back so it can be undone (deferred commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    pub ids: Vec<RequestId>,
    pub op: BulkOp,
    pub deadline: Timestamp,
}

/// Another operator viewing or replying to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user: String,
    pub name: String,
    pub activity: PresenceActivity,
}

/// A transient message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The whole UI state.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub lang: Lang,
    pub read_only: bool,
    /// The operator's role, when known (the login says it); `None` restricts nothing here and
    /// leaves the service to refuse.
    pub role: Option<crate::domain::roles::Role>,
    /// Replying to a new request of one's own office takes it first (config, default on).
    pub take_before_reply: bool,
    pub demo: bool,
    pub now: Timestamp,
    pub me: Operator,
    /// The operator's full name (for signatures in canned replies); empty: the username.
    pub operator_name: String,
    pub offices: Vec<(String, String)>,
    pub canned: Vec<(String, String)>,
    pub requests: Vec<RequestSummary>,
    /// When the list was last loaded whole (its business-time figures are the service's as of
    /// then).
    pub loaded_at: Option<Timestamp>,
    /// Rows received so far while the list is still loading page by page (the status bar says
    /// so); `None` once the last page is in.
    pub loading: Option<usize>,
    /// Precomputed facts, sort orders, lookups and filter levels over `requests`.
    index: ListIndex,
    /// `now` (UTC seconds), `me` and the queues the counts were computed for.
    counted_at: Option<(i64, Operator, Vec<Queue>)>,
    pub queues: Vec<Queue>,
    pub queue_counts: Vec<usize>,
    pub queue_cursor: usize,
    /// Indices into `requests` of the current queue after filter and sort.
    pub visible: Vec<usize>,
    pub cursor: usize,
    pub scroll: usize,
    pub list_height: usize,
    pub focus: Pane,
    pub filter: String,
    pub sort: SortKey,
    pub selected: HashSet<RequestId>,
    /// The queue and filter the selection was made in: a selection is only ever acted on where
    /// it can be seen, so changing either clears it (see `refilter`).
    pub selection_scope: Option<(Queue, String)>,
    /// The request the operator last opened or acted on: kept in the list, under the cursor,
    /// until the cursor moves or the queue changes, even if it no longer belongs to the queue.
    pub pinned: Option<RequestId>,
    pub detail: Option<RequestDetail>,
    pub detail_stale: bool,
    /// How far each request's detail is scrolled: per request, so paging down in one never
    /// leaves the next one's preview scrolled.
    pub detail_scrolls: HashMap<RequestId, usize>,
    /// The open request's citizen dossier (`GET /v1/dossiers/{cf}`).
    pub dossier: Option<Dossier>,
    /// Other operators on a request, from `presence` events (see `tui::live`).
    pub presence: HashMap<RequestId, Vec<Viewer>>,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub pending: Option<PendingCommit>,
    /// Writes waiting for the service, and those it refused on replay (`<data dir>/outbox.json`).
    pub outbox: crate::tui::outbox::Outbox,
    /// Drafts by request and kind (loaded from `<data dir>/drafts` at start).
    pub drafts: HashMap<crate::tui::drafts::DraftKey, String>,
    /// Drafts changed since last written to disk (written on the next tick).
    pub drafts_unsaved: HashSet<crate::tui::drafts::DraftKey>,
    pub offline: bool,
    /// The cruscotto, while it is open over the workstation (`dashboard` action); keys then go
    /// to `keymap::Context::Dashboard`.
    pub dashboard: Option<crate::tui::dashboard::DashboardState>,
    /// The active keymap and any half-typed key sequence; the dispatcher, the `?` help and the
    /// key-hint line all read this one table.
    pub keymap: crate::tui::keymap::Keymap,
    /// Each office's staff as the service listed them (the assign picker), asked once.
    pub office_operators: HashMap<String, Vec<crate::api::OfficeOperator>>,
    /// How exports are written (`--csv-dialect`).
    pub csv_dialect: crate::domain::csv::Dialect,
    /// Where exports are written (`<data dir>/exports`); none: exports are refused.
    pub data_dir: Option<std::path::PathBuf>,
    pub quit: bool,
}

impl State {
    pub fn new(lang: Lang, me: Operator, now: Timestamp) -> Self {
        let queues = Queue::standard();
        State {
            lang,
            me,
            now,
            queue_counts: vec![0; queues.len()],
            queues,
            list_height: 20,
            take_before_reply: true,
            ..State::default()
        }
    }

    /// Replaces every loaded request (initial load, refresh, resync).
    pub fn set_requests(&mut self, requests: Vec<RequestSummary>) {
        let keep = self.current().map(|r| r.id.clone());
        // Old indices are meaningless for the new list.
        self.visible.clear();
        self.requests = requests;
        self.index = ListIndex::build(&self.requests, &self.me);
        self.counted_at = None;
        self.recompute();
        if let Some(id) = keep {
            self.keep_under_cursor(id);
        }
    }

    /// Merges many rows at once (a further page of the list, or what changed while we were
    /// disconnected): a row we hold is replaced unless ours is newer, a new one appended, those
    /// in `removed` dropped. One recount and refilter for the lot, not one per row.
    pub fn merge_requests(&mut self, rows: Vec<RequestSummary>, removed: &[RequestId]) {
        let keep = self.current().map(|r| r.id.clone());
        if !removed.is_empty() {
            let gone: HashSet<&RequestId> = removed.iter().collect();
            let mut requests = std::mem::take(&mut self.requests);
            requests.retain(|r| !gone.contains(&r.id));
            self.requests = requests;
            self.index = ListIndex::build(&self.requests, &self.me);
            if self
                .detail
                .as_ref()
                .is_some_and(|d| gone.contains(&d.summary.id))
            {
                self.detail_stale = true;
            }
        }
        self.sync_index();
        for row in rows {
            match self.index.position(&row.id) {
                Some(i) if self.requests[i].version > row.version => {}
                Some(i) => {
                    if self
                        .detail
                        .as_ref()
                        .is_some_and(|d| d.summary.id == row.id && d.summary.version < row.version)
                    {
                        self.detail_stale = true;
                    }
                    self.index
                        .update(i, Some(&self.requests[i]), &row, &self.me);
                    self.requests[i] = row;
                }
                None => {
                    let i = self.requests.len();
                    self.index.update(i, None, &row, &self.me);
                    self.requests.push(row);
                }
            }
        }
        self.counted_at = None;
        self.recompute();
        if let Some(id) = keep {
            self.keep_under_cursor(id);
        }
    }

    /// Inserts or updates one request in place (SSE `request.*`).
    pub fn upsert(&mut self, request: RequestSummary) {
        self.sync_index();
        let position = self.index.position(&request.id);
        let keep = self.current().map(|r| r.id.clone());
        let now = self.now.as_second();
        // Counts of queues that do not depend on the time stay exact through an update; those
        // that do are recounted when the clock moved since they were counted.
        let counted = self.counted_at.as_ref();
        let counts_fresh =
            counted.is_some_and(|(_, me, queues)| *me == self.me && *queues == self.queues);
        let time_moved = counted.is_some_and(|(at, _, _)| *at != now);
        match position {
            Some(i) => {
                if self.detail.as_ref().is_some_and(|d| {
                    d.summary.id == request.id && d.summary.version < request.version
                }) {
                    self.detail_stale = true;
                }
                if counts_fresh {
                    self.count_one(i, false);
                }
                self.index
                    .update(i, Some(&self.requests[i]), &request, &self.me);
                self.requests[i] = request;
                if counts_fresh {
                    self.count_one(i, true);
                }
            }
            None => {
                let i = self.requests.len();
                self.index.update(i, None, &request, &self.me);
                self.requests.push(request);
                if counts_fresh {
                    self.count_one(i, true);
                }
            }
        }
        if !counts_fresh {
            self.count_queues();
        } else if time_moved {
            self.recount_timed_queues();
        }
        self.refilter();
        if let Some(id) = keep {
            self.keep_under_cursor(id);
        }
    }

    pub fn request(&self, id: &RequestId) -> Option<&RequestSummary> {
        match self.index.position(id).and_then(|i| self.requests.get(i)) {
            Some(r) if &r.id == id => Some(r),
            // Only if `requests` was edited behind the index's back.
            _ => self.requests.iter().find(|r| &r.id == id),
        }
    }

    /// Other open requests of the same citizen, in load order, at most `limit`.
    pub fn other_open_requests(&self, of: &RequestSummary, limit: usize) -> Vec<&RequestSummary> {
        let other =
            |o: &&RequestSummary| o.citizen == of.citizen && o.id != of.id && o.status.is_open();
        if self.index.len() != self.requests.len() {
            // Only if `requests` was edited behind the index's back.
            return self.requests.iter().filter(other).take(limit).collect();
        }
        self.index
            .of_citizen(&of.citizen)
            .iter()
            .filter_map(|&i| self.requests.get(i as usize))
            .filter(other)
            .take(limit)
            .collect()
    }

    /// The request under the cursor.
    pub fn current(&self) -> Option<&RequestSummary> {
        self.visible.get(self.cursor).map(|&i| &self.requests[i])
    }

    pub fn current_queue(&self) -> &Queue {
        &self.queues[self.queue_cursor.min(self.queues.len().saturating_sub(1))]
    }

    /// Recounts queues and rebuilds the visible list, keeping the cursor on the same request.
    pub fn recompute(&mut self) {
        let keep = self.current().map(|r| r.id.clone());
        self.sync_index();
        self.count_queues();
        self.refilter();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// Rebuilds the index if `requests` was replaced without [`State::set_requests`] /
    /// [`State::upsert`] (a length mismatch is the visible sign) or `me` changed.
    fn sync_index(&mut self) {
        if !self.index.fits(self.requests.len(), &self.me) {
            self.index = ListIndex::build(&self.requests, &self.me);
            self.counted_at = None;
        }
    }

    fn count_queues(&mut self) {
        let now = self.now.as_second();
        self.queue_counts = vec![0; self.queues.len()];
        for i in 0..self.index.len() {
            self.count_one(i, true);
        }
        self.counted_at = Some((now, self.me.clone(), self.queues.clone()));
    }

    /// Moves the clock. SLA levels and "closed today" change with time alone, so the queues that
    /// depend on it are recounted (at most every [`TIMED_RECOUNT_SECS`]) and the list refiltered
    /// when it shows one of them.
    pub fn advance(&mut self, now: Timestamp) {
        self.now = now;
        let due = self
            .counted_at
            .as_ref()
            .is_some_and(|(at, _, _)| now.as_second() - at >= TIMED_RECOUNT_SECS);
        if !due {
            return;
        }
        self.recount_timed_queues();
        if self.current_queue().depends_on_time() {
            let keep = self.current().map(|r| r.id.clone());
            self.refilter();
            if let Some(id) = keep {
                self.select_id(&id);
            }
        }
    }

    /// Recounts the queues whose membership depends on `now` (SLA levels, closed today).
    fn recount_timed_queues(&mut self) {
        let now = self.now.as_second();
        self.queue_counts.resize(self.queues.len(), 0);
        let timed: Vec<usize> = (0..self.queues.len())
            .filter(|&k| self.queues[k].depends_on_time())
            .collect();
        for &k in &timed {
            self.queue_counts[k] = 0;
        }
        for (i, r) in self.requests.iter().enumerate() {
            let Some(facts) = self.index.facts(i) else {
                continue;
            };
            for &k in &timed {
                if self.queues[k].holds(r, facts, now) {
                    self.queue_counts[k] += 1;
                }
            }
        }
        if let Some((at, _, _)) = self.counted_at.as_mut() {
            *at = now;
        }
    }

    /// Adds (or removes) request `i` to the counts of the queues holding it.
    fn count_one(&mut self, i: usize, add: bool) {
        let now = self.now.as_second();
        let (Some(facts), Some(r)) = (self.index.facts(i), self.requests.get(i)) else {
            return;
        };
        self.queue_counts.resize(self.queues.len(), 0);
        for (queue, count) in self.queues.iter().zip(self.queue_counts.iter_mut()) {
            if queue.holds(r, facts, now) {
                *count = if add {
                    *count + 1
                } else {
                    count.saturating_sub(1)
                };
            }
        }
    }

    /// Rows of the current queue after the filter: `visible` without a pinned request that no
    /// longer belongs to the queue, so the list title and the sidebar count the same thing.
    pub fn listed_count(&self) -> usize {
        let queue = self.current_queue();
        let extra = self
            .pinned
            .as_ref()
            .and_then(|id| self.request(id))
            .is_some_and(|r| !queue.contains(r, &self.me, self.now));
        self.visible.len() - usize::from(extra && !self.visible.is_empty())
    }

    /// The detail scroll of the request under the cursor.
    pub fn detail_scroll(&self) -> usize {
        self.current()
            .and_then(|r| self.detail_scrolls.get(&r.id))
            .copied()
            .unwrap_or(0)
    }

    /// Keeps request `id` under the cursor when an update (not a key) would move it out of the
    /// list: it stays listed, pinned, until the operator moves on.
    fn keep_under_cursor(&mut self, id: RequestId) {
        if self.select_id(&id) {
            return;
        }
        if self.index.position(&id).is_some() && self.pinned.is_none() {
            self.pinned = Some(id.clone());
            self.refilter();
            self.select_id(&id);
        }
    }

    /// Records that the selection belongs to the current queue and filter.
    pub fn scope_selection(&mut self) {
        self.selection_scope = Some((self.current_queue().clone(), self.filter.clone()));
    }

    /// Applies queue, fuzzy filter and sort.
    pub fn refilter(&mut self) {
        self.sync_index();
        let queue = self.current_queue().clone();
        if !self.selected.is_empty()
            && self
                .selection_scope
                .as_ref()
                .is_none_or(|(q, f)| *q != queue || *f != self.filter)
        {
            self.selected.clear();
            self.selection_scope = None;
        }
        let terms = crate::tui::filter::terms(&self.filter);
        let now = self.now.as_second();
        // Every term goes through the incremental index: typing a character costs only what it
        // changes.
        let marks = (!terms.is_empty()).then(|| {
            use crate::tui::filter::EXACT_MARK;
            use crate::tui::list_index::TERM_BREAK;
            let mut key = String::new();
            for term in &terms {
                if !key.is_empty() {
                    key.push(TERM_BREAK);
                }
                if term.exact {
                    key.push(EXACT_MARK);
                }
                key.push_str(&term.text);
            }
            self.index.matching(&key)
        });
        let requests = &self.requests;
        let index = &self.index;
        self.visible = index
            .order(self.sort)
            .iter()
            .filter(|e| marks.as_ref().is_none_or(|m| m[e.index as usize]))
            .filter(|e| {
                requests
                    .get(e.index as usize)
                    .is_some_and(|r| queue.holds(r, &e.facts, now))
            })
            .map(|e| e.index as usize)
            .collect();
        if queue == Queue::AppointmentsToday {
            let requests = &self.requests;
            self.visible
                .sort_by_key(|&i| requests.get(i).and_then(|r| r.appointment));
        }
        // Best matches first, as fzf lists them; equal scores keep the sort order.
        if !terms.is_empty() && self.visible.len() <= crate::tui::filter::RANK_LIMIT {
            let scores: Vec<i64> = crate::parallel::filter_map(&self.visible, |&i| {
                Some(crate::tui::filter::score(index.haystack_at(i), &terms))
            });
            let mut ranked: Vec<(i64, usize)> = scores
                .into_iter()
                .zip(self.visible.iter().copied())
                .collect();
            ranked.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
            self.visible = ranked.into_iter().map(|(_, i)| i).collect();
        }
        if let Some(i) = self.pinned.as_ref().and_then(|id| self.index.position(id))
            && !self.visible.contains(&i)
        {
            let at = self.cursor.min(self.visible.len());
            self.visible.insert(at, i);
        }
        self.clamp_cursor();
    }

    pub fn select_id(&mut self, id: &RequestId) -> bool {
        let found = match self.index.position(id) {
            Some(target) if self.requests.get(target).is_some_and(|r| &r.id == id) => {
                self.visible.iter().position(|&i| i == target)
            }
            _ => self
                .visible
                .iter()
                .position(|&i| &self.requests[i].id == id),
        };
        match found {
            Some(pos) => {
                self.cursor = pos;
                self.clamp_cursor();
                true
            }
            None => false,
        }
    }

    pub fn clamp_cursor(&mut self) {
        if self.visible.is_empty() {
            self.cursor = 0;
            self.scroll = 0;
            return;
        }
        self.cursor = self.cursor.min(self.visible.len() - 1);
        let height = self.list_height.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + height {
            self.scroll = self.cursor + 1 - height;
        }
    }

    /// The requests an action applies to: the selected rows still on screen, in list order,
    /// else the cursor row. A selected request a live update moved out of the list is not acted
    /// on: the operator can no longer see it.
    pub fn targets(&self) -> Vec<RequestId> {
        if self.selected.is_empty() {
            self.current()
                .map(|r| vec![r.id.clone()])
                .unwrap_or_default()
        } else {
            self.selected_visible()
        }
    }

    /// The selected requests that are listed, in list order.
    pub fn selected_visible(&self) -> Vec<RequestId> {
        self.visible
            .iter()
            .filter_map(|&i| self.requests.get(i))
            .filter(|r| self.selected.contains(&r.id))
            .map(|r| r.id.clone())
            .collect()
    }

    /// Empties the selection (after a bulk action, or on request).
    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.selection_scope = None;
    }

    /// Frees the cached filter levels. Not needed for correctness: the cache follows queue,
    /// sort, filter and request changes by itself, and keeping it makes backspace cheap.
    pub fn invalidate_filter(&mut self) {
        self.index.clear_filter();
    }
}

#[cfg(test)]
mod colour_tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn closed_today_is_since_midnight_in_rome_as_the_service_counts_it() {
        // 00:30 in Rome on 17 March (UTC+1).
        let now: Timestamp = "2026-03-16T23:30:00Z".parse().unwrap();
        let me = Operator {
            username: "me".into(),
            office: "RM01".into(),
        };
        let mut r = crate::tui::fixture::requests(1, now, "RM01", "me").remove(0);
        r.status = Status::Chiusa;
        // 23:50 the day before, Rome time: 40 minutes ago, yet not today.
        r.updated_at = "2026-03-16T22:50:00Z".parse().unwrap();
        assert!(!Queue::ClosedToday.contains(&r, &me, now));
        // 00:10 today.
        r.updated_at = "2026-03-16T23:10:00Z".parse().unwrap();
        assert!(Queue::ClosedToday.contains(&r, &me, now));
        // Across the DST change (29 March, a 23-hour day) the day is still Rome's.
        let after: Timestamp = "2026-03-29T22:30:00Z".parse().unwrap();
        r.updated_at = "2026-03-29T21:50:00Z".parse().unwrap();
        assert!(!Queue::ClosedToday.contains(&r, &me, after));
        r.updated_at = "2026-03-29T22:10:00Z".parse().unwrap();
        assert!(Queue::ClosedToday.contains(&r, &me, after));
    }

    #[test]
    fn a_passed_due_instant_or_a_breached_clock_is_never_shown_on_time() {
        let now: Timestamp = "2026-03-16T10:00:00Z".parse().unwrap();
        let mut r = crate::tui::fixture::requests(1, now, "RM01", "me").remove(0);
        r.status = Status::InLavorazione;
        let later = now + SignedDuration::from_hours(48);
        for c in &mut r.clocks {
            c.state = crate::domain::sla::SlaState::Ok;
            c.crossings = Some(crate::domain::sla::Crossings {
                warning: later,
                critical: later,
                breach: later,
            });
            c.due_at = Some(now - SignedDuration::from_hours(21 * 24));
        }
        assert_eq!(sla_of(&r, now), Some(SlaState::Breached), "due passed");
        for c in &mut r.clocks {
            c.due_at = Some(later);
            c.state = crate::domain::sla::SlaState::Breached;
        }
        assert_eq!(
            sla_of(&r, now),
            Some(SlaState::Breached),
            "the service says breached"
        );
        for c in &mut r.clocks {
            c.state = crate::domain::sla::SlaState::Ok;
        }
        assert_eq!(sla_of(&r, now), Some(SlaState::Ok));
    }
}
