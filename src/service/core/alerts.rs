//! SLA alerts: which clocks to watch, and raising an alert once per level with its event.
//! Presence announcements live here too: both are events about a request that change nothing
//! of it.

use std::collections::HashMap;

use jiff::Timestamp;

use super::access::scope_of;
use super::{SlaAlert, WatchedClock};
use crate::api::{PresenceActivity, PresenceEvent};
use crate::domain::request::RequestId;
use crate::domain::roles::Operator;
use crate::domain::sla::Clock;
use crate::service::store::{ClockKey, NewEvent, OutboxEvent, ReadTx, Scope, StoreError, WriteTx};

/// Running clocks of open requests, each with the level last raised for it.
pub fn watched_clocks(tx: &mut dyn ReadTx) -> Result<Vec<WatchedClock>, StoreError> {
    let raised: HashMap<ClockKey, _> = tx.raised_alerts()?.into_iter().collect();
    let mut watched = Vec::new();
    for (request_id, _status, clocks) in tx.open_clocks(&Scope::Everything)? {
        for clock in clocks.into_iter().filter(Clock::is_running) {
            let key = ClockKey {
                request_id: request_id.clone(),
                kind: clock.kind,
                started_at: clock.started_at,
            };
            watched.push(WatchedClock {
                request_id: request_id.clone(),
                raised: raised.get(&key).copied(),
                clock,
            });
        }
    }
    Ok(watched)
}

/// Records `alert` and appends its event, unless the request is closed, the clock no longer
/// runs, or a level at least as high was already raised for it. True if raised.
pub fn raise(tx: &mut dyn WriteTx, alert: &SlaAlert, now: Timestamp) -> Result<bool, StoreError> {
    let Some(stored) = tx.load_request(&Scope::Everything, &alert.request_id)? else {
        return Ok(false);
    };
    if !stored.request.status.is_open() {
        return Ok(false);
    }
    let Some(clock) = stored
        .clocks
        .iter()
        .find(|c| c.kind == alert.kind && c.started_at == alert.clock_started_at && c.is_running())
    else {
        return Ok(false);
    };
    let key = ClockKey {
        request_id: alert.request_id.clone(),
        kind: alert.kind,
        started_at: alert.clock_started_at,
    };
    // Only a higher level is recorded, so a concurrent scan that already raised this one (or a
    // higher one) changes nothing here and emits nothing.
    if !tx.raise_alert(&key, alert.level, now)? {
        return Ok(false);
    }
    tx.append_event(&NewEvent {
        at: now,
        kind: alert.level.event_kind().to_string(),
        request_id: Some(alert.request_id.clone()),
        office: Some(clock.office.to_string()),
        patronato: Some(stored.request.patronato.clone()),
        internal: true,
        data: serde_json::json!({
            "request_id": alert.request_id.as_str(),
            "clock": alert.kind.code(),
            "office": clock.office,
            "level": alert.level.code(),
            "due_at": alert.due_at.map(|t| t.to_string()),
        }),
    })?;
    Ok(true)
}

/// The `presence` event `who` announces on a request: checked against what `who` may see, but
/// never stored (presence is ephemeral: it reaches the streams open now, on every node).
pub fn presence_event(
    tx: &mut dyn ReadTx,
    who: &Operator,
    id: &RequestId,
    activity: PresenceActivity,
    now: Timestamp,
) -> Result<OutboxEvent, StoreError> {
    let stored = tx
        .load_request(&scope_of(who), id)?
        .ok_or(StoreError::NotFound)?;
    // Presence is for colleagues working the request: not auditors, not patronati.
    if !who.role.is_inps_writer() {
        return Err(StoreError::Forbidden(format!(
            "a {} does not announce presence",
            who.role.code()
        )));
    }
    let data = serde_json::to_value(PresenceEvent {
        user: who.username.clone(),
        name: who.full_name.clone(),
        activity,
    })?;
    Ok(OutboxEvent {
        envelope: crate::api::EventEnvelope {
            // Not a position in the outbox: clients do not resume from it.
            seq: 0,
            at: now,
            kind: "presence".to_string(),
            request_id: Some(stored.request.id.clone()),
            office: Some(stored.request.office.clone()),
            data,
        },
        patronato: Some(stored.request.patronato.clone()),
        region: None,
        internal: true,
    })
}

/// At most one announcement of the same activity per user and request in this window; a
/// change of activity always goes through.
pub const PRESENCE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Per-node memory of recent announcements, for [`PRESENCE_INTERVAL`].
#[derive(Default)]
pub struct PresenceLimiter {
    last: std::sync::Mutex<HashMap<(String, RequestId), (PresenceActivity, std::time::Instant)>>,
}

impl PresenceLimiter {
    /// True when this announcement should be sent.
    pub fn admit(&self, who: &str, id: &RequestId, activity: PresenceActivity) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let now = std::time::Instant::now();
        if last.len() > 10_000 {
            last.retain(|_, (_, at)| now.duration_since(*at) < PRESENCE_INTERVAL);
        }
        let key = (who.to_string(), id.clone());
        match last.get(&key) {
            Some((previous, at))
                if *previous == activity && now.duration_since(*at) < PRESENCE_INTERVAL =>
            {
                false
            }
            _ => {
                last.insert(key, (activity, now));
                true
            }
        }
    }
}
