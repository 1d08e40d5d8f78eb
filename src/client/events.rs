//! `GET /v1/events` as a stream that survives disconnects.
//!
//! A background task holds the SSE connection, parses it, and on any break reconnects with
//! `Last-Event-ID` = the last sequence number it delivered, after a backoff with jitter. The
//! consumer sees events in order, each at most once, interleaved with connection-state items
//! so a status bar can say "riconnessione…".

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use reqwest::header;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::from_transport;
use super::{Client, ClientError};
use crate::api::EventEnvelope;

/// What an [`EventStream`] yields.
#[derive(Debug)]
pub enum EventItem {
    /// A server event, in sequence order, never twice.
    Event(EventEnvelope),
    /// The connection changed state.
    State(ConnectionState),
    /// The server no longer holds the events after our `Last-Event-ID` (pruned): local state
    /// may have missed changes and must be reloaded. Streaming continues from `seq`.
    Resync { seq: Option<u64> },
}

/// Connection state of an [`EventStream`], for the UI.
#[derive(Debug)]
pub enum ConnectionState {
    /// Opening the first connection.
    Connecting,
    /// Connected; events flow.
    Connected,
    /// The connection broke or could not be opened; the next attempt starts after `delay`.
    Reconnecting {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// Given up for good (the server refused the subscription with a 4xx, e.g. a revoked
    /// token). The stream ends after this item.
    Closed(ClientError),
}

/// Subscription to server events; see [`Client::events`]. Dropping it closes the connection.
pub struct EventStream {
    items: mpsc::Receiver<EventItem>,
    task: JoinHandle<()>,
}

impl Stream for EventStream {
    type Item = EventItem;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<EventItem>> {
        self.items.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl Client {
    /// Subscribes to `GET /v1/events`, resuming after `last_event_id` (the `seq` of the last
    /// event already processed; `None` = only new events). Must be called inside a tokio runtime.
    pub fn events(&self, last_event_id: Option<u64>) -> EventStream {
        // Room for a burst after a reconnect; beyond it the reader pauses (backpressure).
        let (sender, items) = mpsc::channel(1024);
        let task = tokio::spawn(subscription(self.clone(), last_event_id, sender));
        EventStream { items, task }
    }
}

/// Why one connection ended.
enum Ending {
    /// The consumer dropped the stream: stop.
    ConsumerGone,
    /// The connection ended or broke: reconnect.
    Broken(String),
}

/// Connect, pump, reconnect — until the consumer goes away or the server refuses us.
async fn subscription(client: Client, mut last_seq: Option<u64>, sender: mpsc::Sender<EventItem>) {
    let backoff = client.inner.options.reconnect;
    // `retry:` sent by the server: the least delay it wants between reconnections.
    let mut server_retry = Duration::ZERO;
    let mut failures: u32 = 0;
    if sender
        .send(EventItem::State(ConnectionState::Connecting))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let reason = match connect(&client, last_seq).await {
            Ok(response) => {
                if sender
                    .send(EventItem::State(ConnectionState::Connected))
                    .await
                    .is_err()
                {
                    return;
                }
                let opened = Instant::now();
                let mut delivered = false;
                let ending = pump(
                    &client,
                    response,
                    &mut last_seq,
                    &mut server_retry,
                    &mut delivered,
                    &sender,
                )
                .await;
                // Only a connection that proved healthy resets the backoff; one that dies at
                // once (a proxy accepting then dropping) keeps backing off.
                if delivered || opened.elapsed() >= backoff.max {
                    failures = 0;
                }
                match ending {
                    Ending::ConsumerGone => return,
                    Ending::Broken(reason) => reason,
                }
            }
            Err(error) if is_fatal(&error) => {
                tracing::warn!(%error, "event subscription refused");
                let _ = sender
                    .send(EventItem::State(ConnectionState::Closed(error)))
                    .await;
                return;
            }
            Err(error) => error.to_string(),
        };
        let spread = client.inner.options.reconnect_spread;
        let delay = backoff
            .reconnect_delay(failures, spread, &mut rand::rng())
            .max(server_retry);
        failures = failures.saturating_add(1);
        tracing::info!(attempt = failures, ?delay, %reason, last_seq, "event stream reconnecting");
        let state = ConnectionState::Reconnecting {
            attempt: failures,
            delay,
            reason,
        };
        if sender.send(EventItem::State(state)).await.is_err() {
            return;
        }
        // Stop waiting at once if the consumer leaves meanwhile.
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = sender.closed() => return,
        }
    }
}

/// 4xx other than timeouts and rate limits will not heal by retrying.
fn is_fatal(error: &ClientError) -> bool {
    error
        .status()
        .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429)
}

async fn connect(client: &Client, last_seq: Option<u64>) -> Result<reqwest::Response, ClientError> {
    let timeout = client.inner.options.request_timeout;
    let mut request = client
        .inner
        .http
        .get(client.url(&["v1", "events"]))
        .header(header::AUTHORIZATION, client.inner.authorization.clone())
        .header(header::ACCEPT, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache");
    if let Some(seq) = last_seq {
        request = request.header("Last-Event-ID", seq.to_string());
    }
    // No overall timeout on a stream that lives for hours: only on getting the headers.
    let response = tokio::time::timeout(timeout, request.send())
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
        .map_err(|e| from_transport(e, timeout))?;
    let status = response.status();
    if status.is_success() {
        Ok(response)
    } else {
        let body = response.bytes().await.unwrap_or_default();
        Err(ClientError::from_response(status, &body))
    }
}

/// Reads one connection until it ends, forwarding events not seen before.
async fn pump(
    client: &Client,
    response: reqwest::Response,
    last_seq: &mut Option<u64>,
    server_retry: &mut Duration,
    delivered: &mut bool,
    sender: &mpsc::Sender<EventItem>,
) -> Ending {
    let idle = client.inner.options.sse_idle_timeout;
    // Silence longer than `idle` (no event, no keep-alive comment) means a dead peer that TCP
    // has not noticed yet; turn it into an error so the connection is replaced.
    let bytes =
        tokio_stream::StreamExt::timeout(response.bytes_stream(), idle).map(|chunk| match chunk {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no data for {idle:?}")),
        });
    let mut events = std::pin::pin!(bytes.eventsource());
    while let Some(next) = events.next().await {
        let event = match next {
            Ok(event) => event,
            Err(error) => return Ending::Broken(error.to_string()),
        };
        if let Some(retry) = event.retry {
            *server_retry = retry.min(client.inner.options.reconnect.max);
        }
        let item = match classify(&event, *last_seq) {
            Classified::Deliver(envelope) => {
                *last_seq = Some(envelope.seq);
                EventItem::Event(envelope)
            }
            Classified::Ephemeral(envelope) => EventItem::Event(envelope),
            Classified::Resync(seq) => {
                if seq.is_some() {
                    *last_seq = seq;
                }
                EventItem::Resync { seq }
            }
            Classified::Duplicate(seq) => {
                tracing::debug!(seq, "duplicate event skipped");
                continue;
            }
            Classified::Malformed(error) => {
                // Debug formatting escapes control characters of the untrusted id.
                let id: String = event.id.chars().take(40).collect();
                tracing::warn!(%error, id = ?id, "malformed event skipped");
                continue;
            }
        };
        *delivered = true;
        if sender.send(item).await.is_err() {
            return Ending::ConsumerGone;
        }
    }
    Ending::Broken("the server closed the stream".into())
}

enum Classified {
    Deliver(EventEnvelope),
    /// Never stored (presence): seq 0, delivered as it comes, not a position to resume from.
    Ephemeral(EventEnvelope),
    Resync(Option<u64>),
    Duplicate(u64),
    Malformed(String),
}

/// Decides what one SSE event means, given the last sequence number delivered.
fn classify(event: &eventsource_stream::Event, last_seq: Option<u64>) -> Classified {
    let id: Option<u64> = event.id.trim().parse().ok();
    let envelope = serde_json::from_str::<EventEnvelope>(&event.data);
    let is_resync = event.event == "resync"
        || envelope
            .as_ref()
            .is_ok_and(|envelope| envelope.kind == "resync");
    if is_resync {
        return Classified::Resync(id.or(envelope.ok().map(|e| e.seq)));
    }
    match envelope {
        Ok(envelope) if envelope.seq == 0 => Classified::Ephemeral(envelope),
        Ok(envelope) if last_seq.is_some_and(|last| envelope.seq <= last) => {
            Classified::Duplicate(envelope.seq)
        }
        Ok(envelope) => Classified::Deliver(envelope),
        Err(error) => Classified::Malformed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse(event: &str, id: &str, data: &str) -> eventsource_stream::Event {
        eventsource_stream::Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
            retry: None,
        }
    }

    fn envelope(seq: u64, kind: &str) -> String {
        serde_json::json!({
            "seq": seq, "at": "2026-11-23T10:00:00Z", "kind": kind,
            "request_id": "CBP-2026-0000001", "office": "RM01", "data": {}
        })
        .to_string()
    }

    #[test]
    fn delivers_new_skips_seen_and_malformed() {
        let fresh = classify(
            &sse("message", "5", &envelope(5, "request.created")),
            Some(4),
        );
        assert!(matches!(fresh, Classified::Deliver(e) if e.seq == 5));
        let first = classify(&sse("message", "1", &envelope(1, "request.created")), None);
        assert!(matches!(first, Classified::Deliver(_)));
        let again = classify(
            &sse("message", "5", &envelope(5, "request.created")),
            Some(5),
        );
        assert!(matches!(again, Classified::Duplicate(5)));
        let junk = classify(&sse("message", "6", "{not json"), Some(5));
        assert!(matches!(junk, Classified::Malformed(_)));
    }

    #[test]
    fn recognises_resync_by_event_name_or_kind() {
        let named = classify(&sse("resync", "40", "{}"), Some(3));
        assert!(matches!(named, Classified::Resync(Some(40))));
        let by_kind = classify(&sse("message", "", &envelope(41, "resync")), Some(3));
        assert!(matches!(by_kind, Classified::Resync(Some(41))));
    }

    #[test]
    fn only_client_errors_that_cannot_heal_are_fatal() {
        let error = |status: u16| {
            ClientError::from_response(reqwest::StatusCode::from_u16(status).unwrap(), b"")
        };
        assert!(is_fatal(&error(401)));
        assert!(is_fatal(&error(403)));
        assert!(!is_fatal(&error(429)));
        assert!(!is_fatal(&error(503)));
        assert!(!is_fatal(&ClientError::Network("reset".into())));
    }
}
