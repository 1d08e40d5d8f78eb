//! Everything the workstation shows, as plain data. `view` is a pure function of this.

use std::collections::{HashMap, HashSet};

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::Timestamp;

use crate::api::{RequestDetail, RequestSummary};
use crate::domain::request::{Priority, RequestId, Status, Topic};
use crate::i18n::Lang;

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
    All,
    /// Open requests of one office × topic (topic `None`: the whole office), opened by drilling
    /// down from the cruscotto.
    Cell {
        office: String,
        topic: Option<Topic>,
    },
}

impl Queue {
    pub fn standard() -> Vec<Queue> {
        let mut queues = vec![Queue::Mine, Queue::Unassigned];
        queues.extend(Topic::ALL.into_iter().map(Queue::Topic));
        queues.extend([
            Queue::Awaiting,
            Queue::AtRisk,
            Queue::Breached,
            Queue::ClosedToday,
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
            Queue::All => "queue.all".into(),
            Queue::Cell { .. } => "queue.cell".into(),
        }
    }

    /// The label shown in the sidebar and the palette.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            Queue::Cell { office, topic } => {
                let topic = match topic {
                    Some(t) => crate::i18n::t(lang, &format!("topic.{}", t.code())),
                    None => crate::i18n::t(lang, "queue.all"),
                };
                format!("{} · {topic}", crate::domain::sanitize::inline(office, 8))
            }
            other => crate::i18n::t(lang, &other.label_key()).to_string(),
        }
    }

    pub fn contains(&self, r: &RequestSummary, me: &Operator, now: Timestamp) -> bool {
        let open = r.status.is_open();
        match self {
            Queue::Mine => open && r.assignee.as_deref() == Some(me.username.as_str()),
            Queue::Unassigned => open && r.assignee.is_none() && r.office == me.office,
            Queue::Topic(t) => open && r.topic == *t,
            Queue::Awaiting => r.status == Status::InAttesaIntegrazione,
            Queue::AtRisk => {
                open && matches!(sla_of(r, now), SlaLevel::Warning | SlaLevel::Critical)
            }
            Queue::Breached => open && sla_of(r, now) == SlaLevel::Breached,
            Queue::ClosedToday => {
                r.status == Status::Chiusa && now.as_second() - r.updated_at.as_second() < 86_400
            }
            Queue::All => open,
            Queue::Cell { office, topic } => {
                open && r.office == *office && topic.is_none_or(|t| r.topic == t)
            }
        }
    }
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

/// SLA level shown in the list: colour + symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaLevel {
    Unknown,
    Ok,
    Warning,
    Critical,
    Breached,
    Paused,
    Met,
}

/// The soonest due instant among the request's running clocks (the service computes them).
pub fn due_at(r: &RequestSummary) -> Option<Timestamp> {
    r.clocks.iter().filter_map(|c| c.due_at).min()
}

pub fn sla_of(r: &RequestSummary, now: Timestamp) -> SlaLevel {
    if !r.status.is_open() {
        return SlaLevel::Met;
    }
    if r.status == Status::InAttesaIntegrazione {
        return SlaLevel::Paused;
    }
    match due_at(r) {
        None => SlaLevel::Unknown,
        Some(due) => {
            let left = due.as_second() - now.as_second();
            if left < 0 {
                SlaLevel::Breached
            } else if left < 4 * 3600 {
                SlaLevel::Critical
            } else if left < 24 * 3600 {
                SlaLevel::Warning
            } else {
                SlaLevel::Ok
            }
        }
    }
}

/// Pickers offered by workflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Forward,
    Outcome,
    Appointment,
    Canned,
    Palette,
}

/// Free-text inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub value: String,
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
    },
    Input {
        kind: InputKind,
        buffer: String,
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
}

/// A close or forward held back so it can be undone (deferred commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    pub ids: Vec<RequestId>,
    pub op: BulkOp,
    pub deadline: Timestamp,
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
    pub demo: bool,
    pub now: Timestamp,
    pub me: Operator,
    pub offices: Vec<(String, String)>,
    pub canned: Vec<(String, String)>,
    pub requests: Vec<RequestSummary>,
    /// Lower-cased "id cf name patronato subject" per request, for the fuzzy filter.
    haystacks: Vec<String>,
    index_by_id: HashMap<RequestId, usize>,
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
    /// Filter text and its matches, reused when the query only grows.
    last_filter: Option<(String, Vec<usize>)>,
    pub sort: SortKey,
    pub selected: HashSet<RequestId>,
    pub detail: Option<RequestDetail>,
    pub detail_stale: bool,
    pub detail_scroll: usize,
    pub presence: HashMap<RequestId, Vec<String>>,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub pending: Option<PendingCommit>,
    pub offline: bool,
    /// The cruscotto, while it is open over the workstation (`dashboard` action); keys then go
    /// to `keymap::Context::Dashboard`.
    pub dashboard: Option<crate::tui::dashboard::DashboardState>,
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
            ..State::default()
        }
    }

    /// Replaces every loaded request (initial load, refresh, resync).
    pub fn set_requests(&mut self, requests: Vec<RequestSummary>) {
        let keep = self.current().map(|r| r.id.clone());
        // Old indices are meaningless for the new list.
        self.visible.clear();
        self.requests = requests;
        self.haystacks = self.requests.iter().map(haystack).collect();
        self.index_by_id = self
            .requests
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        self.last_filter = None;
        self.recompute();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// Inserts or updates one request in place (SSE `request.*`).
    pub fn upsert(&mut self, request: RequestSummary) {
        if let Some(&i) = self.index_by_id.get(&request.id) {
            if self
                .detail
                .as_ref()
                .is_some_and(|d| d.summary.id == request.id && d.summary.version < request.version)
            {
                self.detail_stale = true;
            }
            self.haystacks[i] = haystack(&request);
            self.requests[i] = request;
        } else {
            self.index_by_id
                .insert(request.id.clone(), self.requests.len());
            self.haystacks.push(haystack(&request));
            self.requests.push(request);
        }
        self.last_filter = None;
        self.recompute();
    }

    pub fn request(&self, id: &RequestId) -> Option<&RequestSummary> {
        self.index_by_id.get(id).map(|&i| &self.requests[i])
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
        self.queue_counts = self
            .queues
            .iter()
            .map(|q| {
                self.requests
                    .iter()
                    .filter(|r| q.contains(r, &self.me, self.now))
                    .count()
            })
            .collect();
        self.refilter();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// Applies queue, fuzzy filter and sort.
    pub fn refilter(&mut self) {
        let queue = self.current_queue().clone();
        let query = self.filter.to_lowercase();
        let candidates: Vec<usize> = match &self.last_filter {
            Some((previous, matches))
                if !previous.is_empty() && query.starts_with(previous.as_str()) =>
            {
                matches.clone()
            }
            _ => (0..self.requests.len())
                .filter(|&i| queue.contains(&self.requests[i], &self.me, self.now))
                .collect(),
        };
        let mut scored: Vec<(i64, usize)> = if query.is_empty() {
            candidates.into_iter().map(|i| (0, i)).collect()
        } else {
            let matcher = SkimMatcherV2::default().ignore_case();
            candidates
                .into_iter()
                .filter_map(|i| {
                    matcher
                        .fuzzy_match(&self.haystacks[i], &query)
                        .map(|s| (s, i))
                })
                .collect()
        };
        let now = self.now;
        let requests = &self.requests;
        match self.sort {
            SortKey::Sla => scored.sort_by_key(|&(_, i)| {
                let r = &requests[i];
                (
                    due_at(r).map(|d| d.as_second()).unwrap_or(i64::MAX),
                    r.created_at,
                )
            }),
            SortKey::Age => scored.sort_by_key(|&(_, i)| requests[i].created_at),
            SortKey::Priority => scored.sort_by_key(|&(_, i)| {
                let r = &requests[i];
                (r.priority != Priority::Urgente, r.created_at)
            }),
        }
        let _ = now;
        self.visible = scored.into_iter().map(|(_, i)| i).collect();
        self.last_filter = Some((query, {
            let mut v = self.visible.clone();
            v.sort_unstable();
            v
        }));
        self.clamp_cursor();
    }

    pub fn select_id(&mut self, id: &RequestId) -> bool {
        match self
            .visible
            .iter()
            .position(|&i| &self.requests[i].id == id)
        {
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

    /// The requests an action applies to: the selection if any, else the cursor row.
    pub fn targets(&self) -> Vec<RequestId> {
        if self.selected.is_empty() {
            self.current()
                .map(|r| vec![r.id.clone()])
                .unwrap_or_default()
        } else {
            let mut ids: Vec<RequestId> = self.selected.iter().cloned().collect();
            ids.sort();
            ids
        }
    }

    /// Drops the cached filter result (queue or sort changed).
    pub fn invalidate_filter(&mut self) {
        self.last_filter = None;
    }
}

fn haystack(r: &RequestSummary) -> String {
    format!(
        "{} {} {} {} {}",
        r.id.as_str(),
        r.citizen,
        r.citizen_name.as_deref().unwrap_or(""),
        r.patronato,
        r.subject
    )
    .to_lowercase()
}
