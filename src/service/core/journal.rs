//! The outbox and the hash-chained audit log: what an entry holds and how the chain is
//! computed and verified. The stores only keep the rows.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::access;
use super::{AuditVerification, EventBatch};
use crate::api::{AuditEntry, EventEnvelope};
use crate::domain::roles::{Operator, Role};
use crate::service::store::{AuditRecord, NewEvent, ReadTx, StoreError, WriteTx};

/// Event kind telling open streams to re-check their caller's token (never sent to clients).
pub const TOKEN_REVOKED: &str = "token.revoked";

/// Hash of the chain's first `prev_hash`.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// The system actor of audit entries written by admin commands and imports.
pub fn system() -> Operator {
    Operator {
        username: "system".into(),
        full_name: "combipat".into(),
        role: Role::Admin,
        office: None,
        region: None,
        patronato: None,
    }
}

/// Appends one audit entry chained to the newest one. Writes are serialised by the store, so
/// the head read here is the head the entry is appended to.
pub fn audit(
    tx: &mut dyn WriteTx,
    who: &Operator,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (prev_seq, prev_hash) = tx.audit_head()?.unwrap_or((0, GENESIS_HASH.to_string()));
    let seq = prev_seq + 1;
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
    tx.append_audit(&AuditRecord {
        seq,
        at,
        actor: who.username.clone(),
        role: who.role,
        action: action.to_string(),
        target: target.to_string(),
        remote_addr: remote_addr.map(str::to_string),
        prev_hash,
        hash,
    })
}

pub fn entry(record: AuditRecord) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: record.seq,
        at: record
            .at
            .parse()
            .map_err(|_| StoreError::corrupt("audit time", &record.at))?,
        actor: record.actor,
        role: record.role,
        action: record.action,
        target: record.target,
        remote_addr: record.remote_addr,
        hash: record.hash,
    })
}

/// Recomputes every hash from the genesis and reports the first entry that does not match.
pub fn verify_chain(tx: &mut dyn ReadTx) -> Result<AuditVerification, StoreError> {
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut after = 0;
    let mut entries = 0;
    loop {
        let batch = tx.audit_after(after, 1000)?;
        if batch.is_empty() {
            return Ok(AuditVerification {
                entries,
                first_broken: None,
            });
        }
        for record in batch {
            let recomputed = chain_hash(
                &expected_prev,
                record.seq,
                &record.at,
                &record.actor,
                record.role.code(),
                &record.action,
                &record.target,
                record.remote_addr.as_deref(),
            );
            if record.prev_hash != expected_prev || recomputed != record.hash {
                return Ok(AuditVerification {
                    entries,
                    first_broken: Some(record.seq),
                });
            }
            entries += 1;
            after = record.seq;
            expected_prev = record.hash;
        }
    }
}

/// Events after `after` that `who` may see, at most `limit`; a cursor before the oldest kept
/// event (or past the newest ever assigned) asks for a resync.
pub fn events_after(
    tx: &mut dyn ReadTx,
    who: &Operator,
    after: u64,
    limit: u32,
) -> Result<EventBatch, StoreError> {
    let bounds = tx.event_bounds()?;
    let first_needed = after + 1;
    let pruned = match bounds.lowest_kept {
        Some(lowest) => lowest > first_needed,
        None => after < bounds.highest,
    };
    if pruned || after > bounds.highest {
        return Ok(EventBatch {
            events: vec![],
            cursor: bounds.highest,
            resync: true,
            more: false,
            reauthenticate: false,
        });
    }
    let read: Vec<EventEnvelope> =
        tx.events(&access::event_filter(who), after, bounds.highest, limit)?;
    let full = read.len() >= limit as usize;
    let cursor = match (full, read.last()) {
        (true, Some(last)) => last.seq,
        _ => bounds.highest,
    };
    let reauthenticate = read.iter().any(|e| e.kind == TOKEN_REVOKED);
    let events = read
        .into_iter()
        .filter(|e| e.kind != TOKEN_REVOKED)
        .map(|event| access::event_for(who, event))
        .collect();
    Ok(EventBatch {
        events,
        cursor,
        resync: false,
        more: full,
        reauthenticate,
    })
}

/// Appends an event of the system (not about one request).
pub fn system_event(
    tx: &mut dyn WriteTx,
    kind: &str,
    data: serde_json::Value,
    now: Timestamp,
) -> Result<u64, StoreError> {
    tx.append_event(&NewEvent {
        at: now,
        kind: kind.to_string(),
        request_id: None,
        office: None,
        patronato: None,
        internal: true,
        data,
    })
}
