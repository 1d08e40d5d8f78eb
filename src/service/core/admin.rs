//! Offices, operators, tokens and the bulk import of a dataset, each audited.

use jiff::Timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::IssuedToken;
use super::journal::{self, AuditKey, system};
use crate::domain::dataset::Dataset;
use crate::domain::office::Office;
use crate::domain::request::Request;
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::{StoreError, StoredRequest, TokenTarget, WriteTx};

/// Tokens are stored as the hex SHA-256 of the bearer string.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn already_exists(e: StoreError, what: String) -> StoreError {
    match e {
        StoreError::Duplicate => StoreError::Conflict(format!("{what} already exists")),
        other => other,
    }
}

pub fn create_office(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    office: &Office,
    now: Timestamp,
) -> Result<(), StoreError> {
    tx.insert_office(office)
        .map_err(|e| already_exists(e, format!("office {}", office.code)))?;
    journal::audit(tx, key, &system(), "office.create", &office.code, None, now)
}

/// What a user record must hold: a known office, an office for operators, a patronato code for
/// patronato clients.
fn check_operator(tx: &mut dyn WriteTx, op: &Operator) -> Result<(), StoreError> {
    if let Some(office) = &op.office
        && !tx.office_exists(office)?
    {
        return Err(StoreError::invalid(
            "office",
            format!("unknown office {office:?}"),
        ));
    }
    if op.role == Role::Operator && op.office.is_none() {
        return Err(StoreError::invalid("office", "an operator needs an office"));
    }
    if op.role == Role::Patronato && op.patronato.is_none() {
        return Err(StoreError::invalid(
            "patronato",
            "a patronato client needs a patronato code",
        ));
    }
    Ok(())
}

pub fn create_operator(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    op: &Operator,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_operator(tx, op)?;
    tx.insert_operator(op)
        .map_err(|e| already_exists(e, format!("user {}", op.username)))?;
    journal::audit(
        tx,
        key,
        &system(),
        "operator.create",
        &op.username,
        None,
        now,
    )
}

pub fn issue_token(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    username: &str,
    label: &str,
    now: Timestamp,
) -> Result<IssuedToken, StoreError> {
    if tx.operator(username)?.is_none() {
        return Err(StoreError::invalid(
            "username",
            format!("unknown user {username:?}"),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("cbp_{}", hex::encode(bytes));
    let id = tx.insert_token(&token_hash(&token), username, label, now)?;
    journal::audit(tx, key, &system(), "token.issue", username, None, now)?;
    Ok(IssuedToken { id, token })
}

pub fn revoke_tokens(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    target: &TokenTarget,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let n = tx.revoke_tokens(target, now)?;
    let what = match target {
        TokenTarget::Id(id) => format!("token {id}"),
        TokenTarget::Username(user) => format!("tokens of {user}"),
    };
    journal::audit(tx, key, &system(), "token.revoke", &what, None, now)?;
    // Every open event stream, on every node, re-checks its token when it reads this.
    journal::system_event(tx, journal::TOKEN_REVOKED, serde_json::json!({}), now)?;
    Ok(n)
}

/// Changes a user's name, role, office, region or patronato. Their open event streams, on every
/// node, re-check the caller and end, as for a revoked token: what they may see has changed.
pub fn update_operator(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    op: &Operator,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_operator(tx, op)?;
    if !tx.update_operator(op)? {
        return Err(StoreError::invalid(
            "username",
            format!("no user {:?}", op.username),
        ));
    }
    let what = format!(
        "{} role={} office={} region={} patronato={}",
        op.username,
        op.role.code(),
        op.office.as_deref().unwrap_or("-"),
        op.region.as_deref().unwrap_or("-"),
        op.patronato.as_deref().unwrap_or("-"),
    );
    journal::audit(tx, key, &system(), "operator.update", &what, None, now)?;
    journal::system_event(tx, journal::TOKEN_REVOKED, serde_json::json!({}), now)?;
    Ok(())
}

/// Imports a whole dataset in the caller's transaction; requests get their clocks replayed from
/// their history.
pub fn import(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    data: &Dataset,
    now: Timestamp,
    sla: &Sla,
) -> Result<(), StoreError> {
    let mut none = std::iter::empty();
    let more = ImportedRequests {
        chunks: &mut none,
        total: 0,
    };
    import_streamed(tx, key, data, more, now, sla, &|_| {})
}

/// Requests an import receives after its dataset's own, in chunks whose clocks are already
/// replayed (by [`replay_chunk`], on another thread while the previous chunk is written).
pub struct ImportedRequests<'a> {
    pub chunks: &'a mut dyn Iterator<Item = Vec<StoredRequest>>,
    /// How many `chunks` must yield in all: fewer (a producer that stopped) fails the import.
    pub total: usize,
}

/// `requests` as the store saves them: with their clocks replayed from their history.
pub fn replay_chunk(requests: Vec<Request>, sla: &Sla) -> Vec<StoredRequest> {
    requests
        .into_iter()
        .map(|request| StoredRequest {
            clocks: sla.replay(&request),
            request,
            appointments: vec![],
        })
        .collect()
}

/// [`import`] of `head` followed by `more`'s requests, in the caller's one transaction (all or
/// nothing); `progress` is told how many requests are written so far, after each chunk.
pub fn import_streamed(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    head: &Dataset,
    more: ImportedRequests<'_>,
    now: Timestamp,
    sla: &Sla,
    progress: &dyn Fn(usize),
) -> Result<(), StoreError> {
    for office in &head.offices {
        tx.insert_office(office)
            .map_err(|e| already_exists(e, format!("office {}", office.code)))?;
    }
    for op in &head.operators {
        tx.insert_operator(op)
            .map_err(|e| already_exists(e, format!("user {}", op.username)))?;
    }
    for citizen in &head.citizens {
        tx.insert_citizen(citizen)?;
    }
    for mandate in &head.mandates {
        tx.insert_mandate(mandate)?;
    }
    for (cf, application) in &head.applications {
        tx.insert_application(cf, application)?;
    }
    // Seeds load an empty store: the requests go in without their indexes, built once at the
    // end (still correct, only slower, were the table not empty).
    let bulk = tx.begin_bulk_load()?;
    for request in &head.requests {
        tx.save_request(&StoredRequest {
            request: request.clone(),
            appointments: vec![],
            clocks: sla.replay(request),
        })?;
    }
    let mut written = head.requests.len();
    progress(written);
    let mut streamed = 0;
    for chunk in more.chunks {
        for stored in &chunk {
            tx.save_request(stored)?;
        }
        streamed += chunk.len();
        progress(written + streamed);
    }
    if streamed != more.total {
        return Err(StoreError::Task(format!(
            "the import expected {} requests but received {streamed}",
            more.total
        )));
    }
    written += streamed;
    tx.end_bulk_load(bulk)?;
    journal::system_event(
        tx,
        "dataset.imported",
        serde_json::json!({ "requests": written }),
        now,
    )?;
    journal::audit(
        tx,
        key,
        &system(),
        "dataset.import",
        &format!("{written} requests"),
        None,
        now,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::demo::{DemoSize, generate_streamed};
    use crate::service::core::{App, Core, RequestSource};
    use crate::service::sla::Sla;
    use crate::service::store::sqlite::SqliteStore;

    fn now() -> jiff::Timestamp {
        "2026-11-23T16:00:00Z".parse().unwrap()
    }

    /// A streamed import writes every request and reports progress up to the total.
    #[tokio::test]
    async fn streamed_import_writes_every_request_and_reports_progress() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite3")).unwrap();
        let app = Core::new(store, Sla::embedded().unwrap());
        let (head, requests) = generate_streamed(4, DemoSize::with_requests(4_500), now());
        let total = requests.total();
        let seen = Arc::new(AtomicUsize::new(0));
        let last = Arc::clone(&seen);
        let source = RequestSource {
            requests: Box::new(requests),
            total,
        };
        app.import_streamed(
            head,
            source,
            Arc::new(move |n| last.store(n, Ordering::SeqCst)),
        )
        .await
        .unwrap();
        assert_eq!(seen.load(Ordering::SeqCst), 4_500);
        let db = rusqlite::Connection::open(dir.path().join("db.sqlite3")).unwrap();
        let count: i64 = db
            .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 4_500);
        // The indexes set aside for the load are all back, and the queries use them.
        assert_eq!(request_indexes(&db), migrated_request_indexes());
    }

    /// The names of the `requests` table's own indexes, sorted.
    fn request_indexes(db: &rusqlite::Connection) -> Vec<String> {
        let mut names = db
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' \
                 AND sql IS NOT NULL ORDER BY name",
            )
            .unwrap();
        names
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// [`request_indexes`] of a freshly migrated database.
    fn migrated_request_indexes() -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.sqlite3");
        drop(SqliteStore::open(&path).unwrap());
        let names = request_indexes(&rusqlite::Connection::open(&path).unwrap());
        assert!(names.len() >= 5, "{names:?}");
        names
    }

    /// A producer that stops short (fewer requests than announced) fails the whole import: the
    /// store is left empty, never half seeded.
    #[tokio::test]
    async fn a_streamed_import_that_falls_short_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite3")).unwrap();
        let app = Core::new(store, Sla::embedded().unwrap());
        let (head, requests) = generate_streamed(4, DemoSize::small(), now());
        let total = requests.total();
        let source = RequestSource {
            requests: Box::new(requests.take(total - 1)),
            total,
        };
        assert!(
            app.import_streamed(head, source, Arc::new(|_| {}))
                .await
                .is_err()
        );
        assert!(app.is_empty().await.unwrap());
        // The indexes the load set aside came back with the rollback.
        let db = rusqlite::Connection::open(dir.path().join("db.sqlite3")).unwrap();
        assert_eq!(request_indexes(&db), migrated_request_indexes());
    }
}
