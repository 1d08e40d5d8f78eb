//! Tampering with the audit log is detected: `combipat audit verify` (the real binary, on a
//! real SQLite file) names the first entry that no longer verifies after a row is edited, or
//! after rows are deleted and every hash recomputed without the key. `GET /v1/audit/verify`
//! gives auditors the same answer.

mod common;

use std::path::Path;

use combipat::domain::roles::Role;
use combipat::service::core::chain_hash;
use common::{TestService, http};

fn verify(data_dir: &Path) -> (bool, String) {
    let out = common::run_combipat(&[
        "audit".as_ref(),
        "verify".as_ref(),
        "--data-dir".as_ref(),
        data_dir.as_os_str(),
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A seeded data dir with a few audited writes, copied so each tampering starts clean.
async fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let starter = combipat::service::starter_dataset(7, jiff::Timestamp::now());
    combipat::service::seed_demo(dir.path(), starter)
        .await
        .unwrap();
    dir
}

/// seq, at, actor, role, action, target, remote address.
type AuditRow = (i64, String, String, String, String, String, Option<String>);

fn db(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join("combipat.sqlite3")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_on_an_untouched_log_and_names_the_entry_of_each_forgery() {
    let dir = seeded().await;
    let (ok, text) = verify(dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("entries verified"), "{text}");

    // One row edited (trigger dropped first, as a database owner could).
    let edited = seeded().await;
    db(edited.path())
        .execute("UPDATE audit SET target = 'someone else' WHERE seq = 3", [])
        .unwrap();
    let (ok, text) = verify(edited.path());
    assert!(!ok, "{text}");
    assert!(text.contains("entry 3"), "{text}");

    // Rows deleted and every hash recomputed from the genesis, as if there were no key.
    let rewritten = seeded().await;
    let conn = db(rewritten.path());
    let total: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(
        total > 4,
        "the seed audits more than four entries ({total})"
    );
    conn.execute("DELETE FROM audit WHERE seq BETWEEN 2 AND 4", [])
        .unwrap();
    let rows: Vec<AuditRow> = conn
        .prepare("SELECT seq, at, actor, role, action, target, remote_addr FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    conn.execute("DELETE FROM audit", []).unwrap();
    let mut prev = "0".repeat(64);
    for (n, (_, at, actor, role, action, target, remote)) in rows.iter().enumerate() {
        let seq = n as u64 + 1;
        let hash = chain_hash(
            &prev,
            seq,
            at,
            actor,
            role,
            action,
            target,
            remote.as_deref(),
        );
        conn.execute(
            "INSERT INTO audit (seq, at, actor, role, action, target, remote_addr, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![seq as i64, at, actor, role, action, target, remote, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
    drop(conn);
    let (ok, text) = verify(rewritten.path());
    assert!(!ok, "{text}");
    assert!(text.contains("entry 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_verify_the_chain_over_http() {
    let t = TestService::demo().await;
    let resp = http()
        .get(t.url("/v1/audit/verify"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["valid"], true, "{body}");
    assert!(body["entries"].as_u64().unwrap() > 0);
    let operator = http()
        .get(t.url("/v1/audit/verify"))
        .bearer_auth(t.token(Role::Operator))
        .send()
        .await
        .unwrap();
    assert_eq!(operator.status(), reqwest::StatusCode::FORBIDDEN);
    t.service.shutdown().await.unwrap();
}
