//! Row mapping and the per-record scope rule shared by reads, writes and events.

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::api::{RequestDetail, RequestSummary};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::{MessageKind, Priority, Request, RequestId, Status, Topic};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::StoreError;
use crate::service::store::transition::StoredRequest;

/// SQL condition (with its parameters) selecting the rows `who` may see, given the column names
/// holding the office code and the patronato code.
pub fn scope_clause(who: &Operator, office_col: &str, patronato_col: &str) -> (String, Vec<Value>) {
    let text = |s: &Option<String>| Value::Text(s.clone().unwrap_or_default());
    let region_clause = |region: &Option<String>| {
        (
            format!("{office_col} IN (SELECT code FROM offices WHERE region = ?)"),
            vec![text(region)],
        )
    };
    match who.role {
        Role::Operator => (format!("{office_col} = ?"), vec![text(&who.office)]),
        Role::Supervisor if who.region.is_some() => {
            let (clause, mut values) = region_clause(&who.region);
            values.push(text(&who.office));
            (format!("({clause} OR {office_col} = ?)"), values)
        }
        Role::Supervisor => (format!("{office_col} = ?"), vec![text(&who.office)]),
        Role::Auditor if who.region.is_some() => region_clause(&who.region),
        Role::Auditor | Role::Admin => ("1 = 1".to_string(), vec![]),
        Role::Patronato => (format!("{patronato_col} = ?"), vec![text(&who.patronato)]),
    }
}

pub fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

pub fn from_micros(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us)
        .map_err(|e| StoreError::Task(format!("bad stored timestamp {us}: {e}")))
}

fn code_err(what: &str, value: &str) -> StoreError {
    StoreError::Task(format!("bad stored {what} {value:?}"))
}

pub const SUMMARY_COLUMNS: &str = "r.id, r.patronato, r.office, r.topic, r.citizen, \
    c.surname || ' ' || c.name, r.subject, r.priority, r.status, r.assignee, r.tags_json, \
    r.created_us, r.updated_us, r.version, r.clocks_json";

/// Maps a row selected with [`SUMMARY_COLUMNS`]; the codice fiscale is masked (lists).
pub fn summary_from_row(row: &Row<'_>, sla: &Sla) -> Result<RequestSummary, StoreError> {
    let id: String = row.get(0)?;
    let topic: String = row.get(3)?;
    let citizen: String = row.get(4)?;
    let priority: String = row.get(7)?;
    let status: String = row.get(8)?;
    let tags: String = row.get(10)?;
    let clocks: String = row.get(14)?;
    Ok(RequestSummary {
        id: RequestId::parse(&id).map_err(|_| code_err("id", &id))?,
        patronato: row.get(1)?,
        office: row.get(2)?,
        topic: Topic::from_code(&topic).ok_or_else(|| code_err("topic", &topic))?,
        citizen: CodiceFiscale::parse(&citizen)
            .map(|cf| cf.masked())
            .unwrap_or(citizen),
        citizen_name: row.get(5)?,
        subject: row.get(6)?,
        priority: Priority::from_code(&priority).ok_or_else(|| code_err("priority", &priority))?,
        status: Status::from_code(&status).ok_or_else(|| code_err("status", &status))?,
        assignee: row.get(9)?,
        tags: serde_json::from_str(&tags)?,
        created_at: from_micros(row.get(11)?)?,
        updated_at: from_micros(row.get(12)?)?,
        version: row.get::<_, i64>(13)? as u64,
        clocks: sla.views(
            &serde_json::from_str::<Vec<crate::domain::sla::Clock>>(&clocks)?,
            jiff::Timestamp::now(),
        ),
    })
}

/// Loads a request if it exists and `who` may see it.
pub fn load_request(
    tx: &Transaction<'_>,
    who: &Operator,
    id: &RequestId,
) -> Result<Option<StoredRequest>, StoreError> {
    let (scope, mut values) = scope_clause(who, "office", "patronato");
    values.insert(0, Value::Text(id.as_str().to_string()));
    let sql = format!(
        "SELECT id, patronato, office, topic, citizen, application_protocol, subject, priority, \
         status, assignee, tags_json, outcome, created_us, updated_us, version, thread_json, \
         history_json, appointments_json, clocks_json FROM requests WHERE id = ? AND {scope}"
    );
    let row = tx
        .query_row(&sql, rusqlite::params_from_iter(values), |row| {
            Ok((
                (
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, Option<String>>(9)?,
                ),
                (
                    row.get::<_, String>(10)?,
                    row.get::<_, Option<String>>(11)?,
                    row.get::<_, i64>(12)?,
                    row.get::<_, i64>(13)?,
                    row.get::<_, i64>(14)?,
                    row.get::<_, String>(15)?,
                    row.get::<_, String>(16)?,
                    row.get::<_, String>(17)?,
                    row.get::<_, String>(18)?,
                ),
            ))
        })
        .optional()?;
    let Some((
        (id, patronato, office, topic, citizen, protocol, subject, priority, status, assignee),
        (tags, outcome, created, updated, version, thread, history, appointments, clocks),
    )) = row
    else {
        return Ok(None);
    };
    let outcome = match outcome {
        Some(code) => Some(serde_json::from_value(serde_json::Value::String(code))?),
        None => None,
    };
    Ok(Some(StoredRequest {
        request: Request {
            id: RequestId::parse(&id).map_err(|_| code_err("id", &id))?,
            patronato,
            office,
            topic: Topic::from_code(&topic).ok_or_else(|| code_err("topic", &topic))?,
            citizen: CodiceFiscale::parse(&citizen).map_err(|_| code_err("citizen", &citizen))?,
            application_protocol: protocol,
            subject,
            priority: Priority::from_code(&priority)
                .ok_or_else(|| code_err("priority", &priority))?,
            status: Status::from_code(&status).ok_or_else(|| code_err("status", &status))?,
            assignee,
            tags: serde_json::from_str(&tags)?,
            outcome,
            created_at: from_micros(created)?,
            updated_at: from_micros(updated)?,
            version: version as u64,
            thread: serde_json::from_str(&thread)?,
            history: serde_json::from_str(&history)?,
        },
        appointments: serde_json::from_str(&appointments)?,
        clocks: serde_json::from_str(&clocks)?,
    }))
}

/// Inserts or replaces a request row.
pub fn save_request(tx: &Transaction<'_>, stored: &StoredRequest) -> Result<(), StoreError> {
    let r = &stored.request;
    let outcome = match r.outcome {
        Some(outcome) => match serde_json::to_value(outcome)? {
            serde_json::Value::String(code) => Some(code),
            other => Some(other.to_string()),
        },
        None => None,
    };
    tx.execute(
        "INSERT OR REPLACE INTO requests (id, patronato, office, topic, citizen, \
         application_protocol, subject, priority, status, is_open, assignee, tags_json, outcome, \
         created_us, updated_us, version, thread_json, history_json, appointments_json, clocks_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
         ?19, ?20)",
        params![
            r.id.as_str(),
            r.patronato,
            r.office,
            r.topic.code(),
            r.citizen.as_str(),
            r.application_protocol,
            r.subject,
            r.priority.code(),
            r.status.code(),
            r.status.is_open(),
            r.assignee,
            serde_json::to_string(&r.tags)?,
            outcome,
            micros(r.created_at),
            micros(r.updated_at),
            r.version as i64,
            serde_json::to_string(&r.thread)?,
            serde_json::to_string(&r.history)?,
            serde_json::to_string(&stored.appointments)?,
            serde_json::to_string(&stored.clocks)?,
        ],
    )?;
    Ok(())
}

/// The detail view of a request for `who`: patronati never see internal notes.
pub fn detail_for(who: &Operator, stored: &StoredRequest, sla: &Sla) -> RequestDetail {
    let r = &stored.request;
    let thread = r
        .thread
        .iter()
        .filter(|e| who.role != Role::Patronato || e.kind != MessageKind::InternalNote)
        .cloned()
        .collect();
    RequestDetail {
        summary: RequestSummary {
            id: r.id.clone(),
            patronato: r.patronato.clone(),
            office: r.office.clone(),
            topic: r.topic,
            citizen: r.citizen.as_str().to_string(),
            citizen_name: None,
            subject: r.subject.clone(),
            priority: r.priority,
            status: r.status,
            assignee: r.assignee.clone(),
            tags: r.tags.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            clocks: sla.views(&stored.clocks, jiff::Timestamp::now()),
        },
        application_protocol: r.application_protocol.clone(),
        outcome: r.outcome,
        thread,
        history: r.history.clone(),
        appointments: stored.appointments.clone(),
    }
}

/// "Surname Name" of a citizen, if known.
pub fn citizen_name(tx: &Transaction<'_>, cf: &str) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT surname || ' ' || name FROM citizens WHERE codice_fiscale = ?1",
            [cf],
            |r| r.get(0),
        )
        .optional()?)
}
