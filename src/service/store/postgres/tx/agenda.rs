//! Appointment rows in PostgreSQL.

use tokio_postgres::Row;

use super::{PgTx, Sql, from_micros, get, scope_sql};
use crate::domain::agenda::{AppointmentState, Channel};
use crate::domain::request::RequestId;
use crate::service::store::StoreError;
use crate::service::store::agenda::{AppointmentFilter, AppointmentRecord};

const COLUMNS: &str = "id, request_id, office, patronato, citizen, channel, start_us, end_us, \
                       operator, state, move_request, created_at, updated_at, version";

fn record(row: &Row) -> Result<AppointmentRecord, StoreError> {
    let id_text: String = get(row, 1)?;
    let channel: String = get(row, 5)?;
    let state: String = get(row, 9)?;
    let timestamp = |i: usize| -> Result<jiff::Timestamp, StoreError> {
        let value: String = get(row, i)?;
        value
            .parse()
            .map_err(|_| StoreError::corrupt("timestamp", &value))
    };
    Ok(AppointmentRecord {
        id: get(row, 0)?,
        request_id: RequestId::parse(&id_text)
            .map_err(|_| StoreError::corrupt("request id", &id_text))?,
        office: get(row, 2)?,
        patronato: get(row, 3)?,
        citizen: get(row, 4)?,
        channel: Channel::from_code(&channel)
            .ok_or_else(|| StoreError::corrupt("channel", &channel))?,
        start: from_micros(get(row, 6)?)?,
        end: from_micros(get(row, 7)?)?,
        operator: get(row, 8)?,
        state: AppointmentState::from_code(&state)
            .ok_or_else(|| StoreError::corrupt("appointment state", &state))?,
        move_request: get(row, 10)?,
        created_at: timestamp(11)?,
        updated_at: timestamp(12)?,
        version: get::<i64>(row, 13)? as u64,
    })
}

pub(super) fn appointments(
    tx: &PgTx<'_>,
    filter: &AppointmentFilter,
) -> Result<Vec<AppointmentRecord>, StoreError> {
    let mut sql = Sql::default();
    let mut conditions = vec![scope_sql(&mut sql, &filter.scope, "office", "patronato")];
    for (column, value) in [
        ("office", filter.office.clone()),
        (
            "request_id",
            filter.request.as_ref().map(|r| r.as_str().to_string()),
        ),
        ("operator", filter.operator.clone()),
    ] {
        if let Some(value) = value {
            conditions.push(format!("{column} = {}", sql.bind(value)));
        }
    }
    if let Some(from) = filter.from {
        conditions.push(format!("start_us >= {}", sql.bind(from.as_microsecond())));
    }
    if let Some(to) = filter.to {
        conditions.push(format!("start_us < {}", sql.bind(to.as_microsecond())));
    }
    if filter.booked_only {
        conditions.push("state = 'booked'".into());
    }
    let text = format!(
        "SELECT {COLUMNS} FROM appointments WHERE {} ORDER BY start_us, id",
        conditions.join(" AND ")
    );
    tx.query(&text, &sql.refs())?.iter().map(record).collect()
}

pub(super) fn last_appointment_id(tx: &PgTx<'_>) -> Result<Option<i64>, StoreError> {
    match tx.query_opt("SELECT MAX(id) FROM appointments", &[])? {
        Some(row) => get::<Option<i64>>(&row, 0),
        None => Ok(None),
    }
}

pub(super) fn save_appointment(tx: &PgTx<'_>, r: &AppointmentRecord) -> Result<(), StoreError> {
    tx.execute(
        &format!(
            "INSERT INTO appointments ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (id) DO UPDATE SET channel = EXCLUDED.channel, \
             start_us = EXCLUDED.start_us, end_us = EXCLUDED.end_us, operator = EXCLUDED.operator, \
             state = EXCLUDED.state, move_request = EXCLUDED.move_request, \
             updated_at = EXCLUDED.updated_at, version = EXCLUDED.version"
        ),
        &[
            &r.id,
            &r.request_id.as_str(),
            &r.office,
            &r.patronato,
            &r.citizen,
            &r.channel.code(),
            &r.start.as_microsecond(),
            &r.end.as_microsecond(),
            &r.operator,
            &r.state.code(),
            &r.move_request,
            &r.created_at.to_string(),
            &r.updated_at.to_string(),
            &(r.version as i64),
        ],
    )?;
    Ok(())
}
