//! Extractors whose rejections are `{code, message, field}`: the JSON body (keeping the raw
//! bytes for the idempotency hash), the query string, the bearer caller and the client address.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::errors::ApiError;
use crate::service::core::Principal;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body parsed strictly, with the bytes it came from.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Bytes,
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    } else {
        ApiError::bad_request("bad_body", rejection.body_text())
    }
}

/// Turns a serde error at a path into `{code, message, field}`: syntax errors are 400, data
/// errors (missing, unknown or mistyped fields) are 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(raw);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request("malformed_json", format!("malformed JSON: {inner}"))
            }
            Category::Data => {
                let message = inner.to_string();
                let field = named_field(&message)
                    .map(|name| {
                        if path == "." || path.is_empty() {
                            name
                        } else if path == name || path.ends_with(&format!(".{name}")) {
                            path.clone()
                        } else {
                            format!("{path}.{name}")
                        }
                    })
                    .unwrap_or_else(|| if path == "." { String::new() } else { path });
                let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
                if field.is_empty() {
                    err
                } else {
                    err.with_field(field)
                }
            }
        }
    })?;
    // Trailing garbage after the JSON value is a syntax error too.
    de.end()
        .map_err(|e| ApiError::bad_request("malformed_json", format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde names missing and unknown fields in backticks (`missing field `subject``).
fn named_field(message: &str) -> Option<String> {
    let is_about_a_field =
        message.starts_with("missing field") || message.starts_with("unknown field");
    if !is_about_a_field {
        return None;
    }
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        let raw = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let value = parse_json(&raw)?;
        Ok(JsonBody { value, raw })
    }
}

/// A query string parsed strictly (unknown parameters are a 422 naming the parameter).
pub struct StrictQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for StrictQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(value)| StrictQuery(value))
            .map_err(|rejection| {
                let message = rejection.body_text();
                let detail = message
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&message);
                let field = named_field(detail).or_else(|| query_field(detail));
                let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail);
                match field {
                    Some(field) => err.with_field(field),
                    None => err,
                }
            })
    }
}

/// serde_urlencoded reports a bad value as `<field>: <reason>`.
fn query_field(detail: &str) -> Option<String> {
    let (field, _) = detail.split_once(": ")?;
    let plain = !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain.then(|| field.to_string())
}

/// The authenticated caller (bearer token).
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        state
            .store
            .authenticate(token)
            .await?
            .map(Caller)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The client's address as seen by the socket, when served with connect info.
pub struct RemoteAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RemoteAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NewRequest;

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<NewRequest>(b"{").unwrap_err();
        assert_eq!(
            (e.status, e.body.code.as_str()),
            (StatusCode::BAD_REQUEST, "malformed_json")
        );
        let e = parse_json::<NewRequest>(br#"{"office":"RM01"}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.body.field.as_deref(), Some("topic"));
        let e = parse_json::<NewRequest>(
            br#"{"office":"RM01","topic":"pensioni","citizen":"X","subject":"s","body":"b","colour":1}"#,
        )
        .unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("colour"));
        let e = parse_json::<NewRequest>(br#"{"office":"RM01","topic":"nope"}"#).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("topic"));
    }
}
