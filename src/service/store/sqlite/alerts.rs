//! SLA alerts: the running clocks to watch, and raising an alert with its outbox event.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::journal::{self, NewEvent};
use super::rows::micros;
use crate::domain::request::RequestId;
use crate::domain::sla::{AlertLevel, Clock};
use crate::service::store::{SlaAlert, StoreError, WatchedClock};

/// Running clocks of open requests, each with the level last raised for it.
pub fn watched_clocks(tx: &Transaction<'_>) -> Result<Vec<WatchedClock>, StoreError> {
    let mut raised: HashMap<(String, String, i64), i64> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT a.request_id, a.clock_kind, a.clock_started_us, a.level FROM sla_alerts a \
             JOIN requests r ON r.id = a.request_id WHERE r.is_open = 1",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            raised.insert((row.get(0)?, row.get(1)?, row.get(2)?), row.get(3)?);
        }
    }
    let mut stmt = tx.prepare_cached(
        "SELECT id, clocks_json FROM requests WHERE is_open = 1 AND clocks_json <> '[]'",
    )?;
    let mut rows = stmt.query([])?;
    let mut watched = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let clocks: String = row.get(1)?;
        let Ok(request_id) = RequestId::parse(&id) else {
            continue;
        };
        let clocks: Vec<Clock> = serde_json::from_str(&clocks)?;
        for clock in clocks.into_iter().filter(Clock::is_running) {
            let key = (
                id.clone(),
                clock.kind.code().to_string(),
                micros(clock.started_at),
            );
            watched.push(WatchedClock {
                request_id: request_id.clone(),
                raised: raised.get(&key).copied().and_then(AlertLevel::from_rank),
                clock,
            });
        }
    }
    Ok(watched)
}

/// Records `alert` and appends its event, unless the request is closed, the clock no longer
/// runs, or a level at least as high was already raised for it. True if raised.
pub fn raise(tx: &Transaction<'_>, alert: &SlaAlert, now: Timestamp) -> Result<bool, StoreError> {
    let row: Option<(bool, String, String)> = tx
        .query_row(
            "SELECT is_open, clocks_json, patronato FROM requests WHERE id = ?1",
            [alert.request_id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((true, clocks, patronato)) = row else {
        return Ok(false);
    };
    let clocks: Vec<Clock> = serde_json::from_str(&clocks)?;
    let Some(clock) = clocks
        .iter()
        .find(|c| c.kind == alert.kind && c.started_at == alert.clock_started_at && c.is_running())
    else {
        return Ok(false);
    };
    // The upsert only takes a higher level, so a concurrent scan that already raised this one
    // (or a higher one) changes nothing here and emits nothing.
    let changed = tx.execute(
        "INSERT INTO sla_alerts (request_id, clock_kind, clock_started_us, level, raised_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (request_id, clock_kind, clock_started_us) DO UPDATE \
         SET level = excluded.level, raised_at = excluded.raised_at \
         WHERE excluded.level > sla_alerts.level",
        params![
            alert.request_id.as_str(),
            alert.kind.code(),
            micros(alert.clock_started_at),
            alert.level.rank(),
            now.to_string(),
        ],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    journal::append_event(
        tx,
        NewEvent {
            kind: alert.level.event_kind(),
            request_id: Some(&alert.request_id),
            office: Some(&clock.office),
            patronato: Some(&patronato),
            internal: true,
            data: serde_json::json!({
                "request_id": alert.request_id.as_str(),
                "clock": alert.kind.code(),
                "office": clock.office,
                "level": alert.level.code(),
                "due_at": alert.due_at.map(|t| t.to_string()),
            }),
        },
        now,
    )?;
    Ok(true)
}
