//! The cruscotto's one bulk read: every request in the caller's scope with its history, in a
//! single query (no per-request round trips).

use rusqlite::{Transaction, params_from_iter};

use super::rows::{from_micros, scope_clause};
use crate::domain::request::{Priority, RequestId, Status, Topic};
use crate::domain::roles::Operator;
use crate::service::store::{DashboardRow, StoreError};

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Task(format!("bad stored {what} {value:?}"))
}

pub fn requests_for_dashboard(
    tx: &Transaction<'_>,
    who: &Operator,
) -> Result<Vec<DashboardRow>, StoreError> {
    let (scope, values) = scope_clause(who, "office", "patronato");
    let sql = format!(
        "SELECT id, office, topic, priority, patronato, status, assignee, created_us, \
         history_json FROM requests WHERE {scope}"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let topic: String = row.get(2)?;
        let priority: String = row.get(3)?;
        let status: String = row.get(5)?;
        let history: String = row.get(8)?;
        out.push(DashboardRow {
            id: RequestId::parse(&id).map_err(|_| bad("id", &id))?,
            office: row.get(1)?,
            topic: Topic::from_code(&topic).ok_or_else(|| bad("topic", &topic))?,
            priority: Priority::from_code(&priority).ok_or_else(|| bad("priority", &priority))?,
            patronato: row.get(4)?,
            status: Status::from_code(&status).ok_or_else(|| bad("status", &status))?,
            assignee: row.get(6)?,
            created_at: from_micros(row.get(7)?)?,
            history: serde_json::from_str(&history)?,
        });
    }
    Ok(out)
}
