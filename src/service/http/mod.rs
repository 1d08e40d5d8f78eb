//! HTTP layer: thin axum handlers (parse, authorise, call the store) and the router.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::core::App;

pub mod agenda;
pub mod audit;
pub mod calendar;
pub mod dashboard;
pub mod dossiers;
pub mod errors;
pub mod events;
pub mod extract;
pub mod meta;
pub mod offices;
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

/// Every endpoint, declared once: axum routes and OpenAPI paths come from the same
/// `#[utoipa::path]` annotations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(meta::healthz))
        .routes(routes!(openapi::document))
        .routes(routes!(meta::me))
        .routes(routes!(meta::queues))
        .routes(routes!(requests::list, requests::create))
        .routes(routes!(requests::show))
        .routes(routes!(requests::add_message))
        .routes(routes!(requests::act))
        .routes(routes!(presence::announce))
        .routes(routes!(dossiers::show))
        .routes(routes!(events::stream))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::record_export))
        .routes(routes!(calendar::closing_days))
        .routes(routes!(offices::operators))
        .routes(routes!(dashboard::show))
        .routes(routes!(dashboard::quality))
        .routes(routes!(agenda::slots))
        .routes(routes!(agenda::list))
        .routes(routes!(agenda::book))
        .routes(routes!(agenda::reschedule))
        .routes(routes!(agenda::cancel))
        .routes(routes!(agenda::ask_to_move))
}

pub fn router(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .with_state(state)
}
