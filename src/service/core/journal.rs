//! The outbox and the hash-chained audit log: what an entry holds and how the chain is
//! computed and verified. The stores only keep the rows.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::EventBatch;
use super::access;
use crate::api::{AuditEntry, EventEnvelope};
use crate::domain::roles::{Operator, Role};
use crate::service::store::{AuditRecord, NewEvent, ReadTx, StoreError, WriteTx};

/// Event kind telling open streams to re-check their caller's token (never sent to clients).
pub const TOKEN_REVOKED: &str = "token.revoked";

/// Hash of the chain's first `prev_hash`.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an audit entry chains, in order, each followed by `\n`.
#[allow(clippy::too_many_arguments)] // the chained fields, in order
fn chained(
    mut update: impl FnMut(&[u8]),
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
) {
    let seq = seq.to_string();
    for part in [
        prev_hash,
        &seq,
        at,
        actor,
        role,
        action,
        target,
        remote_addr.unwrap_or(""),
    ] {
        update(part.as_bytes());
        update(b"\n");
    }
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
    chained(
        |bytes| hasher.update(bytes),
        prev_hash,
        seq,
        at,
        actor,
        role,
        action,
        target,
        remote_addr,
    );
    hex::encode(hasher.finalize())
}

/// Prefix of an entry hash that is an HMAC under the deployment's audit key. Entries written
/// since key rotation exists carry the key's id after it (`hmac-sha256:<key id>:<hex>`); older
/// ones only the HMAC (`hmac-sha256:<hex>`), verified against every key of the ring.
pub const KEYED_PREFIX: &str = "hmac-sha256:";

/// The secret that anchors the audit chain: kept outside the database (a 0600 file beside it
/// or the environment), so a database writer cannot recompute the chain after editing it.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// At least 32 bytes.
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 32).then_some(AuditKey(bytes))
    }

    /// A key as written in a key file or `COMBIPAT_AUDIT_KEY`: hex, at least 64 digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        hex::decode(text.trim()).ok().and_then(Self::new)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = vec![0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        AuditKey(bytes)
    }

    /// The key's public id (16 hex digits), named in the hashes and checkpoints it makes so the
    /// verifier knows which key of the ring to use. It reveals nothing about the key.
    pub fn id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"combipat audit key id\n");
        hasher.update(&self.0);
        hex::encode(&hasher.finalize()[..8])
    }

    /// HMAC-SHA256 under this key of `parts`, each followed by `\n`, as hex.
    pub fn mac(&self, parts: &[&str]) -> String {
        self.mac_with(|update| {
            for part in parts {
                update(part.as_bytes());
                update(b"\n");
            }
        })
    }

    fn mac_with(&self, feed: impl FnOnce(&mut dyn FnMut(&[u8]))) -> String {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        feed(&mut |bytes| mac.update(bytes));
        hex::encode(mac.finalize().into_bytes())
    }
}

#[allow(clippy::too_many_arguments)] // the chained fields, in order
/// [`chain_hash`]'s fields under HMAC-SHA256 with `key`, as `hmac-sha256:<key id>:<hex>`.
pub fn keyed_chain_hash(
    key: &AuditKey,
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
) -> String {
    let mac = keyed_chain_mac(
        key,
        prev_hash,
        seq,
        at,
        actor,
        role,
        action,
        target,
        remote_addr,
    );
    format!("{KEYED_PREFIX}{}:{mac}", key.id())
}

#[allow(clippy::too_many_arguments)] // the chained fields, in order
/// The bare HMAC of an entry's chained fields (hex), whatever prefix it is stored under.
pub fn keyed_chain_mac(
    key: &AuditKey,
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
) -> String {
    key.mac_with(|update| {
        chained(
            update,
            prev_hash,
            seq,
            at,
            actor,
            role,
            action,
            target,
            remote_addr,
        )
    })
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
    key: Option<&AuditKey>,
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
    let hash = match key {
        Some(key) => keyed_chain_hash(
            key,
            &prev_hash,
            seq,
            &at,
            &who.username,
            role,
            action,
            target,
            remote_addr,
        ),
        None => chain_hash(
            &prev_hash,
            seq,
            &at,
            &who.username,
            role,
            action,
            target,
            remote_addr,
        ),
    };
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

/// True when the events after `after` are no longer all stored (pruned), or `after` is past
/// the newest seq ever assigned (a cursor from another database): what changed since cannot
/// be told, only reloaded.
pub fn pruned(bounds: &crate::service::store::EventBounds, after: u64) -> bool {
    let first_needed = after.saturating_add(1);
    let gone = match bounds.lowest_kept {
        Some(lowest) => lowest > first_needed,
        None => after < bounds.highest,
    };
    gone || after > bounds.highest
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
    if pruned(&bounds, after) {
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
    let last = read.last().map(|e| e.seq);
    Ok(batch_for(who, read, limit, last, bounds.highest))
}

/// What a stream of `who` is sent of the events `read` (those its filter let through, at most
/// `limit`; `last_read` the seq of the last one looked at), and where it resumes: after the
/// last one when the batch is full (more may follow), else at `head`. A `token.revoked` event
/// is not sent; it makes the stream re-check its caller.
pub fn batch_for(
    who: &Operator,
    read: Vec<EventEnvelope>,
    limit: u32,
    last_read: Option<u64>,
    head: u64,
) -> EventBatch {
    batch_of(
        read,
        |e| &e.kind,
        |event| access::event_for(who, event),
        limit,
        last_read,
        head,
    )
}

/// [`batch_for`] of any event type: `kind` names each one, `send` makes what the stream gets.
pub fn batch_of<T, E>(
    read: Vec<T>,
    kind: impl Fn(&T) -> &str,
    send: impl FnMut(T) -> E,
    limit: u32,
    last_read: Option<u64>,
    head: u64,
) -> EventBatch<E> {
    let full = read.len() >= limit as usize;
    let cursor = match (full, last_read) {
        (true, Some(last)) => last,
        _ => head,
    };
    let reauthenticate = read.iter().any(|e| kind(e) == TOKEN_REVOKED);
    let events = read
        .into_iter()
        .filter(|e| kind(e) != TOKEN_REVOKED)
        .map(send)
        .collect();
    EventBatch {
        events,
        cursor,
        resync: false,
        more: full,
        reauthenticate,
    }
}

/// Deletes idempotency records and events older than `retention` allows at `now`; returns what
/// went and the highest event seq pruned. The audit log is not touched.
pub fn prune_expired(
    tx: &mut dyn WriteTx,
    retention: super::Retention,
    now: Timestamp,
) -> Result<(super::Pruned, Option<u64>), StoreError> {
    let before = |age: jiff::SignedDuration| -> Result<String, StoreError> {
        now.checked_sub(age)
            .map(|t| t.to_string())
            .map_err(|e| StoreError::Task(format!("retention: {e}")))
    };
    let idempotency_records = tx.prune_idempotency(&before(retention.idempotency)?)?;
    let up_to = tx.last_event_before(&before(retention.events)?)?;
    let events = match up_to {
        Some(up_to) => tx.prune_events(up_to)?,
        None => 0,
    };
    Ok((
        super::Pruned {
            idempotency_records,
            events,
        },
        up_to,
    ))
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
