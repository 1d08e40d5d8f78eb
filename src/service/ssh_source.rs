//! The built-in SSH endpoint's [`DashboardSource`] over the service's store: each session sees
//! the figures of its operator's scope, as `GET /v1/dashboard` would return them.

use std::sync::Arc;

use crate::api::{RequestDetail, RequestFilter, RequestSummary};
use crate::domain::request::RequestId;
use crate::service::core::App;
use crate::service::http::dashboard::dashboard_for;
use crate::ssh::{DashboardSource, SourceView};
use crate::tui::dashboard::text::{Lang, scope_label};

pub struct StoreDashboardSource {
    store: Arc<dyn App>,
}

impl StoreDashboardSource {
    pub fn new(store: Arc<dyn App>) -> Self {
        StoreDashboardSource { store }
    }

    async fn who(&self, operator: &str) -> Result<crate::service::core::Principal, String> {
        self.store
            .operator(operator)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("operatore sconosciuto: {operator}"))
    }
}

/// Where an audited read from an SSH session comes from, in the audit log.
const SSH_ORIGIN: &str = "ssh";

#[async_trait::async_trait]
impl DashboardSource for StoreDashboardSource {
    async fn load(&self, operator: &str) -> Result<SourceView, String> {
        let who = self.who(operator).await?;
        let response = dashboard_for(self.store.as_ref(), &who, jiff::Timestamp::now())
            .await
            .map_err(|e| e.body.message)?;
        Ok(SourceView {
            dashboard: response.dashboard,
            scope_label: scope_label(&response.scope, Lang::It),
            role_can_write: who.role.is_inps_writer(),
        })
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.store.subscribe())
    }

    async fn requests(
        &self,
        operator: &str,
        filter: RequestFilter,
    ) -> Result<(Vec<RequestSummary>, bool), String> {
        let who = self.who(operator).await?;
        let page = self
            .store
            .list_requests(&who, filter, jiff::Timestamp::now())
            .await
            .map_err(|e| e.to_string())?;
        Ok((page.items, page.next_cursor.is_some()))
    }

    async fn detail(&self, operator: &str, id: &RequestId) -> Result<RequestDetail, String> {
        let who = self.who(operator).await?;
        self.store
            .get_request(&who, id, Some(SSH_ORIGIN.to_string()))
            .await
            .map_err(|e| e.to_string())
    }
}
