//! Roles and the identity of a caller.

use serde::{Deserialize, Serialize};

use super::coded::coded_enum;

coded_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
    pub enum Role {
        /// Works the requests of their own office.
        Operator = "operator",
        /// Own office or region; reassigns; sees the dashboard.
        Supervisor = "supervisor",
        /// Read-only, plus the audit log.
        Auditor = "auditor",
        /// Manages offices, operators and tokens.
        Admin = "admin",
        /// API client of one patronato: files requests, reads its own, reads dossiers under
        /// mandate.
        Patronato = "patronato",
    }
}

impl Role {
    /// Roles that may change requests on the INPS side.
    pub fn is_inps_writer(self) -> bool {
        matches!(self, Role::Operator | Role::Supervisor | Role::Admin)
    }
}

/// An operator (INPS staff member) or a patronato API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Operator {
    /// Login name, e.g. `m.rossi`.
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// Office code; `None` for admins, auditors with national scope and patronato clients.
    pub office: Option<String>,
    /// Region scope for regional supervisors and auditors.
    pub region: Option<String>,
    /// Patronato code, for `Role::Patronato` clients only.
    pub patronato: Option<String>,
}
