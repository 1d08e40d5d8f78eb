//! Shared helpers for integration tests: a real service on loopback over a real store.
//!
//! The store under test is SQLite unless `COMBIPAT_TEST_STORE=postgres`; then every service
//! gets a fresh database in the PostgreSQL cluster named by `COMBIPAT_TEST_POSTGRES` (an admin
//! connection string; `.ci/postgres.sh` starts such a throwaway cluster and `.ci/run` runs the
//! HTTP suites on both stores).
#![allow(dead_code)] // each test crate uses a different subset

pub mod tmux;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use combipat::domain::roles::Role;
use combipat::service::{self, DemoCredentials, DemoData, RunningService, ServiceConfig};

/// An in-process service seeded with demo data in a temporary data dir.
pub struct TestService {
    pub service: RunningService,
    pub credentials: DemoCredentials,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database of this service, when the suite runs on PostgreSQL.
    pub database: Option<String>,
}

impl TestService {
    pub async fn demo() -> TestService {
        Self::demo_with(|config| config).await
    }

    /// [`TestService::demo`] with `adjust` applied to its configuration.
    pub async fn demo_with(adjust: impl FnOnce(ServiceConfig) -> ServiceConfig) -> TestService {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = test_database().await;
        let config = adjust(
            ServiceConfig::new(loopback(), dir.path())
                .with_database(database.clone())
                .with_demo(true)
                .with_demo_data(DemoData::Starter),
        );
        let service = service::start(config).await.expect("service starts");
        let credentials = service.credentials().cloned().expect("demo credentials");
        TestService {
            service,
            credentials,
            dir,
            database,
        }
    }

    /// The configuration to start this service again (same data dir and store) on `addr`.
    pub fn config(&self, addr: SocketAddr) -> ServiceConfig {
        ServiceConfig::new(addr, self.dir.path())
            .with_database(self.database.clone())
            .with_demo(true)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.base_url())
    }

    /// The service's OpenAPI document (no authentication needed).
    pub async fn openapi(&self) -> serde_json::Value {
        http()
            .get(self.url("/v1/openapi.json"))
            .send()
            .await
            .expect("GET /v1/openapi.json")
            .json()
            .await
            .expect("OpenAPI JSON")
    }

    pub fn token(&self, role: Role) -> String {
        self.credentials
            .token(role)
            .unwrap_or_else(|| panic!("no demo token for {role:?}"))
            .to_string()
    }
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Which store the suite runs on: `None` for SQLite (the default), or the URL of a fresh
/// PostgreSQL database when `COMBIPAT_TEST_STORE=postgres`.
pub async fn test_database() -> Option<String> {
    match std::env::var("COMBIPAT_TEST_STORE").as_deref() {
        Ok("postgres") => {
            let admin = std::env::var("COMBIPAT_TEST_POSTGRES").unwrap_or_else(|_| {
                panic!(
                    "COMBIPAT_TEST_STORE=postgres needs COMBIPAT_TEST_POSTGRES (.ci/postgres.sh)"
                )
            });
            Some(fresh_database(&admin).await)
        }
        Ok("sqlite") | Ok("") | Err(_) => None,
        Ok(other) => panic!("COMBIPAT_TEST_STORE={other:?}: expected sqlite or postgres"),
    }
}

/// The admin URL of the test cluster for tests that need PostgreSQL whatever the suite's store.
/// `None` (the test returns early, saying so) only outside CI: under `CI=true` a missing
/// cluster fails the test.
pub fn require_postgres(test: &str) -> Option<String> {
    match std::env::var("COMBIPAT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "{test}: CI=true but COMBIPAT_TEST_POSTGRES is not set; .ci/run starts the cluster"
        ),
        _ => {
            eprintln!("{test}: not run: needs PostgreSQL (eval \"$(bash .ci/postgres.sh start)\")");
            None
        }
    }
}

/// Creates an empty database in the cluster of `admin_url`; returns its URL.
pub async fn fresh_database(admin_url: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now().as_microsecond() % 1_000_000
    );
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster {admin_url}: {e}"));
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE");
    drop(client);
    let _ = driver.await;
    match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("admin URL without a database: {admin_url}"),
    }
}

/// The real binary, `combipat serve` on a free loopback port; returns the child and its URL.
pub fn spawn_serve(data_dir: &Path, demo: bool) -> (Child, String) {
    spawn_serve_on(data_dir, demo, None)
}

/// [`spawn_serve`] on a chosen store (`--database`).
pub fn spawn_serve_on(data_dir: &Path, demo: bool, database: Option<&str>) -> (Child, String) {
    spawn_serve_at(data_dir, demo, database, "127.0.0.1:0")
}

/// [`spawn_serve_on`] listening on `listen` (a restart on the address clients already use).
pub fn spawn_serve_at(
    data_dir: &Path,
    demo: bool,
    database: Option<&str>,
    listen: &str,
) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_combipat"));
    if let Some(url) = database {
        cmd.arg("serve").arg("--database").arg(url);
    } else {
        cmd.arg("serve");
    }
    cmd.arg("--listen")
        .arg(listen)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if demo {
        cmd.arg("--demo");
    }
    let mut child = cmd.spawn().expect("spawn combipat serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("read the listening line");
    // Keep draining so later output never hits a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (child, url)
}

/// Runs the real binary with `args`, plain output (no colour, no backtrace), on no store or key
/// the caller's environment may name.
pub fn run_combipat<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("COMBIPAT_DATABASE")
        .env_remove("COMBIPAT_AUDIT_KEY")
        .output()
        .expect("run combipat")
}

/// A child process (a `combipat serve`) killed and reaped when the test ends, passing or not.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET url` with `token`, the answer's JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(url: &str, token: &str) -> T {
    http()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
