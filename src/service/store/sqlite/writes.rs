//! Write commands: each runs inside the caller's transaction with idempotency, outbox and audit.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::journal::{self, NewEvent};
use super::reads::has_active_mandate;
use super::rows::{self, detail_for};
use crate::api::{ActionBody, Appointment, NewMessage, NewRequest};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::{
    ActorRef, MessageKind, Request, RequestId, Status, ThreadEntry, Transition,
};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::transition::{self, StoredRequest};
use crate::service::store::{Idempotency, StoreError, WriteCommand, WriteContext, WriteResult};

const MAX_SUBJECT_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;
const MAX_TAG_CHARS: usize = 40;

pub fn execute(
    tx: &Transaction<'_>,
    sla: &Sla,
    ctx: &WriteContext,
    cmd: WriteCommand,
) -> Result<WriteResult, StoreError> {
    if let Some(idem) = &ctx.idempotency
        && let Some(previous) = replay(tx, &ctx.principal.username, idem)?
    {
        return Ok(previous);
    }
    let result = match cmd {
        WriteCommand::CreateRequest(new) => create_request(tx, sla, ctx, new)?,
        WriteCommand::AddMessage {
            id,
            if_match,
            message,
        } => add_message(tx, sla, ctx, &id, if_match, message)?,
        WriteCommand::Action {
            id,
            if_match,
            action,
        } => act(tx, sla, ctx, &id, if_match, action)?,
    };
    if let Some(idem) = &ctx.idempotency {
        tx.execute(
            "INSERT INTO idempotency (username, key, request_hash, status, body_json, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                ctx.principal.username,
                idem.key,
                idem.request_hash,
                result.status,
                result.body.to_string(),
                ctx.now.to_string()
            ],
        )?;
    }
    Ok(result)
}

fn replay(
    tx: &Transaction<'_>,
    username: &str,
    idem: &Idempotency,
) -> Result<Option<WriteResult>, StoreError> {
    let stored: Option<(String, u16, String)> = tx
        .query_row(
            "SELECT request_hash, status, body_json FROM idempotency \
             WHERE username = ?1 AND key = ?2",
            params![username, idem.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((hash, status, body)) = stored else {
        return Ok(None);
    };
    if hash != idem.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    let body: serde_json::Value = serde_json::from_str(&body)?;
    let version = body.get("version").and_then(serde_json::Value::as_u64);
    Ok(Some(WriteResult {
        status,
        body,
        version,
        replayed: true,
    }))
}

fn actor(who: &Operator) -> ActorRef {
    ActorRef {
        id: who.username.clone(),
        name: who.full_name.clone(),
        role: who.role,
    }
}

fn has_control_chars(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

fn check_text(field: &str, text: &str, max: usize, single_line: bool) -> Result<(), StoreError> {
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
    Ok(())
}

fn office_exists(tx: &Transaction<'_>, code: &str) -> Result<bool, StoreError> {
    Ok(tx
        .query_row("SELECT 1 FROM offices WHERE code = ?1", [code], |_| Ok(()))
        .optional()?
        .is_some())
}

fn next_request_id(tx: &Transaction<'_>, now: Timestamp) -> Result<RequestId, StoreError> {
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
    let last: Option<String> = tx
        .query_row(
            "SELECT id FROM requests WHERE id >= ?1 AND id < ?2 ORDER BY id DESC LIMIT 1",
            params![format!("CBP-{year:04}-"), format!("CBP-{year:04}.")],
            |r| r.get(0),
        )
        .optional()?;
    let number = last
        .and_then(|id| RequestId::parse(&id).ok())
        .map_or(1, |id| id.number() + 1);
    Ok(RequestId::new(year, number))
}

fn written(
    tx: &Transaction<'_>,
    sla: &Sla,
    ctx: &WriteContext,
    stored: &StoredRequest,
    status: u16,
) -> Result<WriteResult, StoreError> {
    let mut detail = detail_for(&ctx.principal, stored, sla);
    detail.summary.citizen_name = rows::citizen_name(tx, stored.request.citizen.as_str())?;
    Ok(WriteResult {
        status,
        body: serde_json::to_value(&detail)?,
        version: Some(stored.request.version),
        replayed: false,
    })
}

fn create_request(
    tx: &Transaction<'_>,
    sla: &Sla,
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
    if !office_exists(tx, &new.office)? {
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
    rows::save_request(tx, &stored)?;
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
        who,
        "request.create",
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 201)
}

fn emit(
    tx: &Transaction<'_>,
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
    journal::append_event(
        tx,
        NewEvent {
            kind,
            request_id: Some(&r.id),
            office: Some(&r.office),
            patronato: Some(&r.patronato),
            internal,
            data,
        },
        ctx.now,
    )?;
    Ok(())
}

fn load_for_write(
    tx: &Transaction<'_>,
    who: &Operator,
    id: &RequestId,
) -> Result<StoredRequest, StoreError> {
    rows::load_request(tx, who, id)?.ok_or(StoreError::NotFound)
}

fn check_version(stored: &StoredRequest, if_match: Option<u64>) -> Result<(), StoreError> {
    match if_match {
        Some(expected) if expected != stored.request.version => Err(StoreError::Stale {
            expected,
            current: stored.request.version,
        }),
        _ => Ok(()),
    }
}

fn add_message(
    tx: &Transaction<'_>,
    sla: &Sla,
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
    rows::save_request(tx, &stored)?;
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
        who,
        "request.message",
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 201)
}

fn operator_in_office(
    tx: &Transaction<'_>,
    username: &str,
    office: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM operators WHERE username = ?1 AND office = ?2 \
             AND role IN ('operator', 'supervisor')",
            params![username, office],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn act(
    tx: &Transaction<'_>,
    sla: &Sla,
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
            if office == &request.office || !office_exists(tx, office)? {
                return Err(StoreError::invalid(
                    "office",
                    format!("cannot forward to office {office:?}"),
                ));
            }
            if let Some(note) = note {
                check_text("note", note, MAX_BODY_CHARS, false)?;
            }
            Some(office.clone())
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
        ActionBody::BookAppointment { mode, at } => stored.appointments.push(Appointment {
            mode,
            at,
            booked_by: who.username.clone(),
        }),
    }
    rows::save_request(tx, &stored)?;
    let data = serde_json::json!({ "action": name, "office": stored.request.office });
    emit(tx, ctx, &stored, "request.updated", false, data.clone())?;
    if from_office != stored.request.office {
        // The office that gave the request away hears about it too.
        journal::append_event(
            tx,
            NewEvent {
                kind: "request.forwarded",
                request_id: Some(&stored.request.id),
                office: Some(&from_office),
                patronato: None,
                internal: true,
                data,
            },
            ctx.now,
        )?;
    }
    journal::audit(
        tx,
        who,
        &format!("request.{name}"),
        id.as_str(),
        ctx.remote_addr.as_deref(),
        ctx.now,
    )?;
    written(tx, sla, ctx, &stored, 200)
}
