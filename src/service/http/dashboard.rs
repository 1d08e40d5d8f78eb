//! `GET /v1/dashboard`: the cruscotto figures over the requests in the caller's scope.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, StrictQuery};
use crate::api::ErrorBody;
use crate::api::dashboard::{DashboardResponse, DashboardScope, QualityQuery, QualityReport};
use crate::domain::calendar::SUPPORTED_YEARS;
use crate::domain::dashboard::{Dashboard, RequestFacts, SlaCalendars, yearly_quality};
use crate::domain::roles::Role;
use crate::domain::sla::Policy;
use crate::service::core::{App, Principal, aggregates};
use crate::service::sla::Sla;

/// Cruscotto figures (per office × topic, per patronato, trends) over the caller's office or
/// region; national for auditors and admins without a region. Supervisors, auditors and admins only.
#[utoipa::path(get, path = "/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    responses(
        (status = 200, body = DashboardResponse),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<DashboardResponse>, ApiError> {
    let now = Timestamp::now();
    let (scope, dashboard) = dashboard_for(state.store.as_ref(), &who, now).await?;
    Ok(Json(DashboardResponse {
        scope,
        dashboard: Dashboard::clone(&dashboard),
    }))
}

/// The scope and dashboard `who` may see at `now`: the core's memo of the scope's figures,
/// shared (the SSH endpoint's sessions hold it without a copy).
pub async fn dashboard_for(
    store: &dyn App,
    who: &Principal,
    now: Timestamp,
) -> Result<(DashboardScope, Arc<Dashboard>), ApiError> {
    let scope = scope_of(who)?;
    Ok((scope, store.dashboard(who, now).await?))
}

/// The scope of the figures, or 403 for roles that do not watch the dashboard.
fn scope_of(who: &Principal) -> Result<DashboardScope, ApiError> {
    match who.role {
        Role::Supervisor | Role::Auditor | Role::Admin => {}
        Role::Operator | Role::Patronato => {
            return Err(ApiError::forbidden(
                "il cruscotto è riservato a supervisori e auditor",
            ));
        }
    }
    Ok(match (&who.region, &who.office) {
        (Some(region), _) => DashboardScope::Region(region.clone()),
        (None, Some(office)) => DashboardScope::Office(office.clone()),
        (None, None) => DashboardScope::National,
    })
}

/// Every request in scope as facts for the yearly figures: one bulk read, no per-request
/// queries (history only: no SLA standing).
async fn facts_in_scope(
    store: &dyn App,
    who: &Principal,
    policy: &Policy,
) -> Result<Vec<RequestFacts>, ApiError> {
    let rows = store.requests_for_dashboard(who).await?;
    Ok(rows
        .iter()
        .map(|row| aggregates::facts_of(row, policy))
        .collect())
}

/// Yearly quality indicators per patronato (INPS–Patronati protocol §5) over the requests
/// filed in `year` (Europe/Rome) within the caller's office or region. Supervisors, auditors
/// and admins only.
#[utoipa::path(get, path = "/v1/dashboard/quality", tag = "dashboard", security(("bearer" = [])),
    params(QualityQuery),
    responses(
        (status = 200, body = QualityReport),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn quality(
    State(state): State<AppState>,
    Caller(who): Caller,
    StrictQuery(query): StrictQuery<QualityQuery>,
) -> Result<Json<QualityReport>, ApiError> {
    Ok(Json(
        quality_for(state.store.as_ref(), &state.sla, &who, query.year).await?,
    ))
}

/// The quality report `who` may see for `year`.
pub async fn quality_for(
    store: &dyn App,
    sla: &Arc<Sla>,
    who: &Principal,
    year: i16,
) -> Result<QualityReport, ApiError> {
    let scope = scope_of(who)?;
    if !SUPPORTED_YEARS.contains(&year) {
        return Err(ApiError::invalid(
            "year",
            format!(
                "anno {year} fuori dall'intervallo {}–{}",
                SUPPORTED_YEARS.start(),
                SUPPORTED_YEARS.end()
            ),
        ));
    }
    let facts = facts_in_scope(store, who, sla.policy()).await?;
    let sla = Arc::clone(sla);
    let patronati = tokio::task::spawn_blocking(move || {
        // The service's own calendars, `[calendar]` closures and hours included.
        let calendars = sla.calendars_for_year(year).map_err(internal)?;
        let clock = SlaCalendars {
            calendars: &calendars,
            business_day_hours: sla.policy().business_day_hours,
        };
        Ok::<_, ApiError>(yearly_quality(&facts, &clock, year))
    })
    .await
    .map_err(internal)??;
    Ok(QualityReport {
        year,
        scope,
        patronati,
    })
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("cruscotto: {e}"),
    )
}
