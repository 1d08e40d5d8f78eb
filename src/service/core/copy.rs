//! Moving a deployment between stores (`combipat admin copy`): every table, row by row as
//! stored (ids, hashes, outbox positions), into an empty target, then a check that the target
//! holds the same: row counts per table, the audit chain head, and a valid chain.

use thiserror::Error;

use super::App;
use crate::service::store::{StoreError, TABLES};

/// Rows per page (and per target transaction).
const PAGE: u32 = 2_000;

#[derive(Debug, Error)]
pub enum CopyError {
    #[error("the target {0} already holds data; copy only into an empty, migrated database")]
    TargetNotEmpty(String),
    #[error("table {table}: {source_rows} rows in the source, {target_rows} in the target")]
    CountMismatch {
        table: String,
        source_rows: u64,
        target_rows: u64,
    },
    #[error("audit chain head differs: source {source_head:?}, target {target_head:?}")]
    AuditHead {
        source_head: Option<(u64, String)>,
        target_head: Option<(u64, String)>,
    },
    #[error("the copied audit chain is broken at entry {0}")]
    AuditBroken(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a copy reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyProgress {
    /// A table starts: its row count.
    Table { table: &'static str, rows: u64 },
    /// Rows of the current table copied so far.
    Rows { table: &'static str, done: u64 },
}

/// Per-table row counts and the audit head, as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
    pub audit_head: Option<(u64, String)>,
}

pub async fn copy(
    from: &dyn App,
    to: &dyn App,
    progress: &(dyn Fn(CopyProgress) + Sync),
) -> Result<CopyReport, CopyError> {
    for table in TABLES {
        if to.count_rows(table).await? > 0 {
            return Err(CopyError::TargetNotEmpty(to.describe_store()));
        }
    }
    let (event_head, audit_head) = from.heads().await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let rows = from.count_rows(table).await?;
        progress(CopyProgress::Table { table, rows });
        let mut done = 0u64;
        loop {
            let page = from.export_rows(table, done, PAGE).await?;
            if page.rows.is_empty() {
                break;
            }
            done += page.rows.len() as u64;
            to.import_rows(table, page).await?;
            progress(CopyProgress::Rows { table, done });
        }
        tables.push((table, rows));
    }
    to.finish_copy(event_head).await?;
    for &(table, source_rows) in &tables {
        let target_rows = to.count_rows(table).await?;
        if target_rows != source_rows {
            return Err(CopyError::CountMismatch {
                table: table.to_string(),
                source_rows,
                target_rows,
            });
        }
    }
    let (_, target_head) = to.heads().await?;
    if target_head != audit_head {
        return Err(CopyError::AuditHead {
            source_head: audit_head,
            target_head,
        });
    }
    if let Some(broken) = to.verify_audit_chain().await?.first_broken {
        return Err(CopyError::AuditBroken(broken));
    }
    Ok(CopyReport { tables, audit_head })
}
