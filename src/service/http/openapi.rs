//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{audit, calendar, dashboard, dossiers, events, meta, presence, requests};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "combipat",
        description = "COMBIPAT back office: requests between patronati and INPS offices."
    ),
    paths(
        meta::healthz,
        document,
        meta::me,
        meta::queues,
        requests::list,
        requests::create,
        requests::show,
        requests::add_message,
        requests::act,
        presence::announce,
        dossiers::show,
        events::stream,
        audit::list,
        calendar::closing_days,
        dashboard::show,
        dashboard::quality,
    ),
    components(schemas(crate::api::EventEnvelope, crate::api::PresenceEvent)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
