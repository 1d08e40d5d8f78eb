//! Agenda appuntamenti: free slots of an office, appointments of a request.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::AppState;
use super::errors::ApiError;
use super::extract::{Caller, JsonBody, RemoteAddr, StrictQuery};
use super::requests::{idempotency, if_match, parse_id, run_write};
use crate::api::{
    AppointmentList, AppointmentQuery, CancelAppointment, ErrorBody, MoveRequest, NewAppointment,
    RequestDetail, RescheduleAppointment, SlotQuery, Slots,
};
use crate::service::core::WriteCommand;
use crate::service::core::agenda::AgendaCommand;

/// Every slot of the office's days (Europe/Rome), with the places left; closing days are
/// listed with their reasons and no slots.
#[utoipa::path(get, path = "/v1/offices/{office}/slots", tag = "agenda", security(("bearer" = [])),
    params(("office" = String, Path), SlotQuery),
    responses(
        (status = 200, body = Slots),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Unknown office", body = ErrorBody),
        (status = 422, description = "Bad from/to", body = ErrorBody),
    ))]
pub async fn slots(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(office): Path<String>,
    StrictQuery(query): StrictQuery<SlotQuery>,
) -> Result<Json<Slots>, ApiError> {
    Ok(Json(state.store.slots(&who, &office, query).await?))
}

/// Appointments in the caller's scope, by start: an office's day, an operator's, or (for a
/// patronato) its own only.
#[utoipa::path(get, path = "/v1/appointments", tag = "agenda", security(("bearer" = [])),
    params(AppointmentQuery),
    responses(
        (status = 200, body = AppointmentList),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    StrictQuery(query): StrictQuery<AppointmentQuery>,
) -> Result<Json<AppointmentList>, ApiError> {
    Ok(Json(state.store.appointments(&who, query).await?))
}

/// Books a free slot of the request's office.
#[utoipa::path(post, path = "/v1/requests/{id}/appointments", tag = "agenda",
    security(("bearer" = [])), request_body = NewAppointment,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header),
           ("If-Match" = Option<String>, Header, description = "ETag of the request")),
    responses(
        (status = 201, body = RequestDetail, headers(("ETag" = String))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "slot_full, appointment_exists, illegal_transition", body = ErrorBody),
        (status = 412, body = ErrorBody),
        (status = 422, description = "start outside hours or on a closing day, channel not offered", body = ErrorBody),
    ))]
pub async fn book(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewAppointment>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let path = format!("POST /v1/requests/{id}/appointments");
    let JsonBody {
        value, canonical, ..
    } = body;
    agenda_write(
        &state,
        who,
        remote,
        &headers,
        &path,
        &canonical,
        |if_match| AgendaCommand::Book {
            id,
            if_match,
            body: value,
        },
    )
    .await
}

/// Moves an appointment to another free slot (and channel).
#[utoipa::path(post, path = "/v1/requests/{id}/appointments/{appointment}/reschedule",
    tag = "agenda", security(("bearer" = [])), request_body = RescheduleAppointment,
    params(("id" = String, Path), ("appointment" = i64, Path),
           ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = RequestDetail, headers(("ETag" = String))),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn reschedule(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path((id, appointment)): Path<(String, i64)>,
    headers: HeaderMap,
    body: JsonBody<RescheduleAppointment>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let path = format!("POST /v1/requests/{id}/appointments/{appointment}/reschedule");
    let JsonBody {
        value, canonical, ..
    } = body;
    agenda_write(
        &state,
        who,
        remote,
        &headers,
        &path,
        &canonical,
        |if_match| AgendaCommand::Reschedule {
            id,
            appointment,
            if_match,
            body: value,
        },
    )
    .await
}

/// Cancels an appointment: its place is free again.
#[utoipa::path(post, path = "/v1/requests/{id}/appointments/{appointment}/cancel",
    tag = "agenda", security(("bearer" = [])), request_body = CancelAppointment,
    params(("id" = String, Path), ("appointment" = i64, Path),
           ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = RequestDetail, headers(("ETag" = String))),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path((id, appointment)): Path<(String, i64)>,
    headers: HeaderMap,
    body: JsonBody<CancelAppointment>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let path = format!("POST /v1/requests/{id}/appointments/{appointment}/cancel");
    let JsonBody {
        value, canonical, ..
    } = body;
    agenda_write(
        &state,
        who,
        remote,
        &headers,
        &path,
        &canonical,
        |if_match| AgendaCommand::Cancel {
            id,
            appointment,
            if_match,
            body: value,
        },
    )
    .await
}

/// The patronato asks the office to move an appointment, with a message.
#[utoipa::path(post, path = "/v1/requests/{id}/appointments/{appointment}/move-request",
    tag = "agenda", security(("bearer" = [])), request_body = MoveRequest,
    params(("id" = String, Path), ("appointment" = i64, Path),
           ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = RequestDetail, headers(("ETag" = String))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn ask_to_move(
    State(state): State<AppState>,
    Caller(who): Caller,
    RemoteAddr(remote): RemoteAddr,
    Path((id, appointment)): Path<(String, i64)>,
    headers: HeaderMap,
    body: JsonBody<MoveRequest>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let path = format!("POST /v1/requests/{id}/appointments/{appointment}/move-request");
    let JsonBody {
        value, canonical, ..
    } = body;
    agenda_write(
        &state,
        who,
        remote,
        &headers,
        &path,
        &canonical,
        |if_match| AgendaCommand::AskToMove {
            id,
            appointment,
            if_match,
            body: value,
        },
    )
    .await
}

/// The steps every agenda write shares: `If-Match`, the idempotency key over `path` and the
/// body, then the command through the core.
async fn agenda_write(
    state: &AppState,
    who: crate::service::core::Principal,
    remote: Option<String>,
    headers: &HeaderMap,
    path: &str,
    canonical: &[u8],
    command: impl FnOnce(Option<u64>) -> AgendaCommand,
) -> Result<Response, ApiError> {
    let precondition = if_match(headers)?;
    let idem = idempotency(headers, path, precondition, canonical)?;
    run_write(
        state,
        who,
        remote,
        idem,
        WriteCommand::Agenda(command(precondition)),
    )
    .await
}
