//! INPS offices (sedi).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Office {
    /// Short stable code, e.g. `RM-EUR` or `MI-NORD`.
    pub code: String,
    /// e.g. "Roma Eur".
    pub name: String,
    /// Comune where the office is (drives the patron-saint holiday).
    pub comune: String,
    /// Two-letter province code (sigla), e.g. `RM`.
    pub province: String,
    pub region: String,
}
