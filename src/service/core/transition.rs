//! The one place where a transition is applied to a stored request.
//!
//! Status, history, version and timestamps change here and nowhere else; the SLA engine
//! (issue 3) hooks its clock updates into [`apply`].

use jiff::Timestamp;

use crate::domain::request::{ActorRef, HistoryEntry, Status, Transition, TransitionError};
use crate::service::sla::Sla;
use crate::service::store::StoredRequest;

/// Applies `transition` by `actor` at `now`: checks the status machine, records history,
/// bumps the version. Returns the `(from, to)` statuses.
pub fn apply(
    stored: &mut StoredRequest,
    sla: &Sla,
    actor: &ActorRef,
    transition: Transition,
    detail: Option<String>,
    now: Timestamp,
) -> Result<(Status, Status), TransitionError> {
    let request = &mut stored.request;
    let from = request.status;
    let to = from.apply(transition)?;
    request.status = to;
    request.updated_at = now;
    request.version += 1;
    request.history.push(HistoryEntry {
        at: now,
        actor: actor.clone(),
        transition,
        from,
        to,
        detail,
    });
    let event = crate::domain::sla::SlaEvent::Transition {
        transition,
        from,
        to,
    };
    // A forward moves the clocks to the receiving office's calendar from this instant on; its
    // detail names the offices (`FROM>TO`, or just `TO`).
    let office_after = match (transition, detail_target(&stored.request.history)) {
        (Transition::Forward, Some(to)) => to,
        _ => stored.request.office.clone(),
    };
    stored.clocks = sla.after_event_in(&stored.clocks, &stored.request, event, now, &office_after);
    Ok((from, to))
}

/// The receiving office of the forward just recorded as the newest history entry.
fn detail_target(history: &[HistoryEntry]) -> Option<String> {
    let last = history.last()?;
    let detail = last.detail.as_deref()?;
    Some(match detail.split_once('>') {
        Some((_, to)) => to.to_string(),
        None => detail.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codice_fiscale::CodiceFiscale;
    use crate::domain::request::{Priority, Request, RequestId, Topic};
    use crate::domain::roles::Role;

    fn stored() -> StoredRequest {
        let at: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
        StoredRequest {
            request: Request {
                id: RequestId::new(2026, 1),
                patronato: "INCA".into(),
                office: "RM01".into(),
                topic: Topic::Pensioni,
                citizen: CodiceFiscale::parse("RSSMRA85T10A562S").unwrap(),
                application_protocol: None,
                subject: "s".into(),
                priority: Priority::Normale,
                status: Status::Nuova,
                assignee: None,
                tags: vec![],
                outcome: None,
                created_at: at,
                updated_at: at,
                version: 1,
                thread: vec![],
                history: vec![],
            },
            appointments: vec![],
            clocks: vec![],
        }
    }

    #[test]
    fn legal_transition_records_history_and_bumps_version() {
        let mut s = stored();
        let sla = Sla::embedded().unwrap();
        let actor = ActorRef {
            id: "m.rossi".into(),
            name: "Mario Rossi".into(),
            role: Role::Operator,
        };
        let now: Timestamp = "2026-03-02T10:00:00Z".parse().unwrap();
        assert_eq!(
            apply(&mut s, &sla, &actor, Transition::Take, None, now),
            Ok((Status::Nuova, Status::InLavorazione))
        );
        assert_eq!(s.request.version, 2);
        assert_eq!(s.request.updated_at, now);
        assert_eq!(s.request.history.len(), 1);
        let before = s.clone();
        assert!(apply(&mut s, &sla, &actor, Transition::Take, None, now).is_err());
        assert_eq!(s, before, "an illegal transition changes nothing");
    }
}
