//! `POST /v1/requests/{id}/presence`: who is viewing or replying to a request, for the other
//! operators' workstations. Scoped like reads; delivered as a `presence` event over SSE.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, JsonBody};
use crate::api::{ErrorBody, PresenceBody};
use crate::domain::request::RequestId;

/// Announces viewing / replying / left. Repeat every 30 s at most while it holds.
#[utoipa::path(post, path = "/v1/requests/{id}/presence", tag = "requests",
    security(("bearer" = [])), request_body = PresenceBody,
    params(("id" = String, Path, description = "CBP-YYYY-NNNNNNN")),
    responses(
        (status = 204, description = "Announced to INPS staff who can see the request"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "Unknown or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid activity", body = ErrorBody),
    ))]
pub async fn announce(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: JsonBody<PresenceBody>,
) -> Result<StatusCode, ApiError> {
    // A malformed id cannot name a record the caller may see.
    let id = RequestId::parse(&id).map_err(|_| ApiError::not_found())?;
    state
        .store
        .announce_presence(&who, &id, body.value.activity, jiff::Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
