//! The cruscotto over requests prepared once: [`compute_on`](super::compute_on)'s figures
//! without measuring history at every call.
//!
//! [`compute`](super::compute) works from each request's history and measures its business
//! times on its office calendar at every call: a million requests take seconds. A
//! [`BusinessCalendar`](crate::domain::calendar::BusinessCalendar) is a running total of
//! business seconds, so the business time between two instants is a difference of totals.
//! [`PreparedFacts`] keeps what does not change with the clock (first-reply and resolution
//! business times, the totals at filing and close, the business time spent paused, Rome days),
//! and [`compute_prepared`] needs one total per office at `now` and a few integer operations
//! per request. The definitions are those of the module above, figure by figure; the tests
//! compare both paths on generated requests.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;

use super::{
    BusinessClock, CellFigures, DAY, Dashboard, DashboardOptions, DurationStats, PatronatiByPeriod,
    PatronatoFigures, RequestFacts, Share, SlaCalendars, Standing, Targets, TrendDay, Workload,
    age_bucket, forecast_of, is_forecast_candidate, is_recent_closure, open_state, rome,
    running_business_seconds, series_len, start_of_day, workload_of,
};
use crate::domain::calendar::CalendarSet;
use crate::domain::request::{Status, Topic};
use crate::domain::sla::Policy;

/// Small numbers for the offices, patronati and operators of prepared requests: a million
/// requests share a few hundred offices and patronati and a few thousand operators. Each kind
/// is numbered apart, so the sums of a computation are as long as the offices (or patronati,
/// or operators) are many.
#[derive(Debug, Default, Clone)]
pub struct Names {
    offices: Numbering,
    patronati: Numbering,
    operators: Numbering,
}

#[derive(Debug, Default, Clone)]
struct Numbering {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Numbering {
    /// The number of `name`, given it if new.
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.index.get(name) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let shared: Arc<str> = Arc::from(name);
        self.names.push(Arc::clone(&shared));
        self.index.insert(shared, n);
        n
    }

    fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("", |s| s)
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

/// An instant with its Rome day and, for replies and closes, its business time. Instants are
/// kept in microseconds (as the stores keep them): a row is read whole at every computation,
/// so its size is what a national dashboard costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    /// Microseconds since the Unix epoch.
    at: i64,
    /// Business seconds the clock ran from filing to it, pauses excluded.
    secs: i64,
    /// Running total of the office calendar at it ([`NO_TOTAL`]: no calendar, or out of its
    /// years).
    total: i64,
    /// Day number of its Europe/Rome date.
    day: i32,
}

/// No calendar total: the office has no calendar, or the instant lies outside its years.
const NO_TOTAL: i64 = i64::MIN;
/// `settled_at` of a request with a pause still open.
const NEVER_SETTLED: i64 = i64::MAX;

/// One request's facts with what does not change with the clock worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFacts {
    office: u32,
    patronato: u32,
    assignee: Option<u32>,
    topic: Topic,
    status: Status,
    integration_requests: u32,
    reopens: u32,
    forwards: u32,
    targets: Targets,
    filed: Mark,
    first_reply: Option<Mark>,
    closed: Option<Mark>,
    /// Business seconds of the pauses, once all of them are over.
    paused_secs: i64,
    /// From this instant (µs) `paused_secs` holds: the last pause's end ([`NEVER_SETTLED`]
    /// while one is open).
    settled_at: i64,
    /// The pauses themselves, for an instant before `settled_at` (a recount, a test).
    pauses: Box<[(Timestamp, Option<Timestamp>)]>,
}

/// What [`PreparedFacts`] are measured against: the service's calendars and day length.
pub struct Preparation<'a> {
    clock: SlaCalendars<'a>,
    rome: jiff::tz::TimeZone,
}

impl<'a> Preparation<'a> {
    pub fn new(policy: &Policy, calendars: &'a CalendarSet) -> Self {
        Preparation {
            clock: SlaCalendars {
                calendars,
                business_day_hours: policy.business_day_hours,
            },
            rome: rome(),
        }
    }

    /// `facts` prepared (its `standing` is left out: it changes with time, the caller has it).
    pub fn prepare(&self, facts: &RequestFacts, names: &mut Names) -> PreparedFacts {
        let calendar = self.clock.calendars.get(&facts.office).ok();
        let total = |at: Timestamp| {
            calendar
                .and_then(|c| c.elapsed(at).ok())
                .unwrap_or(NO_TOTAL)
        };
        let running = |until: Timestamp| {
            running_business_seconds(
                &self.clock,
                &facts.office,
                facts.created_at,
                &facts.pauses,
                until,
            )
        };
        let mark = |at: Timestamp, secs: i64| Mark {
            at: at.as_microsecond(),
            day: self.day_of(at),
            secs,
            total: total(at),
        };
        let settled_at = facts
            .pauses
            .iter()
            .try_fold(facts.created_at, |last, pause| {
                pause.1.map(|end| last.max(end))
            })
            .map_or(NEVER_SETTLED, Timestamp::as_microsecond);
        let paused_secs = facts
            .pauses
            .iter()
            .map(|&(start, end)| {
                end.map_or(0, |end| {
                    self.clock.business_seconds(&facts.office, start, end)
                })
            })
            .sum();
        PreparedFacts {
            office: names.offices.intern(&facts.office),
            patronato: names.patronati.intern(&facts.patronato),
            assignee: facts.assignee.as_deref().map(|a| names.operators.intern(a)),
            topic: facts.topic,
            status: facts.status,
            integration_requests: facts.integration_requests,
            reopens: facts.reopens,
            forwards: facts.forwards,
            targets: facts.targets,
            filed: mark(facts.created_at, 0),
            first_reply: facts.first_reply_at.map(|at| mark(at, running(at))),
            closed: facts.closed_at.map(|at| mark(at, running(at))),
            paused_secs,
            settled_at,
            pauses: facts.pauses.clone().into_boxed_slice(),
        }
    }

    fn day_of(&self, at: Timestamp) -> i32 {
        day_number(at.to_zoned(self.rome.clone()).date())
    }
}

/// Days from 1 January 2000 to `date`.
fn day_number(date: Date) -> i32 {
    (date - Date::constant(2000, 1, 1)).get_days()
}

/// Business seconds from a marked instant to `now` as `SlaCalendars` counts them: none when
/// `now` is not after it or either instant lies outside the calendar.
fn since(mark: &Mark, now: &Now, now_total: Option<i64>) -> i64 {
    match now_total {
        Some(to) if mark.total != NO_TOTAL && now.is_after(mark.at) => to - mark.total,
        _ => 0,
    }
}

/// An instant of the computation (`now`, the start of today, …) compared with instants in
/// microseconds, exactly: the bounds are its floor and ceiling in microseconds.
#[derive(Clone, Copy)]
struct Bound {
    floor: i64,
    ceil: i64,
}

impl Bound {
    fn of(at: Timestamp) -> Bound {
        let nanos = at.as_nanosecond();
        let micros = |n: i128| i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX });
        Bound {
            floor: micros(nanos.div_euclid(1000)),
            ceil: micros(-(-nanos).div_euclid(1000)),
        }
    }

    /// `at ≤ self`.
    fn is_at_or_after(self, at: i64) -> bool {
        at <= self.floor
    }

    /// `at < self`.
    fn is_after(self, at: i64) -> bool {
        at < self.ceil
    }

    /// `at ≥ self`.
    fn is_at_or_before(self, at: i64) -> bool {
        at >= self.ceil
    }
}

/// `now`, as a timestamp and as bounds.
struct Now {
    at: Timestamp,
    bound: Bound,
}

impl Now {
    fn is_after(&self, at: i64) -> bool {
        self.bound.is_after(at)
    }
}

impl PreparedFacts {
    /// Its office's number in the [`Names`] it was prepared with.
    pub fn office(&self) -> u32 {
        self.office
    }

    pub fn topic(&self) -> Topic {
        self.topic
    }

    fn is_open(&self) -> bool {
        self.status.is_open()
    }

    fn is_paused(&self) -> bool {
        self.status == Status::InAttesaIntegrazione
    }

    /// The clock's running business seconds at `now`, given the business seconds since filing.
    fn running_at(&self, prep: &Preparation<'_>, names: &Names, now: &Now, age: i64) -> i64 {
        if now.bound.is_at_or_after(self.settled_at) {
            (age - self.paused_secs).max(0)
        } else {
            let office = names.offices.name(self.office);
            let filed = Timestamp::from_microsecond(self.filed.at).unwrap_or(now.at);
            running_business_seconds(&prep.clock, office, filed, &self.pauses, now.at)
        }
    }
}

/// Sums of one office × topic cell (or office) while the requests are walked.
#[derive(Default)]
struct CellSums {
    present: bool,
    figures: CellFigures,
    first_replies: Vec<i64>,
    resolutions: Vec<i64>,
    recent_closures: u32,
    candidates: Vec<i64>,
}

impl CellSums {
    /// Adds `other`'s requests (an office's total from its cells).
    fn merge(&mut self, other: &CellSums) {
        let (a, b) = (&mut self.figures, &other.figures);
        self.present |= other.present;
        a.open += b.open;
        a.at_risk += b.at_risk;
        a.breached += b.breached;
        a.paused += b.paused;
        for (share, more) in [
            (&mut a.within_sla_today, b.within_sla_today),
            (&mut a.within_sla_7d, b.within_sla_7d),
            (&mut a.within_sla_30d, b.within_sla_30d),
            (&mut a.reopen, b.reopen),
            (&mut a.forwarded, b.forwarded),
        ] {
            share.add(more);
        }
        for (bucket, more) in a.backlog_by_age.iter_mut().zip(b.backlog_by_age) {
            *bucket += more;
        }
        a.forward_hops += b.forward_hops;
        a.max_forward_hops = a.max_forward_hops.max(b.max_forward_hops);
        self.first_replies.extend_from_slice(&other.first_replies);
        self.resolutions.extend_from_slice(&other.resolutions);
        self.recent_closures += other.recent_closures;
        self.candidates.extend_from_slice(&other.candidates);
    }

    fn finish(self, office: &str, topic: Option<Topic>, day_secs: i64) -> CellFigures {
        CellFigures {
            office: office.to_string(),
            topic,
            first_reply: DurationStats::of(self.first_replies),
            resolution: DurationStats::of(self.resolutions),
            forecast: forecast_of(self.recent_closures, self.candidates, day_secs),
            ..self.figures
        }
    }
}

/// What settled requests of one office and topic add to its cell, whatever the instant (see
/// [`FigureSums::settles`]): requests can be taken out again when one changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettledSums {
    /// Every settled request is closed, so it counts in the reopen share: `reopen.total` is
    /// also how many requests these are.
    reopen: Share,
    forwarded: Share,
    forward_hops: u32,
    /// Requests by number of forwards (for the greatest, as requests come and go).
    by_forwards: Vec<u32>,
}

impl SettledSums {
    /// Adds (`true`) or takes out (`false`) a settled request.
    pub fn count(&mut self, f: &PreparedFacts, add: bool) {
        let step = |n: &mut u32| {
            *n = if add {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            }
        };
        step(&mut self.reopen.total);
        if f.reopens > 0 {
            step(&mut self.reopen.hits);
        }
        step(&mut self.forwarded.total);
        if f.forwards > 0 {
            step(&mut self.forwarded.hits);
        }
        self.forward_hops = if add {
            self.forward_hops + f.forwards
        } else {
            self.forward_hops.saturating_sub(f.forwards)
        };
        let hops = f.forwards as usize;
        if self.by_forwards.len() <= hops {
            self.by_forwards.resize(hops + 1, 0);
        }
        step(&mut self.by_forwards[hops]);
    }

    pub fn is_empty(&self) -> bool {
        self.reopen.total == 0
    }

    fn max_forward_hops(&self) -> u32 {
        self.by_forwards
            .iter()
            .rposition(|&n| n > 0)
            .map_or(0, |i| u32::try_from(i).unwrap_or(u32::MAX))
    }
}

/// Sums of one patronato over one period.
#[derive(Default)]
struct PatronatoSums {
    figures: PatronatoFigures,
    first_replies: Vec<i64>,
    resolutions: Vec<i64>,
}

impl PatronatoSums {
    fn merge(&mut self, other: &PatronatoSums) {
        let (a, b) = (&mut self.figures, &other.figures);
        a.volume += b.volume;
        a.breached_open += b.breached_open;
        a.integration_requests += b.integration_requests;
        for (share, more) in [
            (&mut a.defect, b.defect),
            (&mut a.reopen, b.reopen),
            (&mut a.within_sla, b.within_sla),
        ] {
            share.add(more);
        }
        self.first_replies.extend_from_slice(&other.first_replies);
        self.resolutions.extend_from_slice(&other.resolutions);
    }

    fn add(&mut self, f: &PreparedFacts, standing: Option<Standing>) {
        let fig = &mut self.figures;
        fig.volume += 1;
        if f.is_open() && standing.is_some_and(|s| s.breached) {
            fig.breached_open += 1;
        }
        if let Some(closed) = &f.closed {
            self.resolutions.push(closed.secs);
        }
        fig.integration_requests += f.integration_requests;
        fig.defect.count(f.integration_requests > 0);
        if f.first_reply.is_some() || f.closed.is_some() || f.reopens > 0 {
            fig.reopen.count(f.reopens > 0);
        }
        if let Some(reply) = &f.first_reply {
            fig.within_sla
                .count(reply.secs <= f.targets.first_reply_secs);
            self.first_replies.push(reply.secs);
        }
    }
}

/// The cruscotto of `rows` (prepared by `prep`, each with the service's standing of an open
/// request) at `now`: what [`compute`](super::compute) gives for the same requests.
pub fn compute_prepared<'r>(
    rows: impl IntoIterator<Item = (&'r PreparedFacts, Option<Standing>)>,
    names: &Names,
    prep: &Preparation<'_>,
    now: Timestamp,
    options: &DashboardOptions,
) -> Dashboard {
    let mut sums = FigureSums::new(names, prep, now, options);
    for (facts, standing) in rows {
        sums.add(facts, standing);
    }
    sums.finish()
}

/// The sums of the cruscotto over some requests: add them one by one, merge the sums of
/// several parts (threads), then [`FigureSums::finish`].
pub struct FigureSums<'a> {
    names: &'a Names,
    prep: &'a Preparation<'a>,
    options: &'a DashboardOptions,
    now: Now,
    day_secs: i64,
    today: Bound,
    since_7d: Bound,
    since_30d: Bound,
    /// Day number of the trend's first day.
    first_day: i32,
    /// The calendar total at `now` of each office, looked up the first time it is needed.
    now_totals: Vec<Option<Option<i64>>>,
    /// By office number × topic.
    cells: Vec<CellSums>,
    /// By patronato number, for today, 7 and 30 days.
    patronati: [Vec<PatronatoSums>; 3],
    /// Filed, answered, answered within target, closed, per trend day.
    trend: Vec<[u32; 4]>,
    /// Open requests by operator number.
    per_operator: Vec<u32>,
    unassigned_open: u32,
}

const TOPICS: usize = Topic::ALL.len();

/// Index of an office × topic cell in [`FigureSums::cells`].
fn cell_index(office: u32, topic: Topic) -> usize {
    let topic = Topic::ALL.iter().position(|t| *t == topic).unwrap_or(0);
    office as usize * TOPICS + topic
}

impl<'a> FigureSums<'a> {
    pub fn new(
        names: &'a Names,
        prep: &'a Preparation<'a>,
        now: Timestamp,
        options: &'a DashboardOptions,
    ) -> Self {
        let trend_days = series_len(options.trend_days);
        let back = i32::try_from(options.trend_days.saturating_sub(1)).unwrap_or(0);
        let mut cells = Vec::new();
        cells.resize_with(names.offices.len() * TOPICS, CellSums::default);
        let mut patronati: [Vec<PatronatoSums>; 3] = Default::default();
        for period in &mut patronati {
            period.resize_with(names.patronati.len(), PatronatoSums::default);
        }
        FigureSums {
            names,
            prep,
            options,
            now: Now {
                at: now,
                bound: Bound::of(now),
            },
            day_secs: prep.clock.business_day_seconds("").max(1),
            today: Bound::of(start_of_day(now, &prep.rome)),
            since_7d: Bound::of(now - DAY * 7),
            since_30d: Bound::of(now - DAY * 30),
            first_day: prep.day_of(now) - back,
            now_totals: vec![None; names.offices.len()],
            cells,
            patronati,
            trend: vec![[0; 4]; trend_days],
            per_operator: vec![0; names.operators.len()],
            unassigned_open: 0,
        }
    }

    fn slot(&self, day: i32) -> Option<usize> {
        usize::try_from(day - self.first_day)
            .ok()
            .filter(|&i| i < self.trend.len())
    }

    /// The calendar total of `office` at `now` (`None`: no calendar, or out of its years).
    pub fn now_total(&mut self, office: u32) -> Option<i64> {
        let (now, names, prep) = (&self.now, self.names, self.prep);
        *self.now_totals[office as usize].get_or_insert_with(|| {
            prep.clock
                .calendars
                .get(names.offices.name(office))
                .ok()
                .and_then(|c| c.elapsed(now.at).ok())
        })
    }

    /// Whether `f`, counted at this instant or any later one, adds nothing but what
    /// [`SettledSums`] keeps: a closed request filed, answered and closed before every window
    /// of the cruscotto (the 30 days, the trend's days, the closing rate's business days).
    /// Later instants keep it so while its office's calendar covers them.
    pub fn settles(&mut self, f: &PreparedFacts) -> bool {
        // Only a closed request has a close.
        let Some(closed) = f.closed else {
            return false;
        };
        let before_windows = |mark: &Mark, sums: &Self| {
            !sums.since_30d.is_at_or_before(mark.at) && mark.day < sums.first_day
        };
        if !before_windows(&f.filed, self)
            || !before_windows(&closed, self)
            || f.first_reply
                .is_some_and(|reply| !before_windows(&reply, self))
        {
            return false;
        }
        let now_total = self.now_total(f.office);
        now_total.is_some()
            && closed.total != NO_TOTAL
            && !is_recent_closure(since(&closed, &self.now, now_total), self.day_secs)
    }

    /// Adds requests of one office and topic summed while they were settled.
    pub fn add_settled(&mut self, office: u32, topic: Topic, settled: &SettledSums) {
        if settled.is_empty() {
            return;
        }
        let sums = &mut self.cells[cell_index(office, topic)];
        sums.present = true;
        let cell = &mut sums.figures;
        cell.reopen.add(settled.reopen);
        cell.forwarded.add(settled.forwarded);
        cell.forward_hops += settled.forward_hops;
        cell.max_forward_hops = cell.max_forward_hops.max(settled.max_forward_hops());
    }

    /// Counts one request.
    pub fn add(&mut self, f: &PreparedFacts, standing: Option<Standing>) {
        let now_total = self.now_total(f.office);
        let (now, day_secs, names, prep) = (&self.now, self.day_secs, self.names, self.prep);
        let sums = &mut self.cells[cell_index(f.office, f.topic)];
        sums.present = true;
        let cell = &mut sums.figures;
        if f.is_open() {
            let age = since(&f.filed, now, now_total);
            let warning = self.options.warning_percent;
            cell.count_open(standing, f.is_paused(), || {
                let used = f.running_at(prep, names, now, age);
                let target = f.targets.governing(f.first_reply.is_some());
                open_state(used, target, f.is_paused(), warning)
            });
            cell.backlog_by_age[age_bucket(age / day_secs)] += 1;
            if !f.is_paused() {
                let remaining = f.targets.resolution_secs - f.running_at(prep, names, now, age);
                if is_forecast_candidate(remaining, day_secs) {
                    sums.candidates.push(remaining);
                }
            }
            match f.assignee {
                Some(a) => self.per_operator[a as usize] += 1,
                None => self.unassigned_open += 1,
            }
        }
        let cell = &mut sums.figures;
        if let Some(reply) = &f.first_reply {
            let met = reply.secs <= f.targets.first_reply_secs;
            if now.bound.is_at_or_after(reply.at) {
                if self.today.is_at_or_before(reply.at) {
                    cell.within_sla_today.count(met);
                }
                if self.since_7d.is_at_or_before(reply.at) {
                    cell.within_sla_7d.count(met);
                }
                if self.since_30d.is_at_or_before(reply.at) {
                    cell.within_sla_30d.count(met);
                    sums.first_replies.push(reply.secs);
                }
            }
        }
        if let Some(closed) = &f.closed {
            let closed_by_now = now.bound.is_at_or_after(closed.at);
            if closed_by_now && self.since_30d.is_at_or_before(closed.at) {
                sums.resolutions.push(closed.secs);
            }
            if closed_by_now && is_recent_closure(since(closed, now, now_total), day_secs) {
                sums.recent_closures += 1;
            }
        }
        if f.first_reply.is_some() || f.closed.is_some() || f.reopens > 0 {
            cell.reopen.count(f.reopens > 0);
        }
        cell.forwarded.count(f.forwards > 0);
        cell.forward_hops += f.forwards;
        cell.max_forward_hops = cell.max_forward_hops.max(f.forwards);

        if let Some(i) = self.slot(f.filed.day) {
            self.trend[i][0] += 1;
        }
        if let Some(reply) = &f.first_reply
            && let Some(i) = self.slot(reply.day)
        {
            self.trend[i][1] += 1;
            if reply.secs <= f.targets.first_reply_secs {
                self.trend[i][2] += 1;
            }
        }
        if let Some(i) = f.closed.as_ref().and_then(|c| self.slot(c.day)) {
            self.trend[i][3] += 1;
        }
        let starts = [self.today, self.since_7d, self.since_30d];
        for (period, start) in self.patronati.iter_mut().zip(starts) {
            if start.is_at_or_before(f.filed.at) {
                period[f.patronato as usize].add(f, standing);
            }
        }
    }

    /// Adds the requests `other` counted (same names, preparation, instant and options).
    pub fn merge(&mut self, other: FigureSums<'_>) {
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.patronati.iter_mut().zip(&other.patronati) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
        for (day, more) in self.trend.iter_mut().zip(&other.trend) {
            for (n, m) in day.iter_mut().zip(more) {
                *n += m;
            }
        }
        for (n, m) in self.per_operator.iter_mut().zip(&other.per_operator) {
            *n += m;
        }
        self.unassigned_open += other.unassigned_open;
    }

    /// The dashboard of the requests counted.
    pub fn finish(self) -> Dashboard {
        let FigureSums {
            names,
            options,
            now,
            day_secs,
            first_day,
            mut cells,
            patronati,
            trend,
            per_operator,
            unassigned_open,
            ..
        } = self;
        // Rows in the order of `compute`: by office name, then topic.
        let mut offices: Vec<usize> = (0..names.offices.len())
            .filter(|&o| {
                cells[o * TOPICS..(o + 1) * TOPICS]
                    .iter()
                    .any(|c| c.present)
            })
            .collect();
        offices.sort_unstable_by_key(|&o| names.offices.name(o as u32));
        let mut cell_rows = Vec::new();
        let mut office_rows = Vec::new();
        for office in offices {
            let name = names.offices.name(office as u32);
            let mut total = CellSums::default();
            for (topic, sums) in cells[office * TOPICS..(office + 1) * TOPICS]
                .iter_mut()
                .enumerate()
            {
                if !sums.present {
                    continue;
                }
                total.merge(sums);
                let sums = std::mem::take(sums);
                cell_rows.push(sums.finish(name, Some(Topic::ALL[topic]), day_secs));
            }
            office_rows.push(total.finish(name, None, day_secs));
        }

        let [today_sums, week_sums, month_sums] = patronati;
        let by_name = |sums: Vec<PatronatoSums>| {
            let mut figures: Vec<PatronatoFigures> = sums
                .into_iter()
                .enumerate()
                .filter(|(_, s)| s.figures.volume > 0)
                .map(|(n, s)| PatronatoFigures {
                    patronato: names.patronati.name(n as u32).to_string(),
                    first_reply: DurationStats::of(s.first_replies),
                    resolution: DurationStats::of(s.resolutions),
                    ..s.figures
                })
                .collect();
            figures.sort_by(|a, b| a.patronato.cmp(&b.patronato));
            figures
        };
        let last_30_days = by_name(month_sums);

        let trend = trend
            .iter()
            .enumerate()
            .filter_map(|(i, counts)| {
                let date = Date::constant(2000, 1, 1)
                    .checked_add(jiff::Span::new().days(i64::from(first_day) + i as i64))
                    .ok()?;
                Some(TrendDay {
                    date,
                    filed: counts[0],
                    answered: counts[1],
                    answered_within_sla: counts[2],
                    closed: counts[3],
                })
            })
            .collect();

        Dashboard {
            generated_at: now.at,
            cells: cell_rows,
            office_totals: office_rows,
            patronati: last_30_days.clone(),
            patronati_by_period: PatronatiByPeriod {
                today: by_name(today_sums),
                last_7_days: by_name(week_sums),
                last_30_days,
            },
            trend,
            workload: workload_by_number(
                &per_operator,
                unassigned_open,
                names,
                options.named_operators,
            ),
        }
    }
}

/// [`Workload`] from the open requests per operator number.
fn workload_by_number(
    per_operator: &[u32],
    unassigned_open: u32,
    names: &Names,
    named: bool,
) -> Workload {
    let operators = per_operator
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(o, &n)| (names.operators.name(o as u32), n))
        .collect();
    workload_of(operators, unassigned_open, named)
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::domain::dashboard::{compute, nearest_rank};
    use crate::domain::request::{Priority, Status, Topic};
    use std::collections::HashMap;

    fn calendars() -> CalendarSet {
        CalendarSet::from_registry(CalendarSet::years_around(2026), |_, _| {}).unwrap()
    }

    /// An instant between `from` and `from + span`, to the microsecond as the stores keep them.
    fn instant(rng: &mut ChaCha8Rng, from: Timestamp, span: SignedDuration) -> Timestamp {
        let micros = rng.random_range(0..span.as_micros().max(1) as i64);
        from + SignedDuration::from_micros(micros)
    }

    /// Requests of every shape: offices with and without a calendar, instants outside the
    /// calendars' years, replies, closes, pauses over and open, reopens, forwards, standings.
    fn random_facts(
        rng: &mut ChaCha8Rng,
        offices: &[String],
        around: Timestamp,
        known: f64,
    ) -> Vec<RequestFacts> {
        let policy = crate::domain::sla::Policy::embedded().unwrap();
        let statuses = Status::ALL;
        (0..rng.random_range(0..400))
            .map(|i| {
                let office = offices[rng.random_range(0..offices.len())].clone();
                let topic = Topic::ALL[rng.random_range(0..Topic::ALL.len())];
                let priority = Priority::ALL[rng.random_range(0..Priority::ALL.len())];
                let status = statuses[rng.random_range(0..statuses.len())];
                let span = SignedDuration::from_hours(24 * rng.random_range(1..90));
                let created_at = instant(rng, around - span, span);
                let mut at = created_at;
                let mut step = |rng: &mut ChaCha8Rng| {
                    let hours = rng.random_range(1..200);
                    at = instant(rng, at, SignedDuration::from_hours(hours));
                    at
                };
                let first_reply_at = rng.random_bool(0.6).then(|| step(rng));
                let mut pauses = Vec::new();
                for _ in 0..rng.random_range(0..3) {
                    let start = step(rng);
                    pauses.push((start, Some(step(rng))));
                }
                if status == Status::InAttesaIntegrazione {
                    pauses.push((step(rng), None));
                } else if rng.random_bool(0.03) {
                    // A history that never ended its pause, as a store may hold.
                    pauses.push((step(rng), None));
                }
                let closed_at = (status == Status::Chiusa).then(|| step(rng));
                // Figures from history alone (no standing) take the governing-clock rule.
                let standing = (status.is_open() && rng.random_bool(known)).then(|| Standing {
                    at_risk: rng.random_bool(0.3),
                    breached: rng.random_bool(0.2),
                });
                RequestFacts {
                    id: format!("R{i:05}"),
                    office,
                    topic,
                    priority,
                    patronato: ["INCA", "INAS", "ITAL", "ACLI"][rng.random_range(0..4)].into(),
                    status,
                    assignee: rng
                        .random_bool(0.7)
                        .then(|| format!("op{}", rng.random_range(0..12))),
                    created_at,
                    first_reply_at,
                    closed_at,
                    pauses,
                    integration_requests: rng.random_range(0..3),
                    reopens: rng.random_range(0..2),
                    forwards: rng.random_range(0..3),
                    targets: Targets::from_policy(&policy, topic, priority),
                    standing,
                }
            })
            .collect()
    }

    /// Two selections give the nearest ranks a sort gives.
    #[test]
    fn duration_stats_select_the_ranks_a_sort_gives() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for len in (0..60).chain([99, 100, 101, 1_000]) {
            let samples: Vec<i64> = (0..len).map(|_| rng.random_range(-5..50)).collect();
            let mut sorted = samples.clone();
            sorted.sort_unstable();
            let stats = DurationStats::of(samples);
            assert_eq!(stats.count as usize, sorted.len());
            assert_eq!(
                stats.median_secs,
                nearest_rank(&sorted, 50),
                "{len} samples"
            );
            assert_eq!(stats.p90_secs, nearest_rank(&sorted, 90), "{len} samples");
        }
    }

    /// The prepared path gives `compute`'s dashboard, figure by figure, on random requests at
    /// random instants: before, during and after their events, and outside the calendars.
    #[test]
    fn prepared_figures_equal_the_computed_ones() {
        let calendars = calendars();
        let policy = crate::domain::sla::Policy::embedded().unwrap();
        let prep = Preparation::new(&policy, &calendars);
        let mut offices: Vec<String> = calendars.office_codes().take(6).map(String::from).collect();
        offices.push("ZZ99".into()); // no calendar
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let base: Timestamp = "2026-12-04T10:30:00Z".parse().unwrap();
        let mut settled_rounds = 0;
        for round in 0..150 {
            // Most rounds inside the calendars' years, some near or past their edges.
            let around = match round % 10 {
                0 => "2025-01-20T09:00:00Z".parse().unwrap(),
                1 => "2027-12-30T12:00:00Z".parse().unwrap(),
                _ => base + SignedDuration::from_hours(rng.random_range(-500..500)),
            };
            let facts = random_facts(&mut rng, &offices, around, [0.9, 0.0][round % 2]);
            let options = DashboardOptions {
                warning_percent: u32::from(policy.thresholds.warning),
                named_operators: round % 3 == 0,
                trend_days: [30, 7, 1][round % 3],
            };
            let mut names = Names::default();
            let prepared: Vec<PreparedFacts> =
                facts.iter().map(|f| prep.prepare(f, &mut names)).collect();
            // Instants between microseconds, and instants equal to a request's own (a window's
            // edge falls on it).
            let nanos = SignedDuration::from_nanos(rng.random_range(1..1000));
            let edge = facts
                .get(rng.random_range(0..facts.len().max(1)))
                .map(|f| f.first_reply_at.or(f.closed_at).unwrap_or(f.created_at));
            let week = SignedDuration::from_hours(24 * 7);
            let edges = edge.into_iter().flat_map(|at| {
                [
                    at,
                    at - nanos,
                    at + week + nanos,
                    at + week * 30 / 7 - nanos,
                ]
            });
            let nows = [
                around,
                around - SignedDuration::from_hours(rng.random_range(0..300)) + nanos,
                around + SignedDuration::from_hours(rng.random_range(0..900)) - nanos,
            ];
            for now in nows.into_iter().chain(edges) {
                let clock = SlaCalendars {
                    calendars: &calendars,
                    business_day_hours: policy.business_day_hours,
                };
                let expected = compute(&facts, &clock, now, &options);
                let rows = prepared.iter().zip(&facts).map(|(p, f)| (p, f.standing));
                let got = compute_prepared(rows, &names, &prep, now, &options);
                assert_eq!(got, expected, "round {round} at {now}");
                // Summed in parts and merged, as threads do.
                let pairs: Vec<_> = prepared.iter().zip(&facts).collect();
                let cut = rng.random_range(0..=pairs.len());
                let mut sums = FigureSums::new(&names, &prep, now, &options);
                for part in [&pairs[..cut], &pairs[cut..]] {
                    let mut more = FigureSums::new(&names, &prep, now, &options);
                    for (p, f) in part {
                        more.add(p, f.standing);
                    }
                    sums.merge(more);
                }
                assert_eq!(sums.finish(), expected, "round {round} at {now}, in parts");
                // Requests settled at an earlier instant, counted from their sums: as a node
                // does, only for offices whose calendar still covers `now`.
                let earlier = now - SignedDuration::from_hours(rng.random_range(0..400));
                let mut then = FigureSums::new(&names, &prep, earlier, &options);
                let mut sums = FigureSums::new(&names, &prep, now, &options);
                let mut settled: HashMap<(u32, Topic), SettledSums> = HashMap::new();
                let mut any = false;
                for (p, f) in &pairs {
                    if sums.now_total(p.office()).is_some() && then.settles(p) {
                        settled
                            .entry((p.office(), p.topic()))
                            .or_default()
                            .count(p, true);
                        any = true;
                    } else {
                        sums.add(p, f.standing);
                    }
                }
                for ((office, topic), part) in &settled {
                    sums.add_settled(*office, *topic, part);
                }
                settled_rounds += usize::from(any);
                assert_eq!(
                    sums.finish(),
                    expected,
                    "round {round} at {now}, settled at {earlier}"
                );
            }
        }
        assert!(
            settled_rounds > 100,
            "only {settled_rounds} computations settled any request"
        );
    }
}
