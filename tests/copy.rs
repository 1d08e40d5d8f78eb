//! `combipat admin copy` and `admin migrate` on real stores: a seeded SQLite data dir copied
//! into an empty PostgreSQL database with the real binary; the copy's counts and audit head
//! match, the service started on the copy serves the same queue counts, a second copy into
//! the now non-empty target is refused, and bad settings fail naming the setting.

mod common;

use combipat::api::QueueCount;
use combipat::demo::{self, DemoSize};
use combipat::domain::roles::Role;
use combipat::service;

use common::{fresh_database, http, require_postgres, spawn_serve_on};

fn combipat(args: &[&str]) -> std::process::Output {
    common::run_combipat(args)
}

async fn queues(base: &str, token: &str) -> Vec<QueueCount> {
    http()
        .get(format!("{base}/v1/queues"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_copied_to_postgres_serves_the_same_figures() {
    let Some(admin_url) = require_postgres("admin copy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dataset = demo::generate(42, DemoSize::small(), jiff::Timestamp::now());
    let credentials = service::seed_demo(dir.path(), dataset).await.unwrap();
    let sqlite = dir.path().join("combipat.sqlite3");
    let target = fresh_database(&admin_url).await;

    let out = combipat(&[
        "admin",
        "copy",
        "--from",
        sqlite.to_str().unwrap(),
        "--to",
        &target,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("requests"), "{stdout}");
    assert!(stdout.contains("audit chain verified"), "{stdout}");

    // Same row counts and audit head, checked independently of the command's own report.
    let sla = service::Sla::embedded().unwrap();
    let from = service::open_store(dir.path()).await.unwrap();
    let to = service::open_database(dir.path(), Some(&target), sla)
        .await
        .unwrap();
    for table in combipat::service::store::TABLES {
        assert_eq!(
            from.count_rows(table).await.unwrap(),
            to.count_rows(table).await.unwrap(),
            "{table}"
        );
    }
    assert_eq!(from.heads().await.unwrap(), to.heads().await.unwrap());
    drop((from, to));

    // The service on each store serves the same queue counts to the same operator.
    let operator = credentials.token(Role::Operator).unwrap().to_string();
    let served_dir = tempfile::tempdir().unwrap();
    let (mut on_sqlite, sqlite_url) = spawn_serve_on(dir.path(), false, None);
    let (mut on_pg, pg_url) = spawn_serve_on(served_dir.path(), false, Some(&target));
    assert_eq!(
        queues(&sqlite_url, &operator).await,
        queues(&pg_url, &operator).await
    );
    for child in [&mut on_sqlite, &mut on_pg] {
        child.kill().unwrap();
        child.wait().unwrap();
    }

    // The target now holds data: a second copy is refused and writes nothing.
    let again = combipat(&[
        "admin",
        "copy",
        "--from",
        sqlite.to_str().unwrap(),
        "--to",
        &target,
    ]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds data"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_reports_the_version_and_bad_settings_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let out = combipat(&["admin", "migrate", "--data-dir", data_dir]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("schema version 3"));

    // Not a URL either store understands.
    let out = combipat(&[
        "serve",
        "--data-dir",
        data_dir,
        "--database",
        "mysql://x@y/z",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--database"), "{stderr}");
    assert!(stderr.contains("postgres://"), "{stderr}");

    // A server that does not answer: the setting is named, the exit is non-zero.
    let out = combipat(&[
        "serve",
        "--data-dir",
        data_dir,
        "--database",
        "postgres://nobody@127.0.0.1:1/none?connect_timeout=2",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--database"), "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");

    // A schema newer than this build: refused, naming the database.
    let Some(admin_url) = require_postgres("migrate") else {
        return;
    };
    let target = fresh_database(&admin_url).await;
    let out = combipat(&["admin", "migrate", "--database", &target]);
    assert!(out.status.success(), "{out:?}");
    let (client, connection) = tokio_postgres::connect(&target, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
             VALUES (99, 'future', '2030-01-01', '0')",
        )
        .await
        .unwrap();
    let out = combipat(&["admin", "migrate", "--database", &target]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer than this combipat"), "{stderr}");
}
