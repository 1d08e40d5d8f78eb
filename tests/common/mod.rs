//! Shared helpers for integration tests: a real service on loopback over a real SQLite file.
#![allow(dead_code)] // each test crate uses a different subset

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
}

impl TestService {
    pub async fn demo() -> TestService {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = ServiceConfig::new(loopback(), dir.path())
            .with_demo(true)
            .with_demo_data(DemoData::Starter);
        let service = service::start(config).await.expect("service starts");
        let credentials = service.credentials().cloned().expect("demo credentials");
        TestService {
            service,
            credentials,
            dir,
        }
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

/// The real binary, `combipat serve` on a free loopback port; returns the child and its URL.
pub fn spawn_serve(data_dir: &Path, demo: bool) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_combipat"));
    cmd.arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
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
