//! The port's transaction handles over a rusqlite transaction: SQL and row mapping only.

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};

use crate::api::EventEnvelope;
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::mandate::{Application, Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::{Priority, Request, RequestId, Status, Topic};
use crate::domain::roles::{Operator, Role};
use crate::domain::sla::{AlertLevel, ClockKind};
use crate::service::store::{
    AggregateRow, AuditRecord, Cell, ClockKey, DashboardRow, EventBounds, EventFilter,
    IdempotencyRecord, NewEvent, OutboxEvent, ReadTx, RequestQuery, RowPage, Scope, StoreError,
    StoredRequest, SummaryRow, TokenTarget, WriteTx,
};

mod agenda;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation
                    && matches!(
                        f.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                            | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    ) =>
            {
                StoreError::Duplicate
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// One SQLite transaction lent to the core.
pub struct SqliteTx<'a> {
    /// A connection inside an open transaction (a read snapshot, or a write batch's savepoint).
    pub tx: &'a Connection,
}

/// SQL condition (with its parameters) for a [`Scope`], given the columns holding the office
/// code and the patronato code.
fn scope_sql(scope: &Scope, office_col: &str, patronato_col: &str) -> (String, Vec<Value>) {
    let text = |s: &str| Value::Text(s.to_string());
    let region = |r: &str| {
        (
            format!("{office_col} IN (SELECT code FROM offices WHERE region = ?)"),
            vec![text(r)],
        )
    };
    match scope {
        Scope::Everything => ("1 = 1".to_string(), vec![]),
        Scope::Office(office) => (format!("{office_col} = ?"), vec![text(office)]),
        Scope::Region(r) => region(r),
        Scope::RegionOrOffice { region: r, office } => {
            let (clause, mut values) = region(r);
            values.push(text(office));
            (format!("({clause} OR {office_col} = ?)"), values)
        }
        Scope::Patronato(p) => (format!("{patronato_col} = ?"), vec![text(p)]),
    }
}

fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

fn from_micros(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|_| StoreError::corrupt("timestamp", &us.to_string()))
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The WHERE clause of a query within a scope.
fn query_sql(scope: &Scope, q: &RequestQuery) -> (String, Vec<Value>) {
    let (scope, mut values) = scope_sql(scope, "r.office", "r.patronato");
    let mut conditions = vec![scope];
    let mut push = |clause: &str, value: Value| {
        conditions.push(clause.to_string());
        values.push(value);
    };
    if let Some(status) = q.status {
        push("r.status = ?", Value::Text(status.code().into()));
    }
    if let Some(topic) = q.topic {
        push("r.topic = ?", Value::Text(topic.code().into()));
    }
    if let Some(office) = &q.office {
        push("r.office = ?", Value::Text(office.clone()));
    }
    if let Some(patronato) = &q.patronato {
        push("r.patronato = ?", Value::Text(patronato.clone()));
    }
    if let Some(assignee) = &q.assignee {
        push("r.assignee = ?", Value::Text(assignee.clone()));
    }
    if let Some(citizen) = &q.citizen {
        push("r.citizen = ?", Value::Text(citizen.clone()));
    }
    if let Some(open) = q.open {
        push("r.is_open = ?", Value::Integer(i64::from(open)));
    }
    if let Some(since) = q.updated_since {
        push("r.updated_us >= ?", Value::Integer(micros(since)));
    }
    if let Some(since) = q.open_or_updated_since {
        push(
            "(r.is_open = 1 OR r.updated_us >= ?)",
            Value::Integer(micros(since)),
        );
    }
    if let Some(after) = q.changed_after {
        // A range of the events' primary key: proportional to what changed, not to the rows.
        push(
            "r.id IN (SELECT e.request_id FROM events e WHERE e.seq > ? \
             AND e.request_id IS NOT NULL AND e.kind NOT LIKE 'sla.%')",
            Value::Integer(i64::try_from(after).unwrap_or(i64::MAX)),
        );
    }
    if let Some(ids) = &q.among {
        let ids: Vec<&str> = ids.iter().map(RequestId::as_str).collect();
        push(
            "r.id IN (SELECT value FROM json_each(?))",
            Value::Text(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())),
        );
    }
    if let Some((created, id)) = &q.before {
        conditions.push("(r.created_us < ? OR (r.created_us = ? AND r.id < ?))".to_string());
        values.extend([
            Value::Integer(micros(*created)),
            Value::Integer(micros(*created)),
            Value::Text(id.as_str().to_string()),
        ]);
    }
    if q.unassigned {
        conditions.push("r.assignee IS NULL".to_string());
    }
    if let Some(text) = &q.text {
        let upper = Value::Text(like_pattern(&text.to_uppercase()));
        conditions.push(
            "(r.id LIKE ? ESCAPE '\\' OR r.citizen LIKE ? ESCAPE '\\' \
             OR r.subject LIKE ? ESCAPE '\\')"
                .to_string(),
        );
        values.extend([upper.clone(), upper, Value::Text(like_pattern(text))]);
    }
    (conditions.join(" AND "), values)
}

const SUMMARY_COLUMNS: &str = "r.id, r.patronato, r.office, r.topic, r.citizen, \
    c.surname || ' ' || c.name, r.subject, r.priority, r.status, r.assignee, r.tags_json, \
    r.created_us, r.updated_us, r.version, r.clocks_json";

fn summary_from_row(row: &Row<'_>) -> Result<SummaryRow, StoreError> {
    let id: String = row.get(0)?;
    let topic: String = row.get(3)?;
    let priority: String = row.get(7)?;
    let status: String = row.get(8)?;
    let tags: String = row.get(10)?;
    let clocks: String = row.get(14)?;
    Ok(SummaryRow {
        id: RequestId::parse(&id).map_err(|_| StoreError::corrupt("id", &id))?,
        patronato: row.get(1)?,
        office: row.get(2)?,
        topic: Topic::from_code(&topic).ok_or_else(|| StoreError::corrupt("topic", &topic))?,
        citizen: row.get(4)?,
        citizen_name: row.get(5)?,
        subject: row.get(6)?,
        priority: Priority::from_code(&priority)
            .ok_or_else(|| StoreError::corrupt("priority", &priority))?,
        status: Status::from_code(&status).ok_or_else(|| StoreError::corrupt("status", &status))?,
        assignee: row.get(9)?,
        tags: serde_json::from_str(&tags)?,
        created_at: from_micros(row.get(11)?)?,
        updated_at: from_micros(row.get(12)?)?,
        version: row.get::<_, i64>(13)? as u64,
        clocks: serde_json::from_str(&clocks)?,
    })
}

fn operator_from_row(row: &Row<'_>) -> Result<Operator, StoreError> {
    let role: String = row.get(2)?;
    Ok(Operator {
        username: row.get(0)?,
        full_name: row.get(1)?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::corrupt("role", &role))?,
        office: row.get(3)?,
        region: row.get(4)?,
        patronato: row.get(5)?,
    })
}

/// An event from a row whose first columns are `seq, at, kind, request_id, office, data_json`.
fn envelope_of(row: &Row<'_>) -> Result<EventEnvelope, StoreError> {
    let at: String = row.get(1)?;
    let request_id: Option<String> = row.get(3)?;
    Ok(EventEnvelope {
        seq: row.get::<_, i64>(0)? as u64,
        at: at
            .parse()
            .map_err(|_| StoreError::corrupt("event time", &at))?,
        kind: row.get(2)?,
        request_id: request_id.and_then(|id| RequestId::parse(&id).ok()),
        office: row.get(4)?,
        data: serde_json::from_str(&row.get::<_, String>(5)?)?,
    })
}

fn one<T>(
    tx: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
    map: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut rows = stmt.query(values)?;
    match rows.next()? {
        Some(row) => Ok(Some(map(row)?)),
        None => Ok(None),
    }
}

/// The first nine columns `id, office, topic, priority, patronato, status, assignee,
/// created_us, history_json` of a request row.
fn dashboard_row(row: &Row<'_>) -> Result<DashboardRow, StoreError> {
    let id: String = row.get(0)?;
    let topic: String = row.get(2)?;
    let priority: String = row.get(3)?;
    let status: String = row.get(5)?;
    Ok(DashboardRow {
        id: RequestId::parse(&id).map_err(|_| StoreError::corrupt("id", &id))?,
        office: row.get(1)?,
        topic: Topic::from_code(&topic).ok_or_else(|| StoreError::corrupt("topic", &topic))?,
        priority: Priority::from_code(&priority)
            .ok_or_else(|| StoreError::corrupt("priority", &priority))?,
        patronato: row.get(4)?,
        status: Status::from_code(&status).ok_or_else(|| StoreError::corrupt("status", &status))?,
        assignee: row.get(6)?,
        created_at: from_micros(row.get(7)?)?,
        history: serde_json::from_str(&row.get::<_, String>(8)?)?,
    })
}

fn all<T>(
    tx: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut rows = stmt.query(values)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

fn code_of<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(match serde_json::to_value(value)? {
        serde_json::Value::String(code) => code,
        other => other.to_string(),
    })
}

impl ReadTx for SqliteTx<'_> {
    fn operator_by_token_hash(&mut self, hash: &str) -> Result<Option<Operator>, StoreError> {
        one(
            self.tx,
            "SELECT o.username, o.full_name, o.role, o.office, o.region, o.patronato \
             FROM tokens t JOIN operators o ON o.username = t.username \
             WHERE t.hash = ?1 AND t.revoked_at IS NULL",
            [hash],
            operator_from_row,
        )
    }

    fn operator(&mut self, username: &str) -> Result<Option<Operator>, StoreError> {
        one(
            self.tx,
            "SELECT username, full_name, role, office, region, patronato FROM operators \
             WHERE username = ?1",
            [username],
            operator_from_row,
        )
    }

    fn operators_of_office(
        &mut self,
        scope: &Scope,
        office: &str,
    ) -> Result<Vec<Operator>, StoreError> {
        let (scope, mut values) = scope_sql(scope, "office", "patronato");
        values.insert(0, Value::Text(office.to_string()));
        let sql = format!(
            "SELECT username, full_name, role, office, region, patronato FROM operators \
             WHERE office = ? AND {scope} ORDER BY username"
        );
        let mut statement = self.tx.prepare_cached(&sql)?;
        let mut rows = statement.query(params_from_iter(values))?;
        let mut operators = Vec::new();
        while let Some(row) = rows.next()? {
            operators.push(operator_from_row(row)?);
        }
        Ok(operators)
    }

    fn office_exists(&mut self, code: &str) -> Result<bool, StoreError> {
        Ok(one(
            self.tx,
            "SELECT 1 FROM offices WHERE code = ?1",
            [code],
            |_| Ok(()),
        )?
        .is_some())
    }

    fn is_empty(&mut self) -> Result<bool, StoreError> {
        let n: i64 = self.tx.query_row(
            "SELECT (SELECT COUNT(*) FROM offices) + (SELECT COUNT(*) FROM operators)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn load_request(
        &mut self,
        scope: &Scope,
        id: &RequestId,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let (scope, mut values) = scope_sql(scope, "office", "patronato");
        values.insert(0, Value::Text(id.as_str().to_string()));
        let sql = format!(
            "SELECT id, patronato, office, topic, citizen, application_protocol, subject, \
             priority, status, assignee, tags_json, outcome, created_us, updated_us, version, \
             thread_json, history_json, appointments_json, clocks_json FROM requests \
             WHERE id = ? AND {scope}"
        );
        one(self.tx, &sql, params_from_iter(values), |row| {
            let id: String = row.get(0)?;
            let topic: String = row.get(3)?;
            let citizen: String = row.get(4)?;
            let priority: String = row.get(7)?;
            let status: String = row.get(8)?;
            let outcome: Option<String> = row.get(11)?;
            let outcome = match outcome {
                Some(code) => Some(serde_json::from_value(serde_json::Value::String(code))?),
                None => None,
            };
            Ok(StoredRequest {
                request: Request {
                    id: RequestId::parse(&id).map_err(|_| StoreError::corrupt("id", &id))?,
                    patronato: row.get(1)?,
                    office: row.get(2)?,
                    topic: Topic::from_code(&topic)
                        .ok_or_else(|| StoreError::corrupt("topic", &topic))?,
                    citizen: CodiceFiscale::parse(&citizen)
                        .map_err(|_| StoreError::corrupt("citizen", &citizen))?,
                    application_protocol: row.get(5)?,
                    subject: row.get(6)?,
                    priority: Priority::from_code(&priority)
                        .ok_or_else(|| StoreError::corrupt("priority", &priority))?,
                    status: Status::from_code(&status)
                        .ok_or_else(|| StoreError::corrupt("status", &status))?,
                    assignee: row.get(9)?,
                    tags: serde_json::from_str(&row.get::<_, String>(10)?)?,
                    outcome,
                    created_at: from_micros(row.get(12)?)?,
                    updated_at: from_micros(row.get(13)?)?,
                    version: row.get::<_, i64>(14)? as u64,
                    thread: serde_json::from_str(&row.get::<_, String>(15)?)?,
                    history: serde_json::from_str(&row.get::<_, String>(16)?)?,
                },
                appointments: serde_json::from_str(&row.get::<_, String>(17)?)?,
                clocks: serde_json::from_str(&row.get::<_, String>(18)?)?,
            })
        })
    }

    fn list_requests(
        &mut self,
        scope: &Scope,
        query: &RequestQuery,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let (clause, mut values) = query_sql(scope, query);
        let limit = match query.limit {
            Some(limit) => {
                values.push(Value::Integer(i64::from(limit)));
                " LIMIT ?"
            }
            None => "",
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM requests r \
             LEFT JOIN citizens c ON c.codice_fiscale = r.citizen \
             WHERE {clause} ORDER BY r.created_us DESC, r.id DESC{limit}"
        );
        all(self.tx, &sql, params_from_iter(values), summary_from_row)
    }

    fn count_requests(&mut self, scope: &Scope, query: &RequestQuery) -> Result<u64, StoreError> {
        let (clause, values) = query_sql(scope, query);
        let sql = format!("SELECT COUNT(*) FROM requests r WHERE {clause}");
        let n: i64 = self
            .tx
            .query_row(&sql, params_from_iter(values), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn open_clocks(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(RequestId, Status, Vec<crate::domain::sla::Clock>)>, StoreError> {
        let (scope, values) = scope_sql(scope, "r.office", "r.patronato");
        let sql = format!(
            "SELECT r.id, r.status, r.clocks_json FROM requests r \
             WHERE {scope} AND r.is_open = 1 AND r.clocks_json <> '[]'"
        );
        all(self.tx, &sql, params_from_iter(values), |row| {
            let id: String = row.get(0)?;
            let status: String = row.get(1)?;
            Ok((
                RequestId::parse(&id).map_err(|_| StoreError::corrupt("id", &id))?,
                Status::from_code(&status).ok_or_else(|| StoreError::corrupt("status", &status))?,
                serde_json::from_str(&row.get::<_, String>(2)?)?,
            ))
        })
    }

    fn dashboard_rows(&mut self, scope: &Scope) -> Result<Vec<DashboardRow>, StoreError> {
        let (scope, values) = scope_sql(scope, "office", "patronato");
        let sql = format!(
            "SELECT id, office, topic, priority, patronato, status, assignee, created_us, \
             history_json FROM requests WHERE {scope}"
        );
        all(self.tx, &sql, params_from_iter(values), dashboard_row)
    }

    fn aggregate_rows(
        &mut self,
        among: Option<&[RequestId]>,
    ) -> Result<Vec<AggregateRow>, StoreError> {
        let (condition, values) = match among {
            None => ("1 = 1", vec![]),
            Some(ids) => {
                let ids: Vec<&str> = ids.iter().map(RequestId::as_str).collect();
                (
                    "r.id IN (SELECT value FROM json_each(?))",
                    vec![Value::Text(serde_json::to_string(&ids)?)],
                )
            }
        };
        let sql = format!(
            "SELECT r.id, r.office, r.topic, r.priority, r.patronato, r.status, r.assignee, \
             r.created_us, r.history_json, r.updated_us, o.region, \
             CASE WHEN r.is_open = 1 THEN r.clocks_json ELSE '[]' END \
             FROM requests r LEFT JOIN offices o ON o.code = r.office WHERE {condition}"
        );
        all(self.tx, &sql, params_from_iter(values), |row| {
            Ok(AggregateRow {
                row: dashboard_row(row)?,
                updated_at: from_micros(row.get(9)?)?,
                region: row.get(10)?,
                clocks: serde_json::from_str(&row.get::<_, String>(11)?)?,
            })
        })
    }

    fn last_request_number(&mut self, year: i16) -> Result<Option<u32>, StoreError> {
        let last = one(
            self.tx,
            "SELECT id FROM requests WHERE id >= ?1 AND id < ?2 ORDER BY id DESC LIMIT 1",
            params![format!("CBP-{year:04}-"), format!("CBP-{year:04}.")],
            |r| Ok(r.get::<_, String>(0)?),
        )?;
        Ok(last
            .and_then(|id| RequestId::parse(&id).ok())
            .map(|id| id.number()))
    }

    fn citizen(&mut self, codice_fiscale: &str) -> Result<Option<Citizen>, StoreError> {
        one(
            self.tx,
            "SELECT codice_fiscale, surname, name, birth_date, birth_place, residence \
             FROM citizens WHERE codice_fiscale = ?1",
            [codice_fiscale],
            |r| {
                let cf: String = r.get(0)?;
                let birth: String = r.get(3)?;
                Ok(Citizen {
                    codice_fiscale: CodiceFiscale::parse(&cf)
                        .map_err(|_| StoreError::corrupt("codice fiscale", &cf))?,
                    surname: r.get(1)?,
                    name: r.get(2)?,
                    birth_date: birth
                        .parse()
                        .map_err(|_| StoreError::corrupt("birth date", &birth))?,
                    birth_place: r.get(4)?,
                    residence: r.get(5)?,
                })
            },
        )
    }

    fn citizen_name(&mut self, codice_fiscale: &str) -> Result<Option<String>, StoreError> {
        one(
            self.tx,
            "SELECT surname || ' ' || name FROM citizens WHERE codice_fiscale = ?1",
            [codice_fiscale],
            |r| Ok(r.get(0)?),
        )
    }

    fn mandates(
        &mut self,
        codice_fiscale: &str,
        patronato: Option<&str>,
    ) -> Result<Vec<Mandate>, StoreError> {
        all(
            self.tx,
            "SELECT id, citizen, patronato, valid_from, valid_until, revoked_at FROM mandates \
             WHERE citizen = ?1 AND (?2 IS NULL OR patronato = ?2) ORDER BY id",
            params![codice_fiscale, patronato],
            |r| {
                let bad = |what: &str| StoreError::corrupt("mandate", what);
                let cf: String = r.get(1)?;
                let from: String = r.get(3)?;
                let until: Option<String> = r.get(4)?;
                let revoked: Option<String> = r.get(5)?;
                Ok(Mandate {
                    id: r.get::<_, i64>(0)? as u64,
                    citizen: CodiceFiscale::parse(&cf).map_err(|_| bad("citizen"))?,
                    patronato: r.get(2)?,
                    valid_from: from.parse().map_err(|_| bad("valid_from"))?,
                    valid_until: until
                        .map(|u| u.parse())
                        .transpose()
                        .map_err(|_| bad("valid_until"))?,
                    revoked_at: revoked
                        .map(|t| t.parse())
                        .transpose()
                        .map_err(|_| bad("revoked_at"))?,
                })
            },
        )
    }

    fn applications(&mut self, codice_fiscale: &str) -> Result<Vec<Application>, StoreError> {
        all(
            self.tx,
            "SELECT json FROM applications WHERE citizen = ?1 ORDER BY protocol",
            [codice_fiscale],
            |r| Ok(serde_json::from_str(&r.get::<_, String>(0)?)?),
        )
    }

    fn event_bounds(&mut self) -> Result<EventBounds, StoreError> {
        let highest: Option<i64> = one(
            self.tx,
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| Ok(r.get(0)?),
        )?;
        let lowest: Option<i64> = self
            .tx
            .query_row("SELECT MIN(seq) FROM events", [], |r| r.get(0))?;
        Ok(EventBounds {
            lowest_kept: lowest.map(|s| s as u64),
            highest: highest.unwrap_or(0) as u64,
        })
    }

    fn events(
        &mut self,
        filter: &EventFilter,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let (scope, scope_values) = scope_sql(&filter.scope, "office", "patronato");
        let internal = if filter.include_internal {
            ""
        } else {
            " AND internal = 0"
        };
        let mut values = vec![Value::Integer(after as i64), Value::Integer(up_to as i64)];
        values.extend(scope_values);
        values.push(Value::Text(
            serde_json::to_string(&filter.broadcast_kinds).unwrap_or_else(|_| "[]".into()),
        ));
        values.push(Value::Integer(i64::from(limit)));
        let sql = format!(
            "SELECT seq, at, kind, request_id, office, data_json FROM events \
             WHERE seq > ? AND seq <= ? \
             AND ({scope} OR kind IN (SELECT value FROM json_each(?))){internal} \
             ORDER BY seq LIMIT ?"
        );
        all(self.tx, &sql, params_from_iter(values), envelope_of)
    }

    fn last_event_before(&mut self, before: &str) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = self.tx.query_row(
            // Seq and time grow together: walk from the oldest event to the first one kept.
            "SELECT COALESCE((SELECT seq - 1 FROM events WHERE at >= ?1 ORDER BY seq LIMIT 1), \
             (SELECT MAX(seq) FROM events))",
            [before],
            |r| r.get(0),
        )?;
        Ok(seq.map(|s| s as u64))
    }

    fn outbox(
        &mut self,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        all(
            self.tx,
            "SELECT e.seq, e.at, e.kind, e.request_id, e.office, e.data_json, e.patronato, \
             e.internal, o.region FROM events e LEFT JOIN offices o ON o.code = e.office \
             WHERE e.seq > ?1 AND e.seq <= ?2 ORDER BY e.seq LIMIT ?3",
            params![after as i64, up_to as i64, i64::from(limit)],
            |row| {
                Ok(OutboxEvent {
                    envelope: envelope_of(row)?,
                    patronato: row.get(6)?,
                    internal: row.get(7)?,
                    region: row.get(8)?,
                })
            },
        )
    }

    fn audit_after(&mut self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        all(
            self.tx,
            "SELECT seq, at, actor, role, action, target, remote_addr, prev_hash, hash \
             FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after as i64, i64::from(limit)],
            |row| {
                let role: String = row.get(3)?;
                Ok(AuditRecord {
                    seq: row.get::<_, i64>(0)? as u64,
                    at: row.get(1)?,
                    actor: row.get(2)?,
                    role: Role::from_code(&role)
                        .ok_or_else(|| StoreError::corrupt("role", &role))?,
                    action: row.get(4)?,
                    target: row.get(5)?,
                    remote_addr: row.get(6)?,
                    prev_hash: row.get(7)?,
                    hash: row.get(8)?,
                })
            },
        )
    }

    fn audit_head(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        one(
            self.tx,
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )
    }

    fn idempotency(
        &mut self,
        username: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        one(
            self.tx,
            "SELECT key, request_hash, status, body_json, created_at FROM idempotency \
             WHERE username = ?1 AND key = ?2",
            params![username, key],
            |r| {
                let created: String = r.get(4)?;
                Ok(IdempotencyRecord {
                    key: r.get(0)?,
                    request_hash: r.get(1)?,
                    status: r.get(2)?,
                    body: serde_json::from_str(&r.get::<_, String>(3)?)?,
                    created_at: created
                        .parse()
                        .map_err(|_| StoreError::corrupt("idempotency time", &created))?,
                })
            },
        )
    }

    fn raised_alerts(&mut self) -> Result<Vec<(ClockKey, AlertLevel)>, StoreError> {
        let rows = all(
            self.tx,
            "SELECT a.request_id, a.clock_kind, a.clock_started_us, a.level FROM sla_alerts a \
             JOIN requests r ON r.id = a.request_id WHERE r.is_open = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            },
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, kind, started, level) in rows {
            let (Ok(request_id), Some(kind), Some(level)) = (
                RequestId::parse(&id),
                ClockKind::ALL.into_iter().find(|k| k.code() == kind),
                AlertLevel::from_rank(level),
            ) else {
                continue;
            };
            out.push((
                ClockKey {
                    request_id,
                    kind,
                    started_at: from_micros(started)?,
                },
                level,
            ));
        }
        Ok(out)
    }

    fn table_rows(&mut self, table: &str, offset: u64, limit: u32) -> Result<RowPage, StoreError> {
        self.page(table, offset, limit)
    }

    fn count_rows(&mut self, table: &str) -> Result<u64, StoreError> {
        crate::service::store::checked_copy_order(table)?;
        let n: i64 = self
            .tx
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn appointments(
        &mut self,
        filter: &crate::service::store::AppointmentFilter,
    ) -> Result<Vec<crate::service::store::AppointmentRecord>, StoreError> {
        agenda::appointments(self, filter)
    }

    fn last_appointment_id(&mut self) -> Result<Option<i64>, StoreError> {
        agenda::last_appointment_id(self)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn begin_bulk_load(&mut self) -> Result<super::super::BulkLoad, StoreError> {
        let mut indexes = self.tx.prepare(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL",
        )?;
        let named: Vec<(String, String)> = indexes
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        drop(indexes);
        for (name, _) in &named {
            self.tx
                .execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        }
        Ok(super::super::BulkLoad {
            deferred: named.into_iter().map(|(_, sql)| sql).collect(),
        })
    }

    fn end_bulk_load(&mut self, load: super::super::BulkLoad) -> Result<(), StoreError> {
        for sql in &load.deferred {
            self.tx.execute_batch(sql)?;
        }
        Ok(())
    }

    fn save_request(&mut self, stored: &StoredRequest) -> Result<(), StoreError> {
        let r = &stored.request;
        let outcome = r.outcome.as_ref().map(code_of).transpose()?;
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO requests (id, patronato, office, topic, citizen, \
             application_protocol, subject, priority, status, is_open, assignee, tags_json, \
             outcome, created_us, updated_us, version, thread_json, history_json, \
             appointments_json, clocks_json) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
             ?18, ?19, ?20)",
            )?
            .execute(params![
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
            ])?;
        Ok(())
    }

    fn append_event(&mut self, event: &NewEvent) -> Result<u64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO events (at, kind, request_id, office, patronato, internal, \
                 data_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                event.at.to_string(),
                event.kind,
                event.request_id.as_ref().map(RequestId::as_str),
                event.office,
                event.patronato,
                event.internal,
                event.data.to_string(),
            ])?;
        Ok(self.tx.last_insert_rowid() as u64)
    }

    fn append_audit(&mut self, a: &AuditRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO audit (seq, at, actor, role, action, target, remote_addr, \
                 prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                a.seq as i64,
                a.at,
                a.actor,
                a.role.code(),
                a.action,
                a.target,
                a.remote_addr,
                a.prev_hash,
                a.hash
            ])?;
        Ok(())
    }

    fn put_idempotency(
        &mut self,
        username: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO idempotency (username, key, request_hash, status, body_json, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                username,
                record.key,
                record.request_hash,
                record.status,
                record.body.to_string(),
                record.created_at.to_string()
            ])?;
        Ok(())
    }

    fn insert_office(&mut self, office: &Office) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO offices (code, name, comune, province, region) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                office.code,
                office.name,
                office.comune,
                office.province,
                office.region
            ])?;
        Ok(())
    }

    fn insert_operator(&mut self, op: &Operator) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO operators (username, full_name, role, office, region, patronato) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                op.username,
                op.full_name,
                op.role.code(),
                op.office,
                op.region,
                op.patronato
            ])?;
        Ok(())
    }

    fn update_operator(&mut self, op: &Operator) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE operators SET full_name = ?2, role = ?3, office = ?4, region = ?5, \
                 patronato = ?6 WHERE username = ?1",
            )?
            .execute(params![
                op.username,
                op.full_name,
                op.role.code(),
                op.office,
                op.region,
                op.patronato
            ])?;
        Ok(changed > 0)
    }

    fn insert_citizen(&mut self, c: &Citizen) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO citizens (codice_fiscale, surname, name, birth_date, birth_place, \
                 residence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                c.codice_fiscale.as_str(),
                c.surname,
                c.name,
                c.birth_date.to_string(),
                c.birth_place,
                c.residence
            ])?;
        Ok(())
    }

    fn insert_mandate(&mut self, m: &Mandate) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO mandates (id, citizen, patronato, valid_from, valid_until, \
                 revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                m.id as i64,
                m.citizen.as_str(),
                m.patronato,
                m.valid_from.to_string(),
                m.valid_until.map(|d| d.to_string()),
                m.revoked_at.map(|t| t.to_string())
            ])?;
        Ok(())
    }

    fn insert_application(
        &mut self,
        codice_fiscale: &str,
        application: &Application,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO applications (protocol, citizen, json) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                application.protocol,
                codice_fiscale,
                serde_json::to_string(application)?
            ])?;
        Ok(())
    }

    fn insert_token(
        &mut self,
        hash: &str,
        username: &str,
        label: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO tokens (hash, username, label, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, username, label, now.to_string()],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn revoke_tokens(&mut self, target: &TokenTarget, now: Timestamp) -> Result<u64, StoreError> {
        let n = match target {
            TokenTarget::Id(id) => self.tx.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now.to_string(), id],
            )?,
            TokenTarget::Username(user) => self.tx.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE username = ?2 AND revoked_at IS NULL",
                params![now.to_string(), user],
            )?,
        };
        Ok(n as u64)
    }

    fn raise_alert(
        &mut self,
        clock: &ClockKey,
        level: AlertLevel,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self.tx.execute(
            "INSERT INTO sla_alerts (request_id, clock_kind, clock_started_us, level, raised_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (request_id, clock_kind, clock_started_us) DO UPDATE \
             SET level = excluded.level, raised_at = excluded.raised_at \
             WHERE excluded.level > sla_alerts.level",
            params![
                clock.request_id.as_str(),
                clock.kind.code(),
                micros(clock.started_at),
                level.rank(),
                now.to_string(),
            ],
        )?;
        Ok(changed > 0)
    }

    fn prune_idempotency(&mut self, before: &str) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM idempotency WHERE created_at < ?1", [before])? as u64)
    }

    fn prune_events(&mut self, up_to: u64) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM events WHERE seq <= ?1", [up_to as i64])? as u64)
    }

    fn insert_rows(&mut self, table: &str, page: &RowPage) -> Result<(), StoreError> {
        crate::service::store::checked_copy_order(table)?;
        let columns = page.columns.join(", ");
        let marks = vec!["?"; page.columns.len()].join(", ");
        let mut stmt = self
            .tx
            .prepare_cached(&format!("INSERT INTO {table} ({columns}) VALUES ({marks})"))?;
        for row in &page.rows {
            let values = row.iter().map(|cell| match cell {
                Cell::Null => Value::Null,
                Cell::Int(n) => Value::Integer(*n),
                Cell::Text(t) => Value::Text(t.clone()),
            });
            stmt.execute(params_from_iter(values))?;
        }
        Ok(())
    }

    fn finish_copy(&mut self, event_head: u64) -> Result<(), StoreError> {
        // AUTOINCREMENT keeps the highest seq in sqlite_sequence; pruned events may have been
        // above what was copied.
        self.tx.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'events', 0 \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')",
            [],
        )?;
        self.tx.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?1) WHERE name = 'events'",
            [event_head as i64],
        )?;
        Ok(())
    }

    fn save_appointment(
        &mut self,
        record: &crate::service::store::AppointmentRecord,
    ) -> Result<(), StoreError> {
        agenda::save_appointment(self, record)
    }
}

impl SqliteTx<'_> {
    pub(super) fn page(&self, table: &str, offset: u64, limit: u32) -> Result<RowPage, StoreError> {
        let order = crate::service::store::checked_copy_order(table)?;
        let mut stmt = self.tx.prepare(&format!(
            "SELECT * FROM {table} ORDER BY {order} LIMIT ?1 OFFSET ?2"
        ))?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let mut rows = stmt.query(params![i64::from(limit), offset as i64])?;
        let mut page = RowPage {
            columns,
            rows: Vec::new(),
        };
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(page.columns.len());
            for i in 0..page.columns.len() {
                cells.push(match row.get::<_, Value>(i)? {
                    Value::Null => Cell::Null,
                    Value::Integer(n) => Cell::Int(n),
                    Value::Text(t) => Cell::Text(t),
                    Value::Real(r) => Cell::Text(r.to_string()),
                    Value::Blob(_) => {
                        return Err(StoreError::corrupt("cell", &format!("blob in {table}")));
                    }
                });
            }
            page.rows.push(cells);
        }
        Ok(page)
    }
}
