//! Wire types shared by the service and the client (JSON over HTTP, documented in OpenAPI).
//!
//! Breaking changes here break deployed workstations: add fields as `Option` or with defaults.

pub mod agenda;
pub mod audit_export;
pub mod dashboard;
pub mod queues;

pub use agenda::{
    Appointment, AppointmentList, AppointmentQuery, CancelAppointment, MoveRequest, NewAppointment,
    RescheduleAppointment, SlotDay, SlotQuery, SlotView, Slots,
};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::mandate::{Application, Citizen, Mandate, MandateState};
use crate::domain::request::{
    HistoryEntry, MessageKind, Outcome, Priority, RequestId, Status, ThreadEntry, Topic,
};
use crate::domain::roles::Role;

/// Every error body: a stable machine code, a message for people, and the offending field if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// e.g. `invalid_field`, `not_found`, `unauthorized`, `forbidden`, `conflict`,
    /// `illegal_transition`, `stale_version`, `idempotency_mismatch`, `payload_too_large`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub office: Option<String>,
    pub region: Option<String>,
    pub patronato: Option<String>,
}

/// `POST /v1/requests` (patronato clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// Office the patronato addresses (competent for the citizen's residence).
    pub office: String,
    pub topic: Topic,
    /// The citizen's codice fiscale; validated.
    pub citizen: String,
    #[serde(default)]
    pub application_protocol: Option<String>,
    pub subject: String,
    /// First message of the thread.
    pub body: String,
    #[serde(default = "default_priority")]
    pub priority: Priority,
}

fn default_priority() -> Priority {
    Priority::Normale
}

/// `POST /v1/requests/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub body: String,
}

/// Meeting channel for an appointment (Agenda appuntamenti): `in_sede`, `telefono`, `video`.
pub use crate::domain::agenda::Channel as AppointmentMode;

/// `POST /v1/requests/{id}/actions`, with `If-Match: "<version>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionBody {
    Take,
    Release,
    Assign {
        assignee: String,
    },
    Forward {
        office: String,
        #[serde(default)]
        note: Option<String>,
    },
    Close {
        outcome: Outcome,
        #[serde(default)]
        note: Option<String>,
    },
    Reopen {
        #[serde(default)]
        note: Option<String>,
    },
    Tag {
        tag: String,
    },
    Untag {
        tag: String,
    },
    BookAppointment {
        mode: AppointmentMode,
        at: Timestamp,
    },
}

/// A row of a request list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequestSummary {
    pub id: RequestId,
    pub patronato: String,
    pub office: String,
    pub topic: Topic,
    pub citizen: String,
    pub citizen_name: Option<String>,
    pub subject: String,
    pub priority: Priority,
    pub status: Status,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    /// SLA clocks with their countdown at the time of the response.
    #[serde(default)]
    pub clocks: Vec<ClockView>,
    /// Start of the request's booked appointment, if any (Agenda appuntamenti).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub appointment: Option<Timestamp>,
}

/// `GET /v1/calendar/{office}`: a day the office is closed, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClosingDayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub reasons: Vec<String>,
}

/// One SLA clock of a request as the API returns it: `domain::sla::countdown` at response time.
///
/// List pages build thousands of these a request, so it holds each fact once: the office the
/// clock runs on now is the last of `basis.offices`, and the three threshold instants come
/// together or not at all. On the wire it is [`ClockViewWire`], field for field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "ClockViewWire")]
pub struct ClockView {
    pub kind: crate::domain::sla::ClockKind,
    pub state: crate::domain::sla::SlaState,
    /// When the target is reached if the clock keeps running; absent when paused or stopped.
    pub due_at: Option<Timestamp>,
    /// Business seconds left (negative once breached).
    pub remaining_secs: i64,
    /// Elapsed business time as a percentage of the target.
    pub percent_used: u32,
    /// When a running clock reaches its warning, critical and breach thresholds.
    pub crossings: Option<crate::domain::sla::Crossings>,
    /// Why the figures are what they are: how the target is counted and on which calendars.
    pub basis: ClockBasis,
}

impl ClockView {
    /// Office whose calendar the clock currently runs on.
    pub fn office(&self) -> &str {
        self.basis.offices.last().map_or("", |o| o.as_str())
    }

    pub fn warning_at(&self) -> Option<Timestamp> {
        self.crossings.map(|c| c.warning)
    }

    pub fn critical_at(&self) -> Option<Timestamp> {
        self.crossings.map(|c| c.critical)
    }

    pub fn breach_at(&self) -> Option<Timestamp> {
        self.crossings.map(|c| c.breach)
    }
}

/// [`ClockView`] as JSON carries it (and as OpenAPI documents it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ClockView)]
pub struct ClockViewWire {
    pub kind: crate::domain::sla::ClockKind,
    /// Office whose calendar the clock currently runs on.
    #[schema(value_type = String)]
    pub office: crate::domain::sla::OfficeCode,
    pub state: crate::domain::sla::SlaState,
    /// When the target is reached if the clock keeps running; absent when paused or stopped.
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    /// Business seconds left (negative once breached).
    pub remaining_secs: i64,
    /// Elapsed business time as a percentage of the target.
    pub percent_used: u32,
    /// When a running clock reaches the warning / critical / breach threshold (at or before the
    /// response instant once reached). Fixed until the next transition: clients compare the
    /// current instant with them to know the level without office calendars.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub warning_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub critical_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub breach_at: Option<Timestamp>,
    /// Why the figures are what they are: how the target is counted and on which calendars.
    #[serde(default)]
    pub basis: ClockBasis,
}

impl From<ClockViewWire> for ClockView {
    fn from(wire: ClockViewWire) -> Self {
        let mut basis = wire.basis;
        // Older services sent `office` without it among `basis.offices`.
        if basis.offices.last() != Some(&wire.office) {
            basis.offices.push(wire.office);
        }
        let crossings = match (wire.warning_at, wire.critical_at, wire.breach_at) {
            (Some(warning), Some(critical), Some(breach)) => Some(crate::domain::sla::Crossings {
                warning,
                critical,
                breach,
            }),
            _ => None,
        };
        ClockView {
            kind: wire.kind,
            state: wire.state,
            due_at: wire.due_at,
            remaining_secs: wire.remaining_secs,
            percent_used: wire.percent_used,
            crossings,
            basis,
        }
    }
}

// Written by hand rather than through `ClockViewWire`, which would copy every view of a page.
impl Serialize for ClockView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("ClockView", 10)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("office", self.office())?;
        out.serialize_field("state", &self.state)?;
        out.serialize_field("due_at", &self.due_at)?;
        out.serialize_field("remaining_secs", &self.remaining_secs)?;
        out.serialize_field("percent_used", &self.percent_used)?;
        out.serialize_field("warning_at", &self.warning_at())?;
        out.serialize_field("critical_at", &self.critical_at())?;
        out.serialize_field("breach_at", &self.breach_at())?;
        out.serialize_field("basis", &self.basis)?;
        out.end()
    }
}

impl utoipa::PartialSchema for ClockView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ClockViewWire as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for ClockView {
    fn name() -> std::borrow::Cow<'static, str> {
        <ClockViewWire as ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ClockViewWire as ToSchema>::schemas(schemas)
    }
}

/// What a clock is counted on, for an operator asking why a due time is what it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClockBasis {
    /// `seconds` (target in business hours) or `days` (target in business days of the office
    /// calendar, each worth `units`).
    pub measure: crate::domain::calendar::Measure,
    /// The target in units of `measure`.
    pub target: i64,
    /// Offices whose calendars the clock ran on, in order (a forward adds the receiving office);
    /// the last is the calendar it runs on now. `GET /v1/calendar/{office}` lists its closing days.
    /// Inline for the usual one or two offices: list pages build thousands of these.
    #[schema(value_type = Vec<String>)]
    pub offices: smallvec::SmallVec<[crate::domain::sla::OfficeCode; 2]>,
    /// The clock is paused: the request awaits integration from the patronato.
    pub paused: bool,
}

/// `GET /v1/requests/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub application_protocol: Option<String>,
    pub outcome: Option<Outcome>,
    pub thread: Vec<ThreadEntry>,
    pub history: Vec<HistoryEntry>,
    pub appointments: Vec<Appointment>,
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query of `GET /v1/requests`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    /// A queue id from `GET /v1/queues` (e.g. `mine`, `unassigned`, `topic:pensioni`).
    pub queue: Option<String>,
    pub status: Option<Status>,
    pub topic: Option<Topic>,
    pub office: Option<String>,
    pub patronato: Option<String>,
    pub assignee: Option<String>,
    /// Substring match on id, codice fiscale and subject.
    pub q: Option<String>,
    /// Page size, 1..=500 (default 100).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only requests changed by an event after this seq (the `event_seq` of an earlier answer
    /// or the id of the last event received): a client catching up after a disconnection asks
    /// for what changed, not for everything. A seq whose events were pruned answers 410
    /// `resync` (reload the whole list).
    pub since: Option<u64>,
    /// Closed requests only when last updated at or after this instant (RFC 3339); open ones
    /// always. The workstation lists open requests plus those closed in its last N days.
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    pub closed_since: Option<Timestamp>,
}

/// One page of `GET /v1/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The newest event seq this answer reflects (read before the rows): what changes later
    /// is in the events after it, so a client resumes `since` and `Last-Event-ID` from here.
    #[serde(default)]
    pub event_seq: u64,
    /// With `since`, on the first page: requests that changed since then and are no longer
    /// visible to the caller (forwarded to another office, access withdrawn): drop them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RequestId>,
}

/// `GET /v1/queues`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueCount {
    /// Stable id, usable as `queue=` filter.
    pub id: String,
    pub open: u64,
    pub at_risk: u64,
    pub breached: u64,
}

/// A mandate with its state judged by the server at read time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MandateView {
    #[serde(flatten)]
    pub mandate: Mandate,
    pub state: MandateState,
}

/// `GET /v1/dossiers/{codice_fiscale}`. Every read is audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dossier {
    pub citizen: Citizen,
    pub mandates: Vec<MandateView>,
    pub applications: Vec<Application>,
    /// The citizen's requests visible to the caller, newest first.
    pub requests: Vec<RequestSummary>,
}

/// One event of `GET /v1/events` (also the SSE `data:` payload; SSE `id:` = `seq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventEnvelope {
    pub seq: u64,
    pub at: Timestamp,
    /// e.g. `request.created`, `request.updated`, `request.message`, `sla.warning`, `presence`.
    pub kind: String,
    pub request_id: Option<RequestId>,
    pub office: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `GET /v1/audit` (auditor role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub actor: String,
    pub role: Role,
    /// e.g. `dossier.read`, `request.take`.
    pub action: String,
    pub target: String,
    pub remote_addr: Option<String>,
    /// Hex SHA-256 of the previous entry's hash and this entry's fields.
    pub hash: String,
}

/// What an operator is doing with a request, announced by `POST /v1/requests/{id}/presence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceActivity {
    Viewing,
    Replying,
    /// No longer looking at the request: others drop the entry at once.
    Left,
}

/// `POST /v1/requests/{id}/presence`. Repeat at least every 30 s while it holds; readers
/// drop an entry not renewed for about 60 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    pub activity: PresenceActivity,
}

/// `data` of a `presence` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceEvent {
    /// Login name of who announced it.
    pub user: String,
    /// Display name.
    pub name: String,
    pub activity: PresenceActivity,
}

/// `GET /v1/offices/{code}/operators`: an INPS user of the office, for assigning requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OfficeOperator {
    pub username: String,
    pub full_name: String,
    pub role: crate::domain::roles::Role,
}
