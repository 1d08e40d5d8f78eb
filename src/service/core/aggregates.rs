//! The figures of `/v1/queues` and `/v1/dashboard`, kept up to date instead of recounted.
//!
//! Each node keeps, in memory, one compact entry per request and counters of open requests by
//! office × topic × status × assignee × SLA level, and of closed ones by office and day. The
//! counters follow the durable outbox: before answering, the node reads the events committed
//! since the last position it applied (one small read when nothing changed) and reloads only
//! the requests they name, in the same read snapshot, so an answer always includes the
//! caller's own acknowledged writes, on every node of a PostgreSQL deployment alike.
//!
//! SLA levels also change with time alone. Each open request sits in a time-ordered index at
//! the next instant one of its clocks crosses a threshold ([`sla::next_state_change`]); an
//! answer first re-evaluates the requests whose instant has passed, so queue counts cost
//! offices × topics × operators, not requests. Levels are the ones [`Sla::risk_at`] gives, the
//! same function that decides which requests the at-risk and breached queues list.
//!
//! The dashboard's figures are computed from each request's facts prepared once, when it is
//! loaded ([`PreparedFacts`]: its business times measured, its names numbered), kept in one
//! dense table: no database scan, no history parsed and no calendar walked per call. They are
//! shared by every session of one scope: see [`DashboardMemo`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};

use crate::domain::calendar::rome_day_start;
use crate::domain::dashboard::prepared::{
    FigureSums, Names, Preparation, PreparedFacts, SettledSums,
};
use crate::domain::dashboard::{
    Dashboard, DashboardOptions, RequestFacts, Standing, Targets, compute_on,
};
use crate::domain::request::{RequestId, Status, Topic};
use crate::domain::sla::{self, Clock, Policy, SlaInstant, StateChange};
use crate::service::sla::Sla;
use crate::service::store::{AggregateRow, DashboardRow, ReadTx, Scope, StoreError};

/// Events read per outbox page while catching up.
const CATCH_UP_PAGE: u32 = 2_000;
/// Requests reloaded per query while catching up.
const RELOAD_CHUNK: usize = 500;
/// A system event after which every request may have changed.
const DATASET_IMPORTED: &str = "dataset.imported";

/// The node's maintained counters (`None` until the first answer needs them).
#[derive(Default)]
pub struct Aggregates {
    state: Mutex<Option<State>>,
}

/// SLA level of an open request, as [`Sla::risk_at`] ranks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Level {
    Ok = 0,
    AtRisk = 1,
    Breached = 2,
}

/// Where a request is counted: its office (and the office's region) and patronato, the parts
/// every scope is made of. Strings are interned: a million requests share a few hundred.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Place {
    office: Arc<str>,
    region: Option<Arc<str>>,
    patronato: Arc<str>,
}

impl Place {
    fn in_scope(&self, scope: &Scope) -> bool {
        super::access::in_scope(
            scope,
            Some(&self.office),
            self.region.as_deref(),
            Some(&self.patronato),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct OpenKey {
    place: Place,
    topic: Topic,
    status: Status,
    assignee: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClosedKey {
    place: Place,
    /// Local midnight (Europe/Rome) of the day of the request's last change.
    day: Timestamp,
}

#[derive(Debug, Clone)]
enum Counted {
    Open { key: OpenKey, level: Level },
    Closed(ClosedKey),
}

struct Entry {
    counted: Counted,
    status: Status,
    /// Clocks of an open request, to re-evaluate its level.
    clocks: Vec<Clock>,
    /// Its instant in [`State::schedule`], if any.
    next: Option<Timestamp>,
    /// Its dashboard row.
    slot: Slot,
}

/// Where a request's [`FigureRow`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// In [`State::rows`], read by every computation.
    Live(usize),
    /// In [`State::settled_rows`], counted through [`State::settled`].
    Settled(usize),
}

/// A request as the dashboard reads it: dense, so a computation walks one table.
struct FigureRow {
    id: RequestId,
    facts: PreparedFacts,
    /// Index in [`State::places`].
    place: u32,
    /// The level the counters hold for an open request (the queues' own figures).
    standing: Option<Standing>,
}

impl Level {
    fn standing(self) -> Standing {
        Standing {
            at_risk: self == Level::AtRisk,
            breached: self == Level::Breached,
        }
    }
}

struct State {
    /// Outbox position applied last.
    applied: u64,
    /// The instant levels were last evaluated for.
    levels_at: Timestamp,
    entries: HashMap<RequestId, Entry>,
    /// Open requests by key, per [`Level`].
    open: HashMap<OpenKey, [u64; 3]>,
    closed: HashMap<ClosedKey, u64>,
    /// Next instant each open request's level may change by itself.
    schedule: BTreeSet<(Timestamp, RequestId)>,
    /// Open requests whose clocks the fast path cannot schedule: evaluated at every answer.
    volatile: HashSet<RequestId>,
    strings: HashSet<Arc<str>>,
    /// Every request's [`FigureRow`] (`None`: a free slot, listed in `free`).
    rows: Vec<Option<FigureRow>>,
    free: Vec<usize>,
    /// Rows no window of the cruscotto can hold any more ([`FigureSums::settles`]): kept, but
    /// not read by a computation, which adds their sums by place × office × topic instead. On
    /// a year of history most closed requests are there.
    settled_rows: Vec<Option<FigureRow>>,
    settled_free: Vec<usize>,
    settled: HashMap<(u32, u32, Topic), SettledSums>,
    /// The latest instant a row settled at: the sums hold for this instant and later ones.
    settled_as_of: Option<Timestamp>,
    names: Names,
    places: Vec<Place>,
    place_numbers: HashMap<Place, u32>,
}

/// Counts of one queue: open requests, and those at risk and breached among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub open: u64,
    pub at_risk: u64,
    pub breached: u64,
}

impl Tally {
    fn add(&mut self, counts: &[u64; 3]) {
        self.open += counts.iter().sum::<u64>();
        self.at_risk += counts[Level::AtRisk as usize];
        self.breached += counts[Level::Breached as usize];
    }
}

/// The counters of every queue but the agenda's, for one caller's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueTallies {
    /// Assigned to the caller.
    pub mine: Tally,
    pub unassigned: Tally,
    pub by_topic: HashMap<Topic, Tally>,
    pub awaiting: Tally,
    /// Every open request, split by level (the at-risk and breached queues).
    pub all_open: Tally,
    pub closed_today: u64,
}

impl Aggregates {
    /// The tallies `username`'s queues show in `scope` at `now`, after catching up with `tx`.
    pub fn queue_tallies(
        &self,
        tx: &mut dyn ReadTx,
        sla: &Sla,
        scope: &Scope,
        username: &str,
        now: Timestamp,
    ) -> Result<QueueTallies, StoreError> {
        let mut guard = self.current(tx, sla, now)?;
        let Some(state) = guard.as_mut() else {
            return Ok(QueueTallies::default());
        };
        let mut out = QueueTallies::default();
        for (key, counts) in &state.open {
            if !key.place.in_scope(scope) {
                continue;
            }
            out.all_open.add(counts);
            out.by_topic.entry(key.topic).or_default().add(counts);
            match &key.assignee {
                Some(who) if who.as_ref() == username => out.mine.add(counts),
                Some(_) => {}
                None => out.unassigned.add(counts),
            }
            if key.status == Status::InAttesaIntegrazione {
                out.awaiting.add(counts);
            }
        }
        let today = rome_day_start(now);
        out.closed_today = state
            .closed
            .iter()
            .filter(|(key, _)| key.day >= today && key.place.in_scope(scope))
            .map(|(_, n)| n)
            .sum();
        Ok(out)
    }

    /// The dashboard of `scope` at `now` after catching up with `tx`, with the outbox position
    /// it reflects; `Ok(None)` when that position is still `unchanged_since`.
    pub fn dashboard(
        &self,
        tx: &mut dyn ReadTx,
        sla: &Sla,
        scope: &Scope,
        now: Timestamp,
        unchanged_since: Option<u64>,
    ) -> Result<Option<(u64, Dashboard)>, StoreError> {
        let mut guard = self.current(tx, sla, now)?;
        let Some(state) = guard.as_mut() else {
            return Ok(Some((0, dashboard_of(&[], sla, now))));
        };
        if unchanged_since == Some(state.applied) {
            return Ok(None);
        }
        Ok(Some((state.applied, state.dashboard(sla, scope, now))))
    }

    /// Dashboard rows settled (read through their sums), for tests.
    pub fn settled_rows(&self) -> usize {
        self.lock()
            .as_ref()
            .map_or(0, |state| state.settled_rows.iter().flatten().count())
    }

    /// The outbox position applied last (0 before the first answer).
    pub fn applied(&self) -> u64 {
        self.lock().as_ref().map_or(0, |state| state.applied)
    }

    fn lock(&self) -> MutexGuard<'_, Option<State>> {
        // A panic while updating leaves counters that may be half-applied: start over.
        self.state.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            guard
        })
    }

    /// The state brought up to `tx`'s snapshot and to `now`.
    fn current(
        &self,
        tx: &mut dyn ReadTx,
        sla: &Sla,
        now: Timestamp,
    ) -> Result<MutexGuard<'_, Option<State>>, StoreError> {
        let mut guard = self.lock();
        let rebuild = match guard.as_mut() {
            None => true,
            Some(state) => !state.catch_up(tx, sla)?,
        };
        if rebuild {
            // Built off the lock's state so a failed read leaves the old one out, not half.
            *guard = None;
            *guard = Some(State::build(tx, sla, now)?);
        }
        if let Some(state) = guard.as_mut() {
            state.advance(sla, now);
        }
        Ok(guard)
    }
}

impl State {
    fn build(tx: &mut dyn ReadTx, sla: &Sla, now: Timestamp) -> Result<State, StoreError> {
        // The position first: in one snapshot the rows are exactly those it covers.
        let applied = tx.event_bounds()?.highest;
        let mut state = State {
            applied,
            levels_at: now,
            entries: HashMap::new(),
            open: HashMap::new(),
            closed: HashMap::new(),
            schedule: BTreeSet::new(),
            volatile: HashSet::new(),
            strings: HashSet::new(),
            rows: Vec::new(),
            free: Vec::new(),
            settled_rows: Vec::new(),
            settled_free: Vec::new(),
            settled: HashMap::new(),
            settled_as_of: None,
            names: Names::default(),
            places: Vec::new(),
            place_numbers: HashMap::new(),
        };
        let instant = sla.instant(now);
        let prep = Preparation::new(sla.policy(), sla.calendars());
        for row in tx.aggregate_rows(None)? {
            state.upsert(row, sla, &instant, &prep);
        }
        Ok(state)
    }

    /// The dashboard of the requests in `scope` at `now`. Open requests are counted at the
    /// level the counters hold for them: the cruscotto's at-risk and breached figures are the
    /// queues' own. Rows that can no longer change any figure but their cell's time-free sums
    /// are settled afterwards, for the next computations.
    fn dashboard(&mut self, sla: &Sla, scope: &Scope, now: Timestamp) -> Dashboard {
        let prep = Preparation::new(sla.policy(), sla.calendars());
        let options = DashboardOptions::of_policy(sla.policy());
        let uncovered = {
            let mut probe = FigureSums::new(&self.names, &prep, now, &options);
            self.settled
                .keys()
                .any(|&(_, office, _)| probe.now_total(office).is_none())
        };
        // Asked about an instant before the sums (tests, clock skew between nodes), or past
        // an office calendar's years: every row is read again.
        if uncovered || self.settled_as_of.is_some_and(|at| now < at) {
            self.unsettle_all();
        }
        let in_scope: Vec<bool> = self.places.iter().map(|p| p.in_scope(scope)).collect();
        // Summed on every core: a national scope is every live request of the node.
        let (mut sums, settling) = crate::parallel::fold(
            &self.rows,
            || {
                (
                    FigureSums::new(&self.names, &prep, now, &options),
                    Vec::new(),
                )
            },
            |(sums, settling), row| {
                if let Some(row) = row {
                    if in_scope[row.place as usize] {
                        sums.add(&row.facts, row.standing);
                    }
                    if sums.settles(&row.facts) {
                        settling.push(row.id.clone());
                    }
                }
            },
            |(sums, settling), (more, also)| {
                sums.merge(more);
                settling.extend(also);
            },
        );
        for (&(place, office, topic), settled) in &self.settled {
            if in_scope[place as usize] {
                sums.add_settled(office, topic, settled);
            }
        }
        let dashboard = sums.finish();
        if !settling.is_empty() {
            for id in settling {
                self.settle(&id);
            }
            self.settled_as_of = Some(self.settled_as_of.map_or(now, |at| at.max(now)));
        }
        dashboard
    }

    /// Stores `row`, live or settled, and says where.
    fn put_row(&mut self, row: FigureRow, settled: bool) -> Slot {
        let (table, free) = if settled {
            let key = (row.place, row.facts.office(), row.facts.topic());
            self.settled.entry(key).or_default().count(&row.facts, true);
            (&mut self.settled_rows, &mut self.settled_free)
        } else {
            (&mut self.rows, &mut self.free)
        };
        let at = free.pop().unwrap_or(table.len());
        match table.get_mut(at) {
            Some(slot) => *slot = Some(row),
            None => table.push(Some(row)),
        }
        if settled {
            Slot::Settled(at)
        } else {
            Slot::Live(at)
        }
    }

    /// Takes the row at `slot` out (and its sums, if settled).
    fn take_row(&mut self, slot: Slot) -> Option<FigureRow> {
        match slot {
            Slot::Live(at) => {
                let row = self.rows.get_mut(at)?.take()?;
                self.free.push(at);
                Some(row)
            }
            Slot::Settled(at) => {
                let row = self.settled_rows.get_mut(at)?.take()?;
                self.settled_free.push(at);
                let key = (row.place, row.facts.office(), row.facts.topic());
                if let Some(sums) = self.settled.get_mut(&key) {
                    sums.count(&row.facts, false);
                    if sums.is_empty() {
                        self.settled.remove(&key);
                    }
                }
                Some(row)
            }
        }
    }

    /// Moves a live row among the settled ones.
    fn settle(&mut self, id: &RequestId) {
        let Some(&Entry {
            slot: slot @ Slot::Live(_),
            ..
        }) = self.entries.get(id)
        else {
            return;
        };
        if let Some(row) = self.take_row(slot) {
            let settled = self.put_row(row, true);
            if let Some(entry) = self.entries.get_mut(id) {
                entry.slot = settled;
            }
        }
    }

    /// Every settled row live again.
    fn unsettle_all(&mut self) {
        let rows = std::mem::take(&mut self.settled_rows);
        self.settled_free.clear();
        self.settled.clear();
        self.settled_as_of = None;
        for row in rows.into_iter().flatten() {
            let id = row.id.clone();
            let slot = self.put_row(row, false);
            if let Some(entry) = self.entries.get_mut(&id) {
                entry.slot = slot;
            }
        }
    }

    /// Applies the events committed since [`State::applied`]; `false` when the state must be
    /// rebuilt instead (events pruned before this node saw them, a store replaced by a copy, a
    /// dataset imported).
    fn catch_up(&mut self, tx: &mut dyn ReadTx, sla: &Sla) -> Result<bool, StoreError> {
        let bounds = tx.event_bounds()?;
        if bounds.highest == self.applied {
            return Ok(true);
        }
        // Events this node never applied are gone (pruned, or a store replaced by a copy):
        // what they changed is unknown, so start over.
        let missed = bounds
            .lowest_kept
            .is_none_or(|lowest| lowest > self.applied + 1);
        if bounds.highest < self.applied || missed {
            return Ok(false);
        }
        let mut changed: Vec<RequestId> = Vec::new();
        let mut seen: HashSet<RequestId> = HashSet::new();
        let mut after = self.applied;
        while after < bounds.highest {
            let page = tx.outbox(after, bounds.highest, CATCH_UP_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.envelope.seq;
            for event in &page {
                if event.envelope.kind == DATASET_IMPORTED {
                    return Ok(false);
                }
                if let Some(id) = &event.envelope.request_id
                    && seen.insert(id.clone())
                {
                    changed.push(id.clone());
                }
            }
        }
        let instant = sla.instant(self.levels_at);
        let prep = Preparation::new(sla.policy(), sla.calendars());
        for chunk in changed.chunks(RELOAD_CHUNK) {
            let rows = tx.aggregate_rows(Some(chunk))?;
            let found: HashSet<RequestId> = rows.iter().map(|r| r.row.id.clone()).collect();
            for row in rows {
                self.upsert(row, sla, &instant, &prep);
            }
            for id in chunk.iter().filter(|id| !found.contains(*id)) {
                self.remove(id);
            }
        }
        self.applied = bounds.highest;
        Ok(true)
    }

    /// Re-evaluates the levels that may have changed by `now`.
    fn advance(&mut self, sla: &Sla, now: Timestamp) {
        let instant = sla.instant(now);
        let due: Vec<RequestId> = if now < self.levels_at {
            // Asked about an earlier instant (tests, clock skew between nodes): every open
            // request, since levels only ever move forward in the index.
            self.entries
                .iter()
                .filter(|(_, e)| matches!(e.counted, Counted::Open { .. }))
                .map(|(id, _)| id.clone())
                .collect()
        } else {
            let mut due: Vec<RequestId> = self
                .schedule
                .iter()
                .take_while(|(at, _)| *at <= now)
                .map(|(_, id)| id.clone())
                .collect();
            due.extend(self.volatile.iter().cloned());
            due
        };
        for id in due {
            self.reevaluate(&id, sla, &instant);
        }
        self.levels_at = now;
    }

    fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(found) = self.strings.get(text) {
            return Arc::clone(found);
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(Arc::clone(&shared));
        shared
    }

    fn upsert(
        &mut self,
        row: AggregateRow,
        sla: &Sla,
        instant: &SlaInstant<'_>,
        prep: &Preparation<'_>,
    ) {
        self.remove(&row.row.id);
        let place = Place {
            office: self.intern(&row.row.office),
            region: row.region.as_deref().map(|r| self.intern(r)),
            patronato: self.intern(&row.row.patronato),
        };
        let figures = FigureRow {
            id: row.row.id.clone(),
            facts: prep.prepare(&facts_of(&row.row, sla.policy()), &mut self.names),
            place: self.place_number(&place),
            standing: None,
        };
        let status = row.row.status;
        let id = row.row.id.clone();
        // An open request is counted at its level from the start, and scheduled.
        let (counted, clocks, assessment) = if status.is_open() {
            let assessment = assess(status, &row.clocks, sla, instant);
            let key = OpenKey {
                place,
                topic: row.row.topic,
                status,
                assignee: row.row.assignee.as_deref().map(|a| self.intern(a)),
            };
            let counted = Counted::Open {
                key,
                level: assessment.level,
            };
            (counted, row.clocks, Some(assessment))
        } else {
            let key = ClosedKey {
                place,
                day: rome_day_start(row.updated_at),
            };
            (Counted::Closed(key), Vec::new(), None)
        };
        self.count(&counted, 1);
        let next = assessment.and_then(|a| self.schedule_at(&id, None, a));
        let standing = match &counted {
            Counted::Open { level, .. } => Some(level.standing()),
            Counted::Closed(_) => None,
        };
        let slot = self.put_row(
            FigureRow {
                standing,
                ..figures
            },
            false,
        );
        let entry = Entry {
            counted,
            status,
            clocks,
            next,
            slot,
        };
        self.entries.insert(id, entry);
    }

    fn place_number(&mut self, place: &Place) -> u32 {
        if let Some(&n) = self.place_numbers.get(place) {
            return n;
        }
        let n = u32::try_from(self.places.len()).unwrap_or(u32::MAX);
        self.places.push(place.clone());
        self.place_numbers.insert(place.clone(), n);
        n
    }

    fn remove(&mut self, id: &RequestId) {
        if let Some(entry) = self.entries.remove(id) {
            self.take_row(entry.slot);
            self.count(&entry.counted, -1);
            if let Some(next) = entry.next {
                self.schedule.remove(&(next, id.clone()));
            }
            self.volatile.remove(id);
        }
    }

    fn count(&mut self, counted: &Counted, delta: i64) {
        match counted {
            Counted::Open { key, level } => self.count_open(key, *level, delta),
            Counted::Closed(key) => {
                let n = self.closed.entry(key.clone()).or_default();
                *n = n.saturating_add_signed(delta);
                if *n == 0 {
                    self.closed.remove(key);
                }
            }
        }
    }

    fn count_open(&mut self, key: &OpenKey, level: Level, delta: i64) {
        let counts = self.open.entry(key.clone()).or_default();
        let n = &mut counts[level as usize];
        *n = n.saturating_add_signed(delta);
        if counts.iter().all(|&n| n == 0) {
            self.open.remove(key);
        }
    }

    /// Recomputes one open request's level at `instant` and its place in the schedule.
    fn reevaluate(&mut self, id: &RequestId, sla: &Sla, instant: &SlaInstant<'_>) {
        let Some(entry) = self.entries.get(id) else {
            return;
        };
        let Counted::Open { key, level } = &entry.counted else {
            return;
        };
        let assessment = assess(entry.status, &entry.clocks, sla, instant);
        let (old_level, old_next, key) = (*level, entry.next, key.clone());
        if old_level != assessment.level {
            self.count_open(&key, old_level, -1);
            self.count_open(&key, assessment.level, 1);
        }
        let next = self.schedule_at(id, old_next, assessment);
        if let Some(entry) = self.entries.get_mut(id) {
            entry.next = next;
            entry.counted = Counted::Open {
                key,
                level: assessment.level,
            };
            // Open requests are never settled.
            if let Slot::Live(at) = entry.slot
                && let Some(Some(row)) = self.rows.get_mut(at)
            {
                row.standing = Some(assessment.level.standing());
            }
        }
    }

    /// Moves `id` in the schedule from `old_next` to where `assessment` puts it (or among the
    /// volatile requests); returns its new instant.
    fn schedule_at(
        &mut self,
        id: &RequestId,
        old_next: Option<Timestamp>,
        assessment: Assessment,
    ) -> Option<Timestamp> {
        if let Some(t) = old_next {
            self.schedule.remove(&(t, id.clone()));
        }
        if let Some(t) = assessment.next {
            self.schedule.insert((t, id.clone()));
        }
        if assessment.volatile {
            self.volatile.insert(id.clone());
        } else {
            self.volatile.remove(id);
        }
        assessment.next
    }
}

/// An open request's level at an instant, and when it may next change by itself.
#[derive(Debug, Clone, Copy)]
struct Assessment {
    level: Level,
    next: Option<Timestamp>,
    /// The fast path cannot tell when: re-evaluated at every answer.
    volatile: bool,
}

fn assess(status: Status, clocks: &[Clock], sla: &Sla, instant: &SlaInstant<'_>) -> Assessment {
    let level = match sla.risk_at(status, clocks, instant) {
        (_, true) => Level::Breached,
        (true, false) => Level::AtRisk,
        (false, false) => Level::Ok,
    };
    let mut next = Some(Timestamp::MAX);
    for clock in clocks {
        match sla::next_state_change(clock, instant) {
            StateChange::Never => {}
            StateChange::At(t) => next = next.map(|n| n.min(t)),
            StateChange::Unknown => next = None,
        }
    }
    Assessment {
        level,
        next: next.filter(|&t| t < Timestamp::MAX),
        volatile: next.is_none(),
    }
}

/// The dashboard's facts of one request.
pub fn facts_of(row: &DashboardRow, policy: &Policy) -> RequestFacts {
    RequestFacts {
        id: row.id.to_string(),
        office: row.office.clone(),
        topic: row.topic,
        priority: row.priority,
        patronato: row.patronato.clone(),
        status: row.status,
        assignee: row.assignee.clone(),
        created_at: row.created_at,
        first_reply_at: None,
        closed_at: None,
        pauses: Vec::new(),
        integration_requests: 0,
        reopens: 0,
        forwards: 0,
        targets: Targets::from_policy(policy, row.topic, row.priority),
        standing: None,
    }
    .with_history(&row.history)
}

/// Computed dashboards shared by every session of one scope.
///
/// Callers of one scope take turns on one slot, so at most one computation per scope runs at a
/// time. A caller is served a computation that started after it asked (the sessions that waited
/// while it ran share it), or, while nothing was committed since, the last one up to
/// [`DashboardMemo::STALE`] old (SLA levels also move with time alone). So every answer
/// includes every write acknowledged before the call, and however many sessions watch a busy
/// scope, its figures cost at most one computation at a time; an idle scope costs one per
/// `STALE`.
#[derive(Default)]
pub struct DashboardMemo {
    scopes: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Memo>>>>>,
    /// Dashboards computed so far (how much the sessions cost).
    computed: std::sync::atomic::AtomicU64,
}

pub struct Memo {
    applied: u64,
    /// When the computation began reading its snapshot.
    at: Timestamp,
    /// The latest instant the store confirmed nothing was committed since `applied` (the
    /// figures are as fresh as a computation started then).
    checked: Timestamp,
    dashboard: Arc<Dashboard>,
}

impl DashboardMemo {
    /// Younger than this, a computed dashboard is served while nothing new was committed.
    pub const STALE: SignedDuration = SignedDuration::from_secs(30);

    /// Counts one computation.
    pub fn computing(&self) {
        self.computed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Dashboards computed so far by this node.
    pub fn computations(&self) -> u64 {
        self.computed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The slot of `scope`, shared by its sessions.
    pub fn slot(&self, scope: &Scope) -> Arc<tokio::sync::Mutex<Option<Memo>>> {
        let key = format!("{scope:?}");
        let mut scopes = self
            .scopes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(scopes.entry(key).or_default())
    }
}

impl Memo {
    pub fn new(applied: u64, at: Timestamp, dashboard: Arc<Dashboard>) -> Memo {
        Memo {
            applied,
            at,
            checked: at,
            dashboard,
        }
    }

    /// The dashboard, when its computation (or a check that nothing was committed since it)
    /// started after a caller asked at `asked`.
    pub fn fresh(&self, asked: Timestamp) -> Option<Arc<Dashboard>> {
        (self.checked >= asked).then(|| Arc::clone(&self.dashboard))
    }

    /// The store confirmed at `at` that nothing was committed since the figures: the callers
    /// that asked before it are served without asking the store again.
    pub fn confirmed(&mut self, at: Timestamp) {
        self.checked = self.checked.max(at);
    }

    /// The outbox position it reflects, while younger than [`DashboardMemo::STALE`] at `now`
    /// (`None`: recompute whatever the outbox says).
    pub fn reusable_while_at(&self, now: Timestamp) -> Option<u64> {
        let age = now.duration_since(self.at);
        (age >= SignedDuration::ZERO && age < DashboardMemo::STALE).then_some(self.applied)
    }

    pub fn dashboard(&self) -> Arc<Dashboard> {
        Arc::clone(&self.dashboard)
    }
}

/// The dashboard over `facts` at `now`, on the service's policy and calendars.
pub fn dashboard_of(facts: &[RequestFacts], sla: &Sla, now: Timestamp) -> Dashboard {
    compute_on(facts, sla.policy(), sla.calendars(), now)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::demo::{DemoSize, generate};
    use crate::domain::roles::Role;
    use crate::service::core::{App, Core};
    use crate::service::sla::Sla;
    use crate::service::store::sqlite::SqliteStore;

    /// The dashboard the node keeps is `compute`'s over the same requests, each open one at
    /// the level its clocks give: after the start, after takes, closes and forwards (rows
    /// replaced and moved to other offices), and later, when levels moved by time alone and old closed requests settled.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kept_figures_equal_the_figures_computed_from_the_rows() {
        use super::{assess, dashboard_of, facts_of};
        use crate::api::ActionBody;
        use crate::domain::request::{Outcome, Status};
        use crate::service::core::{WriteCommand, WriteContext};
        use crate::service::store::{ReadTx, Scope, Storage};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let sla = Sla::embedded().unwrap();
        let app = Arc::new(Core::new(store, Arc::clone(&sla)));
        let now: jiff::Timestamp = "2026-11-23T15:00:00Z".parse().unwrap();
        // Busy enough for a few dozen new requests to take.
        let size = DemoSize {
            requests: 1_500,
            days: 30,
            ..DemoSize::small()
        };
        let data = generate(7, size, now);
        let by_role = |role: Role| data.operators.iter().find(|o| o.role == role).cloned();
        let admin = by_role(Role::Admin).unwrap();
        let supervisor = by_role(Role::Supervisor).unwrap();
        let new_in = |office: &Option<String>| {
            data.requests
                .iter()
                .filter(|r| Some(&r.office) == office.as_ref() && r.status == Status::Nuova)
                .count()
        };
        // The operator with the most new requests to take.
        let operator = data
            .operators
            .iter()
            .filter(|o| o.role == Role::Operator)
            .max_by_key(|o| new_in(&o.office))
            .cloned()
            .unwrap();
        let office = operator.office.clone().unwrap();
        let other_office = data
            .offices
            .iter()
            .map(|o| o.code.clone())
            .find(|code| *code != office)
            .unwrap();
        let mine: Vec<_> = data
            .requests
            .iter()
            .filter(|r| r.office == office && r.status == Status::Nuova)
            .map(|r| r.id.clone())
            .take(24)
            .collect();
        app.import(data.clone()).await.unwrap();
        let reader = SqliteStore::open(&path).unwrap();

        let expected = |at: jiff::Timestamp, scope: Scope| {
            let sla = Arc::clone(&sla);
            reader.read(move |tx: &mut dyn ReadTx| {
                let instant = sla.instant(at);
                let facts: Vec<_> = tx
                    .aggregate_rows(None)?
                    .into_iter()
                    .filter(|row| {
                        crate::service::core::access::in_scope(
                            &scope,
                            Some(&row.row.office),
                            row.region.as_deref(),
                            Some(&row.row.patronato),
                        )
                    })
                    .map(|row| {
                        let mut facts = facts_of(&row.row, sla.policy());
                        if row.row.status.is_open() {
                            let level = assess(row.row.status, &row.clocks, &sla, &instant).level;
                            facts.standing = Some(level.standing());
                        }
                        facts
                    })
                    .collect();
                Ok(dashboard_of(&facts, &sla, at))
            })
        };
        let check = |at: jiff::Timestamp, when: &'static str| {
            let (app, admin, supervisor) = (Arc::clone(&app), admin.clone(), supervisor.clone());
            let expected = &expected;
            async move {
                for who in [admin, supervisor] {
                    let kept = app.dashboard(&who, at).await.unwrap();
                    let scope = crate::service::core::access::scope_of(&who);
                    let computed = expected(at, scope).await.unwrap();
                    assert!(!computed.cells.is_empty(), "{when}: no figures to compare");
                    assert_eq!(*kept, computed, "{when}, {:?}", who.role);
                }
            }
        };
        check(now, "after the import").await;

        let write = |id, action: ActionBody, minutes: i64| {
            let ctx = WriteContext {
                principal: operator.clone(),
                remote_addr: None,
                now: now + jiff::SignedDuration::from_mins(minutes),
                idempotency: None,
            };
            let cmd = WriteCommand::Action {
                id,
                if_match: None,
                action,
            };
            let app = Arc::clone(&app);
            // A transition the request's state refuses is no write: skipped.
            async move { app.write(ctx, cmd).await.is_ok_and(|r| r.status < 300) }
        };
        let mut done = 0;
        for (i, id) in mine.iter().enumerate() {
            let minutes = i as i64;
            if !write(id.clone(), ActionBody::Take, minutes).await {
                continue;
            }
            let action = match i % 3 {
                0 => ActionBody::Close {
                    outcome: Outcome::Evasa,
                    note: None,
                },
                1 => ActionBody::Forward {
                    office: other_office.clone(),
                    note: Some("competenza territoriale".into()),
                },
                _ => continue,
            };
            if write(id.clone(), action, minutes).await {
                done += 1;
            }
        }
        assert!(done >= 6, "only {done} closes and forwards went through");
        let later = now + jiff::SignedDuration::from_mins(30);
        check(later, "after the writes").await;
        // The memo serves a scope's figures while nothing is committed: a write, then twenty
        // days on, when many levels have moved with time alone.
        let mut tagged = false;
        for id in &mine {
            let tag = ActionBody::Tag {
                tag: "verifica".into(),
            };
            if write(id.clone(), tag, 40).await {
                tagged = true;
                break;
            }
        }
        assert!(tagged, "no request took a tag");
        let weeks_on = later + jiff::SignedDuration::from_hours(24 * 20);
        check(weeks_on, "twenty days on").await;
        // Closed requests older than every window settled: the next computations add their
        // sums instead of reading them, and a write to one takes it out again.
        let settled = app.aggregates.settled_rows();
        assert!(settled > 100, "only {settled} rows settled");
        let month_ago = now - jiff::SignedDuration::from_hours(24 * 25);
        let old_closed: Vec<_> = data
            .requests
            .iter()
            .filter(|r| r.status == Status::Chiusa && r.created_at < month_ago)
            .map(|r| r.id.clone())
            .collect();
        let tag = |tag: &str| ActionBody::Tag { tag: tag.into() };
        assert!(write(mine[0].clone(), tag("dopo"), 50).await);
        let hour = jiff::SignedDuration::from_hours(1);
        check(weeks_on + hour, "from the settled sums").await;
        let mut retagged = false;
        for id in &old_closed {
            if write(id.clone(), tag("archivio"), 60).await {
                retagged = true;
                break;
            }
        }
        if retagged {
            check(weeks_on + hour * 2, "a settled request written").await;
        }
        // Back to an earlier instant: every row is read again.
        assert!(write(mine[0].clone(), tag("ancora"), 70).await);
        check(later, "an earlier instant after settling").await;
        let left = app.aggregates.settled_rows();
        assert!(
            left < settled,
            "{left} rows stayed settled for an earlier instant"
        );
    }

    /// Fifty sessions of one scope asking at once cost one computation (two at most), not
    /// fifty, and a later caller with nothing committed since costs none. (That an answer
    /// includes the writes acknowledged before it is `tests/tui_flows.rs`'s figures test.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_of_one_scope_share_a_computation_and_see_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite3")).unwrap();
        let app = Arc::new(Core::new(store, Sla::embedded().unwrap()));
        let now = jiff::Timestamp::now();
        let data = generate(5, DemoSize::small(), now);
        let admin = data
            .operators
            .iter()
            .find(|o| o.role == Role::Admin)
            .cloned()
            .unwrap();
        app.import(data).await.unwrap();
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let (app, admin) = (Arc::clone(&app), admin.clone());
                tokio::spawn(async move { app.dashboard(&admin, now).await.unwrap() })
            })
            .collect();
        let mut answers = Vec::new();
        for call in calls {
            answers.push(call.await.unwrap());
        }
        assert!(
            app.dashboard_computations() <= 2,
            "{} computations for 50 concurrent sessions",
            app.dashboard_computations()
        );
        assert!(answers.iter().all(|a| **a == *answers[0]));
        // Unchanged outbox: the next caller is served the same figures.
        let before = app.dashboard_computations();
        app.dashboard(&admin, now).await.unwrap();
        assert_eq!(app.dashboard_computations(), before);
    }
}
