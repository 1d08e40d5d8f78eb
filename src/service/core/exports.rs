//! CSV exports of personal data are audited: a client states what it exports and why before it
//! writes the file, and refuses to write it when this fails. The rows themselves were already
//! read within the caller's scope; the entry records who took them out, from where, and why.

use jiff::Timestamp;

use super::journal::{self, AuditKey};
use super::reads::checked_purpose;
use crate::api::audit_export::{CsvExportAudit, ExportKind};
use crate::domain::roles::Operator;
use crate::service::store::{StoreError, WriteTx};

pub use crate::api::audit_export::MAX_IDS_PER_CALL as MAX_IDS;

/// Action of the audit entry.
pub const ACTION: &str = "export.csv";

/// The audited target: kind, rows, ids, purpose; e.g.
/// `requests rows=2 ids=CBP-2026-0000001,CBP-2026-0000002 purpose: verifica mensile`.
fn target(export: &CsvExportAudit, purpose: &str) -> String {
    let mut target = format!("{} rows={}", export.kind.code(), export.rows);
    if !export.ids.is_empty() {
        let ids: Vec<&str> = export.ids.iter().map(|id| id.as_str()).collect();
        if export.offset > 0 {
            target.push_str(&format!(" from_row={}", export.offset + 1));
        }
        target.push_str(&format!(" ids={}", ids.join(",")));
    }
    target.push_str(&format!(" purpose: {purpose}"));
    target
}

/// Records one CSV export (422 naming the field when the statement does not hold together).
pub fn record(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    who: &Operator,
    export: &CsvExportAudit,
    remote_addr: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let purpose = checked_purpose(Some(export.purpose.clone()))?
        .ok_or_else(|| StoreError::invalid("purpose", "say why the data is exported (purpose)"))?;
    if export.ids.len() > MAX_IDS {
        return Err(StoreError::invalid(
            "ids",
            format!("at most {MAX_IDS} ids per call; send the rest with offset"),
        ));
    }
    match export.kind {
        ExportKind::Requests => {
            let listed = export.offset.saturating_add(export.ids.len() as u64);
            if listed > export.rows {
                return Err(StoreError::invalid(
                    "ids",
                    "more ids (with offset) than exported rows",
                ));
            }
        }
        ExportKind::Dashboard | ExportKind::Quality => {
            if !export.ids.is_empty() || export.offset > 0 {
                return Err(StoreError::invalid(
                    "ids",
                    "figures hold no request ids; ids go with kind requests",
                ));
            }
        }
    }
    journal::audit(
        tx,
        key,
        who,
        ACTION,
        &target(export, &purpose),
        remote_addr,
        now,
    )
}
