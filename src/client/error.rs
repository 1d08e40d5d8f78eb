//! Typed errors of the client: one variant per thing a caller reacts to differently.

use reqwest::StatusCode;
use thiserror::Error;

use crate::api::ErrorBody;

/// Everything a call to the service can end with, other than success.
///
/// HTTP errors keep the server's `{code, message, field}` body so a UI can name the field.
#[derive(Debug, Error)]
pub enum ClientError {
    /// 401: no token, unknown or revoked token.
    #[error("unauthorized: {}", .0.message)]
    Unauthorized(ErrorBody),
    /// 403: authenticated but not allowed (role, scope, missing mandate).
    #[error("forbidden: {}", .0.message)]
    Forbidden(ErrorBody),
    /// 404: absent, or outside the caller's scope (another office's request).
    #[error("not found: {}", .0.message)]
    NotFound(ErrorBody),
    /// 409 with code `illegal_transition`: the status machine refused the action.
    #[error("illegal transition: {}", .0.message)]
    IllegalTransition(ErrorBody),
    /// 409 otherwise: e.g. a concurrent take won by someone else.
    #[error("conflict: {}", .0.message)]
    Conflict(ErrorBody),
    /// 412: `If-Match` carried an old version; reload and decide again.
    #[error("stale version: {}", .0.message)]
    Stale(ErrorBody),
    /// 413: body over the server's limit.
    #[error("payload too large: {}", .0.message)]
    PayloadTooLarge(ErrorBody),
    /// 422 with code `idempotency_mismatch`: the key was already used with a different body.
    #[error("idempotency key reused with a different body: {}", .0.message)]
    IdempotencyMismatch(ErrorBody),
    /// 400/422: bad input; `field` names the offending field when the server knows it.
    #[error("invalid input{}: {}", .0.field.as_deref().map(|f| format!(" in {f}")).unwrap_or_default(), .0.message)]
    Invalid(ErrorBody),
    /// 5xx after the last retry.
    #[error("server error {status}: {}", .body.message)]
    Server { status: u16, body: ErrorBody },
    /// Any other non-success status.
    #[error("HTTP {status}: {}", .body.message)]
    Api { status: u16, body: ErrorBody },
    /// The per-request timeout elapsed (after the last retry, if any).
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// Could not connect or the connection broke (after the last retry, if any).
    #[error("network error: {0}")]
    Network(String),
    /// The server answered 2xx with a body that is not what the API promises.
    #[error("cannot decode the server's answer: {0}")]
    Decode(String),
    /// The client was built with an unusable base URL or token.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ClientError {
    /// Maps a non-success HTTP answer to its variant. `body` is the raw response body.
    pub fn from_response(status: StatusCode, body: &[u8]) -> ClientError {
        let body = parse_error_body(status, body);
        match status.as_u16() {
            401 => ClientError::Unauthorized(body),
            403 => ClientError::Forbidden(body),
            404 => ClientError::NotFound(body),
            409 if body.code == "illegal_transition" => ClientError::IllegalTransition(body),
            409 => ClientError::Conflict(body),
            412 => ClientError::Stale(body),
            413 => ClientError::PayloadTooLarge(body),
            422 if body.code == "idempotency_mismatch" => ClientError::IdempotencyMismatch(body),
            400 | 422 => ClientError::Invalid(body),
            s @ 500..=599 => ClientError::Server { status: s, body },
            s => ClientError::Api { status: s, body },
        }
    }

    /// The HTTP status, when the error came from an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        use ClientError::*;
        match self {
            Unauthorized(_) => Some(401),
            Forbidden(_) => Some(403),
            NotFound(_) => Some(404),
            IllegalTransition(_) | Conflict(_) => Some(409),
            Stale(_) => Some(412),
            PayloadTooLarge(_) => Some(413),
            IdempotencyMismatch(_) => Some(422),
            // 400 and 422 share a variant; the body's code tells them apart if needed.
            Invalid(_) => Some(422),
            Server { status, .. } | Api { status, .. } => Some(*status),
            Timeout(_) | Network(_) | Decode(_) | Config(_) => None,
        }
    }

    /// The server's error body, when there is one.
    pub fn body(&self) -> Option<&ErrorBody> {
        use ClientError::*;
        match self {
            Unauthorized(b)
            | Forbidden(b)
            | NotFound(b)
            | IllegalTransition(b)
            | Conflict(b)
            | Stale(b)
            | PayloadTooLarge(b)
            | IdempotencyMismatch(b)
            | Invalid(b) => Some(b),
            Server { body, .. } | Api { body, .. } => Some(body),
            Timeout(_) | Network(_) | Decode(_) | Config(_) => None,
        }
    }

    /// The offending field named by the server (422 `invalid_field` and friends).
    pub fn field(&self) -> Option<&str> {
        self.body().and_then(|b| b.field.as_deref())
    }

    /// The server's machine code (`not_found`, `stale_version`…), if any.
    pub fn code(&self) -> Option<&str> {
        self.body().map(|b| b.code.as_str())
    }

    /// Transient failures worth another attempt of an idempotent call. Never a 4xx.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClientError::Server { .. } | ClientError::Timeout(_) | ClientError::Network(_)
        )
    }
}

/// The server's `{code, message, field}`, or a stand-in when a proxy answered with something else.
fn parse_error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        return parsed;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text.chars().take(300).collect()
    };
    ErrorBody {
        code: format!("http_{}", status.as_u16()),
        message,
        field: None,
    }
}

/// Classifies a transport error from reqwest.
pub(crate) fn from_transport(error: reqwest::Error, timeout: std::time::Duration) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout(timeout)
    } else if error.is_decode() {
        ClientError::Decode(error.to_string())
    } else if error.is_builder() {
        ClientError::Config(error.to_string())
    } else {
        ClientError::Network(error_chain(&error))
    }
}

/// reqwest's top-level message is vague ("error sending request"); the sources say why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str, field: Option<&str>) -> Vec<u8> {
        serde_json::to_vec(&ErrorBody {
            code: code.into(),
            message: "m".into(),
            field: field.map(Into::into),
        })
        .unwrap()
    }

    type Case = (u16, &'static str, fn(&ClientError) -> bool);

    #[test]
    fn statuses_map_to_variants() {
        let cases: &[Case] = &[
            (401, "unauthorized", |e| {
                matches!(e, ClientError::Unauthorized(_))
            }),
            (403, "forbidden", |e| matches!(e, ClientError::Forbidden(_))),
            (404, "not_found", |e| matches!(e, ClientError::NotFound(_))),
            (409, "illegal_transition", |e| {
                matches!(e, ClientError::IllegalTransition(_))
            }),
            (409, "conflict", |e| matches!(e, ClientError::Conflict(_))),
            (412, "stale_version", |e| matches!(e, ClientError::Stale(_))),
            (413, "payload_too_large", |e| {
                matches!(e, ClientError::PayloadTooLarge(_))
            }),
            (422, "idempotency_mismatch", |e| {
                matches!(e, ClientError::IdempotencyMismatch(_))
            }),
            (422, "invalid_field", |e| {
                matches!(e, ClientError::Invalid(_))
            }),
            (400, "bad_request", |e| matches!(e, ClientError::Invalid(_))),
            (503, "unavailable", |e| {
                matches!(e, ClientError::Server { status: 503, .. })
            }),
            (429, "rate_limited", |e| {
                matches!(e, ClientError::Api { status: 429, .. })
            }),
        ];
        for (status, code, is_expected) in cases {
            let error = ClientError::from_response(
                StatusCode::from_u16(*status).unwrap(),
                &body(code, None),
            );
            assert!(is_expected(&error), "{status} {code} → {error:?}");
            assert_eq!(error.code(), Some(*code));
            assert_eq!(error.is_transient(), *status >= 500, "{status}");
        }
    }

    #[test]
    fn field_is_kept_and_shown() {
        let error = ClientError::from_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &body("invalid_field", Some("citizen")),
        );
        assert_eq!(error.field(), Some("citizen"));
        assert_eq!(error.status(), Some(422));
        assert!(error.to_string().contains("citizen"), "{error}");
    }

    #[test]
    fn non_json_bodies_become_a_stand_in() {
        let error = ClientError::from_response(StatusCode::BAD_GATEWAY, b"<html>nginx</html>");
        assert_eq!(error.code(), Some("http_502"));
        assert!(error.is_transient());
        let empty = ClientError::from_response(StatusCode::NOT_FOUND, b"");
        assert_eq!(empty.body().unwrap().message, "Not Found");
    }
}
