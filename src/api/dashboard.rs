//! `GET /v1/dashboard` and `GET /v1/dashboard/quality` wire types.
//!
//! The figures themselves are `domain::dashboard` types (their docs define every measure,
//! including the nearest-rank percentile method); this module adds the scope they cover.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::dashboard::{
    CellFigures, Dashboard, DurationStats, PatronatoFigures, Share, TrendDay, Workload,
};

/// What the figures cover: the caller's office, region, or everything (national roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum DashboardScope {
    Office(String),
    Region(String),
    National,
}

/// `GET /v1/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardResponse {
    pub scope: DashboardScope,
    pub dashboard: Dashboard,
}

/// Query of `GET /v1/dashboard/quality`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QualityQuery {
    /// Calendar year of filing (Europe/Rome).
    pub year: i16,
}

/// `GET /v1/dashboard/quality?year=Y`: yearly indicators per patronato (protocol §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QualityReport {
    pub year: i16,
    pub scope: DashboardScope,
    pub patronati: Vec<PatronatoFigures>,
}
