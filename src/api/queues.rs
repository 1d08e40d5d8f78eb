//! Queue ids of `GET /v1/requests?queue=…` and page sizes: part of the wire contract, so the
//! service defines its queues by them and clients (the cruscotto's drill-down) name them.

pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page of `GET /v1/requests`.
pub const MAX_LIMIT: u32 = 500;

/// Queue ids offered by `GET /v1/queues` besides `topic:<code>`.
pub const QUEUE_MINE: &str = "mine";
pub const QUEUE_UNASSIGNED: &str = "unassigned";
pub const QUEUE_AWAITING: &str = "awaiting_integration";
pub const QUEUE_AT_RISK: &str = "at_risk";
pub const QUEUE_BREACHED: &str = "breached";
pub const QUEUE_CLOSED_TODAY: &str = "closed_today";
/// Requests with an appointment today (Europe/Rome), by the appointment's time.
pub const QUEUE_APPOINTMENTS_TODAY: &str = "appointments_today";
/// Every open request in scope: what the cruscotto's "Aperte" figures count. Accepted as a
/// filter (the drill-down lists by it); not offered by `GET /v1/queues`, where the workstation
/// shows "Tutte aperte" from its own list.
pub const QUEUE_OPEN: &str = "open";
