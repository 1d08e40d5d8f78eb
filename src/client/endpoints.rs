//! One method per endpoint of DESIGN.md §4, returning the wire types of `crate::api`.

use std::collections::HashSet;

use serde::Serialize;

use super::transport::Call;
use super::{Client, ClientError, IdempotencyKey};
use crate::api::audit_export::{CsvExportAudit, ExportKind, MAX_IDS_PER_CALL};
use crate::api::dashboard::{DashboardResponse, QualityQuery, QualityReport};
use crate::api::{
    ActionBody, AuditEntry, Dossier, Me, NewMessage, NewRequest, Page, PresenceActivity,
    PresenceBody, QueueCount, RequestDetail, RequestFilter, RequestSummary,
};
use crate::domain::request::RequestId;

/// A value with the version the server reported in its `ETag`; pass the version back as
/// `If-Match` when acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
    /// The server answered a repeated idempotency key with the first response; nothing new
    /// was written. Always false for reads.
    pub replayed: bool,
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl Client {
    /// `GET /healthz`: Ok when the service answers 2xx.
    pub async fn healthz(&self) -> Result<(), ClientError> {
        self.execute(Call::get(self.url(&["healthz"]))).await?;
        Ok(())
    }

    /// `GET /v1/openapi.json`: the OpenAPI 3 document.
    pub async fn openapi(&self) -> Result<serde_json::Value, ClientError> {
        self.execute(Call::get(self.url(&["v1", "openapi.json"])))
            .await?
            .json()
    }

    /// `GET /v1/me`: who the token belongs to.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.execute(Call::get(self.url(&["v1", "me"])))
            .await?
            .json()
    }

    /// `GET /v1/queues`: queues visible to the caller, with counts.
    pub async fn queues(&self) -> Result<Vec<QueueCount>, ClientError> {
        self.execute(Call::get(self.url(&["v1", "queues"])))
            .await?
            .json()
    }

    /// `GET /v1/requests`: one page of requests matching `filter`.
    pub async fn list_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<crate::api::RequestPage, ClientError> {
        let mut url = self.url(&["v1", "requests"]);
        set_query(&mut url, filter)?;
        self.execute(Call::get(url)).await?.json()
    }

    /// Every request matching `filter`, following `next_cursor` until the last page.
    /// `filter.cursor` is the starting point (usually `None`).
    pub async fn list_all_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<Vec<RequestSummary>, ClientError> {
        let mut filter = filter.clone();
        let mut items = Vec::new();
        let mut seen_cursors = HashSet::new();
        loop {
            let page = self.list_requests(&filter).await?;
            items.extend(page.items);
            match page.next_cursor {
                None => return Ok(items),
                Some(cursor) => {
                    // A server bug must not turn into an endless loop.
                    if !seen_cursors.insert(cursor.clone()) {
                        return Err(ClientError::Decode(format!(
                            "the server returned cursor {cursor:?} twice"
                        )));
                    }
                    filter.cursor = Some(cursor);
                }
            }
        }
    }

    /// `GET /v1/requests/{id}`: the request with thread and history, and its version.
    pub async fn get_request(
        &self,
        id: &RequestId,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let answer = self
            .execute(Call::get(self.url(&["v1", "requests", id.as_str()])))
            .await?;
        versioned_detail(&answer)
    }

    /// `POST /v1/requests` (patronato clients): files a request.
    pub async fn create_request(
        &self,
        request: &NewRequest,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let call = Call::post(self.url(&["v1", "requests"]), request, key)?;
        versioned_detail(&self.execute(call).await?)
    }

    /// `POST /v1/requests/{id}/messages`: reply, internal note, integration request or
    /// patronato message. With `if_match`, the server refuses ([`ClientError::Stale`]) if the
    /// request changed since that version was read.
    pub async fn add_message(
        &self,
        id: &RequestId,
        message: &NewMessage,
        if_match: Option<u64>,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let url = self.url(&["v1", "requests", id.as_str(), "messages"]);
        let mut call = Call::post(url, message, key)?;
        call.if_match = if_match;
        versioned_detail(&self.execute(call).await?)
    }

    /// `POST /v1/requests/{id}/actions` with `If-Match: "<version>"`. A stale version is
    /// [`ClientError::Stale`]; an action the status machine refuses is
    /// [`ClientError::IllegalTransition`].
    pub async fn act(
        &self,
        id: &RequestId,
        version: u64,
        action: &ActionBody,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let url = self.url(&["v1", "requests", id.as_str(), "actions"]);
        let mut call = Call::post(url, action, key)?;
        call.if_match = Some(version);
        versioned_detail(&self.execute(call).await?)
    }

    /// `POST /v1/requests/{id}/presence`: tells other operators that the caller is viewing,
    /// replying to, or has left the request. Repeating it is harmless, so it is retried.
    pub async fn announce_presence(
        &self,
        id: &RequestId,
        activity: PresenceActivity,
    ) -> Result<(), ClientError> {
        let url = self.url(&["v1", "requests", id.as_str(), "presence"]);
        let key = IdempotencyKey::new();
        let call = Call::post(url, &PresenceBody { activity }, &key)?;
        self.execute(call).await?;
        Ok(())
    }

    /// `GET /v1/dossiers/{codice_fiscale}`: the citizen's dossier (the read is audited).
    pub async fn dossier(&self, codice_fiscale: &str) -> Result<Dossier, ClientError> {
        self.execute(Call::get(self.url(&["v1", "dossiers", codice_fiscale])))
            .await?
            .json()
    }

    /// `GET /v1/dashboard` (supervisors): cruscotto figures for the caller's scope.
    pub async fn dashboard(&self) -> Result<DashboardResponse, ClientError> {
        self.execute(Call::get(self.url(&["v1", "dashboard"])))
            .await?
            .json()
    }

    /// `GET /v1/offices/{code}/operators`: the operators and supervisors of an office.
    pub async fn office_operators(
        &self,
        office: &str,
    ) -> Result<Vec<crate::api::OfficeOperator>, ClientError> {
        self.execute(Call::get(self.url(&["v1", "offices", office, "operators"])))
            .await?
            .json()
    }

    /// `GET /v1/dashboard/quality?year=Y`: yearly indicators per patronato.
    pub async fn dashboard_quality(
        &self,
        query: &QualityQuery,
    ) -> Result<QualityReport, ClientError> {
        let mut url = self.url(&["v1", "dashboard", "quality"]);
        set_query(&mut url, query)?;
        self.execute(Call::get(url)).await?.json()
    }

    /// `POST /v1/audit/exports`: records a CSV export before its file is written, the ids in
    /// calls of at most [`MAX_IDS_PER_CALL`]. An error means the export is not audited: do not
    /// write the file.
    pub async fn record_export(
        &self,
        kind: ExportKind,
        purpose: &str,
        rows: u64,
        ids: &[RequestId],
    ) -> Result<(), ClientError> {
        let url = self.url(&["v1", "audit", "exports"]);
        let mut parts: Vec<&[RequestId]> = ids.chunks(MAX_IDS_PER_CALL).collect();
        if parts.is_empty() {
            parts.push(&[]);
        }
        let mut offset = 0;
        for part in parts {
            let body = CsvExportAudit {
                kind,
                purpose: purpose.to_string(),
                rows,
                ids: part.to_vec(),
                offset,
            };
            self.execute(Call::post(url.clone(), &body, &IdempotencyKey::new())?)
                .await?;
            offset += part.len() as u64;
        }
        Ok(())
    }

    /// `GET /v1/audit` (auditor role): one page of the audit log.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, ClientError> {
        let mut url = self.url(&["v1", "audit"]);
        set_query(&mut url, query)?;
        self.execute(Call::get(url)).await?.json()
    }
}

pub(super) fn versioned_detail(
    answer: &super::transport::Answer,
) -> Result<Versioned<RequestDetail>, ClientError> {
    let value: RequestDetail = answer.json()?;
    // The ETag is authoritative; the body's version is the same number, kept as a fallback
    // for proxies that strip the header.
    let version = answer.etag_version().unwrap_or(value.summary.version);
    Ok(Versioned {
        value,
        version,
        replayed: answer.is_replay(),
    })
}

/// Serializes `query` as URL query parameters (absent options are left out).
pub(super) fn set_query(url: &mut reqwest::Url, query: &impl Serialize) -> Result<(), ClientError> {
    let encoded = serde_urlencoded_string(query)?;
    url.set_query(if encoded.is_empty() {
        None
    } else {
        Some(&encoded)
    });
    Ok(())
}

/// Flat structs only: each field becomes `name=value`; `None` fields are skipped.
fn serde_urlencoded_string(query: &impl Serialize) -> Result<String, ClientError> {
    let value = serde_json::to_value(query).map_err(|e| ClientError::Config(e.to_string()))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(ClientError::Config("query must be a struct".into()));
    };
    let mut out =
        reqwest::Url::parse("http://q/").map_err(|e| ClientError::Config(e.to_string()))?;
    {
        let mut pairs = out.query_pairs_mut();
        for (name, value) in fields {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(text) => {
                    pairs.append_pair(&name, &text);
                }
                other => {
                    pairs.append_pair(&name, &other.to_string());
                }
            }
        }
    }
    Ok(out.query().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{Status, Topic};

    #[test]
    fn filter_becomes_query_without_absent_fields() {
        let filter = RequestFilter {
            status: Some(Status::InAttesaIntegrazione),
            topic: Some(Topic::AssegnoUnico),
            q: Some("rossi & co".into()),
            limit: Some(50),
            ..RequestFilter::default()
        };
        let query = serde_urlencoded_string(&filter).unwrap();
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            [
                "limit=50",
                "q=rossi+%26+co",
                "status=in_attesa_integrazione",
                "topic=assegno_unico"
            ]
        );
        assert_eq!(
            serde_urlencoded_string(&RequestFilter::default()).unwrap(),
            ""
        );
    }
}
