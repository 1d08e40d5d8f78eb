//! The workstation's gateway to a real central service (embedded or remote), over HTTP.

use async_trait::async_trait;

use crate::api::dashboard::DashboardResponse;
use crate::api::{
    ActionBody, Dossier, NewMessage, PresenceActivity, RequestDetail, RequestFilter, RequestSummary,
};
use crate::client::{Client, ClientError, EventStream, IdempotencyKey};
use crate::domain::request::{MessageKind, RequestId};
use crate::tui::gateway::{Gateway, GatewayError, ListPage};

/// Every call goes through `client::Client`; each user action comes with one idempotency key
/// (made when the operator acts, kept in the outbox if the service is unreachable), reused by
/// the client's retries and the outbox's replays, so a retried write never lands twice.
pub struct ClientGateway {
    client: Client,
    /// Closed requests are listed when closed (last updated) within this many days; `None`:
    /// all of them.
    closed_days: Option<u32>,
}

/// Rows per page of the list: the first page shows at once, the rest follows.
pub const PAGE_ROWS: u32 = 500;

impl ClientGateway {
    pub fn new(client: Client) -> Self {
        ClientGateway {
            client,
            closed_days: None,
        }
    }

    /// Lists closed requests only from the last `days` days (`[workstation] closed_days`).
    pub fn with_closed_days(mut self, days: Option<u32>) -> Self {
        self.closed_days = days;
        self
    }

    fn filter(&self, since: Option<u64>, cursor: Option<String>) -> RequestFilter {
        let closed_since = self.closed_days.and_then(|days| {
            jiff::Timestamp::now()
                .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
                .ok()
        });
        RequestFilter {
            limit: Some(PAGE_ROWS),
            cursor,
            since,
            closed_since,
            ..RequestFilter::default()
        }
    }
}

fn gateway_error(error: ClientError) -> GatewayError {
    match error {
        ClientError::Stale(_) => GatewayError::Stale,
        ClientError::NotFound(_) => GatewayError::NotFound(error.to_string()),
        ClientError::Forbidden(body) => GatewayError::Forbidden(body.message),
        ClientError::IllegalTransition(body) => GatewayError::IllegalTransition(body.message),
        ClientError::Conflict(body) => GatewayError::Conflict(body.message),
        _ if error.status() == Some(410) => GatewayError::Resync,
        // A proxy in front of a stopped service answers 502–504: just as unreachable.
        ClientError::Network(_)
        | ClientError::Timeout(_)
        | ClientError::Server {
            status: 502..=504, ..
        } => GatewayError::Unreachable(error.to_string()),
        other => GatewayError::Rejected(other.to_string()),
    }
}

#[async_trait]
impl Gateway for ClientGateway {
    async fn requests(
        &self,
        filter: RequestFilter,
    ) -> Result<(Vec<RequestSummary>, bool), GatewayError> {
        let page = self
            .client
            .list_requests(&filter)
            .await
            .map_err(gateway_error)?;
        Ok((page.items, page.next_cursor.is_some()))
    }

    async fn list(&self) -> Result<Vec<RequestSummary>, GatewayError> {
        self.client
            .list_all_requests(&self.filter(None, None))
            .await
            .map_err(gateway_error)
    }

    async fn page(
        &self,
        since: Option<u64>,
        cursor: Option<String>,
    ) -> Result<ListPage, GatewayError> {
        let page = self
            .client
            .list_requests(&self.filter(since, cursor))
            .await
            .map_err(gateway_error)?;
        Ok(ListPage {
            rows: page.items,
            next: page.next_cursor,
            event_seq: Some(page.event_seq),
            removed: page.removed,
        })
    }

    async fn detail(&self, id: &RequestId) -> Result<RequestDetail, GatewayError> {
        self.client
            .get_request(id)
            .await
            .map(|answer| answer.value)
            .map_err(gateway_error)
    }

    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
        key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError> {
        self.client
            .act(id, version, &body, key)
            .await
            .map(|answer| answer.value)
            .map_err(gateway_error)
    }

    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        body: String,
        key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError> {
        self.client
            .add_message(id, &NewMessage { kind, body }, Some(version), key)
            .await
            .map(|answer| answer.value)
            .map_err(gateway_error)
    }

    async fn dossier(&self, codice_fiscale: &str) -> Result<Dossier, GatewayError> {
        self.client
            .dossier(codice_fiscale)
            .await
            .map_err(gateway_error)
    }

    async fn announce(
        &self,
        id: &RequestId,
        activity: PresenceActivity,
    ) -> Result<(), GatewayError> {
        self.client
            .announce_presence(id, activity)
            .await
            .map_err(gateway_error)
    }

    fn events(&self) -> Option<EventStream> {
        Some(self.client.events(None))
    }

    async fn office_operators(
        &self,
        office: &str,
    ) -> Result<Vec<crate::api::OfficeOperator>, GatewayError> {
        self.client
            .office_operators(office)
            .await
            .map_err(gateway_error)
    }

    async fn dashboard(&self) -> Result<DashboardResponse, GatewayError> {
        self.client.dashboard().await.map_err(gateway_error)
    }

    async fn slots(
        &self,
        office: &str,
        query: crate::api::SlotQuery,
    ) -> Result<crate::api::Slots, GatewayError> {
        self.client
            .slots(office, &query)
            .await
            .map_err(gateway_error)
    }

    async fn agenda(
        &self,
        id: &RequestId,
        version: u64,
        op: crate::tui::agenda::AgendaOp,
    ) -> Result<RequestDetail, GatewayError> {
        use crate::tui::agenda::AgendaOp;
        let key = IdempotencyKey::new();
        let answer = match &op {
            AgendaOp::Book(body) => self.client.book_appointment(id, version, body, &key).await,
            AgendaOp::Reschedule { appointment, body } => {
                self.client
                    .reschedule_appointment(id, *appointment, version, body, &key)
                    .await
            }
            AgendaOp::Cancel { appointment, body } => {
                self.client
                    .cancel_appointment(id, *appointment, version, body, &key)
                    .await
            }
        };
        answer.map(|a| a.value).map_err(|e| match e.code() {
            // The catalog explains it in the user's language.
            Some("slot_full") => GatewayError::Conflict("slot_full".into()),
            _ => gateway_error(e),
        })
    }

    async fn record_export(
        &self,
        kind: crate::api::audit_export::ExportKind,
        purpose: &str,
        rows: u64,
        ids: &[RequestId],
    ) -> Result<(), GatewayError> {
        self.client
            .record_export(kind, purpose, rows, ids)
            .await
            .map_err(gateway_error)
    }
}
