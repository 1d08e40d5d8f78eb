//! Roles and the identity of a caller.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the requests of their own office.
    Operator,
    /// Own office or region; reassigns; sees the dashboard.
    Supervisor,
    /// Read-only, plus the audit log.
    Auditor,
    /// Manages offices, operators and tokens.
    Admin,
    /// API client of one patronato: files requests, reads its own, reads dossiers under mandate.
    Patronato,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Operator,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
        Role::Patronato,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
            Role::Patronato => "patronato",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
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
