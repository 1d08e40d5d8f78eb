//! Presence announcements: a `presence` event in the outbox, visible to INPS staff whose scope
//! covers the request (never to patronato clients).

use jiff::Timestamp;
use rusqlite::Transaction;

use super::journal::{self, NewEvent};
use super::rows;
use crate::api::{PresenceActivity, PresenceEvent};
use crate::domain::request::RequestId;
use crate::domain::roles::Operator;
use crate::service::store::StoreError;

/// Appends the event; `NotFound` when the request is outside the caller's read scope.
pub fn announce(
    tx: &Transaction<'_>,
    who: &Operator,
    id: &RequestId,
    activity: PresenceActivity,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stored = rows::load_request(tx, who, id)?.ok_or(StoreError::NotFound)?;
    let data = serde_json::to_value(PresenceEvent {
        user: who.username.clone(),
        name: who.full_name.clone(),
        activity,
    })?;
    journal::append_event(
        tx,
        NewEvent {
            kind: "presence",
            request_id: Some(&stored.request.id),
            office: Some(&stored.request.office),
            patronato: Some(&stored.request.patronato),
            internal: true,
            data,
        },
        now,
    )?;
    Ok(())
}
