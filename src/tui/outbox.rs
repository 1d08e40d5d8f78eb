//! The offline outbox: writes the service could not be reached for, kept on disk with the
//! idempotency key of their first attempt and sent again, in the order they were made, once
//! the service answers.
//!
//! - A write that fails as unreachable (connection refused or broken, timeout, 502–504)
//!   becomes a [`Queued`] entry. While entries wait (or the event stream says the service is
//!   gone) new writes join the queue instead of overtaking it.
//! - The workstation shows each queued write as already made (the status machine applied to
//!   the row), so the operator can take and then reply, and the count `in attesa di invio (N)`.
//! - Replay sends the head only; its answer decides the next step. A replayed write carries
//!   the key of its first attempt, so one the service applied before the connection broke is
//!   answered from the service's idempotency record, never applied twice.
//! - A refusal (409, 412, 403, 404, 422) moves the entry to [`Outbox::refused`], shown on the
//!   request with the reason; the text of a refused message goes back into the request's
//!   draft. The entries after it are still sent.
//!
//! The file (`<data dir>/outbox.json`) is written whole (temporary sibling, then rename) and
//! private (0600), like the drafts.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::{ActionBody, RequestSummary};
use crate::domain::request::{MessageKind, RequestId};

/// Name of the outbox file in the workstation's data dir.
pub const FILE: &str = "outbox.json";

/// After a replay finds the service still unreachable, the next try waits this long (a
/// reconnection of the event stream tries at once).
pub const RETRY_SECONDS: i64 = 10;

/// The write itself, as the service receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum Write {
    /// `POST /v1/requests/{id}/actions`.
    Act { body: ActionBody },
    /// `POST /v1/requests/{id}/messages`.
    Message { kind: MessageKind, text: String },
}

impl Write {
    /// Catalog key naming the write for the operator (`outbox.what.*`).
    pub fn what_key(&self) -> &'static str {
        match self {
            Write::Act { body } => match body {
                ActionBody::Take => "outbox.what.take",
                ActionBody::Release => "outbox.what.release",
                ActionBody::Assign { .. } => "outbox.what.assign",
                ActionBody::Forward { .. } => "outbox.what.forward",
                ActionBody::Close { .. } => "outbox.what.close",
                ActionBody::Reopen { .. } => "outbox.what.reopen",
                ActionBody::Tag { .. } => "outbox.what.tag",
                ActionBody::Untag { .. } => "outbox.what.untag",
                ActionBody::BookAppointment { .. } => "outbox.what.appointment",
            },
            Write::Message { kind, .. } => match kind {
                MessageKind::InternalNote => "outbox.what.note",
                MessageKind::IntegrationRequest => "outbox.what.integration",
                MessageKind::Reply | MessageKind::PatronatoMessage => "outbox.what.reply",
            },
        }
    }
}

/// One write waiting for the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// The `Idempotency-Key` of the first attempt, sent again with every replay.
    pub key: String,
    pub id: RequestId,
    /// The version the operator acted on, as the workstation showed it (its own queued writes
    /// included).
    pub based_on: u64,
    /// The version to send instead, once an earlier write of this queue to the same request
    /// was applied and the service said which version it made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_version: Option<u64>,
    pub write: Write,
    pub queued_at: Timestamp,
}

impl Queued {
    /// The `If-Match` version to send.
    pub fn version(&self) -> u64 {
        self.send_version.unwrap_or(self.based_on)
    }
}

/// A queued write the service refused when it was replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub action: Queued,
    /// Catalog key of the reason (`error.*`).
    pub reason: String,
    pub refused_at: Timestamp,
}

/// Everything the outbox file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outbox {
    /// Writes still to send, oldest first.
    #[serde(default)]
    pub pending: Vec<Queued>,
    /// Writes the service refused on replay, kept for the operator to see.
    #[serde(default)]
    pub refused: Vec<Refused>,
    /// A replay is under way (one write at a time); not kept on disk.
    #[serde(skip)]
    pub replaying: bool,
    /// No replay before this instant (the last one found the service unreachable).
    #[serde(skip)]
    pub retry_at: Option<Timestamp>,
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.refused.is_empty()
    }

    /// The file's new contents; `None` when there is nothing to keep (the file is deleted).
    pub fn contents(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).ok()
    }

    /// The refused writes on request `id`, oldest first.
    pub fn refused_on<'a>(&'a self, id: &'a RequestId) -> impl Iterator<Item = &'a Refused> {
        self.refused.iter().filter(move |r| &r.action.id == id)
    }

    /// After the head was applied as version `made`: the next queued write on the same request,
    /// based on the version the head was shown to make, is sent against the real one.
    pub fn applied(&mut self, key: &str, made: u64) -> Option<Queued> {
        let at = self.pending.iter().position(|q| q.key == key)?;
        let head = self.pending.remove(at);
        if let Some(next) = self
            .pending
            .iter_mut()
            .find(|q| q.id == head.id && q.based_on == head.based_on + 1)
        {
            next.send_version = Some(made);
        }
        Some(head)
    }
}

/// Why the outbox file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The outbox file in `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The outbox kept in `data_dir` (empty when there is no file).
pub fn load(data_dir: &Path) -> Result<Outbox, OutboxError> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Outbox::default()),
        Err(source) => return Err(OutboxError::Read { path, source }),
    };
    serde_json::from_str(&text).map_err(|source| OutboxError::Parse { path, source })
}

/// Applies `write` to `row` as the service would (status machine, assignee, office, tags), so
/// the workstation shows a queued write as made; the version moves on by one, as the
/// service's would. `me` is the operator's username.
pub fn apply(row: &mut RequestSummary, me: &str, write: &Write) -> bool {
    let applied = match write {
        Write::Act { body } => crate::tui::gateway::apply_action(row, me, body).is_ok(),
        Write::Message { kind, .. } => row
            .status
            .apply(kind.transition())
            .map(|status| row.status = status)
            .is_ok(),
    };
    if applied {
        row.version += 1;
    }
    applied
}

/// `row` as the service will hold it once the queued writes are applied: each write based on
/// the row's version at that point is applied in order (a write the service already applied,
/// seen in a newer row, is skipped by its version).
pub fn overlaid(pending: &[Queued], mut row: RequestSummary, me: &str) -> RequestSummary {
    for queued in pending {
        if queued.id == row.id && queued.based_on == row.version {
            apply(&mut row, me, &queued.write);
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(id: &RequestId, based_on: u64, write: Write) -> Queued {
        Queued {
            key: format!("k{based_on}"),
            id: id.clone(),
            based_on,
            send_version: None,
            write,
            queued_at: "2026-03-16T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn the_file_round_trips_private_and_goes_when_empty() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(load(home.path()).unwrap(), Outbox::default());
        let id = RequestId::new(2026, 12);
        let mut outbox = Outbox::default();
        outbox.pending.push(queued(
            &id,
            3,
            Write::Act {
                body: ActionBody::Take,
            },
        ));
        outbox.pending.push(queued(
            &id,
            4,
            Write::Message {
                kind: MessageKind::Reply,
                text: "Gentile patronato,\nriga due".into(),
            },
        ));
        let file = path(home.path());
        crate::tui::drafts::write(&file, outbox.contents().as_deref()).unwrap();
        assert_eq!(load(home.path()).unwrap(), outbox);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The head applied as version 9 (someone else wrote meanwhile): the reply follows it.
        let head = outbox.applied("k3", 9).unwrap();
        assert_eq!(head.based_on, 3);
        assert_eq!(outbox.pending[0].version(), 9);
        outbox.pending.clear();
        assert_eq!(outbox.contents(), None);
        crate::tui::drafts::write(&file, outbox.contents().as_deref()).unwrap();
        assert!(!file.exists());
        std::fs::write(&file, "{ not json").unwrap();
        assert!(matches!(load(home.path()), Err(OutboxError::Parse { .. })));
    }

    #[test]
    fn a_queued_take_and_reply_show_as_made_until_the_service_has_them() {
        let now: Timestamp = "2026-03-16T10:00:00Z".parse().unwrap();
        let mut row = crate::tui::fixture::requests(1, now, "RM01", "x").remove(0);
        row.status = crate::domain::request::Status::Nuova;
        row.assignee = None;
        let v = row.version;
        let pending = vec![
            queued(
                &row.id,
                v,
                Write::Act {
                    body: ActionBody::Take,
                },
            ),
            queued(
                &row.id,
                v + 1,
                Write::Message {
                    kind: MessageKind::Reply,
                    text: "ok".into(),
                },
            ),
        ];
        let shown = overlaid(&pending, row.clone(), "m.rossi");
        assert_eq!(
            shown.status,
            crate::domain::request::Status::RispostaInviata
        );
        assert_eq!(shown.assignee.as_deref(), Some("m.rossi"));
        assert_eq!(shown.version, v + 2);
        // The service applied the take: only the reply is still to show.
        let mut taken = row.clone();
        assert!(apply(&mut taken, "m.rossi", &pending[0].write));
        let shown = overlaid(&pending, taken, "m.rossi");
        assert_eq!(shown.version, v + 2);
        // Someone else changed it meanwhile: nothing queued fits, the row shows as it is.
        let mut moved = row;
        moved.version += 5;
        assert_eq!(overlaid(&pending, moved.clone(), "m.rossi"), moved);
    }
}
