//! Office business calendars: the closing days of a year with their reasons.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, StrictQuery};
use crate::api::{ClosingDayView, ErrorBody};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Calendar year (default: the current year in Europe/Rome).
    pub year: Option<i16>,
}

/// Days the office is closed in `year` although its weekly hours would open it.
#[utoipa::path(get, path = "/v1/calendar/{office}", tag = "calendar", security(("bearer" = [])),
    params(("office" = String, Path), CalendarQuery),
    responses(
        (status = 200, body = Vec<ClosingDayView>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn closing_days(
    Caller(_who): Caller,
    State(state): State<AppState>,
    Path(office): Path<String>,
    StrictQuery(query): StrictQuery<CalendarQuery>,
) -> Result<Json<Vec<ClosingDayView>>, ApiError> {
    let calendar = state
        .sla
        .calendars()
        .get(&office)
        .map_err(|_| ApiError::not_found())?;
    let year = query.year.unwrap_or_else(|| jiff::Zoned::now().year());
    // The only error a known office's calendar gives here is a year out of range.
    let days = calendar
        .closing_days(year)
        .map_err(|e| ApiError::invalid("year", e.to_string()))?;
    Ok(Json(
        days.into_iter()
            .map(|day| ClosingDayView {
                date: day.date.to_string(),
                reasons: day.reasons.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    ))
}
