//! The countdown of many clocks, fast: [`PreparedClock`] computes once what does not change until
//! the clock's next transition, and [`SlaInstant`] looks up each office's running business total
//! at `now` once for a whole batch. Between transitions a running clock's due instant is fixed
//! (the calendar's running total at which the target is used up), and its elapsed time is its
//! closed segments plus the running total since the open segment began: O(1) per clock.
//!
//! The results are identical to [`countdown`] (a property test replays random clocks): whatever
//! the fast path cannot reproduce exactly (an instant before the clock's last change, an unknown
//! office, instants outside the calendars' years) is answered by [`countdown`] itself.

use jiff::Timestamp;

use super::{Clock, Countdown, Standing, Thresholds, countdown};
use crate::domain::calendar::{CalendarError, CalendarSet};

/// Business-calendar totals of every office at one instant, shared by a batch of countdowns.
#[derive(Debug, Clone)]
pub struct SlaInstant<'a> {
    calendars: &'a CalendarSet,
    now: Timestamp,
    /// Per calendar index: business seconds since its coverage began, `None` if out of range.
    totals: Vec<Option<i64>>,
}

impl<'a> SlaInstant<'a> {
    pub fn new(calendars: &'a CalendarSet, now: Timestamp) -> Self {
        let totals = (0..calendars.len())
            .map(|i| calendars.by_index(i).and_then(|c| c.elapsed(now).ok()))
            .collect();
        SlaInstant {
            calendars,
            now,
            totals,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }
}

/// A running clock's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Running {
    /// Index of the office calendar of the open segment (the clock's office).
    calendar: usize,
    /// Business seconds of the closed segments.
    closed: i64,
    /// Start of the open segment, and the calendar's running total then.
    from: Timestamp,
    base: i64,
    /// Where the target is used up if the clock keeps running.
    due: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    /// Stopped or paused: the countdown no longer changes.
    Settled(Countdown),
    Running(Running),
    /// Answered by [`countdown`] every time.
    Replay,
}

/// A clock with its countdown precomputed as far as `now` allows; rebuild it after each
/// transition (it owns the clock, so it cannot go stale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedClock {
    /// Boxed, with the few fields the fast path reads copied out: a batch then streams through
    /// small records instead of whole clocks.
    clock: Box<Clock>,
    target_secs: i64,
    thresholds: Thresholds,
    /// The [`CalendarSet`] the indices refer to.
    set: u64,
    /// The clock's last change: from then on the fast path applies.
    settled: Timestamp,
    fast: Fast,
}

impl PreparedClock {
    pub fn new(clock: Clock, calendars: &CalendarSet) -> Self {
        let settled = clock
            .segments
            .iter()
            .flat_map(|s| [Some(s.from), s.to])
            .chain([clock.stopped_at])
            .flatten()
            .max()
            .unwrap_or(Timestamp::MIN);
        let fast = prepare(&clock, settled, calendars).unwrap_or(Fast::Replay);
        PreparedClock {
            target_secs: clock.target_secs,
            thresholds: clock.thresholds,
            clock: Box::new(clock),
            set: calendars.id(),
            settled,
            fast,
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn into_clock(self) -> Clock {
        *self.clock
    }

    /// Exactly `countdown(self.clock(), now, calendars)`.
    pub fn countdown(
        &self,
        now: Timestamp,
        calendars: &CalendarSet,
    ) -> Result<Countdown, CalendarError> {
        self.evaluate(now, calendars, |i| {
            calendars.by_index(i).and_then(|c| c.elapsed(now).ok())
        })
    }

    /// Exactly `countdown(self.clock(), at.now(), calendars)`, sharing `at`'s per-office totals.
    pub fn countdown_at(&self, at: &SlaInstant<'_>) -> Result<Countdown, CalendarError> {
        self.evaluate(at.now, at.calendars, |i| {
            at.totals.get(i).copied().flatten()
        })
    }

    fn evaluate(
        &self,
        now: Timestamp,
        calendars: &CalendarSet,
        total_at_now: impl FnOnce(usize) -> Option<i64>,
    ) -> Result<Countdown, CalendarError> {
        if calendars.id() != self.set || now < self.settled {
            return countdown(&self.clock, now, calendars);
        }
        match self.fast {
            Fast::Settled(countdown) => Ok(countdown),
            Fast::Replay => countdown(&self.clock, now, calendars),
            Fast::Running(r) => {
                let total = total_at_now(r.calendar);
                let elapsed = if now > r.from {
                    r.closed + total.ok_or(CalendarError::InstantOutOfRange(now))? - r.base
                } else {
                    r.closed
                };
                let target = self.target_secs;
                // As `add_business_seconds(now, remaining)`: `now` itself when nothing remains.
                let due = match total {
                    None => None,
                    Some(_) if target == elapsed => Some(now),
                    Some(_) => r.due,
                };
                Ok(Standing::Running { due }.countdown(elapsed, target, self.thresholds))
            }
        }
    }
}

/// The fast form of `clock` for every instant from `settled` on, if there is one.
fn prepare(clock: &Clock, settled: Timestamp, calendars: &CalendarSet) -> Option<Fast> {
    let (open, closed) = match clock.segments.split_last() {
        Some((last, earlier)) if last.to.is_none() => (Some(last), earlier),
        _ => (None, clock.segments.as_slice()),
    };
    if closed.iter().any(|s| s.to.is_none()) {
        return None;
    }
    let (open, stopped) = (open, clock.stopped_at.is_some());
    match open {
        // Nothing runs: from `settled` on, the countdown is what it is at `settled`.
        None => countdown(clock, settled, calendars).ok().map(Fast::Settled),
        Some(_) if stopped => None,
        Some(open) => {
            if open.office != clock.office {
                return None;
            }
            let calendar = calendars.index_of(&open.office)?;
            let mut closed_secs = 0i64;
            for segment in closed {
                let to = segment.to?;
                if to > segment.from {
                    closed_secs += calendars
                        .get(&segment.office)
                        .ok()?
                        .business_seconds(segment.from, to)
                        .ok()?;
                }
            }
            let office = calendars.by_index(calendar)?;
            let base = office.elapsed(open.from).ok()?;
            Some(Fast::Running(Running {
                calendar,
                closed: closed_secs,
                from: open.from,
                base,
                due: office.instant_at(base + clock.target_secs - closed_secs),
            }))
        }
    }
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
            let patron = |month, day, saint: &str| {
                Some(PatronDay {
                    month,
                    day,
                    saint: saint.into(),
                })
            };
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
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn prepared_countdown_equals_replay(
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
            for clock in clocks_from(start, office, &steps) {
                let prepared = PreparedClock::new(clock.clone(), set);
                for &probe in &probes {
                    let mut now = origin + SignedDuration::from_secs(start + probe);
                    if far {
                        now += SignedDuration::from_secs(3 * 365 * 86_400);
                    }
                    let expected = countdown(&clock, now, set);
                    prop_assert_eq!(&prepared.countdown(now, set), &expected);
                    prop_assert_eq!(&prepared.countdown_at(&SlaInstant::new(set, now)), &expected);
                }
            }
        }
    }

    #[test]
    fn running_clock_takes_the_fast_path_and_a_foreign_set_replays() {
        let set = calendars();
        // Filed Tuesday 2026-11-24, running on Rome's calendar.
        let clocks = clocks_from(327 * 86_400 + 9 * 3600, 0, &[]);
        let prepared = PreparedClock::new(clocks[1].clone(), set);
        assert!(matches!(prepared.fast, Fast::Running(_)));
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let expected = countdown(&clocks[1], now, set).unwrap();
        assert_eq!(prepared.countdown(now, set), Ok(expected));
        assert!(expected.due_at.is_some() && expected.elapsed_secs > 0);
        // A clone shares the identity; a separately built set does not, and replays.
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
        assert_eq!(
            prepared.countdown(now, &other),
            countdown(&clocks[1], now, &other)
        );
        assert_ne!(prepared.countdown(now, &other), Ok(expected));
    }
}
