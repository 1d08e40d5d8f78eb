//! SLA clocks in the service: the embedded policy and the office calendars, built once, and
//! the conversions between stored clocks and the countdowns the API returns.

use std::sync::OnceLock;

use jiff::Timestamp;

use crate::api::ClockView;
use crate::domain::calendar::CalendarSet;
use crate::domain::request::{Request, Status};
use crate::domain::sla::{self, Clock, ClockChange, Policy, SlaEvent, SlaState};

/// The embedded default policy (validated by the SLA tests; `None` only if it were broken).
pub fn policy() -> Option<&'static Policy> {
    static POLICY: OnceLock<Option<Policy>> = OnceLock::new();
    POLICY.get_or_init(|| Policy::embedded().ok()).as_ref()
}

/// Calendars of every registry office for the years around today.
pub fn calendars() -> Option<&'static CalendarSet> {
    static CALENDARS: OnceLock<Option<CalendarSet>> = OnceLock::new();
    CALENDARS
        .get_or_init(|| {
            let year = jiff::Zoned::now().year();
            CalendarSet::from_registry(CalendarSet::years_around(year), |_, _| {}).ok()
        })
        .as_ref()
}

/// The clocks of `request` after `event` at `at`.
pub fn after_event(
    clocks: &[Clock],
    request: &Request,
    event: SlaEvent,
    at: Timestamp,
) -> Vec<Clock> {
    let Some(policy) = policy() else {
        return clocks.to_vec();
    };
    let change = ClockChange {
        event,
        at,
        office: &request.office,
        topic: request.topic,
        priority: request.priority,
    };
    sla::on_transition(clocks, &change, policy)
}

/// Clocks rebuilt from a request's filing and history (demo import).
pub fn replay(request: &Request) -> Vec<Clock> {
    let mut clocks = after_event(&[], request, SlaEvent::Filed, request.created_at);
    for entry in &request.history {
        let event = SlaEvent::Transition {
            transition: entry.transition,
            from: entry.from,
            to: entry.to,
        };
        clocks = after_event(&clocks, request, event, entry.at);
    }
    clocks
}

/// How each clock stands at `now`, for the API.
pub fn views(clocks: &[Clock], now: Timestamp) -> Vec<ClockView> {
    let Some(calendars) = calendars() else {
        return Vec::new();
    };
    clocks
        .iter()
        .filter_map(|clock| {
            let countdown = sla::countdown(clock, now, calendars).ok()?;
            Some(ClockView {
                kind: clock.kind,
                office: clock.office.clone(),
                state: countdown.state,
                due_at: countdown.due_at,
                remaining_secs: countdown.remaining_secs,
                percent_used: countdown.percent_used,
            })
        })
        .collect()
}

/// Whether an open request has a clock at warning/critical (`at_risk`) or past target.
pub fn risk(status: Status, clocks: &[ClockView]) -> (bool, bool) {
    if !status.is_open() {
        return (false, false);
    }
    let breached = clocks.iter().any(|c| c.state == SlaState::Breached);
    let at_risk = !breached
        && clocks
            .iter()
            .any(|c| matches!(c.state, SlaState::Warning | SlaState::Critical));
    (at_risk, breached)
}
