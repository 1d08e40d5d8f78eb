//! `POST /v1/audit/exports`: a client records a CSV export in the audit log before it writes
//! the file.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::request::RequestId;

/// Most request ids one call may list (a larger export sends its ids in parts, with `offset`),
/// which keeps each call well under the body limit.
pub const MAX_IDS_PER_CALL: usize = 2000;

/// What a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// Rows of requests (the workstation's list): personal data; the ids are listed.
    Requests,
    /// Cruscotto figures (`combipat dashboard --csv`).
    Dashboard,
    /// The yearly quality report (`combipat report quality --csv`).
    Quality,
}

impl ExportKind {
    pub fn code(self) -> &'static str {
        match self {
            ExportKind::Requests => "requests",
            ExportKind::Dashboard => "dashboard",
            ExportKind::Quality => "quality",
        }
    }
}

/// One CSV export (or, for a large one, one part of its ids: `offset` says where they start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvExportAudit {
    pub kind: ExportKind,
    /// Why the data leaves the service (required; at most 200 characters).
    pub purpose: String,
    /// Rows the file holds.
    pub rows: u64,
    /// Ids of the requests exported (`requests` only; at most 2,000 per call).
    #[serde(default)]
    pub ids: Vec<RequestId>,
    /// Position of `ids[0]` among the exported rows, when the ids are sent in several calls.
    #[serde(default)]
    pub offset: u64,
}
