//! The central service: axum REST + SSE over a storage trait (SQLite by default).
//!
//! [`start`] opens the data dir (migrating it), optionally seeds demo data, binds and serves
//! until [`RunningService::shutdown`]. It runs in-process as well as under `combipat serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod alerts;
pub mod audit_checkpoint;
pub mod audit_key;
pub mod core;
pub mod demo_credentials;
pub mod http;
pub mod private_files;
pub mod seed;
pub mod sla;
pub mod ssh_source;
pub mod store;

use core::{App, Core};
pub use demo_credentials::{Credential, DemoCredentials};
pub use seed::{seed_demo, seed_demo_on, starter_dataset};
pub use sla::{Sla, SlaSetupError};
use store::sqlite::SqliteStore;

/// Seed used by `--demo` when none is given.
pub const DEFAULT_DEMO_SEED: u64 = 42;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// `127.0.0.1:0` picks a free port; see [`RunningService::addr`].
    pub listen: SocketAddr,
    /// Demo credentials and the SSH host key live here, and the SQLite database unless
    /// `database` names another store.
    pub data_dir: PathBuf,
    /// `postgres://…` (or `sqlite:PATH`); `None` = `DATA_DIR/combipat.sqlite3`.
    pub database: Option<String>,
    /// Seed an empty data dir with demo data and write `demo-credentials.toml`.
    pub demo: bool,
    pub demo_seed: u64,
    /// What `demo` seeds; the realistic generated dataset unless a test asks for the starter one.
    pub demo_data: DemoData,
    /// SLA policy and office calendars; `None` = the embedded policy on the registry calendars.
    pub sla: Option<Arc<Sla>>,
    /// How often SLA alerts are scanned for; `None` turns the scan off (tests call
    /// [`alerts::scan`] with chosen instants).
    pub alert_interval: Option<Duration>,
    /// How often the audit head is checkpointed while it moves (also at start and at clean
    /// shutdown): [`audit_checkpoint`].
    pub audit_checkpoint_interval: Duration,
    /// Recent events kept in memory for this node's event streams (see [`core::fanout`]).
    pub event_buffer: usize,
    /// How long idempotency keys and events are kept (pruned every [`PRUNE_INTERVAL`]).
    pub retention: core::Retention,
    /// Told how the `demo` seed goes (`serve --demo` draws a progress bar on a terminal).
    pub seed_observer: Arc<dyn seed::SeedObserver>,
}

/// How often expired idempotency records and events are pruned.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// The dataset `--demo` puts into an empty data dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoData {
    /// `demo::generate(seed, size, now)`.
    Generated(crate::demo::DemoSize),
    /// The small hand-written [`starter_dataset`], for tests that rely on its fixed citizens.
    Starter,
}

impl ServiceConfig {
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        ServiceConfig {
            listen,
            data_dir: data_dir.into(),
            database: None,
            demo: false,
            demo_seed: DEFAULT_DEMO_SEED,
            demo_data: DemoData::Generated(crate::demo::DemoSize::full()),
            sla: None,
            alert_interval: Some(alerts::DEFAULT_INTERVAL),
            audit_checkpoint_interval: audit_checkpoint::DEFAULT_INTERVAL,
            event_buffer: core::fanout::DEFAULT_CAPACITY,
            retention: core::Retention::default(),
            seed_observer: Arc::new(seed::Quiet),
        }
    }

    pub fn with_retention(mut self, retention: core::Retention) -> Self {
        self.retention = retention;
        self
    }

    pub fn with_event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = events;
        self
    }

    pub fn with_sla(mut self, sla: Arc<Sla>) -> Self {
        self.sla = Some(sla);
        self
    }

    /// The SLA policy and calendars of `config` (`[sla]`, `[calendar]`); `policy_file`
    /// (`--policy`) replaces the configured policy. Fails with file, line and reason.
    pub fn with_config(
        self,
        config: &crate::config::Config,
        policy_file: Option<&Path>,
    ) -> Result<Self, SlaSetupError> {
        Ok(self.with_sla(Sla::from_config(config, policy_file)?))
    }

    pub fn with_alert_interval(mut self, interval: Option<Duration>) -> Self {
        self.alert_interval = interval;
        self
    }

    pub fn with_database(mut self, database: Option<String>) -> Self {
        self.database = database;
        self
    }

    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    pub fn with_demo_data(mut self, demo_data: DemoData) -> Self {
        self.demo_data = demo_data;
        self
    }

    pub fn with_seed_observer(mut self, observer: Arc<dyn seed::SeedObserver>) -> Self {
        self.seed_observer = observer;
        self
    }
}

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Credentials(#[from] demo_credentials::CredentialsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0} already holds data; demo data goes only into an empty data dir")]
    NotEmpty(PathBuf),
    #[error(transparent)]
    Sla(#[from] SlaSetupError),
    #[error("audit key: {0}")]
    AuditKey(#[from] audit_key::AuditKeyError),
    #[error("server failed: {0}")]
    Server(String),
    #[error("data dir {dir}: {source}")]
    DataDir {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// A service running on a tokio runtime.
pub struct RunningService {
    addr: SocketAddr,
    store: Arc<dyn App>,
    sla: Arc<Sla>,
    credentials: Option<DemoCredentials>,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    alerts: Option<JoinHandle<()>>,
    checkpoints: JoinHandle<()>,
}

impl RunningService {
    /// The bound address (the real port when configured with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> Arc<dyn App> {
        self.store.clone()
    }

    /// The SLA policy and calendars this service runs with.
    pub fn sla(&self) -> Arc<Sla> {
        self.sla.clone()
    }

    /// Demo credentials when started with `demo` (freshly seeded or read back from the dir).
    pub fn credentials(&self) -> Option<&DemoCredentials> {
        self.credentials.as_ref()
    }

    /// Stops accepting connections, ends event streams, waits for in-flight requests.
    pub async fn shutdown(self) -> Result<(), ServiceError> {
        let _ = self.stop.send(true);
        if let Some(alerts) = self.alerts {
            // The scan task only ends on the stop signal; a panic in it is not worth failing
            // the shutdown for.
            let _ = alerts.await;
        }
        let served = self.server.await;
        // The last checkpoint, after the last in-flight request wrote its entry.
        let _ = self.checkpoints.await;
        audit_checkpoint::write_one(self.store.as_ref()).await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ServiceError::Server(e.to_string())),
            Err(e) => Err(ServiceError::Server(e.to_string())),
        }
    }

    /// Waits until the server stops by itself (it only does on errors).
    pub async fn wait(&mut self) -> Result<(), ServiceError> {
        match (&mut self.server).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ServiceError::Server(e.to_string())),
            Err(e) => Err(ServiceError::Server(e.to_string())),
        }
    }
}

/// Opens (and migrates) the SQLite store of a data dir, with the embedded SLA defaults.
pub async fn open_store(data_dir: &Path) -> Result<Arc<dyn App>, ServiceError> {
    open_store_with(data_dir, Sla::embedded()?).await
}

/// Opens (and migrates) the SQLite store of a data dir; its clocks follow `sla`.
pub async fn open_store_with(data_dir: &Path, sla: Arc<Sla>) -> Result<Arc<dyn App>, ServiceError> {
    open_database(data_dir, None, sla).await
}

/// Opens (and migrates) the store a `database` setting names (`postgres://…`, `sqlite:PATH`),
/// or the SQLite file of `data_dir` when there is none.
pub async fn open_database(
    data_dir: &Path,
    database: Option<&str>,
    sla: Arc<Sla>,
) -> Result<Arc<dyn App>, ServiceError> {
    let options = CoreOptions {
        event_buffer: core::fanout::DEFAULT_CAPACITY,
        retention: core::Retention::default(),
    };
    open_database_with(data_dir, database, sla, options).await
}

/// What a service node's core keeps in memory and for how long it keeps what.
#[derive(Debug, Clone, Copy)]
pub struct CoreOptions {
    pub event_buffer: usize,
    pub retention: core::Retention,
}

/// As [`open_database`], with the node's buffer and retention.
pub async fn open_database_with(
    data_dir: &Path,
    database: Option<&str>,
    sla: Arc<Sla>,
    options: CoreOptions,
) -> Result<Arc<dyn App>, ServiceError> {
    let CoreOptions {
        event_buffer,
        retention,
    } = options;
    let database = store::Database::parse(database, data_dir)?;
    private_files::ensure_private_dir(data_dir).map_err(|source| ServiceError::DataDir {
        dir: data_dir.to_path_buf(),
        source,
    })?;
    let ring = audit_key::load_ring(data_dir)?;
    let checkpoints = audit_checkpoint::CheckpointLog::in_data_dir(data_dir);
    match database {
        store::Database::Sqlite(path) => {
            let opened = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&opened))
                .await
                .map_err(|e| ServiceError::Server(e.to_string()))??;
            // Citizens' data: the database and its WAL are the owner's only, whatever the umask.
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let file = std::path::PathBuf::from(file);
                if file.exists() {
                    private_files::tighten_file(&file).map_err(|source| ServiceError::DataDir {
                        dir: file.clone(),
                        source,
                    })?;
                }
            }
            Ok(Arc::new(
                Core::with_event_buffer(store, sla, event_buffer)
                    .with_retention(retention)
                    .with_audit_ring(Some(ring))
                    .with_checkpoints(Some(checkpoints)),
            ))
        }
        store::Database::Postgres(url) => {
            let store = store::postgres::PgStore::connect(&url).await?;
            Ok(Arc::new(
                Core::with_event_buffer(store, sla, event_buffer)
                    .with_retention(retention)
                    .with_audit_ring(Some(ring))
                    .with_checkpoints(Some(checkpoints)),
            ))
        }
    }
}

/// The dataset `--demo` seeds.
pub fn demo_dataset(data: DemoData, seed: u64, now: jiff::Timestamp) -> seed::SeedData {
    match data {
        DemoData::Generated(size) => seed::SeedData::generated(seed, size, now),
        DemoData::Starter => seed::SeedData::Whole(starter_dataset(seed, now)),
    }
}

pub async fn start(config: ServiceConfig) -> Result<RunningService, ServiceError> {
    let sla = match config.sla.clone() {
        Some(sla) => sla,
        None => Sla::embedded()?,
    };
    // `open_database` parses the setting before it creates anything (the data dir included).
    let options = CoreOptions {
        event_buffer: config.event_buffer,
        retention: config.retention,
    };
    let store = open_database_with(
        &config.data_dir,
        config.database.as_deref(),
        sla.clone(),
        options,
    )
    .await?;
    let credentials = if config.demo {
        if store.is_empty().await? {
            let started = std::time::Instant::now();
            config.seed_observer.generating();
            let dataset = demo_dataset(config.demo_data, config.demo_seed, jiff::Timestamp::now());
            let requests = dataset.requests();
            // The generated demo comes with a realistic agenda; the starter dataset (tests)
            // starts with an empty one.
            let staff = matches!(config.demo_data, DemoData::Generated(_))
                .then(|| dataset.head().operators.clone());
            let seeded = seed::seed_store_with(
                store.as_ref(),
                &config.data_dir,
                dataset,
                Arc::clone(&config.seed_observer),
            )
            .await?;
            if let Some(staff) = staff {
                let booked =
                    seed::seed_agenda(store.as_ref(), &staff, jiff::Timestamp::now()).await?;
                tracing::info!(booked, "demo agenda booked");
            }
            config.seed_observer.done();
            tracing::info!(
                requests,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "demo data seeded"
            );
            Some(seeded)
        } else {
            demo_credentials::load(&config.data_dir).ok()
        }
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServiceError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServiceError::Bind {
        addr: config.listen,
        source,
    })?;
    let (stop, stopped) = watch::channel(false);
    let app = http::router(http::AppState {
        store: store.clone(),
        sla: sla.clone(),
        shutdown: stopped.clone(),
    });
    let alerts = config
        .alert_interval
        .map(|interval| alerts::spawn(store.clone(), sla.clone(), interval, stopped.clone()));
    // The first tick checkpoints the head as found at start.
    let checkpoints = audit_checkpoint::spawn(
        store.clone(),
        config.audit_checkpoint_interval,
        stopped.clone(),
    );
    tokio::spawn(prune_periodically(store.clone(), stopped.clone()));
    let mut until_stopped = stopped;
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = until_stopped.wait_for(|stop| *stop).await;
        })
        .await
    });
    tracing::info!(%addr, store = %store.describe_store(), "service listening");
    Ok(RunningService {
        addr,
        store,
        sla,
        credentials,
        stop,
        server,
        alerts,
        checkpoints,
    })
}

/// Prunes expired idempotency records and events now and every [`PRUNE_INTERVAL`] until
/// `stop`. Failures are logged and retried at the next round.
async fn prune_periodically(store: Arc<dyn App>, mut stop: watch::Receiver<bool>) {
    loop {
        match store.prune_expired(jiff::Timestamp::now()).await {
            Ok(pruned) if pruned != core::Pruned::default() => tracing::info!(
                idempotency_records = pruned.idempotency_records,
                events = pruned.events,
                "pruned what the retention no longer keeps"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning failed; retrying later"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_INTERVAL) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}
