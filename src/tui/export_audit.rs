//! The list export (`e`) is audited by the service before the file is written: the ids of the
//! rows, how many, and why (the queue and filter shown), with the operator and address the
//! service sees. When the service cannot record it, no file is written (issue 12).

use crate::api::audit_export::ExportKind;
use crate::domain::request::RequestId;
use crate::tui::gateway::Gateway;
use crate::tui::state::State;
use crate::tui::update::{Effect, Msg};

/// Longest filter text quoted in the purpose (the service takes at most 200 characters).
const FILTER_CHARS: usize = 60;

/// The effect of `e` in the list: the visible rows to `path`, once the service audited them.
pub fn list_export(state: &State, path: std::path::PathBuf) -> Effect {
    let ids: Vec<RequestId> = state
        .visible
        .iter()
        .filter_map(|&i| state.requests.get(i))
        .map(|r| r.id.clone())
        .collect();
    let queue = state.current_queue().label(state.lang);
    let filter = crate::domain::sanitize::inline(&state.filter, FILTER_CHARS);
    let purpose = if filter.trim().is_empty() {
        format!("esportazione elenco dalla postazione: coda «{queue}»")
    } else {
        format!("esportazione elenco dalla postazione: coda «{queue}», filtro «{filter}»")
    };
    Effect::WriteAuditedExport {
        path,
        contents: crate::tui::export::list_csv(state),
        purpose,
        ids,
    }
}

/// Records the export, then writes the file; refuses (and writes nothing) if the record fails.
pub async fn perform(
    gateway: &dyn Gateway,
    path: std::path::PathBuf,
    contents: String,
    purpose: String,
    ids: Vec<RequestId>,
) -> Vec<Msg> {
    let rows = ids.len() as u64;
    if let Err(error) = gateway
        .record_export(ExportKind::Requests, &purpose, rows, &ids)
        .await
    {
        tracing::warn!(%error, "export not audited; no file written");
        return vec![Msg::Refused {
            key: "export.not_audited",
        }];
    }
    crate::tui::app::perform(Effect::WriteFile { path, contents }, gateway).await
}
