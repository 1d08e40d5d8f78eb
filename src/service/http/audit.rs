//! The audit log (auditor and admin roles).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, JsonBody, RemoteAddr, StrictQuery};
use crate::api::audit_export::CsvExportAudit;
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
    /// First entry that does not verify or is missing, if any.
    pub first_broken: Option<u64>,
    pub valid: bool,
    /// What is wrong, for people (e.g. the tail was truncated after a checkpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Authentic checkpoints of this node checked.
    pub checkpoints: u64,
}

/// Recomputes the whole audit chain with the deployment's key ring and checks it against this
/// node's checkpoints (auditors and admins).
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
        valid: verified.is_valid(),
        first_broken: verified.first_broken,
        problem: verified.problem.as_ref().map(ToString::to_string),
        checkpoints: verified.checkpoints,
    }))
}

/// Records a CSV export the caller is about to write (any role): what, how many rows, which
/// requests, and why. Clients write the file only after a 204.
#[utoipa::path(post, path = "/v1/audit/exports", tag = "audit", security(("bearer" = [])),
    request_body = CsvExportAudit,
    responses(
        (status = 204, description = "Export audited"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Missing purpose, too many ids, …", body = ErrorBody),
    ))]
pub async fn record_export(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    body: JsonBody<CsvExportAudit>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .record_export(&who, body.value, remote, jiff::Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
