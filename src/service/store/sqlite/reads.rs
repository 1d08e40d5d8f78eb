//! Request lists (filters + keyset pagination), queue counts, dossiers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params_from_iter};

use super::journal;
use super::rows::{self, SUMMARY_COLUMNS, scope_clause};
use crate::api::{Dossier, MandateView, Page, QueueCount, RequestFilter, RequestSummary};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::mandate::{Application, Citizen, Mandate, MandateState};
use crate::domain::request::{Status, Topic};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::StoreError;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 500;

/// Queue ids offered by `GET /v1/queues` besides `topic:<code>`.
pub const QUEUE_MINE: &str = "mine";
pub const QUEUE_UNASSIGNED: &str = "unassigned";
pub const QUEUE_AWAITING: &str = "awaiting_integration";
pub const QUEUE_AT_RISK: &str = "at_risk";
pub const QUEUE_BREACHED: &str = "breached";
pub const QUEUE_CLOSED_TODAY: &str = "closed_today";

fn encode_cursor(created_us: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{created_us}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || StoreError::invalid("cursor", "cursor is not one this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (us, id) = text.split_once('|').ok_or_else(bad)?;
    Ok((us.parse().map_err(|_| bad())?, id.to_string()))
}

/// Start of today (Europe/Rome) in microseconds.
fn start_of_today_us(now: Timestamp) -> i64 {
    let tz = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    now.to_zoned(tz)
        .start_of_day()
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or_else(|_| now.as_microsecond())
}

/// SQL condition of a queue id (`None` for queues that are empty until SLA data exists).
fn queue_clause(
    queue: &str,
    who: &Operator,
    now: Timestamp,
) -> Result<Option<(String, Vec<Value>)>, StoreError> {
    let clause = match queue {
        QUEUE_MINE => (
            "r.is_open = 1 AND r.assignee = ?".to_string(),
            vec![Value::Text(who.username.clone())],
        ),
        QUEUE_UNASSIGNED => ("r.is_open = 1 AND r.assignee IS NULL".to_string(), vec![]),
        QUEUE_AWAITING => (
            "r.status = ?".to_string(),
            vec![Value::Text(Status::InAttesaIntegrazione.code().into())],
        ),
        QUEUE_CLOSED_TODAY => (
            "r.status = ? AND r.updated_us >= ?".to_string(),
            vec![
                Value::Text(Status::Chiusa.code().into()),
                Value::Integer(start_of_today_us(now)),
            ],
        ),
        QUEUE_AT_RISK | QUEUE_BREACHED => return Ok(None),
        other => {
            let topic = other
                .strip_prefix("topic:")
                .and_then(Topic::from_code)
                .ok_or_else(|| StoreError::invalid("queue", format!("unknown queue {other:?}")))?;
            (
                "r.is_open = 1 AND r.topic = ?".to_string(),
                vec![Value::Text(topic.code().into())],
            )
        }
    };
    Ok(Some(clause))
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn list_requests(
    tx: &Transaction<'_>,
    who: &Operator,
    filter: &RequestFilter,
    now: Timestamp,
    sla: &Sla,
) -> Result<Page<RequestSummary>, StoreError> {
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(StoreError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let (scope, mut values) = scope_clause(who, "r.office", "r.patronato");
    let mut conditions = vec![scope];
    let mut push = |clause: &str, value: Value, conditions: &mut Vec<String>| {
        conditions.push(clause.to_string());
        values.push(value);
    };
    if let Some(status) = filter.status {
        push(
            "r.status = ?",
            Value::Text(status.code().into()),
            &mut conditions,
        );
    }
    if let Some(topic) = filter.topic {
        push(
            "r.topic = ?",
            Value::Text(topic.code().into()),
            &mut conditions,
        );
    }
    if let Some(office) = &filter.office {
        push("r.office = ?", Value::Text(office.clone()), &mut conditions);
    }
    if let Some(patronato) = &filter.patronato {
        push(
            "r.patronato = ?",
            Value::Text(patronato.clone()),
            &mut conditions,
        );
    }
    if let Some(assignee) = &filter.assignee {
        push(
            "r.assignee = ?",
            Value::Text(assignee.clone()),
            &mut conditions,
        );
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = Value::Text(like_pattern(&q.to_uppercase()));
        let subject = Value::Text(like_pattern(q));
        conditions.push(
            "(r.id LIKE ? ESCAPE '\\' OR r.citizen LIKE ? ESCAPE '\\' \
             OR r.subject LIKE ? ESCAPE '\\')"
                .to_string(),
        );
        values.extend([pattern.clone(), pattern, subject]);
    }
    if let Some(queue) = &filter.queue {
        match queue_clause(queue, who, now)? {
            Some((clause, queue_values)) => {
                conditions.push(clause);
                values.extend(queue_values);
            }
            None => {
                return Ok(Page {
                    items: vec![],
                    next_cursor: None,
                });
            }
        }
    }
    if let Some(cursor) = &filter.cursor {
        let (us, id) = decode_cursor(cursor)?;
        conditions.push("(r.created_us < ? OR (r.created_us = ? AND r.id < ?))".to_string());
        values.extend([Value::Integer(us), Value::Integer(us), Value::Text(id)]);
    }
    values.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM requests r \
         LEFT JOIN citizens c ON c.codice_fiscale = r.citizen \
         WHERE {} ORDER BY r.created_us DESC, r.id DESC LIMIT ?",
        conditions.join(" AND ")
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(rows::summary_from_row(row, sla)?);
    }
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items
            .last()
            .map(|last| encode_cursor(rows::micros(last.created_at), last.id.as_str()))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Requests in `scope` matching `clause`, restricted to the rowids in `among` (a JSON array)
/// when given.
fn count(
    tx: &Transaction<'_>,
    scope: &(String, Vec<Value>),
    clause: &(String, Vec<Value>),
    among: Option<&str>,
) -> Result<u64, StoreError> {
    let mut sql = format!(
        "SELECT COUNT(*) FROM requests r WHERE {} AND {}",
        scope.0, clause.0
    );
    let mut values: Vec<Value> = scope.1.iter().chain(clause.1.iter()).cloned().collect();
    if let Some(ids) = among {
        sql.push_str(" AND r.rowid IN (SELECT value FROM json_each(?))");
        values.push(Value::Text(ids.to_string()));
    }
    let n: i64 = tx.query_row(&sql, params_from_iter(values), |r| r.get(0))?;
    Ok(n as u64)
}

pub fn queues(
    tx: &Transaction<'_>,
    who: &Operator,
    now: Timestamp,
    sla: &Sla,
) -> Result<Vec<QueueCount>, StoreError> {
    let scope = scope_clause(who, "r.office", "r.patronato");
    let mut ids: Vec<String> = Vec::new();
    if who.role != Role::Patronato {
        ids.extend([QUEUE_MINE.to_string(), QUEUE_UNASSIGNED.to_string()]);
    }
    ids.extend(Topic::ALL.iter().map(|t| format!("topic:{}", t.code())));
    ids.extend(
        [
            QUEUE_AWAITING,
            QUEUE_AT_RISK,
            QUEUE_BREACHED,
            QUEUE_CLOSED_TODAY,
        ]
        .map(String::from),
    );
    // Each request's countdowns once; queues then count the risky ones they hold in SQL.
    let risky = RiskySets::of(tx, &scope, now, sla)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (open, at_risk, breached) = match queue_clause(&id, who, now)? {
            Some(clause) => {
                let risky_in = |ids: &Option<String>| match ids {
                    Some(ids) => count(tx, &scope, &clause, Some(ids)),
                    None => Ok(0),
                };
                (
                    count(tx, &scope, &clause, None)?,
                    risky_in(&risky.at_risk)?,
                    risky_in(&risky.breached)?,
                )
            }
            None if id == QUEUE_AT_RISK => (risky.at_risk_count, risky.at_risk_count, 0),
            None if id == QUEUE_BREACHED => (risky.breached_count, 0, risky.breached_count),
            None => (0, 0, 0),
        };
        out.push(QueueCount {
            id,
            open,
            at_risk,
            breached,
        });
    }
    Ok(out)
}

/// The open requests in scope whose clocks are at warning/critical (`at_risk`) or past target
/// at `now`, as JSON arrays of rowids for `json_each` (`None`: there are none).
struct RiskySets {
    at_risk: Option<String>,
    at_risk_count: u64,
    breached: Option<String>,
    breached_count: u64,
}

impl RiskySets {
    fn of(
        tx: &Transaction<'_>,
        scope: &(String, Vec<Value>),
        now: Timestamp,
        sla: &Sla,
    ) -> Result<Self, StoreError> {
        // Closed requests cannot be at risk: leave them to SQLite rather than parsing their clocks.
        let sql = format!(
            "SELECT r.rowid, r.status, r.clocks_json FROM requests r \
             WHERE {} AND r.status <> '{}' AND r.clocks_json <> '[]'",
            scope.0,
            Status::Chiusa.code()
        );
        let mut stmt = tx.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(scope.1.iter().cloned()))?;
        let (mut at_risk, mut breached) = (Vec::new(), Vec::new());
        while let Some(row) = rows.next()? {
            let rowid: i64 = row.get(0)?;
            let status: String = row.get(1)?;
            let Some(status) = Status::from_code(&status) else {
                continue;
            };
            if !status.is_open() {
                continue;
            }
            let clocks: String = row.get(2)?;
            let clocks: Vec<crate::domain::sla::Clock> = serde_json::from_str(&clocks)?;
            let views = sla.views(&clocks, now);
            match crate::service::sla::risk(status, &views) {
                (_, true) => breached.push(rowid),
                (true, false) => at_risk.push(rowid),
                (false, false) => {}
            }
        }
        let json = |ids: &[i64]| {
            (!ids.is_empty())
                .then(|| serde_json::to_string(ids))
                .transpose()
        };
        Ok(RiskySets {
            at_risk_count: at_risk.len() as u64,
            breached_count: breached.len() as u64,
            at_risk: json(&at_risk)?,
            breached: json(&breached)?,
        })
    }
}

fn civil_today(now: Timestamp) -> jiff::civil::Date {
    let tz = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    now.to_zoned(tz).date()
}

pub fn mandates_of(
    tx: &Transaction<'_>,
    citizen: &str,
    patronato: Option<&str>,
    now: Timestamp,
) -> Result<Vec<MandateView>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, citizen, patronato, valid_from, valid_until, revoked_at FROM mandates \
         WHERE citizen = ?1 AND (?2 IS NULL OR patronato = ?2) ORDER BY id",
    )?;
    let rows = stmt.query_map(rusqlite::params![citizen, patronato], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let today = civil_today(now);
    let bad = |what: &str| StoreError::Task(format!("bad stored mandate {what}"));
    let mut out = Vec::new();
    for row in rows {
        let (id, cf, patronato, from, until, revoked) = row?;
        let mandate = Mandate {
            id: id as u64,
            citizen: CodiceFiscale::parse(&cf).map_err(|_| bad("citizen"))?,
            patronato,
            valid_from: from.parse().map_err(|_| bad("valid_from"))?,
            valid_until: until
                .map(|u| u.parse())
                .transpose()
                .map_err(|_| bad("valid_until"))?,
            revoked_at: revoked
                .map(|r| r.parse())
                .transpose()
                .map_err(|_| bad("revoked_at"))?,
        };
        let state = mandate.state(now, today);
        out.push(MandateView { mandate, state });
    }
    Ok(out)
}

/// Whether `patronato` holds an active mandate for `citizen` right now.
pub fn has_active_mandate(
    tx: &Transaction<'_>,
    citizen: &str,
    patronato: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(mandates_of(tx, citizen, Some(patronato), now)?
        .iter()
        .any(|m| m.state == MandateState::Active))
}

/// Reads a dossier and audits the read (runs in a write transaction).
pub fn dossier(
    tx: &Transaction<'_>,
    who: &Operator,
    cf_text: &str,
    remote_addr: Option<String>,
    now: Timestamp,
    sla: &Sla,
) -> Result<Dossier, StoreError> {
    let cf = CodiceFiscale::parse(cf_text)
        .map_err(|e| StoreError::invalid("codice_fiscale", e.to_string()))?;
    let cf_str = cf.as_str().to_string();
    if who.role == Role::Patronato {
        let patronato = who.patronato.clone().unwrap_or_default();
        if !has_active_mandate(tx, &cf_str, &patronato, now)? {
            // Not telling whether the citizen exists: same answer as an unknown one.
            return Err(StoreError::NotFound);
        }
    }
    let citizen = tx
        .query_row(
            "SELECT surname, name, birth_date, birth_place, residence FROM citizens \
             WHERE codice_fiscale = ?1",
            [&cf_str],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let (surname, name, birth, birth_place, residence) = citizen;
    let citizen = Citizen {
        codice_fiscale: cf.clone(),
        surname,
        name,
        birth_date: birth
            .parse()
            .map_err(|_| StoreError::Task("bad stored birth date".into()))?,
        birth_place,
        residence,
    };
    let own_patronato =
        (who.role == Role::Patronato).then(|| who.patronato.clone().unwrap_or_default());
    let mandates = mandates_of(tx, &cf_str, own_patronato.as_deref(), now)?;
    let mut applications = Vec::new();
    {
        let mut stmt = tx
            .prepare_cached("SELECT json FROM applications WHERE citizen = ?1 ORDER BY protocol")?;
        let rows = stmt.query_map([&cf_str], |r| r.get::<_, String>(0))?;
        for json in rows {
            applications.push(serde_json::from_str::<Application>(&json?)?);
        }
    }
    let (scope, mut values) = scope_clause(who, "r.office", "r.patronato");
    values.push(Value::Text(cf_str.clone()));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM requests r \
         LEFT JOIN citizens c ON c.codice_fiscale = r.citizen \
         WHERE {scope} AND r.citizen = ? ORDER BY r.created_us DESC, r.id DESC"
    );
    let mut requests = Vec::new();
    {
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            let mut summary = rows::summary_from_row(row, sla)?;
            summary.citizen = cf_str.clone();
            requests.push(summary);
        }
    }
    journal::audit(
        tx,
        who,
        "dossier.read",
        &cf_str,
        remote_addr.as_deref(),
        now,
    )?;
    Ok(Dossier {
        citizen,
        mandates,
        applications,
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoSize, generate};
    use crate::service::store::Store;
    use crate::service::store::sqlite::SqliteStore;

    /// The queue counts as each queue computed alone: its rows, each request's clocks at `now`.
    fn counted_one_by_one(
        tx: &Transaction<'_>,
        who: &Operator,
        now: Timestamp,
        sla: &Sla,
        ids: &[String],
    ) -> Vec<QueueCount> {
        let scope = scope_clause(who, "r.office", "r.patronato");
        let tally = |clause: &(String, Vec<Value>)| {
            let sql = format!(
                "SELECT r.status, r.clocks_json FROM requests r WHERE {} AND {}",
                scope.0, clause.0
            );
            let values = scope.1.iter().chain(clause.1.iter()).cloned();
            let mut stmt = tx.prepare(&sql).unwrap();
            let mut rows = stmt.query(params_from_iter(values)).unwrap();
            let (mut all, mut at_risk, mut breached) = (0u64, 0u64, 0u64);
            while let Some(row) = rows.next().unwrap() {
                let status = Status::from_code(&row.get::<_, String>(0).unwrap()).unwrap();
                let clocks: Vec<crate::domain::sla::Clock> =
                    serde_json::from_str(&row.get::<_, String>(1).unwrap()).unwrap();
                let views = sla.views(&clocks, now);
                let (risk, breach) = crate::service::sla::risk(status, &views);
                all += 1;
                at_risk += u64::from(risk);
                breached += u64::from(breach);
            }
            (all, at_risk, breached)
        };
        let everything = tally(&(String::from("1 = 1"), Vec::new()));
        ids.iter()
            .map(|id| {
                let (open, at_risk, breached) = match queue_clause(id, who, now).unwrap() {
                    Some(clause) => tally(&clause),
                    None if id == QUEUE_AT_RISK => (everything.1, everything.1, 0),
                    None => (everything.2, 0, everything.2),
                };
                QueueCount {
                    id: id.clone(),
                    open,
                    at_risk,
                    breached,
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn queue_counts_equal_each_queue_counted_alone() {
        let dir = tempfile::tempdir().unwrap();
        let sla = Sla::embedded().unwrap();
        let store = SqliteStore::open_dir(dir.path(), sla.clone()).unwrap();
        let now = Timestamp::now();
        let data = generate(11, DemoSize::small(), now);
        let staff: Vec<Operator> = [Role::Operator, Role::Admin, Role::Patronato]
            .into_iter()
            .filter_map(|role| data.operators.iter().find(|o| o.role == role).cloned())
            .collect();
        assert!(staff.len() >= 2, "demo has operators and an admin");
        store.import(data).await.unwrap();
        let mut risky = 0;
        for who in staff {
            let sla = sla.clone();
            let (fast, slow) = store
                .read(move |tx| {
                    let fast = queues(tx, &who, now, &sla)?;
                    let ids: Vec<String> = fast.iter().map(|q| q.id.clone()).collect();
                    Ok((fast, counted_one_by_one(tx, &who, now, &sla, &ids)))
                })
                .await
                .unwrap();
            assert_eq!(fast, slow);
            risky += fast.iter().map(|q| q.at_risk + q.breached).sum::<u64>();
        }
        assert!(risky > 0, "the demo data has requests at risk or breached");
    }
}
