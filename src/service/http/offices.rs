//! Offices: who works there, for the workstation's assign picker.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::errors::ApiError;
use super::extract::Caller;
use crate::api::{ErrorBody, OfficeOperator};

/// The operators and supervisors of an office, by username. INPS staff and admins only, within
/// their scope: another office (or region) answers 404, a patronato or an auditor 403.
#[utoipa::path(get, path = "/v1/offices/{code}/operators", tag = "offices",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Office code, e.g. RM01")),
    responses(
        (status = 200, body = Vec<OfficeOperator>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn operators(
    Caller(who): Caller,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Vec<OfficeOperator>>, ApiError> {
    Ok(Json(state.store.office_operators(&who, &code).await?))
}
