//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    components(schemas(crate::api::EventEnvelope, crate::api::PresenceEvent)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served: the info, schemas and security of [`ApiDoc`] plus every path the
/// router declares (routes are declared once, in [`super::routes`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(|| super::routes().split_for_parts().1);
    DOCUMENT.clone()
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::Timestamp;

    use crate::api::{ClockBasis, ClockView};
    use crate::domain::calendar::Measure;
    use crate::domain::sla::{ClockKind, Crossings, SlaState};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("test instant")
    }

    fn running_view() -> ClockView {
        ClockView {
            kind: ClockKind::Resolution,
            state: SlaState::Warning,
            due_at: Some(at("2026-12-09T10:00:00Z")),
            remaining_secs: 7_200,
            percent_used: 80,
            crossings: Some(Crossings {
                warning: at("2026-12-07T10:00:00Z"),
                critical: at("2026-12-08T16:00:00Z"),
                breach: at("2026-12-09T10:00:00Z"),
            }),
            basis: ClockBasis {
                measure: Measure::Seconds,
                target: 36_000,
                offices: smallvec::smallvec!["RM01".into(), "MI01".into()],
                paused: false,
            },
        }
    }

    /// The view holds each fact once; the JSON still carries every field the document lists,
    /// so deployed workstations and scripts read what they always read.
    #[test]
    fn a_clock_view_is_written_with_every_field_its_schema_documents() {
        let json = serde_json::to_value(running_view()).expect("serialize");
        assert_eq!(
            json["office"], "MI01",
            "the office it runs on now is the last"
        );
        assert_eq!(json["warning_at"], "2026-12-07T10:00:00Z");
        assert_eq!(json["critical_at"], "2026-12-08T16:00:00Z");
        assert_eq!(json["breach_at"], "2026-12-09T10:00:00Z");
        assert_eq!(
            json["basis"]["offices"],
            serde_json::json!(["RM01", "MI01"])
        );
        let written: BTreeSet<String> = json
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();

        let document = serde_json::to_value(super::openapi()).expect("document");
        let schema = &document["components"]["schemas"]["ClockView"];
        let documented: BTreeSet<String> = schema["properties"]
            .as_object()
            .expect("ClockView is documented with its properties")
            .keys()
            .cloned()
            .collect();
        assert_eq!(written, documented);
        let summary = &document["components"]["schemas"]["RequestSummary"];
        assert_eq!(
            summary["properties"]["clocks"]["items"]["$ref"],
            "#/components/schemas/ClockView"
        );
    }

    #[test]
    fn a_clock_view_reads_back_as_written_and_from_older_services() {
        let view = running_view();
        let json = serde_json::to_string(&view).expect("serialize");
        assert_eq!(
            serde_json::from_str::<ClockView>(&json).expect("parse"),
            view
        );

        let stopped = ClockView {
            state: SlaState::Met,
            due_at: None,
            crossings: None,
            ..running_view()
        };
        let json = serde_json::to_string(&stopped).expect("serialize");
        assert!(json.contains(r#""warning_at":null"#), "{json}");
        assert_eq!(
            serde_json::from_str::<ClockView>(&json).expect("parse"),
            stopped
        );

        // Services before `basis` sent only `office` and no threshold instants.
        let older = r#"{"kind":"resolution","office":"NA01","state":"ok","due_at":null,
            "remaining_secs":60,"percent_used":10}"#;
        let read: ClockView = serde_json::from_str(older).expect("parse an older view");
        assert_eq!(read.office(), "NA01");
        assert_eq!(read.crossings, None);
        assert_eq!(read.warning_at(), None);
    }
}
