//! The countdown of many clocks, fast. [`prepare`] computes, at a clock's transition, what does
//! not change until its next one, and stores it in the clock ([`Clock::prepared`], persisted with
//! it): between transitions a running clock's due and threshold instants are fixed, and its
//! elapsed time is its closed segments plus the running total of its office's calendar since the
//! open segment began, so a countdown costs one calendar lookup by index and a few additions.
//! [`SlaInstant`] looks up each office's running total at `now` once for a whole batch.
//!
//! The results are identical to [`countdown`] and [`crossings`] (property tests replay random
//! clocks): whatever the fast path cannot reproduce exactly (an instant before the clock's last
//! change, figures computed on other calendars, instants outside the calendars' years) is answered
//! by them.

use std::cell::OnceCell;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Clock, Countdown, Crossings, SlaState, Standing, countdown, crossings};
use crate::domain::calendar::{CalendarError, CalendarSet, Position};

/// Figures of a clock valid from its last change on, on the calendars with fingerprint `set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// [`CalendarSet::id`] of the calendars these figures were computed on.
    set: u64,
    /// The clock's last change: from then on the figures apply.
    settled: Timestamp,
    form: Form,
    /// Every segment ran in the clock's office: the clock never left it (absent in clocks
    /// prepared by earlier versions, which then answer the long way).
    #[serde(default)]
    one_office: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Form {
    /// Stopped or paused: the countdown no longer changes.
    Settled {
        countdown: Countdown,
    },
    Running(Running),
}

/// A running clock's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Running {
    /// Index of the office calendar of the open segment (the clock's office).
    calendar: u32,
    /// Elapsed time of the closed segments.
    closed: i64,
    /// Start of the open segment, and the calendar's running total then.
    from: Timestamp,
    base: i64,
    /// Where the target and the thresholds are (or will be) reached.
    due: Option<Timestamp>,
    crossings: Option<Crossings>,
}

/// Business-calendar positions of every office at one instant, shared by a batch of countdowns
/// and looked up only for the offices the batch asks about.
#[derive(Debug, Clone)]
pub struct SlaInstant<'a> {
    calendars: &'a CalendarSet,
    now: Timestamp,
    /// The first office asked about: one request's clocks, and most pages, run on one office,
    /// so a detail view costs no table of every office.
    first: OnceCell<(usize, Option<Position>)>,
    /// Every office, allocated once a second office is asked about.
    positions: OnceCell<Box<[OnceCell<Option<Position>>]>>,
}

impl<'a> SlaInstant<'a> {
    pub fn new(calendars: &'a CalendarSet, now: Timestamp) -> Self {
        SlaInstant {
            calendars,
            now,
            first: OnceCell::new(),
            positions: OnceCell::new(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn calendars(&self) -> &'a CalendarSet {
        self.calendars
    }

    #[inline]
    fn position(&self, index: usize) -> Option<Position> {
        let &(first, at) = self
            .first
            .get_or_init(|| (index, position(self.calendars, index, self.now)));
        if first == index {
            return at;
        }
        let positions = self
            .positions
            .get_or_init(|| (0..self.calendars.len()).map(|_| OnceCell::new()).collect());
        *positions
            .get(index)?
            .get_or_init(|| position(self.calendars, index, self.now))
    }
}

fn position(calendars: &CalendarSet, index: usize, now: Timestamp) -> Option<Position> {
    calendars.by_index(index)?.position(now).ok()
}

impl Clock {
    /// Whether the clock only ever ran in the office it is in now, known without comparing
    /// office codes when the clock is prepared (list rows ask it of every clock).
    #[inline]
    pub fn never_left_office(&self) -> bool {
        match &self.prepared {
            Some(p) => p.one_office,
            None => ran_only_in_own_office(self),
        }
    }
}

fn ran_only_in_own_office(clock: &Clock) -> bool {
    clock.segments.iter().all(|s| s.office == clock.office)
}

/// The clock's last change (its latest recorded instant).
fn settled(clock: &Clock) -> Timestamp {
    clock
        .segments
        .iter()
        .flat_map(|s| [Some(s.from), s.to])
        .chain(clock.pauses.iter().flat_map(|p| [Some(p.from), p.to]))
        .chain([clock.stopped_at, Some(clock.started_at)])
        .flatten()
        .max()
        .unwrap_or(Timestamp::MIN)
}

/// The figures of `clock` on `calendars` from its last change on; `None` if the fast path cannot
/// reproduce [`countdown`] for it (an unknown office, instants outside the calendars' years).
pub fn prepare(clock: &Clock, calendars: &CalendarSet) -> Option<Prepared> {
    let settled = settled(clock);
    let (open, closed) = match clock.segments.split_last() {
        Some((last, earlier)) if last.to.is_none() => (Some(last), earlier),
        _ => (None, clock.segments.as_slice()),
    };
    if closed.iter().any(|s| s.to.is_none()) {
        return None;
    }
    let form = match open {
        // Nothing runs: from `settled` on, the countdown is what it is at `settled`.
        None => Form::Settled {
            countdown: countdown(clock, settled, calendars).ok()?,
        },
        Some(_) if clock.stopped_at.is_some() => return None,
        Some(open) => {
            if open.office != clock.office {
                return None;
            }
            let calendar = calendars.index_of(&open.office)?;
            let mut closed_total = 0i64;
            for segment in closed {
                let to = segment.to?;
                if to > segment.from {
                    closed_total += calendars
                        .get(&segment.office)
                        .ok()?
                        .measure_between(segment.from, to, clock.measure)
                        .ok()?;
                }
            }
            let office = calendars.by_index(calendar)?;
            let base = office.total(open.from, clock.measure).ok()?;
            // Evaluated at `settled`, the walk of the segments gives the instants that hold for
            // every later instant while the clock runs (they depend on nothing after `settled`).
            let standing = countdown(clock, settled, calendars).ok()?;
            let crossings = crossings(clock, &standing, settled, calendars).ok()?;
            Form::Running(Running {
                calendar: u32::try_from(calendar).ok()?,
                closed: closed_total,
                from: open.from,
                base,
                due: standing.due_at,
                crossings,
            })
        }
    };
    Some(Prepared {
        set: calendars.id(),
        settled,
        form,
        one_office: ran_only_in_own_office(clock),
    })
}

/// How `clock` stands at `at.now()`: exactly `countdown` and `crossings`, from the clock's
/// prepared figures when they apply.
#[inline(always)]
pub fn standing_at(
    clock: &Clock,
    at: &SlaInstant<'_>,
) -> Result<(Countdown, Option<Crossings>), CalendarError> {
    evaluate(clock, at.now, at.calendars, |i| at.position(i))
}

/// Only the state of `clock` at `at.now()` (what queue counts need): the state of
/// [`standing_at`], without the divisions of the percentage and the threshold instants.
pub fn state_at(clock: &Clock, at: &SlaInstant<'_>) -> Result<SlaState, CalendarError> {
    let running = match clock.prepared {
        Some(p) if p.set == at.calendars.id() && at.now >= p.settled => match p.form {
            Form::Settled { countdown } => return Ok(countdown.state),
            Form::Running(r) => r,
        },
        _ => return countdown(clock, at.now, at.calendars).map(|c| c.state),
    };
    // The threshold instants hold until the clock's next change: comparing instants is the
    // whole answer (the elapsed time below gives the same, property-tested). It needs no
    // calendar position, only that `now` lies in the calendar's years (outside them the segment
    // walk answers, as it does for every path).
    let covered = at
        .calendars
        .by_index(running.calendar as usize)
        .is_some_and(|calendar| calendar.covers(at.now));
    if let Some(c) = running.crossings.filter(|_| covered) {
        return Ok(if at.now >= c.breach {
            SlaState::Breached
        } else if at.now >= c.critical {
            SlaState::Critical
        } else if at.now >= c.warning {
            SlaState::Warning
        } else {
            SlaState::Ok
        });
    }
    let Some(position) = at.position(running.calendar as usize) else {
        return countdown(clock, at.now, at.calendars).map(|c| c.state);
    };
    let elapsed = if at.now > running.from {
        running.closed + position.total(clock.measure) - running.base
    } else {
        running.closed
    };
    Ok(Standing::running_state(
        elapsed,
        clock.target_secs,
        clock.thresholds,
    ))
}

/// When the state [`state_at`] gives for a clock next changes with time alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// Not before the clock's next transition (stopped, paused, or past its last threshold).
    Never,
    /// At this instant, unless a transition comes first.
    At(Timestamp),
    /// The fast path cannot tell: ask [`state_at`] at every instant.
    Unknown,
}

/// The next instant after `at.now()` at which [`state_at`] of `clock` may answer otherwise,
/// with nothing happening to the request: a running clock's thresholds, or the end of the
/// calendars' years (after which the segment walk answers). Lets counters keep SLA levels up
/// to date from a time-ordered index of these instants instead of re-evaluating every clock.
pub fn next_state_change(clock: &Clock, at: &SlaInstant<'_>) -> StateChange {
    let running = match clock.prepared {
        Some(p) if p.set == at.calendars.id() && at.now >= p.settled => match p.form {
            Form::Settled { .. } => return StateChange::Never,
            Form::Running(r) => r,
        },
        _ => return StateChange::Unknown,
    };
    let Some(calendar) = at.calendars.by_index(running.calendar as usize) else {
        return StateChange::Unknown;
    };
    match running.crossings {
        Some(c) if calendar.covers(at.now) => [c.warning, c.critical, c.breach]
            .into_iter()
            .filter(|&t| t > at.now)
            .chain([calendar.coverage_end()])
            .min()
            .map_or(StateChange::Never, StateChange::At),
        _ => StateChange::Unknown,
    }
}

/// As [`standing_at`] for one clock, looking up only its own office.
pub fn standing(
    clock: &Clock,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<(Countdown, Option<Crossings>), CalendarError> {
    evaluate(clock, now, calendars, |i| position(calendars, i, now))
}

/// The slow path: the segment walk of [`countdown`] and [`crossings`].
pub fn replay_standing(
    clock: &Clock,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<(Countdown, Option<Crossings>), CalendarError> {
    let c = countdown(clock, now, calendars)?;
    Ok((c, crossings(clock, &c, now, calendars)?))
}

#[inline(always)]
fn evaluate(
    clock: &Clock,
    now: Timestamp,
    calendars: &CalendarSet,
    position_at_now: impl FnOnce(usize) -> Option<Position>,
) -> Result<(Countdown, Option<Crossings>), CalendarError> {
    evaluate_with(
        clock,
        now,
        calendars,
        position_at_now,
        |countdown, crossings| (*countdown, crossings.copied()),
    )
}

/// How `clock` stands at `at.now()`, handed to `build` as [`standing_at`] would return it: the
/// figures are read where they lie (a settled countdown and the threshold instants in the
/// prepared clock) instead of being copied out first, for callers building many views.
#[inline(always)]
pub fn standing_at_with<R>(
    clock: &Clock,
    at: &SlaInstant<'_>,
    build: impl FnOnce(&Countdown, Option<&Crossings>) -> R,
) -> Result<R, CalendarError> {
    evaluate_with(clock, at.now, at.calendars, |i| at.position(i), build)
}

#[inline(always)]
fn evaluate_with<R>(
    clock: &Clock,
    now: Timestamp,
    calendars: &CalendarSet,
    position_at_now: impl FnOnce(usize) -> Option<Position>,
    build: impl FnOnce(&Countdown, Option<&Crossings>) -> R,
) -> Result<R, CalendarError> {
    // One call of `build` whichever path answers, so that it is inlined into the caller.
    let computed: Countdown;
    let replayed: (Countdown, Option<Crossings>);
    let form = match &clock.prepared {
        Some(p) if p.set == calendars.id() && now >= p.settled => Some(&p.form),
        _ => None,
    };
    let running = match form {
        Some(Form::Running(r)) => position_at_now(r.calendar as usize).map(|at| (r, at)),
        _ => None,
    };
    let (countdown, crossings) = match (form, running) {
        (Some(Form::Settled { countdown }), _) => (countdown, None),
        (_, Some((r, position))) => {
            let elapsed = if now > r.from {
                r.closed + position.total(clock.measure) - r.base
            } else {
                r.closed
            };
            computed = Standing::Running { due: r.due }.countdown(
                elapsed,
                clock.target_secs,
                clock.thresholds,
            );
            let crossings = if computed.due_at.is_some() {
                r.crossings.as_ref()
            } else {
                None
            };
            (&computed, crossings)
        }
        _ => {
            replayed = replay_standing(clock, now, calendars)?;
            (&replayed.0, replayed.1.as_ref())
        }
    };
    Ok(build(countdown, crossings))
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::calendar::{CalendarSpec, OfficeCalendarSpec, PatronDay, WeeklyHours};
    use crate::domain::request::{Priority, Status, Topic, Transition};
    use crate::domain::sla::{ClockChange, Policy, SlaEvent, on_transition};

    const OFFICES: [&str; 4] = ["RM", "MI", "H24", "XX"];

    fn calendars() -> &'static CalendarSet {
        static SET: OnceLock<CalendarSet> = OnceLock::new();
        SET.get_or_init(|| {
            let patron = |month, day, saint: &str| Some(PatronDay::fixed(month, day, saint));
            let offices = [
                (
                    "RM",
                    CalendarSpec {
                        patron: patron(6, 29, "Santi Pietro e Paolo"),
                        ..CalendarSpec::default()
                    },
                ),
                (
                    "MI",
                    CalendarSpec {
                        patron: patron(12, 7, "Sant'Ambrogio"),
                        ..CalendarSpec::default()
                    },
                ),
                (
                    "H24",
                    CalendarSpec {
                        hours: WeeklyHours::always(),
                        ..CalendarSpec::default()
                    },
                ),
            ]
            .map(|(code, spec)| OfficeCalendarSpec {
                code: code.into(),
                spec,
            });
            CalendarSet::new(offices, 2026..=2027).unwrap()
        })
    }

    fn policy() -> &'static Policy {
        static POLICY: OnceLock<Policy> = OnceLock::new();
        POLICY.get_or_init(|| Policy::embedded().unwrap())
    }

    /// Transitions with plausible statuses around them.
    const STEPS: [(Transition, Status, Status); 8] = [
        (Transition::Take, Status::Nuova, Status::InLavorazione),
        (
            Transition::Forward,
            Status::InLavorazione,
            Status::Trasferita,
        ),
        (
            Transition::RequestIntegration,
            Status::InLavorazione,
            Status::InAttesaIntegrazione,
        ),
        (
            Transition::PatronatoMessage,
            Status::InAttesaIntegrazione,
            Status::InLavorazione,
        ),
        (
            Transition::Reply,
            Status::InLavorazione,
            Status::RispostaInviata,
        ),
        (
            Transition::PatronatoMessage,
            Status::RispostaInviata,
            Status::InLavorazione,
        ),
        (Transition::Close, Status::RispostaInviata, Status::Chiusa),
        (Transition::Reopen, Status::Chiusa, Status::Riaperta),
    ];

    fn clocks_from(start: i64, office: usize, steps: &[(usize, i64, usize)]) -> Vec<Clock> {
        let origin: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut at = origin + SignedDuration::from_secs(start);
        let change = |event, at, office: usize| ClockChange {
            event,
            at,
            office: OFFICES[office],
            topic: Topic::ALL[office % Topic::ALL.len()],
            priority: Priority::ALL[office % 2],
        };
        let mut clocks = on_transition(&[], &change(SlaEvent::Filed, at, office), policy());
        for &(step, gap, office) in steps {
            let (transition, from, to) = STEPS[step];
            at += SignedDuration::from_secs(gap);
            let event = SlaEvent::Transition {
                transition,
                from,
                to,
            };
            clocks = on_transition(&clocks, &change(event, at, office), policy());
        }
        clocks
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn prepared_standing_equals_the_segment_walk(
            start in 0i64..(2 * 365 * 86_400),
            office in prop_oneof![4 => 0usize..3, 1 => Just(3usize)],
            steps in proptest::collection::vec(
                (0usize..STEPS.len(), 0i64..(20 * 86_400), prop_oneof![6 => 0usize..3, 1 => Just(3usize)]),
                0..7,
            ),
            probes in proptest::collection::vec(-(3 * 86_400i64)..(120 * 86_400), 1..6),
            far in any::<bool>(),
        ) {
            let set = calendars();
            let origin: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
            let instant = |probe: i64| {
                let now = origin + SignedDuration::from_secs(start + probe);
                if far { now + SignedDuration::from_secs(3 * 365 * 86_400) } else { now }
            };
            // One instant a probe shared by every clock, as a list page shares it, whatever
            // offices they ask about and in whichever order.
            let shared: Vec<SlaInstant> = probes.iter().map(|&p| SlaInstant::new(set, instant(p))).collect();
            for mut clock in clocks_from(start, office, &steps) {
                clock.prepared = prepare(&clock, set);
                // Stored and read back, as the service does.
                let clock: Clock = serde_json::from_str(&serde_json::to_string(&clock).unwrap()).unwrap();
                let unprepared = Clock { prepared: None, ..clock.clone() };
                prop_assert_eq!(clock.never_left_office(), unprepared.never_left_office());
                for (&probe, shared) in probes.iter().zip(&shared) {
                    let now = instant(probe);
                    let expected = replay_standing(&clock, now, set);
                    prop_assert_eq!(&standing(&clock, now, set), &expected);
                    prop_assert_eq!(&standing_at(&clock, &SlaInstant::new(set, now)), &expected);
                    prop_assert_eq!(&standing_at(&clock, shared), &expected);
                    let at = SlaInstant::new(set, now);
                    prop_assert_eq!(
                        state_at(&clock, &at),
                        expected.as_ref().map(|(c, _)| c.state).map_err(Clone::clone)
                    );
                    // Until the announced change the state holds; at it, it may move.
                    match next_state_change(&clock, &at) {
                        StateChange::At(next) => {
                            prop_assert!(next > now);
                            let just_before = next - SignedDuration::from_secs(1);
                            let midway = now + SignedDuration::from_secs(next.duration_since(now).as_secs() / 2);
                            for probe in [midway, just_before] {
                                prop_assert_eq!(
                                    state_at(&clock, &SlaInstant::new(set, probe)),
                                    state_at(&clock, &at)
                                );
                            }
                        }
                        StateChange::Never => {
                            let later = now + SignedDuration::from_secs(30 * 86_400);
                            prop_assert_eq!(
                                state_at(&clock, &SlaInstant::new(set, later)),
                                state_at(&clock, &at)
                            );
                        }
                        StateChange::Unknown => {}
                    }
                }
            }
        }
    }

    #[test]
    fn running_clock_takes_the_fast_path_and_other_calendars_replay() {
        let set = calendars();
        // Filed Tuesday 2026-11-24, running on Rome's calendar.
        let mut clocks = clocks_from(327 * 86_400 + 9 * 3600, 0, &[]);
        let prepared = prepare(&clocks[1], set).unwrap();
        assert!(matches!(prepared.form, Form::Running(_)));
        clocks[1].prepared = Some(prepared);
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let expected = replay_standing(&clocks[1], now, set).unwrap();
        assert_eq!(standing(&clocks[1], now, set), Ok(expected));
        assert!(expected.0.due_at.is_some() && expected.0.elapsed_secs > 0);
        // Identical content gives the same fingerprint; other calendars do not, and replay.
        assert_eq!(set.clone().id(), set.id());
        let other = CalendarSet::new(
            [OfficeCalendarSpec {
                code: "RM".into(),
                spec: CalendarSpec {
                    hours: WeeklyHours::always(),
                    ..CalendarSpec::default()
                },
            }],
            2026..=2027,
        )
        .unwrap();
        assert_ne!(other.id(), set.id());
        assert_eq!(
            standing(&clocks[1], now, &other),
            replay_standing(&clocks[1], now, &other)
        );
        assert_ne!(standing(&clocks[1], now, &other), Ok(expected));
    }
}
