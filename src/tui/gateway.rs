//! What the workstation needs from the central service. The runner executes `Effect`s through
//! this trait; [`crate::tui::remote::ClientGateway`] implements it over `client::Client`.
//! [`LocalGateway`] keeps requests in memory, applying the domain status machine and version
//! checks like the service, for tests and tools that need no service.

use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::api::dashboard::DashboardResponse;
use crate::api::{
    ActionBody, Dossier, PresenceActivity, RequestDetail, RequestFilter, RequestSummary,
};
use crate::client::{EventStream, IdempotencyKey};
use crate::domain::request::{MessageKind, RequestId, Transition};

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// HTTP 412: the write carried a version someone else has already replaced.
    #[error("the request was changed by someone else")]
    Stale,
    #[error("request {0} not found")]
    NotFound(String),
    /// The caller's role may not do this (HTTP 403), e.g. an operator opening the cruscotto.
    #[error("{0}")]
    Forbidden(String),
    /// The request's status does not allow this action (HTTP 409 `illegal_transition`).
    #[error("{0}")]
    IllegalTransition(String),
    /// The service could not be reached (connection refused or broken, timeout): nothing was
    /// written.
    #[error("service unreachable: {0}")]
    Unreachable(String),
    /// HTTP 409 other than the status machine, e.g. a take won by someone else.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Rejected(String),
    /// HTTP 410 `resync`: the service no longer holds the changes since our position in the
    /// event stream; only a whole reload brings the list up to date.
    #[error("the changes since the last event are no longer kept: reload")]
    Resync,
}

/// One page of the workstation's list (`GET /v1/requests`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPage {
    pub rows: Vec<RequestSummary>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    /// The newest event the page reflects (`None`: a gateway without events).
    pub event_seq: Option<u64>,
    /// With `since`: rows that left our view (forwarded away): drop them.
    pub removed: Vec<RequestId>,
}

#[async_trait]
pub trait Gateway: Send + Sync {
    async fn list(&self) -> Result<Vec<RequestSummary>, GatewayError>;
    /// The page of the list after `cursor` (`None`: the first); with `since`, only the rows
    /// changed after that event seq. Gateways without events answer the whole list at once
    /// and cannot tell changes (`Resync`).
    async fn page(
        &self,
        since: Option<u64>,
        cursor: Option<String>,
    ) -> Result<ListPage, GatewayError> {
        if since.is_some() || cursor.is_some() {
            return Err(GatewayError::Resync);
        }
        Ok(ListPage {
            rows: self.list().await?,
            ..ListPage::default()
        })
    }
    async fn detail(&self, id: &RequestId) -> Result<RequestDetail, GatewayError>;
    /// One page of the requests `filter` selects (the cruscotto's drill-down), and whether more
    /// match. A gateway with no service behind it has no queues to ask.
    async fn requests(
        &self,
        _filter: RequestFilter,
    ) -> Result<(Vec<RequestSummary>, bool), GatewayError> {
        Err(GatewayError::Rejected(
            "queues of the service: not available without a service".into(),
        ))
    }
    /// A write with `If-Match: version`; answers the request as written. `key` is the
    /// action's idempotency key: the same for every attempt, replays from the outbox included.
    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
        key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError>;
    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        body: String,
        key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError>;
    /// The citizen's dossier (`GET /v1/dossiers/{cf}`, audited by the service).
    async fn dossier(&self, codice_fiscale: &str) -> Result<Dossier, GatewayError>;
    /// Tells other operators what we are doing with a request.
    async fn announce(
        &self,
        id: &RequestId,
        activity: PresenceActivity,
    ) -> Result<(), GatewayError>;
    /// Server events (self-reconnecting), when there is a service to listen to.
    fn events(&self) -> Option<EventStream> {
        None
    }
    /// The operators and supervisors of `office` (`GET /v1/offices/{code}/operators`), for the
    /// assign picker. Gateways without a service behind them know none.
    async fn office_operators(
        &self,
        _office: &str,
    ) -> Result<Vec<crate::api::OfficeOperator>, GatewayError> {
        Ok(vec![])
    }
    /// Cruscotto figures for the caller's scope (`GET /v1/dashboard`). Gateways without a
    /// service behind them have none.
    async fn dashboard(&self) -> Result<DashboardResponse, GatewayError> {
        Err(GatewayError::Rejected("cruscotto non disponibile".into()))
    }
    /// An office's slots (`GET /v1/offices/{office}/slots`).
    async fn slots(
        &self,
        _office: &str,
        _query: crate::api::SlotQuery,
    ) -> Result<crate::api::Slots, GatewayError> {
        Err(GatewayError::Rejected("agenda non disponibile".into()))
    }
    /// Books, moves or cancels an appointment. A slot whose last place went meanwhile is
    /// `Conflict("slot_full")`.
    async fn agenda(
        &self,
        _id: &RequestId,
        _version: u64,
        _op: crate::tui::agenda::AgendaOp,
    ) -> Result<RequestDetail, GatewayError> {
        Err(GatewayError::Rejected("agenda non disponibile".into()))
    }
    /// Records a CSV export in the service's audit log (`POST /v1/audit/exports`) before the
    /// file is written. Gateways without a service behind them cannot, so they refuse.
    async fn record_export(
        &self,
        _kind: crate::api::audit_export::ExportKind,
        _purpose: &str,
        _rows: u64,
        _ids: &[RequestId],
    ) -> Result<(), GatewayError> {
        Err(GatewayError::Rejected(
            "esportazione non registrabile: nessun servizio".into(),
        ))
    }
}
/// In-memory gateway over a fixed request list, acting as `operator`.
pub struct LocalGateway {
    operator: String,
    requests: Mutex<Vec<RequestSummary>>,
}

impl LocalGateway {
    pub fn new(operator: &str, requests: Vec<RequestSummary>) -> Self {
        LocalGateway {
            operator: operator.to_string(),
            requests: Mutex::new(requests),
        }
    }

    /// Applies `change` to the request if `version` is current, then bumps the version.
    fn with(
        &self,
        id: &RequestId,
        version: u64,
        change: impl FnOnce(&mut RequestSummary) -> Result<(), GatewayError>,
    ) -> Result<RequestSummary, GatewayError> {
        let mut requests = self
            .requests
            .lock()
            .map_err(|_| GatewayError::Rejected("store poisoned".into()))?;
        let r = requests
            .iter_mut()
            .find(|r| &r.id == id)
            .ok_or_else(|| GatewayError::NotFound(id.as_str().into()))?;
        if r.version != version {
            return Err(GatewayError::Stale);
        }
        change(r)?;
        r.version += 1;
        r.updated_at = Timestamp::now();
        Ok(r.clone())
    }
}

fn transition(r: &mut RequestSummary, t: Transition) -> Result<(), GatewayError> {
    r.status = r
        .status
        .apply(t)
        .map_err(|e| GatewayError::IllegalTransition(e.to_string()))?;
    Ok(())
}

/// Applies `body` to `r` as the service does (status machine, assignee, office, tags), acting
/// as `me`; the version is left to the caller.
pub fn apply_action(
    r: &mut RequestSummary,
    me: &str,
    body: &ActionBody,
) -> Result<(), GatewayError> {
    match body {
        ActionBody::Take => {
            transition(r, Transition::Take)?;
            r.assignee = Some(me.to_string());
        }
        ActionBody::Release => {
            transition(r, Transition::Release)?;
            r.assignee = None;
        }
        ActionBody::Assign { assignee } => {
            transition(r, Transition::Assign)?;
            r.assignee = Some(assignee.clone());
        }
        ActionBody::Forward { office, .. } => {
            transition(r, Transition::Forward)?;
            r.office = office.clone();
            r.assignee = None;
        }
        ActionBody::Close { .. } => transition(r, Transition::Close)?,
        ActionBody::Reopen { .. } => transition(r, Transition::Reopen)?,
        ActionBody::Tag { tag } => {
            if !r.tags.contains(tag) {
                r.tags.push(tag.clone());
            }
        }
        ActionBody::Untag { tag } => r.tags.retain(|t| t != tag),
        ActionBody::BookAppointment { .. } => {}
    }
    Ok(())
}

#[async_trait]
impl Gateway for LocalGateway {
    async fn list(&self) -> Result<Vec<RequestSummary>, GatewayError> {
        self.requests
            .lock()
            .map(|r| r.clone())
            .map_err(|_| GatewayError::Rejected("store poisoned".into()))
    }

    async fn detail(&self, id: &RequestId) -> Result<RequestDetail, GatewayError> {
        self.list()
            .await?
            .into_iter()
            .find(|r| &r.id == id)
            .map(bare_detail)
            .ok_or_else(|| GatewayError::NotFound(id.as_str().into()))
    }

    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
        _key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError> {
        let me = self.operator.clone();
        self.with(id, version, |r| apply_action(r, &me, &body))
            .map(bare_detail)
    }

    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        _body: String,
        _key: &IdempotencyKey,
    ) -> Result<RequestDetail, GatewayError> {
        self.with(id, version, |r| {
            transition(r, kind.transition())?;
            Ok(())
        })
        .map(bare_detail)
    }

    async fn dossier(&self, codice_fiscale: &str) -> Result<Dossier, GatewayError> {
        Err(GatewayError::NotFound(codice_fiscale.into()))
    }

    async fn announce(
        &self,
        _id: &RequestId,
        _activity: PresenceActivity,
    ) -> Result<(), GatewayError> {
        Ok(())
    }
}

/// A summary as a detail with no thread or history (all the in-memory gateway keeps).
fn bare_detail(summary: RequestSummary) -> RequestDetail {
    RequestDetail {
        summary,
        application_protocol: None,
        outcome: None,
        thread: vec![],
        history: vec![],
        appointments: vec![],
    }
}
