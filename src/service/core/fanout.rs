//! Shared event fan-out: one node reads each batch of new outbox events once, keeps the most
//! recent ones in memory, and every subscriber of the node filters that buffer by its own
//! scope. A write costs one outbox read per commit whatever the number of subscribers; an idle
//! subscriber costs a wake-up and a filter pass over the new events.
//!
//! A subscriber that falls further behind than the buffer holds is told to `resync` (the
//! client reloads, then continues from the head): it can never hold writers up or make the
//! node keep events for it. A stream that opens from an older cursor (a client resuming after
//! a disconnection) is served from the database once, as before, and then from the buffer.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock, Weak};

use tokio::sync::watch;

use super::EventBatch;
use super::access;
use super::journal;
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
    events: VecDeque<OutboxEvent>,
}

/// What the buffer answers for a cursor.
pub enum Served {
    Batch(EventBatch),
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
            buffer.events.extend(events);
            buffer.end = end;
            while buffer.events.len() > self.capacity {
                if let Some(old) = buffer.events.pop_front() {
                    buffer.start = old.envelope.seq;
                }
            }
        }
        self.head.send_replace(end);
        Ok(())
    }

    /// Events after `after` that `who` may see, at most `limit`, from the buffer.
    pub fn events_after(&self, who: &Operator, after: u64, limit: u32) -> Served {
        let Ok(buffer) = self.buffer.read() else {
            return Served::Ahead;
        };
        if after < buffer.start {
            return Served::Behind;
        }
        if after > buffer.end {
            return Served::Ahead;
        }
        let filter = access::event_filter(who);
        let first = buffer.events.partition_point(|e| e.envelope.seq <= after);
        let mut read = Vec::new();
        let mut last_seen = None;
        for event in buffer.events.range(first..) {
            last_seen = Some(event.envelope.seq);
            if access::admits(&filter, event) {
                read.push(event.envelope.clone());
                if read.len() >= limit as usize {
                    break;
                }
            }
        }
        Served::Batch(journal::batch_for(who, read, limit, last_seen, buffer.end))
    }

    /// Drops the events with seq <= `up_to` (pruned from the store).
    pub fn forget_up_to(&self, up_to: u64) {
        if let Ok(mut buffer) = self.buffer.write() {
            while buffer
                .events
                .front()
                .is_some_and(|e| e.envelope.seq <= up_to)
            {
                buffer.events.pop_front();
            }
            buffer.start = buffer.start.max(up_to.min(buffer.end));
        }
    }

    /// For a live stream whose cursor left the buffer behind: `resync` from the head.
    pub fn resync(&self) -> EventBatch {
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
