//! The outbox (`events`) and the hash-chained audit log.

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use sha2::{Digest, Sha256};

use super::rows::scope_clause;
use crate::api::{AuditEntry, EventEnvelope};
use crate::domain::request::RequestId;
use crate::domain::roles::{Operator, Role};
use crate::service::store::{AuditVerification, EventBatch, StoreError};

/// Hash of the chain's first `prev_hash`.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append in the current transaction.
pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub request_id: Option<&'a RequestId>,
    pub office: Option<&'a str>,
    pub patronato: Option<&'a str>,
    /// Visible to INPS staff only (never streamed to patronato clients).
    pub internal: bool,
    pub data: serde_json::Value,
}

pub fn append_event(
    tx: &Transaction<'_>,
    event: NewEvent<'_>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    tx.execute(
        "INSERT INTO events (at, kind, request_id, office, patronato, internal, data_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            now.to_string(),
            event.kind,
            event.request_id.map(RequestId::as_str),
            event.office,
            event.patronato,
            event.internal,
            event.data.to_string(),
        ],
    )?;
    Ok(tx.last_insert_rowid() as u64)
}

pub fn events_after(
    tx: &Transaction<'_>,
    who: &Operator,
    after: u64,
    limit: u32,
) -> Result<EventBatch, StoreError> {
    let highest_ever: i64 = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let lowest_kept: Option<i64> = tx.query_row("SELECT MIN(seq) FROM events", [], |r| r.get(0))?;
    let highest_ever = highest_ever as u64;
    let first_needed = after + 1;
    let pruned = match lowest_kept {
        Some(lowest) => (lowest as u64) > first_needed,
        None => after < highest_ever,
    };
    if pruned || after > highest_ever {
        return Ok(EventBatch {
            events: vec![],
            cursor: highest_ever,
            resync: true,
            more: false,
        });
    }
    let (scope, mut values) = scope_clause(who, "office", "patronato");
    let internal = if who.role == Role::Patronato {
        " AND internal = 0"
    } else {
        ""
    };
    let sql = format!(
        "SELECT seq, at, kind, request_id, office, data_json FROM events \
         WHERE seq > ? AND seq <= ? AND ({scope} OR kind = 'resync'){internal} \
         ORDER BY seq LIMIT ?"
    );
    values.insert(0, Value::Integer(highest_ever as i64));
    values.insert(0, Value::Integer(after as i64));
    values.push(Value::Integer(i64::from(limit)));
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        let at: String = row.get(1)?;
        let request_id: Option<String> = row.get(3)?;
        let data: String = row.get(5)?;
        events.push(EventEnvelope {
            seq: row.get::<_, i64>(0)? as u64,
            at: at
                .parse()
                .map_err(|_| StoreError::Task(format!("bad stored event time {at:?}")))?,
            kind: row.get(2)?,
            request_id: request_id.and_then(|id| RequestId::parse(&id).ok()),
            office: row.get(4)?,
            data: serde_json::from_str(&data)?,
        });
    }
    let full = events.len() >= limit as usize;
    let cursor = match (full, events.last()) {
        (true, Some(last)) => last.seq,
        _ => highest_ever,
    };
    Ok(EventBatch {
        events,
        cursor,
        resync: false,
        more: full,
    })
}

#[allow(clippy::too_many_arguments)] // the chained fields, in order
/// `sha256(prev_hash \n seq \n at \n actor \n role \n action \n target \n remote_addr)`, hex.
pub fn chain_hash(
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        at,
        actor,
        role,
        action,
        target,
        remote_addr.unwrap_or(""),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Appends one audit entry chained to the previous one.
pub fn audit(
    tx: &Transaction<'_>,
    who: &Operator,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let prev: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH.to_string()));
    let seq = prev_seq as u64 + 1;
    let at = now.to_string();
    let role = who.role.code();
    let hash = chain_hash(
        &prev_hash,
        seq,
        &at,
        &who.username,
        role,
        action,
        target,
        remote_addr,
    );
    tx.execute(
        "INSERT INTO audit (seq, at, actor, role, action, target, remote_addr, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq as i64,
            at,
            who.username,
            role,
            action,
            target,
            remote_addr,
            prev_hash,
            hash
        ],
    )?;
    Ok(())
}

type AuditRow = (AuditEntry, String, String);

fn audit_rows(tx: &Transaction<'_>, after: u64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT seq, at, actor, role, action, target, remote_addr, hash, prev_hash FROM audit \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after as i64, i64::from(limit)])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let at: String = row.get(1)?;
        let role: String = row.get(3)?;
        out.push((
            AuditEntry {
                seq: row.get::<_, i64>(0)? as u64,
                at: at
                    .parse()
                    .map_err(|_| StoreError::Task(format!("bad stored audit time {at:?}")))?,
                actor: row.get(2)?,
                role: Role::from_code(&role)
                    .ok_or_else(|| StoreError::Task(format!("bad stored role {role:?}")))?,
                action: row.get(4)?,
                target: row.get(5)?,
                remote_addr: row.get(6)?,
                hash: row.get(7)?,
            },
            row.get(8)?,
            at,
        ));
    }
    Ok(out)
}

pub fn audit_after(
    tx: &Transaction<'_>,
    after: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(audit_rows(tx, after, limit)?
        .into_iter()
        .map(|(entry, _, _)| entry)
        .collect())
}

/// Recomputes every hash from the genesis and reports the first entry that does not match.
pub fn verify_chain(tx: &Transaction<'_>) -> Result<AuditVerification, StoreError> {
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut after = 0;
    let mut entries = 0;
    loop {
        let batch = audit_rows(tx, after, 1000)?;
        if batch.is_empty() {
            return Ok(AuditVerification {
                entries,
                first_broken: None,
            });
        }
        for (entry, prev_hash, at) in batch {
            let recomputed = chain_hash(
                &expected_prev,
                entry.seq,
                &at,
                &entry.actor,
                entry.role.code(),
                &entry.action,
                &entry.target,
                entry.remote_addr.as_deref(),
            );
            if prev_hash != expected_prev || recomputed != entry.hash {
                return Ok(AuditVerification {
                    entries,
                    first_broken: Some(entry.seq),
                });
            }
            entries += 1;
            after = entry.seq;
            expected_prev = entry.hash;
        }
    }
}
