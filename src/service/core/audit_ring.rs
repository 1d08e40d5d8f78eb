//! Verifying the audit chain: the key ring (the current key and the retired ones, kept for
//! verification only) and the checkpoints that anchor the chain's head outside the database.
//!
//! Every entry's hash is an HMAC under a key the database never sees, so an edited or
//! recomputed entry is caught by recomputing the chain. What the chain alone cannot show is a
//! tail cut off: deleting the newest N entries leaves a shorter chain that still verifies.
//! A [`Checkpoint`] — the sequence number and hash of the head at some instant, HMAC'd under the
//! audit key and kept in an append-only file beside the key (`service::audit_checkpoint`) — is
//! the anchor a database writer cannot forge: the chain must still contain every checkpointed
//! entry, with the same hash.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::journal::{self, AuditKey, GENESIS_HASH, KEYED_PREFIX};
use crate::service::store::{AuditRecord, ReadTx, StoreError};

/// The keys audit entries are written and verified with.
#[derive(Debug, Clone)]
pub struct AuditKeyRing {
    /// New entries and checkpoints are HMACs under this key.
    pub current: AuditKey,
    /// Keys rotated out: they verify the entries they made, and write nothing.
    pub retired: Vec<AuditKey>,
}

impl AuditKeyRing {
    pub fn new(current: AuditKey, retired: Vec<AuditKey>) -> Self {
        AuditKeyRing { current, retired }
    }

    fn keys(&self) -> impl Iterator<Item = &AuditKey> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    /// The key of the ring with this id.
    pub fn by_id(&self, id: &str) -> Option<&AuditKey> {
        self.keys().find(|key| key.id() == id)
    }
}

/// What a checkpoint line vouches for: the audit head at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: String,
    pub at: Timestamp,
}

/// First word of a checkpoint line (and of what its HMAC covers, so that it can never be taken
/// for an entry's HMAC).
pub const CHECKPOINT_TAG: &str = "combipat-audit-checkpoint-v1";

impl Checkpoint {
    /// `combipat-audit-checkpoint-v1 <seq> <hash> <at> <key id> <hmac>`: one line, HMAC'd under
    /// the ring's current key.
    pub fn to_line(&self, key: &AuditKey) -> String {
        let (seq, at) = (self.seq.to_string(), self.at.to_string());
        let mac = key.mac(&[CHECKPOINT_TAG, &seq, &self.hash, &at]);
        format!(
            "{CHECKPOINT_TAG} {seq} {} {at} {} {mac}",
            self.hash,
            key.id()
        )
    }

    /// A line written by [`Checkpoint::to_line`] under a key of `ring`; `None` when it is not
    /// one (garbled, unknown key, or an HMAC that does not match: forged or altered).
    pub fn from_line(line: &str, ring: &AuditKeyRing) -> Option<Checkpoint> {
        let mut words = line.split(' ');
        let (tag, seq, hash, at, key_id, mac) = (
            words.next()?,
            words.next()?,
            words.next()?,
            words.next()?,
            words.next()?,
            words.next()?,
        );
        if tag != CHECKPOINT_TAG || words.next().is_some() {
            return None;
        }
        let key = ring.by_id(key_id)?;
        if key.mac(&[CHECKPOINT_TAG, seq, hash, at]) != mac {
            return None;
        }
        Some(Checkpoint {
            seq: seq.parse().ok()?,
            hash: hash.to_string(),
            at: at.parse().ok()?,
        })
    }
}

/// Why the audit log does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// Entry `seq` does not match its recomputed hash or its predecessor: edited, inserted, or
    /// rewritten without the key.
    Altered { seq: u64 },
    /// Entries from `seq` on are gone: a checkpoint written at `checkpointed_at` vouches for
    /// entry `checkpointed_seq`, past the newest one in the database (the tail was truncated).
    Missing {
        seq: u64,
        checkpointed_seq: u64,
        checkpointed_at: Timestamp,
    },
    /// Entry `seq` verifies in the chain but is not the entry a checkpoint vouched for.
    DiffersFromCheckpoint {
        seq: u64,
        checkpointed_at: Timestamp,
    },
    /// Line `line` of the checkpoint file is not an authentic checkpoint.
    ForgedCheckpoint { line: usize },
}

impl AuditProblem {
    /// The first entry that is bad or missing (none for a bad checkpoint line).
    pub fn entry(&self) -> Option<u64> {
        match self {
            AuditProblem::Altered { seq }
            | AuditProblem::Missing { seq, .. }
            | AuditProblem::DiffersFromCheckpoint { seq, .. } => Some(*seq),
            AuditProblem::ForgedCheckpoint { .. } => None,
        }
    }
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::Altered { seq } => write!(
                f,
                "entry {seq} does not verify; the log was altered at or before entry {seq}"
            ),
            AuditProblem::Missing {
                seq,
                checkpointed_seq,
                checkpointed_at,
            } => write!(
                f,
                "entry {seq} is missing: a checkpoint of {checkpointed_at} vouches for entries up \
                 to {checkpointed_seq}; the newest entries were deleted"
            ),
            AuditProblem::DiffersFromCheckpoint {
                seq,
                checkpointed_at,
            } => write!(
                f,
                "entry {seq} is not the one the checkpoint of {checkpointed_at} vouches for; \
                 the log was rewritten"
            ),
            AuditProblem::ForgedCheckpoint { line } => write!(
                f,
                "line {line} of the checkpoint file is not an authentic checkpoint"
            ),
        }
    }
}

/// Result of recomputing the audit hash chain against the checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries that verified, from the first.
    pub entries: u64,
    /// First seq that is bad or missing, if any.
    pub first_broken: Option<u64>,
    /// What is wrong, if anything.
    pub problem: Option<AuditProblem>,
    /// Authentic checkpoints checked.
    pub checkpoints: u64,
}

impl AuditVerification {
    pub fn is_valid(&self) -> bool {
        self.problem.is_none()
    }

    fn failed(entries: u64, checkpoints: u64, problem: AuditProblem) -> Self {
        AuditVerification {
            entries,
            first_broken: problem.entry(),
            problem: Some(problem),
            checkpoints,
        }
    }
}

/// The checkpoint file's lines authenticated: the checkpoints, or the first line that is not
/// authentic (1-based). Blank lines are skipped.
pub fn authenticate(lines: &[String], ring: &AuditKeyRing) -> Result<Vec<Checkpoint>, usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| Checkpoint::from_line(line.trim_end(), ring).ok_or(n + 1))
        .collect()
}

/// The hash `record` should have after `prev`, under the key its hash names; `None` when no
/// key of the ring can have made it.
fn expected_hash(record: &AuditRecord, prev: &str, ring: Option<&AuditKeyRing>) -> Option<String> {
    let fields = |key: &AuditKey| {
        journal::keyed_chain_mac(
            key,
            prev,
            record.seq,
            &record.at,
            &record.actor,
            record.role.code(),
            &record.action,
            &record.target,
            record.remote_addr.as_deref(),
        )
    };
    match (record.hash.strip_prefix(KEYED_PREFIX), ring) {
        (Some(keyed), Some(ring)) => match keyed.split_once(':') {
            Some((key_id, _)) => ring
                .by_id(key_id)
                .map(|key| format!("{KEYED_PREFIX}{key_id}:{}", fields(key))),
            // Written before keys had ids: any key of the ring may have made it.
            None => ring
                .keys()
                .map(|key| format!("{KEYED_PREFIX}{}", fields(key)))
                .find(|hash| *hash == record.hash),
        },
        // With a key every entry must be an HMAC under it: a plain SHA-256 entry is what
        // someone who rewrote the log without the key would produce. Without a key (tests, and
        // stores opened without a data dir) only plain entries verify.
        (Some(_), None) | (None, Some(_)) => None,
        (None, None) => Some(journal::chain_hash(
            prev,
            record.seq,
            &record.at,
            &record.actor,
            record.role.code(),
            &record.action,
            &record.target,
            record.remote_addr.as_deref(),
        )),
    }
}

/// Recomputes every hash from the genesis, then checks that every checkpointed entry is still
/// there with the hash it had; reports the first problem.
pub fn verify_chain(
    tx: &mut dyn ReadTx,
    ring: Option<&AuditKeyRing>,
    checkpoints: &[Checkpoint],
) -> Result<AuditVerification, StoreError> {
    let count = checkpoints.len() as u64;
    // Several checkpoints of one entry (after an idle period) vouch for the same hash; the
    // newest is kept only for the message.
    let mut vouched: BTreeMap<u64, Vec<&Checkpoint>> = BTreeMap::new();
    for checkpoint in checkpoints {
        vouched.entry(checkpoint.seq).or_default().push(checkpoint);
    }
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut after = 0;
    let mut entries = 0;
    loop {
        let batch = tx.audit_after(after, 1000)?;
        if batch.is_empty() {
            break;
        }
        for record in batch {
            let sound = record.prev_hash == expected_prev
                && expected_hash(&record, &expected_prev, ring).as_deref()
                    == Some(record.hash.as_str());
            if !sound {
                let problem = AuditProblem::Altered { seq: record.seq };
                return Ok(AuditVerification::failed(entries, count, problem));
            }
            if let Some(differing) = vouched
                .get(&record.seq)
                .and_then(|cps| cps.iter().find(|cp| cp.hash != record.hash))
            {
                let problem = AuditProblem::DiffersFromCheckpoint {
                    seq: record.seq,
                    checkpointed_at: differing.at,
                };
                return Ok(AuditVerification::failed(entries, count, problem));
            }
            entries += 1;
            after = record.seq;
            expected_prev = record.hash;
        }
    }
    if let Some((&checkpointed_seq, cps)) = vouched.range(after + 1..).next_back() {
        let problem = AuditProblem::Missing {
            seq: after + 1,
            checkpointed_seq,
            checkpointed_at: cps
                .iter()
                .map(|cp| cp.at)
                .max()
                .unwrap_or(Timestamp::UNIX_EPOCH),
        };
        return Ok(AuditVerification::failed(entries, count, problem));
    }
    Ok(AuditVerification {
        entries,
        first_broken: None,
        problem: None,
        checkpoints: count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuditKey {
        AuditKey::new(vec![byte; 32]).unwrap()
    }

    #[test]
    fn checkpoint_lines_authenticate_only_under_a_key_of_the_ring() {
        let ring = AuditKeyRing::new(key(2), vec![key(1)]);
        let checkpoint = Checkpoint {
            seq: 42,
            hash: format!("{KEYED_PREFIX}{}:{}", key(1).id(), "ab".repeat(32)),
            at: "2026-12-01T10:00:00Z".parse().unwrap(),
        };
        let old = checkpoint.to_line(&key(1));
        let new = checkpoint.to_line(&key(2));
        assert_eq!(
            Checkpoint::from_line(&old, &ring).as_ref(),
            Some(&checkpoint)
        );
        assert_eq!(
            Checkpoint::from_line(&new, &ring).as_ref(),
            Some(&checkpoint)
        );
        assert_eq!(
            Checkpoint::from_line(&checkpoint.to_line(&key(3)), &ring),
            None
        );
        // A checkpoint moved back to hide a truncation no longer authenticates.
        let moved = new.replacen(" 42 ", " 30 ", 1);
        assert_eq!(Checkpoint::from_line(&moved, &ring), None);
        assert_eq!(
            authenticate(&[new.clone(), String::new(), moved], &ring),
            Err(3)
        );
        assert_eq!(authenticate(&[new], &ring).map(|c| c.len()), Ok(1));
    }

    #[test]
    fn key_ids_differ_per_key_and_name_no_key_bytes() {
        assert_ne!(key(1).id(), key(2).id());
        assert_eq!(key(1).id().len(), 16);
        assert!(!key(1).to_hex().contains(&key(1).id()));
    }
}
