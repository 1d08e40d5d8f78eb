//! Appointments as the store keeps them (Agenda appuntamenti); the rules are in
//! [`crate::service::core::agenda`].

use jiff::Timestamp;

use super::Scope;
use crate::domain::agenda::{AppointmentState, Channel};
use crate::domain::request::RequestId;

/// One appointment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRecord {
    pub id: i64,
    pub request_id: RequestId,
    pub office: String,
    pub patronato: String,
    /// Full codice fiscale.
    pub citizen: String,
    pub channel: Channel,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Login name of the operator who booked (or last moved) it.
    pub operator: String,
    pub state: AppointmentState,
    /// The patronato's request to move it, until it is moved.
    pub move_request: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// Which appointments to read: all conditions hold; rows come by start, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentFilter {
    /// Who may see them (on the office and patronato columns).
    pub scope: Scope,
    pub office: Option<String>,
    pub request: Option<RequestId>,
    pub operator: Option<String>,
    /// Start at or after.
    pub from: Option<Timestamp>,
    /// Start strictly before.
    pub to: Option<Timestamp>,
    /// Only `booked` ones (those that take a place).
    pub booked_only: bool,
}

impl AppointmentFilter {
    pub fn new(scope: Scope) -> Self {
        AppointmentFilter {
            scope,
            office: None,
            request: None,
            operator: None,
            from: None,
            to: None,
            booked_only: false,
        }
    }
}
