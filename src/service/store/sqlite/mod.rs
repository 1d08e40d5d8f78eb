//! SQLite implementation of [`Store`]: one writer connection (writes are serialised, which is
//! also what makes concurrent `take` safe) and a small pool of reader connections (WAL lets them
//! read while the writer writes). Blocking work runs on `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::watch;

use super::{
    AuditVerification, EventBatch, IssuedToken, Principal, SlaAlert, Store, StoreError,
    TokenTarget, WatchedClock, WriteCommand, WriteContext, WriteResult,
};
use crate::api::{
    AuditEntry, Dossier, Page, QueueCount, RequestDetail, RequestFilter, RequestSummary,
};
use crate::demo::Dataset;
use crate::domain::office::Office;
use crate::domain::request::RequestId;
use crate::domain::roles::Operator;
use crate::service::sla::Sla;

mod admin;
mod alerts;
mod dashboard;
mod journal;
mod presence;
mod reads;
mod rows;
mod writes;

pub use journal::chain_hash;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_sla_alerts.sql")),
];
const MAX_IDLE_READERS: usize = 8;

/// File name of the database inside a data dir.
pub const DATABASE_FILE: &str = "combipat.sqlite3";

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    latest_seq: watch::Sender<u64>,
    /// Policy and calendars for the clocks this store updates and reports.
    sla: Arc<Sla>,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Migration(format!("migration {version}: {e}")))?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, Timestamp::now().to_string()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/combipat.sqlite3` and applies pending migrations.
    pub fn open_dir(data_dir: &Path, sla: Arc<Sla>) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Migration(format!("{}: {e}", data_dir.display())))?;
        Self::open(&data_dir.join(DATABASE_FILE), sla)
    }

    pub fn open(path: &Path, sla: Arc<Sla>) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Migration(format!(
                "could not enable WAL (journal_mode={mode})"
            )));
        }
        configure(&writer)?;
        migrate(&mut writer)?;
        let latest: i64 =
            writer.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
        let (latest_seq, _) = watch::channel(latest as u64);
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                latest_seq,
                sla,
            }),
        })
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .map_err(|_| StoreError::Task("reader pool poisoned".into()))?
            .pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => {
                let conn = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&conn)?;
                Ok(conn)
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.inner.readers.lock()
            && pool.len() < MAX_IDLE_READERS
        {
            pool.push(conn);
        }
    }

    /// Runs `f` on a reader connection inside one read transaction (a consistent snapshot).
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = this.reader()?;
            let result = {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let out = f(&tx);
                tx.finish()?;
                out
            };
            this.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` in one immediate write transaction; commits only if it succeeds, then tells
    /// event subscribers about the new latest seq.
    async fn write_tx<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = this
                .inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            let latest: i64 =
                conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
            this.inner.latest_seq.send_if_modified(|seq| {
                let changed = *seq != latest as u64;
                *seq = latest as u64;
                changed
            });
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        let hash = admin::token_hash(token);
        self.read(move |tx| admin::principal_by_token_hash(tx, &hash))
            .await
    }

    async fn operator(&self, username: &str) -> Result<Option<Principal>, StoreError> {
        let username = username.to_string();
        self.read(move |tx| admin::principal_by_username(tx, &username))
            .await
    }

    async fn list_requests(
        &self,
        who: &Principal,
        filter: RequestFilter,
        now: Timestamp,
    ) -> Result<Page<RequestSummary>, StoreError> {
        let who = who.clone();
        let sla = self.inner.sla.clone();
        self.read(move |tx| reads::list_requests(tx, &who, &filter, now, &sla))
            .await
    }

    async fn get_request(
        &self,
        who: &Principal,
        id: &RequestId,
    ) -> Result<RequestDetail, StoreError> {
        let (who, id) = (who.clone(), id.clone());
        let sla = self.inner.sla.clone();
        self.read(move |tx| {
            let stored = rows::load_request(tx, &who, &id)?.ok_or(StoreError::NotFound)?;
            let mut detail = rows::detail_for(&who, &stored, &sla);
            detail.summary.citizen_name = rows::citizen_name(tx, stored.request.citizen.as_str())?;
            Ok(detail)
        })
        .await
    }

    async fn requests_for_dashboard(
        &self,
        who: &Principal,
    ) -> Result<Vec<super::DashboardRow>, StoreError> {
        let who = who.clone();
        self.read(move |tx| dashboard::requests_for_dashboard(tx, &who))
            .await
    }

    async fn queues(&self, who: &Principal, now: Timestamp) -> Result<Vec<QueueCount>, StoreError> {
        let who = who.clone();
        let sla = self.inner.sla.clone();
        self.read(move |tx| reads::queues(tx, &who, now, &sla))
            .await
    }

    async fn write(&self, ctx: WriteContext, cmd: WriteCommand) -> Result<WriteResult, StoreError> {
        let sla = self.inner.sla.clone();
        self.write_tx(move |tx| writes::execute(tx, &sla, &ctx, cmd))
            .await
    }

    async fn dossier(
        &self,
        who: &Principal,
        codice_fiscale: &str,
        remote_addr: Option<String>,
        now: Timestamp,
    ) -> Result<Dossier, StoreError> {
        let (who, cf) = (who.clone(), codice_fiscale.to_string());
        let sla = self.inner.sla.clone();
        self.write_tx(move |tx| reads::dossier(tx, &who, &cf, remote_addr, now, &sla))
            .await
    }

    async fn announce_presence(
        &self,
        who: &Principal,
        id: &RequestId,
        activity: crate::api::PresenceActivity,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (who, id) = (who.clone(), id.clone());
        self.write_tx(move |tx| presence::announce(tx, &who, &id, activity, now))
            .await
    }

    async fn events_after(
        &self,
        who: &Principal,
        after: u64,
        limit: u32,
    ) -> Result<EventBatch, StoreError> {
        let who = who.clone();
        self.read(move |tx| journal::events_after(tx, &who, after, limit))
            .await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.latest_seq.subscribe()
    }

    async fn audit_log(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |tx| journal::audit_after(tx, after, limit))
            .await
    }

    async fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError> {
        self.read(journal::verify_chain).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.read(|tx| {
            let n: i64 = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM offices) + (SELECT COUNT(*) FROM operators)",
                [],
                |r| r.get(0),
            )?;
            Ok(n == 0)
        })
        .await
    }

    async fn import(&self, data: Dataset) -> Result<(), StoreError> {
        let sla = self.inner.sla.clone();
        self.write_tx(move |tx| admin::import(tx, &data, Timestamp::now(), &sla))
            .await
    }

    async fn create_office(&self, office: Office) -> Result<(), StoreError> {
        self.write_tx(move |tx| admin::create_office(tx, &office, Timestamp::now()))
            .await
    }

    async fn create_operator(&self, operator: Operator) -> Result<(), StoreError> {
        self.write_tx(move |tx| admin::create_operator(tx, &operator, Timestamp::now()))
            .await
    }

    async fn issue_token(&self, username: &str, label: &str) -> Result<IssuedToken, StoreError> {
        let (username, label) = (username.to_string(), label.to_string());
        self.write_tx(move |tx| admin::issue_token(tx, &username, &label, Timestamp::now()))
            .await
    }

    async fn revoke_tokens(&self, target: TokenTarget) -> Result<u64, StoreError> {
        self.write_tx(move |tx| admin::revoke_tokens(tx, &target, Timestamp::now()))
            .await
    }

    async fn watched_clocks(&self) -> Result<Vec<WatchedClock>, StoreError> {
        self.read(alerts::watched_clocks).await
    }

    async fn raise_sla_alerts(
        &self,
        alerts: Vec<SlaAlert>,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        self.write_tx(move |tx| {
            let mut raised = 0;
            for alert in &alerts {
                raised += usize::from(alerts::raise(tx, alert, now)?);
            }
            Ok(raised)
        })
        .await
    }

    async fn prune_events(&self, up_to: u64) -> Result<u64, StoreError> {
        self.write_tx(move |tx| {
            Ok(tx.execute("DELETE FROM events WHERE seq <= ?1", [up_to as i64])? as u64)
        })
        .await
    }
}
