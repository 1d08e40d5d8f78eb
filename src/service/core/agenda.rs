//! Agenda appuntamenti: free slots of an office, and booking, moving, cancelling appointments
//! of a request, each write with its history entry, outbox event, audit entry and (through
//! [`super::writes::execute`]) idempotency record.
//!
//! Capacity is exact: the places of a slot are counted inside the write transaction, and writes
//! are serialised (one SQLite writer; the advisory lock on PostgreSQL), so of two operators
//! booking the last place at once one gets 201 and the other 409 `slot_full`.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::access::{actor, scope_of};
use super::journal::{self, AuditKey};
use super::writes::{check_mandate, check_text, check_version, emit, load_for_write, written};
use super::{WriteContext, WriteResult};
use crate::api::{
    Appointment, AppointmentList, AppointmentQuery, CancelAppointment, MoveRequest, NewAppointment,
    RescheduleAppointment, SlotQuery, Slots,
};
use crate::domain::agenda::{
    self as rules, AppointmentState, Channel, MAX_RANGE_DAYS, Slot, SlotError,
};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::registry;
use crate::domain::request::{RequestId, Transition};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::{
    AppointmentFilter, AppointmentRecord, ReadTx, Scope, StoreError, StoredRequest, WriteTx,
};

/// Longest message of a move request.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// The agenda's write commands.
#[derive(Debug, Clone)]
pub enum AgendaCommand {
    Book {
        id: RequestId,
        if_match: Option<u64>,
        body: NewAppointment,
    },
    Reschedule {
        id: RequestId,
        appointment: i64,
        if_match: Option<u64>,
        body: RescheduleAppointment,
    },
    Cancel {
        id: RequestId,
        appointment: i64,
        if_match: Option<u64>,
        body: CancelAppointment,
    },
    /// The patronato asks the office to move an appointment.
    AskToMove {
        id: RequestId,
        appointment: i64,
        if_match: Option<u64>,
        body: MoveRequest,
    },
}

fn parse_day(field: &str, text: &str) -> Result<Date, StoreError> {
    text.trim().parse::<Date>().map_err(|_| {
        StoreError::invalid(
            field,
            format!("{field} must be a date YYYY-MM-DD, not {:?}", text.trim()),
        )
    })
}

/// The `book_appointment` action of older workstations books through the agenda's rules.
pub fn legacy_booking(cmd: super::WriteCommand) -> super::WriteCommand {
    match cmd {
        super::WriteCommand::Action {
            id,
            if_match,
            action: crate::api::ActionBody::BookAppointment { mode, at },
        } => super::WriteCommand::Agenda(AgendaCommand::Book {
            id,
            if_match,
            body: NewAppointment {
                start: at,
                channel: mode,
            },
        }),
        other => other,
    }
}

/// `from..=to` of a query, checked.
fn day_range(from: &str, to: Option<&str>) -> Result<(Date, Date), StoreError> {
    let from = parse_day("from", from)?;
    let to = match to {
        Some(to) => parse_day("to", to)?,
        None => from,
    };
    if to < from {
        return Err(StoreError::invalid("to", "to is before from"));
    }
    let days = from
        .until(to)
        .map(|span| span.get_days())
        .map_err(|e| StoreError::invalid("to", e.to_string()))?;
    if days > MAX_RANGE_DAYS {
        return Err(StoreError::invalid(
            "to",
            format!("at most {MAX_RANGE_DAYS} days at a time"),
        ));
    }
    Ok((from, to))
}

/// The instants bounding the Rome days `from..=to`.
fn instants(from: Date, to: Date) -> Result<(Timestamp, Timestamp), StoreError> {
    let tz = rules::rome().map_err(slot_error("from"))?;
    let start = from
        .to_zoned(tz.clone())
        .map_err(|e| StoreError::invalid("from", e.to_string()))?;
    let end = to
        .checked_add(1.day())
        .and_then(|d| d.to_zoned(tz))
        .map_err(|e| StoreError::invalid("to", e.to_string()))?;
    Ok((start.timestamp(), end.timestamp()))
}

fn slot_error(field: &'static str) -> impl Fn(SlotError) -> StoreError {
    move |e| match e {
        SlotError::Channel(_) => StoreError::invalid("channel", e.to_string()),
        SlotError::TimeZone(_) => StoreError::Task(e.to_string()),
        _ => StoreError::invalid(field, e.to_string()),
    }
}

fn calendar_spec<'a>(
    sla: &'a Sla,
    office: &str,
) -> Result<&'a crate::domain::calendar::CalendarSpec, StoreError> {
    sla.calendars()
        .get(office)
        .map(|c| c.spec())
        .map_err(|_| StoreError::NotFound)
}

/// `GET /v1/offices/{office}/slots`: every slot of the days asked, with the places left.
pub fn slots(
    tx: &mut dyn ReadTx,
    sla: &Sla,
    office: &str,
    query: &SlotQuery,
) -> Result<Slots, StoreError> {
    let spec = calendar_spec(sla, office)?;
    if !tx.office_exists(office)? {
        return Err(StoreError::NotFound);
    }
    let (from, to) = day_range(&query.from, query.to.as_deref())?;
    let (start, end) = instants(from, to)?;
    let rules = sla.agenda().rules(office);
    // Places are counted over every booking of the office, whoever may see them: the answer
    // holds numbers only.
    let booked: Vec<Timestamp> = tx
        .appointments(&AppointmentFilter {
            office: Some(office.to_string()),
            from: Some(start),
            to: Some(end),
            booked_only: true,
            ..AppointmentFilter::new(Scope::Everything)
        })?
        .into_iter()
        .map(|a| a.start)
        .collect();
    Slots::from_calendar(office, spec, &rules, from, to, &booked).map_err(slot_error("from"))
}

/// An appointment as `who` may see it: a patronato gets no INPS usernames.
pub fn view(who: &Operator, sla: &Sla, record: &AppointmentRecord) -> Appointment {
    let fallback = registry::office(&record.office).map(|o| format!("{}, {}", o.name, o.comune));
    let rome_time = rules::in_rome(record.start)
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| record.start.to_string());
    Appointment {
        id: record.id,
        mode: record.channel,
        at: record.start,
        ends_at: Some(record.end),
        rome_time,
        booked_by: if who.role == Role::Patronato {
            String::new()
        } else {
            record.operator.clone()
        },
        state: record.state,
        office: record.office.clone(),
        request_id: Some(record.request_id.clone()),
        patronato: record.patronato.clone(),
        citizen: CodiceFiscale::parse(&record.citizen)
            .map(|cf| cf.masked())
            .unwrap_or_default(),
        contact: sla.agenda().contact(&record.office, fallback),
        move_request: record.move_request.clone(),
        version: record.version,
    }
}

/// `GET /v1/appointments`: appointments in the caller's scope (a patronato: its own only), by
/// start.
pub fn list(
    tx: &mut dyn ReadTx,
    sla: &Sla,
    who: &Operator,
    query: &AppointmentQuery,
) -> Result<AppointmentList, StoreError> {
    let (from, to) = day_range(&query.from, query.to.as_deref())?;
    let (start, end) = instants(from, to)?;
    let records = tx.appointments(&AppointmentFilter {
        office: query.office.clone(),
        operator: query.operator.clone(),
        from: Some(start),
        to: Some(end),
        booked_only: false,
        ..AppointmentFilter::new(scope_of(who))
    })?;
    Ok(AppointmentList {
        items: records
            .iter()
            .filter(|r| query.include_cancelled || r.state != AppointmentState::Cancelled)
            .map(|r| view(who, sla, r))
            .collect(),
    })
}

/// Requests with an appointment booked today (Rome) in `scope`, by the appointment's start.
pub fn requests_booked_today(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    now: Timestamp,
) -> Result<Vec<RequestId>, StoreError> {
    let today = rules::rome_date(now).map_err(slot_error("from"))?;
    let (start, end) = instants(today, today)?;
    let mut ids: Vec<RequestId> = Vec::new();
    for record in tx.appointments(&AppointmentFilter {
        from: Some(start),
        to: Some(end),
        booked_only: true,
        ..AppointmentFilter::new(scope.clone())
    })? {
        if !ids.contains(&record.request_id) {
            ids.push(record.request_id);
        }
    }
    Ok(ids)
}

/// The start of the booked appointment among a request's appointments.
pub fn booked_start(appointments: &[Appointment]) -> Option<Timestamp> {
    appointments
        .iter()
        .filter(|a| a.state == AppointmentState::Booked)
        .map(|a| a.at)
        .min()
}

/// Sets `appointment` on the rows with one booked from today (Rome) on: one read for the page.
pub fn mark_booked(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    now: Timestamp,
    items: &mut [crate::api::RequestSummary],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let today = rules::rome_date(now).map_err(slot_error("from"))?;
    let (start, _) = instants(today, today)?;
    let booked = tx.appointments(&AppointmentFilter {
        from: Some(start),
        booked_only: true,
        ..AppointmentFilter::new(scope.clone())
    })?;
    if booked.is_empty() {
        return Ok(());
    }
    let mut first: std::collections::HashMap<&RequestId, Timestamp> = Default::default();
    for record in &booked {
        first.entry(&record.request_id).or_insert(record.start);
    }
    for item in items.iter_mut() {
        item.appointment = first.get(&item.id).copied();
    }
    Ok(())
}

pub fn execute(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    cmd: AgendaCommand,
) -> Result<WriteResult, StoreError> {
    match cmd {
        AgendaCommand::Book { id, if_match, body } => book(tx, sla, key, ctx, &id, if_match, body),
        AgendaCommand::Reschedule {
            id,
            appointment,
            if_match,
            body,
        } => {
            let change = Change::Reschedule(body);
            change_appointment(tx, sla, key, ctx, &id, appointment, if_match, change)
        }
        AgendaCommand::Cancel {
            id,
            appointment,
            if_match,
            body,
        } => {
            let change = Change::Cancel(body);
            change_appointment(tx, sla, key, ctx, &id, appointment, if_match, change)
        }
        AgendaCommand::AskToMove {
            id,
            appointment,
            if_match,
            body,
        } => {
            let change = Change::AskToMove(body);
            change_appointment(tx, sla, key, ctx, &id, appointment, if_match, change)
        }
    }
}

/// The slot at `start` for `channel` at `office`, checked against the calendar, the clock and
/// the places left (`moving` is not counted: it is the appointment being moved).
fn free_slot(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    office: &str,
    start: Timestamp,
    channel: Channel,
    now: Timestamp,
    moving: Option<i64>,
) -> Result<Slot, StoreError> {
    let spec = calendar_spec(sla, office)?;
    let rules = sla.agenda().rules(office);
    let slot = rules::slot_at(spec, &rules, start, channel).map_err(slot_error("start"))?;
    if slot.start <= now {
        return Err(StoreError::invalid("start", "the slot has already begun"));
    }
    let taken = tx
        .appointments(&AppointmentFilter {
            office: Some(office.to_string()),
            from: Some(slot.start),
            to: Some(slot.end),
            booked_only: true,
            ..AppointmentFilter::new(Scope::Everything)
        })?
        .iter()
        .filter(|a| a.start == slot.start && Some(a.id) != moving)
        .count();
    if taken >= usize::from(rules.capacity) {
        return Err(StoreError::Refused {
            code: "slot_full",
            message: format!(
                "the slot at {} (Europe/Rome) has no places left ({} of {})",
                rules::rome_hhmm(slot.start),
                taken,
                rules.capacity
            ),
        });
    }
    Ok(slot)
}

/// The request's appointments as its detail shows them (kept on the request row too, so every
/// read and write of the request returns them).
fn refresh_request_view(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    stored: &mut StoredRequest,
) -> Result<(), StoreError> {
    let records = tx.appointments(&AppointmentFilter {
        request: Some(stored.request.id.clone()),
        ..AppointmentFilter::new(Scope::Everything)
    })?;
    // The stored view is the office's; `access::detail` hides usernames from patronati.
    let office_view = system_operator();
    stored.appointments = records.iter().map(|r| view(&office_view, sla, r)).collect();
    Ok(())
}

fn system_operator() -> Operator {
    Operator {
        username: String::new(),
        full_name: String::new(),
        role: Role::Operator,
        office: None,
        region: None,
        patronato: None,
    }
}

fn describe(record: &AppointmentRecord) -> String {
    let local = rules::in_rome(record.start)
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| record.start.to_string());
    format!(
        "#{} {} {} {local} Europe/Rome",
        record.id,
        record.channel.code(),
        record.office
    )
}

/// History entry, saved request, event and audit entry of one agenda write.
#[allow(clippy::too_many_arguments)]
fn record_change(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    stored: &mut StoredRequest,
    record: &AppointmentRecord,
    what: &str,
    status: u16,
) -> Result<WriteResult, StoreError> {
    tx.save_appointment(record)?;
    let author = actor(&ctx.principal);
    super::transition::apply(
        stored,
        sla,
        &author,
        Transition::Appointment,
        Some(format!("{what} {}", describe(record))),
        ctx.now,
    )?;
    refresh_request_view(tx, sla, stored)?;
    tx.save_request(stored)?;
    emit(
        tx,
        ctx,
        stored,
        &format!("appointment.{what}"),
        false,
        serde_json::json!({
            "appointment": record.id,
            "channel": record.channel,
            "start": record.start,
            "office": record.office,
            "state": record.state,
        }),
    )?;
    journal::audit(
        tx,
        key,
        &ctx.principal,
        &format!("appointment.{what}"),
        &format!("{}#{}", record.request_id, record.id),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, stored, status)
}

fn require_inps_writer(who: &Operator) -> Result<(), StoreError> {
    if who.role.is_inps_writer() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "a {} cannot book or change appointments",
            who.role.code()
        )))
    }
}

fn book(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    id: &RequestId,
    if_match: Option<u64>,
    body: NewAppointment,
) -> Result<WriteResult, StoreError> {
    let who = &ctx.principal;
    let mut stored = load_for_write(tx, who, id)?;
    require_inps_writer(who)?;
    stored.request.status.apply(Transition::Appointment)?;
    check_version(&stored, if_match)?;
    let existing = tx.appointments(&AppointmentFilter {
        request: Some(id.clone()),
        from: Some(ctx.now),
        booked_only: true,
        ..AppointmentFilter::new(Scope::Everything)
    })?;
    if let Some(open) = existing.first() {
        return Err(StoreError::Refused {
            code: "appointment_exists",
            message: format!(
                "{id} already has appointment #{} booked: reschedule or cancel it",
                open.id
            ),
        });
    }
    let office = stored.request.office.clone();
    let slot = free_slot(tx, sla, &office, body.start, body.channel, ctx.now, None)?;
    let record = AppointmentRecord {
        id: tx.last_appointment_id()?.unwrap_or(0) + 1,
        request_id: id.clone(),
        office,
        patronato: stored.request.patronato.clone(),
        citizen: stored.request.citizen.as_str().to_string(),
        channel: body.channel,
        start: slot.start,
        end: slot.end,
        operator: who.username.clone(),
        state: AppointmentState::Booked,
        move_request: None,
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
    };
    record_change(tx, sla, key, ctx, &mut stored, &record, "booked", 201)
}

enum Change {
    Reschedule(RescheduleAppointment),
    Cancel(CancelAppointment),
    AskToMove(MoveRequest),
}

#[allow(clippy::too_many_arguments)]
fn change_appointment(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    id: &RequestId,
    appointment: i64,
    if_match: Option<u64>,
    change: Change,
) -> Result<WriteResult, StoreError> {
    let who = &ctx.principal;
    let mut stored = load_for_write(tx, who, id)?;
    match &change {
        Change::AskToMove(_) if who.role == Role::Patronato => {
            check_mandate(tx, who, &stored, ctx.now)?;
        }
        Change::AskToMove(_) => {
            return Err(StoreError::Forbidden(
                "only the patronato asks to move an appointment; the office reschedules it".into(),
            ));
        }
        _ => require_inps_writer(who)?,
    }
    let mut record = tx
        .appointments(&AppointmentFilter {
            request: Some(id.clone()),
            ..AppointmentFilter::new(Scope::Everything)
        })?
        .into_iter()
        .find(|a| a.id == appointment)
        .ok_or(StoreError::NotFound)?;
    stored.request.status.apply(Transition::Appointment)?;
    check_version(&stored, if_match)?;
    if record.state != AppointmentState::Booked {
        return Err(StoreError::Refused {
            code: "appointment_not_booked",
            message: format!("appointment #{appointment} is {}", record.state.code()),
        });
    }
    let what = match change {
        Change::Reschedule(body) => {
            let channel = body.channel.unwrap_or(record.channel);
            let slot = free_slot(
                tx,
                sla,
                &record.office,
                body.start,
                channel,
                ctx.now,
                Some(record.id),
            )?;
            record.start = slot.start;
            record.end = slot.end;
            record.channel = channel;
            record.operator = who.username.clone();
            record.move_request = None;
            "rescheduled"
        }
        Change::Cancel(body) => {
            if let Some(reason) = &body.reason {
                check_text("reason", reason, MAX_MESSAGE_CHARS, false)?;
            }
            record.state = AppointmentState::Cancelled;
            "cancelled"
        }
        Change::AskToMove(body) => {
            check_text("message", &body.message, MAX_MESSAGE_CHARS, false)?;
            record.move_request = Some(body.message);
            "move_requested"
        }
    };
    record.version += 1;
    record.updated_at = ctx.now;
    record_change(tx, sla, key, ctx, &mut stored, &record, what, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_name_the_bad_field() {
        let field = |r: Result<(Date, Date), StoreError>| match r {
            Err(StoreError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(day_range("2026-13-01", None)), "from");
        assert_eq!(field(day_range("2026-12-03", Some("ieri"))), "to");
        assert_eq!(field(day_range("2026-12-03", Some("2026-12-02"))), "to");
        assert_eq!(field(day_range("2026-01-01", Some("2026-12-31"))), "to");
        assert!(day_range("2026-12-03", Some("2026-12-10")).is_ok());
    }

    #[test]
    fn rome_days_are_bounded_in_local_time() {
        let day: Date = "2026-12-03".parse().unwrap();
        let (start, end) = instants(day, day).unwrap();
        assert_eq!(start, "2026-12-02T23:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(end, "2026-12-03T23:00:00Z".parse::<Timestamp>().unwrap());
    }
}
