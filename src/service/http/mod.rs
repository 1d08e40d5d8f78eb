//! HTTP layer: thin axum handlers (parse, authorise, call the store) and the router.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::service::core::App;

pub mod audit;
pub mod calendar;
pub mod dashboard;
pub mod dossiers;
pub mod errors;
pub mod events;
pub mod extract;
pub mod meta;
pub mod openapi;
pub mod presence;
pub mod requests;

pub use errors::ApiError;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn App>,
    /// SLA policy and office calendars.
    pub sla: Arc<crate::service::sla::Sla>,
    /// Flips to `true` when the service shuts down, so long-lived SSE streams end.
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/me", get(meta::me))
        .route("/v1/queues", get(meta::queues))
        .route("/v1/requests", get(requests::list).post(requests::create))
        .route("/v1/requests/{id}", get(requests::show))
        .route("/v1/requests/{id}/messages", post(requests::add_message))
        .route("/v1/requests/{id}/actions", post(requests::act))
        .route("/v1/requests/{id}/presence", post(presence::announce))
        .route("/v1/dossiers/{codice_fiscale}", get(dossiers::show))
        .route("/v1/events", get(events::stream))
        .route("/v1/audit", get(audit::list))
        .route("/v1/calendar/{office}", get(calendar::closing_days))
        .route("/v1/dashboard", get(dashboard::show))
        .route("/v1/dashboard/quality", get(dashboard::quality))
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .with_state(state)
}
