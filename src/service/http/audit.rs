//! The audit log (auditor and admin roles).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, StrictQuery};
use crate::api::{AuditEntry, ErrorBody, Page};
use crate::domain::roles::Role;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<u32>,
}

/// Audit entries in order, hash-chained.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = Page<AuditEntry>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    StrictQuery(query): StrictQuery<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    if !matches!(who.role, Role::Auditor | Role::Admin) {
        return Err(ApiError::forbidden("the audit log is for auditors"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = match &query.cursor {
        Some(cursor) => cursor
            .parse()
            .map_err(|_| ApiError::invalid("cursor", "cursor is not one this service issued"))?,
        None => 0,
    };
    let items = state.store.audit_log(after, limit).await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// Result of recomputing the audit chain.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditVerifyBody {
    /// Entries that verified, from the first.
    pub entries: u64,
    /// First entry that does not verify, if any.
    pub first_broken: Option<u64>,
    pub valid: bool,
}

/// Recomputes the whole audit chain with the deployment's audit key (auditors and admins).
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, body = AuditVerifyBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<AuditVerifyBody>, ApiError> {
    if !matches!(who.role, Role::Auditor | Role::Admin) {
        return Err(ApiError::forbidden("the audit log is for auditors"));
    }
    let verified = state.store.verify_audit_chain().await?;
    Ok(Json(AuditVerifyBody {
        entries: verified.entries,
        valid: verified.first_broken.is_none(),
        first_broken: verified.first_broken,
    }))
}
