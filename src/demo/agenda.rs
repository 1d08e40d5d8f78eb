//! A realistic demo agenda: which open requests get an appointment, when and how, and which
//! are cancelled again. Pure and deterministic: the same requests, slots and instant give the
//! same plan. The service books it through the core's rules (see `service::seed::seed_agenda`).

use jiff::Timestamp;

use crate::api::Slots;
use crate::domain::agenda::Channel;
use crate::domain::request::RequestId;

/// Requests of one office that get an appointment, at most.
pub const PER_OFFICE: usize = 48;
/// Of those, how many are today's (so "Appuntamenti di oggi" is not empty during office hours).
const TODAY: usize = 4;

/// One booking of the demo agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoBooking {
    pub request: RequestId,
    /// Login name of the operator who books it.
    pub operator: String,
    pub start: Timestamp,
    pub channel: Channel,
    /// Cancelled right after (its place is free again).
    pub cancel: bool,
}

/// The plan for one office: `requests` (open, in a stable order) booked by `operators` in turn
/// into `slots` (the office's next days). Every fifth booking joins the previous one's slot, so
/// some slots are full; every sixth is cancelled again.
pub fn plan(
    requests: &[RequestId],
    operators: &[String],
    slots: &Slots,
    now: Timestamp,
) -> Vec<DemoBooking> {
    let days: Vec<Vec<Timestamp>> = slots
        .days
        .iter()
        .map(|d| {
            d.slots
                .iter()
                .filter(|s| s.start > now)
                .map(|s| s.start)
                .collect::<Vec<_>>()
        })
        .filter(|d| !d.is_empty())
        .collect();
    if days.is_empty() || operators.is_empty() {
        return Vec::new();
    }
    let today_open = slots
        .days
        .first()
        .is_some_and(|d| d.slots.iter().any(|s| s.start > now));
    let later: Vec<&Vec<Timestamp>> = days.iter().skip(usize::from(today_open)).collect();
    let capacity = usize::from(slots.capacity);
    let mut taken: std::collections::HashMap<Timestamp, usize> = Default::default();
    let mut out: Vec<DemoBooking> = Vec::new();
    for (k, request) in requests.iter().take(PER_OFFICE).enumerate() {
        let day = if today_open && k < TODAY {
            &days[0]
        } else if later.is_empty() {
            continue;
        } else {
            later[(k / 4) % later.len()]
        };
        let mut start = day[(k * 3) % day.len()];
        // Join the previous booking's slot when it is on the same day: a full slot.
        if k % 5 == 1
            && let Some(previous) = out.last()
            && day.contains(&previous.start)
        {
            start = previous.start;
        }
        if taken.get(&start).copied().unwrap_or(0) >= capacity {
            continue;
        }
        let channel = slots.channels[k % slots.channels.len()];
        let cancel = k % 6 == 4;
        if !cancel {
            *taken.entry(start).or_default() += 1;
        }
        out.push(DemoBooking {
            request: request.clone(),
            operator: operators[k % operators.len()].clone(),
            start,
            channel,
            cancel,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agenda::SlotRules;
    use crate::domain::calendar::CalendarSpec;

    #[test]
    fn the_plan_is_deterministic_fills_some_slots_and_cancels_some() {
        let now: Timestamp = "2026-12-02T09:10:00Z".parse().unwrap();
        let spec = CalendarSpec::for_comune("Roma");
        let slots = Slots::from_calendar(
            "RM01",
            &spec,
            &SlotRules::default(),
            "2026-12-02".parse().unwrap(),
            "2026-12-15".parse().unwrap(),
            &[],
        )
        .unwrap();
        let requests: Vec<RequestId> = (1..=30).map(|n| RequestId::new(2026, n)).collect();
        let operators = vec!["m.rossi".to_string(), "g.bianchi".to_string()];
        let a = plan(&requests, &operators, &slots, now);
        assert_eq!(a, plan(&requests, &operators, &slots, now));
        assert!(a.len() >= 20, "{}", a.len());
        assert!(a.iter().all(|b| b.start > now));
        assert!(a.iter().any(|b| b.cancel));
        let mut per_slot: std::collections::HashMap<Timestamp, usize> = Default::default();
        for b in a.iter().filter(|b| !b.cancel) {
            *per_slot.entry(b.start).or_default() += 1;
        }
        assert!(per_slot.values().any(|n| *n == 2), "some slot is full");
        assert!(per_slot.values().all(|n| *n <= 2));
        // Today (Wednesday 2 December, after 10:10 Rome) has four.
        let today = a
            .iter()
            .filter(|b| b.start.to_string().starts_with("2026-12-02"))
            .count();
        assert_eq!(today, 4);
    }
}
