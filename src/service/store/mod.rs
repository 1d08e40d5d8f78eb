//! The storage port: what the application core ([`crate::service::core`]) asks of a database,
//! and nothing more.
//!
//! A store loads and persists inside one transaction handle ([`ReadTx`] / [`WriteTx`]); it
//! decides nothing. Who may see a record arrives as a [`Scope`], which list to read arrives as a
//! [`RequestQuery`], and every write (request row, outbox event, audit entry, idempotency
//! record) is computed by the core before it reaches the store. Two adapters implement the port:
//! [`sqlite`] (the embedded default and small offices) and [`postgres`] (several nodes on one
//! database). No driver type crosses this module's public surface.
//!
//! The transaction handles are synchronous: the core's rules are plain functions, and each
//! adapter runs them on a blocking thread (the SQLite driver is synchronous; the PostgreSQL adapter drives
//! its async driver from that thread).

use std::future::Future;

use jiff::Timestamp;
use thiserror::Error;
use tokio::sync::watch;

use crate::api::{Appointment, EventEnvelope};
use crate::domain::mandate::{Application, Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::{Priority, Request, RequestId, Status, Topic, TransitionError};
use crate::domain::roles::{Operator, Role};
use crate::domain::sla::{AlertLevel, Clock, ClockKind};

pub mod agenda;
mod group_commit;
pub mod postgres;
pub mod sqlite;

/// Ephemeral events a lagging receiver may fall behind by before it skips some.
const EPHEMERAL_BACKLOG: usize = 1024;

pub use agenda::{AppointmentFilter, AppointmentRecord};

/// Everything that can go wrong below the HTTP layer; the core's rules use the same type so a
/// refusal and a storage failure travel one way to the handlers.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: String,
        message: String,
    },
    #[error("{0}")]
    Forbidden(String),
    /// A refusal with a code the client can act on (`not_assignee`, `mandate_revoked`, …).
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// The write needs `If-Match` (e.g. `assign`, which would otherwise silently override a
    /// `take` the caller has not seen).
    #[error("{0} needs If-Match with the version the caller saw")]
    PreconditionRequired(&'static str),
    #[error(transparent)]
    IllegalTransition(#[from] TransitionError),
    #[error("the request changed meanwhile: version {current}, If-Match {expected}")]
    Stale { expected: u64, current: u64 },
    #[error("{0}")]
    Conflict(String),
    /// A conflict with a code the client can act on (`slot_full`, `appointment_exists`).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    /// The events after this seq are no longer all kept (or too many to catch up with):
    /// what changed since cannot be told, the client reloads.
    #[error("the events after seq {0} are no longer kept: reload the whole list")]
    Pruned(u64),
    /// A unique key already holds a row (the core turns it into a [`StoreError::Conflict`]
    /// naming what exists).
    #[error("a row with this key already exists")]
    Duplicate,
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data could not be decoded: {0}")]
    Encoding(#[from] serde_json::Error),
    #[error("storage task failed: {0}")]
    Task(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// A setting (`--database`, `[server] database`, `COMBIPAT_DATABASE`) that cannot be used.
    #[error("{setting}: {reason}")]
    Setting { setting: String, reason: String },
}

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            code: "invalid_field",
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A stored value that does not decode (a code no enum knows, a bad timestamp).
    pub fn corrupt(what: &str, value: &str) -> Self {
        StoreError::Task(format!("bad stored {what} {value:?}"))
    }
}

/// Which records a caller may see, as data: the core derives it from the principal (the rule),
/// adapters translate it into a condition on the office and patronato columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Office(String),
    /// Offices of a region.
    Region(String),
    /// Offices of a region plus one more office (a regional supervisor's own).
    RegionOrOffice {
        region: String,
        office: String,
    },
    Patronato(String),
}

/// A request as stored: the domain record plus what only the service keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    pub request: Request,
    pub appointments: Vec<Appointment>,
    /// SLA clocks, updated by the core's transitions.
    pub clocks: Vec<Clock>,
}

/// What a list row holds, as stored (the core masks and projects it).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub id: RequestId,
    pub patronato: String,
    pub office: String,
    pub topic: Topic,
    /// Full codice fiscale.
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
    pub clocks: Vec<Clock>,
}

/// Conditions on requests, all of which must hold; `None` means "any". Rows come newest first
/// (`created_at` then id, both descending).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestQuery {
    pub status: Option<Status>,
    pub topic: Option<Topic>,
    pub office: Option<String>,
    pub patronato: Option<String>,
    pub assignee: Option<String>,
    pub citizen: Option<String>,
    /// Open (true) or closed (false) only.
    pub open: Option<bool>,
    /// No assignee.
    pub unassigned: bool,
    /// Last updated at or after this instant.
    pub updated_since: Option<Timestamp>,
    /// Open, or last updated at or after this instant.
    pub open_or_updated_since: Option<Timestamp>,
    /// Named by a stored event (other than an SLA alert, which changes no row) with a seq
    /// above this one.
    pub changed_after: Option<u64>,
    /// Substring of the id, codice fiscale or subject, ignoring ASCII case.
    pub text: Option<String>,
    /// Only these requests.
    pub among: Option<Vec<RequestId>>,
    /// Keyset pagination: strictly older than this `(created_at, id)`.
    pub before: Option<(Timestamp, RequestId)>,
    /// At most this many rows.
    pub limit: Option<u32>,
}

/// One request as the cruscotto reads it (no thread, no citizen data).
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardRow {
    pub id: RequestId,
    pub office: String,
    pub topic: Topic,
    pub priority: Priority,
    pub patronato: String,
    pub status: Status,
    pub assignee: Option<String>,
    pub created_at: Timestamp,
    pub history: Vec<crate::domain::request::HistoryEntry>,
}

/// A request as the service's maintained counters keep it: the dashboard's facts plus what the
/// queue counts need.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    pub row: DashboardRow,
    /// Region of the request's office (`None` for an office the registry does not know).
    pub region: Option<String>,
    pub updated_at: Timestamp,
    /// SLA clocks of an open request (none for a closed one: they no longer change its level).
    pub clocks: Vec<Clock>,
}

/// An outbox event as the core built it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub at: Timestamp,
    pub kind: String,
    pub request_id: Option<RequestId>,
    pub office: Option<String>,
    pub patronato: Option<String>,
    /// Visible to INPS staff only (never streamed to patronato clients).
    pub internal: bool,
    pub data: serde_json::Value,
}

/// Which events a reader may receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    pub scope: Scope,
    pub include_internal: bool,
    /// Kinds every reader receives whatever the scope (e.g. `resync`).
    pub broadcast_kinds: Vec<String>,
}

/// An outbox event with what decides who may read it, for filtering in memory (the node's
/// shared fan-out reads each event once for all its subscribers).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEvent {
    pub envelope: EventEnvelope,
    pub patronato: Option<String>,
    /// Region of the event's office (`None` without an office, or for an unknown office).
    pub region: Option<String>,
    pub internal: bool,
}

/// What a store set aside for a bulk import ([`WriteTx::begin_bulk_load`]): for SQLite, the
/// statements that recreate the indexes it dropped.
#[derive(Debug, Default)]
pub struct BulkLoad {
    pub deferred: Vec<String>,
}

/// The outbox's positions: what exists and what was pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBounds {
    /// Lowest seq still stored, if any.
    pub lowest_kept: Option<u64>,
    /// Highest seq ever assigned (also after pruning).
    pub highest: u64,
}

/// One audit entry with its chain fields, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    /// RFC 3339, as chained.
    pub at: String,
    pub actor: String,
    pub role: Role,
    pub action: String,
    pub target: String,
    pub remote_addr: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The stored answer to a write made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub key: String,
    pub request_hash: String,
    pub status: u16,
    pub body: serde_json::Value,
    pub created_at: Timestamp,
}

/// The clock an SLA alert belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClockKey {
    pub request_id: RequestId,
    pub kind: ClockKind,
    pub started_at: Timestamp,
}

/// Which tokens to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenTarget {
    Id(i64),
    Username(String),
}

/// One value of a copied row, in a form both stores read and write (booleans are integers).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// The tables a copy moves, parents before children; the same names and columns in every store.
pub const TABLES: &[&str] = &[
    "offices",
    "operators",
    "tokens",
    "citizens",
    "mandates",
    "applications",
    "requests",
    "events",
    "audit",
    "idempotency",
    "sla_alerts",
    "appointments",
];

/// The order a copy reads a table in: its primary key. `None` for a name not in [`TABLES`]
/// (adapters refuse it, so a table name never comes from anywhere else).
pub fn copy_order(table: &str) -> Option<&'static str> {
    Some(match table {
        "offices" => "code",
        "operators" => "username",
        "tokens" | "mandates" => "id",
        "citizens" => "codice_fiscale",
        "applications" => "protocol",
        "requests" => "id",
        "events" | "audit" => "seq",
        "idempotency" => "username, key",
        "sla_alerts" => "request_id, clock_kind, clock_started_us",
        "appointments" => "id",
        _ => return None,
    })
}

/// [`copy_order`] for an adapter: a name not in [`TABLES`] is refused.
pub fn checked_copy_order(table: &str) -> Result<&'static str, StoreError> {
    copy_order(table)
        .ok_or_else(|| StoreError::Task(format!("{table:?} is not a table of the schema")))
}

/// A page of a table's rows with the column names, for copies between stores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowPage {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Reads inside one transaction (a consistent snapshot).
pub trait ReadTx {
    /// The operator owning a token with this hash, unless the token is revoked.
    fn operator_by_token_hash(&mut self, hash: &str) -> Result<Option<Operator>, StoreError>;
    fn operator(&mut self, username: &str) -> Result<Option<Operator>, StoreError>;
    /// The users of office `office` when `scope` covers it (else none), by username.
    fn operators_of_office(
        &mut self,
        scope: &Scope,
        office: &str,
    ) -> Result<Vec<Operator>, StoreError>;
    fn office_exists(&mut self, code: &str) -> Result<bool, StoreError>;
    /// True when nothing was ever imported or created (no offices, no operators).
    fn is_empty(&mut self) -> Result<bool, StoreError>;

    fn load_request(
        &mut self,
        scope: &Scope,
        id: &RequestId,
    ) -> Result<Option<StoredRequest>, StoreError>;
    fn list_requests(
        &mut self,
        scope: &Scope,
        query: &RequestQuery,
    ) -> Result<Vec<SummaryRow>, StoreError>;
    fn count_requests(&mut self, scope: &Scope, query: &RequestQuery) -> Result<u64, StoreError>;
    /// Open requests in scope that have clocks: `(id, status, clocks)`.
    fn open_clocks(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(RequestId, Status, Vec<Clock>)>, StoreError>;
    fn dashboard_rows(&mut self, scope: &Scope) -> Result<Vec<DashboardRow>, StoreError>;
    /// Every request (`among: None`) or those listed, for the core's maintained counters.
    fn aggregate_rows(
        &mut self,
        among: Option<&[RequestId]>,
    ) -> Result<Vec<AggregateRow>, StoreError>;
    /// Highest request number filed in `year`.
    fn last_request_number(&mut self, year: i16) -> Result<Option<u32>, StoreError>;

    fn citizen(&mut self, codice_fiscale: &str) -> Result<Option<Citizen>, StoreError>;
    /// "Surname Name".
    fn citizen_name(&mut self, codice_fiscale: &str) -> Result<Option<String>, StoreError>;
    /// Mandates of a citizen (of one patronato when given), by id.
    fn mandates(
        &mut self,
        codice_fiscale: &str,
        patronato: Option<&str>,
    ) -> Result<Vec<Mandate>, StoreError>;
    fn applications(&mut self, codice_fiscale: &str) -> Result<Vec<Application>, StoreError>;

    fn event_bounds(&mut self) -> Result<EventBounds, StoreError>;
    /// Highest event seq recorded before `before` (RFC 3339, compared as text, as
    /// [`WriteTx::prune_idempotency`]).
    fn last_event_before(&mut self, before: &str) -> Result<Option<u64>, StoreError>;
    /// Events with `after < seq <= up_to` that `filter` lets through, by seq, at most `limit`.
    fn events(
        &mut self,
        filter: &EventFilter,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError>;
    /// Every event with `after < seq <= up_to`, by seq, at most `limit`, with its audience.
    fn outbox(
        &mut self,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError>;
    fn audit_after(&mut self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
    /// `(seq, hash)` of the newest audit entry.
    fn audit_head(&mut self) -> Result<Option<(u64, String)>, StoreError>;

    fn idempotency(
        &mut self,
        username: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Highest alert level raised for each clock of an open request.
    fn raised_alerts(&mut self) -> Result<Vec<(ClockKey, AlertLevel)>, StoreError>;

    /// Rows of one of [`TABLES`] in a stable order, `limit` from `offset`.
    fn table_rows(&mut self, table: &str, offset: u64, limit: u32) -> Result<RowPage, StoreError>;
    fn count_rows(&mut self, table: &str) -> Result<u64, StoreError>;

    /// Appointments matching `filter`, by start then id.
    fn appointments(
        &mut self,
        filter: &AppointmentFilter,
    ) -> Result<Vec<AppointmentRecord>, StoreError>;
    /// Highest appointment id ever stored.
    fn last_appointment_id(&mut self) -> Result<Option<i64>, StoreError>;
}

/// Writes inside one transaction; committed only when the core's function returns `Ok`.
pub trait WriteTx: ReadTx {
    /// Inserts or replaces a request row.
    fn save_request(&mut self, stored: &StoredRequest) -> Result<(), StoreError>;
    /// Before a bulk import into an empty requests table: sets aside what makes each inserted
    /// row slower than it needs to be (SQLite drops the table's secondary indexes, whose pages
    /// a million random inserts would rewrite again and again), for [`WriteTx::end_bulk_load`]
    /// to restore in the same transaction. By default nothing.
    fn begin_bulk_load(&mut self) -> Result<BulkLoad, StoreError> {
        Ok(BulkLoad::default())
    }
    /// Restores what [`WriteTx::begin_bulk_load`] set aside (SQLite builds each index once,
    /// from the loaded rows).
    fn end_bulk_load(&mut self, _load: BulkLoad) -> Result<(), StoreError> {
        Ok(())
    }
    /// Appends to the outbox; returns the event's position. Positions are assigned in commit
    /// order without gaps, whatever the number of nodes.
    fn append_event(&mut self, event: &NewEvent) -> Result<u64, StoreError>;
    fn append_audit(&mut self, record: &AuditRecord) -> Result<(), StoreError>;
    fn put_idempotency(
        &mut self,
        username: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError>;

    /// [`StoreError::Duplicate`] when the code exists.
    fn insert_office(&mut self, office: &Office) -> Result<(), StoreError>;
    /// [`StoreError::Duplicate`] when the username exists.
    fn insert_operator(&mut self, operator: &Operator) -> Result<(), StoreError>;
    /// Replaces the full name, role, office, region and patronato of `operator.username`;
    /// false when there is no such user.
    fn update_operator(&mut self, operator: &Operator) -> Result<bool, StoreError>;
    fn insert_citizen(&mut self, citizen: &Citizen) -> Result<(), StoreError>;
    fn insert_mandate(&mut self, mandate: &Mandate) -> Result<(), StoreError>;
    fn insert_application(
        &mut self,
        codice_fiscale: &str,
        application: &Application,
    ) -> Result<(), StoreError>;
    /// Stores a token hash; returns the token's id.
    fn insert_token(
        &mut self,
        hash: &str,
        username: &str,
        label: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError>;
    fn revoke_tokens(&mut self, target: &TokenTarget, now: Timestamp) -> Result<u64, StoreError>;

    /// Records `level` for a clock unless a level at least as high is recorded; true if it was.
    fn raise_alert(
        &mut self,
        clock: &ClockKey,
        level: AlertLevel,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Deletes events with seq <= `up_to`.
    fn prune_events(&mut self, up_to: u64) -> Result<u64, StoreError>;
    /// Deletes idempotency records created before `before` (RFC 3339, compared as text: exact
    /// to the second, which is all a retention of hours needs).
    fn prune_idempotency(&mut self, before: &str) -> Result<u64, StoreError>;

    /// Inserts copied rows as they are (ids, hashes and positions included).
    fn insert_rows(&mut self, table: &str, page: &RowPage) -> Result<(), StoreError>;
    /// After a copy: generated ids and the outbox head continue after what was copied.
    fn finish_copy(&mut self, event_head: u64) -> Result<(), StoreError>;

    /// Inserts or replaces an appointment row (by id).
    fn save_appointment(&mut self, record: &AppointmentRecord) -> Result<(), StoreError>;
}

/// A database the core runs its transactions on.
pub trait Storage: Send + Sync + 'static {
    /// Runs `f` in a read transaction.
    fn read<T, F>(&self, f: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ReadTx) -> Result<T, StoreError> + Send + 'static;

    /// Runs `f` in a write transaction, serialised with every other write to the same database
    /// (on every node), and commits it durably if `f` succeeds.
    fn write<T, F>(&self, f: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn WriteTx) -> Result<T, StoreError> + Send + 'static;

    /// The highest committed event seq; changes whenever an event is committed (on any node).
    fn subscribe(&self) -> watch::Receiver<u64>;

    /// Sends an event that is never stored (presence) to every node's
    /// [`Storage::ephemeral`] receivers, this one's included. Best effort: it may be lost.
    fn broadcast_ephemeral(
        &self,
        event: OutboxEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ephemeral events from every node (a receiver that lags skips what it missed).
    fn ephemeral(&self) -> tokio::sync::broadcast::Receiver<OutboxEvent>;

    /// What this store is, for logs (`sqlite:/path`, `postgres://user@host/db`; no password).
    fn describe(&self) -> String;
}

/// Which database a service runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (the embedded default: `DATA_DIR/combipat.sqlite3`).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL connection string (`postgres://USER@HOST/DB`).
    Postgres(String),
}

impl Database {
    /// Reads a `database` setting; `None` or empty means the SQLite file of `data_dir`.
    pub fn parse(setting: Option<&str>, data_dir: &std::path::Path) -> Result<Self, StoreError> {
        let bad = |reason: String| StoreError::Setting {
            setting: "database".into(),
            reason,
        };
        match setting.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Database::Sqlite(data_dir.join(sqlite::DATABASE_FILE))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                postgres::validate_url(url).map_err(bad)?;
                Ok(Database::Postgres(url.to_string()))
            }
            Some(url) if url.starts_with("sqlite:") => {
                let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
                if path.is_empty() {
                    return Err(bad(
                        "sqlite: needs a file path, e.g. sqlite:/srv/combipat.db".into(),
                    ));
                }
                Ok(Database::Sqlite(path.into()))
            }
            Some(other) => Err(bad(format!(
                "{:?} is neither postgres://USER@HOST/DB nor sqlite:PATH",
                crate::domain::sanitize::inline(other, 80)
            ))),
        }
    }
}
