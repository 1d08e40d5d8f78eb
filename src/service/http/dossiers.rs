//! Citizen dossiers (fascicolo). Every read is audited.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, RemoteAddr};
use crate::api::{Dossier, ErrorBody};

/// The citizen's dossier. Patronato clients need an active mandate at read time.
#[utoipa::path(get, path = "/v1/dossiers/{codice_fiscale}", tag = "dossiers",
    security(("bearer" = [])),
    params(("codice_fiscale" = String, Path)),
    responses(
        (status = 200, body = Dossier),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Unknown citizen, or no active mandate", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path(codice_fiscale): Path<String>,
) -> Result<Json<Dossier>, ApiError> {
    Ok(Json(
        state
            .store
            .dossier(&who, &codice_fiscale, remote, jiff::Timestamp::now())
            .await?,
    ))
}
