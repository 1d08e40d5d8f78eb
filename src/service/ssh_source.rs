//! The built-in SSH endpoint's [`DashboardSource`] over the service's store: each session sees
//! the figures of its operator's scope, as `GET /v1/dashboard` would return them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{RequestDetail, RequestFilter, RequestSummary};
use crate::domain::request::RequestId;
use crate::service::core::{App, Principal};
use crate::service::http::dashboard::dashboard_for;
use crate::ssh::{DashboardSource, SourceView};
use crate::tui::dashboard::text::{Lang, scope_label};

pub struct StoreDashboardSource {
    store: Arc<dyn App>,
    /// Operators as recently read, by login name (the operators of the configured SSH keys:
    /// a bounded set). Sessions reload on every announced change; reading the operator each
    /// time would cost a store read per session per change.
    operators: std::sync::Mutex<HashMap<String, (Principal, Instant)>>,
}

/// How long an operator read from the store stands for its sessions: a disabled operator or a
/// changed role or scope reaches open sessions within this.
const OPERATOR_FRESH_FOR: Duration = Duration::from_secs(10);

impl StoreDashboardSource {
    pub fn new(store: Arc<dyn App>) -> Self {
        StoreDashboardSource {
            store,
            operators: std::sync::Mutex::new(HashMap::new()),
        }
    }

    async fn who(&self, operator: &str) -> Result<Principal, String> {
        let cached = self.operators.lock().ok().and_then(|known| {
            known
                .get(operator)
                .filter(|(_, read)| read.elapsed() < OPERATOR_FRESH_FOR)
                .map(|(who, _)| who.clone())
        });
        if let Some(who) = cached {
            return Ok(who);
        }
        self.fresh_who(operator).await
    }

    /// The operator as the store has it now (drill-downs and audited reads of a request never
    /// act on a remembered operator); remembered for [`StoreDashboardSource::who`].
    async fn fresh_who(&self, operator: &str) -> Result<Principal, String> {
        let read = self.store.operator(operator).await;
        let found = read.map_err(|e| e.to_string())?;
        if let Ok(mut known) = self.operators.lock() {
            match &found {
                Some(who) => known.insert(operator.to_string(), (who.clone(), Instant::now())),
                None => known.remove(operator),
            };
        }
        found.ok_or_else(|| format!("operatore sconosciuto: {operator}"))
    }
}

/// Where an audited read from an SSH session comes from, in the audit log.
const SSH_ORIGIN: &str = "ssh";

#[async_trait::async_trait]
impl DashboardSource for StoreDashboardSource {
    async fn load(&self, operator: &str) -> Result<SourceView, String> {
        let who = self.who(operator).await?;
        let (scope, dashboard) = dashboard_for(self.store.as_ref(), &who, jiff::Timestamp::now())
            .await
            .map_err(|e| e.body.message)?;
        Ok(SourceView {
            dashboard,
            scope_label: scope_label(&scope, Lang::It),
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
        let who = self.fresh_who(operator).await?;
        let page = self
            .store
            .list_requests(&who, filter, jiff::Timestamp::now())
            .await
            .map_err(|e| e.to_string())?;
        Ok((page.items, page.next_cursor.is_some()))
    }

    async fn detail(&self, operator: &str, id: &RequestId) -> Result<RequestDetail, String> {
        let who = self.fresh_who(operator).await?;
        self.store
            .get_request(&who, id, Some(SSH_ORIGIN.to_string()))
            .await
            .map_err(|e| e.to_string())
    }
}
