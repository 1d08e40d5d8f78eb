//! Shared event fan-out: one node reads each batch of new outbox events once, keeps the most
//! recent ones in memory, and every subscriber of the node filters that buffer by its own
//! scope. A write costs one outbox read per commit whatever the number of subscribers; an idle
//! subscriber costs a wake-up and a filter pass over the new events.
//!
//! Each buffered event is encoded as JSON once per projection (INPS staff, patronati: see
//! [`access::event_without_usernames`]) the first time a live stream sends it, and every other
//! live stream sends that same encoding.
//!
//! A subscriber that falls further behind than the buffer holds is told to `resync` (the
//! client reloads, then continues from the head): it can never hold writers up or make the
//! node keep events for it. A stream that opens from an older cursor (a client resuming after
//! a disconnection) is served from the database once, as before, and then from the buffer.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock, RwLock, Weak};

use tokio::sync::watch;

use super::access;
use super::journal;
use super::{EncodedEvent, EventBatch};
use crate::domain::roles::Operator;
use crate::service::store::{OutboxEvent, Storage, StoreError};

/// Events the buffer keeps by default (a few minutes of a national deployment's writes).
pub const DEFAULT_CAPACITY: usize = 20_000;
/// Events read from the store per query when catching up.
const READ_BATCH: u32 = 1_000;

/// The node's buffer of recent events and its head.
pub struct EventFeed {
    buffer: RwLock<Buffer>,
    /// Highest seq the buffer covers; subscribers wait on it.
    head: watch::Sender<u64>,
    capacity: usize,
}

/// Every stored event with `start < seq <= end`, by seq.
struct Buffer {
    start: u64,
    end: u64,
    events: VecDeque<Buffered>,
}

/// A buffered event and its encodings, made when a live stream first sends it.
struct Buffered {
    event: OutboxEvent,
    for_staff: OnceLock<EncodedEvent>,
    without_usernames: OnceLock<EncodedEvent>,
}

impl Buffered {
    fn new(event: OutboxEvent) -> Self {
        Buffered {
            event,
            for_staff: OnceLock::new(),
            without_usernames: OnceLock::new(),
        }
    }

    fn seq(&self) -> u64 {
        self.event.envelope.seq
    }

    /// The event as `who` receives it, encoded once for everyone who receives the same.
    fn encoded_for(&self, who: &Operator) -> Result<EncodedEvent, StoreError> {
        let cell = if access::event_without_usernames(who) {
            &self.without_usernames
        } else {
            &self.for_staff
        };
        if let Some(encoded) = cell.get() {
            return Ok(encoded.clone());
        }
        // Two streams may race to encode it: both encodings are the same, one is kept.
        let encoded = EncodedEvent::encode(&access::event_for(who, self.event.envelope.clone()))?;
        Ok(cell.get_or_init(|| encoded).clone())
    }
}

/// What the buffer answers for a cursor.
pub enum Served<E = crate::api::EventEnvelope> {
    Batch(EventBatch<E>),
    /// The cursor is older than the oldest event the buffer keeps.
    Behind,
    /// The cursor is newer than the buffer (it has not caught up with the store yet).
    Ahead,
}

impl EventFeed {
    /// A feed starting at `head` (the store's newest event) keeping `capacity` events.
    pub fn new(head: u64, capacity: usize) -> Arc<Self> {
        let (head_tx, _) = watch::channel(head);
        Arc::new(EventFeed {
            buffer: RwLock::new(Buffer {
                start: head,
                end: head,
                events: VecDeque::new(),
            }),
            head: head_tx,
            capacity: capacity.max(1),
        })
    }

    /// Changes whenever new events are in the buffer.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    pub fn head(&self) -> u64 {
        *self.head.borrow()
    }

    /// Whether the buffer holds every event up to `seq`.
    pub fn covers(&self, seq: u64) -> bool {
        self.end() >= seq
    }

    fn end(&self) -> u64 {
        self.buffer.read().map(|b| b.end).unwrap_or(u64::MAX)
    }

    async fn catch_up<S: Storage>(&self, store: &S, wanted: u64) -> Result<(), StoreError> {
        let after = self.end();
        let (events, highest) = store
            .read(move |tx| {
                // What this snapshot holds: never claim to cover beyond it.
                let highest = tx.event_bounds()?.highest.min(wanted);
                Ok((tx.outbox(after, highest, READ_BATCH)?, highest))
            })
            .await?;
        let full = events.len() >= READ_BATCH as usize;
        let end = match (full, events.last()) {
            (true, Some(last)) => last.envelope.seq,
            _ => highest.max(after),
        };
        {
            let mut buffer = self
                .buffer
                .write()
                .map_err(|_| StoreError::Task("event buffer poisoned".into()))?;
            buffer.events.extend(events.into_iter().map(Buffered::new));
            buffer.end = end;
            while buffer.events.len() > self.capacity {
                if let Some(old) = buffer.events.pop_front() {
                    buffer.start = old.seq();
                }
            }
        }
        self.head.send_replace(end);
        Ok(())
    }

    /// Events after `after` that `who` may see, at most `limit`, from the buffer.
    pub fn events_after(&self, who: &Operator, after: u64, limit: u32) -> Served {
        match self.select(who, after, limit, |b| {
            Ok(access::event_for(who, b.event.envelope.clone()))
        }) {
            Ok(served) => served,
            // Cloning an envelope cannot fail.
            Err(_) => Served::Ahead,
        }
    }

    /// [`EventFeed::events_after`] encoded, each event once for all the streams that send it.
    pub fn encoded_after(
        &self,
        who: &Operator,
        after: u64,
        limit: u32,
    ) -> Result<Served<EncodedEvent>, StoreError> {
        self.select(who, after, limit, |b| b.encoded_for(who))
    }

    /// The buffered events after `after` that `who` may see, at most `limit`, as `send` makes
    /// them.
    fn select<E>(
        &self,
        who: &Operator,
        after: u64,
        limit: u32,
        send: impl Fn(&Buffered) -> Result<E, StoreError>,
    ) -> Result<Served<E>, StoreError> {
        let Ok(buffer) = self.buffer.read() else {
            return Ok(Served::Ahead);
        };
        if after < buffer.start {
            return Ok(Served::Behind);
        }
        if after > buffer.end {
            return Ok(Served::Ahead);
        }
        let filter = access::event_filter(who);
        let first = buffer.events.partition_point(|e| e.seq() <= after);
        let mut read = Vec::new();
        let mut last_seen = None;
        for event in buffer.events.range(first..) {
            last_seen = Some(event.seq());
            if access::admits(&filter, &event.event) {
                read.push(event);
                if read.len() >= limit as usize {
                    break;
                }
            }
        }
        journal::batch_of(
            read,
            |b| &b.event.envelope.kind,
            send,
            limit,
            last_seen,
            buffer.end,
        )
        .try_map(|sent| sent)
        .map(Served::Batch)
    }

    /// Drops the events with seq <= `up_to` (pruned from the store).
    pub fn forget_up_to(&self, up_to: u64) {
        if let Ok(mut buffer) = self.buffer.write() {
            while buffer.events.front().is_some_and(|e| e.seq() <= up_to) {
                buffer.events.pop_front();
            }
            buffer.start = buffer.start.max(up_to.min(buffer.end));
        }
    }

    /// For a live stream whose cursor left the buffer behind: `resync` from the head.
    pub fn resync<E>(&self) -> EventBatch<E> {
        EventBatch {
            events: vec![],
            cursor: self.head(),
            resync: true,
            more: false,
            reauthenticate: false,
        }
    }
}

/// Follows the store: after each commit, one read of the new events into `feed`. Ends when the
/// store is dropped.
pub async fn pump<S: Storage>(feed: Arc<EventFeed>, store: Weak<S>) {
    let Some(mut latest) = store.upgrade().map(|s| s.subscribe()) else {
        return;
    };
    loop {
        let wanted = *latest.borrow_and_update();
        while feed.end() < wanted {
            let Some(strong) = store.upgrade() else {
                return;
            };
            if let Err(e) = feed.catch_up(&*strong, wanted).await {
                tracing::warn!(error = %e, "event fan-out cannot read the outbox; retrying");
                drop(strong);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        if latest.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EventEnvelope;
    use crate::domain::roles::Role;

    fn who(role: Role) -> Operator {
        Operator {
            username: format!("{}.user", role.code()),
            full_name: String::new(),
            role,
            office: Some("RM01".into()),
            region: None,
            patronato: (role == Role::Patronato).then(|| "INCA".to_string()),
        }
    }

    /// A feed holding one `request.updated` of RM01, of INCA, taken by m.rossi.
    fn feed() -> Arc<EventFeed> {
        let feed = EventFeed::new(0, 10);
        let envelope = EventEnvelope {
            seq: 1,
            at: "2026-12-04T10:00:00Z".parse().unwrap(),
            kind: "request.updated".into(),
            request_id: None,
            office: Some("RM01".into()),
            data: serde_json::json!({ "assignee": "m.rossi", "actor": "m.rossi", "version": 3 }),
        };
        let mut buffer = feed.buffer.write().unwrap();
        buffer.events.push_back(Buffered::new(OutboxEvent {
            envelope,
            patronato: Some("INCA".into()),
            region: Some("Lazio".into()),
            internal: false,
        }));
        buffer.end = 1;
        drop(buffer);
        feed
    }

    fn encoded(feed: &EventFeed, who: &Operator) -> EncodedEvent {
        match feed.encoded_after(who, 0, 10).unwrap() {
            Served::Batch(batch) => batch.events.into_iter().next().unwrap(),
            _ => panic!("the buffer covers seq 1"),
        }
    }

    /// Streams of staff and of a patronato read the same buffered event in either order: each
    /// gets its own projection (the patronato's without usernames), and streams of the same
    /// projection share one encoding.
    #[test]
    fn each_projection_is_encoded_once_and_never_crosses_over() {
        for patronato_first in [false, true] {
            let feed = feed();
            let (staff, client) = (who(Role::Operator), who(Role::Patronato));
            let (a, b) = if patronato_first {
                let b = encoded(&feed, &client);
                (encoded(&feed, &staff), b)
            } else {
                let a = encoded(&feed, &staff);
                (a, encoded(&feed, &client))
            };
            assert!(a.json.contains("m.rossi"), "{}", a.json);
            assert!(!b.json.contains("m.rossi"), "{}", b.json);
            assert!(b.json.contains("\"version\":3"), "{}", b.json);
            assert_eq!(&*a.kind, "request.updated");
            let again = encoded(&feed, &who(Role::Supervisor));
            assert!(Arc::ptr_eq(&a.json, &again.json), "one encoding for staff");
            let other = encoded(&feed, &client);
            assert!(Arc::ptr_eq(&b.json, &other.json), "one for patronati");
            // The same JSON the envelope path makes for that caller.
            let Served::Batch(plain) = feed.events_after(&client, 0, 10) else {
                panic!("the buffer covers seq 1");
            };
            let direct = EncodedEvent::encode(&plain.events[0]).unwrap();
            assert_eq!(direct, b);
        }
    }
}
