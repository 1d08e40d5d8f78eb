//! One HTTP call with timeout, auth, and retries where retrying cannot duplicate a write.

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::error::{ClientError, from_transport};
use super::{Client, IdempotencyKey};

/// What to send.
pub(super) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    /// Serialized JSON body.
    pub body: Option<Vec<u8>>,
    pub idempotency: Option<&'a IdempotencyKey>,
    /// `If-Match: "<version>"`.
    pub if_match: Option<u64>,
}

impl<'a> Call<'a> {
    pub fn get(url: Url) -> Self {
        Call {
            method: Method::GET,
            url,
            body: None,
            idempotency: None,
            if_match: None,
        }
    }

    pub fn post(
        url: Url,
        body: &impl serde::Serialize,
        key: &'a IdempotencyKey,
    ) -> Result<Self, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Call {
            method: Method::POST,
            url,
            body: Some(body),
            idempotency: Some(key),
            if_match: None,
        })
    }

    /// GETs are safe; a write is retried only when its idempotency key makes a repeat harmless.
    fn is_retryable(&self) -> bool {
        self.method == Method::GET || self.idempotency.is_some()
    }
}

/// A successful (2xx) answer.
pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ClientError::Decode(format!(
                "{e} (HTTP {}, {} bytes)",
                self.status.as_u16(),
                self.body.len()
            ))
        })
    }

    /// The service marks answers replayed for a repeated idempotency key.
    pub fn is_replay(&self) -> bool {
        self.headers
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
    }

    /// The version in `ETag: "<version>"` (weak tags accepted), if present and numeric.
    pub fn etag_version(&self) -> Option<u64> {
        let tag = self.headers.get(header::ETAG)?.to_str().ok()?;
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag.trim_matches('"').parse().ok()
    }
}

impl Client {
    /// Sends `call`, retrying transient failures (5xx, timeouts, broken connections) with
    /// backoff when the call is idempotent. 4xx answers are returned at once, never retried.
    pub(super) async fn execute(&self, call: Call<'_>) -> Result<Answer, ClientError> {
        let policy = self.inner.options.retry;
        let attempts = if call.is_retryable() {
            policy.max_attempts.max(1)
        } else {
            1
        };
        let mut retry = 0;
        loop {
            match self.attempt(&call).await {
                Err(error) if error.is_transient() && retry + 1 < attempts => {
                    let delay = policy.delay(retry, &mut rand::rng());
                    tracing::debug!(
                        method = %call.method,
                        url = %call.url,
                        retry = retry + 1,
                        ?delay,
                        %error,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<Answer, ClientError> {
        let timeout = self.inner.options.request_timeout;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(timeout)
            .header(header::AUTHORIZATION, self.inner.authorization.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(key) = call.idempotency {
            request = request.header("Idempotency-Key", key.as_str());
        }
        if let Some(version) = call.if_match {
            let value = HeaderValue::from_str(&format!("\"{version}\""))
                .map_err(|e| ClientError::Config(e.to_string()))?;
            request = request.header(header::IF_MATCH, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| from_transport(e, timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| from_transport(e, timeout))?
            .to_vec();
        if status.is_success() {
            Ok(Answer {
                status,
                headers,
                body,
            })
        } else {
            Err(ClientError::from_response(status, &body))
        }
    }
}
