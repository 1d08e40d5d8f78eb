//! SQLite adapter of the storage port: one writer connection owned by a writer thread (writes
//! are serialised, which is also what makes concurrent `take` and the audit chain safe; writes
//! waiting together share one commit, see [`super::group_commit`]) and a pool of reader
//! connections (WAL lets them read while the writer writes). Reads run on `spawn_blocking`.
//! SQL only: every rule is in the core.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use tokio::sync::watch;

use super::group_commit::{self, Batch, Job};
use super::{ReadTx, Storage, StoreError, WriteTx};

mod tx;

use tx::SqliteTx;

/// The schema, one entry per version; `PRAGMA user_version` records how many are applied.
const SCHEMA: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_sla_alerts.sql"),
    include_str!("../migrations/sqlite/0003_appointments.sql"),
];

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(SCHEMA.iter().map(|sql| M::up(sql)).collect()));

/// Schema versions this build knows.
fn known_versions() -> usize {
    SCHEMA.len()
}

/// Reader connections kept open between reads: as many as reads can run at once (tokio's
/// blocking pool is far larger, but the HTTP layer rarely runs more), so a burst of concurrent
/// reads does not close and reopen connections.
const MAX_IDLE_READERS: usize = 64;

/// How many reads run at once: a few per core (a read also waits on the disk now and then).
fn concurrent_reads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    (cores * 4).clamp(4, MAX_IDLE_READERS)
}

/// File name of the database inside a data dir.
pub const DATABASE_FILE: &str = "combipat.sqlite3";

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writes: group_commit::Queue,
    readers: Mutex<Vec<Connection>>,
    /// Reads running at once. More than a few per core only adds threads that take turns on
    /// the cores and connections with cold page caches (`bench service`, 100,000 requests, idle
    /// machine: 64 concurrent clients 1,144 lists/s unbounded, 1,357 bounded). The others wait
    /// their turn without holding a thread.
    read_slots: Arc<tokio::sync::Semaphore>,
    latest_seq: watch::Sender<u64>,
    /// One node: ephemeral events never leave the process.
    ephemeral: tokio::sync::broadcast::Sender<super::OutboxEvent>,
}

/// The writer thread's side: the one write connection.
struct SqliteBatch {
    conn: Connection,
    latest_seq: watch::Sender<u64>,
    /// The WAL file, truncated after a commit leaves it larger than [`WAL_LIMIT`].
    wal: PathBuf,
}

/// A WAL larger than this after a commit (a bulk import, a long burst) is checkpointed and
/// truncated, so no gigabytes are left beside the database.
const WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// The writer connection's page cache, negative = KiB (SQLite's convention): 512 MiB.
const WRITER_CACHE_KIB: i64 = -512 * 1024;

impl Batch for SqliteBatch {
    fn begin(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn run(&mut self, job: &mut Job) -> bool {
        job.run(&mut SqliteTx { tx: &self.conn })
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let committed = self.conn.execute_batch("COMMIT");
        if committed.is_err() {
            self.rollback();
        }
        Ok(committed?)
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rollback of a write batch failed");
        }
    }

    fn committed(&mut self) {
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > WAL_LIMIT)
            && let Err(e) = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "cannot checkpoint the WAL");
        }
        match latest_event(&self.conn) {
            Ok(latest) => {
                self.latest_seq.send_if_modified(|seq| {
                    let changed = *seq != latest;
                    *seq = latest;
                    changed
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the newest event seq"),
        }
    }
}

fn latest_event(conn: &Connection) -> Result<u64, StoreError> {
    let latest: i64 = conn.query_row(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
        [],
        |r| r.get(0),
    )?;
    Ok(latest as u64)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Applies pending migrations. Databases made before versioned migrations kept their version in
/// a `schema_version` table; it is carried over to `user_version` once.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let legacy: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        [],
        |r| r.get(0),
    )?;
    if user_version == 0 && legacy {
        let version: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        conn.pragma_update(None, "user_version", version)?;
    }
    let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if user_version as usize > known_versions() {
        return Err(StoreError::Setting {
            setting: format!("database {}", path.display()),
            reason: format!(
                "schema version {user_version} is newer than this combipat knows ({}); \
                 upgrade combipat",
                known_versions()
            ),
        });
    }
    MIGRATIONS
        .to_latest(conn)
        .map_err(|e| StoreError::Migration(e.to_string()))
}

/// Current schema version of an open database (for `admin migrate` reports).
fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/combipat.sqlite3` and applies pending migrations.
    pub fn open_dir(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Setting {
            setting: "data dir".into(),
            reason: format!("{}: {e}", data_dir.display()),
        })?;
        Self::open(&data_dir.join(DATABASE_FILE))
    }

    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Migration(format!(
                "could not enable WAL (journal_mode={mode})"
            )));
        }
        configure(&writer)?;
        // A bulk import (a seed of a million requests) touches its index pages all over: with
        // SQLite's default 2 MiB cache they were spilled to the WAL again and again (41 page
        // writes per request, 16 GB written for 100k requests). The writer alone gets a cache
        // that holds the indexes of such a transaction; pages are allocated only when used.
        writer.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        migrate(&mut writer, path)?;
        let (latest_seq, _) = watch::channel(latest_event(&writer)?);
        let writes = group_commit::start(
            "combipat-sqlite-writer",
            SqliteBatch {
                conn: writer,
                latest_seq: latest_seq.clone(),
                wal: {
                    let mut wal = path.as_os_str().to_owned();
                    wal.push("-wal");
                    PathBuf::from(wal)
                },
            },
        )?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writes,
                readers: Mutex::new(Vec::new()),
                read_slots: Arc::new(tokio::sync::Semaphore::new(concurrent_reads())),
                latest_seq,
                ephemeral: tokio::sync::broadcast::channel(super::EPHEMERAL_BACKLOG).0,
            }),
        })
    }

    /// The schema version after opening.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema_version(&self.reader()?)
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
}

impl Storage for SqliteStore {
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ReadTx) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        let slot = Arc::clone(&self.inner.read_slots)
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let mut conn = this.reader()?;
            let result = {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let out = f(&mut SqliteTx { tx: &tx });
                tx.finish()?;
                out
            };
            this.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn WriteTx) -> Result<T, StoreError> + Send + 'static,
    {
        self.inner.writes.write(f).await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.latest_seq.subscribe()
    }

    async fn broadcast_ephemeral(&self, event: super::OutboxEvent) -> Result<(), StoreError> {
        // No receiver is not an error: nobody is listening right now.
        let _ = self.inner.ephemeral.send(event);
        Ok(())
    }

    fn ephemeral(&self) -> tokio::sync::broadcast::Receiver<super::OutboxEvent> {
        self.inner.ephemeral.subscribe()
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.inner.path.display())
    }
}

/// The baseline `combipat bench writes` compares the service with: one row per transaction,
/// each committed durably (WAL, `synchronous=FULL`, as the store runs), for `duration`, in the
/// file at `path`. Returns each commit's latency.
pub fn plain_commit_loop(
    path: &Path,
    duration: std::time::Duration,
) -> Result<Vec<std::time::Duration>, StoreError> {
    let conn = Connection::open(path)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    )?;
    let mut insert = conn.prepare("INSERT INTO rows (body) VALUES (?1)")?;
    let start = std::time::Instant::now();
    let mut latencies = Vec::new();
    while start.elapsed() < duration {
        let began = std::time::Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        insert.execute(["a row of about the size of a short note"])?;
        conn.execute_batch("COMMIT")?;
        latencies.push(began.elapsed());
    }
    Ok(latencies)
}
