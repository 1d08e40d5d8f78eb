//! Cruscotto figures: pure functions from per-request facts to the numbers a supervisor watches.
//!
//! Business time is measured through the [`BusinessClock`] trait so the figures do not depend on
//! how calendars are built (the SLA engine's `CalendarSet` implements it; tests use a hand-made one).
//!
//! Definitions (also the documentation of the wire type):
//! - **Percentiles** use the *nearest-rank* method: for ascending samples `x[1..=n]`, the p-th
//!   percentile is `x[ceil(p/100 · n)]` (and `x[1]` for p = 0). The median is the 50th percentile
//!   by this rule, i.e. the *lower* median for an even count. No interpolation: every reported
//!   value is an observed one.
//! - **Business time** of a clock = business seconds from filing to the event, minus the business
//!   seconds spent awaiting integration from the patronato (pauses). Forwarding does not pause.
//! - **SLA state** of an open request: the governing clock is first reply until the office has
//!   replied, resolution afterwards. `Breached` when used ≥ 100 % of the target (even if paused
//!   now), else `Paused` while awaiting integration, else `AtRisk` when used ≥ the warning share
//!   (75 % by default), else `Ok`. The service gives each open request its
//!   [`RequestFacts::standing`] from the running clocks instead (the computation of its
//!   `at_risk` / `breached` queues), and counts every request awaiting integration as paused,
//!   so that the cruscotto and the workstation's queues are the same numbers.
//! - **Answered within SLA** over a window: among requests whose first reply falls in the window,
//!   the share whose first-reply business time is ≤ the target. Windows: *today* = since midnight
//!   Europe/Rome, *7d* / *30d* = the last 7 / 30 × 24 h.
//! - **Reply / resolution times** (median, p90): requests first replied / closed in the last 30
//!   days.
//! - **Backlog age**: open requests by whole business days since filing (pauses not subtracted:
//!   it is how long the citizen has been waiting), in buckets `<1`, `1–2`, `3–5`, `6–10`, `>10`.
//! - **Reopen rate**: requests reopened at least once / requests answered or closed at least once.
//! - **Defect share** ("difettosità delle istanze"): requests that needed at least one integration
//!   request / requests filed.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::calendar::CalendarSet;
use super::request::{HistoryEntry, Priority, Request, Status, Topic, Transition};
use super::sla::{ClockKind, Policy};

pub mod csv;
pub mod prepared;

/// Why the figures could not be computed (the embedded calendars or policy failed to load).
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("policy: {0}")]
    Policy(String),
}

/// SLA targets of every request under `policy`, for [`RequestFacts`].
pub fn embedded_policy() -> Result<Policy, FiguresError> {
    Policy::embedded().map_err(|e| FiguresError::Policy(e.to_string()))
}

/// The cruscotto of `facts` at `now` with the registry's office calendars and `policy`
/// (business-day length, warning threshold); operators stay aggregated.
pub fn compute_with_policy(
    facts: &[RequestFacts],
    policy: &Policy,
    now: Timestamp,
) -> Result<Dashboard, FiguresError> {
    let year = now.to_zoned(TimeZone::UTC).year();
    let calendars = CalendarSet::from_registry(CalendarSet::years_around(year), |_, _| {})
        .map_err(|e| FiguresError::Calendar(e.to_string()))?;
    Ok(compute_on(facts, policy, &calendars, now))
}

/// [`compute`] with `policy`'s thresholds and day length on `calendars` (a service's configured
/// office calendars, closures included).
pub fn compute_on(
    facts: &[RequestFacts],
    policy: &Policy,
    calendars: &CalendarSet,
    now: Timestamp,
) -> Dashboard {
    let clock = SlaCalendars {
        calendars,
        business_day_hours: policy.business_day_hours,
    };
    compute(facts, &clock, now, &DashboardOptions::of_policy(policy))
}

/// Business time in an office's calendar.
pub trait BusinessClock {
    /// Business seconds of `office` in `[from, to)`; 0 when `to <= from`.
    fn business_seconds(&self, office: &str, from: Timestamp, to: Timestamp) -> i64;
    /// Length in seconds of one standard business day of `office` (to express ages in days).
    fn business_day_seconds(&self, office: &str) -> i64;
}

/// The SLA engine's office calendars as a [`BusinessClock`]; a business day lasts the policy's
/// `business_day_hours`. An office without a calendar (or an instant outside the precomputed
/// years) counts no business time rather than failing the whole dashboard.
pub struct SlaCalendars<'a> {
    pub calendars: &'a CalendarSet,
    pub business_day_hours: u32,
}

impl BusinessClock for SlaCalendars<'_> {
    fn business_seconds(&self, office: &str, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        self.calendars
            .get(office)
            .and_then(|calendar| calendar.business_seconds(from, to))
            .unwrap_or(0)
    }
    fn business_day_seconds(&self, _office: &str) -> i64 {
        i64::from(self.business_day_hours) * 3600
    }
}

impl Targets {
    /// The target of the governing clock: first reply until the office has replied.
    fn governing(&self, replied: bool) -> i64 {
        if replied {
            self.resolution_secs
        } else {
            self.first_reply_secs
        }
    }

    /// First-reply and resolution targets of the SLA policy for a topic and priority.
    pub fn from_policy(policy: &Policy, topic: Topic, priority: Priority) -> Self {
        Targets {
            first_reply_secs: policy.target_secs(ClockKind::FirstReply, topic, priority),
            resolution_secs: policy.target_secs(ClockKind::Resolution, topic, priority),
        }
    }
}

/// SLA targets of one request, in business seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_reply_secs: i64,
    pub resolution_secs: i64,
}

/// What the figures need to know about one request; built from a [`Request`] by [`RequestFacts::from_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub id: String,
    pub office: String,
    pub topic: Topic,
    pub priority: Priority,
    pub patronato: String,
    pub status: Status,
    pub assignee: Option<String>,
    pub created_at: Timestamp,
    pub first_reply_at: Option<Timestamp>,
    /// Last close, when the request is closed now.
    pub closed_at: Option<Timestamp>,
    /// Intervals awaiting integration; `None` end = still paused.
    pub pauses: Vec<(Timestamp, Option<Timestamp>)>,
    pub integration_requests: u32,
    pub reopens: u32,
    pub forwards: u32,
    pub targets: Targets,
    /// The service's SLA standing of the request now, from its running clocks: the computation
    /// of the `at_risk` / `breached` queues. When known the cruscotto counts with it, so that
    /// its figures and the workstation's queues are the same numbers; without it (figures from
    /// history alone: the yearly report, offline tests) the governing-clock rule above applies.
    pub standing: Option<Standing>,
}

/// Whether an open request is at risk or breached by the service's clocks (breached wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub at_risk: bool,
    pub breached: bool,
}

impl RequestFacts {
    /// Reads the facts off a request's history.
    pub fn from_request(request: &Request, targets: Targets) -> Self {
        RequestFacts {
            id: request.id.to_string(),
            office: request.office.clone(),
            topic: request.topic,
            priority: request.priority,
            patronato: request.patronato.clone(),
            status: request.status,
            assignee: request.assignee.clone(),
            created_at: request.created_at,
            first_reply_at: None,
            closed_at: None,
            pauses: Vec::new(),
            integration_requests: 0,
            reopens: 0,
            forwards: 0,
            targets,
            standing: None,
        }
        .with_history(&request.history)
    }

    /// Reads the history-derived facts (replies, pauses, reopens, forwards, close) off `history`;
    /// the other fields (status included) must already be set. Lets callers holding a wire
    /// `RequestDetail` rather than a [`Request`] build the same facts.
    pub fn with_history(mut self, history: &[HistoryEntry]) -> Self {
        let facts = &mut self;
        for entry in history {
            match entry.transition {
                Transition::Reply if facts.first_reply_at.is_none() => {
                    facts.first_reply_at = Some(entry.at);
                }
                Transition::Reopen => facts.reopens += 1,
                Transition::Forward => facts.forwards += 1,
                Transition::RequestIntegration => facts.integration_requests += 1,
                Transition::Close => facts.closed_at = Some(entry.at),
                _ => {}
            }
            let was_paused = entry.from == Status::InAttesaIntegrazione;
            let is_paused = entry.to == Status::InAttesaIntegrazione;
            if is_paused && !was_paused {
                facts.pauses.push((entry.at, None));
            } else if was_paused
                && !is_paused
                && let Some(last) = facts.pauses.last_mut()
            {
                last.1 = Some(entry.at);
            }
        }
        if facts.status != Status::Chiusa {
            facts.closed_at = None;
        }
        self
    }

    /// Business seconds the clock ran from filing to `until`, pauses excluded.
    pub fn running_business_seconds(&self, clock: &dyn BusinessClock, until: Timestamp) -> i64 {
        running_business_seconds(clock, &self.office, self.created_at, &self.pauses, until)
    }

    fn is_paused(&self) -> bool {
        self.status == Status::InAttesaIntegrazione
    }

    /// SLA state of the governing clock at `now` (see the module docs), in the one SLA state
    /// type: `Warning` is "at risk"; a closed request is `Met` or `Missed`.
    pub fn sla_state(
        &self,
        clock: &dyn BusinessClock,
        now: Timestamp,
        warning_percent: u32,
    ) -> SlaState {
        if !self.status.is_open() {
            let within = self
                .resolution_secs(clock)
                .is_none_or(|used| used <= self.targets.resolution_secs);
            return if within {
                SlaState::Met
            } else {
                SlaState::Missed
            };
        }
        let used = self.running_business_seconds(clock, now);
        open_state(
            used,
            self.targets.governing(self.first_reply_at.is_some()),
            self.is_paused(),
            warning_percent,
        )
    }

    /// First-reply business time, if replied.
    pub fn first_reply_secs(&self, clock: &dyn BusinessClock) -> Option<i64> {
        self.first_reply_at
            .map(|at| self.running_business_seconds(clock, at))
    }

    /// Resolution business time, if closed.
    pub fn resolution_secs(&self, clock: &dyn BusinessClock) -> Option<i64> {
        self.closed_at
            .map(|at| self.running_business_seconds(clock, at))
    }
}

/// Business seconds a clock of `office` ran from `created` to `until`, `pauses` excluded (an
/// open pause ends at `until`).
fn running_business_seconds(
    clock: &dyn BusinessClock,
    office: &str,
    created: Timestamp,
    pauses: &[(Timestamp, Option<Timestamp>)],
    until: Timestamp,
) -> i64 {
    let total = clock.business_seconds(office, created, until);
    let paused: i64 = pauses
        .iter()
        .map(|&(start, end)| {
            let end = end.map_or(until, |e| e.min(until));
            clock.business_seconds(office, start, end)
        })
        .sum();
    (total - paused).max(0)
}

/// The state of an open request's governing clock that has `used` business seconds of
/// `target` (see the module docs).
fn open_state(used: i64, target: i64, paused: bool, warning_percent: u32) -> SlaState {
    // Integer comparison: used/target ≥ p/100  ⇔  used·100 ≥ p·target.
    let reached = |percent: u32| used * 100 >= i64::from(percent) * target.max(1);
    if reached(100) {
        SlaState::Breached
    } else if paused {
        SlaState::Paused
    } else if reached(warning_percent) {
        SlaState::Warning
    } else {
        SlaState::Ok
    }
}

/// The cruscotto counts requests in the one SLA state type of the project.
pub use crate::domain::sla::SlaState;

/// Nearest-rank percentile of ascending-sorted samples; `None` when empty.
pub fn nearest_rank(sorted: &[i64], percent: u32) -> Option<i64> {
    sorted
        .get(nearest_rank_index(sorted.len(), percent)?)
        .copied()
}

/// Index in ascending order of the nearest-rank `percent`-th of `n` samples.
fn nearest_rank_index(n: usize, percent: u32) -> Option<usize> {
    // ceil(p·n/100) in integers, at least rank 1.
    let rank = (percent.min(100) as usize * n).div_ceil(100).max(1);
    (n > 0).then(|| rank - 1)
}

/// A share as exact counts; the percentage is derived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Share {
    pub hits: u32,
    pub total: u32,
}

impl Share {
    fn count(&mut self, hit: bool) {
        self.total += 1;
        if hit {
            self.hits += 1;
        }
    }
    /// Adds the counts of `other` (the same share over more requests).
    fn add(&mut self, other: Share) {
        self.hits += other.hits;
        self.total += other.total;
    }
    /// Percentage, `None` when nothing was counted.
    pub fn percent(&self) -> Option<f64> {
        (self.total > 0).then(|| f64::from(self.hits) * 100.0 / f64::from(self.total))
    }
}

/// Median and 90th percentile (nearest rank) of a set of business durations, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DurationStats {
    pub count: u32,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

impl DurationStats {
    pub fn of(mut samples: Vec<i64>) -> Self {
        let count = u32::try_from(samples.len()).unwrap_or(u32::MAX);
        // Two selections instead of a sort: the nearest ranks are all the figures need (a
        // national dashboard has hundreds of thousands of samples).
        let (Some(median_at), Some(p90_at)) = (
            nearest_rank_index(samples.len(), 50),
            nearest_rank_index(samples.len(), 90),
        ) else {
            return DurationStats {
                count,
                median_secs: None,
                p90_secs: None,
            };
        };
        let (_, &mut median, above) = samples.select_nth_unstable(median_at);
        let p90 = match p90_at.checked_sub(median_at + 1) {
            Some(i) => *above.select_nth_unstable(i).1,
            None => median,
        };
        DurationStats {
            count,
            median_secs: Some(median),
            p90_secs: Some(p90),
        }
    }
}

/// Backlog age buckets in whole business days: `<1`, `1–2`, `3–5`, `6–10`, `>10`.
pub const AGE_BUCKETS: [&str; 5] = ["<1", "1-2", "3-5", "6-10", ">10"];

fn age_bucket(days: i64) -> usize {
    match days {
        ..=0 => 0,
        1..=2 => 1,
        3..=5 => 2,
        6..=10 => 3,
        _ => 4,
    }
}

/// Figures of one office × topic cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CellFigures {
    pub office: String,
    pub topic: Option<Topic>,
    pub open: u32,
    pub at_risk: u32,
    pub breached: u32,
    pub paused: u32,
    pub within_sla_today: Share,
    pub within_sla_7d: Share,
    pub within_sla_30d: Share,
    pub first_reply: DurationStats,
    pub resolution: DurationStats,
    /// Open requests per [`AGE_BUCKETS`] bucket.
    pub backlog_by_age: [u32; 5],
    pub reopen: Share,
    /// Requests forwarded at least once / all requests of the cell.
    pub forwarded: Share,
    /// Sum of forwarding hops.
    pub forward_hops: u32,
    pub max_forward_hops: u32,
    /// Breaches expected ahead of time at this row's closing rate.
    #[serde(default)]
    pub forecast: Forecast,
}

impl CellFigures {
    /// Counts an open request at its level: by the service's standing when known (as the
    /// queues count, every request awaiting integration is also "paused", whatever its clocks
    /// say: the awaiting queue), else by the governing clock's `state`.
    fn count_open(
        &mut self,
        standing: Option<Standing>,
        paused: bool,
        state: impl FnOnce() -> SlaState,
    ) {
        self.open += 1;
        match standing {
            Some(standing) => {
                if standing.breached {
                    self.breached += 1;
                } else if standing.at_risk {
                    self.at_risk += 1;
                }
                if paused {
                    self.paused += 1;
                }
            }
            None => match state() {
                SlaState::Warning | SlaState::Critical => self.at_risk += 1,
                SlaState::Breached => self.breached += 1,
                SlaState::Paused => self.paused += 1,
                SlaState::Ok | SlaState::Met | SlaState::Missed => {}
            },
        }
    }
}

/// Business-day horizons of the forecast.
pub const FORECAST_HORIZONS: [u32; 3] = [1, 3, 5];
/// Business days back over which the closing rate is measured.
pub const FORECAST_RATE_WINDOW: u32 = 10;

/// How many open requests of a row will breach their resolution clock within each of
/// [`FORECAST_HORIZONS`] business days if the row keeps closing at its recent rate, and how many
/// more closures a business day would avoid it. Integers only, so figures compare exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Forecast {
    /// Closures of the row's requests in the last [`FORECAST_RATE_WINDOW`] business days.
    pub recent_closures: u32,
    /// Per horizon: open requests, not breached yet, expected to breach within it.
    pub breaching: [u32; 3],
    /// Per horizon: extra closures per business day that would avoid those breaches.
    pub extra_daily_closures: [u32; 3],
}

/// Figures of one patronato.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatronatoFigures {
    pub patronato: String,
    /// Requests filed.
    pub volume: u32,
    /// Integration requests received (all of them, several per request possible).
    pub integration_requests: u32,
    /// Requests that needed integration / requests filed ("difettosità delle istanze").
    pub defect: Share,
    pub reopen: Share,
    pub within_sla: Share,
    pub first_reply: DurationStats,
    /// Resolution times (business seconds) of the requests closed.
    #[serde(default)]
    pub resolution: DurationStats,
    /// Open requests whose clocks are breached now.
    #[serde(default)]
    pub breached_open: u32,
}

/// Per-patronato figures over three periods, for the cruscotto's period selector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatronatiByPeriod {
    /// Requests filed since midnight (Europe/Rome).
    pub today: Vec<PatronatoFigures>,
    pub last_7_days: Vec<PatronatoFigures>,
    /// The same as [`Dashboard::patronati`].
    pub last_30_days: Vec<PatronatoFigures>,
}

/// One day of the trend series (calendar day in Europe/Rome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendDay {
    #[schema(value_type = String, example = "2026-11-23")]
    pub date: jiff::civil::Date,
    pub filed: u32,
    pub answered: u32,
    pub answered_within_sla: u32,
    pub closed: u32,
}

/// Operator workload: aggregated unless named figures are enabled (L. 300/1970 art. 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Workload {
    Aggregated {
        operators: u32,
        unassigned_open: u32,
        min_open: u32,
        median_open: u32,
        max_open: u32,
    },
    Named {
        unassigned_open: u32,
        /// (username, open requests assigned), by username.
        operators: Vec<(String, u32)>,
    },
}

/// Everything the cruscotto shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub generated_at: Timestamp,
    /// Office × topic cells, by office then topic.
    pub cells: Vec<CellFigures>,
    /// One total per office (`topic` = null).
    pub office_totals: Vec<CellFigures>,
    pub patronati: Vec<PatronatoFigures>,
    #[serde(default)]
    pub patronati_by_period: PatronatiByPeriod,
    /// Last 30 days, oldest first, today last.
    pub trend: Vec<TrendDay>,
    pub workload: Workload,
}

impl Dashboard {
    /// Whether the figures are the same, whenever they were computed (`generated_at` aside):
    /// a recomputation with the same values needs no new frame.
    pub fn same_figures(&self, other: &Dashboard) -> bool {
        let Dashboard {
            generated_at: _,
            cells,
            office_totals,
            patronati,
            patronati_by_period,
            trend,
            workload,
        } = self;
        *cells == other.cells
            && *office_totals == other.office_totals
            && *patronati == other.patronati
            && *patronati_by_period == other.patronati_by_period
            && *trend == other.trend
            && *workload == other.workload
    }
}

/// Knobs of the computation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardOptions {
    pub warning_percent: u32,
    pub named_operators: bool,
    pub trend_days: u32,
}

impl DashboardOptions {
    /// The options of the service's figures: `policy`'s warning threshold, operators
    /// aggregated, 30 days of trend.
    pub fn of_policy(policy: &Policy) -> Self {
        DashboardOptions {
            warning_percent: u32::from(policy.thresholds.warning),
            ..DashboardOptions::default()
        }
    }
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions {
            warning_percent: 75,
            named_operators: false,
            trend_days: 30,
        }
    }
}

fn rome() -> TimeZone {
    TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC)
}

fn start_of_day(at: Timestamp, tz: &TimeZone) -> Timestamp {
    at.to_zoned(tz.clone())
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

const DAY: SignedDuration = SignedDuration::from_hours(24);

fn cell_figures(
    office: &str,
    topic: Option<Topic>,
    facts: &[&RequestFacts],
    clock: &dyn BusinessClock,
    now: Timestamp,
    options: &DashboardOptions,
) -> CellFigures {
    let tz = rome();
    let today = start_of_day(now, &tz);
    let since_7d = now - DAY * 7;
    let since_30d = now - DAY * 30;
    let mut cell = CellFigures {
        office: office.to_string(),
        topic,
        ..CellFigures::default()
    };
    let mut first_replies = Vec::new();
    let mut resolutions = Vec::new();
    let day_secs = clock.business_day_seconds(office).max(1);
    for f in facts {
        if f.status.is_open() {
            cell.count_open(f.standing, f.is_paused(), || {
                f.sla_state(clock, now, options.warning_percent)
            });
            let age_days = clock.business_seconds(&f.office, f.created_at, now) / day_secs;
            cell.backlog_by_age[age_bucket(age_days)] += 1;
        }
        if let (Some(at), Some(secs)) = (f.first_reply_at, f.first_reply_secs(clock)) {
            let met = secs <= f.targets.first_reply_secs;
            if at >= today && at <= now {
                cell.within_sla_today.count(met);
            }
            if at >= since_7d && at <= now {
                cell.within_sla_7d.count(met);
            }
            if at >= since_30d && at <= now {
                cell.within_sla_30d.count(met);
                first_replies.push(secs);
            }
        }
        if let (Some(at), Some(secs)) = (f.closed_at, f.resolution_secs(clock))
            && at >= since_30d
            && at <= now
        {
            resolutions.push(secs);
        }
        if f.first_reply_at.is_some() || f.closed_at.is_some() || f.reopens > 0 {
            cell.reopen.count(f.reopens > 0);
        }
        cell.forwarded.count(f.forwards > 0);
        cell.forward_hops += f.forwards;
        cell.max_forward_hops = cell.max_forward_hops.max(f.forwards);
    }
    cell.first_reply = DurationStats::of(first_replies);
    cell.resolution = DurationStats::of(resolutions);
    cell.forecast = forecast(facts, clock, office, now);
    cell
}

/// The [`Forecast`] of one row (`facts` are the row's requests, all of `office`) at `now`.
///
/// Definition (also in `docs/cruscotto.md`):
/// - Closing rate `r = C / 10` per business day, where `C` counts the row's requests closed now
///   whose close lies within the last [`FORECAST_RATE_WINDOW`] business days of the office's
///   calendar (business time from the close to `now` below 10 × the business-day length).
/// - Candidates: the row's open requests whose resolution clock is running and not breached:
///   requests awaiting integration are left out (a paused clock does not run, so it cannot
///   breach while paused), as are requests already breached.
/// - Due position `d_i = remaining business seconds of the resolution clock / business-day
///   seconds`, fractional; candidates sorted by it (earliest due first, ties by id) get ranks
///   `i = 0, 1, …`. Assuming the row closes them in due order at `r` per business day from now,
///   request `i` is closed in time iff `i + 1 ≤ r · d_i`.
/// - `breaching[h]` counts the candidates with `d_i ≤ H_h` not closed in time;
///   `extra_daily_closures[h]` is the least integer `x ≥ 0` with `i + 1 ≤ (r + x) · d_i` for
///   every candidate with `d_i ≤ H_h` (0 when none breaches).
/// - A request due right now (`d_i = 0`) could not be saved by any rate; it is not a candidate:
///   a clock breaches when its remaining time reaches 0, so it is already in the row's
///   `breached` count. Hence every candidate has `d_i > 0` and `x` is always finite.
///
/// Everything is compared in integers: with `R` the remaining seconds, `D` the day length and
/// `W` the window, `i + 1 ≤ (C / W + x) · R / D  ⇔  (i + 1) · W · D ≤ (C + W · x) · R`.
fn forecast(
    facts: &[&RequestFacts],
    clock: &dyn BusinessClock,
    office: &str,
    now: Timestamp,
) -> Forecast {
    let day_secs = clock.business_day_seconds(office).max(1);
    let mut recent_closures: u32 = 0;
    let mut candidates: Vec<i64> = Vec::new();
    for f in facts {
        if let Some(closed) = f.closed_at
            && closed <= now
            && is_recent_closure(clock.business_seconds(&f.office, closed, now), day_secs)
        {
            recent_closures += 1;
        }
        if f.status.is_open() && !f.is_paused() {
            let remaining = f.targets.resolution_secs - f.running_business_seconds(clock, now);
            if is_forecast_candidate(remaining, day_secs) {
                candidates.push(remaining);
            }
        }
    }
    forecast_of(recent_closures, candidates, day_secs)
}

/// Whether a close `since_close` business seconds ago counts in the closing rate.
fn is_recent_closure(since_close: i64, day_secs: i64) -> bool {
    i128::from(since_close) < i128::from(FORECAST_RATE_WINDOW) * i128::from(day_secs)
}

/// Whether an open, running clock with `remaining` business seconds is a candidate of some
/// horizon. Nothing left (remaining ≤ 0) is breached, as `sla_state` rules; a clock due after
/// the last horizon ranks after every candidate that counts, so it changes no figure.
fn is_forecast_candidate(remaining: i64, day_secs: i64) -> bool {
    let last_horizon = FORECAST_HORIZONS[FORECAST_HORIZONS.len() - 1];
    remaining > 0 && i128::from(remaining) <= i128::from(last_horizon) * i128::from(day_secs)
}

/// The [`Forecast`] of a row from its recent closures and its candidates' remaining business
/// seconds (in any order: equal ones are interchangeable in the ranking).
fn forecast_of(recent_closures: u32, mut candidates: Vec<i64>, day_secs: i64) -> Forecast {
    candidates.sort_unstable();
    let day_secs = i128::from(day_secs);
    let window = i128::from(FORECAST_RATE_WINDOW);
    let closures = i128::from(recent_closures);
    let mut out = Forecast {
        recent_closures,
        ..Forecast::default()
    };
    for (h, horizon) in FORECAST_HORIZONS.iter().enumerate() {
        let horizon_secs = i128::from(*horizon) * day_secs;
        let mut breaching = 0u32;
        let mut extra: i128 = 0;
        for (rank, &remaining) in candidates.iter().enumerate() {
            let remaining = i128::from(remaining);
            if remaining > horizon_secs {
                break; // sorted: the rest are due later
            }
            let needed = (rank as i128 + 1) * window * day_secs;
            if needed > closures * remaining {
                breaching += 1;
                // Least x with (C + W·x)·R ≥ needed: x = ceil((needed − C·R) / (W·R)).
                let shortfall = needed - closures * remaining;
                let per_extra = window * remaining;
                extra = extra.max((shortfall + per_extra - 1) / per_extra);
            }
        }
        out.breaching[h] = breaching;
        out.extra_daily_closures[h] = u32::try_from(extra).unwrap_or(u32::MAX);
    }
    out
}

/// Per-patronato figures over the requests accepted by `include` (e.g. filed in a year).
pub fn patronato_figures(
    facts: &[RequestFacts],
    clock: &dyn BusinessClock,
    include: impl Fn(&RequestFacts) -> bool,
) -> Vec<PatronatoFigures> {
    let mut by_patronato: BTreeMap<&str, Vec<&RequestFacts>> = BTreeMap::new();
    for f in facts.iter().filter(|f| include(f)) {
        by_patronato.entry(&f.patronato).or_default().push(f);
    }
    by_patronato
        .into_iter()
        .map(|(code, facts)| {
            let mut fig = PatronatoFigures {
                patronato: code.to_string(),
                ..PatronatoFigures::default()
            };
            let mut first_replies = Vec::new();
            let mut resolutions = Vec::new();
            for f in facts {
                fig.volume += 1;
                if f.status.is_open() && f.standing.is_some_and(|s| s.breached) {
                    fig.breached_open += 1;
                }
                if let Some(secs) = f.resolution_secs(clock) {
                    resolutions.push(secs);
                }
                fig.integration_requests += f.integration_requests;
                fig.defect.count(f.integration_requests > 0);
                if f.first_reply_at.is_some() || f.closed_at.is_some() || f.reopens > 0 {
                    fig.reopen.count(f.reopens > 0);
                }
                if let Some(secs) = f.first_reply_secs(clock) {
                    fig.within_sla.count(secs <= f.targets.first_reply_secs);
                    first_replies.push(secs);
                }
            }
            fig.first_reply = DurationStats::of(first_replies);
            fig.resolution = DurationStats::of(resolutions);
            fig
        })
        .collect()
}

/// Yearly quality indicators per patronato (protocol §5): requests filed in `year` (Europe/Rome).
pub fn yearly_quality(
    facts: &[RequestFacts],
    clock: &dyn BusinessClock,
    year: i16,
) -> Vec<PatronatoFigures> {
    let tz = rome();
    patronato_figures(facts, clock, |f| {
        f.created_at.to_zoned(tz.clone()).year() == year
    })
}

fn workload(facts: &[RequestFacts], named: bool) -> Workload {
    let mut per_operator: BTreeMap<&str, u32> = BTreeMap::new();
    let mut unassigned_open = 0;
    for f in facts.iter().filter(|f| f.status.is_open()) {
        match &f.assignee {
            Some(a) => *per_operator.entry(a).or_default() += 1,
            None => unassigned_open += 1,
        }
    }
    workload_of(per_operator.into_iter().collect(), unassigned_open, named)
}

/// [`Workload`] from the open requests of each operator with any (`(username, count)`, in any
/// order).
fn workload_of(mut operators: Vec<(&str, u32)>, unassigned_open: u32, named: bool) -> Workload {
    if named {
        operators.sort_unstable();
        return Workload::Named {
            unassigned_open,
            operators: operators
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
    }
    let mut counts: Vec<i64> = operators.iter().map(|&(_, v)| i64::from(v)).collect();
    counts.sort_unstable();
    let at = |p| {
        nearest_rank(&counts, p)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    Workload::Aggregated {
        operators: u32::try_from(counts.len()).unwrap_or(u32::MAX),
        unassigned_open,
        min_open: at(0),
        median_open: at(50),
        max_open: at(100),
    }
}

fn trend(
    facts: &[RequestFacts],
    clock: &dyn BusinessClock,
    now: Timestamp,
    days: u32,
) -> Vec<TrendDay> {
    let tz = rome();
    let today = now.to_zoned(tz.clone()).date();
    let first = today
        .checked_sub(jiff::Span::new().days(i64::from(days.saturating_sub(1))))
        .unwrap_or(today);
    let mut series: Vec<TrendDay> = (0..days)
        .filter_map(|i| first.checked_add(jiff::Span::new().days(i64::from(i))).ok())
        .map(|date| TrendDay {
            date,
            filed: 0,
            answered: 0,
            answered_within_sla: 0,
            closed: 0,
        })
        .collect();
    let slot = |at: Timestamp| -> Option<usize> {
        let date = at.to_zoned(tz.clone()).date();
        let offset = (date - first).get_days();
        usize::try_from(offset)
            .ok()
            .filter(|&i| i < series_len(days))
    };
    for f in facts {
        if let Some(i) = slot(f.created_at) {
            series[i].filed += 1;
        }
        if let (Some(at), Some(secs)) = (f.first_reply_at, f.first_reply_secs(clock))
            && let Some(i) = slot(at)
        {
            series[i].answered += 1;
            if secs <= f.targets.first_reply_secs {
                series[i].answered_within_sla += 1;
            }
        }
        if let Some(i) = f.closed_at.and_then(slot) {
            series[i].closed += 1;
        }
    }
    series
}

fn series_len(days: u32) -> usize {
    usize::try_from(days).unwrap_or(0)
}

/// Computes the whole cruscotto over `facts` (already scoped to what the caller may see).
pub fn compute(
    facts: &[RequestFacts],
    clock: &dyn BusinessClock,
    now: Timestamp,
    options: &DashboardOptions,
) -> Dashboard {
    let mut by_cell: BTreeMap<(&str, Topic), Vec<&RequestFacts>> = BTreeMap::new();
    let mut by_office: BTreeMap<&str, Vec<&RequestFacts>> = BTreeMap::new();
    for f in facts {
        by_cell.entry((&f.office, f.topic)).or_default().push(f);
        by_office.entry(&f.office).or_default().push(f);
    }
    let cells = by_cell
        .iter()
        .map(|((office, topic), fs)| cell_figures(office, Some(*topic), fs, clock, now, options))
        .collect();
    let office_totals = by_office
        .iter()
        .map(|(office, fs)| cell_figures(office, None, fs, clock, now, options))
        .collect();
    let since_30d = now - DAY * 30;
    let since_7d = now - DAY * 7;
    let today = start_of_day(now, &rome());
    let last_30_days = patronato_figures(facts, clock, |f| f.created_at >= since_30d);
    Dashboard {
        generated_at: now,
        cells,
        office_totals,
        patronati: last_30_days.clone(),
        patronati_by_period: PatronatiByPeriod {
            today: patronato_figures(facts, clock, |f| f.created_at >= today),
            last_7_days: patronato_figures(facts, clock, |f| f.created_at >= since_7d),
            last_30_days,
        },
        trend: trend(facts, clock, now, options.trend_days),
        workload: workload(facts, options.named_operators),
    }
}

#[cfg(test)]
mod tests {
    //! Hand-built dataset; every expected number below is worked out in the comments.
    //! Calendar: Mon–Fri 08:00–18:00 Europe/Rome (10 h business day), closed Tue 8 Dec 2026.
    //! Now: Fri 11 Dec 2026 12:00 Rome. Targets: first reply 20 h, resolution 50 h.
    use super::*;
    use crate::domain::codice_fiscale::CodiceFiscale;
    use crate::domain::request::{ActorRef, HistoryEntry, RequestId};
    use crate::domain::roles::Role;
    use jiff::civil::{Date, date};

    struct TestCalendar {
        holidays: Vec<Date>,
    }

    impl BusinessClock for TestCalendar {
        fn business_seconds(&self, _office: &str, from: Timestamp, to: Timestamp) -> i64 {
            if to <= from {
                return 0;
            }
            let tz = rome();
            let mut day = from.to_zoned(tz.clone()).date();
            let last = to.to_zoned(tz.clone()).date();
            let mut total = 0;
            while day <= last {
                let weekday = day.weekday().to_monday_one_offset();
                if weekday <= 5 && !self.holidays.contains(&day) {
                    let open = day.at(8, 0, 0, 0).to_zoned(tz.clone()).unwrap().timestamp();
                    let close = day
                        .at(18, 0, 0, 0)
                        .to_zoned(tz.clone())
                        .unwrap()
                        .timestamp();
                    let (a, b) = (open.max(from), close.min(to));
                    if b > a {
                        total += b.duration_since(a).as_secs();
                    }
                }
                day = day.tomorrow().unwrap();
            }
            total
        }
        fn business_day_seconds(&self, _office: &str) -> i64 {
            36_000
        }
    }

    fn calendar() -> TestCalendar {
        TestCalendar {
            holidays: vec![date(2026, 12, 8)],
        }
    }

    fn at(month: i8, day: i8, hour: i8) -> Timestamp {
        date(2026, month, day)
            .at(hour, 0, 0, 0)
            .to_zoned(rome())
            .unwrap()
            .timestamp()
    }

    fn now() -> Timestamp {
        at(12, 11, 12)
    }

    const H: i64 = 3600;
    const TARGETS: Targets = Targets {
        first_reply_secs: 20 * H,
        resolution_secs: 50 * H,
    };

    fn facts(id: &str, patronato: &str, status: Status, created: Timestamp) -> RequestFacts {
        RequestFacts {
            id: id.into(),
            office: "RM01".into(),
            topic: Topic::Pensioni,
            priority: Priority::Normale,
            patronato: patronato.into(),
            status,
            assignee: None,
            created_at: created,
            first_reply_at: None,
            closed_at: None,
            pauses: vec![],
            integration_requests: 0,
            reopens: 0,
            forwards: 0,
            targets: TARGETS,
            standing: None,
        }
    }

    fn dataset() -> Vec<RequestFacts> {
        use Status::*;
        // A: Mon 7 09:00, replied 15:00 (6 h, met), closed Wed 9 10:00 across the holiday:
        //    Mon 9 h + Tue 0 + Wed 2 h = 11 h resolution.
        let mut a = facts("A", "INCA", Chiusa, at(12, 7, 9));
        a.first_reply_at = Some(at(12, 7, 15));
        a.closed_at = Some(at(12, 9, 10));
        a.assignee = Some("op1".into());
        // B: paused across the holiday. Fri 4 16:00; integration Mon 7 10:00 (4 h run);
        //    back Wed 9 11:00 (paused Mon 8 h + Tue 0 + Wed 3 h = 11 h); reply Wed 9 14:00.
        //    First reply = (Fri 2 + Mon 10 + Wed 6 = 18 h) − 11 h = 7 h, met.
        //    Now: (2+10+0+10+10+4 = 36 h) − 11 h = 25 h of 50 h resolution: Ok. Age 36 h → 3 days.
        let mut b = facts("B", "INAS", RispostaInviata, at(12, 4, 16));
        b.first_reply_at = Some(at(12, 9, 14));
        b.pauses = vec![(at(12, 7, 10), Some(at(12, 9, 11)))];
        b.integration_requests = 1;
        b.assignee = Some("op1".into());
        // C: Mon 7 08:00, integration Mon 12:00 and still paused (4 h of 20): Paused.
        //    Age Mon 10 + Wed 10 + Thu 10 + Fri 4 = 34 h → 3 days.
        let mut c = facts("C", "INCA", InAttesaIntegrazione, at(12, 7, 8));
        c.pauses = vec![(at(12, 7, 12), None)];
        c.integration_requests = 1;
        c.assignee = Some("op2".into());
        // D: Tue 1 09:00, untouched: 9+10+10+10+10+0+10+10+4 = 73 h ≥ 20 h: Breached; 7 days.
        let d = facts("D", "INCA", Nuova, at(12, 1, 9));
        // E: Wed 9 15:00, taken, not replied: 3 + 10 + 4 = 17 h = 85 % of 20 h: AtRisk; 1 day.
        let mut e = facts("E", "INAS", InLavorazione, at(12, 9, 15));
        e.assignee = Some("op1".into());
        // F: Fri 11 09:00: 3 h, Ok, 0 days.
        let f = facts("F", "ACLI", Nuova, at(12, 11, 9));
        // G: Tue 1 10:00, replied Thu 3 17:00 (8+10+9 = 27 h, missed), closed Fri 4 10:00,
        //    reopened Mon 7, answered again: open, resolution clock 72 h ≥ 50 h: Breached; 7 days.
        let mut g = facts("G", "INAS", RispostaInviata, at(12, 1, 10));
        g.first_reply_at = Some(at(12, 3, 17));
        g.reopens = 1;
        g.assignee = Some("op3".into());
        // H: another office and topic, forwarded twice, Thu 10 09:00: 13 h, Ok.
        let mut h = facts("H", "ACLI", Trasferita, at(12, 10, 9));
        h.office = "MI01".into();
        h.topic = Topic::Contributi;
        h.forwards = 2;
        // I: Mon 30 Nov 08:00, replied 10:00 (2 h), closed 18:00 (10 h).
        let mut i = facts("I", "INCA", Chiusa, at(11, 30, 8));
        i.first_reply_at = Some(at(11, 30, 10));
        i.closed_at = Some(at(11, 30, 18));
        i.assignee = Some("op2".into());
        vec![a, b, c, d, e, f, g, h, i]
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s = [10, 20, 30, 40];
        assert_eq!(nearest_rank(&s, 50), Some(20)); // ceil(2.0) = 2: lower median
        assert_eq!(nearest_rank(&s, 90), Some(40)); // ceil(3.6) = 4
        assert_eq!(nearest_rank(&s, 0), Some(10));
        assert_eq!(nearest_rank(&s, 100), Some(40));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
        let five = [1, 2, 3, 4, 5];
        assert_eq!(nearest_rank(&five, 50), Some(3)); // ceil(2.5) = 3
        assert_eq!(nearest_rank(&five, 90), Some(5)); // ceil(4.5) = 5
    }

    #[test]
    fn business_time_excludes_pause_across_holiday_once() {
        let cal = calendar();
        let data = dataset();
        let b = &data[1];
        assert_eq!(b.first_reply_secs(&cal), Some(7 * H));
        assert_eq!(b.running_business_seconds(&cal, now()), 25 * H);
        assert_eq!(data[0].resolution_secs(&cal), Some(11 * H));
    }

    #[test]
    fn office_topic_cell_matches_hand_computation() {
        let cal = calendar();
        let dash = compute(&dataset(), &cal, now(), &DashboardOptions::default());
        assert_eq!(dash.cells.len(), 2);
        let mi = &dash.cells[0];
        assert_eq!(
            (mi.office.as_str(), mi.topic),
            ("MI01", Some(Topic::Contributi))
        );
        assert_eq!((mi.open, mi.forward_hops, mi.max_forward_hops), (1, 2, 2));
        assert_eq!(mi.forwarded, Share { hits: 1, total: 1 });

        let rm = &dash.cells[1];
        assert_eq!(
            (rm.office.as_str(), rm.topic),
            ("RM01", Some(Topic::Pensioni))
        );
        assert_eq!(rm.open, 6); // B C D E F G
        assert_eq!(rm.breached, 2); // D G
        assert_eq!(rm.paused, 1); // C
        assert_eq!(rm.at_risk, 1); // E
        assert_eq!(rm.within_sla_today, Share { hits: 0, total: 0 });
        assert_eq!(rm.within_sla_7d, Share { hits: 2, total: 2 }); // A B
        assert_eq!(rm.within_sla_30d, Share { hits: 3, total: 4 }); // I A B met, G missed
        // First replies 2 h, 6 h, 7 h, 27 h: median rank ceil(2.0)=2, p90 rank ceil(3.6)=4.
        assert_eq!(
            rm.first_reply,
            DurationStats {
                count: 4,
                median_secs: Some(6 * H),
                p90_secs: Some(27 * H)
            }
        );
        // Resolutions 10 h (I), 11 h (A): median rank 1, p90 rank ceil(1.8)=2.
        assert_eq!(
            rm.resolution,
            DurationStats {
                count: 2,
                median_secs: Some(10 * H),
                p90_secs: Some(11 * H)
            }
        );
        // F <1; E 1–2; B C 3–5; D G 6–10.
        assert_eq!(rm.backlog_by_age, [1, 1, 2, 2, 0]);
        assert_eq!(rm.reopen, Share { hits: 1, total: 4 }); // G of A B G I
        assert_eq!(rm.forwarded, Share { hits: 0, total: 8 });
        assert_eq!(rm.within_sla_30d.percent(), Some(75.0));

        assert_eq!(dash.office_totals.len(), 2);
        assert_eq!(dash.office_totals[1].open, 6);
        assert_eq!(dash.office_totals[1].topic, None);
    }

    #[test]
    fn patronato_figures_match_hand_computation() {
        let cal = calendar();
        let figures = yearly_quality(&dataset(), &cal, 2026);
        assert!(yearly_quality(&dataset(), &cal, 2025).is_empty());
        let by = |code: &str| figures.iter().find(|f| f.patronato == code).unwrap();
        assert_eq!(figures.len(), 3);
        let inca = by("INCA"); // A C D I
        assert_eq!((inca.volume, inca.integration_requests), (4, 1));
        assert_eq!(inca.defect, Share { hits: 1, total: 4 });
        assert_eq!(inca.reopen, Share { hits: 0, total: 2 });
        assert_eq!(inca.within_sla, Share { hits: 2, total: 2 });
        let inas = by("INAS"); // B E G
        assert_eq!(inas.defect, Share { hits: 1, total: 3 });
        assert_eq!(inas.reopen, Share { hits: 1, total: 2 });
        assert_eq!(inas.within_sla, Share { hits: 1, total: 2 });
        let acli = by("ACLI"); // F H
        assert_eq!(
            (acli.volume, acli.defect.hits, acli.reopen.total),
            (2, 0, 0)
        );
        assert_eq!(acli.defect.percent(), Some(0.0));
        assert_eq!(acli.reopen.percent(), None);
    }

    #[test]
    fn workload_is_aggregated_unless_named() {
        let cal = calendar();
        let data = dataset();
        let dash = compute(&data, &cal, now(), &DashboardOptions::default());
        // Open and assigned: op1 B E, op2 C, op3 G; unassigned D F H.
        assert_eq!(
            dash.workload,
            Workload::Aggregated {
                operators: 3,
                unassigned_open: 3,
                min_open: 1,
                median_open: 1,
                max_open: 2
            }
        );
        let json = serde_json::to_string(&dash).unwrap();
        assert!(!json.contains("op1"), "no operator name leaks: {json}");
        let named = DashboardOptions {
            named_operators: true,
            ..DashboardOptions::default()
        };
        let dash = compute(&data, &cal, now(), &named);
        assert_eq!(
            dash.workload,
            Workload::Named {
                unassigned_open: 3,
                operators: vec![("op1".into(), 2), ("op2".into(), 1), ("op3".into(), 1)]
            }
        );
    }

    #[test]
    fn trend_has_thirty_days_ending_today() {
        let cal = calendar();
        let dash = compute(&dataset(), &cal, now(), &DashboardOptions::default());
        assert_eq!(dash.trend.len(), 30);
        let last = dash.trend.last().unwrap();
        assert_eq!(
            (last.date, last.filed, last.answered),
            (date(2026, 12, 11), 1, 0)
        );
        let wed = dash
            .trend
            .iter()
            .find(|d| d.date == date(2026, 12, 9))
            .unwrap();
        // E filed; B answered within SLA; A closed.
        assert_eq!(
            (wed.filed, wed.answered, wed.answered_within_sla, wed.closed),
            (1, 1, 1, 1)
        );
        let thu3 = dash
            .trend
            .iter()
            .find(|d| d.date == date(2026, 12, 3))
            .unwrap();
        assert_eq!((thu3.answered, thu3.answered_within_sla), (1, 0)); // G missed
    }

    /// The forecast of a row built for it (office NA01, one topic, so the cell and the office
    /// total agree). Business day D = 10 h, window W = 10 business days, resolution target 50 h.
    ///
    /// Closures: the last 10 business days before now are 100 business hours back: Fri 11 4 h,
    /// Thu 10, Wed 9, (Tue 8 closed), Mon 7, Fri 4, Thu 3, Wed 2, Tue 1, Mon 30 Nov 10 h each
    /// = 84 h, Fri 27 Nov 10 h = 94 h, Thu 26 Nov from 12:00 6 h = 100 h. So 14 closes on Wed 9
    /// and one on Thu 26 Nov 13:00 (99 h back) count; one on Thu 26 Nov 12:00 (exactly 100 h)
    /// does not. C = 15, r = 1.5 per business day.
    ///
    /// Candidates (remaining = 50 h − business time used since filing; d = remaining / 10 h):
    /// - a: filed Thu 3 17:00, used 1+10+10+10+10+4 = 45 h, d = 0.5, rank 0:
    ///   1 ≤ 1.5·0.5 = 0.75? no → breaches; x ≥ 1/0.5 − 1.5 = 0.5 → 1.
    /// - b, c: filed Mon 7 12:00, used 6+10+10+4 = 30 h, d = 2.0, ranks 1, 2:
    ///   2 ≤ 3 yes; 3 ≤ 3 yes (equality: in time).
    /// - e1…e5: filed Wed 9 12:00, used 6+10+4 = 20 h, d = 3.0 (on the 3-day horizon), ranks 3–7:
    ///   4 ≤ 4.5 yes; 5, 6, 7, 8 ≤ 4.5 no → 4 breach; x ≥ 8/3 − 1.5 = 1.17 → 2 (rank 7 rules).
    /// - k: filed Thu 10 17:00, used 1+4 = 5 h, d = 4.5, rank 8: 9 ≤ 6.75 no; x ≥ 0.5 → 1.
    /// - l: filed now, used 0, d = 5.0 (on the 5-day horizon), rank 9: 10 ≤ 7.5 no; x → 1.
    /// - m: target 80 h, filed Fri 11 10:00, used 2 h, d = 7.8, rank 10: beyond every horizon.
    ///
    /// Not candidates: p awaiting integration (paused clock), z breached (filed Tue 1 09:00,
    /// 73 h used ≥ 50 h).
    ///
    /// 1 day: a → breaching 1, x 1. 3 days: a + 4 of e → 5, x max(1, 2) = 2.
    /// 5 days: + k + l → 7, x 2.
    #[test]
    fn forecast_matches_hand_computation() {
        use Status::*;
        let row = |id: &str, status: Status, created: Timestamp| {
            let mut f = facts(id, "INCA", status, created);
            f.office = "NA01".into();
            f
        };
        let mut data = Vec::new();
        for n in 0..14 {
            let mut closed = row(&format!("c{n:02}"), Chiusa, at(11, 23, 9));
            closed.closed_at = Some(at(12, 9, 10));
            data.push(closed);
        }
        let mut inside = row("in", Chiusa, at(11, 23, 9));
        inside.closed_at = Some(at(11, 26, 13));
        let mut outside = row("out", Chiusa, at(11, 23, 9));
        outside.closed_at = Some(at(11, 26, 12));
        data.extend([inside, outside]);
        data.push(row("a", InLavorazione, at(12, 3, 17)));
        data.push(row("b", InLavorazione, at(12, 7, 12)));
        data.push(row("c", RispostaInviata, at(12, 7, 12)));
        for n in 1..=5 {
            data.push(row(&format!("e{n}"), Nuova, at(12, 9, 12)));
        }
        data.push(row("k", Nuova, at(12, 10, 17)));
        data.push(row("l", Nuova, now()));
        let mut m = row("m", Nuova, at(12, 11, 10));
        m.targets.resolution_secs = 80 * H;
        data.push(m);
        let mut p = row("p", InAttesaIntegrazione, at(12, 11, 9));
        p.pauses = vec![(at(12, 11, 10), None)];
        data.push(p);
        data.push(row("z", Nuova, at(12, 1, 9)));

        let dash = compute(&data, &calendar(), now(), &DashboardOptions::default());
        let expected = Forecast {
            recent_closures: 15,
            breaching: [1, 5, 7],
            extra_daily_closures: [1, 2, 2],
        };
        assert_eq!(dash.cells[0].forecast, expected);
        assert_eq!(dash.office_totals[0].forecast, expected);

        // With 5 more closures r = 2: a 1 ≤ 1 in time; b, c 2, 3 ≤ 4; e 4…8 ≤ 6 for 4, 5, 6,
        // not 7, 8 → x ≥ 8/3 − 2 = 0.67 → 1; k 9 ≤ 9 in time; l 10 ≤ 10 in time.
        for n in 0..5 {
            let mut closed = row(&format!("d{n}"), Chiusa, at(11, 23, 9));
            closed.closed_at = Some(at(12, 10, 9));
            data.push(closed);
        }
        let dash = compute(&data, &calendar(), now(), &DashboardOptions::default());
        assert_eq!(
            dash.cells[0].forecast,
            Forecast {
                recent_closures: 20,
                breaching: [0, 2, 2],
                extra_daily_closures: [0, 1, 1],
            }
        );
    }

    /// The main dataset's RM01 row: closes A (Wed 9, 22 h back) and I (Mon 30 Nov 18:00, 74 h
    /// back) count: r = 0.2. Candidates B (25 h left, d 2.5), E (33 h, 3.3), F (47 h, 4.7);
    /// C paused, D and G breached. 1 day: none. 3 days: B 1 ≤ 0.5 no, x ≥ 0.4 − 0.2 → 1.
    /// 5 days: E 2 ≤ 0.66 no (x ≥ 0.41 → 1), F 3 ≤ 0.94 no (x ≥ 0.44 → 1).
    #[test]
    fn forecast_of_the_main_dataset() {
        let dash = compute(&dataset(), &calendar(), now(), &DashboardOptions::default());
        assert_eq!(
            dash.cells[1].forecast,
            Forecast {
                recent_closures: 2,
                breaching: [0, 1, 3],
                extra_daily_closures: [0, 1, 1],
            }
        );
        // MI01: H (13 h used, 37 h left, d 3.7), no closures: r = 0; 5 days: 1 ≤ 0 no,
        // x ≥ 1/3.7 → 1.
        assert_eq!(
            dash.cells[0].forecast,
            Forecast {
                recent_closures: 0,
                breaching: [0, 0, 1],
                extra_daily_closures: [0, 0, 1],
            }
        );
    }

    #[test]
    fn dashboard_csv_row_matches_the_figures() {
        let dash = compute(&dataset(), &calendar(), now(), &DashboardOptions::default());
        let text = csv::dashboard_csv(&dash, crate::domain::csv::Dialect::Plain);
        let rows: Vec<&str> = text.split("\r\n").collect();
        assert!(rows[0].starts_with("office,topic,open,at_risk,breached,paused,"));
        assert!(rows[0].ends_with(
            ",backlog_age_>10,closed_last_10_business_days,breaching_within_1bd,\
             breaching_within_3bd,breaching_within_5bd,extra_daily_closures_1bd,\
             extra_daily_closures_3bd,extra_daily_closures_5bd"
        ));
        // The forecast columns are `forecast_of_the_main_dataset`'s numbers.
        assert_eq!(
            rows[2],
            "RM01,pensioni,6,1,2,1,,100.0,75.0,6.0,27.0,10.0,11.0,25.0,0.0,0,1,1,2,2,0,2,0,1,3,0,1,1"
        );
        let italian = csv::dashboard_csv(&dash, crate::domain::csv::Dialect::Italian);
        let header = italian.split("\r\n").next().unwrap();
        assert!(
            header.ends_with(
                ";Arretrato >10 giorni;Chiuse ultimi 10 g lav.;Scadranno entro 1 g lav.;\
                 Scadranno entro 3 g lav.;Scadranno entro 5 g lav.;\
                 Chiusure in più al giorno per 1 g lav.;Chiusure in più al giorno per 3 g lav.;\
                 Chiusure in più al giorno per 5 g lav."
            ),
            "{header}"
        );
        assert_eq!(rows.len(), 1 + 2 + 2 + 1); // header, cells, office totals, trailing
    }

    #[test]
    fn facts_from_request_history() {
        let actor = ActorRef {
            id: "op1".into(),
            name: "Op".into(),
            role: Role::Operator,
        };
        let step = |at: Timestamp, transition, from, to| HistoryEntry {
            at,
            actor: actor.clone(),
            transition,
            from,
            to,
            detail: None,
        };
        use Status::*;
        use Transition as T;
        let request = Request {
            id: RequestId::new(2026, 2),
            patronato: "INAS".into(),
            office: "RM01".into(),
            topic: Topic::Pensioni,
            citizen: CodiceFiscale::parse("RSSMRA80A01H501U").unwrap(),
            application_protocol: None,
            subject: "s".into(),
            priority: Priority::Normale,
            status: RispostaInviata,
            assignee: Some("op1".into()),
            tags: vec![],
            outcome: None,
            created_at: at(12, 4, 16),
            updated_at: at(12, 9, 14),
            version: 5,
            thread: vec![],
            history: vec![
                step(at(12, 7, 9), T::Take, Nuova, InLavorazione),
                step(
                    at(12, 7, 10),
                    T::RequestIntegration,
                    InLavorazione,
                    InAttesaIntegrazione,
                ),
                step(
                    at(12, 9, 11),
                    T::PatronatoMessage,
                    InAttesaIntegrazione,
                    InLavorazione,
                ),
                step(at(12, 9, 14), T::Reply, InLavorazione, RispostaInviata),
            ],
        };
        let facts = RequestFacts::from_request(&request, TARGETS);
        let mut expected = dataset()[1].clone();
        expected.id = "CBP-2026-0000002".into();
        assert_eq!(facts, expected);
        assert_eq!(facts.sla_state(&calendar(), now(), 75), SlaState::Ok);
    }
}
