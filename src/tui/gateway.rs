//! What the workstation needs from the central service. The runner executes `Effect`s through
//! this trait; the HTTP implementation wraps `client::Client` (owner `client`).
//! [`LocalGateway`] keeps requests in memory, applying the domain status machine and version
//! checks exactly like the service, so the workstation runs standalone (fixture data).

use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::api::dashboard::DashboardResponse;
use crate::api::{ActionBody, RequestDetail, RequestSummary};
use crate::domain::request::{MessageKind, RequestId, Transition};

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the request was changed by someone else (version {current})")]
    Stale { current: u64 },
    #[error("request {0} not found")]
    NotFound(String),
    /// The caller's role may not do this (HTTP 403), e.g. an operator opening the cruscotto.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Rejected(String),
}

#[async_trait]
pub trait Gateway: Send + Sync {
    async fn list(&self) -> Result<Vec<RequestSummary>, GatewayError>;
    async fn detail(&self, id: &RequestId) -> Result<RequestDetail, GatewayError>;
    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
    ) -> Result<RequestSummary, GatewayError>;
    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        body: String,
    ) -> Result<RequestSummary, GatewayError>;
    /// Cruscotto figures for the caller's scope (`GET /v1/dashboard`). Gateways without a
    /// service behind them have none.
    async fn dashboard(&self) -> Result<DashboardResponse, GatewayError> {
        Err(GatewayError::Rejected("cruscotto non disponibile".into()))
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

    fn with<T>(
        &self,
        id: &RequestId,
        version: u64,
        f: impl FnOnce(&mut RequestSummary) -> Result<T, GatewayError>,
    ) -> Result<T, GatewayError> {
        let mut requests = self
            .requests
            .lock()
            .map_err(|_| GatewayError::Rejected("store poisoned".into()))?;
        let r = requests
            .iter_mut()
            .find(|r| &r.id == id)
            .ok_or_else(|| GatewayError::NotFound(id.as_str().into()))?;
        if r.version != version {
            return Err(GatewayError::Stale { current: r.version });
        }
        let out = f(r)?;
        r.version += 1;
        r.updated_at = Timestamp::now();
        Ok(out)
    }
}

fn transition(r: &mut RequestSummary, t: Transition) -> Result<(), GatewayError> {
    r.status = r
        .status
        .apply(t)
        .map_err(|e| GatewayError::Rejected(e.to_string()))?;
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
        let summary = self
            .list()
            .await?
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or_else(|| GatewayError::NotFound(id.as_str().into()))?;
        Ok(RequestDetail {
            summary,
            application_protocol: None,
            outcome: None,
            thread: vec![],
            history: vec![],
            appointments: vec![],
        })
    }

    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
    ) -> Result<RequestSummary, GatewayError> {
        let me = self.operator.clone();
        self.with(id, version, |r| {
            match &body {
                ActionBody::Take => {
                    transition(r, Transition::Take)?;
                    r.assignee = Some(me);
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
            Ok(r.clone())
        })
        .map(|mut r| {
            r.version += 1;
            r
        })
    }

    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        _body: String,
    ) -> Result<RequestSummary, GatewayError> {
        self.with(id, version, |r| {
            transition(r, kind.transition())?;
            Ok(r.clone())
        })
        .map(|mut r| {
            r.version += 1;
            r
        })
    }
}
