//! Tampering with the audit log is detected: `combipat audit verify` (the real binary, on a
//! real SQLite file) names the first entry that no longer verifies after a row is edited, or
//! after rows are deleted and every hash recomputed without the key, or after the newest rows
//! are deleted (the checkpoints written by the service outside the database vouch for them).
//! `GET /v1/audit/verify` gives auditors the same answer. Keys rotate without breaking the
//! chain, and CSV exports are audited with actor, address and purpose.
//!
//! The tests that start a service run on the suite's store (`COMBIPAT_TEST_STORE=postgres`
//! for PostgreSQL), and tamper with it the way its owner could.

mod common;

use std::path::Path;

use combipat::domain::roles::Role;
use combipat::service::core::chain_hash;
use combipat::service::{self, ServiceConfig};
use common::{TestService, http, loopback};

fn verify(data_dir: &Path) -> (bool, String) {
    audit_command("verify", data_dir, None)
}

/// `combipat audit COMMAND --data-dir DIR [--database URL]`: success, and what it printed.
fn audit_command(command: &str, data_dir: &Path, database: Option<&str>) -> (bool, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "audit".as_ref(),
        command.as_ref(),
        "--data-dir".as_ref(),
        data_dir.as_os_str(),
    ];
    if let Some(url) = database {
        args.push("--database".as_ref());
        args.push(url.as_ref());
    }
    let out = common::run_combipat(&args);
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
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
    )
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

/// `entry` records `action` by `actor` from a loopback address.
fn assert_audited(entry: &serde_json::Value, action: &str, actor: &str) {
    assert_eq!(entry["action"], action, "{entry}");
    assert_eq!(entry["actor"], actor, "{entry}");
    let address = entry["remote_addr"].as_str().unwrap_or_default();
    assert!(address.starts_with("127.0.0.1:"), "{entry}");
}

/// A test service shut down cleanly (so its last checkpoint is written), ready to restart.
struct Stopped {
    dir: tempfile::TempDir,
    database: Option<String>,
    credentials: combipat::service::DemoCredentials,
}

async fn stopped(t: TestService) -> Stopped {
    t.service.shutdown().await.unwrap();
    Stopped {
        dir: t.dir,
        database: t.database,
        credentials: t.credentials,
    }
}

async fn restarted(s: Stopped) -> TestService {
    let config = ServiceConfig::new(loopback(), s.dir.path())
        .with_database(s.database.clone())
        .with_alert_interval(None);
    TestService {
        service: service::start(config).await.unwrap(),
        dir: s.dir,
        database: s.database,
        credentials: s.credentials,
    }
}

/// Runs SQL on the test service's store as its owner would, the append-only triggers disabled
/// first.
async fn tamper(t: &TestService, sql: &str) {
    tamper_store(t.dir.path(), t.database.as_deref(), sql).await
}

async fn tamper_store(data_dir: &Path, database: Option<&str>, sql: &str) {
    match database {
        None => {
            let conn = db(data_dir);
            conn.execute_batch(sql).unwrap();
        }
        Some(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let driver = tokio::spawn(connection);
            client
                .batch_execute(&format!(
                    "ALTER TABLE audit DISABLE TRIGGER audit_no_update; {sql}"
                ))
                .await
                .unwrap();
            drop(client);
            let _ = driver.await;
        }
    }
}

/// Reads `n` requests in full as the demo operator over HTTP: `n` audited reads.
async fn audited_reads(base_url: &str, token: &str, n: usize) {
    let list: serde_json::Value = http()
        .get(format!("{base_url}/v1/requests?limit=1"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..n {
        let resp = http()
            .get(format!("{base_url}/v1/requests/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }
}

async fn audit_entries(base_url: &str, token: &str) -> Vec<serde_json::Value> {
    let page: serde_json::Value = http()
        .get(format!("{base_url}/v1/audit?limit=1000"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_missing_entry_when_the_tail_is_truncated() {
    let t = TestService::demo().await;
    let (url, operator) = (t.service.base_url(), t.token(Role::Operator));
    audited_reads(&url, &operator, 6).await;
    // Full reads are audited with actor and address (issue 12 point 4).
    let entries = audit_entries(&url, &t.token(Role::Auditor)).await;
    let last = entries.last().unwrap();
    assert_audited(
        last,
        "request.read",
        &t.credentials.for_role(Role::Operator).unwrap().username,
    );
    let head = last["seq"].as_u64().unwrap();
    // The clean shutdown checkpoints the head.
    let s = stopped(t).await;
    let checkpoints = std::fs::read_to_string(s.dir.path().join("audit-checkpoints.log")).unwrap();
    assert!(
        checkpoints
            .lines()
            .last()
            .unwrap()
            .contains(&format!(" {head} ")),
        "{checkpoints}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.dir.path().join("audit-checkpoints.log"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (ok, text) = audit_command("verify", s.dir.path(), s.database.as_deref());
    assert!(ok, "{text}");

    // The newest 4 entries deleted: what is left is a sound, shorter chain.
    let t = restarted(s).await;
    tamper(&t, &format!("DELETE FROM audit WHERE seq > {}", head - 4)).await;
    let first_missing = head - 3;
    // Over HTTP, on the node holding the checkpoints.
    let body: serde_json::Value = http()
        .get(t.url("/v1/audit/verify"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["valid"], false, "{body}");
    assert_eq!(body["first_broken"], first_missing, "{body}");
    assert!(
        body["problem"].as_str().unwrap().contains("missing"),
        "{body}"
    );
    t.service.shutdown().await.unwrap();
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("entry {first_missing} is missing")),
        "{text}"
    );

    // A checkpoint line moved back to hide the cut does not authenticate.
    let log = t.dir.path().join("audit-checkpoints.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let forged = text.replace(&format!(" {head} "), &format!(" {} ", head - 4));
    std::fs::write(&log, forged).unwrap();
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(!ok, "{text}");
    assert!(text.contains("not an authentic checkpoint"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_verifies_across_the_boundary_and_tampering_after_it_is_caught() {
    let t = TestService::demo().await;
    audited_reads(&t.service.base_url(), &t.token(Role::Operator), 2).await;
    let s = stopped(t).await;
    let old_key = std::fs::read_to_string(s.dir.path().join("audit.key")).unwrap();

    let (ok, text) = audit_command("rotate-key", s.dir.path(), s.database.as_deref());
    assert!(ok, "{text}");
    assert!(text.contains("retired"), "{text}");
    let new_key = std::fs::read_to_string(s.dir.path().join("audit.key")).unwrap();
    assert_ne!(old_key, new_key);
    let retired: Vec<_> = std::fs::read_dir(s.dir.path().join("audit-keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert_eq!(std::fs::read_to_string(&retired[0]).unwrap(), old_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&retired[0], &s.dir.path().join("audit.key")] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
    }

    // New entries under the new key.
    let t = restarted(s).await;
    audited_reads(&t.service.base_url(), &t.token(Role::Operator), 2).await;
    let entries = audit_entries(&t.service.base_url(), &t.token(Role::Auditor)).await;
    let key_id = |e: &serde_json::Value| {
        let hash = e["hash"].as_str().unwrap();
        hash.split(':').nth(1).unwrap().to_string()
    };
    let rotation = entries
        .iter()
        .position(|e| e["action"] == "audit.key_rotated")
        .expect("the rotation is in the log");
    let (before, after) = (key_id(&entries[rotation - 1]), key_id(&entries[rotation]));
    assert_ne!(before, after, "entries name the key that made them");
    assert_eq!(key_id(entries.last().unwrap()), after);
    let verified: serde_json::Value = http()
        .get(t.url("/v1/audit/verify"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
    let head = entries.last().unwrap()["seq"].as_u64().unwrap();
    t.service.shutdown().await.unwrap();
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(ok, "{text}");

    // An entry written under the new key edited: caught, and named.
    tamper_store(
        t.dir.path(),
        t.database.as_deref(),
        &format!("UPDATE audit SET target = 'CBP-2026-0000001' WHERE seq = {head}"),
    )
    .await;
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("entry {head}")), "{text}");

    // Without the retired key the entries it made no longer verify: the ring is what verifies.
    tamper_store(
        t.dir.path(),
        t.database.as_deref(),
        &format!(
            "UPDATE audit SET target = '{}' WHERE seq = {head}",
            entries.last().unwrap()["target"].as_str().unwrap()
        ),
    )
    .await;
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(ok, "{text}");
    std::fs::remove_dir_all(t.dir.path().join("audit-keys")).unwrap();
    let (ok, text) = audit_command("verify", t.dir.path(), t.database.as_deref());
    assert!(!ok, "{text}");
    assert!(text.contains("entry 1 "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_exports_are_audited_with_actor_address_and_purpose() {
    let t = TestService::demo().await;
    let (url, auditor) = (t.service.base_url(), t.token(Role::Auditor));
    let operator = t.token(Role::Operator);
    let post = |token: &str, body: serde_json::Value| {
        http()
            .post(t.url("/v1/audit/exports"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let ids = ["CBP-2026-0000001", "CBP-2026-0000002"];
    let resp = post(
        &operator,
        serde_json::json!({"kind": "requests", "purpose": "verifica mensile", "rows": 2, "ids": ids}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::NO_CONTENT);
    let entries = audit_entries(&url, &auditor).await;
    let export = entries.last().unwrap();
    assert_audited(
        export,
        "export.csv",
        &t.credentials.for_role(Role::Operator).unwrap().username,
    );
    assert_eq!(
        export["target"],
        "requests rows=2 ids=CBP-2026-0000001,CBP-2026-0000002 purpose: verifica mensile"
    );

    // No purpose, no export; too many ids for one call; ids with figures.
    for (body, field) in [
        (
            serde_json::json!({"kind": "requests", "purpose": "  ", "rows": 1}),
            "purpose",
        ),
        (
            serde_json::json!({"kind": "requests", "purpose": "x\u{202e}y", "rows": 1}),
            "purpose",
        ),
        (
            serde_json::json!({"kind": "requests", "purpose": "p", "rows": 1, "ids": ids}),
            "ids",
        ),
        (
            serde_json::json!({"kind": "dashboard", "purpose": "p", "rows": 3, "ids": ids}),
            "ids",
        ),
    ] {
        let resp = post(&operator, body.clone()).await.unwrap();
        assert_eq!(
            resp.status(),
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    let anonymous = http()
        .post(t.url("/v1/audit/exports"))
        .json(&serde_json::json!({"kind": "dashboard", "purpose": "p", "rows": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(audit_entries(&url, &auditor).await.len(), entries.len());

    // `combipat dashboard --csv` and `report quality` through the service audit theirs.
    let supervisor = t.token(Role::Supervisor);
    for (args, target) in [
        (
            vec!["dashboard", "--csv", "--purpose", "riunione di sede"],
            "purpose: riunione di sede",
        ),
        (
            vec!["report", "quality", "--year", "2026", "--csv"],
            "purpose: rapporto qualità",
        ),
    ] {
        let mut all = vec!["--server", &url, "--token", &supervisor];
        all.extend(args);
        let out = common::run_combipat(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let last = audit_entries(&url, &auditor).await.pop().unwrap();
        let supervisor_name = &t.credentials.for_role(Role::Supervisor).unwrap().username;
        assert_audited(&last, "export.csv", supervisor_name);
        assert!(last["target"].as_str().unwrap().contains(target), "{last}");
    }
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workstation_list_export_is_audited_before_the_file_is_written() {
    use combipat::client::{Client, ClientOptions};
    use combipat::tui::app::perform;
    use combipat::tui::gateway::{Gateway, LocalGateway};
    use combipat::tui::headless::Headless;
    use combipat::tui::remote::ClientGateway;
    use combipat::tui::state::{Operator, State};
    use combipat::tui::theme::Theme;
    use combipat::tui::update::Effect;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    async fn press_e(
        gateway: &dyn Gateway,
        data_dir: &Path,
        rows: Vec<combipat::api::RequestSummary>,
    ) -> Headless {
        let operator = Operator {
            username: "m.rossi".into(),
            office: "RM01".into(),
        };
        let mut state = State::new(combipat::i18n::Lang::It, operator, jiff::Timestamp::now());
        state.data_dir = Some(data_dir.to_path_buf());
        // Every open request of the office.
        state.queue_cursor = state
            .queues
            .iter()
            .position(|q| matches!(q, combipat::tui::state::Queue::All))
            .unwrap();
        let mut h = Headless::new(state, 160, 48, Theme::default());
        h.send(combipat::tui::update::Msg::Loaded(rows));
        h.press(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE));
        while !h.effects.is_empty() {
            for effect in std::mem::take(&mut h.effects) {
                assert!(
                    !matches!(effect, Effect::WriteFile { .. }),
                    "the list export is never written unaudited"
                );
                for msg in perform(effect, gateway).await {
                    h.send(msg);
                }
            }
        }
        h
    }

    let t = TestService::demo().await;
    // A patronato's subject that a spreadsheet would run as a formula (issue 12 point 9).
    let formula = "=HYPERLINK(\"http://evil.example\",\"apri\")";
    let filed = http()
        .post(t.url("/v1/requests"))
        .bearer_auth(t.token(Role::Patronato))
        .json(&serde_json::json!({
            "office": "RM01", "topic": "pensioni", "citizen": "RSSMRA85T10A562S",
            "subject": formula, "body": "Si chiede lo stato della pratica.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), reqwest::StatusCode::CREATED);
    let client = Client::new(
        &t.service.base_url(),
        &t.token(Role::Operator),
        ClientOptions::default(),
    )
    .unwrap();
    let rows = client.list_all_requests(&Default::default()).await.unwrap();
    assert!(!rows.is_empty());
    let gateway = ClientGateway::new(client);
    let exports = tempfile::tempdir().unwrap();
    let h = press_e(&gateway, exports.path(), rows.clone()).await;
    let written: Vec<_> = std::fs::read_dir(exports.path().join("exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let csv = std::fs::read_to_string(&written[0]).unwrap();
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    assert!(
        !csv.split(['\n', ';'])
            .any(|cell| cell.trim_start_matches('"').starts_with('=')),
        "{csv}"
    );
    let entry = audit_entries(&t.service.base_url(), &t.token(Role::Auditor))
        .await
        .pop()
        .unwrap();
    assert_audited(
        &entry,
        "export.csv",
        &t.credentials.for_role(Role::Operator).unwrap().username,
    );
    let target = entry["target"].as_str().unwrap();
    let shown = h.state.visible.len();
    assert!(
        target.starts_with(&format!("requests rows={shown} ids=")),
        "{target}"
    );
    assert!(
        target.contains(h.state.requests[h.state.visible[0]].id.as_str()),
        "{target}"
    );
    assert!(
        target.contains("purpose: esportazione elenco dalla postazione"),
        "{target}"
    );

    // No service to record it: no file.
    let offline = tempfile::tempdir().unwrap();
    let local = LocalGateway::new("m.rossi", rows);
    let h = press_e(&local, offline.path(), local.list().await.unwrap()).await;
    assert!(!offline.path().join("exports").exists());
    let notice = h.state.notice.as_ref().map(|n| n.text.clone());
    assert!(
        notice.as_deref().is_some_and(|n| n.contains("audit")),
        "{notice:?}"
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_events_never_deletes_audit_entries() {
    let t = TestService::demo().await;
    let auditor = t.token(Role::Auditor);
    let before = audit_entries(&t.service.base_url(), &auditor).await;
    let store = t.service.store();
    let (events_head, _) = store.heads().await.unwrap();
    assert!(store.prune_events(events_head).await.unwrap() > 0);
    let after = audit_entries(&t.service.base_url(), &auditor).await;
    assert_eq!(before, after);
    // Nor can the store itself delete them: the append-only trigger refuses.
    match &t.database {
        None => {
            let conn = rusqlite::Connection::open(t.dir.path().join("combipat.sqlite3")).unwrap();
            let refused = conn.execute("DELETE FROM audit WHERE seq = 1", []);
            assert!(refused.unwrap_err().to_string().contains("append-only"));
        }
        Some(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let driver = tokio::spawn(connection);
            let refused = client
                .batch_execute("DELETE FROM audit WHERE seq = 1")
                .await;
            assert!(format!("{:?}", refused.unwrap_err()).contains("append-only"));
            drop(client);
            let _ = driver.await;
        }
    }
    t.service.shutdown().await.unwrap();
}
