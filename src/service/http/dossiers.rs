//! Citizen dossiers (fascicolo). Every read is audited.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, RemoteAddr, StrictQuery};
use crate::api::{Dossier, ErrorBody};

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DossierQuery {
    /// Why the dossier is read (*accesso motivato*): required for INPS staff reading a citizen
    /// none of whose requests they can see; recorded in the audit log.
    pub purpose: Option<String>,
}

/// The citizen's dossier. Patronato clients need an active mandate at read time; INPS staff
/// need a request of the citizen in their scope, or a stated `purpose`.
#[utoipa::path(get, path = "/v1/dossiers/{codice_fiscale}", tag = "dossiers",
    security(("bearer" = [])),
    params(("codice_fiscale" = String, Path), DossierQuery),
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
    StrictQuery(query): StrictQuery<DossierQuery>,
) -> Result<Json<Dossier>, ApiError> {
    Ok(Json(
        state
            .store
            .dossier(
                &who,
                &codice_fiscale,
                query.purpose,
                remote,
                jiff::Timestamp::now(),
            )
            .await?,
    ))
}
