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
    /// The same JSON in one canonical spelling (object keys sorted, no spaces): what the
    /// idempotency hash covers, so that key order and spacing do not make another request.
    pub canonical: Vec<u8>,
}

/// `Content-Type` is JSON: `application/json`, optionally with parameters (`; charset=utf-8`);
/// not `application/jsonx`, not `text/json`, not `application/problem+json`.
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Canonical JSON text of a value: object keys sorted (by code point), no insignificant
/// whitespace, strings and numbers as serde_json writes them.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    fn write(value: &serde_json::Value, out: &mut Vec<u8>) {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push(b'{');
                for (index, (key, item)) in entries.into_iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write(&serde_json::Value::String(key.clone()), out);
                    out.push(b':');
                    write(item, out);
                }
                out.push(b'}');
            }
            serde_json::Value::Array(items) => {
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
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
            .is_some_and(is_json_content_type);
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
        // Parsing as T succeeded, so the bytes are one JSON value.
        let canonical = serde_json::from_slice::<serde_json::Value>(&raw)
            .map(|v| canonical_json(&v))
            .map_err(|e| ApiError::bad_request("malformed_json", format!("malformed JSON: {e}")))?;
        Ok(JsonBody {
            value,
            raw,
            canonical,
        })
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

/// The bearer token of a request, as sent (for handlers that re-check it later).
pub struct BearerToken(pub String);

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .map(|t| BearerToken(t.to_string()))
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The authenticated caller (bearer token).
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
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
    fn only_json_is_json() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            assert!(is_json_content_type(ok), "{ok}");
        }
        for refused in [
            "application/jsonx",
            "application/json-patch+json",
            "application/problem+json",
            "text/json",
            "application/x-www-form-urlencoded",
            "",
        ] {
            assert!(!is_json_content_type(refused), "{refused}");
        }
    }

    #[test]
    fn canonical_json_ignores_key_order_and_spacing() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, {"y": "é", "x": null}], "a": "q\"t"}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":"q\"t","b":[1,{"x":null,"y":"\u00e9"}]}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            String::from_utf8(canonical_json(&a)).unwrap(),
            r#"{"a":"q\"t","b":[1,{"x":null,"y":"é"}]}"#
        );
        let c: serde_json::Value = serde_json::from_str(r#"{"a":"other"}"#).unwrap();
        assert_ne!(canonical_json(&a), canonical_json(&c));
    }

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
