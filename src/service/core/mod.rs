//! The application core: every rule of the service, once, over any store.
//!
//! Who may do what to which record, validation, status transitions, SLA clock updates, what
//! each role sees, idempotency, outbox events and audit entries are decided here, inside a
//! transaction handle the store lends ([`Storage::read`] / [`Storage::write`]). The stores
//! only load and persist. Handlers, the SSH endpoint, the CLI and tests talk to the [`App`]
//! trait; [`Core`] implements it for any [`Storage`].

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::watch;

use crate::api::{
    ActionBody, AuditEntry, Dossier, EventEnvelope, NewMessage, NewRequest, PresenceActivity,
    QueueCount, RequestDetail, RequestFilter, RequestPage,
};
use crate::domain::dashboard::Dashboard;
use crate::domain::dataset::Dataset;
use crate::domain::office::Office;
use crate::domain::request::RequestId;
use crate::domain::roles::Operator;
use crate::domain::sla::{AlertLevel, Clock, ClockKind};
use crate::service::sla::Sla;
pub use crate::service::store::{DashboardRow, StoreError, TokenTarget};
use crate::service::store::{OutboxEvent, RowPage, Scope, Storage};

/// Requests an import receives one by one (see [`App::import_streamed`]), and how many.
pub struct RequestSource {
    pub requests: Box<dyn Iterator<Item = crate::domain::request::Request> + Send>,
    pub total: usize,
}

/// Told how many requests an import has written so far (a progress bar; may do nothing).
pub type ImportProgress = Arc<dyn Fn(usize) + Send + Sync>;

/// Requests per chunk a streamed import hands from its producer thread to the writer.
const IMPORT_CHUNK: usize = 2_000;
/// Chunks the producer may run ahead of the writer: bounds the memory a big seed holds.
const IMPORT_CHUNKS_AHEAD: usize = 4;

pub mod access;
pub mod admin;
pub mod agenda;
pub mod aggregates;
pub mod alerts;
pub mod audit_ring;
pub mod copy;
pub mod exports;
pub mod fanout;
pub mod journal;
pub mod reads;
pub mod transition;
pub mod writes;

pub use audit_ring::{AuditKeyRing, AuditProblem, AuditVerification, Checkpoint};
pub use journal::{AuditKey, chain_hash, keyed_chain_hash};

use crate::api::audit_export::CsvExportAudit;
use crate::service::audit_checkpoint::CheckpointLog;

/// The authenticated caller. Scope checks are made against it for every record.
pub type Principal = Operator;

/// How long the service remembers what it only keeps for retries and resumes. The audit log is
/// not among them: it is never pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// An `Idempotency-Key` older than this is forgotten (a retry after it is a new write).
    pub idempotency: jiff::SignedDuration,
    /// Events older than this are pruned; a stream resuming from before gets `resync`.
    pub events: jiff::SignedDuration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            idempotency: jiff::SignedDuration::from_hours(24),
            events: jiff::SignedDuration::from_hours(7 * 24),
        }
    }
}

/// What one pruning pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub idempotency_records: u64,
    pub events: u64,
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
    /// Book, move or cancel an appointment (see [`agenda`]).
    Agenda(agenda::AgendaCommand),
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

/// Events after a cursor, filtered by the caller's scope: envelopes, or (for live streams)
/// [`EncodedEvent`]s encoded once for every subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch<E = EventEnvelope> {
    pub events: Vec<E>,
    /// Resume after this seq next time (past events the caller may not see, too).
    pub cursor: u64,
    /// The cursor pointed at events that were pruned: the client must reload and resync.
    pub resync: bool,
    /// More events may be ready right away.
    pub more: bool,
    /// A token was revoked meanwhile: the stream must re-check its caller before going on.
    pub reauthenticate: bool,
}

/// An event as a stream sends it: its envelope already encoded as JSON, shared by every
/// subscriber of the node that receives the same projection of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    pub seq: u64,
    pub kind: Arc<str>,
    /// The `EventEnvelope` as JSON (one line: JSON strings escape newlines).
    pub json: Arc<str>,
}

impl EncodedEvent {
    pub fn encode(envelope: &EventEnvelope) -> Result<Self, StoreError> {
        Ok(EncodedEvent {
            seq: envelope.seq,
            kind: envelope.kind.as_str().into(),
            json: serde_json::to_string(envelope)?.into(),
        })
    }
}

impl<E> EventBatch<E> {
    /// The same batch with each event made by `make` (the first failure fails it).
    pub fn try_map<F, X>(self, make: impl FnMut(E) -> Result<F, X>) -> Result<EventBatch<F>, X> {
        Ok(EventBatch {
            events: self
                .events
                .into_iter()
                .map(make)
                .collect::<Result<_, _>>()?,
            cursor: self.cursor,
            resync: self.resync,
            more: self.more,
            reauthenticate: self.reauthenticate,
        })
    }
}

impl EventBatch<EventEnvelope> {
    /// The batch with each envelope encoded (for a stream's reads that the buffer cannot
    /// serve: each is encoded for this one subscriber).
    pub fn encoded(self) -> Result<EventBatch<EncodedEvent>, StoreError> {
        self.try_map(|envelope| EncodedEvent::encode(&envelope))
    }
}

/// A token as issued: shown once, stored hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
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

/// Every operation of the service, as handlers, the SSH endpoint, the CLI and tests call it.
#[async_trait]
pub trait App: Send + Sync + 'static {
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
    ) -> Result<RequestPage, StoreError>;

    /// One request with the citizen's full codice fiscale, name and thread; the read is
    /// audited. `NotFound` when it does not exist or is outside the caller's scope.
    async fn get_request(
        &self,
        who: &Principal,
        id: &RequestId,
        remote_addr: Option<String>,
    ) -> Result<RequestDetail, StoreError>;

    /// Every request `who` may see, with its history: the cruscotto's single bulk read.
    async fn requests_for_dashboard(
        &self,
        who: &Principal,
    ) -> Result<Vec<DashboardRow>, StoreError>;

    async fn queues(&self, who: &Principal, now: Timestamp) -> Result<Vec<QueueCount>, StoreError>;
    /// Builds the node's maintained counters now rather than at the first answer that needs
    /// them (one read of every request: seconds at national scale).
    async fn warm_up(&self) -> Result<(), StoreError>;
    /// The cruscotto's figures over `who`'s scope at `now`, from the maintained counters and
    /// shared by the sessions of one scope (see [`aggregates::DashboardMemo`]).
    async fn dashboard(
        &self,
        who: &Principal,
        now: Timestamp,
    ) -> Result<Arc<Dashboard>, StoreError>;

    /// The INPS staff (operators and supervisors) of `office`, for the assign picker
    /// (`access::office_operators`: INPS staff and admins, within their scope).
    async fn office_operators(
        &self,
        who: &Principal,
        office: &str,
    ) -> Result<Vec<crate::api::OfficeOperator>, StoreError>;

    /// Applies one command atomically (with outbox event, audit entry and idempotency record).
    async fn write(&self, ctx: WriteContext, cmd: WriteCommand) -> Result<WriteResult, StoreError>;

    /// Reads a dossier and audits the read (granted or refused) in the same transaction.
    /// INPS staff reading a citizen with no request in their scope must give a `purpose`.
    async fn dossier(
        &self,
        who: &Principal,
        codice_fiscale: &str,
        purpose: Option<String>,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<Dossier, StoreError>;

    /// Announces what `who` is doing with a request (a `presence` event for INPS staff who can
    /// see it). `NotFound` when the request is outside the caller's read scope.
    async fn announce_presence(
        &self,
        who: &Principal,
        id: &RequestId,
        activity: PresenceActivity,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Events never stored (presence) as they happen on any node; see [`App::ephemeral_for`].
    fn ephemeral(&self) -> tokio::sync::broadcast::Receiver<OutboxEvent>;

    /// `event` as `who` may receive it, or `None` if it is not for them.
    fn ephemeral_for(&self, who: &Principal, event: &OutboxEvent) -> Option<EventEnvelope>;

    /// Events after `after` (a stream opening, or resuming from a cursor of its own).
    async fn events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch, StoreError>;

    /// As [`App::events_after`] for a stream already running, encoded: one that fell further
    /// behind than the node's event buffer gets `resync` rather than a catch-up read. Events
    /// served from the buffer are encoded once for all the node's subscribers.
    async fn live_events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch<EncodedEvent>, StoreError>;

    /// Latest event seq; changes whenever an event is committed (on any node).
    fn subscribe(&self) -> watch::Receiver<u64>;

    async fn audit_log(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Recomputes the chain with the key ring and checks it against the checkpoint file.
    async fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError>;

    /// Appends a checkpoint of the audit head to the checkpoint file, unless this core already
    /// checkpointed that head (or has no key or no file). Returns what it wrote.
    async fn checkpoint_audit(&self) -> Result<Option<Checkpoint>, StoreError>;

    /// Audits a CSV export `who` is about to write ([`exports::record`]).
    async fn record_export(
        &self,
        who: &Principal,
        export: CsvExportAudit,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Audits that new entries are HMACs under the current key from now on (written by
    /// `combipat audit rotate-key`, under the new key).
    async fn record_key_rotation(&self, retired_key_id: &str) -> Result<(), StoreError>;

    /// True when nothing was ever imported or created (no offices, no operators).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// Bulk import of a dataset in one transaction.
    async fn import(&self, data: Dataset) -> Result<(), StoreError>;

    /// [`App::import`] of `head` and then of `requests` (a generator's, yielded one by one, so a
    /// million of them are never all in memory), in one transaction; `progress` is told how many
    /// requests are written so far.
    async fn import_streamed(
        &self,
        head: Dataset,
        requests: RequestSource,
        progress: ImportProgress,
    ) -> Result<(), StoreError>;

    async fn create_office(&self, office: Office) -> Result<(), StoreError>;

    async fn create_operator(&self, operator: Operator) -> Result<(), StoreError>;

    /// Changes a user's role, office, region, patronato or name; their open streams end.
    async fn update_operator(&self, operator: Operator) -> Result<(), StoreError>;

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

    /// Forgets idempotency records and events older than the retention allows at `now`.
    async fn prune_expired(&self, now: Timestamp) -> Result<Pruned, StoreError>;

    /// What store this runs on, for logs.
    fn describe_store(&self) -> String;

    /// Rows of one table, for copies between stores ([`copy::copy`]).
    async fn export_rows(
        &self,
        table: &str,
        offset: u64,
        limit: u32,
    ) -> Result<RowPage, StoreError>;

    /// Inserts copied rows in one transaction.
    async fn import_rows(&self, table: &str, page: RowPage) -> Result<(), StoreError>;

    /// Rows per table.
    async fn count_rows(&self, table: &str) -> Result<u64, StoreError>;

    /// `(highest event position, newest audit entry's (seq, hash))`.
    async fn heads(&self) -> Result<(u64, Option<(u64, String)>), StoreError>;

    /// Ends a copy: ids and outbox positions continue after `event_head`.
    async fn finish_copy(&self, event_head: u64) -> Result<(), StoreError>;

    /// Every slot of an office's days with the places left (Agenda appuntamenti).
    async fn slots(
        &self,
        who: &Principal,
        office: &str,
        query: crate::api::SlotQuery,
    ) -> Result<crate::api::Slots, StoreError>;

    /// Appointments in the caller's scope (a patronato: its own), by start.
    async fn appointments(
        &self,
        who: &Principal,
        query: crate::api::AppointmentQuery,
    ) -> Result<crate::api::AppointmentList, StoreError>;
}

/// The core over one store, with the SLA policy and calendars its clocks follow.
pub struct Core<S> {
    store: Arc<S>,
    sla: Arc<Sla>,
    /// Anchors the audit chain (`None`: plain SHA-256, for tests and legacy data).
    audit_ring: Option<AuditKeyRing>,
    /// Where the audit head is checkpointed outside the database.
    checkpoints: Option<Arc<CheckpointLog>>,
    /// The head this core checkpointed last, so an idle service writes no new lines.
    last_checkpoint: Arc<std::sync::Mutex<Option<(u64, String)>>>,
    /// The node's shared event fan-out (`None` outside a runtime: every read goes to the store).
    feed: Option<Arc<fanout::EventFeed>>,
    retention: Retention,
    presence: alerts::PresenceLimiter,
    /// Counters behind `/v1/queues` and the dashboard, kept up to date from the outbox.
    aggregates: Arc<aggregates::Aggregates>,
    dashboards: Arc<aggregates::DashboardMemo>,
}

impl<S: Storage> Core<S> {
    pub fn new(store: S, sla: Arc<Sla>) -> Self {
        Self::with_event_buffer(store, sla, fanout::DEFAULT_CAPACITY)
    }

    /// As [`Core::new`], keeping `capacity` recent events in memory for the node's streams.
    pub fn with_event_buffer(store: S, sla: Arc<Sla>, capacity: usize) -> Self {
        let store = Arc::new(store);
        let feed = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let feed = fanout::EventFeed::new(*store.subscribe().borrow(), capacity);
            // The pump holds the store weakly: dropping the core ends it.
            runtime.spawn(fanout::pump(Arc::clone(&feed), Arc::downgrade(&store)));
            feed
        });
        Core {
            store,
            sla,
            audit_ring: None,
            checkpoints: None,
            last_checkpoint: Arc::default(),
            feed,
            retention: Retention::default(),
            presence: alerts::PresenceLimiter::default(),
            aggregates: Arc::default(),
            dashboards: Arc::default(),
        }
    }

    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Audit entries are HMACs under `key` from now on, and verified with it.
    pub fn with_audit_key(self, key: Option<AuditKey>) -> Self {
        self.with_audit_ring(key.map(|key| AuditKeyRing::new(key, Vec::new())))
    }

    /// Entries are HMACs under the ring's current key; its retired keys verify older ones.
    pub fn with_audit_ring(mut self, ring: Option<AuditKeyRing>) -> Self {
        self.audit_ring = ring;
        self
    }

    /// The audit head is checkpointed to, and verified against, this file.
    pub fn with_checkpoints(mut self, log: Option<CheckpointLog>) -> Self {
        self.checkpoints = log.map(Arc::new);
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Dashboards this node computed so far (see [`aggregates::DashboardMemo`]).
    pub fn dashboard_computations(&self) -> u64 {
        self.dashboards.computations()
    }
}

impl<S> Core<S> {
    fn key(&self) -> Option<AuditKey> {
        self.audit_ring.as_ref().map(|ring| ring.current.clone())
    }
}

#[async_trait]
impl<S: Storage> App for Core<S> {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        let hash = admin::token_hash(token);
        self.store
            .read(move |tx| tx.operator_by_token_hash(&hash))
            .await
    }

    async fn operator(&self, username: &str) -> Result<Option<Principal>, StoreError> {
        let username = username.to_string();
        self.store.read(move |tx| tx.operator(&username)).await
    }

    async fn list_requests(
        &self,
        who: &Principal,
        filter: RequestFilter,
        now: Timestamp,
    ) -> Result<RequestPage, StoreError> {
        let (who, sla) = (who.clone(), self.sla.clone());
        self.store
            .read(move |tx| reads::list_requests(tx, &who, &filter, now, &sla))
            .await
    }

    async fn get_request(
        &self,
        who: &Principal,
        id: &RequestId,
        remote_addr: Option<String>,
    ) -> Result<RequestDetail, StoreError> {
        let (who, id, sla, key) = (who.clone(), id.clone(), self.sla.clone(), self.key());
        self.store
            .write(move |tx| reads::request_detail(tx, key.as_ref(), &who, &id, remote_addr, &sla))
            .await?
    }

    async fn requests_for_dashboard(
        &self,
        who: &Principal,
    ) -> Result<Vec<DashboardRow>, StoreError> {
        let scope = access::scope_of(who);
        self.store.read(move |tx| tx.dashboard_rows(&scope)).await
    }

    async fn office_operators(
        &self,
        who: &Principal,
        office: &str,
    ) -> Result<Vec<crate::api::OfficeOperator>, StoreError> {
        access::may_list_office_operators(who)?;
        let scope = access::scope_of(who);
        let office = office.to_string();
        let users = self
            .store
            .read(move |tx| {
                if !tx.office_exists(&office)? {
                    return Err(StoreError::NotFound);
                }
                let users = tx.operators_of_office(&scope, &office)?;
                // An office outside the caller's scope is as absent as another office's
                // request (an office in scope has at least its own staff).
                if users.is_empty() && scope != Scope::Everything {
                    return Err(StoreError::NotFound);
                }
                Ok(users)
            })
            .await?;
        Ok(access::office_operators(users))
    }

    async fn queues(&self, who: &Principal, now: Timestamp) -> Result<Vec<QueueCount>, StoreError> {
        let (who, sla, aggregates) = (who.clone(), self.sla.clone(), self.aggregates.clone());
        self.store
            .read(move |tx| reads::queues(tx, &aggregates, &who, now, &sla))
            .await
    }

    async fn warm_up(&self) -> Result<(), StoreError> {
        let (sla, aggregates) = (self.sla.clone(), self.aggregates.clone());
        let now = Timestamp::now();
        self.store
            .read(move |tx| {
                aggregates
                    .queue_tallies(tx, &sla, &Scope::Everything, "", now)
                    .map(drop)
            })
            .await
    }

    async fn dashboard(
        &self,
        who: &Principal,
        now: Timestamp,
    ) -> Result<Arc<Dashboard>, StoreError> {
        let scope = access::scope_of(who);
        let slot = self.dashboards.slot(&scope);
        let asked = Timestamp::now();
        // One computation per scope at a time: the sessions that wait get its result.
        let mut memo = slot.lock().await;
        if let Some(dashboard) = memo.as_ref().and_then(|m| m.fresh(asked)) {
            return Ok(dashboard);
        }
        // Read after every caller waiting so far asked: the one result serves them all.
        let started = Timestamp::now();
        let unchanged_since = memo.as_ref().and_then(|m| m.reusable_while_at(started));
        let (sla, aggregates) = (self.sla.clone(), self.aggregates.clone());
        let computed = self
            .store
            .read(move |tx| aggregates.dashboard(tx, &sla, &scope, now, unchanged_since))
            .await?;
        let Some((applied, dashboard)) = computed else {
            // Nothing committed since: the figures stand, for everyone who asked until now.
            if let Some(m) = memo.as_mut() {
                m.confirmed(started);
                return Ok(m.dashboard());
            }
            return Err(StoreError::Task("dashboard memo vanished".into()));
        };
        self.dashboards.computing();
        let dashboard = Arc::new(dashboard);
        *memo = Some(aggregates::Memo::new(
            applied,
            started,
            Arc::clone(&dashboard),
        ));
        Ok(dashboard)
    }

    async fn write(
        &self,
        mut ctx: WriteContext,
        cmd: WriteCommand,
    ) -> Result<WriteResult, StoreError> {
        // The stores keep instants to the microsecond: so does every answer, first or replayed.
        ctx.now = Timestamp::from_microsecond(ctx.now.as_microsecond()).unwrap_or(ctx.now);
        let (sla, key) = (self.sla.clone(), self.key());
        let remembered = self.retention.idempotency;
        self.store
            .write(move |tx| writes::execute(tx, &sla, key.as_ref(), remembered, &ctx, cmd))
            .await
    }

    async fn dossier(
        &self,
        who: &Principal,
        codice_fiscale: &str,
        purpose: Option<String>,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<Dossier, StoreError> {
        let (who, cf, sla) = (who.clone(), codice_fiscale.to_string(), self.sla.clone());
        let key = self.key();
        self.store
            .write(move |tx| {
                reads::dossier(tx, key.as_ref(), &who, &cf, purpose, remote_addr, now, &sla)
            })
            .await?
    }

    async fn announce_presence(
        &self,
        who: &Principal,
        id: &RequestId,
        activity: PresenceActivity,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (reader, request) = (who.clone(), id.clone());
        let event = self
            .store
            .read(move |tx| alerts::presence_event(tx, &reader, &request, activity, now))
            .await?;
        if self.presence.admit(&who.username, id, activity) {
            self.store.broadcast_ephemeral(event).await?;
        }
        Ok(())
    }

    fn ephemeral(&self) -> tokio::sync::broadcast::Receiver<OutboxEvent> {
        self.store.ephemeral()
    }

    fn ephemeral_for(&self, who: &Principal, event: &OutboxEvent) -> Option<EventEnvelope> {
        access::admits(&access::event_filter(who), event)
            .then(|| access::event_for(who, event.envelope.clone()))
    }

    async fn events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch, StoreError> {
        // Only a buffer that holds every committed event answers: a caller reading right after
        // its writes (or a stream resuming) must not get a batch that ends before them because
        // the pump has not read them yet.
        if let Some(feed) = &self.feed
            && feed.covers(*self.store.subscribe().borrow())
            && let fanout::Served::Batch(batch) = feed.events_after(who, after, limit)
        {
            return Ok(batch);
        }
        let who = who.clone();
        self.store
            .read(move |tx| journal::events_after(tx, &who, after, limit))
            .await
    }

    async fn live_events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch<EncodedEvent>, StoreError> {
        if let Some(feed) = &self.feed {
            match feed.encoded_after(who, after, limit)? {
                fanout::Served::Batch(batch) => return Ok(batch),
                fanout::Served::Behind => return Ok(feed.resync()),
                fanout::Served::Ahead => {}
            }
        }
        self.events_after(who, after, limit).await?.encoded()
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        match &self.feed {
            Some(feed) => feed.subscribe(),
            None => self.store.subscribe(),
        }
    }

    async fn audit_log(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.store
            .read(move |tx| {
                tx.audit_after(after, limit)?
                    .into_iter()
                    .map(journal::entry)
                    .collect()
            })
            .await
    }

    async fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError> {
        let (ring, log) = (self.audit_ring.clone(), self.checkpoints.clone());
        self.store
            .read(move |tx| {
                let lines = match &log {
                    Some(log) => log.lines().map_err(|e| checkpoint_error(log, e))?,
                    None => Vec::new(),
                };
                let checkpoints = match &ring {
                    Some(ring) => audit_ring::authenticate(&lines, ring),
                    None => Ok(Vec::new()),
                };
                match checkpoints {
                    Ok(checkpoints) => audit_ring::verify_chain(tx, ring.as_ref(), &checkpoints),
                    // The chain's own problems first, as they name an entry.
                    Err(line) => {
                        let mut verified = audit_ring::verify_chain(tx, ring.as_ref(), &[])?;
                        if verified.problem.is_none() {
                            verified.problem = Some(AuditProblem::ForgedCheckpoint { line });
                        }
                        Ok(verified)
                    }
                }
            })
            .await
    }

    async fn checkpoint_audit(&self) -> Result<Option<Checkpoint>, StoreError> {
        let (Some(key), Some(log)) = (self.key(), self.checkpoints.clone()) else {
            return Ok(None);
        };
        let Some((seq, hash)) = self.store.read(|tx| tx.audit_head()).await? else {
            return Ok(None);
        };
        let last = self.last_checkpoint.clone();
        let head = (seq, hash.clone());
        if last.lock().is_ok_and(|last| last.as_ref() == Some(&head)) {
            return Ok(None);
        }
        let checkpoint = Checkpoint {
            seq,
            hash,
            at: Timestamp::now(),
        };
        let line = checkpoint.to_line(&key);
        tokio::task::spawn_blocking(move || {
            log.append(&line).map_err(|e| checkpoint_error(&log, e))?;
            if let Ok(mut last) = last.lock() {
                *last = Some(head);
            }
            Ok::<_, StoreError>(())
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        Ok(Some(checkpoint))
    }

    async fn record_export(
        &self,
        who: &Principal,
        export: CsvExportAudit,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (who, key) = (who.clone(), self.key());
        self.store
            .write(move |tx| {
                exports::record(tx, key.as_ref(), &who, &export, remote_addr.as_deref(), now)
            })
            .await
    }

    async fn record_key_rotation(&self, retired_key_id: &str) -> Result<(), StoreError> {
        let key = self.key();
        let target = format!(
            "retired {retired_key_id}, now {}",
            key.as_ref().map(AuditKey::id).unwrap_or_default()
        );
        self.store
            .write(move |tx| {
                journal::audit(
                    tx,
                    key.as_ref(),
                    &journal::system(),
                    "audit.key_rotated",
                    &target,
                    None,
                    Timestamp::now(),
                )
            })
            .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.store.read(|tx| tx.is_empty()).await
    }

    async fn import(&self, data: Dataset) -> Result<(), StoreError> {
        let (sla, key) = (self.sla.clone(), self.key());
        self.store
            .write(move |tx| admin::import(tx, key.as_ref(), &data, Timestamp::now(), &sla))
            .await
    }

    async fn import_streamed(
        &self,
        head: Dataset,
        requests: RequestSource,
        progress: ImportProgress,
    ) -> Result<(), StoreError> {
        let (sla, key) = (self.sla.clone(), self.key());
        let total = requests.total;
        // Generating a request and replaying its clocks run on their own thread, a few chunks
        // ahead of the writer that encodes and saves them: the two halves of a big seed overlap.
        let (chunks, received) = std::sync::mpsc::sync_channel(IMPORT_CHUNKS_AHEAD);
        let replay = sla.clone();
        let mut source = requests.requests;
        std::thread::Builder::new()
            .name("combipat-import".into())
            .spawn(move || {
                loop {
                    let chunk: Vec<_> = source.by_ref().take(IMPORT_CHUNK).collect();
                    if chunk.is_empty() {
                        break;
                    }
                    // The writer gave up (its transaction failed): nothing left to produce for.
                    if chunks.send(admin::replay_chunk(chunk, &replay)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Task(format!("cannot start the import thread: {e}")))?;
        self.store
            .write(move |tx| {
                let mut chunks = received.into_iter();
                let more = admin::ImportedRequests {
                    chunks: &mut chunks,
                    total,
                };
                admin::import_streamed(
                    tx,
                    key.as_ref(),
                    &head,
                    more,
                    Timestamp::now(),
                    &sla,
                    &*progress,
                )
            })
            .await
    }

    async fn create_office(&self, office: Office) -> Result<(), StoreError> {
        let key = self.key();
        self.store
            .write(move |tx| admin::create_office(tx, key.as_ref(), &office, Timestamp::now()))
            .await
    }

    async fn create_operator(&self, operator: Operator) -> Result<(), StoreError> {
        let key = self.key();
        self.store
            .write(move |tx| admin::create_operator(tx, key.as_ref(), &operator, Timestamp::now()))
            .await
    }

    async fn update_operator(&self, operator: Operator) -> Result<(), StoreError> {
        let key = self.key();
        self.store
            .write(move |tx| admin::update_operator(tx, key.as_ref(), &operator, Timestamp::now()))
            .await
    }

    async fn issue_token(&self, username: &str, label: &str) -> Result<IssuedToken, StoreError> {
        let (username, label) = (username.to_string(), label.to_string());
        let key = self.key();
        self.store
            .write(move |tx| {
                admin::issue_token(tx, key.as_ref(), &username, &label, Timestamp::now())
            })
            .await
    }

    async fn revoke_tokens(&self, target: TokenTarget) -> Result<u64, StoreError> {
        let key = self.key();
        self.store
            .write(move |tx| admin::revoke_tokens(tx, key.as_ref(), &target, Timestamp::now()))
            .await
    }

    async fn watched_clocks(&self) -> Result<Vec<WatchedClock>, StoreError> {
        self.store.read(alerts::watched_clocks).await
    }

    async fn raise_sla_alerts(
        &self,
        pending: Vec<SlaAlert>,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        self.store
            .write(move |tx| {
                let mut raised = 0;
                for alert in &pending {
                    raised += usize::from(alerts::raise(tx, alert, now)?);
                }
                Ok(raised)
            })
            .await
    }

    async fn prune_events(&self, up_to: u64) -> Result<u64, StoreError> {
        let pruned = self.store.write(move |tx| tx.prune_events(up_to)).await?;
        if let Some(feed) = &self.feed {
            // Pruned means gone for every reader, on every node alike.
            feed.forget_up_to(up_to);
        }
        Ok(pruned)
    }

    async fn prune_expired(&self, now: Timestamp) -> Result<Pruned, StoreError> {
        let retention = self.retention;
        let (pruned, up_to) = self
            .store
            .write(move |tx| journal::prune_expired(tx, retention, now))
            .await?;
        if let (Some(feed), Some(up_to)) = (&self.feed, up_to) {
            feed.forget_up_to(up_to);
        }
        Ok(pruned)
    }

    fn describe_store(&self) -> String {
        self.store.describe()
    }

    async fn export_rows(
        &self,
        table: &str,
        offset: u64,
        limit: u32,
    ) -> Result<RowPage, StoreError> {
        let table = table.to_string();
        self.store
            .read(move |tx| tx.table_rows(&table, offset, limit))
            .await
    }

    async fn import_rows(&self, table: &str, page: RowPage) -> Result<(), StoreError> {
        let table = table.to_string();
        self.store
            .write(move |tx| tx.insert_rows(&table, &page))
            .await
    }

    async fn count_rows(&self, table: &str) -> Result<u64, StoreError> {
        let table = table.to_string();
        self.store.read(move |tx| tx.count_rows(&table)).await
    }

    async fn heads(&self) -> Result<(u64, Option<(u64, String)>), StoreError> {
        self.store
            .read(|tx| Ok((tx.event_bounds()?.highest, tx.audit_head()?)))
            .await
    }

    async fn finish_copy(&self, event_head: u64) -> Result<(), StoreError> {
        self.store.write(move |tx| tx.finish_copy(event_head)).await
    }

    async fn slots(
        &self,
        _who: &Principal,
        office: &str,
        query: crate::api::SlotQuery,
    ) -> Result<crate::api::Slots, StoreError> {
        let (sla, office) = (self.sla.clone(), office.to_string());
        self.store
            .read(move |tx| agenda::slots(tx, &sla, &office, &query))
            .await
    }

    async fn appointments(
        &self,
        who: &Principal,
        query: crate::api::AppointmentQuery,
    ) -> Result<crate::api::AppointmentList, StoreError> {
        let (sla, who) = (self.sla.clone(), who.clone());
        self.store
            .read(move |tx| agenda::list(tx, &sla, &who, &query))
            .await
    }
}

fn checkpoint_error(log: &CheckpointLog, error: std::io::Error) -> StoreError {
    StoreError::Setting {
        setting: log.path().display().to_string(),
        reason: error.to_string(),
    }
}
