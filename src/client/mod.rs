//! Async client of the central service: every endpoint, retries, SSE with resume.
//!
//! ```no_run
//! # async fn demo() -> Result<(), combipat::client::ClientError> {
//! use combipat::client::{Client, ClientOptions, IdempotencyKey};
//! let client = Client::new("http://127.0.0.1:8080", "token", ClientOptions::default())?;
//! let detail = client.get_request(&combipat::domain::request::RequestId::new(2026, 1)).await?;
//! // One key per user action, reused by every retry of that action.
//! let key = IdempotencyKey::new();
//! client
//!     .act(&detail.value.summary.id, detail.version, &combipat::api::ActionBody::Take, &key)
//!     .await?;
//! # Ok(()) }
//! ```

mod agenda;
mod endpoints;
mod error;
mod events;
mod idempotency;
mod retry;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

pub use endpoints::{AuditQuery, Versioned};
pub use error::ClientError;
pub use events::{ConnectionState, EventItem, EventStream};
pub use idempotency::{IdempotencyKey, InvalidIdempotencyKey};
pub use retry::Backoff;

/// Tuning of a [`Client`]. The defaults suit an operator's workstation on an office LAN.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Deadline of one attempt of one call (connect + send + whole answer).
    pub request_timeout: Duration,
    /// Deadline for establishing a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Retries of idempotent calls (GETs and keyed writes) after 5xx, timeouts, network errors.
    pub retry: Backoff,
    /// SSE reconnection delays (attempts unbounded while the stream is alive).
    pub reconnect: Backoff,
    /// The first SSE reconnection after a drop waits a further random 0..=this: a service
    /// restart drops every stream at once, and this turns the stampede back into a ramp.
    pub reconnect_spread: Duration,
    /// An SSE connection silent for this long is presumed dead and reopened. The service sends
    /// keep-alive comments well within it.
    pub sse_idle_timeout: Duration,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            retry: Backoff::default(),
            reconnect: Backoff {
                initial: Duration::from_millis(250),
                max: Duration::from_secs(15),
                max_attempts: u32::MAX,
            },
            reconnect_spread: Duration::from_secs(10),
            sse_idle_timeout: Duration::from_secs(60),
            user_agent: format!("combipat/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// A handle to the central service. Cheap to clone; clones share connections.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// Always ends with `/` so that relative joins keep any path prefix.
    base: Url,
    authorization: HeaderValue,
    options: ClientOptions,
}

impl Client {
    /// A client for the service at `base_url` (e.g. `http://127.0.0.1:8080`, optionally with a
    /// path prefix) authenticating with the bearer `token`.
    pub fn new(base_url: &str, token: &str, options: ClientOptions) -> Result<Client, ClientError> {
        let mut base = Url::parse(base_url)
            .map_err(|e| ClientError::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::Config(format!(
                "base URL {base_url:?} must be http:// or https://"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);

        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                ClientError::Config("token contains characters not allowed in a header".into())
            })?;
        authorization.set_sensitive(true);

        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                authorization,
                options,
            }),
        })
    }

    /// The service's base URL (with a trailing `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// `base` + the given path segments, each percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_prefix_and_encode_segments() {
        let client = Client::new("http://h:1/prefix", "t", ClientOptions::default()).unwrap();
        assert_eq!(
            client.url(&["v1", "dossiers", "A B/C"]).as_str(),
            "http://h:1/prefix/v1/dossiers/A%20B%2FC"
        );
        let bare = Client::new("http://h:1", "t", ClientOptions::default()).unwrap();
        assert_eq!(bare.url(&["healthz"]).as_str(), "http://h:1/healthz");
    }

    #[test]
    fn rejects_bad_configuration() {
        for url in ["not a url", "ftp://h/", "mailto:x@y"] {
            let error = Client::new(url, "t", ClientOptions::default()).unwrap_err();
            assert!(matches!(error, ClientError::Config(_)), "{url}");
        }
        let error = Client::new("http://h", "bad\ntoken", ClientOptions::default()).unwrap_err();
        assert!(matches!(error, ClientError::Config(_)));
    }
}
