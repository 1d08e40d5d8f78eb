//! SQLite adapter of the storage port: one writer connection (writes are serialised, which is
//! also what makes concurrent `take` and the audit chain safe) and a small pool of reader
//! connections (WAL lets them read while the writer writes). Blocking work runs on
//! `spawn_blocking`. SQL only: every rule is in the core.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use tokio::sync::watch;

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
        migrate(&mut writer, path)?;
        let latest: i64 = writer.query_row(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
            [],
            |r| r.get(0),
        )?;
        let (latest_seq, _) = watch::channel(latest as u64);
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                latest_seq,
            }),
        })
    }

    /// The schema version after opening.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = self
            .inner
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer poisoned".into()))?;
        schema_version(&conn)
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
        tokio::task::spawn_blocking(move || {
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
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = this
                .inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&mut SqliteTx { tx: &tx })?;
            tx.commit()?;
            let latest: i64 = conn.query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
                [],
                |r| r.get(0),
            )?;
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

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.latest_seq.subscribe()
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.inner.path.display())
    }
}
