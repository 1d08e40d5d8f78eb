//! Drilling down from a figure of the cruscotto to the requests behind it: what was drilled
//! into ([`DrillTarget`]), the filter that lists exactly those requests, and the read-only list
//! with its detail pane ([`Drill`]) that the standalone and SSH cruscotto show.

use crate::api::queues::{MAX_LIMIT, QUEUE_AT_RISK, QUEUE_AWAITING, QUEUE_BREACHED, QUEUE_OPEN};
use crate::api::{RequestDetail, RequestFilter, RequestSummary};
use crate::domain::request::{RequestId, Topic};
use crate::i18n::t;

use super::text::Lang;
pub use super::views::model::FigureColumn;

/// A figure of the cruscotto: a row (office × topic, office total, or the scope's **Totale**)
/// and the count under the column cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillTarget {
    /// `None`: every office of the scope (the **Totale** row).
    pub office: Option<String>,
    /// `None`: every topic (an office total).
    pub topic: Option<Topic>,
    /// Which requests of the row: a share or a duration drills into the open ones.
    pub figure: FigureColumn,
}

impl DrillTarget {
    /// The queue of `GET /v1/requests` that lists exactly the requests the figure counts: the
    /// cruscotto's counts and these queues are computed by the same definitions.
    pub fn queue_id(&self) -> &'static str {
        match self.figure {
            FigureColumn::Breached => QUEUE_BREACHED,
            FigureColumn::AtRisk => QUEUE_AT_RISK,
            FigureColumn::Paused => QUEUE_AWAITING,
            FigureColumn::Open | FigureColumn::Other => QUEUE_OPEN,
        }
    }

    /// The service filter of the drill-down (within the caller's scope, which the service
    /// applies). One page of [`MAX_LIMIT`] rows: a longer list says it is cut.
    pub fn filter(&self) -> RequestFilter {
        RequestFilter {
            queue: Some(self.queue_id().to_string()),
            office: self.office.clone(),
            topic: self.topic,
            limit: Some(MAX_LIMIT),
            ..RequestFilter::default()
        }
    }

    /// Catalog key of the figure's name (`drill.figure.<key>`).
    pub fn figure_key(&self) -> &'static str {
        match self.figure {
            FigureColumn::Breached => "breached",
            FigureColumn::AtRisk => "at_risk",
            FigureColumn::Paused => "paused",
            FigureColumn::Open | FigureColumn::Other => "open",
        }
    }

    /// e.g. "RM01 · Pensioni · Scadute", "Tutte le sedi · tutte le materie · Aperte".
    pub fn title(&self, lang: Lang) -> String {
        let office = match &self.office {
            Some(office) => crate::domain::sanitize::inline(office, 12),
            None => t(lang, "drill.all_offices").to_string(),
        };
        let topic = match self.topic {
            Some(topic) => t(lang, &format!("topic.{}", topic.code())).to_string(),
            None => t(lang, "drill.all_topics").to_string(),
        };
        let figure = t(lang, &format!("drill.figure.{}", self.figure_key()));
        format!("{office} · {topic} · {figure}")
    }
}

/// The read-only list of a drill-down and the detail of the request opened from it.
#[derive(Debug, Clone)]
pub struct Drill {
    pub target: DrillTarget,
    /// Oldest first: the requests waiting longest come first.
    pub rows: Vec<RequestSummary>,
    pub selected: usize,
    /// More requests match than one page holds.
    pub truncated: bool,
    /// The list is being (re)loaded.
    pub loading: bool,
    /// The request opened with Enter (Esc closes it).
    pub detail: Option<Box<RequestDetail>>,
    /// Lines of the detail scrolled past (PgDn/PgUp while it is open).
    pub detail_scroll: u16,
    /// Column cursor of the list (Left / Right), and its first drawn column (written by the
    /// view, like the cruscotto's tables).
    pub column: usize,
    pub column_scroll: std::cell::Cell<usize>,
}

impl Drill {
    pub fn loading(target: DrillTarget) -> Self {
        Drill {
            target,
            rows: Vec::new(),
            selected: 0,
            truncated: false,
            loading: true,
            detail: None,
            detail_scroll: 0,
            column: 0,
            column_scroll: std::cell::Cell::new(0),
        }
    }

    /// The list as loaded; the cursor stays on the same request when it is still listed.
    pub fn loaded(&mut self, mut rows: Vec<RequestSummary>, truncated: bool) {
        let current = self.selected_id().cloned();
        rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        self.selected = current
            .and_then(|id| rows.iter().position(|r| r.id == id))
            .unwrap_or(0);
        self.rows = rows;
        self.truncated = truncated;
        self.loading = false;
    }

    /// Scrollable columns of the list (office and topic unless the target fixes them, then
    /// patronato … age), for the column cursor.
    pub fn columns(&self) -> usize {
        6 + usize::from(self.target.office.is_none()) + usize::from(self.target.topic.is_none())
    }

    pub fn selected_id(&self) -> Option<&RequestId> {
        self.rows.get(self.selected).map(|r| &r.id)
    }
}
