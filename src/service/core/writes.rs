//! Write commands: who may do what to which request, validation, transitions and SLA updates,
//! each with its outbox event, audit entry and idempotency record, all in the caller's
//! transaction.

use jiff::Timestamp;

use super::access::{self, actor};
use super::journal::{self, AuditKey};
use super::reads::has_active_mandate;
use super::transition;
use super::{Idempotency, WriteCommand, WriteContext, WriteResult};
use crate::api::{ActionBody, NewMessage, NewRequest};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::{MessageKind, Request, RequestId, Status, ThreadEntry, Transition};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::{IdempotencyRecord, NewEvent, StoreError, StoredRequest, WriteTx};

const MAX_SUBJECT_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;
const MAX_TAG_CHARS: usize = 40;

pub fn execute(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    remembered: jiff::SignedDuration,
    ctx: &WriteContext,
    cmd: WriteCommand,
) -> Result<WriteResult, StoreError> {
    if let Some(idem) = &ctx.idempotency
        && let Some(previous) = replay(tx, sla, ctx, idem, remembered)?
    {
        return Ok(previous);
    }
    let result = match super::agenda::legacy_booking(cmd) {
        WriteCommand::CreateRequest(new) => create_request(tx, sla, key, ctx, new)?,
        WriteCommand::AddMessage {
            id,
            if_match,
            message,
        } => add_message(tx, sla, key, ctx, &id, if_match, message)?,
        WriteCommand::Action {
            id,
            if_match,
            action,
        } => act(tx, sla, key, ctx, &id, if_match, action)?,
        WriteCommand::Agenda(cmd) => super::agenda::execute(tx, sla, key, ctx, cmd)?,
    };
    if let Some(idem) = &ctx.idempotency {
        // Compact: what was written (id, version) and how it was answered, not the answer
        // itself, so the record's size does not grow with the request's thread.
        tx.put_idempotency(
            &ctx.principal.username,
            &IdempotencyRecord {
                key: idem.key.clone(),
                request_hash: idem.request_hash.clone(),
                status: result.status,
                body: serde_json::json!({
                    "id": result.body.get("id"),
                    "version": result.version,
                }),
                created_at: ctx.now,
            },
        )?;
    }
    Ok(result)
}

/// The answer to a write already made under this key: the request as the caller may see it
/// now (the record keeps only its id), with the original status. A record older than
/// `remembered` is forgotten, and the write is made anew.
fn replay(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    ctx: &WriteContext,
    idem: &Idempotency,
    remembered: jiff::SignedDuration,
) -> Result<Option<WriteResult>, StoreError> {
    let username = &ctx.principal.username;
    let Some(stored) = tx.idempotency(username, &idem.key)? else {
        return Ok(None);
    };
    if let Ok(cutoff) = ctx.now.checked_sub(remembered)
        && stored.created_at < cutoff
    {
        tx.prune_idempotency(&cutoff.to_string())?;
        return Ok(None);
    }
    if stored.request_hash != idem.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    // Records written before compaction hold the whole answer, whose `id` is the same field.
    let id = stored
        .body
        .get("id")
        .and_then(serde_json::Value::as_str)
        .and_then(|id| RequestId::parse(id).ok());
    let current = match id {
        Some(id) => tx.load_request(&access::scope_of(&ctx.principal), &id)?,
        None => None,
    };
    let Some(current) = current else {
        // Out of the caller's sight since (forwarded elsewhere): the bare record.
        let version = stored
            .body
            .get("version")
            .and_then(serde_json::Value::as_u64);
        return Ok(Some(WriteResult {
            status: stored.status,
            body: stored.body,
            version,
            replayed: true,
        }));
    };
    let mut answer = written(tx, sla, ctx, &current, stored.status)?;
    answer.replayed = true;
    Ok(Some(answer))
}

fn has_control_chars(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

pub(super) fn check_text(
    field: &str,
    text: &str,
    max: usize,
    single_line: bool,
) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Err(StoreError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if text.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if (single_line && text.contains(['\n', '\r'])) || has_control_chars(text) {
        return Err(StoreError::invalid(
            field,
            format!("{field} contains control characters"),
        ));
    }
    // Characters that would reach a terminal as something else (bidi overrides, tag
    // characters, fillers, separators): refused here rather than silently rewritten later.
    if let Some(bad) = crate::domain::sanitize::first_forbidden(text) {
        return Err(StoreError::invalid(
            field,
            format!("{field} contains {bad}"),
        ));
    }
    Ok(())
}

fn next_request_id(tx: &mut dyn WriteTx, now: Timestamp) -> Result<RequestId, StoreError> {
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
    let number = tx.last_request_number(year)?.map_or(1, |n| n + 1);
    Ok(RequestId::new(year, number))
}

pub(super) fn written(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    ctx: &WriteContext,
    stored: &StoredRequest,
    status: u16,
) -> Result<WriteResult, StoreError> {
    let citizen_name = tx.citizen_name(stored.request.citizen.as_str())?;
    let detail = access::detail(&ctx.principal, stored, citizen_name, sla, ctx.now);
    Ok(WriteResult {
        status,
        body: serde_json::to_value(&detail)?,
        version: Some(stored.request.version),
        replayed: false,
    })
}

fn create_request(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    new: NewRequest,
) -> Result<WriteResult, StoreError> {
    let who = &ctx.principal;
    if who.role != Role::Patronato {
        return Err(StoreError::Forbidden(
            "only patronato clients file requests".into(),
        ));
    }
    let patronato = who.patronato.clone().unwrap_or_default();
    let citizen = CodiceFiscale::parse(&new.citizen)
        .map_err(|e| StoreError::invalid("citizen", format!("invalid codice fiscale: {e}")))?;
    check_text("subject", &new.subject, MAX_SUBJECT_CHARS, true)?;
    check_text("body", &new.body, MAX_BODY_CHARS, false)?;
    if let Some(protocol) = &new.application_protocol {
        check_text("application_protocol", protocol, 40, true)?;
    }
    if !tx.office_exists(&new.office)? {
        return Err(StoreError::invalid(
            "office",
            format!("unknown office {:?}", new.office),
        ));
    }
    if !has_active_mandate(tx, citizen.as_str(), &patronato, ctx.now)? {
        return Err(StoreError::Invalid {
            code: "mandate_required",
            field: "citizen".into(),
            message: "the patronato holds no active mandate for this citizen".into(),
        });
    }
    let id = next_request_id(tx, ctx.now)?;
    let author = actor(who);
    let mut stored = StoredRequest {
        request: Request {
            id: id.clone(),
            patronato: patronato.clone(),
            office: new.office.clone(),
            topic: new.topic,
            citizen,
            application_protocol: new.application_protocol,
            subject: new.subject,
            priority: new.priority,
            status: Status::Nuova,
            assignee: None,
            tags: vec![],
            outcome: None,
            created_at: ctx.now,
            updated_at: ctx.now,
            version: 1,
            thread: vec![ThreadEntry {
                seq: 1,
                at: ctx.now,
                author,
                kind: MessageKind::PatronatoMessage,
                body: new.body,
            }],
            history: vec![],
        },
        appointments: vec![],
        clocks: vec![],
    };
    stored.clocks = sla.replay(&stored.request);
    tx.save_request(&stored)?;
    emit(
        tx,
        ctx,
        &stored,
        "request.created",
        false,
        serde_json::json!({}),
    )?;
    journal::audit(
        tx,
        key,
        who,
        "request.create",
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 201)
}

pub(super) fn emit(
    tx: &mut dyn WriteTx,
    ctx: &WriteContext,
    stored: &StoredRequest,
    kind: &str,
    internal: bool,
    mut data: serde_json::Value,
) -> Result<(), StoreError> {
    let r = &stored.request;
    if let Some(map) = data.as_object_mut() {
        map.insert("status".into(), serde_json::to_value(r.status)?);
        map.insert("version".into(), r.version.into());
        map.insert("assignee".into(), serde_json::to_value(&r.assignee)?);
        map.insert("actor".into(), ctx.principal.username.clone().into());
    }
    tx.append_event(&NewEvent {
        at: ctx.now,
        kind: kind.to_string(),
        request_id: Some(r.id.clone()),
        office: Some(r.office.clone()),
        patronato: Some(r.patronato.clone()),
        internal,
        data,
    })?;
    Ok(())
}

pub(super) fn load_for_write(
    tx: &mut dyn WriteTx,
    who: &Operator,
    id: &RequestId,
) -> Result<StoredRequest, StoreError> {
    tx.load_request(&access::scope_of(who), id)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn check_version(
    stored: &StoredRequest,
    if_match: Option<u64>,
) -> Result<(), StoreError> {
    match if_match {
        Some(expected) if expected != stored.request.version => Err(StoreError::Stale {
            expected,
            current: stored.request.version,
        }),
        _ => Ok(()),
    }
}

fn add_message(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    id: &RequestId,
    if_match: Option<u64>,
    message: NewMessage,
) -> Result<WriteResult, StoreError> {
    let who = &ctx.principal;
    let allowed = match message.kind {
        MessageKind::PatronatoMessage => who.role == Role::Patronato,
        _ => who.role.is_inps_writer(),
    };
    let mut stored = load_for_write(tx, who, id)?;
    if !allowed {
        return Err(StoreError::Forbidden(format!(
            "a {} cannot post a {:?}",
            who.role.code(),
            message.kind
        )));
    }
    if matches!(
        message.kind,
        MessageKind::Reply | MessageKind::IntegrationRequest
    ) {
        check_assignee(who, &stored, "reply to")?;
    }
    if who.role == Role::Patronato {
        check_mandate(tx, who, &stored, ctx.now)?;
    }
    check_text("body", &message.body, MAX_BODY_CHARS, false)?;
    let transition = message.kind.transition();
    // Legality first, so a lost race reports the conflict rather than a stale version.
    stored.request.status.apply(transition)?;
    check_version(&stored, if_match)?;
    let author = actor(who);
    transition::apply(&mut stored, sla, &author, transition, None, ctx.now)?;
    let seq = stored.request.thread.len() as u32 + 1;
    stored.request.thread.push(ThreadEntry {
        seq,
        at: ctx.now,
        author,
        kind: message.kind,
        body: message.body,
    });
    tx.save_request(&stored)?;
    let internal = message.kind == MessageKind::InternalNote;
    emit(
        tx,
        ctx,
        &stored,
        "request.message",
        internal,
        serde_json::json!({ "message_kind": message.kind, "thread_seq": seq }),
    )?;
    journal::audit(
        tx,
        key,
        who,
        "request.message",
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 201)
}

/// Only the assignee, a supervisor or an admin replies to, closes or forwards a request that
/// someone has taken.
fn check_assignee(who: &Operator, stored: &StoredRequest, what: &str) -> Result<(), StoreError> {
    match &stored.request.assignee {
        Some(assignee) if assignee != &who.username && who.role == Role::Operator => {
            Err(StoreError::Denied {
                code: "not_assignee",
                message: format!(
                    "{} is assigned to {assignee}: only the assignee or a supervisor may {what} it",
                    stored.request.id
                ),
            })
        }
        _ => Ok(()),
    }
}

/// A patronato acts for a citizen only while its mandate is active: from the moment of
/// revocation (or the day after expiry) its reads and writes of that citizen's requests are
/// refused with `mandate_revoked` / `mandate_expired`.
pub fn check_mandate(
    tx: &mut dyn crate::service::store::ReadTx,
    who: &Operator,
    stored: &StoredRequest,
    now: Timestamp,
) -> Result<(), StoreError> {
    let patronato = who.patronato.as_deref().unwrap_or_default();
    match super::reads::mandate_refusal(tx, stored.request.citizen.as_str(), patronato, now)? {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Whether `username` is an operator or supervisor of `office`.
fn operator_in_office(
    tx: &mut dyn WriteTx,
    username: &str,
    office: &str,
) -> Result<bool, StoreError> {
    Ok(tx.operator(username)?.is_some_and(|op| {
        matches!(op.role, Role::Operator | Role::Supervisor) && op.office.as_deref() == Some(office)
    }))
}

fn act(
    tx: &mut dyn WriteTx,
    sla: &Sla,
    key: Option<&AuditKey>,
    ctx: &WriteContext,
    id: &RequestId,
    if_match: Option<u64>,
    action: ActionBody,
) -> Result<WriteResult, StoreError> {
    let who = &ctx.principal;
    let mut stored = load_for_write(tx, who, id)?;
    if !who.role.is_inps_writer() {
        return Err(StoreError::Forbidden(format!(
            "a {} cannot act on requests",
            who.role.code()
        )));
    }
    let (transition, name) = match &action {
        ActionBody::Take => (Transition::Take, "take"),
        ActionBody::Release => (Transition::Release, "release"),
        ActionBody::Assign { .. } => (Transition::Assign, "assign"),
        ActionBody::Forward { .. } => (Transition::Forward, "forward"),
        ActionBody::Close { .. } => (Transition::Close, "close"),
        ActionBody::Reopen { .. } => (Transition::Reopen, "reopen"),
        ActionBody::Tag { .. } => (Transition::Tag, "tag"),
        ActionBody::Untag { .. } => (Transition::Tag, "untag"),
        ActionBody::BookAppointment { .. } => (Transition::InternalNote, "book_appointment"),
    };
    match &action {
        ActionBody::Close { .. } => check_assignee(who, &stored, "close")?,
        ActionBody::Forward { .. } => check_assignee(who, &stored, "forward")?,
        // Without the version the supervisor saw, an assign would silently override a take
        // that already got its 200.
        ActionBody::Assign { .. } if if_match.is_none() => {
            return Err(StoreError::PreconditionRequired("assign"));
        }
        _ => {}
    }
    stored.request.status.apply(transition)?;
    check_version(&stored, if_match)?;
    let request = &stored.request;
    let detail = match &action {
        ActionBody::Take => None,
        ActionBody::Release => {
            let own = request.assignee.as_deref() == Some(who.username.as_str());
            if !own && who.role == Role::Operator {
                return Err(StoreError::Forbidden(
                    "only the assignee or a supervisor can release".into(),
                ));
            }
            None
        }
        ActionBody::Assign { assignee } => {
            if who.role == Role::Operator {
                return Err(StoreError::Forbidden(
                    "only supervisors assign requests to others".into(),
                ));
            }
            if !operator_in_office(tx, assignee, &request.office)? {
                return Err(StoreError::invalid(
                    "assignee",
                    format!(
                        "{assignee:?} is not an operator of office {}",
                        request.office
                    ),
                ));
            }
            Some(assignee.clone())
        }
        ActionBody::Forward { office, note } => {
            if office == &request.office || !tx.office_exists(office)? {
                return Err(StoreError::invalid(
                    "office",
                    format!("cannot forward to office {office:?}"),
                ));
            }
            if let Some(note) = note {
                check_text("note", note, MAX_BODY_CHARS, false)?;
            }
            // `FROM>TO`: a replay of the history then knows where each stretch was counted.
            Some(format!("{}>{office}", request.office))
        }
        ActionBody::Close { outcome, note } => {
            if let Some(note) = note {
                check_text("note", note, MAX_BODY_CHARS, false)?;
            }
            Some(
                serde_json::to_value(outcome)?
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        }
        ActionBody::Reopen { note } => {
            if let Some(note) = note {
                check_text("note", note, MAX_BODY_CHARS, false)?;
            }
            note.clone()
        }
        ActionBody::Tag { tag } | ActionBody::Untag { tag } => {
            check_text("tag", tag, MAX_TAG_CHARS, true)?;
            Some(tag.clone())
        }
        ActionBody::BookAppointment { mode, at } => Some(format!(
            "{} {at}",
            serde_json::to_value(mode)?.as_str().unwrap_or("")
        )),
    };
    let from_office = stored.request.office.clone();
    let author = actor(who);
    transition::apply(&mut stored, sla, &author, transition, detail, ctx.now)?;
    let request = &mut stored.request;
    match action {
        ActionBody::Take => request.assignee = Some(who.username.clone()),
        ActionBody::Release => request.assignee = None,
        ActionBody::Assign { assignee } => request.assignee = Some(assignee),
        ActionBody::Forward { office, note } => {
            request.office = office;
            request.assignee = None;
            if let Some(body) = note {
                let seq = request.thread.len() as u32 + 1;
                request.thread.push(ThreadEntry {
                    seq,
                    at: ctx.now,
                    author: author.clone(),
                    kind: MessageKind::InternalNote,
                    body,
                });
            }
        }
        ActionBody::Close { outcome, note } => {
            request.outcome = Some(outcome);
            if let Some(body) = note {
                let seq = request.thread.len() as u32 + 1;
                request.thread.push(ThreadEntry {
                    seq,
                    at: ctx.now,
                    author: author.clone(),
                    kind: MessageKind::Reply,
                    body,
                });
            }
        }
        ActionBody::Reopen { .. } => request.outcome = None,
        ActionBody::Tag { tag } => {
            if !request.tags.contains(&tag) {
                request.tags.push(tag);
                request.tags.sort();
            }
        }
        ActionBody::Untag { tag } => request.tags.retain(|t| t != &tag),
        // Routed to the agenda by `execute`.
        ActionBody::BookAppointment { .. } => {}
    }
    tx.save_request(&stored)?;
    let data = serde_json::json!({ "action": name, "office": stored.request.office });
    // Tags are the office's own: patronati do not even hear that one changed.
    let internal = matches!(name, "tag" | "untag");
    emit(tx, ctx, &stored, "request.updated", internal, data.clone())?;
    if from_office != stored.request.office {
        // The office that gave the request away hears about it too.
        tx.append_event(&NewEvent {
            at: ctx.now,
            kind: "request.forwarded".to_string(),
            request_id: Some(stored.request.id.clone()),
            office: Some(from_office.clone()),
            patronato: None,
            internal: true,
            data,
        })?;
    }
    journal::audit(
        tx,
        key,
        who,
        &format!("request.{name}"),
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 200)
}
