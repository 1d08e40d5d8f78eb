//! Requests: list, file, show, messages, actions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, JsonBody, RemoteAddr, StrictQuery};
use crate::api::{
    ActionBody, ErrorBody, NewMessage, NewRequest, RequestDetail, RequestFilter, RequestPage,
};
use crate::domain::request::RequestId;
use crate::service::core::{Idempotency, WriteCommand, WriteContext, WriteResult};

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// `"<version>"`.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

pub(super) fn parse_id(text: &str) -> Result<RequestId, ApiError> {
    // A malformed id cannot name a record the caller may see.
    RequestId::parse(text).map_err(|_| ApiError::not_found())
}

/// Parses `If-Match: "7"` (also `W/"7"` and bare `7`); `*` means no precondition.
pub fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("If-Match", "If-Match must be an ETag like \"7\"");
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Some).map_err(|_| bad())
}

/// The `Idempotency-Key` with a hash of everything that defines the write; `body` is the
/// canonical JSON ([`super::extract::canonical_json`]), so the same JSON spelled differently is
/// the same request.
pub(super) fn idempotency(
    headers: &HeaderMap,
    method_path: &str,
    if_match: Option<u64>,
    body: &[u8],
) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY_LEN)
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible characters"
                ),
            )
        })?;
    let mut hasher = Sha256::new();
    hasher.update(method_path.as_bytes());
    hasher.update(b"\n");
    hasher.update(
        if_match
            .map(|v| v.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    hasher.update(b"\n");
    hasher.update(body);
    Ok(Some(Idempotency {
        key: key.to_string(),
        request_hash: hex::encode(hasher.finalize()),
    }))
}

fn write_response(result: WriteResult) -> Response {
    let status = StatusCode::from_u16(result.status).unwrap_or(StatusCode::OK);
    let location = (status == StatusCode::CREATED)
        .then(|| {
            result
                .body
                .get("id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .flatten();
    let mut response = (status, Json(result.body)).into_response();
    let headers = response.headers_mut();
    if let Some(version) = result.version {
        headers.insert(header::ETAG, etag(version));
    }
    if result.replayed {
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    if let Some(id) = location
        && let Ok(value) = HeaderValue::from_str(&format!("/v1/requests/{id}"))
    {
        headers.insert(header::LOCATION, value);
    }
    response
}

pub(super) async fn run_write(
    state: &AppState,
    who: crate::service::core::Principal,
    remote: Option<String>,
    idempotency: Option<Idempotency>,
    cmd: WriteCommand,
) -> Result<Response, ApiError> {
    let ctx = WriteContext {
        principal: who,
        remote_addr: remote,
        now: jiff::Timestamp::now(),
        idempotency,
    };
    Ok(write_response(state.store.write(ctx, cmd).await?))
}

/// Requests visible to the caller, newest first, keyset-paginated. With `since`, only those
/// changed after that event seq (and, on the first page, the ids of those that left the
/// caller's view); `event_seq` says where the answer stands in the event stream.
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    params(RequestFilter),
    responses(
        (status = 200, body = RequestPage),
        (status = 401, body = ErrorBody),
        (status = 410, description = "`since` is older than the events kept (code `resync`): reload the whole list", body = ErrorBody),
        (status = 422, description = "Bad filter or cursor", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    StrictQuery(filter): StrictQuery<RequestFilter>,
) -> Result<Json<RequestPage>, ApiError> {
    Ok(Json(
        state
            .store
            .list_requests(&who, filter, jiff::Timestamp::now())
            .await?,
    ))
}

/// A patronato files a request (needs an active mandate for the citizen).
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    request_body = NewRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response")),
    responses(
        (status = 201, body = RequestDetail, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "Invalid field (e.g. citizen) or idempotency mismatch", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    headers: HeaderMap,
    body: JsonBody<NewRequest>,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, "POST /v1/requests", None, &body.canonical)?;
    run_write(
        &state,
        who,
        remote,
        idem,
        WriteCommand::CreateRequest(body.value),
    )
    .await
}

/// A request with thread, history and SLA clocks.
#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "CBP-YYYY-NNNNNNN")),
    responses(
        (status = 200, body = RequestDetail, headers(("ETag" = String))),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Unknown or outside the caller's scope", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    Caller(who): Caller,
    super::extract::RemoteAddr(remote): super::extract::RemoteAddr,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let detail = state.store.get_request(&who, &id, remote).await?;
    let version = detail.summary.version;
    let mut response = Json(detail).into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    Ok(response)
}

/// Reply, internal note, integration request (INPS) or patronato message.
#[utoipa::path(post, path = "/v1/requests/{id}/messages", tag = "requests",
    security(("bearer" = [])), request_body = NewMessage,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header),
           ("If-Match" = Option<String>, Header)),
    responses(
        (status = 201, body = RequestDetail, headers(("ETag" = String))),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn add_message(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewMessage>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let precondition = if_match(&headers)?;
    let idem = idempotency(
        &headers,
        &format!("POST /v1/requests/{id}/messages"),
        precondition,
        &body.canonical,
    )?;
    let cmd = WriteCommand::AddMessage {
        id,
        if_match: precondition,
        message: body.value,
    };
    run_write(&state, who, remote, idem, cmd).await
}

/// take, release, assign, forward, close, reopen, tag, untag, book_appointment.
#[utoipa::path(post, path = "/v1/requests/{id}/actions", tag = "requests",
    security(("bearer" = [])), request_body = ActionBody,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header),
           ("If-Match" = Option<String>, Header, description = "ETag of the version acted on")),
    responses(
        (status = 200, body = RequestDetail, headers(("ETag" = String))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "illegal_transition", body = ErrorBody),
        (status = 412, description = "stale_version", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn act(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<ActionBody>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let precondition = if_match(&headers)?;
    let idem = idempotency(
        &headers,
        &format!("POST /v1/requests/{id}/actions"),
        precondition,
        &body.canonical,
    )?;
    let cmd = WriteCommand::Action {
        id,
        if_match: precondition,
        action: body.value,
    };
    run_write(&state, who, remote, idem, cmd).await
}
