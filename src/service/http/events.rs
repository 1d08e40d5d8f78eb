//! `GET /v1/events`: the outbox as server-sent events, resumable by `Last-Event-ID`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::watch;

use super::AppState;
use super::errors::ApiError;
use super::extract::{BearerToken, Caller, StrictQuery};
use crate::api::ErrorBody;
use crate::service::core::{App, EncodedEvent, Principal};

const BATCH: u32 = 500;
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this seq (the `Last-Event-ID` header wins when both are given).
    pub after: Option<u64>,
}

struct Cursor {
    store: Arc<dyn App>,
    who: Principal,
    /// The bearer token the stream was opened with, re-checked when a token is revoked.
    token: String,
    after: u64,
    latest: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
    ready: VecDeque<Event>,
    /// After the first read the stream is live: falling behind the node's buffer means resync.
    live: bool,
    /// The last read reached the head the stream had seen: until the head moves, another read
    /// would find nothing, so the stream waits without one.
    caught_up: bool,
    /// Presence and other events that are never stored, from every node.
    ephemeral: tokio::sync::broadcast::Receiver<crate::service::store::OutboxEvent>,
}

impl Cursor {
    /// Next event to send, waiting for new ones; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            if *self.shutdown.borrow() {
                return None;
            }
            if self.caught_up && !self.latest.has_changed().unwrap_or(true) {
                if !self.wait().await {
                    return None;
                }
                continue;
            }
            // Mark the current value seen before reading, so no commit slips between.
            self.latest.borrow_and_update();
            let read = if self.live {
                self.store
                    .live_events_after(&self.who, self.after, BATCH)
                    .await
            } else {
                self.store
                    .events_after(&self.who, self.after, BATCH)
                    .await
                    .and_then(|batch| batch.encoded())
            };
            self.live = true;
            let batch = match read {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "event stream ended by a storage error");
                    return None;
                }
            };
            if batch.reauthenticate {
                // A revoked token (or a caller whose role or office changed) ends its stream.
                match self.store.authenticate(&self.token).await {
                    Ok(Some(now)) if now == self.who => {}
                    _ => return None,
                }
            }
            self.after = batch.cursor;
            if batch.resync {
                self.ready.push_back(
                    Event::default()
                        .event("resync")
                        .id(batch.cursor.to_string())
                        .data(
                            serde_json::json!({ "seq": batch.cursor, "reason": "pruned" })
                                .to_string(),
                        ),
                );
                continue;
            }
            for event in batch.events {
                self.ready
                    .push_back(sse_event(&event).id(event.seq.to_string()));
            }
            self.caught_up = !batch.more;
        }
    }

    /// Waits for the head to move (then the stream reads again) or for a presence event to
    /// send; `false` ends the stream.
    async fn wait(&mut self) -> bool {
        tokio::select! {
            changed = self.latest.changed() => {
                self.caught_up = false;
                changed.is_ok()
            }
            heard = self.ephemeral.recv() => match heard {
                Ok(event) => {
                    if let Some(envelope) = self.store.ephemeral_for(&self.who, &event) {
                        match EncodedEvent::encode(&envelope) {
                            // No `id:`: not a position a client resumes from.
                            Ok(encoded) => self.ready.push_back(sse_event(&encoded)),
                            Err(e) => tracing::warn!(error = %e, "presence event not encoded"),
                        }
                    }
                    true
                }
                // Missed presence is stale presence: skip it.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => false,
            },
            _ = self.shutdown.changed() => false,
        }
    }
}

/// An encoded envelope as an SSE event: `event:` its kind, `data:` the envelope (no `id:`).
fn sse_event(event: &EncodedEvent) -> Event {
    Event::default().event(&*event.kind).data(&*event.json)
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    match headers.get("last-event-id") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("Last-Event-ID", "Last-Event-ID must be a seq")),
    }
}

/// Server-sent events: `id:` is the seq, `event:` the kind, `data:` an `EventEnvelope`.
/// Without `Last-Event-ID` or `after`, only new events are sent. A cursor older than the
/// retained events gets one `resync` event (reload, then continue from its id).
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header)),
    responses(
        (status = 200, description = "text/event-stream of EventEnvelope", content_type = "text/event-stream", body = String),
        (status = 401, body = ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    Caller(who): Caller,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    StrictQuery(query): StrictQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let latest = state.store.subscribe();
    let ephemeral = state.store.ephemeral();
    let after = match last_event_id(&headers)?.or(query.after) {
        Some(after) => after,
        None => *latest.borrow(),
    };
    let cursor = Cursor {
        store: state.store.clone(),
        who,
        token,
        after,
        latest,
        shutdown: state.shutdown.clone(),
        ready: VecDeque::new(),
        live: false,
        caught_up: false,
        ephemeral,
    };
    let events = futures::stream::unfold(cursor, |mut cursor| async move {
        cursor.next().await.map(|event| (Ok(event), cursor))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}
