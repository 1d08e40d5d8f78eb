//! SLA clocks and policies (issue 3).
//!
//! Each request carries one [`Clock`] per measured promise. A clock runs in *segments*, each on
//! the calendar of the office competent at the time, so a forwarded request keeps its accumulated
//! time and continues on the receiving office's calendar. Clocks pause only while the request
//! awaits integration from the patronato; a forward of a request awaiting integration keeps them
//! paused (the patronato still owes the documents). [`on_transition`] updates clocks (pure, no
//! calendar needed); [`countdown`] reads them at an instant (pure, precomputed calendars).
//!
//! A target in hours counts business seconds; a target in days counts business days (each day
//! worth the same however long the office is open, see [`Measure::Days`]). The instant a
//! threshold is reached is found by walking the segments, so it never moves once passed and never
//! falls inside a pause. See `docs/sla.md`.

mod alert;
mod policy;
mod prepared;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::calendar::{CalendarError, CalendarSet, Measure};
use crate::domain::request::{Priority, Status, Topic, Transition};

pub use alert::{AlertLevel, PendingAlert, pending_alert};
pub use policy::{DEFAULT_POLICY_TOML, KindTargets, Policy, PolicyError, Target, Thresholds};
pub use prepared::{
    Prepared, SlaInstant, StateChange, next_state_change, prepare, replay_standing, standing,
    standing_at, standing_at_with, state_at,
};

/// What a clock measures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Filing → an operator takes the request (internal target).
    PresaInCarico,
    /// Filing → the first answer; never reset by forwarding.
    FirstReply,
    /// New information from the patronato → the next answer.
    NextReply,
    /// Filing → closing.
    Resolution,
}

impl ClockKind {
    pub const ALL: [ClockKind; 4] = [
        Self::PresaInCarico,
        Self::FirstReply,
        Self::NextReply,
        Self::Resolution,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::PresaInCarico => "presa_in_carico",
            Self::FirstReply => "first_reply",
            Self::NextReply => "next_reply",
            Self::Resolution => "resolution",
        }
    }
}

/// An office code ("RM01"): stored inline (no heap allocation up to 24 bytes), because every
/// clock and segment carries one and the list paths read thousands of them per page.
pub type OfficeCode = compact_str::CompactString;

/// A stretch of running time on one office's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    #[schema(value_type = String)]
    pub office: OfficeCode,
    #[schema(value_type = String)]
    pub from: Timestamp,
    #[schema(value_type = Option<String>)]
    pub to: Option<Timestamp>,
}

/// A pause while awaiting integration from the patronato.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pause {
    #[schema(value_type = String)]
    pub from: Timestamp,
    #[schema(value_type = Option<String>)]
    pub to: Option<Timestamp>,
}

/// One SLA clock of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Clock {
    pub kind: ClockKind,
    /// Office whose calendar the clock runs on now.
    #[schema(value_type = String)]
    pub office: OfficeCode,
    #[schema(value_type = String)]
    pub started_at: Timestamp,
    /// Target in units of `measure` (business seconds, or business-day units).
    pub target_secs: i64,
    /// How the target is counted: business seconds (`Nh`) or business days (`Nd`).
    #[serde(default)]
    pub measure: Measure,
    /// Thresholds in force when the clock started.
    pub thresholds: Thresholds,
    pub segments: Vec<Segment>,
    pub pauses: Vec<Pause>,
    #[schema(value_type = Option<String>)]
    pub stopped_at: Option<Timestamp>,
    /// Figures precomputed on the calendars at the clock's last change (see [`prepare`]);
    /// ignored unless they were computed on calendars identical to the ones asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub prepared: Option<Prepared>,
}

impl Clock {
    fn start(kind: ClockKind, change: &ClockChange<'_>, policy: &Policy) -> Self {
        let (target_secs, measure) = policy.target(kind, change.topic, change.priority);
        Self {
            kind,
            office: change.office.into(),
            started_at: change.at,
            target_secs,
            measure,
            thresholds: policy.thresholds,
            segments: vec![Segment {
                office: change.office.into(),
                from: change.at,
                to: None,
            }],
            pauses: Vec::new(),
            stopped_at: None,
            prepared: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.segments.last().is_some_and(|s| s.to.is_none())
    }

    pub fn is_paused(&self) -> bool {
        self.stopped_at.is_none() && self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped_at.is_some()
    }

    fn close_segment(&mut self, at: Timestamp) {
        if let Some(segment) = self.segments.last_mut().filter(|s| s.to.is_none()) {
            segment.to = Some(at.max(segment.from));
        }
    }

    fn open_segment(&mut self, office: &str, at: Timestamp) {
        self.office = office.into();
        self.segments.push(Segment {
            office: office.into(),
            from: at,
            to: None,
        });
    }

    fn stop(&mut self, at: Timestamp) {
        if self.is_stopped() {
            return;
        }
        self.close_segment(at);
        if let Some(pause) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
            pause.to = Some(at);
        }
        self.stopped_at = Some(at);
    }
}

/// What happened to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaEvent {
    /// The patronato filed the request.
    Filed,
    /// A status-machine transition, with the statuses before and after.
    Transition {
        transition: Transition,
        from: Status,
        to: Status,
    },
}

/// An event with its context: when, the office competent *after* it (for a forward: the
/// receiving office), the request's topic and priority (which select the targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockChange<'a> {
    pub event: SlaEvent,
    pub at: Timestamp,
    pub office: &'a str,
    pub topic: Topic,
    pub priority: Priority,
}

/// The request's clocks after `change` (pure).
pub fn on_transition(clocks: &[Clock], change: &ClockChange<'_>, policy: &Policy) -> Vec<Clock> {
    let mut clocks = clocks.to_vec();
    // Precomputed figures describe the clocks before this change; the caller prepares again.
    clocks.iter_mut().for_each(|c| c.prepared = None);
    let at = change.at;
    let (transition, from, to) = match change.event {
        SlaEvent::Filed => {
            if clocks.is_empty() {
                for kind in [
                    ClockKind::PresaInCarico,
                    ClockKind::FirstReply,
                    ClockKind::Resolution,
                ] {
                    clocks.push(Clock::start(kind, change, policy));
                }
            }
            return clocks;
        }
        SlaEvent::Transition {
            transition,
            from,
            to,
        } => (transition, from, to),
    };
    let open_next_reply = |clocks: &[Clock]| {
        clocks
            .iter()
            .any(|c| c.kind == ClockKind::NextReply && !c.is_stopped())
    };
    let first_reply_done = |clocks: &[Clock]| {
        clocks
            .iter()
            .any(|c| c.kind == ClockKind::FirstReply && c.is_stopped())
    };
    match transition {
        Transition::Take | Transition::Assign => {
            stop_kind(&mut clocks, ClockKind::PresaInCarico, at)
        }
        Transition::Reply => {
            for kind in [
                ClockKind::PresaInCarico,
                ClockKind::FirstReply,
                ClockKind::NextReply,
            ] {
                stop_kind(&mut clocks, kind, at);
            }
        }
        Transition::Close => clocks.iter_mut().for_each(|c| c.stop(at)),
        Transition::Reopen => {
            for clock in clocks
                .iter_mut()
                .filter(|c| c.kind == ClockKind::Resolution)
            {
                if clock.is_stopped() {
                    clock.stopped_at = None;
                    clock.open_segment(change.office, at);
                }
            }
            if !open_next_reply(&clocks) {
                clocks.push(Clock::start(ClockKind::NextReply, change, policy));
            }
        }
        Transition::PatronatoMessage => {
            if first_reply_done(&clocks) && !open_next_reply(&clocks) {
                clocks.push(Clock::start(ClockKind::NextReply, change, policy));
            }
        }
        Transition::Forward => {
            for clock in clocks.iter_mut().filter(|c| c.is_running()) {
                clock.close_segment(at);
                clock.open_segment(change.office, at);
            }
            for clock in clocks.iter_mut().filter(|c| !c.is_stopped()) {
                clock.office = change.office.into();
            }
        }
        Transition::Release
        | Transition::RequestIntegration
        | Transition::InternalNote
        | Transition::Tag
        | Transition::Appointment => {}
    }
    let awaiting = Status::InAttesaIntegrazione;
    // A pause ends when the documents arrive (the patronato writes) or the office answers
    // anyway; a forward does not end it: the patronato still owes the documents, now to the
    // receiving office (the paused clocks already moved to it above).
    let resumes = match transition {
        Transition::PatronatoMessage | Transition::Reply => true,
        Transition::Forward => false,
        _ => from == awaiting && to != awaiting,
    };
    if to == awaiting && from != awaiting {
        for clock in clocks.iter_mut().filter(|c| c.is_running()) {
            clock.close_segment(at);
            clock.pauses.push(Pause { from: at, to: None });
        }
    } else if resumes {
        for clock in clocks.iter_mut().filter(|c| c.is_paused()) {
            if let Some(pause) = clock.pauses.last_mut() {
                pause.to = Some(at);
            }
            clock.open_segment(change.office, at);
        }
    }
    clocks
}

fn stop_kind(clocks: &mut [Clock], kind: ClockKind, at: Timestamp) {
    clocks
        .iter_mut()
        .filter(|c| c.kind == kind)
        .for_each(|c| c.stop(at));
}

/// How a clock stands at an instant.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    Ok,
    Warning,
    Critical,
    Breached,
    Paused,
    /// Stopped within target.
    Met,
    /// Stopped after the target.
    Missed,
}

/// The countdown of a clock at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Countdown {
    pub state: SlaState,
    /// When the target is (or was) reached if the clock keeps running; `None` when paused or stopped.
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    /// Business seconds left (negative once breached).
    pub remaining_secs: i64,
    pub elapsed_secs: i64,
    /// Elapsed business time as a percentage of the target (may exceed 100).
    pub percent_used: u32,
}

/// THE countdown: how `clock` stands at `now`, counted on the calendars of the offices it ran in.
pub fn countdown(
    clock: &Clock,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<Countdown, CalendarError> {
    let mut elapsed = 0i64;
    for segment in &clock.segments {
        let end = segment.to.unwrap_or(now).min(now);
        if end > segment.from {
            elapsed += calendars.get(&segment.office)?.measure_between(
                segment.from,
                end,
                clock.measure,
            )?;
        }
    }
    let state = if clock.stopped_at.is_some_and(|s| s <= now) {
        Standing::Stopped
    } else if !clock.is_running() {
        Standing::Paused
    } else {
        Standing::Running {
            due: reached_at(clock, clock.target_secs, now, calendars)?,
        }
    };
    Ok(state.countdown(elapsed, clock.target_secs, clock.thresholds))
}

/// The instant at which a running clock's elapsed time reaches `amount`: where it happened if it
/// did (walking the segments, each on its own office's calendar, so the instant is fixed and
/// never inside a pause), else where it will if the clock keeps running on its current office's
/// calendar. `None` if that lies outside the calendars' years.
pub fn reached_at(
    clock: &Clock,
    amount: i64,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<Option<Timestamp>, CalendarError> {
    if amount <= 0 {
        return Ok(clock.segments.first().map(|s| s.from));
    }
    let mut done = 0i64;
    for segment in &clock.segments {
        let calendar = calendars.get(&segment.office)?;
        let open = segment.to.is_none();
        let end = segment.to.unwrap_or(now).min(now);
        let base = calendar.total(segment.from, clock.measure)?;
        let part = if end > segment.from {
            calendar.total(end, clock.measure)? - base
        } else {
            0
        };
        if done + part >= amount || open {
            // Reached within this segment, or (open segment) reached later on its calendar.
            return Ok(calendar.instant_at_total(base + amount - done, clock.measure));
        }
        done += part;
    }
    Ok(None)
}

/// The instants at which a running clock reaches its warning, critical and breach thresholds:
/// where it did for those already reached, where it will if it keeps running for the others.
///
/// They stay fixed until the clock's next transition, so a client holding them can tell the
/// clock's level at any later instant by comparison alone, without calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crossings {
    pub warning: Timestamp,
    pub critical: Timestamp,
    pub breach: Timestamp,
}

/// The elapsed amount at which `countdown` calls a threshold of `pct` % reached.
pub(crate) fn threshold_amount(target: i64, pct: u16) -> i64 {
    // `countdown` calls a threshold reached once elapsed * 100 >= target * pct.
    (target.saturating_mul(i64::from(pct)) + 99).div_euclid(100)
}

/// [`Crossings`] of `clock` given its [`Countdown`] at `now`; `None` unless the clock is running.
pub fn crossings(
    clock: &Clock,
    standing: &Countdown,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<Option<Crossings>, CalendarError> {
    if standing.due_at.is_none() {
        return Ok(None);
    }
    let at = |pct: u16| -> Result<Option<Timestamp>, CalendarError> {
        reached_at(
            clock,
            threshold_amount(clock.target_secs, pct),
            now,
            calendars,
        )
    };
    let t = clock.thresholds;
    Ok(match (at(t.warning)?, at(t.critical)?, at(t.breach)?) {
        (Some(warning), Some(critical), Some(breach)) => Some(Crossings {
            warning,
            critical,
            breach,
        }),
        _ => None,
    })
}

/// Where a clock is, for turning elapsed business time into a [`Countdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Stopped,
    Paused,
    Running { due: Option<Timestamp> },
}

impl Standing {
    /// The level of a running clock with `elapsed` of `target` used.
    #[inline]
    fn running_state(elapsed: i64, target: i64, t: Thresholds) -> SlaState {
        let reached =
            |pct: u16| elapsed.saturating_mul(100) >= target.saturating_mul(i64::from(pct));
        if reached(t.breach) {
            SlaState::Breached
        } else if reached(t.critical) {
            SlaState::Critical
        } else if reached(t.warning) {
            SlaState::Warning
        } else {
            SlaState::Ok
        }
    }

    #[inline(always)]
    fn countdown(self, elapsed: i64, target: i64, t: Thresholds) -> Countdown {
        let remaining = target - elapsed;
        let percent_used = if target > 0 {
            u32::try_from(elapsed.saturating_mul(100) / target).unwrap_or(u32::MAX)
        } else {
            u32::MAX
        };
        let reached =
            |pct: u16| elapsed.saturating_mul(100) >= target.saturating_mul(i64::from(pct));
        let (state, due_at) = match self {
            Standing::Stopped if reached(t.breach) => (SlaState::Missed, None),
            Standing::Stopped => (SlaState::Met, None),
            Standing::Paused => (SlaState::Paused, None),
            Standing::Running { due } => (Standing::running_state(elapsed, target, t), due),
        };
        Countdown {
            state,
            due_at,
            remaining_secs: remaining,
            elapsed_secs: elapsed,
            percent_used,
        }
    }
}

#[cfg(test)]
mod tests;
