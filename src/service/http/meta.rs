//! Liveness, caller identity, queues.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::errors::ApiError;
use super::extract::Caller;
use crate::api::{ErrorBody, Me, QueueCount};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness; no authentication.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "The service is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The caller's identity, role and office.
#[utoipa::path(get, path = "/v1/me", tag = "meta", security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody),
    ))]
pub async fn me(Caller(who): Caller) -> Json<Me> {
    Json(Me {
        username: who.username,
        full_name: who.full_name,
        role: who.role,
        office: who.office,
        region: who.region,
        patronato: who.patronato,
    })
}

/// Queues visible to the caller with their counts. Ids are usable as `queue=` filters.
#[utoipa::path(get, path = "/v1/queues", tag = "requests", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<QueueCount>),
        (status = 401, body = ErrorBody),
    ))]
pub async fn queues(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<QueueCount>>, ApiError> {
    Ok(Json(
        state.store.queues(&who, jiff::Timestamp::now()).await?,
    ))
}
