//! Storage behind one trait, so another backend (PostgreSQL) can be added without touching handlers.
//!
//! Every write runs in one transaction that also appends to the `events` outbox and the audit
//! log, and stores the idempotent response when an `Idempotency-Key` was given.

use async_trait::async_trait;
use jiff::Timestamp;
use thiserror::Error;
use tokio::sync::watch;

use crate::api::{
    ActionBody, AuditEntry, Dossier, EventEnvelope, NewMessage, NewRequest, Page, QueueCount,
    RequestDetail, RequestFilter, RequestSummary,
};
use crate::demo::Dataset;
use crate::domain::office::Office;
use crate::domain::request::{RequestId, TransitionError};
use crate::domain::roles::Operator;
use crate::domain::sla::{AlertLevel, Clock, ClockKind};

pub mod sqlite;
pub mod transition;

/// The authenticated caller. Scope checks are made against it for every record.
pub type Principal = Operator;

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
    #[error(transparent)]
    IllegalTransition(#[from] TransitionError),
    #[error("the request changed meanwhile: version {current}, If-Match {expected}")]
    Stale { expected: u64, current: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("stored data could not be decoded: {0}")]
    Encoding(#[from] serde_json::Error),
    #[error("storage task failed: {0}")]
    Task(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            code: "invalid_field",
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// `Idempotency-Key` of a write and the hash of what was asked (method, path, preconditions, body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// Who writes, when, from where.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub principal: Principal,
    pub remote_addr: Option<String>,
    pub now: Timestamp,
    pub idempotency: Option<Idempotency>,
}

/// Every state-changing command the API offers.
#[derive(Debug, Clone)]
pub enum WriteCommand {
    CreateRequest(NewRequest),
    AddMessage {
        id: RequestId,
        if_match: Option<u64>,
        message: NewMessage,
    },
    Action {
        id: RequestId,
        if_match: Option<u64>,
        action: ActionBody,
    },
}

/// The response of a write as it was (or will be) given the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteResult {
    pub status: u16,
    pub body: serde_json::Value,
    /// Version of the request written, for the `ETag`.
    pub version: Option<u64>,
    /// True when this is a replay of a stored response for the same `Idempotency-Key`.
    pub replayed: bool,
}

/// Events after a cursor, filtered by the caller's scope.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    pub events: Vec<EventEnvelope>,
    /// Resume after this seq next time (past events the caller may not see, too).
    pub cursor: u64,
    /// The cursor pointed at events that were pruned: the client must reload and resync.
    pub resync: bool,
    /// More events may be ready right away.
    pub more: bool,
}

/// Result of recomputing the audit hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub entries: u64,
    /// First seq whose hash does not match, if any.
    pub first_broken: Option<u64>,
}

/// A token as issued: shown once, stored hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

/// One request as the cruscotto reads it (no thread, no citizen data).
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardRow {
    pub id: RequestId,
    pub office: String,
    pub topic: crate::domain::request::Topic,
    pub priority: crate::domain::request::Priority,
    pub patronato: String,
    pub status: crate::domain::request::Status,
    pub assignee: Option<String>,
    pub created_at: Timestamp,
    pub history: Vec<crate::domain::request::HistoryEntry>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The caller owning this (plain) bearer token, if it exists and is not revoked.
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError>;

    /// The operator with this login name, if it exists (for identities decided elsewhere, e.g.
    /// an SSH key mapped to an operator in the configuration).
    async fn operator(&self, username: &str) -> Result<Option<Principal>, StoreError>;

    async fn list_requests(
        &self,
        who: &Principal,
        filter: RequestFilter,
        now: Timestamp,
    ) -> Result<Page<RequestSummary>, StoreError>;

    /// `NotFound` when it does not exist or is outside the caller's scope.
    async fn get_request(
        &self,
        who: &Principal,
        id: &RequestId,
    ) -> Result<RequestDetail, StoreError>;

    /// Every request `who` may see, with its history: the cruscotto's single bulk read.
    async fn requests_for_dashboard(
        &self,
        who: &Principal,
    ) -> Result<Vec<DashboardRow>, StoreError>;

    async fn queues(&self, who: &Principal, now: Timestamp) -> Result<Vec<QueueCount>, StoreError>;

    /// Applies one command atomically (with outbox event, audit entry and idempotency record).
    async fn write(&self, ctx: WriteContext, cmd: WriteCommand) -> Result<WriteResult, StoreError>;

    /// Reads a dossier and audits the read in the same transaction.
    async fn dossier(
        &self,
        who: &Principal,
        codice_fiscale: &str,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<Dossier, StoreError>;

    /// Announces what `who` is doing with a request (a `presence` event for INPS staff who can
    /// see it). `NotFound` when the request is outside the caller's read scope.
    async fn announce_presence(
        &self,
        who: &Principal,
        id: &RequestId,
        activity: crate::api::PresenceActivity,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    async fn events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch, StoreError>;

    /// Latest event seq; changes whenever an event is committed.
    fn subscribe(&self) -> watch::Receiver<u64>;

    async fn audit_log(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    async fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError>;

    /// True when nothing was ever imported or created (no offices, no operators).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// Bulk import of a dataset (demo seed) in one transaction.
    async fn import(&self, data: Dataset) -> Result<(), StoreError>;

    async fn create_office(&self, office: Office) -> Result<(), StoreError>;

    async fn create_operator(&self, operator: Operator) -> Result<(), StoreError>;

    async fn issue_token(&self, username: &str, label: &str) -> Result<IssuedToken, StoreError>;

    /// Revokes one token by id, or every token of a user; returns how many were revoked.
    async fn revoke_tokens(&self, target: TokenTarget) -> Result<u64, StoreError>;

    /// Running SLA clocks of open requests, each with the alert level last raised for it.
    async fn watched_clocks(&self) -> Result<Vec<WatchedClock>, StoreError>;

    /// Raises each alert in one transaction: records its level and appends its `sla.*` event,
    /// unless the request is closed, the clock no longer runs or a level at least as high was
    /// already raised for that clock. Returns how many were raised.
    async fn raise_sla_alerts(
        &self,
        alerts: Vec<SlaAlert>,
        now: Timestamp,
    ) -> Result<usize, StoreError>;

    /// Deletes events with seq <= `up_to` (clients behind it get a `resync`).
    async fn prune_events(&self, up_to: u64) -> Result<u64, StoreError>;
}

/// A running SLA clock of an open request, with the alert level last raised for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedClock {
    pub request_id: RequestId,
    pub clock: Clock,
    pub raised: Option<AlertLevel>,
}

/// An SLA alert to record and announce. The clock is identified by request, kind and start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaAlert {
    pub request_id: RequestId,
    pub kind: ClockKind,
    pub clock_started_at: Timestamp,
    pub level: AlertLevel,
    pub due_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenTarget {
    Id(i64),
    Username(String),
}
