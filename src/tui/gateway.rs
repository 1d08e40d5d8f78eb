//! What the workstation needs from the central service. The runner executes `Effect`s through
//! this trait; [`crate::tui::remote::ClientGateway`] implements it over `client::Client`.

use async_trait::async_trait;

use crate::api::dashboard::DashboardResponse;
use crate::api::{ActionBody, Dossier, PresenceActivity, RequestDetail, RequestSummary};
use crate::client::EventStream;
use crate::domain::request::{MessageKind, RequestId};

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
    #[error("{0}")]
    Rejected(String),
}

#[async_trait]
pub trait Gateway: Send + Sync {
    async fn list(&self) -> Result<Vec<RequestSummary>, GatewayError>;
    async fn detail(&self, id: &RequestId) -> Result<RequestDetail, GatewayError>;
    /// A write with `If-Match: version`; answers the request as written.
    async fn act(
        &self,
        id: &RequestId,
        version: u64,
        body: ActionBody,
    ) -> Result<RequestDetail, GatewayError>;
    async fn message(
        &self,
        id: &RequestId,
        version: u64,
        kind: MessageKind,
        body: String,
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
    /// Cruscotto figures for the caller's scope (`GET /v1/dashboard`). Gateways without a
    /// service behind them have none.
    async fn dashboard(&self) -> Result<DashboardResponse, GatewayError> {
        Err(GatewayError::Rejected("cruscotto non disponibile".into()))
    }
}
