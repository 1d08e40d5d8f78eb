//! `GET /v1/dashboard`: the cruscotto figures over the requests in the caller's scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;

use super::AppState;
use super::errors::ApiError;
use super::extract::Caller;
use crate::api::dashboard::{DashboardResponse, DashboardScope};
use crate::api::{ErrorBody, RequestDetail, RequestFilter};
use crate::domain::dashboard::{RequestFacts, Targets, compute_with_policy, embedded_policy};
use crate::domain::roles::Role;
use crate::domain::sla::Policy;
use crate::service::store::{Principal, Store};

/// Largest page the store serves; the dashboard reads every request in scope.
const PAGE_SIZE: u32 = 500;

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
    Ok(Json(dashboard_for(state.store.as_ref(), &who, now).await?))
}

/// The dashboard `who` may see at `now`, computed from the store (also used by the SSH endpoint).
pub async fn dashboard_for(
    store: &dyn Store,
    who: &Principal,
    now: Timestamp,
) -> Result<DashboardResponse, ApiError> {
    let scope = scope_of(who)?;
    let policy = embedded_policy().map_err(internal)?;
    let facts = facts_in_scope(store, who, &policy, now).await?;
    let dashboard = tokio::task::spawn_blocking(move || compute_with_policy(&facts, &policy, now))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(DashboardResponse { scope, dashboard })
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

async fn facts_in_scope(
    store: &dyn Store,
    who: &Principal,
    policy: &Policy,
    now: Timestamp,
) -> Result<Vec<RequestFacts>, ApiError> {
    let mut facts = Vec::new();
    let mut cursor = None;
    loop {
        let filter = RequestFilter {
            limit: Some(PAGE_SIZE),
            cursor: cursor.take(),
            ..RequestFilter::default()
        };
        let page = store.list_requests(who, filter, now).await?;
        for summary in page.items {
            let detail = store.get_request(who, &summary.id).await?;
            facts.push(facts_of(&detail, policy));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(facts),
        }
    }
}

fn facts_of(detail: &RequestDetail, policy: &Policy) -> RequestFacts {
    let s = &detail.summary;
    RequestFacts {
        id: s.id.to_string(),
        office: s.office.clone(),
        topic: s.topic,
        priority: s.priority,
        patronato: s.patronato.clone(),
        status: s.status,
        assignee: s.assignee.clone(),
        created_at: s.created_at,
        first_reply_at: None,
        closed_at: None,
        pauses: Vec::new(),
        integration_requests: 0,
        reopens: 0,
        forwards: 0,
        targets: Targets::from_policy(policy, s.topic, s.priority),
    }
    .with_history(&detail.history)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("cruscotto: {e}"),
    )
}
