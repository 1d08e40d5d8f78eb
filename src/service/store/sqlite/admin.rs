//! Offices, operators, tokens and the bulk import of a dataset.

use jiff::Timestamp;
use rand::RngCore;
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::journal::{self, NewEvent};
use super::rows;
use crate::demo::Dataset;
use crate::domain::office::Office;
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::transition::StoredRequest;
use crate::service::store::{IssuedToken, StoreError, TokenTarget};

/// Tokens are stored as the hex SHA-256 of the bearer string.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The system actor used for audit entries written by admin commands and imports.
fn system() -> Operator {
    Operator {
        username: "system".into(),
        full_name: "combipat".into(),
        role: Role::Admin,
        office: None,
        region: None,
        patronato: None,
    }
}

pub fn principal_by_token_hash(
    tx: &Transaction<'_>,
    hash: &str,
) -> Result<Option<Operator>, StoreError> {
    let row = tx
        .query_row(
            "SELECT o.username, o.full_name, o.role, o.office, o.region, o.patronato \
             FROM tokens t JOIN operators o ON o.username = t.username \
             WHERE t.hash = ?1 AND t.revoked_at IS NULL",
            [hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((username, full_name, role, office, region, patronato)) = row else {
        return Ok(None);
    };
    let role = Role::from_code(&role)
        .ok_or_else(|| StoreError::Task(format!("bad stored role {role:?}")))?;
    Ok(Some(Operator {
        username,
        full_name,
        role,
        office,
        region,
        patronato,
    }))
}

pub fn principal_by_username(
    tx: &Transaction<'_>,
    username: &str,
) -> Result<Option<Operator>, StoreError> {
    let row = tx
        .query_row(
            "SELECT full_name, role, office, region, patronato FROM operators WHERE username = ?1",
            [username],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((full_name, role, office, region, patronato)) = row else {
        return Ok(None);
    };
    let role = Role::from_code(&role)
        .ok_or_else(|| StoreError::Task(format!("bad stored role {role:?}")))?;
    Ok(Some(Operator {
        username: username.to_string(),
        full_name,
        role,
        office,
        region,
        patronato,
    }))
}

fn insert_office(tx: &Transaction<'_>, office: &Office) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO offices (code, name, comune, province, region) VALUES (?1, ?2, ?3, ?4, ?5)",
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

fn insert_operator(tx: &Transaction<'_>, op: &Operator) -> Result<(), StoreError> {
    tx.prepare_cached(
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

fn unique_violation(e: StoreError, what: String) -> StoreError {
    match e {
        StoreError::Database(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(format!("{what} already exists"))
        }
        other => other,
    }
}

pub fn create_office(
    tx: &Transaction<'_>,
    office: &Office,
    now: Timestamp,
) -> Result<(), StoreError> {
    insert_office(tx, office)
        .map_err(|e| unique_violation(e, format!("office {}", office.code)))?;
    journal::audit(tx, &system(), "office.create", &office.code, None, now)
}

pub fn create_operator(
    tx: &Transaction<'_>,
    op: &Operator,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(office) = &op.office {
        let known = tx
            .query_row(
                "SELECT 1 FROM offices WHERE code = ?1",
                [office],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !known {
            return Err(StoreError::invalid(
                "office",
                format!("unknown office {office:?}"),
            ));
        }
    }
    if op.role == Role::Operator && op.office.is_none() {
        return Err(StoreError::invalid("office", "an operator needs an office"));
    }
    if op.role == Role::Patronato && op.patronato.is_none() {
        return Err(StoreError::invalid(
            "patronato",
            "a patronato client needs a patronato code",
        ));
    }
    insert_operator(tx, op).map_err(|e| unique_violation(e, format!("user {}", op.username)))?;
    journal::audit(tx, &system(), "operator.create", &op.username, None, now)
}

pub fn issue_token(
    tx: &Transaction<'_>,
    username: &str,
    label: &str,
    now: Timestamp,
) -> Result<IssuedToken, StoreError> {
    let exists = tx
        .query_row(
            "SELECT 1 FROM operators WHERE username = ?1",
            [username],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Err(StoreError::invalid(
            "username",
            format!("unknown user {username:?}"),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("cbp_{}", hex::encode(bytes));
    tx.execute(
        "INSERT INTO tokens (hash, username, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash(&token), username, label, now.to_string()],
    )?;
    let id = tx.last_insert_rowid();
    journal::audit(tx, &system(), "token.issue", username, None, now)?;
    Ok(IssuedToken { id, token })
}

pub fn revoke_tokens(
    tx: &Transaction<'_>,
    target: &TokenTarget,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let (n, what) = match target {
        TokenTarget::Id(id) => (
            tx.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now.to_string(), id],
            )?,
            format!("token {id}"),
        ),
        TokenTarget::Username(user) => (
            tx.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE username = ?2 AND revoked_at IS NULL",
                params![now.to_string(), user],
            )?,
            format!("tokens of {user}"),
        ),
    };
    journal::audit(tx, &system(), "token.revoke", &what, None, now)?;
    Ok(n as u64)
}

pub fn import(
    tx: &Transaction<'_>,
    data: &Dataset,
    now: Timestamp,
    sla: &Sla,
) -> Result<(), StoreError> {
    for office in &data.offices {
        insert_office(tx, office)?;
    }
    for op in &data.operators {
        insert_operator(tx, op)?;
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO citizens (codice_fiscale, surname, name, birth_date, birth_place, \
             residence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for c in &data.citizens {
            stmt.execute(params![
                c.codice_fiscale.as_str(),
                c.surname,
                c.name,
                c.birth_date.to_string(),
                c.birth_place,
                c.residence
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO mandates (id, citizen, patronato, valid_from, valid_until, revoked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for m in &data.mandates {
            stmt.execute(params![
                m.id as i64,
                m.citizen.as_str(),
                m.patronato,
                m.valid_from.to_string(),
                m.valid_until.map(|d| d.to_string()),
                m.revoked_at.map(|t| t.to_string())
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO applications (protocol, citizen, json) VALUES (?1, ?2, ?3)",
        )?;
        for (cf, app) in &data.applications {
            stmt.execute(params![app.protocol, cf, serde_json::to_string(app)?])?;
        }
    }
    for request in &data.requests {
        rows::save_request(
            tx,
            &StoredRequest {
                request: request.clone(),
                appointments: vec![],
                clocks: sla.replay(request),
            },
        )?;
    }
    journal::append_event(
        tx,
        NewEvent {
            kind: "dataset.imported",
            request_id: None,
            office: None,
            patronato: None,
            internal: true,
            data: serde_json::json!({ "requests": data.requests.len() }),
        },
        now,
    )?;
    journal::audit(
        tx,
        &system(),
        "dataset.import",
        &format!("{} requests", data.requests.len()),
        None,
        now,
    )
}
