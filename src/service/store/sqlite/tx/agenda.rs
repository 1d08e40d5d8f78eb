//! Appointment rows in SQLite.

use rusqlite::types::Value;
use rusqlite::{Row, params, params_from_iter};

use super::{SqliteTx, all, from_micros, micros, one, scope_sql};
use crate::domain::agenda::{AppointmentState, Channel};
use crate::domain::request::RequestId;
use crate::service::store::StoreError;
use crate::service::store::agenda::{AppointmentFilter, AppointmentRecord};

const COLUMNS: &str = "id, request_id, office, patronato, citizen, channel, start_us, end_us, \
                       operator, state, move_request, created_at, updated_at, version";

fn record(row: &Row<'_>) -> Result<AppointmentRecord, StoreError> {
    let text = |i: usize| row.get::<_, String>(i);
    let id_text = text(1)?;
    let channel = text(5)?;
    let state = text(9)?;
    let timestamp = |i: usize| -> Result<jiff::Timestamp, StoreError> {
        let value = text(i)?;
        value
            .parse()
            .map_err(|_| StoreError::corrupt("timestamp", &value))
    };
    Ok(AppointmentRecord {
        id: row.get(0)?,
        request_id: RequestId::parse(&id_text)
            .map_err(|_| StoreError::corrupt("request id", &id_text))?,
        office: text(2)?,
        patronato: text(3)?,
        citizen: text(4)?,
        channel: Channel::from_code(&channel)
            .ok_or_else(|| StoreError::corrupt("channel", &channel))?,
        start: from_micros(row.get(6)?)?,
        end: from_micros(row.get(7)?)?,
        operator: text(8)?,
        state: AppointmentState::from_code(&state)
            .ok_or_else(|| StoreError::corrupt("appointment state", &state))?,
        move_request: row.get(10)?,
        created_at: timestamp(11)?,
        updated_at: timestamp(12)?,
        version: row.get::<_, i64>(13)? as u64,
    })
}

pub(super) fn appointments(
    tx: &SqliteTx<'_>,
    filter: &AppointmentFilter,
) -> Result<Vec<AppointmentRecord>, StoreError> {
    let (scope, mut values) = scope_sql(&filter.scope, "office", "patronato");
    let mut conditions = vec![scope];
    let mut text = |column: &str, value: &Option<String>, conditions: &mut Vec<String>| {
        if let Some(value) = value {
            conditions.push(format!("{column} = ?"));
            values.push(Value::Text(value.clone()));
        }
    };
    text("office", &filter.office, &mut conditions);
    text(
        "request_id",
        &filter.request.as_ref().map(|r| r.as_str().to_string()),
        &mut conditions,
    );
    text("operator", &filter.operator, &mut conditions);
    if let Some(from) = filter.from {
        conditions.push("start_us >= ?".into());
        values.push(Value::Integer(micros(from)));
    }
    if let Some(to) = filter.to {
        conditions.push("start_us < ?".into());
        values.push(Value::Integer(micros(to)));
    }
    if filter.booked_only {
        conditions.push("state = 'booked'".into());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE {} ORDER BY start_us, id",
        conditions.join(" AND ")
    );
    all(tx.tx, &sql, params_from_iter(values), record)
}

pub(super) fn last_appointment_id(tx: &SqliteTx<'_>) -> Result<Option<i64>, StoreError> {
    Ok(one(tx.tx, "SELECT MAX(id) FROM appointments", [], |row| {
        Ok(row.get::<_, Option<i64>>(0)?)
    })?
    .flatten())
}

pub(super) fn save_appointment(tx: &SqliteTx<'_>, r: &AppointmentRecord) -> Result<(), StoreError> {
    tx.tx.execute(
        &format!(
            "INSERT INTO appointments ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, \
             start_us = excluded.start_us, end_us = excluded.end_us, operator = excluded.operator, \
             state = excluded.state, move_request = excluded.move_request, \
             updated_at = excluded.updated_at, version = excluded.version"
        ),
        params![
            r.id,
            r.request_id.as_str(),
            r.office,
            r.patronato,
            r.citizen,
            r.channel.code(),
            micros(r.start),
            micros(r.end),
            r.operator,
            r.state.code(),
            r.move_request,
            r.created_at.to_string(),
            r.updated_at.to_string(),
            r.version as i64,
        ],
    )?;
    Ok(())
}
