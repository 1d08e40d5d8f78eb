//! Every error leaves the service as `{code, message, field}` with the right status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::ErrorBody;
use crate::service::core::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message: message.into(),
                field: None,
            },
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Invalid { code, field, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field(field)
            }
            StoreError::Forbidden(_) => ApiError::forbidden(message),
            StoreError::Denied { code, .. } => ApiError::new(StatusCode::FORBIDDEN, code, message),
            StoreError::PreconditionRequired(_) => ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                message,
            )
            .with_field("If-Match"),
            StoreError::IllegalTransition(_) => {
                ApiError::new(StatusCode::CONFLICT, "illegal_transition", message)
            }
            StoreError::Stale { .. } => {
                ApiError::new(StatusCode::PRECONDITION_FAILED, "stale_version", message)
                    .with_field("If-Match")
            }
            StoreError::Refused { code, .. } => ApiError::new(StatusCode::CONFLICT, code, message),
            StoreError::Conflict(_) | StoreError::Duplicate => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                message,
            )
            .with_field("Idempotency-Key"),
            StoreError::Pruned(_) => {
                ApiError::new(StatusCode::GONE, "resync", message).with_field("since")
            }
            StoreError::Database(_)
            | StoreError::Encoding(_)
            | StoreError::Task(_)
            | StoreError::Setting { .. }
            | StoreError::Migration(_) => {
                tracing::error!(error = %message, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; nothing was written",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
