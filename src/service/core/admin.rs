//! Offices, operators, tokens and the bulk import of a dataset, each audited.

use jiff::Timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::IssuedToken;
use super::journal::{self, AuditKey, system};
use crate::domain::dataset::Dataset;
use crate::domain::office::Office;
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::{StoreError, StoredRequest, TokenTarget, WriteTx};

/// Tokens are stored as the hex SHA-256 of the bearer string.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn already_exists(e: StoreError, what: String) -> StoreError {
    match e {
        StoreError::Duplicate => StoreError::Conflict(format!("{what} already exists")),
        other => other,
    }
}

pub fn create_office(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    office: &Office,
    now: Timestamp,
) -> Result<(), StoreError> {
    tx.insert_office(office)
        .map_err(|e| already_exists(e, format!("office {}", office.code)))?;
    journal::audit(tx, key, &system(), "office.create", &office.code, None, now)
}

/// What a user record must hold: a known office, an office for operators, a patronato code for
/// patronato clients.
fn check_operator(tx: &mut dyn WriteTx, op: &Operator) -> Result<(), StoreError> {
    if let Some(office) = &op.office
        && !tx.office_exists(office)?
    {
        return Err(StoreError::invalid(
            "office",
            format!("unknown office {office:?}"),
        ));
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
    Ok(())
}

pub fn create_operator(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    op: &Operator,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_operator(tx, op)?;
    tx.insert_operator(op)
        .map_err(|e| already_exists(e, format!("user {}", op.username)))?;
    journal::audit(
        tx,
        key,
        &system(),
        "operator.create",
        &op.username,
        None,
        now,
    )
}

pub fn issue_token(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    username: &str,
    label: &str,
    now: Timestamp,
) -> Result<IssuedToken, StoreError> {
    if tx.operator(username)?.is_none() {
        return Err(StoreError::invalid(
            "username",
            format!("unknown user {username:?}"),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("cbp_{}", hex::encode(bytes));
    let id = tx.insert_token(&token_hash(&token), username, label, now)?;
    journal::audit(tx, key, &system(), "token.issue", username, None, now)?;
    Ok(IssuedToken { id, token })
}

pub fn revoke_tokens(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    target: &TokenTarget,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let n = tx.revoke_tokens(target, now)?;
    let what = match target {
        TokenTarget::Id(id) => format!("token {id}"),
        TokenTarget::Username(user) => format!("tokens of {user}"),
    };
    journal::audit(tx, key, &system(), "token.revoke", &what, None, now)?;
    // Every open event stream, on every node, re-checks its token when it reads this.
    journal::system_event(tx, journal::TOKEN_REVOKED, serde_json::json!({}), now)?;
    Ok(n)
}

/// Changes a user's name, role, office, region or patronato. Their open event streams, on every
/// node, re-check the caller and end, as for a revoked token: what they may see has changed.
pub fn update_operator(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    op: &Operator,
    now: Timestamp,
) -> Result<(), StoreError> {
    check_operator(tx, op)?;
    if !tx.update_operator(op)? {
        return Err(StoreError::invalid(
            "username",
            format!("no user {:?}", op.username),
        ));
    }
    let what = format!(
        "{} role={} office={} region={} patronato={}",
        op.username,
        op.role.code(),
        op.office.as_deref().unwrap_or("-"),
        op.region.as_deref().unwrap_or("-"),
        op.patronato.as_deref().unwrap_or("-"),
    );
    journal::audit(tx, key, &system(), "operator.update", &what, None, now)?;
    journal::system_event(tx, journal::TOKEN_REVOKED, serde_json::json!({}), now)?;
    Ok(())
}

/// Imports a whole dataset in the caller's transaction; requests get their clocks replayed from
/// their history.
pub fn import(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    data: &Dataset,
    now: Timestamp,
    sla: &Sla,
) -> Result<(), StoreError> {
    for office in &data.offices {
        tx.insert_office(office)
            .map_err(|e| already_exists(e, format!("office {}", office.code)))?;
    }
    for op in &data.operators {
        tx.insert_operator(op)
            .map_err(|e| already_exists(e, format!("user {}", op.username)))?;
    }
    for citizen in &data.citizens {
        tx.insert_citizen(citizen)?;
    }
    for mandate in &data.mandates {
        tx.insert_mandate(mandate)?;
    }
    for (cf, application) in &data.applications {
        tx.insert_application(cf, application)?;
    }
    for request in &data.requests {
        tx.save_request(&StoredRequest {
            request: request.clone(),
            appointments: vec![],
            clocks: sla.replay(request),
        })?;
    }
    journal::system_event(
        tx,
        "dataset.imported",
        serde_json::json!({ "requests": data.requests.len() }),
        now,
    )?;
    journal::audit(
        tx,
        key,
        &system(),
        "dataset.import",
        &format!("{} requests", data.requests.len()),
        None,
        now,
    )
}
