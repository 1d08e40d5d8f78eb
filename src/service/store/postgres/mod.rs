//! PostgreSQL adapter of the storage port, for several `combipat serve` nodes on one database.
//!
//! * **Writes are serialised cluster-wide** by a transaction-scoped advisory lock taken as the
//!   first statement of every write transaction. Under READ COMMITTED each later statement sees
//!   every write committed before the lock was granted, so the core's rules (status machine,
//!   If-Match, idempotency, audit chain head, outbox position) hold across nodes exactly as on
//!   the single SQLite writer.
//! * **Outbox positions** come from the one-row `outbox_head` table, incremented under that lock:
//!   they are assigned in commit order without gaps, so a reader that has seen position N has
//!   seen every event up to N, on any node.
//! * **Wake-ups** cross nodes with `NOTIFY combipat_events, '<seq>'` sent inside the writing
//!   transaction (delivered at commit); every node LISTENs on a dedicated connection and also
//!   re-reads the head every few seconds, so a lost notification delays but never loses events.
//! * Reads run in READ ONLY REPEATABLE READ transactions (one snapshot per call).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls};

use super::group_commit::{self, Batch, Job};
use super::{ReadTx, Storage, StoreError, WriteTx};

mod tx;

use tx::{PgTx, db_error};

/// Key of the advisory lock every write transaction holds (any constant; "CBPW").
const WRITE_LOCK: i64 = 0x4342_5057;
/// Key of the session advisory lock held while migrating ("CBPM"), so nodes starting together
/// do not race.
const MIGRATION_LOCK: i64 = 0x4342_504D;
const NOTIFY_CHANNEL: &str = "combipat_events";
/// Ephemeral events (presence) cross nodes on this channel, as JSON, and are never stored.
const EPHEMERAL_CHANNEL: &str = "combipat_ephemeral";
/// Connections per node (readers and writers; writes take the lock one at a time anyway).
const POOL_SIZE: usize = 16;
/// The head is re-read this often even without notifications.
const HEAD_POLL: Duration = Duration::from_secs(2);

mod embedded {
    refinery::embed_migrations!("src/service/store/migrations/postgres");
}

/// Checks a connection string without connecting; the reason names what is wrong.
pub fn validate_url(url: &str) -> Result<(), String> {
    tokio_postgres::Config::from_str(url)
        .map(|_| ())
        .map_err(|e| format!("not a valid PostgreSQL URL: {e}"))
}

/// `postgres://user@host:port/db`, without password or options, for logs.
fn redacted(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!(
        "postgres://{}@{}{port}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    config: tokio_postgres::Config,
    writes: group_commit::Queue,
    latest_seq: watch::Sender<u64>,
    ephemeral: tokio::sync::broadcast::Sender<super::OutboxEvent>,
    describe: String,
}

/// The writer thread's side: one pooled connection it keeps (and replaces when it breaks).
struct PgBatch {
    pool: Pool,
    rt: Handle,
    client: Option<deadpool_postgres::Object>,
    /// Highest event seq the kept jobs of the open batch appended.
    appended: Option<u64>,
    latest_seq: watch::Sender<u64>,
    describe: String,
}

impl PgBatch {
    fn client(&mut self) -> Result<&deadpool_postgres::Object, StoreError> {
        if self.client.is_none() {
            let client = self
                .rt
                .block_on(self.pool.get())
                .map_err(|e| StoreError::Database(format!("{}: {e}", self.describe)))?;
            self.client = Some(client);
        }
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::Task("no writer connection".into()))
    }

    /// Runs `sql`; a failure drops the connection (its state is unknown).
    fn batch_execute(&mut self, sql: &str) -> Result<(), StoreError> {
        let rt = self.rt.clone();
        let client = self.client()?;
        let result = rt.block_on(client.batch_execute(sql)).map_err(db_error);
        if result.is_err() {
            self.discard();
        }
        result
    }

    /// Forgets the connection so a broken one is not reused (nor handed back mid-transaction).
    fn discard(&mut self) {
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

impl Batch for PgBatch {
    fn begin(&mut self) -> Result<(), StoreError> {
        self.appended = None;
        let rt = self.rt.clone();
        let begun = self.batch_execute("BEGIN");
        begun?;
        let client = self.client()?;
        let locked = rt
            .block_on(client.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]))
            .map_err(db_error);
        if locked.is_err() {
            self.discard();
        }
        locked.map(|_| ())
    }

    fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        self.batch_execute(sql)
    }

    fn run(&mut self, job: &mut Job) -> bool {
        let rt = self.rt.clone();
        let Some(client) = self.client.as_ref() else {
            return false;
        };
        let mut handle = PgTx {
            tx: client,
            rt: &rt,
            appended: None,
        };
        let kept = job.run(&mut handle);
        if kept && let Some(seq) = handle.appended {
            self.appended = Some(self.appended.map_or(seq, |a| a.max(seq)));
        }
        kept
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(seq) = self.appended {
            // Delivered to every node's LISTEN at commit.
            let rt = self.rt.clone();
            let client = self.client()?;
            let notified = rt
                .block_on(client.execute(
                    "SELECT pg_notify($1, $2)",
                    &[&NOTIFY_CHANNEL, &seq.to_string()],
                ))
                .map_err(db_error);
            if let Err(e) = notified {
                self.rollback();
                return Err(e);
            }
        }
        self.batch_execute("COMMIT")
    }

    fn rollback(&mut self) {
        if self.client.is_some() && self.batch_execute("ROLLBACK").is_err() {
            tracing::warn!(database = %self.describe, "rollback of a write batch failed");
        }
    }

    fn committed(&mut self) {
        if let Some(seq) = self.appended.take() {
            publish(&self.latest_seq, seq);
        }
    }
}

/// Announces `seq` to this node's subscribers if it is newer than what they know.
fn publish(latest_seq: &watch::Sender<u64>, seq: u64) {
    latest_seq.send_if_modified(|latest| {
        let newer = seq > *latest;
        if newer {
            *latest = seq;
        }
        newer
    });
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.pool.close();
    }
}

fn setting_error(describe: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Setting {
        setting: format!("database {describe}"),
        reason: reason.to_string(),
    }
}

impl PgStore {
    /// Connects, applies pending migrations under a lock and starts listening for events of
    /// other nodes. Errors name the database setting.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Setting {
            setting: "database".into(),
            reason: format!("not a valid PostgreSQL URL: {e}"),
        })?;
        let describe = redacted(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| setting_error(&describe, e))?;
        let mut client = pool
            .get()
            .await
            .map_err(|e| setting_error(&describe, format!("cannot connect: {e}")))?;
        migrate(&mut client, &describe).await?;
        let head: i64 = client
            .query_one("SELECT highest FROM outbox_head", &[])
            .await
            .map_err(db_error)?
            .get(0);
        drop(client);
        let (latest_seq, _) = watch::channel(head as u64);
        let writes = group_commit::start(
            "combipat-postgres-writer",
            PgBatch {
                pool: pool.clone(),
                rt: Handle::current(),
                client: None,
                appended: None,
                latest_seq: latest_seq.clone(),
                describe: describe.clone(),
            },
        )?;
        let store = PgStore {
            inner: Arc::new(Inner {
                pool,
                config,
                writes,
                latest_seq,
                ephemeral: tokio::sync::broadcast::channel(super::EPHEMERAL_BACKLOG).0,
                describe,
            }),
        };
        tokio::spawn(listen(Arc::downgrade(&store.inner)));
        Ok(store)
    }

    /// Applies pending migrations (under the migration lock) and returns the schema version.
    pub async fn migrate_only(url: &str) -> Result<i32, StoreError> {
        let store = PgStore::connect(url).await?;
        let client = store.client().await?;
        let version: Option<i32> = client
            .query_opt("SELECT MAX(version) FROM refinery_schema_history", &[])
            .await
            .map_err(db_error)?
            .and_then(|r| r.get(0));
        Ok(version.unwrap_or(0))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.inner
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Database(format!("{}: {e}", self.inner.describe)))
    }

    fn publish(&self, seq: u64) {
        publish(&self.inner.latest_seq, seq);
    }
}

async fn migrate(client: &mut tokio_postgres::Client, describe: &str) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    let result = run_migrations(client, describe).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error);
    result.and(unlock.map(|_| ()))
}

async fn run_migrations(
    client: &mut tokio_postgres::Client,
    describe: &str,
) -> Result<(), StoreError> {
    let runner = embedded::migrations::runner();
    let known = runner
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0);
    let applied = applied_version(client).await?;
    if let Some(version) = applied
        && version > known
    {
        return Err(setting_error(
            describe,
            format!(
                "schema version {version} is newer than this combipat knows ({known}); \
                 upgrade combipat"
            ),
        ));
    }
    runner
        .run_async(client)
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(())
}

/// The highest applied migration, `None` on a database never migrated.
async fn applied_version(client: &tokio_postgres::Client) -> Result<Option<i32>, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    client
        .query_one("SELECT MAX(version) FROM refinery_schema_history", &[])
        .await
        .map(|row| row.get(0))
        .map_err(db_error)
}

/// Follows other nodes' commits: LISTEN on a dedicated connection, plus a periodic head read.
/// Ends when the store is dropped.
async fn listen(inner: std::sync::Weak<Inner>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let config = strong.config.clone();
        let describe = strong.describe.clone();
        drop(strong);
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                backoff = Duration::from_millis(100);
                let (notes_tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
                let ephemeral_target = inner.clone();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(n))
                                if n.channel() == EPHEMERAL_CHANNEL =>
                            {
                                let Some(strong) = ephemeral_target.upgrade() else {
                                    return;
                                };
                                match serde_json::from_str(n.payload()) {
                                    Ok(event) => {
                                        let _ = strong.ephemeral.send(event);
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "malformed ephemeral event")
                                    }
                                }
                            }
                            Ok(AsyncMessage::Notification(n)) => {
                                if notes_tx.send(n.payload().parse::<u64>().ok()).is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(_) => return,
                        }
                    }
                });
                if client
                    .batch_execute(&format!(
                        "LISTEN {NOTIFY_CHANNEL}; LISTEN {EPHEMERAL_CHANNEL}"
                    ))
                    .await
                    .is_err()
                {
                    driver.abort();
                    continue;
                }
                let mut poll = tokio::time::interval(HEAD_POLL);
                loop {
                    let seq = tokio::select! {
                        note = notes.recv() => match note {
                            Some(Some(seq)) => Some(seq),
                            Some(None) => None,
                            None => break, // connection lost
                        },
                        _ = poll.tick() => {
                            match client.query_one("SELECT highest FROM outbox_head", &[]).await {
                                Ok(row) => Some(row.get::<_, i64>(0) as u64),
                                Err(_) => break,
                            }
                        }
                    };
                    let Some(strong) = inner.upgrade() else {
                        driver.abort();
                        return;
                    };
                    if let Some(seq) = seq {
                        PgStore { inner: strong }.publish(seq);
                    }
                }
                driver.abort();
                tracing::warn!(database = %describe, "event listener lost its connection; reconnecting");
            }
            Err(e) => {
                tracing::warn!(database = %describe, error = %e, "event listener cannot connect; retrying");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl Storage for PgStore {
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ReadTx) -> Result<T, StoreError> + Send + 'static,
    {
        let client = self.client().await?;
        let rt = Handle::current();
        tokio::task::spawn_blocking(move || {
            rt.block_on(client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                .map_err(db_error)?;
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                f(&mut PgTx {
                    tx: &client,
                    rt: &rt,
                    appended: None,
                })
            }))
            .unwrap_or_else(|_| Err(StoreError::Task("read transaction panicked".into())));
            if rt.block_on(client.batch_execute("ROLLBACK")).is_err() {
                // Never hand a connection back to the pool inside a transaction.
                drop(deadpool_postgres::Object::take(client));
            }
            out
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
        // Through PostgreSQL so every node hears it; this node hears it on its own LISTEN.
        let payload = serde_json::to_string(&event)?;
        let client = self.client().await?;
        client
            .execute("SELECT pg_notify($1, $2)", &[&EPHEMERAL_CHANNEL, &payload])
            .await
            .map_err(db_error)?;
        Ok(())
    }

    fn ephemeral(&self) -> tokio::sync::broadcast::Receiver<super::OutboxEvent> {
        self.inner.ephemeral.subscribe()
    }

    fn describe(&self) -> String {
        self.inner.describe.clone()
    }
}

/// The baseline `combipat bench writes` compares the service with: one autocommitted INSERT
/// per row on a plain tokio-postgres connection, for `duration`, into a scratch table it drops
/// afterwards. Returns each commit's latency.
pub async fn plain_commit_loop(url: &str, duration: Duration) -> Result<Vec<Duration>, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| setting_error("database", format!("cannot connect: {e}")))?;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS combipat_bench_rows \
             (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)",
        )
        .await
        .map_err(db_error)?;
    let insert = client
        .prepare("INSERT INTO combipat_bench_rows (body) VALUES ($1)")
        .await
        .map_err(db_error)?;
    let start = std::time::Instant::now();
    let mut latencies = Vec::new();
    while start.elapsed() < duration {
        let began = std::time::Instant::now();
        client
            .execute(&insert, &[&"a row of about the size of a short note"])
            .await
            .map_err(db_error)?;
        latencies.push(began.elapsed());
    }
    client
        .batch_execute("DROP TABLE IF EXISTS combipat_bench_rows")
        .await
        .map_err(db_error)?;
    driver.abort();
    Ok(latencies)
}
