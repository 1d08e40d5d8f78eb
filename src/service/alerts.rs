//! SLA alert events: a periodic scan of the running clocks of open requests.
//!
//! When a clock has crossed warning / critical / breach above the level last raised for it and
//! its office is open, the scan records the new level and appends an `sla.warning`,
//! `sla.critical` or `sla.breach` event to the outbox in the same transaction (see
//! [`App::raise_sla_alerts`]), so each crossing is announced once, across restarts and
//! concurrent scans. The decision itself is [`crate::domain::sla::pending_alert`].

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::core::{App, SlaAlert, StoreError};
use super::sla::Sla;
use crate::domain::sla::pending_alert;

/// How often the service scans when not configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// Alerts are written in transactions of at most this many, so a first scan over a large
/// backlog does not hold the writer for long.
const BATCH: usize = 500;

/// What one scan saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Running clocks of open requests looked at.
    pub clocks: usize,
    /// Alerts found due at the scan instant.
    pub due: usize,
    /// Alerts raised (due ones that no concurrent scan had raised first).
    pub raised: usize,
}

/// One scan at `now` (an explicit instant, so tests control time).
pub async fn scan(store: &dyn App, sla: &Sla, now: Timestamp) -> Result<ScanReport, StoreError> {
    let watched = store.watched_clocks().await?;
    let mut report = ScanReport {
        clocks: watched.len(),
        ..ScanReport::default()
    };
    let mut due = Vec::new();
    for entry in watched {
        match pending_alert(&entry.clock, entry.raised, now, sla.calendars()) {
            Ok(Some(alert)) => due.push(SlaAlert {
                request_id: entry.request_id,
                kind: entry.clock.kind,
                clock_started_at: entry.clock.started_at,
                level: alert.level,
                due_at: alert.due_at,
            }),
            Ok(None) => {}
            // An office without a calendar or an instant beyond the precomputed years: nothing
            // sensible to raise; say so rather than stop scanning the other clocks.
            Err(error) => tracing::warn!(
                request = %entry.request_id.as_str(),
                clock = entry.clock.kind.code(),
                %error,
                "SLA alert check skipped"
            ),
        }
    }
    report.due = due.len();
    while !due.is_empty() {
        let rest = due.split_off(due.len().min(BATCH));
        report.raised += store.raise_sla_alerts(due, now).await?;
        due = rest;
    }
    Ok(report)
}

/// Scans every `interval` until `stop` turns true.
pub fn spawn(
    store: Arc<dyn App>,
    sla: Arc<Sla>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.wait_for(|stop| *stop) => break,
            }
            let started = std::time::Instant::now();
            match scan(store.as_ref(), &sla, Timestamp::now()).await {
                Ok(report) if report.raised > 0 => {
                    tracing::info!(
                        clocks = report.clocks,
                        raised = report.raised,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "SLA alerts raised"
                    );
                }
                Ok(report) => tracing::debug!(
                    clocks = report.clocks,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "SLA alert scan"
                ),
                Err(error) => tracing::warn!(%error, "SLA alert scan failed"),
            }
        }
    })
}
