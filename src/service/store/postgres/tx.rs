//! The port's transaction handles over a tokio-postgres transaction: SQL and row mapping only.
//! The core's functions are synchronous and run on a blocking thread; each statement is driven
//! to completion from there with the runtime's handle.

use jiff::Timestamp;
use tokio::runtime::Handle;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use crate::api::EventEnvelope;
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::mandate::{Application, Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::{Priority, Request, RequestId, Status, Topic};
use crate::domain::roles::{Operator, Role};
use crate::domain::sla::{AlertLevel, Clock, ClockKind};
use crate::service::store::{
    AggregateRow, AuditRecord, Cell, ClockKey, DashboardRow, EventBounds, EventFilter,
    IdempotencyRecord, NewEvent, OutboxEvent, ReadTx, RequestQuery, RowPage, Scope, StoreError,
    StoredRequest, SummaryRow, TokenTarget, WriteTx,
};

mod agenda;

pub fn db_error(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::Duplicate
    } else {
        StoreError::Database(e.to_string())
    }
}

type Param = Box<dyn ToSql + Sync + Send>;

/// An event from a row whose first columns are `seq, at, kind, request_id, office, data_json`.
fn envelope_of(row: &Row) -> Result<EventEnvelope, StoreError> {
    let at: String = get(row, 1)?;
    let request: Option<String> = get(row, 3)?;
    Ok(EventEnvelope {
        seq: get::<i64>(row, 0)? as u64,
        at: at
            .parse()
            .map_err(|_| StoreError::corrupt("event time", &at))?,
        kind: get(row, 2)?,
        request_id: request.and_then(|id| RequestId::parse(&id).ok()),
        office: get(row, 4)?,
        data: serde_json::from_str(&get::<String>(row, 5)?)?,
    })
}

/// A statement under construction: text with `$n` placeholders and their values.
#[derive(Default)]
struct Sql {
    params: Vec<Param>,
}

impl Sql {
    /// Adds a value; returns its placeholder.
    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// One PostgreSQL transaction lent to the core.
pub struct PgTx<'a> {
    /// A pooled connection inside an open transaction (a read snapshot, or a write batch's
    /// savepoint): its statements are prepared once per connection and cached.
    pub tx: &'a deadpool_postgres::ClientWrapper,
    pub rt: &'a Handle,
    /// Highest event seq appended in this transaction (announced with NOTIFY at commit).
    pub appended: Option<u64>,
}

impl PgTx<'_> {
    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.rt
            .block_on(async {
                let statement = self.tx.prepare_cached(sql).await?;
                self.tx.query(&statement, params).await
            })
            .map_err(db_error)
    }

    fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        self.rt
            .block_on(async {
                let statement = self.tx.prepare_cached(sql).await?;
                self.tx.query_opt(&statement, params).await
            })
            .map_err(db_error)
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.rt
            .block_on(async {
                let statement = self.tx.prepare_cached(sql).await?;
                self.tx.execute(&statement, params).await
            })
            .map_err(db_error)
    }
}

fn get<'r, T: tokio_postgres::types::FromSql<'r>>(
    row: &'r Row,
    idx: usize,
) -> Result<T, StoreError> {
    row.try_get(idx).map_err(db_error)
}

fn from_micros(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|_| StoreError::corrupt("timestamp", &us.to_string()))
}

fn scope_sql(sql: &mut Sql, scope: &Scope, office_col: &str, patronato_col: &str) -> String {
    let region = |sql: &mut Sql, r: &str| {
        format!(
            "{office_col} IN (SELECT code FROM offices WHERE region = {})",
            sql.bind(r.to_string())
        )
    };
    match scope {
        Scope::Everything => "TRUE".to_string(),
        Scope::Office(office) => format!("{office_col} = {}", sql.bind(office.clone())),
        Scope::Region(r) => region(sql, r),
        Scope::RegionOrOffice { region: r, office } => {
            let clause = region(sql, r);
            format!("({clause} OR {office_col} = {})", sql.bind(office.clone()))
        }
        Scope::Patronato(p) => format!("{patronato_col} = {}", sql.bind(p.clone())),
    }
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn query_sql(sql: &mut Sql, scope: &Scope, q: &RequestQuery) -> String {
    let mut conditions = vec![scope_sql(sql, scope, "r.office", "r.patronato")];
    if let Some(status) = q.status {
        conditions.push(format!(
            "r.status = {}",
            sql.bind(status.code().to_string())
        ));
    }
    if let Some(topic) = q.topic {
        conditions.push(format!("r.topic = {}", sql.bind(topic.code().to_string())));
    }
    if let Some(office) = &q.office {
        conditions.push(format!("r.office = {}", sql.bind(office.clone())));
    }
    if let Some(patronato) = &q.patronato {
        conditions.push(format!("r.patronato = {}", sql.bind(patronato.clone())));
    }
    if let Some(assignee) = &q.assignee {
        conditions.push(format!("r.assignee = {}", sql.bind(assignee.clone())));
    }
    if let Some(citizen) = &q.citizen {
        conditions.push(format!("r.citizen = {}", sql.bind(citizen.clone())));
    }
    if let Some(open) = q.open {
        conditions.push(format!("r.is_open = {}", sql.bind(open)));
    }
    if let Some(since) = q.updated_since {
        conditions.push(format!(
            "r.updated_us >= {}",
            sql.bind(since.as_microsecond())
        ));
    }
    if let Some(since) = q.open_or_updated_since {
        conditions.push(format!(
            "(r.is_open OR r.updated_us >= {})",
            sql.bind(since.as_microsecond())
        ));
    }
    if let Some(after) = q.changed_after {
        // A range of the events' primary key: proportional to what changed, not to the rows.
        conditions.push(format!(
            "r.id IN (SELECT e.request_id FROM events e WHERE e.seq > {} \
             AND e.request_id IS NOT NULL AND e.kind NOT LIKE 'sla.%')",
            sql.bind(i64::try_from(after).unwrap_or(i64::MAX))
        ));
    }
    if let Some(ids) = &q.among {
        let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_string()).collect();
        conditions.push(format!("r.id = ANY({})", sql.bind(ids)));
    }
    if let Some((created, id)) = &q.before {
        let us = created.as_microsecond();
        let (a, b, c) = (
            sql.bind(us),
            sql.bind(us),
            sql.bind(id.as_str().to_string()),
        );
        conditions.push(format!(
            "(r.created_us < {a} OR (r.created_us = {b} AND r.id < {c}))"
        ));
    }
    if q.unassigned {
        conditions.push("r.assignee IS NULL".to_string());
    }
    if let Some(text) = &q.text {
        let upper = like_pattern(&text.to_uppercase());
        let (a, b, c) = (
            sql.bind(upper.clone()),
            sql.bind(upper),
            sql.bind(like_pattern(text)),
        );
        conditions.push(format!(
            "(r.id ILIKE {a} OR r.citizen ILIKE {b} OR r.subject ILIKE {c})"
        ));
    }
    conditions.join(" AND ")
}

const SUMMARY_COLUMNS: &str = "r.id, r.patronato, r.office, r.topic, r.citizen, \
    c.surname || ' ' || c.name, r.subject, r.priority, r.status, r.assignee, r.tags_json, \
    r.created_us, r.updated_us, r.version, r.clocks_json";

fn request_id(text: &str) -> Result<RequestId, StoreError> {
    RequestId::parse(text).map_err(|_| StoreError::corrupt("id", text))
}

fn topic(text: &str) -> Result<Topic, StoreError> {
    Topic::from_code(text).ok_or_else(|| StoreError::corrupt("topic", text))
}

fn priority(text: &str) -> Result<Priority, StoreError> {
    Priority::from_code(text).ok_or_else(|| StoreError::corrupt("priority", text))
}

fn status(text: &str) -> Result<Status, StoreError> {
    Status::from_code(text).ok_or_else(|| StoreError::corrupt("status", text))
}

fn summary_from_row(row: &Row) -> Result<SummaryRow, StoreError> {
    Ok(SummaryRow {
        id: request_id(&get::<String>(row, 0)?)?,
        patronato: get(row, 1)?,
        office: get(row, 2)?,
        topic: topic(&get::<String>(row, 3)?)?,
        citizen: get(row, 4)?,
        citizen_name: get(row, 5)?,
        subject: get(row, 6)?,
        priority: priority(&get::<String>(row, 7)?)?,
        status: status(&get::<String>(row, 8)?)?,
        assignee: get(row, 9)?,
        tags: serde_json::from_str(&get::<String>(row, 10)?)?,
        created_at: from_micros(get(row, 11)?)?,
        updated_at: from_micros(get(row, 12)?)?,
        version: get::<i64>(row, 13)? as u64,
        clocks: serde_json::from_str(&get::<String>(row, 14)?)?,
    })
}

fn operator_from_row(row: &Row) -> Result<Operator, StoreError> {
    let role: String = get(row, 2)?;
    Ok(Operator {
        username: get(row, 0)?,
        full_name: get(row, 1)?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::corrupt("role", &role))?,
        office: get(row, 3)?,
        region: get(row, 4)?,
        patronato: get(row, 5)?,
    })
}

fn code_of<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(match serde_json::to_value(value)? {
        serde_json::Value::String(code) => code,
        other => other.to_string(),
    })
}

impl ReadTx for PgTx<'_> {
    fn operator_by_token_hash(&mut self, hash: &str) -> Result<Option<Operator>, StoreError> {
        self.query_opt(
            "SELECT o.username, o.full_name, o.role, o.office, o.region, o.patronato \
             FROM tokens t JOIN operators o ON o.username = t.username \
             WHERE t.hash = $1 AND t.revoked_at IS NULL",
            &[&hash],
        )?
        .map(|row| operator_from_row(&row))
        .transpose()
    }

    fn operator(&mut self, username: &str) -> Result<Option<Operator>, StoreError> {
        self.query_opt(
            "SELECT username, full_name, role, office, region, patronato FROM operators \
             WHERE username = $1",
            &[&username],
        )?
        .map(|row| operator_from_row(&row))
        .transpose()
    }

    fn operators_of_office(
        &mut self,
        scope: &Scope,
        office: &str,
    ) -> Result<Vec<Operator>, StoreError> {
        let mut sql = Sql::default();
        let office = sql.bind(office.to_string());
        let scope = scope_sql(&mut sql, scope, "office", "patronato");
        let text = format!(
            "SELECT username, full_name, role, office, region, patronato FROM operators \
             WHERE office = {office} AND {scope} ORDER BY username"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(operator_from_row)
            .collect()
    }

    fn office_exists(&mut self, code: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_opt("SELECT 1 FROM offices WHERE code = $1", &[&code])?
            .is_some())
    }

    fn is_empty(&mut self) -> Result<bool, StoreError> {
        let row = self.query_opt(
            "SELECT (SELECT COUNT(*) FROM offices) + (SELECT COUNT(*) FROM operators)",
            &[],
        )?;
        Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0) == 0)
    }

    fn load_request(
        &mut self,
        scope: &Scope,
        id: &RequestId,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let mut sql = Sql::default();
        let id_param = sql.bind(id.as_str().to_string());
        let scope = scope_sql(&mut sql, scope, "office", "patronato");
        let text = format!(
            "SELECT id, patronato, office, topic, citizen, application_protocol, subject, \
             priority, status, assignee, tags_json, outcome, created_us, updated_us, version, \
             thread_json, history_json, appointments_json, clocks_json FROM requests \
             WHERE id = {id_param} AND {scope}"
        );
        let Some(row) = self.query_opt(&text, &sql.refs())? else {
            return Ok(None);
        };
        let citizen: String = get(&row, 4)?;
        let outcome: Option<String> = get(&row, 11)?;
        let outcome = match outcome {
            Some(code) => Some(serde_json::from_value(serde_json::Value::String(code))?),
            None => None,
        };
        Ok(Some(StoredRequest {
            request: Request {
                id: request_id(&get::<String>(&row, 0)?)?,
                patronato: get(&row, 1)?,
                office: get(&row, 2)?,
                topic: topic(&get::<String>(&row, 3)?)?,
                citizen: CodiceFiscale::parse(&citizen)
                    .map_err(|_| StoreError::corrupt("citizen", &citizen))?,
                application_protocol: get(&row, 5)?,
                subject: get(&row, 6)?,
                priority: priority(&get::<String>(&row, 7)?)?,
                status: status(&get::<String>(&row, 8)?)?,
                assignee: get(&row, 9)?,
                tags: serde_json::from_str(&get::<String>(&row, 10)?)?,
                outcome,
                created_at: from_micros(get(&row, 12)?)?,
                updated_at: from_micros(get(&row, 13)?)?,
                version: get::<i64>(&row, 14)? as u64,
                thread: serde_json::from_str(&get::<String>(&row, 15)?)?,
                history: serde_json::from_str(&get::<String>(&row, 16)?)?,
            },
            appointments: serde_json::from_str(&get::<String>(&row, 17)?)?,
            clocks: serde_json::from_str(&get::<String>(&row, 18)?)?,
        }))
    }

    fn list_requests(
        &mut self,
        scope: &Scope,
        query: &RequestQuery,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let mut sql = Sql::default();
        let clause = query_sql(&mut sql, scope, query);
        let limit = match query.limit {
            Some(limit) => format!(" LIMIT {}", sql.bind(i64::from(limit))),
            None => String::new(),
        };
        let text = format!(
            "SELECT {SUMMARY_COLUMNS} FROM requests r \
             LEFT JOIN citizens c ON c.codice_fiscale = r.citizen \
             WHERE {clause} ORDER BY r.created_us DESC, r.id DESC{limit}"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    fn count_requests(&mut self, scope: &Scope, query: &RequestQuery) -> Result<u64, StoreError> {
        let mut sql = Sql::default();
        let clause = query_sql(&mut sql, scope, query);
        let text = format!("SELECT COUNT(*) FROM requests r WHERE {clause}");
        let row = self.query_opt(&text, &sql.refs())?;
        Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0) as u64)
    }

    fn open_clocks(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(RequestId, Status, Vec<Clock>)>, StoreError> {
        let mut sql = Sql::default();
        let scope = scope_sql(&mut sql, scope, "r.office", "r.patronato");
        let text = format!(
            "SELECT r.id, r.status, r.clocks_json FROM requests r \
             WHERE {scope} AND r.is_open AND r.clocks_json <> '[]'"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(|row| {
                Ok((
                    request_id(&get::<String>(row, 0)?)?,
                    status(&get::<String>(row, 1)?)?,
                    serde_json::from_str(&get::<String>(row, 2)?)?,
                ))
            })
            .collect()
    }

    fn dashboard_rows(&mut self, scope: &Scope) -> Result<Vec<DashboardRow>, StoreError> {
        let mut sql = Sql::default();
        let scope = scope_sql(&mut sql, scope, "office", "patronato");
        let text = format!(
            "SELECT id, office, topic, priority, patronato, status, assignee, created_us, \
             history_json FROM requests WHERE {scope}"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(dashboard_row)
            .collect()
    }

    fn aggregate_rows(
        &mut self,
        among: Option<&[RequestId]>,
    ) -> Result<Vec<AggregateRow>, StoreError> {
        let mut sql = Sql::default();
        let condition = match among {
            None => "TRUE".to_string(),
            Some(ids) => {
                let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_string()).collect();
                format!("r.id = ANY({})", sql.bind(ids))
            }
        };
        let text = format!(
            "SELECT r.id, r.office, r.topic, r.priority, r.patronato, r.status, r.assignee, \
             r.created_us, r.history_json, r.updated_us, o.region, \
             CASE WHEN r.is_open THEN r.clocks_json ELSE '[]' END \
             FROM requests r LEFT JOIN offices o ON o.code = r.office WHERE {condition}"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(|row| {
                Ok(AggregateRow {
                    row: dashboard_row(row)?,
                    updated_at: from_micros(get(row, 9)?)?,
                    region: get(row, 10)?,
                    clocks: serde_json::from_str(&get::<String>(row, 11)?)?,
                })
            })
            .collect()
    }

    fn last_request_number(&mut self, year: i16) -> Result<Option<u32>, StoreError> {
        let row = self.query_opt(
            "SELECT id FROM requests WHERE id >= $1 AND id < $2 ORDER BY id DESC LIMIT 1",
            &[&format!("CBP-{year:04}-"), &format!("CBP-{year:04}.")],
        )?;
        Ok(row
            .map(|r| get::<String>(&r, 0))
            .transpose()?
            .and_then(|id| RequestId::parse(&id).ok())
            .map(|id| id.number()))
    }

    fn citizen(&mut self, codice_fiscale: &str) -> Result<Option<Citizen>, StoreError> {
        let Some(r) = self.query_opt(
            "SELECT codice_fiscale, surname, name, birth_date, birth_place, residence \
             FROM citizens WHERE codice_fiscale = $1",
            &[&codice_fiscale],
        )?
        else {
            return Ok(None);
        };
        let cf: String = get(&r, 0)?;
        let birth: String = get(&r, 3)?;
        Ok(Some(Citizen {
            codice_fiscale: CodiceFiscale::parse(&cf)
                .map_err(|_| StoreError::corrupt("codice fiscale", &cf))?,
            surname: get(&r, 1)?,
            name: get(&r, 2)?,
            birth_date: birth
                .parse()
                .map_err(|_| StoreError::corrupt("birth date", &birth))?,
            birth_place: get(&r, 4)?,
            residence: get(&r, 5)?,
        }))
    }

    fn citizen_name(&mut self, codice_fiscale: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(
            "SELECT surname || ' ' || name FROM citizens WHERE codice_fiscale = $1",
            &[&codice_fiscale],
        )?
        .map(|r| get(&r, 0))
        .transpose()
    }

    fn mandates(
        &mut self,
        codice_fiscale: &str,
        patronato: Option<&str>,
    ) -> Result<Vec<Mandate>, StoreError> {
        self.query(
            "SELECT id, citizen, patronato, valid_from, valid_until, revoked_at FROM mandates \
             WHERE citizen = $1 AND ($2::TEXT IS NULL OR patronato = $2) ORDER BY id",
            &[&codice_fiscale, &patronato],
        )?
        .iter()
        .map(|r| {
            let bad = |what: &str| StoreError::corrupt("mandate", what);
            let cf: String = get(r, 1)?;
            let from: String = get(r, 3)?;
            let until: Option<String> = get(r, 4)?;
            let revoked: Option<String> = get(r, 5)?;
            Ok(Mandate {
                id: get::<i64>(r, 0)? as u64,
                citizen: CodiceFiscale::parse(&cf).map_err(|_| bad("citizen"))?,
                patronato: get(r, 2)?,
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
        })
        .collect()
    }

    fn applications(&mut self, codice_fiscale: &str) -> Result<Vec<Application>, StoreError> {
        self.query(
            "SELECT json FROM applications WHERE citizen = $1 ORDER BY protocol",
            &[&codice_fiscale],
        )?
        .iter()
        .map(|r| Ok(serde_json::from_str(&get::<String>(r, 0)?)?))
        .collect()
    }

    fn event_bounds(&mut self) -> Result<EventBounds, StoreError> {
        let row = self.query_opt(
            "SELECT (SELECT highest FROM outbox_head), (SELECT MIN(seq) FROM events)",
            &[],
        )?;
        let (highest, lowest): (Option<i64>, Option<i64>) = match row {
            Some(r) => (get(&r, 0)?, get(&r, 1)?),
            None => (None, None),
        };
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
        let mut sql = Sql::default();
        let (a, b) = (sql.bind(after as i64), sql.bind(up_to as i64));
        let scope = scope_sql(&mut sql, &filter.scope, "office", "patronato");
        let kinds = sql.bind(filter.broadcast_kinds.clone());
        let internal = if filter.include_internal {
            ""
        } else {
            " AND NOT internal"
        };
        let limit = sql.bind(i64::from(limit));
        let text = format!(
            "SELECT seq, at, kind, request_id, office, data_json FROM events \
             WHERE seq > {a} AND seq <= {b} AND ({scope} OR kind = ANY({kinds})){internal} \
             ORDER BY seq LIMIT {limit}"
        );
        self.query(&text, &sql.refs())?
            .iter()
            .map(envelope_of)
            .collect()
    }

    fn last_event_before(&mut self, before: &str) -> Result<Option<u64>, StoreError> {
        // Seq and time grow together: walk from the oldest event to the first one kept.
        let row = self.query_opt(
            "SELECT COALESCE((SELECT seq - 1 FROM events WHERE at >= $1 ORDER BY seq LIMIT 1), \
             (SELECT MAX(seq) FROM events))",
            &[&before],
        )?;
        let seq: Option<i64> = match row {
            Some(r) => get(&r, 0)?,
            None => None,
        };
        Ok(seq.map(|s| s as u64))
    }

    fn outbox(
        &mut self,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        self.query(
            "SELECT e.seq, e.at, e.kind, e.request_id, e.office, e.data_json, e.patronato, \
             e.internal, o.region FROM events e LEFT JOIN offices o ON o.code = e.office \
             WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq LIMIT $3",
            &[&(after as i64), &(up_to as i64), &i64::from(limit)],
        )?
        .iter()
        .map(|row| {
            Ok(OutboxEvent {
                envelope: envelope_of(row)?,
                patronato: get(row, 6)?,
                internal: get(row, 7)?,
                region: get(row, 8)?,
            })
        })
        .collect()
    }

    fn audit_after(&mut self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        self.query(
            "SELECT seq, at, actor, role, action, target, remote_addr, prev_hash, hash \
             FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&(after as i64), &i64::from(limit)],
        )?
        .iter()
        .map(|row| {
            let role: String = get(row, 3)?;
            Ok(AuditRecord {
                seq: get::<i64>(row, 0)? as u64,
                at: get(row, 1)?,
                actor: get(row, 2)?,
                role: Role::from_code(&role).ok_or_else(|| StoreError::corrupt("role", &role))?,
                action: get(row, 4)?,
                target: get(row, 5)?,
                remote_addr: get(row, 6)?,
                prev_hash: get(row, 7)?,
                hash: get(row, 8)?,
            })
        })
        .collect()
    }

    fn audit_head(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        self.query_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])?
            .map(|r| Ok((get::<i64>(&r, 0)? as u64, get(&r, 1)?)))
            .transpose()
    }

    fn idempotency(
        &mut self,
        username: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(r) = self.query_opt(
            "SELECT key, request_hash, status, body_json, created_at FROM idempotency \
             WHERE username = $1 AND key = $2",
            &[&username, &key],
        )?
        else {
            return Ok(None);
        };
        let created: String = get(&r, 4)?;
        Ok(Some(IdempotencyRecord {
            key: get(&r, 0)?,
            request_hash: get(&r, 1)?,
            status: u16::try_from(get::<i32>(&r, 2)?)
                .map_err(|_| StoreError::corrupt("idempotency status", "out of range"))?,
            body: serde_json::from_str(&get::<String>(&r, 3)?)?,
            created_at: created
                .parse()
                .map_err(|_| StoreError::corrupt("idempotency time", &created))?,
        }))
    }

    fn raised_alerts(&mut self) -> Result<Vec<(ClockKey, AlertLevel)>, StoreError> {
        let rows = self.query(
            "SELECT a.request_id, a.clock_kind, a.clock_started_us, a.level FROM sla_alerts a \
             JOIN requests r ON r.id = a.request_id WHERE r.is_open",
            &[],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = get(row, 0)?;
            let kind: String = get(row, 1)?;
            let (Ok(request_id), Some(kind), Some(level)) = (
                RequestId::parse(&id),
                ClockKind::ALL.into_iter().find(|k| k.code() == kind),
                AlertLevel::from_rank(i64::from(get::<i32>(row, 3)?)),
            ) else {
                continue;
            };
            out.push((
                ClockKey {
                    request_id,
                    kind,
                    started_at: from_micros(get(row, 2)?)?,
                },
                level,
            ));
        }
        Ok(out)
    }

    fn table_rows(&mut self, table: &str, offset: u64, limit: u32) -> Result<RowPage, StoreError> {
        let order = crate::service::store::checked_copy_order(table)?;
        let statement = self
            .rt
            .block_on(self.tx.prepare_cached(&format!(
                "SELECT * FROM {table} ORDER BY {order} LIMIT $1 OFFSET $2"
            )))
            .map_err(db_error)?;
        let columns: Vec<String> = statement
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let rows = self
            .rt
            .block_on(
                self.tx
                    .query(&statement, &[&i64::from(limit), &(offset as i64)]),
            )
            .map_err(db_error)?;
        let mut page = RowPage {
            columns,
            rows: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            let mut cells = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let cell = if *ty == Type::BOOL {
                    get::<Option<bool>>(row, i)?.map(|b| Cell::Int(i64::from(b)))
                } else if *ty == Type::INT8 {
                    get::<Option<i64>>(row, i)?.map(Cell::Int)
                } else if *ty == Type::INT4 {
                    get::<Option<i32>>(row, i)?.map(|n| Cell::Int(i64::from(n)))
                } else {
                    get::<Option<String>>(row, i)?.map(Cell::Text)
                };
                cells.push(cell.unwrap_or(Cell::Null));
            }
            page.rows.push(cells);
        }
        Ok(page)
    }

    fn count_rows(&mut self, table: &str) -> Result<u64, StoreError> {
        crate::service::store::checked_copy_order(table)?;
        let row = self.query_opt(&format!("SELECT COUNT(*) FROM {table}"), &[])?;
        Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0) as u64)
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

/// A copied cell as the value a column of type `ty` takes.
fn cell_param(cell: &Cell, ty: &Type) -> Result<Param, StoreError> {
    let mismatch = || StoreError::corrupt("copied cell", &format!("{cell:?} for a {ty} column"));
    Ok(match (cell, ty) {
        (Cell::Null, t) if *t == Type::BOOL => Box::new(None::<bool>),
        (Cell::Null, t) if *t == Type::INT8 => Box::new(None::<i64>),
        (Cell::Null, t) if *t == Type::INT4 => Box::new(None::<i32>),
        (Cell::Null, _) => Box::new(None::<String>),
        (Cell::Int(n), t) if *t == Type::BOOL => Box::new(*n != 0),
        (Cell::Int(n), t) if *t == Type::INT8 => Box::new(*n),
        (Cell::Int(n), t) if *t == Type::INT4 => {
            Box::new(i32::try_from(*n).map_err(|_| mismatch())?)
        }
        (Cell::Text(text), t) if *t == Type::TEXT => Box::new(text.clone()),
        _ => return Err(mismatch()),
    })
}

impl WriteTx for PgTx<'_> {
    fn save_request(&mut self, stored: &StoredRequest) -> Result<(), StoreError> {
        let r = &stored.request;
        let outcome = r.outcome.as_ref().map(code_of).transpose()?;
        let tags = serde_json::to_string(&r.tags)?;
        let thread = serde_json::to_string(&r.thread)?;
        let history = serde_json::to_string(&r.history)?;
        let appointments = serde_json::to_string(&stored.appointments)?;
        let clocks = serde_json::to_string(&stored.clocks)?;
        self.execute(
            "INSERT INTO requests (id, patronato, office, topic, citizen, application_protocol, \
             subject, priority, status, is_open, assignee, tags_json, outcome, created_us, \
             updated_us, version, thread_json, history_json, appointments_json, clocks_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20) \
             ON CONFLICT (id) DO UPDATE SET patronato = EXCLUDED.patronato, \
             office = EXCLUDED.office, topic = EXCLUDED.topic, citizen = EXCLUDED.citizen, \
             application_protocol = EXCLUDED.application_protocol, subject = EXCLUDED.subject, \
             priority = EXCLUDED.priority, status = EXCLUDED.status, is_open = EXCLUDED.is_open, \
             assignee = EXCLUDED.assignee, tags_json = EXCLUDED.tags_json, \
             outcome = EXCLUDED.outcome, created_us = EXCLUDED.created_us, \
             updated_us = EXCLUDED.updated_us, version = EXCLUDED.version, \
             thread_json = EXCLUDED.thread_json, history_json = EXCLUDED.history_json, \
             appointments_json = EXCLUDED.appointments_json, clocks_json = EXCLUDED.clocks_json",
            &[
                &r.id.as_str(),
                &r.patronato,
                &r.office,
                &r.topic.code(),
                &r.citizen.as_str(),
                &r.application_protocol,
                &r.subject,
                &r.priority.code(),
                &r.status.code(),
                &r.status.is_open(),
                &r.assignee,
                &tags,
                &outcome,
                &r.created_at.as_microsecond(),
                &r.updated_at.as_microsecond(),
                &(r.version as i64),
                &thread,
                &history,
                &appointments,
                &clocks,
            ],
        )?;
        Ok(())
    }

    fn append_event(&mut self, event: &NewEvent) -> Result<u64, StoreError> {
        // The head row is updated under the store's write lock: positions follow commit order.
        let row = self.query_opt(
            "UPDATE outbox_head SET highest = highest + 1 RETURNING highest",
            &[],
        )?;
        let seq: i64 = match row {
            Some(r) => get(&r, 0)?,
            None => return Err(StoreError::Migration("outbox_head has no row".into())),
        };
        self.execute(
            "INSERT INTO events (seq, at, kind, request_id, office, patronato, internal, \
             data_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &seq,
                &event.at.to_string(),
                &event.kind,
                &event.request_id.as_ref().map(RequestId::as_str),
                &event.office,
                &event.patronato,
                &event.internal,
                &event.data.to_string(),
            ],
        )?;
        self.appended = Some(seq as u64);
        Ok(seq as u64)
    }

    fn append_audit(&mut self, a: &AuditRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO audit (seq, at, actor, role, action, target, remote_addr, prev_hash, \
             hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &(a.seq as i64),
                &a.at,
                &a.actor,
                &a.role.code(),
                &a.action,
                &a.target,
                &a.remote_addr,
                &a.prev_hash,
                &a.hash,
            ],
        )?;
        Ok(())
    }

    fn put_idempotency(
        &mut self,
        username: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO idempotency (username, key, request_hash, status, body_json, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &username,
                &record.key,
                &record.request_hash,
                &i32::from(record.status),
                &record.body.to_string(),
                &record.created_at.to_string(),
            ],
        )?;
        Ok(())
    }

    fn insert_office(&mut self, office: &Office) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO offices (code, name, comune, province, region) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &office.code,
                &office.name,
                &office.comune,
                &office.province,
                &office.region,
            ],
        )?;
        Ok(())
    }

    fn insert_operator(&mut self, op: &Operator) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO operators (username, full_name, role, office, region, patronato) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &op.username,
                &op.full_name,
                &op.role.code(),
                &op.office,
                &op.region,
                &op.patronato,
            ],
        )?;
        Ok(())
    }

    fn update_operator(&mut self, op: &Operator) -> Result<bool, StoreError> {
        let changed = self.execute(
            "UPDATE operators SET full_name = $2, role = $3, office = $4, region = $5, \
             patronato = $6 WHERE username = $1",
            &[
                &op.username,
                &op.full_name,
                &op.role.code(),
                &op.office,
                &op.region,
                &op.patronato,
            ],
        )?;
        Ok(changed > 0)
    }

    fn insert_citizen(&mut self, c: &Citizen) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO citizens (codice_fiscale, surname, name, birth_date, birth_place, \
             residence) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &c.codice_fiscale.as_str(),
                &c.surname,
                &c.name,
                &c.birth_date.to_string(),
                &c.birth_place,
                &c.residence,
            ],
        )?;
        Ok(())
    }

    fn insert_mandate(&mut self, m: &Mandate) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO mandates (id, citizen, patronato, valid_from, valid_until, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &(m.id as i64),
                &m.citizen.as_str(),
                &m.patronato,
                &m.valid_from.to_string(),
                &m.valid_until.map(|d| d.to_string()),
                &m.revoked_at.map(|t| t.to_string()),
            ],
        )?;
        Ok(())
    }

    fn insert_application(
        &mut self,
        codice_fiscale: &str,
        application: &Application,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO applications (protocol, citizen, json) VALUES ($1, $2, $3)",
            &[
                &application.protocol,
                &codice_fiscale,
                &serde_json::to_string(application)?,
            ],
        )?;
        Ok(())
    }

    fn insert_token(
        &mut self,
        hash: &str,
        username: &str,
        label: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let row = self.query_opt(
            "INSERT INTO tokens (hash, username, label, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            &[&hash, &username, &label, &now.to_string()],
        )?;
        match row {
            Some(r) => get(&r, 0),
            None => Err(StoreError::Database("token insert returned no id".into())),
        }
    }

    fn revoke_tokens(&mut self, target: &TokenTarget, now: Timestamp) -> Result<u64, StoreError> {
        let now = now.to_string();
        match target {
            TokenTarget::Id(id) => self.execute(
                "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[&now, id],
            ),
            TokenTarget::Username(user) => self.execute(
                "UPDATE tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL",
                &[&now, user],
            ),
        }
    }

    fn raise_alert(
        &mut self,
        clock: &ClockKey,
        level: AlertLevel,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self.execute(
            "INSERT INTO sla_alerts (request_id, clock_kind, clock_started_us, level, raised_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (request_id, clock_kind, clock_started_us) DO UPDATE \
             SET level = EXCLUDED.level, raised_at = EXCLUDED.raised_at \
             WHERE EXCLUDED.level > sla_alerts.level",
            &[
                &clock.request_id.as_str(),
                &clock.kind.code(),
                &clock.started_at.as_microsecond(),
                &(level.rank() as i32),
                &now.to_string(),
            ],
        )?;
        Ok(changed > 0)
    }

    fn prune_idempotency(&mut self, before: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM idempotency WHERE created_at < $1", &[&before])
    }

    fn prune_events(&mut self, up_to: u64) -> Result<u64, StoreError> {
        self.execute("DELETE FROM events WHERE seq <= $1", &[&(up_to as i64)])
    }

    fn insert_rows(&mut self, table: &str, page: &RowPage) -> Result<(), StoreError> {
        crate::service::store::checked_copy_order(table)?;
        let columns = page.columns.join(", ");
        let marks: Vec<String> = (1..=page.columns.len()).map(|i| format!("${i}")).collect();
        let statement = self
            .rt
            .block_on(self.tx.prepare_cached(&format!(
                "INSERT INTO {table} ({columns}) VALUES ({})",
                marks.join(", ")
            )))
            .map_err(db_error)?;
        for row in &page.rows {
            let params = row
                .iter()
                .zip(statement.params())
                .map(|(cell, ty)| cell_param(cell, ty))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            self.rt
                .block_on(self.tx.execute(&statement, &refs))
                .map_err(db_error)?;
        }
        Ok(())
    }

    fn finish_copy(&mut self, event_head: u64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE outbox_head SET highest = GREATEST(highest, $1, \
             (SELECT COALESCE(MAX(seq), 0) FROM events))",
            &[&(event_head as i64)],
        )?;
        self.execute(
            "SELECT setval(pg_get_serial_sequence('tokens', 'id'), \
             GREATEST((SELECT MAX(id) FROM tokens), 1), (SELECT MAX(id) FROM tokens) IS NOT NULL)",
            &[],
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

/// The first nine columns `id, office, topic, priority, patronato, status, assignee,
/// created_us, history_json` of a request row.
fn dashboard_row(row: &Row) -> Result<DashboardRow, StoreError> {
    Ok(DashboardRow {
        id: request_id(&get::<String>(row, 0)?)?,
        office: get(row, 1)?,
        topic: topic(&get::<String>(row, 2)?)?,
        priority: priority(&get::<String>(row, 3)?)?,
        patronato: get(row, 4)?,
        status: status(&get::<String>(row, 5)?)?,
        assignee: get(row, 6)?,
        created_at: from_micros(get(row, 7)?)?,
        history: serde_json::from_str(&get::<String>(row, 8)?)?,
    })
}
