//! SLA alerts: when a running clock has crossed a threshold that was not yet raised (pure).
//!
//! The service remembers, per clock, the highest level already raised and asks
//! [`pending_alert`] on every scan. Alerts are raised only while the clock's office is open, so
//! a threshold crossed at night is reported at the next opening.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Clock, SlaState, countdown};
use crate::domain::calendar::{CalendarError, CalendarSet};

/// An SLA alert level, raised when a running clock crosses a threshold.
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
pub enum AlertLevel {
    Warning,
    Critical,
    Breach,
}

impl AlertLevel {
    pub const ALL: [AlertLevel; 3] = [Self::Warning, Self::Critical, Self::Breach];

    /// The event type the service emits.
    pub fn event_kind(self) -> &'static str {
        match self {
            Self::Warning => "sla.warning",
            Self::Critical => "sla.critical",
            Self::Breach => "sla.breach",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Breach => "breach",
        }
    }

    /// A number growing with severity (1–3), for storage and comparison in SQL.
    pub fn rank(self) -> i64 {
        match self {
            Self::Warning => 1,
            Self::Critical => 2,
            Self::Breach => 3,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.rank() == rank)
    }

    /// The level a running clock's state calls for, if any.
    pub fn of(state: SlaState) -> Option<Self> {
        match state {
            SlaState::Warning => Some(Self::Warning),
            SlaState::Critical => Some(Self::Critical),
            SlaState::Breached => Some(Self::Breach),
            SlaState::Ok | SlaState::Paused | SlaState::Met | SlaState::Missed => None,
        }
    }
}

/// An alert due for a clock: its level and the instant the clock's target falls (or fell) due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingAlert {
    pub level: AlertLevel,
    pub due_at: Option<Timestamp>,
}

/// The alert to raise for `clock` at `now`, given the highest level already raised for it.
///
/// Only the highest level reached is returned: a clock found past 90 % at the first scan of
/// the morning raises `critical`, not `warning` and then `critical`. Nothing is raised while
/// the office the clock runs on is closed, nor for paused or stopped clocks.
pub fn pending_alert(
    clock: &Clock,
    already_raised: Option<AlertLevel>,
    now: Timestamp,
    calendars: &CalendarSet,
) -> Result<Option<PendingAlert>, CalendarError> {
    if !clock.is_running() {
        return Ok(None);
    }
    let countdown = countdown(clock, now, calendars)?;
    let Some(level) = AlertLevel::of(countdown.state) else {
        return Ok(None);
    };
    if already_raised.is_some_and(|raised| raised >= level) {
        return Ok(None);
    }
    if !calendars.get(&clock.office)?.is_open(now)? {
        return Ok(None);
    }
    Ok(Some(PendingAlert {
        level,
        due_at: countdown.due_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{Priority, Topic};
    use crate::domain::sla::{ClockChange, ClockKind, Policy, SlaEvent, on_transition};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn first_reply(filed: &str) -> Clock {
        let change = ClockChange {
            event: SlaEvent::Filed,
            at: at(filed),
            office: "RM01",
            topic: Topic::Pensioni,
            priority: Priority::Normale,
        };
        on_transition(&[], &change, &Policy::embedded().unwrap())
            .into_iter()
            .find(|c| c.kind == ClockKind::FirstReply)
            .unwrap()
    }

    #[test]
    fn once_per_level_and_only_in_business_hours() {
        let calendars = CalendarSet::from_registry(2027..=2027, |_, _| {}).unwrap();
        // Monday 8 November 2027, 08:00 in Rome; first reply 3d = 30 business hours (10 h days):
        // 75 % on Wednesday at 10:30, 90 % at 15:00, 100 % at Wednesday's closing (18:00).
        let clock = first_reply("2027-11-08T07:00:00Z");
        let pending = |raised, now| {
            pending_alert(&clock, raised, at(now), &calendars)
                .unwrap()
                .map(|p| p.level)
        };
        assert_eq!(pending(None, "2027-11-10T09:29:00Z"), None);
        assert_eq!(
            pending(None, "2027-11-10T09:30:00Z"),
            Some(AlertLevel::Warning)
        );
        let warning = Some(AlertLevel::Warning);
        assert_eq!(pending(warning, "2027-11-10T13:59:00Z"), None);
        let critical_alert = pending_alert(&clock, warning, at("2027-11-10T14:00:00Z"), &calendars)
            .unwrap()
            .unwrap();
        assert_eq!(critical_alert.level, AlertLevel::Critical);
        assert_eq!(critical_alert.due_at, Some(at("2027-11-10T17:00:00Z")));
        let critical = Some(AlertLevel::Critical);
        // Breached at closing time: nothing at night…
        assert_eq!(pending(critical, "2027-11-10T17:00:00Z"), None);
        assert_eq!(pending(critical, "2027-11-11T06:59:00Z"), None);
        // …raised at the next opening.
        assert_eq!(
            pending(critical, "2027-11-11T07:00:00Z"),
            Some(AlertLevel::Breach)
        );
        assert_eq!(
            pending(Some(AlertLevel::Breach), "2027-11-12T10:00:00Z"),
            None
        );
    }

    #[test]
    fn a_late_first_look_raises_only_the_highest_level() {
        let calendars = CalendarSet::from_registry(2027..=2027, |_, _| {}).unwrap();
        let clock = first_reply("2027-11-08T07:00:00Z");
        let alert = pending_alert(&clock, None, at("2027-11-10T14:30:00Z"), &calendars).unwrap();
        assert_eq!(alert.map(|a| a.level), Some(AlertLevel::Critical));
    }

    #[test]
    fn stopped_and_paused_clocks_raise_nothing() {
        let calendars = CalendarSet::from_registry(2027..=2027, |_, _| {}).unwrap();
        let mut clock = first_reply("2027-11-08T07:00:00Z");
        clock.segments[0].to = Some(at("2027-11-08T08:00:00Z"));
        assert_eq!(
            pending_alert(&clock, None, at("2027-11-12T10:00:00Z"), &calendars),
            Ok(None)
        );
        clock.stopped_at = Some(at("2027-11-08T08:00:00Z"));
        assert_eq!(
            pending_alert(&clock, None, at("2027-11-12T10:00:00Z"), &calendars),
            Ok(None)
        );
    }

    #[test]
    fn levels_round_trip_through_their_rank() {
        for level in AlertLevel::ALL {
            assert_eq!(AlertLevel::from_rank(level.rank()), Some(level));
        }
        assert_eq!(AlertLevel::from_rank(0), None);
        assert!(AlertLevel::Warning < AlertLevel::Critical);
        assert!(AlertLevel::Critical < AlertLevel::Breach);
    }
}
