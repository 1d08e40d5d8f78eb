//! Who sees which records, and what of them: the scope of each role and the projections the
//! API returns. Every read and every event stream goes through here.

use jiff::Timestamp;

use crate::api::{EventEnvelope, RequestDetail, RequestSummary};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::{ActorRef, HistoryEntry, MessageKind, Transition};
use crate::domain::roles::{Operator, Role};
use crate::domain::sla::SlaInstant;
use crate::service::sla::Sla;
use crate::service::store::{EventFilter, Scope, StoreError, StoredRequest, SummaryRow};

/// The records `who` may see: operators their office, supervisors their office (plus their
/// region when regional), auditors their region or everything, admins everything, patronati
/// their own requests.
pub fn scope_of(who: &Operator) -> Scope {
    let office = || who.office.clone().unwrap_or_default();
    match (who.role, &who.region) {
        (Role::Operator, _) => Scope::Office(office()),
        (Role::Supervisor, Some(region)) => Scope::RegionOrOffice {
            region: region.clone(),
            office: office(),
        },
        (Role::Supervisor, None) => Scope::Office(office()),
        (Role::Auditor, Some(region)) => Scope::Region(region.clone()),
        (Role::Auditor | Role::Admin, None) | (Role::Admin, Some(_)) => Scope::Everything,
        (Role::Patronato, _) => Scope::Patronato(who.patronato.clone().unwrap_or_default()),
    }
}

/// The events `who` may receive: those of records in scope; internal ones only for INPS staff.
pub fn event_filter(who: &Operator) -> EventFilter {
    EventFilter {
        scope: scope_of(who),
        include_internal: who.role != Role::Patronato,
        broadcast_kinds: vec![
            "resync".to_string(),
            super::journal::TOKEN_REVOKED.to_string(),
        ],
    }
}

/// The store's event filter (`ReadTx::events`), in memory: in scope or of a kind everyone
/// receives, and internal events only for INPS staff.
pub fn admits(
    filter: &crate::service::store::EventFilter,
    event: &crate::service::store::OutboxEvent,
) -> bool {
    let in_scope = in_scope(
        &filter.scope,
        event.envelope.office.as_deref(),
        event.region.as_deref(),
        event.patronato.as_deref(),
    );
    (in_scope || filter.broadcast_kinds.contains(&event.envelope.kind))
        && (filter.include_internal || !event.internal)
}

/// Whether a record at `office` (in `region`) of `patronato` lies in `scope`: the rule the
/// stores' SQL scope filter applies, for records the core holds in memory (events, counters).
pub fn in_scope(
    scope: &Scope,
    office: Option<&str>,
    region: Option<&str>,
    patronato: Option<&str>,
) -> bool {
    match scope {
        Scope::Everything => true,
        Scope::Office(code) => office == Some(code.as_str()),
        Scope::Region(r) => region == Some(r.as_str()),
        Scope::RegionOrOffice {
            region: r,
            office: code,
        } => region == Some(r.as_str()) || office == Some(code.as_str()),
        Scope::Patronato(p) => patronato == Some(p.as_str()),
    }
}

pub fn actor(who: &Operator) -> ActorRef {
    ActorRef {
        id: who.username.clone(),
        name: who.full_name.clone(),
        role: who.role,
    }
}

/// A list row as `who` may see it: the codice fiscale masked, clocks as countdowns at the
/// instant `at` shared by the whole list; for a patronato, without INPS-internal data (see
/// [`for_patronato`]).
pub fn summary(who: &Operator, row: SummaryRow, sla: &Sla, at: &SlaInstant<'_>) -> RequestSummary {
    let mut summary = summary_of(row, sla, at);
    if who.role == Role::Patronato {
        hide_internal(&mut summary);
    }
    summary
}

/// What a patronato never sees of a request: who works it inside INPS (usernames) and the
/// office's own tags (e.g. `sospetta-frode`).
fn hide_internal(summary: &mut RequestSummary) {
    summary.assignee = None;
    summary.tags.clear();
}

/// History as a patronato sees it: no internal notes or tags (not even their author and time),
/// no INPS usernames (the display name of who acted stays: the party may know who handles its
/// case).
fn history_for_patronato(history: &[HistoryEntry]) -> Vec<HistoryEntry> {
    history
        .iter()
        .filter(|h| !matches!(h.transition, Transition::InternalNote | Transition::Tag))
        .map(|h| {
            let mut h = h.clone();
            if h.actor.role != Role::Patronato {
                h.actor.id = String::new();
            }
            if matches!(h.transition, Transition::Assign) {
                h.detail = None;
            }
            h
        })
        .collect()
}

/// Whether `who` receives events without the usernames in their data (see [`event_for`]):
/// the one difference between the projections of an event, whoever receives it.
pub fn event_without_usernames(who: &Operator) -> bool {
    who.role == Role::Patronato
}

/// An event as `who` may receive it: for a patronato without usernames in its data.
pub fn event_for(who: &Operator, mut event: EventEnvelope) -> EventEnvelope {
    if event_without_usernames(who)
        && let Some(data) = event.data.as_object_mut()
    {
        data.remove("assignee");
        data.remove("actor");
    }
    event
}

fn summary_of(row: SummaryRow, sla: &Sla, at: &SlaInstant<'_>) -> RequestSummary {
    RequestSummary {
        citizen: CodiceFiscale::parse(&row.citizen)
            .map(|cf| cf.masked())
            .unwrap_or(row.citizen),
        clocks: sla.views_at(&row.clocks, at),
        id: row.id,
        patronato: row.patronato,
        office: row.office,
        topic: row.topic,
        citizen_name: row.citizen_name,
        subject: row.subject,
        priority: row.priority,
        status: row.status,
        assignee: row.assignee,
        tags: row.tags,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        appointment: None,
    }
}

/// The detail view of a request for `who`: patronati never see internal notes.
pub fn detail(
    who: &Operator,
    stored: &StoredRequest,
    citizen_name: Option<String>,
    sla: &Sla,
    now: Timestamp,
) -> RequestDetail {
    let r = &stored.request;
    let thread = r
        .thread
        .iter()
        .filter(|e| who.role != Role::Patronato || e.kind != MessageKind::InternalNote)
        .map(|e| {
            let mut e = e.clone();
            if who.role == Role::Patronato && e.author.role != Role::Patronato {
                e.author.id = String::new();
            }
            e
        })
        .collect();
    let patronato = who.role == Role::Patronato;
    let mut detail = RequestDetail {
        summary: RequestSummary {
            id: r.id.clone(),
            patronato: r.patronato.clone(),
            office: r.office.clone(),
            topic: r.topic,
            citizen: r.citizen.as_str().to_string(),
            citizen_name,
            subject: r.subject.clone(),
            priority: r.priority,
            status: r.status,
            assignee: r.assignee.clone(),
            tags: r.tags.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            clocks: sla.views(&stored.clocks, now),
            appointment: super::agenda::booked_start(&stored.appointments),
        },
        application_protocol: r.application_protocol.clone(),
        outcome: r.outcome,
        thread,
        history: if patronato {
            history_for_patronato(&r.history)
        } else {
            r.history.clone()
        },
        // Patronati see when, how and where; not which operator booked it.
        appointments: stored
            .appointments
            .iter()
            .cloned()
            .map(|mut a| {
                if patronato {
                    a.booked_by.clear();
                }
                a
            })
            .collect(),
    };
    if patronato {
        hide_internal(&mut detail.summary);
    }
    detail
}

/// Who may list an office's users: INPS staff (operators and supervisors, for their own office
/// or region) and admins. Auditors only read figures, patronati never see INPS staff.
pub fn may_list_office_operators(who: &Operator) -> Result<(), StoreError> {
    match who.role {
        Role::Operator | Role::Supervisor | Role::Admin => Ok(()),
        Role::Auditor | Role::Patronato => Err(StoreError::Forbidden(
            "only INPS staff list an office's operators".into(),
        )),
    }
}

/// The users a request of the office can be assigned to: its operators and supervisors (an
/// office outside the caller's scope yields none, so the handler answers 404 before this).
pub fn office_operators(users: Vec<Operator>) -> Vec<crate::api::OfficeOperator> {
    users
        .into_iter()
        .filter(|u| matches!(u.role, Role::Operator | Role::Supervisor))
        .map(|u| crate::api::OfficeOperator {
            username: u.username,
            full_name: u.full_name,
            role: u.role,
        })
        .collect()
}
